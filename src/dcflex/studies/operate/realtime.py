"""The real-time layer: apply a policy's decisions to the actual series.

Battery, training power, batch GPUs and the shed share of degradable inference are applied as
planned; inference serves the actual demand; facility power follows the actual PUE; on-site
supply is used up to what the plan used (more if the site would otherwise import at a positive
cost); a surplus is exported when the export price is positive (up to the export limit), else
the battery discharges less and the rest is curtailed. If import would exceed its limit, the
battery charges less, then discharges more, then training slows towards idle, then degradable
inference is shed; what is left is reported as ``import_limit_excess_mwh``. With a planned
import, the battery also guards the billing month's peak (:func:`_guard_levels`).

:func:`apply_decisions` writes the operated steps into the full-period schedule and advances
the :class:`~dcflex.studies.operate.policies.State` exactly.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dcflex.model.components.facility import fixed_overhead_mw
from dcflex.studies.operate.policies import Decisions, Plant, State

_TOL = 1e-7


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
    overhead = fixed_overhead_mw(plant.inputs)
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
    overhead = fixed_overhead_mw(plant.inputs)
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
