"""``simulate(scenario, policy=...)``: operate the site on forecasts, not on hindsight.

At every re-plan (default daily at local midnight; hourly or every N hours possible) the policy
plans the look-ahead window (default 48 h) on forecasts (:mod:`dcflex.studies.operate.forecast`);
the decisions
for the steps until the next re-plan are applied to the *actual* series, and the state is
carried forward exactly: battery charge, each batch release's remaining work, throughput
delivered in each training SLO window, the peak import already reached in each billing month
and the clean-energy surplus. The stitched schedule is priced by the same metrics as
:func:`dcflex.studies.run.run`, for every policy, and compared with the perfect-foresight optimum of
``run`` (the value of information).

Applying a plan to actuals (the real-time layer): battery, training power, batch GPUs and the
shed share of degradable inference are applied as planned; inference serves the actual demand;
facility power follows the actual PUE; on-site supply is used up to what the plan used (more
if the site would otherwise import at a positive cost); a surplus is exported when the export
price is positive (up to the export limit), else the battery discharges less and the rest is
curtailed. If import would exceed its limit, the battery charges less, then discharges more,
then training slows towards idle, then degradable inference is shed; what is left is reported
as ``import_limit_excess_mwh``.

The window LP and what it approximates are described in :mod:`dcflex.studies.operate.policies`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from dcflex.errors import ScenarioError
from dcflex.model.inputs import Inputs, prepare
from dcflex.model.twin import baseline_schedule
from dcflex.results.metrics import (
    Metric,
    Metrics,
    compare_metrics,
    compute_metrics,
    shifted_energy_mwh,
)
from dcflex.scenario import Scenario, load_scenario
from dcflex.studies.operate.forecast import Forecaster, ForecastSpec, resolve_forecasts
from dcflex.studies.operate.policies import (
    BaselinePolicy,
    Decisions,
    MpcPolicy,
    Plant,
    State,
    ThresholdPolicy,
    Window,
    make_plant,
)
from dcflex.studies.run import CONTEXT_COLUMNS, Result, provenance, run_inputs

POLICIES = ("mpc", "threshold", "baseline")
_TOL = 1e-7


@dataclass
class SimulationResult(Result):
    """A :class:`~dcflex.studies.run.Result` of a rolling-horizon simulation, plus its windows and
    the
    gap to perfect foresight.

    Attributes
    ----------
    policy : str
    forecasts : dict
        Description of the forecast of each series.
    horizon_h : float
        Look-ahead, h.
    replan : str
        Re-plan rule.
    windows : pandas.DataFrame
        One row per re-plan: start, steps applied, state at the start (battery charge, backlog
        per batch class, peak of the month so far), HiGHS time and iterations.
    value_of_information : Metrics or None
        Gaps to the perfect-foresight run (and, for MPC on imperfect forecasts, split into the
        part due to the finite horizon and the part due to forecast error).
    perfect_foresight : Result or None
        The perfect-foresight run the gaps refer to.
    """

    policy: str = "mpc"
    forecasts: dict[str, str] = field(default_factory=dict)
    horizon_h: float = 48.0
    replan: str = "daily"
    windows: pd.DataFrame = field(default_factory=pd.DataFrame)
    value_of_information: Metrics | None = None
    perfect_foresight: Result | None = None


# ----------------------------------------------------------------------------- windows


def replan_steps(inputs: Inputs, replan: str = "daily", replan_hour: float = 0.0) -> np.ndarray:
    """Steps at which the site re-plans (always including step 0).

    Parameters
    ----------
    replan : str
        ``daily`` (at ``replan_hour`` local time), ``hourly`` (every full hour), ``<N>h``
        (every N hours from the start) or ``once`` (a single plan for the whole period).
    replan_hour : float
        Local hour of the daily re-plan.
    """
    T, dt = inputs.n_steps, inputs.step_hours
    local = inputs.local_index
    minutes = local.hour * 60 + local.minute
    text = replan.strip().lower()
    if text == "once":
        steps = np.array([0])
    elif text == "daily":
        if not 0 <= replan_hour < 24:
            raise ScenarioError(f"replan_hour must be in [0, 24), got {replan_hour}",
                                field="simulate.replan_hour")
        steps = np.flatnonzero(np.asarray(minutes) == int(round(replan_hour * 60)))
    elif text == "hourly":
        steps = np.flatnonzero(np.asarray(local.minute) == 0)
    elif text.endswith("h"):
        try:
            every = float(text[:-1])
        except ValueError:
            every = -1.0
        k = int(round(every / dt))
        if every <= 0 or abs(k * dt - every) > 1e-9:
            raise ScenarioError(f"replan {replan!r}: expected a positive multiple of the "
                                f"{dt:g} h step, e.g. '6h'", field="simulate.replan")
        steps = np.arange(0, T, k)
    else:
        raise ScenarioError(f"unknown replan {replan!r}; expected daily, hourly, <N>h or once",
                            field="simulate.replan")
    return np.unique(np.concatenate([[0], steps])).astype(np.int64)


# ----------------------------------------------------------------------------- real time


@dataclass
class _Out:
    """Full-period arrays of the applied schedule."""

    cols: dict[str, np.ndarray]


def _new_out(plant: Plant) -> _Out:
    T = plant.n_steps
    names = [f"inference_it_mw__{c.name}" for c in plant.inference]
    for t in plant.training:
        names += [f"training_it_mw__{t.name}", f"training_throughput__{t.name}"]
    names += [f"batch_it_mw__{b.name}" for b in plant.batch]
    names += ["it_power_mw", "facility_power_mw"]
    for col, used in (("pv_available_mw", "pv_used_mw"), ("wind_available_mw", "wind_used_mw"),
                      ("ppa_contracted_mw", "ppa_used_mw")):
        if col in plant.actual:
            names.append(used)
    if plant.battery is not None:
        names += ["battery_charge_mw", "battery_discharge_mw", "battery_soc_mwh"]
    names.append("grid_import_mw")
    if plant.scenario.grid.export_limit_mw > 0:
        names.append("grid_export_mw")
    if plant.scenario.carbon.cfe_target is not None:
        names.append("cfe_matched_mw")
    return _Out({n: np.zeros(T) for n in names})


_ONSITE = (("pv_available_mw", "pv_used_mw"), ("wind_available_mw", "wind_used_mw"),
           ("ppa_contracted_mw", "ppa_used_mw"))


def _import_cost(plant: Plant, sl: slice) -> np.ndarray:
    """Objective cost of importing one more MW in each step (actual series), USD-equivalent."""
    w, A = plant.weights, plant.actual
    c = w.get("cost_usd", 0.0) * A["energy_price_usd_per_mwh"][sl]
    if w.get("emissions_avg_t", 0.0):
        c = c + w["emissions_avg_t"] * A["carbon_avg_kg_per_mwh"][sl] / 1e3
    if w.get("emissions_marginal_t", 0.0):
        c = c + w["emissions_marginal_t"] * A["carbon_marginal_kg_per_mwh"][sl] / 1e3
    return c


def _balance(plant: Plant, sl: slice, fac: np.ndarray, ch: np.ndarray, dis: np.ndarray,
             dec: Decisions) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray, np.ndarray]:
    """On-site use, import, export and (possibly reduced) discharge for given loads."""
    A = plant.actual
    used = {}
    for col, _ in _ONSITE:
        if col in A:
            avail = A[col][sl]
            plan = dec.onsite_use_mw.get(col)
            used[col] = avail.copy() if plan is None else np.minimum(avail, np.maximum(plan, 0))
    net = fac + ch - dis - sum(used.values(), np.zeros(len(fac)))
    costly = (net > 0) & (_import_cost(plant, sl) > 0)
    if costly.any():
        for col in used:  # plan was made on a forecast: use on-site supply that turned up
            extra = np.where(costly, np.minimum(A[col][sl] - used[col], np.maximum(net, 0)), 0)
            used[col] += extra
            net -= extra
    exp = np.zeros(len(fac))
    if (net < 0).any():
        surplus = np.maximum(-net, 0.0)
        limit = plant.scenario.grid.export_limit_mw
        if limit > 0:
            pays = A["export_price_usd_per_mwh"][sl] > 0
            exp = np.where(pays, np.minimum(surplus, limit), 0.0)
        rest = surplus - exp
        cut = np.minimum(dis, rest)
        dis = dis - cut
        rest = rest - cut
        for col in reversed(list(used)):
            cut = np.minimum(used[col], rest)
            used[col] = used[col] - cut
            rest = rest - cut
        net = np.maximum(net, 0.0)
    return used, np.maximum(net, 0.0), exp, dis


def _soc_path(bat, soc0: float, ch: np.ndarray, dis: np.ndarray, dt: float) -> np.ndarray:
    return soc0 + np.cumsum((bat.charge_efficiency * ch - dis / bat.discharge_efficiency) * dt)


def apply_decisions(plant: Plant, state: State, dec: Decisions, start: int, n: int,
                    out: _Out) -> None:
    """Operate steps ``start .. start + n - 1`` with ``dec`` on the actual series; write the
    schedule into ``out`` and advance ``state`` (see the module docstring for the rules)."""
    sl = slice(start, start + n)
    dt, A, scen = plant.dt, plant.actual, plant.scenario
    cols = out.cols
    inf_p = {}
    for c in plant.inference:
        d = A[f"inference_demand_mw__{c.name}"][sl]
        shed = np.clip(dec.inference_shed.get(c.name, 0.0), 0.0, c.degradable_share)
        inf_p[c.name] = d - shed * (d - c.idle_mw)
    tr_p = {t.name: np.clip(dec.training_power_mw[t.name], t.idle_mw, t.full_mw)
            for t in plant.training}
    batch_p, batch_g = {}, {}
    for b in plant.batch:
        ids, g = dec.batch_gpus[b.name]
        g = np.maximum(g, 0.0)
        total = g.sum(axis=0)
        over = total > b.n_gpus
        if over.any():  # solver round-off only: scale back to the fleet
            g = g * np.where(over, b.n_gpus / np.maximum(total, 1e-300), 1.0)
            total = g.sum(axis=0)
        batch_g[b.name] = (ids, g)
        batch_p[b.name] = b.idle_mw + b.per_gpu_mw * total
    bat = plant.battery
    if bat is not None:
        ch = np.clip(dec.battery_charge_mw, 0.0, bat.power_mw)
        dis = np.clip(dec.battery_discharge_mw, 0.0, bat.power_mw)
    else:
        ch = dis = np.zeros(n)
    pue = A["pue"][sl]
    overhead = scen.facility.fixed_overhead_mw
    it = (sum(inf_p.values(), np.zeros(n)) + sum(batch_p.values(), np.zeros(n))
          + sum(tr_p.values(), np.zeros(n)))
    fac = pue * it + overhead
    used, imp, exp, dis = _balance(plant, sl, fac, ch, dis, dec)
    cap = plant.import_cap_mw[sl]
    soc = _soc_path(bat, state.soc_mwh, ch, dis, dt) if bat is not None else None
    soc_ok = bat is None or (
        np.all(soc >= bat.soc_min_fraction * bat.energy_mwh - 1e-6)
        and np.all(soc <= bat.soc_max_fraction * bat.energy_mwh + 1e-6))
    guard = _guard_levels(plant, state, dec, sl, state.peaks_mw)
    guarded = guard is not None and bool(np.any(imp > guard + 1e-6))
    if np.any(imp > cap + _TOL) or not soc_ok or guarded:
        ch, dis, tr_p, inf_p, used, imp, exp, soc = _stepwise(
            plant, state, dec, sl, ch, dis, tr_p, inf_p, sum(batch_p.values(), np.zeros(n)))
        it = sum(inf_p.values(), np.zeros(n)) + sum(batch_p.values(), np.zeros(n)) + sum(
            tr_p.values(), np.zeros(n))
        fac = pue * it + overhead
    for c in plant.inference:
        cols[f"inference_it_mw__{c.name}"][sl] = inf_p[c.name]
    for t in plant.training:
        x = t.throughput(tr_p[t.name])
        cols[f"training_it_mw__{t.name}"][sl] = tr_p[t.name]
        cols[f"training_throughput__{t.name}"][sl] = x
        np.add.at(state.slo_delivered[t.name], np.arange(start, start + n) // t.window_steps, x)
    for b in plant.batch:
        cols[f"batch_it_mw__{b.name}"][sl] = batch_p[b.name]
        ids, g = batch_g[b.name]
        if len(ids):
            rem = state.batch_remaining_gpu_hours[b.name]
            rem[ids] = np.maximum(rem[ids] - g.sum(axis=1) * dt, 0.0)
    cols["it_power_mw"][sl] = it
    cols["facility_power_mw"][sl] = fac
    for col, name in _ONSITE:
        if col in used:
            cols[name][sl] = used[col]
    if bat is not None:
        cols["battery_charge_mw"][sl] = ch
        cols["battery_discharge_mw"][sl] = dis
        cols["battery_soc_mwh"][sl] = soc
        state.soc_mwh = float(soc[-1])
    cols["grid_import_mw"][sl] = imp
    if "grid_export_mw" in cols:
        cols["grid_export_mw"][sl] = exp
    months = plant.month_of_step[sl]
    for i, (_, mask) in enumerate(plant.demand_charges):
        m = mask[sl]
        if m.any():
            np.maximum.at(state.peaks_mw[i], months[m], imp[m])
    target = scen.carbon.cfe_target
    if target is not None:
        # the grid's clean share counts on net import, as in the LP and the metrics
        clean = sum(used.values(), np.zeros(n)) + A["grid_cfe_fraction"][sl] * (imp - exp)
        matched = np.minimum(fac, clean)
        cols["cfe_matched_mw"][sl] = matched
        state.cfe_surplus_mw_steps += float(np.sum(matched - target * fac))
    state.step = start + n


def _guard_levels(plant: Plant, state: State, dec: Decisions, sl: slice,
                  peaks: np.ndarray) -> np.ndarray | None:
    """Import level the battery defends in each step (peak guard), inf where none.

    With a planned import, a step whose actual import would rise above both the plan and the
    billing month's peak so far raises the demand charge; the battery then charges less or
    discharges more (within its power and charge) to hold the higher of the two.
    """
    if dec.import_plan_mw is None or plant.battery is None or not plant.demand_charges:
        return None
    months = plant.month_of_step[sl]
    level = np.full(sl.stop - sl.start, np.inf)
    for i, (_, mask) in enumerate(plant.demand_charges):
        m = mask[sl]
        level = np.where(m, np.minimum(level, np.maximum(dec.import_plan_mw, peaks[i, months])),
                         level)
    return level


def _stepwise(plant: Plant, state: State, dec: Decisions, sl: slice, ch, dis, tr_p, inf_p,
              batch_it):
    """Step-by-step operation when the plan meets a binding import limit, a guarded peak, or
    would leave the battery's range on actual data (the rules of the module docstring).

    Plain Python floats: the steps depend on each other through the battery's charge and the
    month's running peak, and a window has few steps.
    """
    dt, A, bat = plant.dt, plant.actual, plant.battery
    scen = plant.scenario
    n = sl.stop - sl.start
    ch, dis = [float(v) for v in ch], [float(v) for v in dis]
    tr = {k: [float(x) for x in v] for k, v in tr_p.items()}
    inf = {k: [float(x) for x in v] for k, v in inf_p.items()}
    pue = A["pue"][sl].tolist()
    cap = plant.import_cap_mw[sl].tolist()
    bit = np.asarray(batch_it, dtype=float).tolist()
    overhead = scen.facility.fixed_overhead_mw
    cost = _import_cost(plant, sl).tolist()
    limit = scen.grid.export_limit_mw
    exp_price = A["export_price_usd_per_mwh"][sl].tolist()
    sources = [c for c, _ in _ONSITE if c in A]
    avail = {c: A[c][sl].tolist() for c in sources}
    plan_use = {c: (np.asarray(dec.onsite_use_mw[c]).tolist() if c in dec.onsite_use_mw
                    else None) for c in sources}
    plan_imp = None if dec.import_plan_mw is None else np.asarray(dec.import_plan_mw).tolist()
    guard_on = plan_imp is not None and bat is not None and bool(plant.demand_charges)
    masks = [m[sl].tolist() for _, m in plant.demand_charges]
    peaks = state.peaks_mw.copy()
    months = plant.month_of_step[sl].tolist()
    demand = {c.name: A[f"inference_demand_mw__{c.name}"][sl].tolist() for c in plant.inference}
    soc = state.soc_mwh
    lo = hi = 0.0
    if bat is not None:
        lo = bat.soc_min_fraction * bat.energy_mwh
        hi = bat.soc_max_fraction * bat.energy_mwh
        eta_c, eta_d, pmax = bat.charge_efficiency, bat.discharge_efficiency, bat.power_mw
    used = {c: [0.0] * n for c in sources}
    imp, exp, soc_out = [0.0] * n, [0.0] * n, [0.0] * n

    def balance(k, load, c_k, d_k):
        u = {}
        for c in sources:
            av = avail[c][k]
            u[c] = av if plan_use[c] is None else min(av, max(plan_use[c][k], 0.0))
        net = load + c_k - d_k - sum(u.values())
        if net > 0 and cost[k] > 0:
            for c in sources:
                extra = min(avail[c][k] - u[c], net)
                if extra > 0:
                    u[c] += extra
                    net -= extra
        e_k = 0.0
        if net < 0:
            rest = -net
            if limit > 0 and exp_price[k] > 0:
                e_k = min(rest, limit)
                rest -= e_k
            cut = min(d_k, rest)
            d_k -= cut
            rest -= cut
            for c in reversed(sources):
                cut = min(u[c], rest)
                u[c] -= cut
                rest -= cut
            net = 0.0
        return u, net, e_k, d_k

    for k in range(n):
        if bat is not None:
            ch[k] = min(ch[k], max(0.0, hi - soc) / (eta_c * dt))
            dis[k] = min(dis[k], max(0.0, soc - lo) * eta_d / dt)

        def load(k=k):
            it = bit[k] + sum(p[k] for p in tr.values()) + sum(p[k] for p in inf.values())
            return pue[k] * it + overhead

        u, i_k, e_k, d_k = balance(k, load(), ch[k], dis[k])
        level = cap[k]
        if guard_on:
            for i, m in enumerate(masks):
                if m[k]:
                    level = min(level, max(plan_imp[k], peaks[i, months[k]]))
        over = i_k - level
        if over > _TOL:
            cut = min(ch[k], over)
            ch[k] -= cut
            over -= cut
            more = 0.0
            if bat is not None and over > _TOL:
                room = min(pmax - dis[k], max(0.0, soc - lo) * eta_d / dt - dis[k])
                more = max(0.0, min(room, over))
                dis[k] += more
                over -= more
            # only the import limit sheds work: what is left above it once the battery helped
            over = min(over, i_k - cut - more - cap[k])
            for t in plant.training:
                if over <= _TOL:
                    break
                cut = max(0.0, min(tr[t.name][k] - t.idle_mw, over / pue[k]))
                tr[t.name][k] -= cut
                over -= cut * pue[k]
            for c in plant.inference:
                if over <= _TOL:
                    break
                d = demand[c.name][k]
                floor = d - c.degradable_share * (d - c.idle_mw)
                cut = max(0.0, min(inf[c.name][k] - floor, over / pue[k]))
                inf[c.name][k] -= cut
                over -= cut * pue[k]
            u, i_k, e_k, d_k = balance(k, load(), ch[k], dis[k])
        dis[k] = d_k
        for c in sources:
            used[c][k] = u[c]
        imp[k], exp[k] = i_k, e_k
        for i, m in enumerate(masks):
            if m[k] and i_k > peaks[i, months[k]]:
                peaks[i, months[k]] = i_k
        if bat is not None:
            soc += (eta_c * ch[k] - dis[k] / eta_d) * dt
            soc_out[k] = soc
    arr = np.asarray
    return (arr(ch), arr(dis), {k: arr(v) for k, v in tr.items()},
            {k: arr(v) for k, v in inf.items()}, {c: arr(v) for c, v in used.items()}, arr(imp),
            arr(exp), arr(soc_out) if bat is not None else None)


# ----------------------------------------------------------------------------- accounting


def training_value_usd(schedule: pd.DataFrame, inputs: Inputs) -> float:
    """Value of the training throughput delivered, USD (the LP's ``value_usd`` ledger)."""
    dt = inputs.step_hours
    total = 0.0
    for name, cls in inputs.scenario.workload.classes.items():
        if cls.kind == "training":
            cp = inputs.params["workload"]["classes"][name]
            x = schedule[f"training_throughput__{name}"].to_numpy()
            total += cls.value_usd_per_gpu_hour * cp.n_gpus * dt * float(x.sum())
    return total


def schedule_objective(schedule: pd.DataFrame, inputs: Inputs, metrics: Metrics) -> float:
    """The scenario's objective evaluated on a schedule through the metrics' bookkeeping.

    Equal to the LP objective of :func:`dcflex.studies.run.run` for its own schedule (costs minus
    the
    value of training throughput, plus weighted emissions), so any policy's schedule can be
    compared with the perfect-foresight optimum on the same footing.
    """
    from dcflex.model.build import objective_weights

    w = objective_weights(inputs)
    terms = {
        "cost_usd": metrics["total_cost_usd"] - metrics["carbon_cost_usd"],
        "value_usd": training_value_usd(schedule, inputs),
        "emissions_avg_t": metrics["emissions_average_t"],
        "emissions_marginal_t": metrics["emissions_marginal_t"],
    }
    # the tie-break ledger holds tiny preferences, not costs: it is not part of the bill
    return float(sum(weight * terms[k] for k, weight in w.items() if weight and k in terms))


def _metrics(schedule: pd.DataFrame, bau: pd.DataFrame, inputs: Inputs
             ) -> tuple[Metrics, float]:
    bau_imp = bau["grid_import_mw"].to_numpy()
    m = compute_metrics(schedule, inputs, bau_imp)
    dt = inputs.step_hours
    obj = schedule_objective(schedule, inputs, m)
    soc_change = soc_value = 0.0
    if inputs.scenario.battery is not None:
        b = inputs.scenario.battery
        soc_change = float(schedule["battery_soc_mwh"].iloc[-1]) - b.soc_initial_fraction * (
            b.energy_mwh)
        soc_value = soc_change * b.discharge_efficiency * _mean_import_cost(inputs)
    # perfect foresight ends at its initial charge; energy a simulation leaves in (or takes
    # from) the battery is worth what importing it would cost, so the comparison is fair
    obj -= soc_value
    extra = [
        Metric("shifted_energy_mwh", shifted_energy_mwh(schedule, bau, dt), "MWh",
               "Workload energy moved in time or shed vs business-as-usual"),
        Metric("objective_usd", obj, "USD",
               "Scenario objective on this schedule (costs − training value + weighted "
               "emissions − value of the battery's charge change; USD-equivalent)"),
        Metric("battery_soc_change_mwh", soc_change, "MWh",
               "Battery charge at the end minus at the start"),
        Metric("battery_soc_change_value_usd", soc_value, "USD",
               "That change × discharge efficiency × the period's mean import cost "
               "(objective units); taken off objective_usd"),
    ]
    return Metrics([*m, *extra]), obj


def _mean_import_cost(inputs: Inputs) -> float:
    """Mean objective cost of one imported MWh over the period (price and weighted carbon)."""
    from dcflex.model.build import objective_weights

    w, s = objective_weights(inputs), inputs.series
    cost = w.get("cost_usd", 0.0) * s["energy_price_usd_per_mwh"].to_numpy()
    for ledger, col in (("emissions_avg_t", "carbon_avg_kg_per_mwh"),
                        ("emissions_marginal_t", "carbon_marginal_kg_per_mwh")):
        if w.get(ledger) and col in s:
            cost = cost + w[ledger] * s[col].to_numpy() / 1e3
    return float(np.mean(cost))


def _voi(sim: Metrics, ref: Metrics, horizon_only: Metrics | None) -> Metrics:
    gap = sim["objective_usd"] - ref["objective_usd"]
    cost_gap = sim["total_cost_usd"] - ref["total_cost_usd"]
    items = [
        Metric("perfect_foresight_objective_usd", ref["objective_usd"], "USD",
               "Objective of the perfect-foresight run over the whole period"),
        Metric("foresight_gap_usd", gap, "USD",
               "Objective of this simulation minus perfect foresight (value of information)"),
        Metric("foresight_gap_total_cost_usd", cost_gap, "USD",
               "Total cost of this simulation minus perfect foresight"),
        Metric("foresight_gap_total_cost_pct",
               100 * cost_gap / ref["total_cost_usd"] if ref["total_cost_usd"] else np.nan, "%",
               "Total-cost gap relative to the perfect-foresight total cost"),
        Metric("foresight_gap_emissions_t",
               sim["emissions_average_t"] - ref["emissions_average_t"], "t CO2",
               "Emissions (average intensity) of this simulation minus perfect foresight"),
    ]
    if horizon_only is not None:
        items += [
            Metric("horizon_gap_usd", horizon_only["objective_usd"] - ref["objective_usd"],
                   "USD", "Gap of the same MPC on perfect forecasts: cost of the finite "
                   "look-ahead"),
            Metric("forecast_gap_usd", sim["objective_usd"] - horizon_only["objective_usd"],
                   "USD", "Rest of the gap: cost of forecast error"),
        ]
    return Metrics(items)


# ----------------------------------------------------------------------------- driver


def _make_policy(policy, plant: Plant, month_slots: int):
    if isinstance(policy, str):
        key = policy.strip().lower()
        if key == "mpc":
            return MpcPolicy(plant, month_slots)
        if key == "threshold":
            return ThresholdPolicy()
        if key == "baseline":
            return BaselinePolicy()
        raise ScenarioError(f"unknown policy {policy!r}; expected one of {', '.join(POLICIES)}",
                            field="simulate.policy")
    if not hasattr(policy, "plan"):
        raise ScenarioError(f"policy {policy!r} has no plan(plant, state, window) method",
                            field="simulate.policy")
    return policy


def simulate_inputs(
    inputs: Inputs,
    policy: str | object = "mpc",
    *,
    forecasts=None,
    horizon_h: float | None = 48.0,
    replan: str = "daily",
    replan_hour: float = 0.0,
    value_of_information: bool = True,
    progress: Callable[[int, int], None] | None = None,
) -> SimulationResult:
    """Rolling-horizon simulation of prepared inputs (the second half of :func:`simulate`)."""
    t_all = time.perf_counter()
    scen = inputs.scenario
    if (scen.optimization.emissions_basis == "marginal"
            and "carbon_marginal_kg_per_mwh" not in inputs.series):
        raise ScenarioError("emissions_basis 'marginal' needs carbon.marginal_kg_per_mwh",
                            file=scen.source_file, field="optimization.emissions_basis")
    T, dt = inputs.n_steps, inputs.step_hours
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    bau = baseline_schedule(inputs)
    for c in CONTEXT_COLUMNS:
        if c in inputs.series:
            bau[c] = inputs.series[c].to_numpy()
    plant = make_plant(inputs, bau["grid_import_mw"].to_numpy())
    timings["baseline"] = time.perf_counter() - t0

    starts = replan_steps(inputs, replan, replan_hour)
    n_apply = np.diff(np.append(starts, T))
    H = T if horizon_h is None else int(round(horizon_h / dt))
    if H < 1:
        raise ScenarioError(f"horizon must be at least one step, got {horizon_h} h",
                            field="simulate.horizon_h")
    if n_apply.max() > H:
        raise ScenarioError(
            f"horizon {horizon_h} h is shorter than the longest interval between re-plans "
            f"({n_apply.max() * dt:g} h)", field="simulate.horizon_h")
    lengths = np.minimum(H, T - starts)
    last = starts + lengths - 1
    month_slots = int(np.max(plant.month_of_step[last] - plant.month_of_step[starts])) + 1
    specs = resolve_forecasts(forecasts, inputs)
    forecaster = Forecaster(inputs, specs, H)
    pol = _make_policy(policy, plant, month_slots)
    name = getattr(pol, "name", type(pol).__name__)

    state = State.initial(plant)
    out = _new_out(plant)
    n_win = len(starts)
    rows: list[tuple] = []
    batch_names = [b.name for b in plant.batch]
    t_fc = t_plan = t_apply = highs = 0.0
    n_cols = max(1, len(specs))
    chunk = max(1, min(n_win, 2_000_000 // (H * n_cols)))
    t_loop = time.perf_counter()
    fc_rows: dict[str, np.ndarray] = {}
    for i in range(n_win):
        j = i % chunk
        if j == 0:
            t0 = time.perf_counter()
            fc_rows = forecaster.window(starts[i:i + chunk])
            t_fc += time.perf_counter() - t0
        s, n, L = int(starts[i]), int(n_apply[i]), int(lengths[i])
        window = Window(i, s, n, L, {c: v[j, :L] for c, v in fc_rows.items()})
        soc0 = state.soc_mwh
        backlog = [state.backlog_gpu_hours(plant, b) for b in batch_names]
        peak0 = (float(state.peaks_mw[0, plant.month_of_step[s]])
                 if len(plant.demand_charges) else np.nan)
        t0 = time.perf_counter()
        dec = pol.plan(plant, state, window)
        t_plan += time.perf_counter() - t0
        highs += dec.solve_seconds
        t0 = time.perf_counter()
        apply_decisions(plant, state, dec, s, n, out)
        t_apply += time.perf_counter() - t0
        rows.append((s, n, L, soc0, *backlog, peak0, dec.solve_seconds * 1e3, dec.iterations,
                     dec.new_structure, dec.planned_objective))
        if progress is not None:
            progress(i + 1, n_win)
    timings["loop"] = time.perf_counter() - t_loop
    timings["forecast"] = t_fc
    timings["plan"] = t_plan
    timings["apply"] = t_apply
    timings["highs_solve"] = highs
    timings["windows"] = float(n_win)

    t0 = time.perf_counter()
    schedule = pd.DataFrame(out.cols, index=inputs.index)
    for c in CONTEXT_COLUMNS:
        if c in inputs.series:
            schedule[c] = inputs.series[c].to_numpy()
    metrics, objective = _metrics(schedule, bau, inputs)
    base_metrics, _ = _metrics(bau, bau, inputs)
    comparison = compare_metrics(metrics, base_metrics)
    timings["metrics"] = time.perf_counter() - t0
    windows = pd.DataFrame(rows, columns=[
        "start_step", "steps_applied", "steps_planned", "soc_start_mwh",
        *[f"backlog_gpu_hours__{b}" for b in batch_names], "month_peak_start_mw",
        "highs_ms", "iterations", "new_structure", "planned_objective"])
    windows.insert(0, "start_utc", inputs.index[starts])
    extras: dict[str, np.ndarray] = {}
    if plant.demand_charges:
        for i, _ in enumerate(plant.demand_charges):
            extras[f"demand_peak_mw__{i}"] = state.peaks_mw[i].copy()
    if isinstance(pol, MpcPolicy):
        timings["structures"] = float(pol.templates_built)
    timings["simulate"] = time.perf_counter() - t_all

    voi = perfect = None
    if value_of_information:
        t0 = time.perf_counter()
        perfect = run_inputs(inputs)
        ref_metrics, _ = _metrics(perfect.schedule, perfect.baseline, inputs)
        horizon_only = None
        if name == "mpc" and not forecaster.all_perfect:
            horizon_only = simulate_inputs(
                inputs, "mpc", forecasts=None, horizon_h=horizon_h, replan=replan,
                replan_hour=replan_hour, value_of_information=False).metrics
        voi = _voi(metrics, ref_metrics, horizon_only)
        timings["value_of_information"] = time.perf_counter() - t0
    return SimulationResult(
        scenario=scen, inputs=inputs, schedule=schedule, baseline=bau, metrics=metrics,
        baseline_metrics=base_metrics, comparison=comparison, objective=objective,
        timings_s=timings, provenance=provenance(scen), extras=extras, policy=name,
        forecasts={c: s.describe() for c, s in specs.items()},
        horizon_h=float(H * dt), replan=replan if replan != "daily" else
        f"daily at {replan_hour:g}:00 local", windows=windows,
        value_of_information=voi, perfect_foresight=perfect,
    )


def simulate(
    scenario: Scenario | str | Path,
    policy: str | object = "mpc",
    *,
    forecasts: dict[str, ForecastSpec | str] | ForecastSpec | str | None = None,
    horizon_h: float | None = 48.0,
    replan: str = "daily",
    replan_hour: float = 0.0,
    value_of_information: bool = True,
    progress: Callable[[int, int], None] | None = None,
) -> SimulationResult:
    """Operate a scenario with a policy on forecasts, re-planning in a rolling horizon.

    Parameters
    ----------
    scenario : Scenario or path
    policy : {"mpc", "threshold", "baseline"} or policy object
        ``mpc`` optimizes each window; ``threshold`` is rule-based
        (:class:`~dcflex.studies.operate.policies.ThresholdPolicy`, pass an instance to set its
        percentiles); ``baseline`` is business-as-usual. Any object with
        ``plan(plant, state, window) -> Decisions`` works.
    forecasts : mapping, ForecastSpec, str or None
        Forecast per series (:func:`dcflex.studies.operate.forecast.resolve_forecasts`); perfect if
        None.
    horizon_h : float or None
        Look-ahead of each plan, h (None: to the end of the period).
    replan : str
        ``daily`` (at ``replan_hour`` local), ``hourly``, ``<N>h`` or ``once``.
    replan_hour : float
        Local hour of the daily re-plan.
    value_of_information : bool
        Also run perfect foresight (:func:`dcflex.studies.run.run_inputs`) and report the gap; for
        MPC on imperfect forecasts also the same MPC on perfect forecasts, to split the gap
        into horizon and forecast parts.
    progress : callable, optional
        Called as ``progress(done, total)`` after each window.

    Returns
    -------
    SimulationResult
        Same schedule, metrics and comparison as :func:`dcflex.studies.run.run`, plus the windows
        and the value of information.

    Raises
    ------
    ScenarioError, DataError
        For bad input or options.
    InfeasibleError
        If a window has no plan from the state reached, naming the window and the state.
    """
    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario)
    t0 = time.perf_counter()
    inputs = prepare(scenario)
    t_prepare = time.perf_counter() - t0
    result = simulate_inputs(inputs, policy, forecasts=forecasts, horizon_h=horizon_h,
                             replan=replan, replan_hour=replan_hour,
                             value_of_information=value_of_information, progress=progress)
    result.timings_s = {"prepare": t_prepare, **result.timings_s}
    return result
