"""Accounting of a simulated schedule: objective, metrics, value of information, result.

The stitched schedule of every policy is priced by the same metrics as
:func:`dcflex.studies.run.run`; :func:`schedule_objective` evaluates the scenario's objective on
it, so that it can be compared with the perfect-foresight optimum (the value of information,
see :class:`SimulationResult`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from dcflex.model.inputs import Inputs
from dcflex.results.metrics import (
    Metric,
    Metrics,
    compute_metrics,
    shifted_energy_mwh,
    training_value_usd,
)
from dcflex.studies.run import Result


@dataclass
class SimulationResult(Result):
    """A :class:`~dcflex.studies.run.Result` of a rolling-horizon simulation, plus its windows
    and the gap to perfect foresight.

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


def schedule_objective(schedule: pd.DataFrame, inputs: Inputs, metrics: Metrics) -> float:
    """The scenario's objective evaluated on a schedule through the metrics' bookkeeping.

    Equal to the LP objective of :func:`dcflex.studies.run.run` for its own schedule (costs
    minus the value of training throughput, plus weighted emissions), so any policy's schedule
    can be compared with the perfect-foresight optimum on the same footing.
    """
    from dcflex.model.build import objective_weights

    w = objective_weights(inputs)
    s = inputs.series
    marginal = (float((s["carbon_marginal_kg_per_mwh"].to_numpy()
                       * schedule["grid_import_mw"].to_numpy()).sum() * inputs.step_hours / 1e3)
                if "carbon_marginal_kg_per_mwh" in s else float("nan"))
    terms = {
        "cost_usd": metrics["total_cost_usd"] - metrics["carbon_cost_usd"],
        "value_usd": training_value_usd(schedule, inputs),
        "emissions_avg_t": metrics["emissions_average_t"],
        "emissions_marginal_t": marginal,
    }
    # the tie-break ledger holds tiny preferences, not costs: it is not part of the bill
    return float(sum(weight * terms[k] for k, weight in w.items() if weight and k in terms))


def _metrics(schedule: pd.DataFrame, bau: pd.DataFrame, inputs: Inputs,
             enrolled: bool | None = None) -> tuple[Metrics, float]:
    bau_imp = bau["grid_import_mw"].to_numpy()
    m = compute_metrics(schedule, inputs, bau_imp, enrolled=enrolled)
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
