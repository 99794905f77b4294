"""``run(scenario)``: one scenario, perfect foresight, with its business-as-usual twin.

scenario → prepare → build → solve → schedule → metrics, and the same metrics for the twin,
so every result says what flexibility was worth.
"""

from __future__ import annotations

import platform
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from dcflex.baseline import baseline_schedule
from dcflex.build import build
from dcflex.errors import InfeasibleError, ScenarioError
from dcflex.inputs import Inputs, prepare
from dcflex.metrics import Metric, Metrics, compare_metrics, compute_metrics, shifted_energy_mwh
from dcflex.model import LinearProgram
from dcflex.scenario import Scenario, load_scenario
from dcflex.solve import Solution, solve_lp

# Input series copied next to the decisions in the schedule, for plots and checks.
CONTEXT_COLUMNS = (
    "energy_price_usd_per_mwh", "carbon_avg_kg_per_mwh", "carbon_marginal_kg_per_mwh",
    "grid_cfe_fraction", "pue", "pv_available_mw", "wind_available_mw", "temp_air_c",
)


@dataclass
class Result:
    """Outcome of one run.

    Attributes
    ----------
    schedule : pandas.DataFrame
        Flexible schedule per step (UTC index): decisions and context series.
    baseline : pandas.DataFrame
        Business-as-usual schedule, same columns where they apply.
    metrics, baseline_metrics : Metrics
    comparison : pandas.DataFrame
        Flexible vs baseline per metric with the change.
    timings_s : dict
        Wall time of each pipeline stage and HiGHS's own solve time, s.
    provenance : dict
        Scenario hash, package versions, platform.
    """

    scenario: Scenario
    inputs: Inputs
    schedule: pd.DataFrame
    baseline: pd.DataFrame
    metrics: Metrics
    baseline_metrics: Metrics
    comparison: pd.DataFrame
    objective: float
    timings_s: dict[str, float] = field(default_factory=dict)
    provenance: dict[str, str] = field(default_factory=dict)
    extras: dict[str, np.ndarray] = field(default_factory=dict)


def provenance(scenario: Scenario) -> dict[str, str]:
    """Scenario hash and versions of the packages that shape the numbers."""
    import highspy
    import pvlib
    import scipy

    import dcflex

    return {
        "scenario_hash": scenario.scenario_hash(),
        "dcflex": dcflex.__version__,
        "highspy": getattr(highspy, "__version__", "unknown"),
        "numpy": np.__version__,
        "pandas": pd.__version__,
        "scipy": scipy.__version__,
        "pvlib": pvlib.__version__,
        "python": platform.python_version(),
    }


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


def _solve(lp: LinearProgram, inputs: Inputs) -> Solution:
    opt = inputs.scenario.optimization
    try:
        if opt.solver == "highs":
            return solve_lp(lp, opt.time_limit_s)
        from dcflex.pyomo_view import solve_with_pyomo

        return solve_with_pyomo(lp, opt.solver, opt.time_limit_s)
    except InfeasibleError:
        from dcflex.diagnose import diagnose

        raise InfeasibleError(diagnose(inputs)) from None


def run_inputs(inputs: Inputs) -> Result:
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
    sol = _solve(lp, inputs)
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


def run(scenario: Scenario | str | Path) -> Result:
    """Run one scenario with perfect foresight, plus its business-as-usual twin.

    Parameters
    ----------
    scenario : Scenario or path
        A validated scenario or the path of a scenario YAML file.

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
    result = run_inputs(inputs)
    result.timings_s = {"prepare": t_prepare, **result.timings_s}
    return result
