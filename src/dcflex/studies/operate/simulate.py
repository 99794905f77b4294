"""``simulate(scenario, policy=...)``: operate the site on forecasts, not on hindsight.

At every re-plan (default daily at local midnight; hourly or every N hours possible) the policy
plans the look-ahead window (default 48 h) on forecasts
(:mod:`dcflex.studies.operate.forecast`); the decisions for the steps until the next re-plan are
applied to the *actual* series (:mod:`dcflex.studies.operate.realtime`), and the state is
carried forward exactly: battery charge, each batch release's remaining work, throughput
delivered in each training SLO window, the peak import already reached in each billing month
and the clean-energy surplus. The stitched schedule is priced by the same metrics as
:func:`dcflex.studies.run.run`, for every policy, and compared with the perfect-foresight
optimum of ``run`` (the value of information; :mod:`dcflex.studies.operate.accounting`).

The window LP and what it approximates are described in
:mod:`dcflex.studies.operate.policies.mpc`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from dcflex.errors import ScenarioError
from dcflex.model.inputs import Inputs, prepare
from dcflex.model.twin import baseline_schedule
from dcflex.results.metrics import Metrics, compare_metrics
from dcflex.scenario import Scenario, load_scenario
from dcflex.studies.operate.accounting import (
    SimulationResult,
    _metrics,
    _voi,
    schedule_objective,
    training_value_usd,
)
from dcflex.studies.operate.forecast import Forecaster, ForecastSpec, resolve_forecasts
from dcflex.studies.operate.ladder import simulated_ladder
from dcflex.studies.operate.policies import (
    BaselinePolicy,
    MpcPolicy,
    Plant,
    State,
    ThresholdPolicy,
    Window,
    make_plant,
)
from dcflex.studies.operate.realtime import _new_out, apply_decisions
from dcflex.studies.run import CONTEXT_COLUMNS, provenance, run_inputs

__all__ = [
    "POLICIES",
    "SimulationResult",
    "apply_decisions",
    "replan_steps",
    "schedule_objective",
    "simulate",
    "simulate_inputs",
    "training_value_usd",
]

POLICIES = ("mpc", "threshold", "baseline")


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
    counterfactuals: bool = True,
) -> SimulationResult:
    """Rolling-horizon simulation of prepared inputs (the second half of :func:`simulate`).

    With ``counterfactuals`` the result carries the same value split as :func:`run`
    (:mod:`dcflex.studies.operate.ladder`; rung 1 may take a second simulation)."""
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
    if scen.ppa is not None and scen.ppa.kind != "direct_line":
        from dcflex.model.components.ppa import counted_mw

        schedule["ppa_used_mw"] = counted_mw(
            inputs, schedule["grid_import_mw"].to_numpy(),
            schedule["grid_export_mw"].to_numpy() if "grid_export_mw" in schedule else 0.0)
    for c in CONTEXT_COLUMNS:
        if c in inputs.series:
            schedule[c] = inputs.series[c].to_numpy()
    metrics, objective = _metrics(schedule, bau, inputs)
    base_metrics, _ = _metrics(bau, bau, inputs, enrolled=False)
    comparison = compare_metrics(metrics, base_metrics)
    timings["metrics"] = time.perf_counter() - t0
    ladder = None
    if counterfactuals:
        t0 = time.perf_counter()

        def simulate_fixed(fixed: Inputs) -> pd.DataFrame:
            return simulate_inputs(fixed, policy, forecasts=forecasts, horizon_h=horizon_h,
                                   replan=replan, replan_hour=replan_hour,
                                   value_of_information=False, counterfactuals=False).schedule

        ladder = simulated_ladder(inputs, bau, schedule, metrics, simulate_fixed)
        timings["rung_1"] = time.perf_counter() - t0
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
        perfect = run_inputs(inputs, counterfactuals=False)
        ref_metrics, _ = _metrics(perfect.schedule, perfect.baseline, inputs)
        horizon_only = None
        if name == "mpc" and not forecaster.all_perfect:
            horizon_only = simulate_inputs(
                inputs, "mpc", forecasts=None, horizon_h=horizon_h, replan=replan,
                replan_hour=replan_hour, value_of_information=False,
                counterfactuals=False).metrics
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
        values=ladder.values if ladder else Metrics([]), ladder=ladder,
        warnings=ladder.warnings if ladder else [],
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
    counterfactuals: bool = True,
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
    counterfactuals : bool
        Split the value of flexibility into battery and workload parts as :func:`run` does;
        rung 1 (the twin's workload, the battery operated by the same policy) is a second
        simulation when the site has both a battery and a workload decision.

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
                             value_of_information=value_of_information, progress=progress,
                             counterfactuals=counterfactuals)
    result.timings_s = {"prepare": t_prepare, **result.timings_s}
    return result
