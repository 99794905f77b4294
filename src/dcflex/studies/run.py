"""``run(scenario)``: one scenario, perfect foresight, with its business-as-usual twin.

scenario → prepare → build → solve → schedule → metrics, and the same metrics for the twin,
so every result says what flexibility was worth.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from dcflex.errors import InfeasibleError, ScenarioError
from dcflex.model.build import build
from dcflex.model.inputs import Inputs, prepare
from dcflex.model.lp import LinearProgram
from dcflex.model.solve import Solution, solve_lp
from dcflex.model.twin import baseline_schedule
from dcflex.results.metrics import (
    Metric,
    Metrics,
    compare_metrics,
    compute_metrics,
    shifted_energy_mwh,
)
from dcflex.results.result import Result, provenance
from dcflex.scenario import Scenario, load_scenario

# Input series copied next to the decisions in the schedule, for plots and checks.
CONTEXT_COLUMNS = (
    "energy_price_usd_per_mwh", "carbon_avg_kg_per_mwh", "carbon_marginal_kg_per_mwh",
    "grid_cfe_fraction", "pue", "pv_available_mw", "wind_available_mw", "temp_air_c",
)


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
    for c in CONTEXT_COLUMNS:
        if c in inputs.series:
            schedule[c] = inputs.series[c].to_numpy()
    return schedule, extras


def _solve(lp: LinearProgram, inputs: Inputs,
           progress: Callable[[int], None] | None = None) -> Solution:
    opt = inputs.scenario.optimization
    try:
        if opt.solver == "highs":
            return solve_lp(lp, opt.time_limit_s, progress)
        from dcflex.model.pyomo_view import solve_with_pyomo

        return solve_with_pyomo(lp, opt.solver, opt.time_limit_s)
    except InfeasibleError:
        from dcflex.model.diagnose import diagnose

        raise InfeasibleError(diagnose(inputs)) from None


def run_inputs(inputs: Inputs, progress: Callable[[int], None] | None = None) -> Result:
    """Build, solve and report prepared inputs (the second half of :func:`run`)."""
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
    sol = _solve(lp, inputs, progress)
    timings["solve"] = time.perf_counter() - t0
    timings["highs_solve"] = sol.solve_seconds
    t0 = time.perf_counter()
    schedule, extras = schedule_from_solution(lp, sol.x, inputs)
    for c in CONTEXT_COLUMNS:
        if c in inputs.series:
            bau[c] = inputs.series[c].to_numpy()
    bau_imp = bau["grid_import_mw"].to_numpy()
    metrics = compute_metrics(schedule, inputs, bau_imp)
    base_metrics = compute_metrics(bau, inputs, bau_imp)
    shifted = Metric("shifted_energy_mwh", shifted_energy_mwh(schedule, bau, inputs.step_hours),
                     "MWh", "Workload energy moved in time or shed vs business-as-usual")
    metrics = Metrics([*metrics, shifted])
    base_metrics = Metrics([*base_metrics, Metric(shifted.name, 0.0, "MWh", shifted.description)])
    comparison = compare_metrics(metrics, base_metrics)
    timings["metrics"] = time.perf_counter() - t0
    return Result(
        scenario=scen,
        inputs=inputs,
        schedule=schedule,
        baseline=bau,
        metrics=metrics,
        baseline_metrics=base_metrics,
        comparison=comparison,
        objective=sol.objective,
        timings_s=timings,
        provenance=provenance(scen),
        extras=extras,
    )


def run(scenario: Scenario | str | Path, progress: Callable[[int], None] | None = None
        ) -> Result:
    """Run one scenario with perfect foresight, plus its business-as-usual twin.

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
    result = run_inputs(inputs, progress)
    result.timings_s = {"prepare": t_prepare, **result.timings_s}
    return result
