"""``run(scenario)``: one scenario, perfect foresight, with its counterfactual ladder.

scenario → prepare → build → solve → schedule → metrics, priced three times under the same
contract (:mod:`dcflex.results.counterfactuals`): (0) the business-as-usual twin, (1) the same
LP with the workload fixed to the twin's and the battery dispatched — re-solved on the same
HiGHS object, no second build — and (2) fully flexible. Every result says what the battery and the
workload's flexibility were each worth, net of the work given up.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from dcflex.errors import InfeasibleError, ScenarioError, SolverError
from dcflex.model.build import build
from dcflex.model.inputs import Inputs, prepare
from dcflex.model.lp import LinearProgram
from dcflex.model.solve import make_highs, run_highs, watch_progress
from dcflex.model.twin import baseline_schedule
from dcflex.results.counterfactuals import (
    CONTEXT_COLUMNS,
    RUNG_LABELS,
    Ladder,
    Rung,
    add_context,
    citizen_warnings,
    enrolled_rungs,
    fix_workload_to_twin,
    has_workload_decision,
    rung_zero,
    schedule_from_solution,
    twin_is_rung_one,
    value_metrics,
)
from dcflex.results.metrics import (
    Metric,
    Metrics,
    compare_metrics,
    compute_metrics,
    shifted_energy_mwh,
)
from dcflex.results.result import Result, provenance
from dcflex.scenario import Scenario, load_scenario

__all__ = ["CONTEXT_COLUMNS", "Result", "provenance", "run", "run_inputs",
           "schedule_from_solution"]


def _diagnosed(inputs: Inputs) -> InfeasibleError:
    from dcflex.model.diagnose import diagnose

    return InfeasibleError(diagnose(inputs))


def _solve(lp: LinearProgram, inputs: Inputs,
           progress: Callable[[int], None] | None = None):
    """Solve the flexible LP; return the solution and the HiGHS object (None via Pyomo)."""
    opt = inputs.scenario.optimization
    try:
        if opt.solver == "highs":
            h = make_highs(lp, opt.time_limit_s)
            if progress is not None:
                watch_progress(h, progress)
            return run_highs(h, lp.num_col), h
        from dcflex.model.pyomo_view import solve_with_pyomo

        return solve_with_pyomo(lp, opt.solver, opt.time_limit_s), None
    except InfeasibleError:
        raise _diagnosed(inputs) from None


def _with_shifted(metrics: Metrics, value: float) -> Metrics:
    return Metrics([*metrics, Metric("shifted_energy_mwh", value, "MWh",
                                     "Workload energy moved in time or shed vs "
                                     "business-as-usual")])


def _rung_one(lp: LinearProgram, h, r0: Rung, r2: Rung, inputs: Inputs,
              enrolled: bool) -> Rung:
    """Rung 1: reuse a rung that provably coincides, or re-solve the same HiGHS model."""
    if not has_workload_decision(inputs):
        return Rung(1, RUNG_LABELS[1], r2.schedule, r2.metrics, r2.enrolled,
                    "same as rung 2 (no workload decision: every class is must-serve)")
    if twin_is_rung_one(inputs):
        return Rung(1, RUNG_LABELS[1], r0.schedule, r0.metrics, False,
                    "same as rung 0 (no battery, no supply behind the meter, no export worth "
                    "more than import: nothing left to dispatch)")
    if h is None:
        # a Pyomo solver holds no model to re-solve; rung 1 is built and solved afresh
        h = make_highs(lp, inputs.scenario.optimization.time_limit_s)
    fix_workload_to_twin(h, lp, r0.schedule, inputs, enrolled)
    # HiGHS hot-starts from a basis without presolve; with the workload fixed, presolve removes
    # most of the LP, and dropping the basis measured twice as fast (CAISO 2023: 1.3-1.9 s
    # against 3.3-4.2 s for the hot start; ERGO-Code/HiGHS#3138 describes the trade-off)
    h.clearSolver()
    try:
        sol1 = run_highs(h, lp.num_col)
    except InfeasibleError:
        raise SolverError("rung 1 (the twin's workload with the battery dispatched) came out "
                          "infeasible, which its construction rules out; please report it"
                          ) from None
    schedule, _ = schedule_from_solution(lp, sol1.x, inputs)
    twin_imp = r0.schedule["grid_import_mw"].to_numpy()
    metrics = compute_metrics(schedule, inputs, twin_imp, enrolled=enrolled)
    return Rung(1, RUNG_LABELS[1], schedule, metrics, enrolled, "re-solve of the same model",
                sol1.solve_seconds)


def run_inputs(inputs: Inputs, counterfactuals: bool = True,
               progress: Callable[[int], None] | None = None) -> Result:
    """Build, solve and report prepared inputs (the second half of :func:`run`).

    Parameters
    ----------
    counterfactuals : bool
        Also price rung 1 of the ladder (one re-solve of the same model at most). Without
        it the result has no values (a feasibility probe, e.g. the SLO-headroom search,
        needs none).
    progress : callable, optional
        Called with HiGHS's simplex iteration count each time it logs progress.
    """
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    bau = baseline_schedule(inputs)
    timings["baseline"] = time.perf_counter() - t0
    scen = inputs.scenario
    if (scen.optimization.emissions_basis == "marginal"
            and "carbon_marginal_kg_per_mwh" not in inputs.series):
        raise ScenarioError("emissions_basis 'marginal' needs carbon.marginal_kg_per_mwh",
                            file=scen.source_file, field="optimization.emissions_basis")
    t0 = time.perf_counter()
    lp = build(inputs)
    timings["build"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    sol, h = _solve(lp, inputs, progress)
    timings["solve"] = time.perf_counter() - t0
    timings["highs_solve"] = sol.solve_seconds
    t0 = time.perf_counter()
    schedule, extras = schedule_from_solution(lp, sol.x, inputs)
    add_context(bau, inputs)
    bau_imp = bau["grid_import_mw"].to_numpy()
    enrolled_1, enrolled_2 = enrolled_rungs(inputs)
    r0 = rung_zero(inputs, bau)
    r2 = Rung(2, RUNG_LABELS[2], schedule,
              compute_metrics(schedule, inputs, bau_imp, enrolled=enrolled_2), enrolled_2, "lp",
              sol.solve_seconds)
    timings["metrics"] = time.perf_counter() - t0
    ladder = None
    if counterfactuals:
        t0 = time.perf_counter()
        r1 = _rung_one(lp, h, r0, r2, inputs, enrolled_1)
        timings["rung_1"] = time.perf_counter() - t0
        timings["highs_rung_1"] = r1.highs_seconds
        ladder = Ladder([r0, r1, r2], value_metrics(r0, r1, r2), citizen_warnings(r0, r2, inputs))
    shifted = shifted_energy_mwh(schedule, bau, inputs.step_hours)
    metrics = _with_shifted(r2.metrics, shifted)
    base_metrics = _with_shifted(r0.metrics, 0.0)
    return Result(
        scenario=scen,
        inputs=inputs,
        schedule=schedule,
        baseline=bau,
        metrics=metrics,
        baseline_metrics=base_metrics,
        comparison=compare_metrics(metrics, base_metrics),
        objective=sol.objective,
        timings_s=timings,
        provenance=provenance(scen),
        extras=extras,
        values=ladder.values if ladder else Metrics([]),
        ladder=ladder,
        warnings=ladder.warnings if ladder else [],
    )


def run(scenario: Scenario | str | Path, progress: Callable[[int], None] | None = None
        ) -> Result:
    """Run one scenario with perfect foresight, plus its counterfactual ladder.

    Parameters
    ----------
    scenario : Scenario or path
        A validated scenario or the path of a scenario YAML file.
    progress : callable, optional
        Called with HiGHS's simplex iteration count each time it logs progress (every few
        seconds of a long solve).

    Returns
    -------
    Result
        Flexible and business-as-usual schedules and metrics, ``values`` (battery, workload
        flexibility and total flexibility value, net of the work value change), the ``ladder``
        they come from and good-grid-citizen ``warnings``.

    Raises
    ------
    ScenarioError, DataError
        For bad input, naming file and field.
    InfeasibleError
        With a diagnosis of which requirement collides with which limit.
    """
    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario)
    t0 = time.perf_counter()
    inputs = prepare(scenario)
    t_prepare = time.perf_counter() - t0
    result = run_inputs(inputs, progress=progress)
    result.timings_s = {"prepare": t_prepare, **result.timings_s}
    return result
