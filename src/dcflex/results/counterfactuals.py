"""The counterfactual ladder: what the battery and the workload's flexibility are each worth.

Every run is priced three times under the same tariff, contracts and supply:

0. **inflexible, battery idle** — the business-as-usual twin (:mod:`dcflex.model.twin`);
1. **inflexible workload, battery dispatched** — the same LP with every workload decision
   fixed to the twin's, solved again on the same HiGHS object (column and row bounds and
   costs changed in bulk, then ``run()``; no second build): the battery, and the routing of
   on-site supply and exports, are the only decisions left;
2. **fully flexible** — the LP as built.

The value of a step is the fall in *net cost*: total cost minus the value of the training
delivered (degradation penalties for unserved inference are in the total cost), so work given
up to save money is netted out. ``battery_value_usd`` = C0 − C1,
``workload_flexibility_value_usd`` = C1 − C2, ``flexibility_value_usd`` = C0 − C2; the work
value change (rung 2 against rung 0, none at rung 1) is its own line.

Enrolment in demand response follows :func:`dcflex.model.components.events.can_flex`: rung 0
is not enrolled, rung 1 is when it has a battery, rung 2 when the site can flex. Rung 1 keeps
the twin's tolerance of limits the twin breaks (it runs the same workload): its import may
reach the twin's where the twin exceeds the interconnection limit, an import cap or a hard
demand-response cap, and a clean-energy target (a requirement of the flexible schedule) does
not bind it.

Rungs that provably coincide are not solved twice: with no workload decision (must-serve
inference only) rung 2 is rung 1; with no battery, no supply behind the meter and no export
worth more than import, rung 1 is the twin. The :class:`Rung` record says which.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from dcflex.errors import SolverError
from dcflex.model.components.events import can_flex
from dcflex.model.lp import LinearProgram
from dcflex.model.prepared import Inputs
from dcflex.results.metrics import Metric, Metrics, compute_metrics, monthly_peaks

#: Input series copied next to the decisions in a schedule, for plots and checks.
CONTEXT_COLUMNS = (
    "energy_price_usd_per_mwh", "carbon_avg_kg_per_mwh", "carbon_marginal_kg_per_mwh",
    "grid_cfe_fraction", "pue", "pv_available_mw", "wind_available_mw", "temp_air_c",
)

#: Per-step workload decisions the twin fixes (schedule column prefixes).
WORKLOAD_DECISIONS = ("inference_it_mw__", "training_it_mw__", "training_throughput__",
                      "batch_it_mw__")

RUNG_LABELS = (
    "inflexible, battery idle (business-as-usual twin)",
    "inflexible workload, battery dispatched",
    "fully flexible",
)


@dataclass
class Rung:
    """One rung of the ladder.

    Attributes
    ----------
    index : int
        0, 1 or 2.
    label : str
    schedule : pandas.DataFrame
    metrics : Metrics
    enrolled : bool
        Enrolled in demand-response programmes.
    solved : str
        How it was obtained: ``twin`` (numpy rule), ``lp`` (the flexible solve),
        ``re-solve of the same model`` (rung 1 on the same HiGHS object) or
        ``same as rung N (why)``.
    highs_seconds : float
        HiGHS time spent on this rung, s.
    """

    index: int
    label: str
    schedule: pd.DataFrame
    metrics: Metrics
    enrolled: bool
    solved: str
    highs_seconds: float = 0.0

    @property
    def net_cost_usd(self) -> float:
        return self.metrics["net_cost_usd"]

    @property
    def work_value_usd(self) -> float:
        """Training value delivered minus degradation penalties, USD."""
        m = self.metrics
        return m.get("training_value_usd", 0.0) - m["degradation_penalty_usd"]


@dataclass
class Ladder:
    """The three rungs, the values between them and the good-grid-citizen warnings."""

    rungs: list[Rung]
    values: Metrics
    warnings: list[str] = field(default_factory=list)

    def table(self) -> pd.DataFrame:
        """One row per rung: net cost, its parts, enrolment and how it was obtained."""
        rows = []
        for r in self.rungs:
            m = r.metrics
            rows.append({"rung": f"({r.index}) {r.label}", "total_cost_usd": m["total_cost_usd"],
                         "work_value_usd": r.work_value_usd, "net_cost_usd": r.net_cost_usd,
                         "dr_enrolled": "yes" if r.enrolled else "no", "solved": r.solved})
        return pd.DataFrame(rows).set_index("rung")


def schedule_from_solution(lp: LinearProgram, x: np.ndarray, inputs: Inputs
                           ) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
    """Per-step blocks become schedule columns; other blocks are returned as extras."""
    cols, extras = {}, {}
    for name, block in lp.blocks.items():
        values = lp.values(x, name)
        if block.per_step:
            cols[name] = values
        else:
            extras[name] = values
    schedule = pd.DataFrame(cols, index=inputs.index)
    add_context(schedule, inputs)
    return schedule, extras


def add_context(schedule: pd.DataFrame, inputs: Inputs) -> pd.DataFrame:
    """Copy the context input series next to a schedule's decisions (in place)."""
    for c in CONTEXT_COLUMNS:
        if c in inputs.series:
            schedule[c] = inputs.series[c].to_numpy()
    return schedule


def has_workload_decision(inputs: Inputs) -> bool:
    """False if every class is must-serve inference that may not be degraded: the LP's
    workload columns are then fixed by their bounds, and rung 2 is rung 1."""
    return any(c.kind != "inference" or c.degradable_share > 0
               for c in inputs.scenario.workload.classes.values())


def twin_is_rung_one(inputs: Inputs) -> bool:
    """True if fixing the workload leaves the LP no decision that changes cost: no battery,
    no supply behind the meter (PV, wind, a direct line, whose use the twin fixes first) and
    no export that could pay more than the import it takes."""
    scen = inputs.scenario
    if scen.battery is not None or scen.solar is not None or scen.wind is not None:
        return False
    if scen.ppa is not None and scen.ppa.kind == "direct_line":
        return False
    if scen.grid.export_limit_mw > 0:
        s = inputs.series
        if np.any(s["export_price_usd_per_mwh"].to_numpy()
                  > s["energy_price_usd_per_mwh"].to_numpy()):
            return False
    return True


def fix_workload_to_twin(h, lp: LinearProgram, twin: pd.DataFrame, inputs: Inputs,
                         enrolled: bool) -> None:
    """Turn the flexible LP held by ``h`` into rung 1, in place (bounds and costs in bulk).

    The workload columns get lb = ub = the twin's values; limits the twin breaks are widened
    to the twin's import; the clean-energy target is dropped; and if rung 1 is not enrolled
    while the LP is, demand-response payments and penalties cost nothing.
    """
    cols, lo, hi = [], [], []

    def set_cols(idx: np.ndarray, lb: np.ndarray, ub: np.ndarray) -> None:
        cols.append(idx)
        lo.append(lb)
        hi.append(ub)

    for name, block in lp.blocks.items():
        if block.per_step and name.startswith(WORKLOAD_DECISIONS) and name in twin:
            v = twin[name].to_numpy(dtype=float)
            set_cols(block.cols, v, v)
    imp_block = lp.blocks["grid_import_mw"]
    twin_imp = twin["grid_import_mw"].to_numpy(dtype=float)
    set_cols(imp_block.cols, lp.col_lb[imp_block.cols],
             np.maximum(lp.col_ub[imp_block.cols], twin_imp))
    idx = np.concatenate(cols)
    _check(h.changeColsBounds(len(idx), idx.astype(np.int32), np.concatenate(lo),
                              np.concatenate(hi)))
    rows, rlo, rhi = [], [], []
    for name, rb in lp.row_blocks.items():
        r = np.arange(rb.start, rb.start + rb.size)
        if name.startswith("dr_hard_cap__"):
            # the row holds import columns only: its activity at the twin's import
            act = lp.A[r][:, imp_block.cols] @ twin_imp
            rows.append(r)
            rlo.append(lp.row_lb[r])
            rhi.append(np.maximum(lp.row_ub[r], act))
        elif name == "cfe_target":
            rows.append(r)
            rlo.append(np.full(len(r), -np.inf))
            rhi.append(lp.row_ub[r])
    if rows:
        ridx = np.concatenate(rows)
        _check(h.changeRowsBounds(len(ridx), ridx.astype(np.int32), np.concatenate(rlo),
                                  np.concatenate(rhi)))
    if not enrolled:
        dr = [b.cols for n, b in lp.blocks.items()
              if n.startswith(("dr_shortfall_mw__", "dr_reduction_mw__"))]
        if dr:
            d = np.concatenate(dr)
            _check(h.changeColsCost(len(d), d.astype(np.int32), np.zeros(len(d))))


def _check(status) -> None:
    import highspy

    if status == highspy.HighsStatus.kError:
        raise SolverError("HiGHS refused a change of the model for rung 1")


def value_metrics(r0: Rung, r1: Rung, r2: Rung) -> Metrics:
    """The values between the rungs, each with unit, description and what it includes."""
    c0, c1, c2 = r0.net_cost_usd, r1.net_cost_usd, r2.net_cost_usd
    work = r2.work_value_usd - r0.work_value_usd
    bill = "energy, demand, fixed and PPA charges, export revenue, demand-response payments " \
           "and penalties, battery wear, carbon cost"
    return Metrics([
        Metric("flexibility_value_usd", c0 - c2, "USD",
               "Net cost of the business-as-usual twin minus that of the flexible schedule "
               "(rung 0 − rung 2) = battery_value_usd + workload_flexibility_value_usd",
               f"{bill}; net of work_value_change_usd"),
        Metric("battery_value_usd", c0 - c1, "USD",
               "What dispatching the battery (and on-site supply) saves with the workload run "
               "as usual (rung 0 − rung 1)",
               f"{bill}; demand-response earnings only if the battery makes the site enrolled; "
               "no work value change (the workload is the twin's)"),
        Metric("workload_flexibility_value_usd", c1 - c2, "USD",
               "What moving, capping and shedding the workload saves on top of the "
               "dispatched battery (rung 1 − rung 2)", f"{bill}; net of work_value_change_usd"),
        Metric("work_value_change_usd", work, "USD",
               "Change in delivered work value of the flexible schedule against the twin "
               "(negative: work given up), already netted in the values above",
               "training value delivered (value_usd_per_gpu_hour × GPU-hours) minus "
               "degradation penalties for unserved inference"),
        Metric("bill_saving_usd", (c0 - c2) - work, "USD",
               "Saving on the bill of the flexible schedule against the twin, before netting "
               "the work value change (flexibility_value_usd − work_value_change_usd)", bill),
    ])


def citizen_warnings(r0: Rung, r2: Rung, inputs: Inputs) -> list[str]:
    """Warnings when the flexible schedule raises a monthly peak or emissions above the twin's."""
    out = []
    flex = monthly_peaks(r2.schedule, inputs)
    twin = monthly_peaks(r0.schedule, inputs)
    up = (flex - twin)[flex > twin + 1e-6]
    if len(up):
        worst = up.idxmax()
        out.append(
            f"the flexible schedule raises the monthly import peak above business-as-usual in "
            f"{len(up)} month(s) (most in {worst}: {flex[worst]:.4g} MW against "
            f"{twin[worst]:.4g} MW); grid.peak_not_above_baseline: true forbids it")
    d_em = r2.metrics["emissions_average_t"] - r0.metrics["emissions_average_t"]
    if d_em > 1e-6:
        out.append(f"the flexible schedule emits {d_em:,.1f} t CO2 more than business-as-usual "
                   f"(location-based, grid average intensity)")
    avoided = r2.metrics["avoided_emissions_marginal_t"]
    if np.isfinite(avoided) and avoided < -1e-6:
        out.append(f"the flexible schedule adds {-avoided:,.1f} t CO2 at marginal intensity "
                   f"against business-as-usual")
    return out


def fixed_workload_inputs(inputs: Inputs, twin: pd.DataFrame) -> Inputs:
    """The site with its workload replaced by one must-serve class drawing the twin's IT
    power: rung 1 for a driver that cannot re-solve one LP (the rolling-horizon simulation
    runs its policy on these inputs). Battery, supply, tariff, contracts and paid events are
    unchanged; as in :func:`fix_workload_to_twin`, limits the twin breaks are widened to its
    import (import caps and hard demand-response caps, at the baseline on the twin's import,
    are folded into ``import_limit_mw``; a hard event keeps its payment with a zero penalty)
    and the clean-energy target is dropped. The training value the twin delivers is not in
    these inputs' metrics: price the result on the original inputs."""
    import dataclasses

    from dcflex.model.components.events import event_windows, import_cap_series
    from dcflex.model.components.workload import ClassParams
    from dcflex.scenario import Events, InferenceClass, Workload

    scen = inputs.scenario
    it = twin["it_power_mw"].to_numpy(dtype=float)
    twin_imp = twin["grid_import_mw"].to_numpy(dtype=float)
    top = max(float(it.max()), 1e-9)
    workload = Workload(gpu=scen.workload.gpu,
                        classes={"fixed": InferenceClass(servers=1, utilization=1.0)})
    series = inputs.series.drop(columns=[c for c in inputs.series
                                         if c.startswith("inference_demand_mw__")])
    series["inference_demand_mw__fixed"] = it
    limit = np.minimum(series["import_limit_mw"].to_numpy(dtype=float),
                       import_cap_series(inputs))
    for w in event_windows(inputs, twin_imp):
        if w.hard and len(w.steps):
            limit[w.steps] = np.minimum(limit[w.steps], w.cap_mw(twin_imp))
    series["import_limit_mw"] = np.maximum(limit, twin_imp)
    events = Events(demand_response=[
        ev.model_copy(update={"shortfall_penalty_usd_per_mwh": 0.0})
        if ev.shortfall_penalty_usd_per_mwh is None else ev
        for ev in scen.events.demand_response])
    params = dict(inputs.params)
    params["workload"] = {
        "classes": {"fixed": ClassParams(
            name="fixed", kind="inference", n_servers=1, n_gpus=1, overhead_idle_mw=0.0,
            overhead_full_mw=0.0, gpu_idle_mw=0.0, gpu_tdp_mw=top)},
        "releases": {}}
    fixed = scen.model_copy(update={
        "workload": workload, "events": events,
        "carbon": scen.carbon.model_copy(update={"cfe_target": None})})
    return dataclasses.replace(
        inputs, scenario=fixed, series=series,
        units={**inputs.units, "inference_demand_mw__fixed": "MW"}, params=params)


def rung_zero(inputs: Inputs, twin: pd.DataFrame) -> Rung:
    """The business-as-usual twin, not enrolled."""
    imp = twin["grid_import_mw"].to_numpy()
    return Rung(0, RUNG_LABELS[0], twin, compute_metrics(twin, inputs, imp, enrolled=False),
                False, "twin")


def enrolled_rungs(inputs: Inputs) -> tuple[bool, bool]:
    """Enrolment of rungs 1 and 2 (a battery; a battery or a workload decision)."""
    return inputs.scenario.battery is not None, can_flex(inputs.scenario)
