"""Metrics of a schedule: energy, cost, emissions, clean-energy matching, peaks, work done.

Every metric is computed from the schedule DataFrame and the inputs alone (not from solver
internals), so the flexible schedule and its business-as-usual twin are priced by the same
bookkeeping; a test checks this bookkeeping against the LP's own objective ledgers. Each
metric carries its unit and a description. Contracts are settled as signed
(:mod:`dcflex.results.settlement`): demand-response programmes against the schedule's own
customer baseline and only for an enrolled site, a PPA by its kind.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pandas as pd

from dcflex.model.components.events import can_flex, import_cap_series
from dcflex.model.components.ppa import counted_mw, settlement_usd
from dcflex.model.components.tariff import billing_months, fixed_charge_usd
from dcflex.model.prepared import Inputs
from dcflex.results.settlement import (
    avoided_marginal_emissions_t,
    demand_charges_usd,
    dr_settlement,
    market_based_emissions_t,
)
from dcflex.results.water import water_metrics


@dataclass(frozen=True)
class Metric:
    """One number with its unit and meaning (and, for a value, what it includes)."""

    name: str
    value: float
    unit: str
    description: str
    includes: str = ""


class Metrics:
    """An ordered set of :class:`Metric` (look up values with ``metrics["total_cost_usd"]``)."""

    def __init__(self, items: list[Metric]) -> None:
        self._items = {m.name: m for m in items}

    def __getitem__(self, name: str) -> float:
        return self._items[name].value

    def __contains__(self, name: str) -> bool:
        return name in self._items

    def get(self, name: str, default: float = float("nan")) -> float:
        """Value of ``name``, or ``default`` if the schedule has no such metric."""
        return self._items[name].value if name in self._items else default

    def __iter__(self) -> Iterator[Metric]:
        return iter(self._items.values())

    def __len__(self) -> int:
        return len(self._items)

    def metric(self, name: str) -> Metric:
        return self._items[name]

    def as_dict(self) -> dict[str, float]:
        return {m.name: m.value for m in self}

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame(
            [(m.value, m.unit, m.description) for m in self],
            index=pd.Index([m.name for m in self], name="metric"),
            columns=["value", "unit", "description"],
        )


def _col(schedule: pd.DataFrame, name: str) -> np.ndarray:
    return schedule[name].to_numpy() if name in schedule else np.zeros(len(schedule))


def monthly_peaks(schedule: pd.DataFrame, inputs: Inputs,
                  column: str = "grid_import_mw") -> pd.Series:
    """Highest value of ``column`` in each local billing month, MW."""
    local = inputs.local_index
    month_of_step, months = billing_months(local)
    values = pd.Series(_col(schedule, column)).groupby(month_of_step).max()
    return pd.Series(values.to_numpy(), index=months.astype(str), name=f"peak_{column}")


def training_value_usd(schedule: pd.DataFrame, inputs: Inputs) -> float:
    """Value of the training throughput delivered, USD (the LP's ``value_usd`` ledger):
    value_usd_per_gpu_hour × GPUs × Σ throughput × Δt."""
    total = 0.0
    for name, cls in inputs.scenario.workload.classes.items():
        if cls.kind == "training":
            n_gpus = inputs.params["workload"]["classes"][name].n_gpus
            x = _col(schedule, f"training_throughput__{name}")
            total += cls.value_usd_per_gpu_hour * n_gpus * float(x.sum()) * inputs.step_hours
    return total


def compute_metrics(schedule: pd.DataFrame, inputs: Inputs,
                    twin_import_mw: np.ndarray | None = None,
                    enrolled: bool | None = None) -> Metrics:
    """Metrics of a schedule.

    Parameters
    ----------
    schedule : pandas.DataFrame
        Per-step columns as produced by :func:`dcflex.studies.run.run` or the baseline.
    inputs : Inputs
    twin_import_mw : numpy.ndarray, optional
        The business-as-usual twin's import: the reference of ``avoided_emissions_marginal_t``,
        of ``cbl: twin`` and of ten-in-ten baseline days before the period (the schedule's
        own import if omitted).
    enrolled : bool, optional
        Whether the schedule's site is enrolled in demand-response programmes; default: if
        the scenario's site can flex (:func:`dcflex.model.components.events.can_flex`). The
        twin is priced with ``enrolled=False``.
    """
    s, scen = inputs.series, inputs.scenario
    dt = inputs.step_hours
    hours = inputs.n_steps * dt
    imp = _col(schedule, "grid_import_mw")
    exp = _col(schedule, "grid_export_mw")
    it = _col(schedule, "it_power_mw")
    fac = _col(schedule, "facility_power_mw")
    price = s["energy_price_usd_per_mwh"].to_numpy()
    twin_imp = imp if twin_import_mw is None else np.asarray(twin_import_mw, dtype=float)
    if enrolled is None:
        enrolled = can_flex(scen)
    m: list[Metric] = []

    def add(name: str, value: float, unit: str, description: str) -> None:
        m.append(Metric(name, float(value), unit, description))

    it_mwh = it.sum() * dt
    fac_mwh = fac.sum() * dt
    add("it_energy_mwh", it_mwh, "MWh", "IT (GPU server) energy")
    add("facility_energy_mwh", fac_mwh, "MWh", "Facility energy (IT × PUE + overhead)")
    add("grid_import_mwh", imp.sum() * dt, "MWh", "Energy imported from the grid (metered)")
    add("grid_export_mwh", exp.sum() * dt, "MWh", "Energy exported to the grid")

    ppa_used = _col(schedule, "ppa_used_mw")
    ppa_cost, ppa_energy_credit = settlement_usd(inputs, ppa_used)
    energy_cost = float((price * imp).sum() * dt) - ppa_energy_credit
    export_rev = float((s["export_price_usd_per_mwh"].to_numpy() * exp).sum() * dt)
    demand_cost = demand_charges_usd(imp, inputs)
    fixed_cost = fixed_charge_usd(scen.tariff.fixed_usd_per_month, inputs.local_index, dt)
    wear = 0.0
    if scen.battery is not None:
        wear = scen.battery.cycle_cost_usd_per_mwh * float(
            _col(schedule, "battery_discharge_mw").sum() * dt)
    dr = dr_settlement(imp, twin_imp, inputs, enrolled)
    degradation = 0.0
    for name, cls in scen.workload.classes.items():
        if cls.kind == "inference" and cls.degradable_share > 0:
            unserved = (s[f"inference_demand_mw__{name}"].to_numpy()
                        - _col(schedule, f"inference_it_mw__{name}"))
            degradation += cls.degradation_penalty_usd_per_mwh * float(unserved.sum() * dt)
    em_avg = float((s["carbon_avg_kg_per_mwh"].to_numpy() * imp).sum() * dt / 1000)
    if scen.optimization.emissions_basis == "average":
        basis = em_avg
    else:  # the objective's basis; never reported as a tonnage
        basis = float((s["carbon_marginal_kg_per_mwh"].to_numpy() * imp).sum() * dt / 1000)
    carbon_cost = scen.carbon.price_usd_per_t * basis
    total = (energy_cost - export_rev + demand_cost + fixed_cost + ppa_cost + wear
             - dr.revenue_usd + dr.penalty_usd + degradation + carbon_cost)
    add("energy_cost_usd", energy_cost, "USD",
        "Energy charges on metered import (the MWh a physical PPA delivers pay only the "
        "adder here; their energy is in ppa_cost_usd)")
    add("export_revenue_usd", export_rev, "USD", "Revenue from exported energy")
    add("demand_cost_usd", demand_cost, "USD", "Demand charges on monthly peaks")
    add("fixed_cost_usd", fixed_cost, "USD", "Fixed charges (prorated)")
    add("ppa_cost_usd", ppa_cost, "USD",
        "PPA: strike × contracted generation less the market value of generation the site "
        "did not take (virtual: (strike − market price) × generation)")
    add("battery_wear_cost_usd", wear, "USD", "Battery cycling cost")
    add("dr_revenue_usd", dr.revenue_usd, "USD",
        "Demand-response payments: payment × (customer baseline − import) over events "
        "(0 for a site not enrolled)")
    add("dr_penalty_usd", dr.penalty_usd, "USD",
        "Demand-response shortfall penalties (0 for a site not enrolled)")
    add("degradation_penalty_usd", degradation, "USD", "Penalty for inference demand not served")
    add("carbon_cost_usd", carbon_cost, "USD", "Carbon price × emissions (objective basis)")
    add("total_cost_usd", total, "USD", "Sum of all costs minus revenues")
    add("average_cost_usd_per_mwh", total / fac_mwh if fac_mwh else np.nan, "USD/MWh",
        "Total cost per MWh of facility energy")
    matched_ppa = counted_mw(inputs, imp, exp)
    add("emissions_average_t", em_avg, "t CO2",
        "Location-based emissions: grid average intensity × metered import")
    add("emissions_market_based_t", market_based_emissions_t(inputs, imp, matched_ppa), "t CO2",
        "Market-based emissions: import less the PPA generation matched to it each step, at "
        "the grid average (standing in for the residual mix)")
    add("avoided_emissions_marginal_t", avoided_marginal_emissions_t(inputs, imp, twin_imp),
        "t CO2", "Emissions avoided against the business-as-usual twin at marginal intensity "
        "(a change, never an absolute tonnage; NaN without a marginal series)")

    pv = _col(schedule, "pv_used_mw")
    wind = _col(schedule, "wind_used_mw")
    direct = scen.ppa is not None and scen.ppa.kind == "direct_line"
    onsite = pv + wind + (ppa_used if direct else 0.0)
    cfe_grid = s["grid_cfe_fraction"].to_numpy() * (imp - exp - matched_ppa)
    clean = onsite + matched_ppa + cfe_grid
    matched = np.minimum(fac, clean)
    add("cfe_score", matched.sum() / fac.sum() if fac.sum() else np.nan, "fraction",
        "Hourly-matched carbon-free energy share (Σ min(load, clean supply) / Σ load; PPA "
        "generation counts up to net import)")
    contracted = onsite.sum() + (float(s["ppa_contracted_mw"].sum())
                                 if scen.ppa is not None and not direct else 0.0)
    add("renewable_share", min(contracted, fac.sum()) / fac.sum() if fac.sum() else np.nan,
        "fraction", "On-site, direct-line and contracted PPA supply / facility energy "
                    "(annual matching)")
    add("clean_share", min(clean.sum(), fac.sum()) / fac.sum() if fac.sum()
        else np.nan, "fraction", "Clean supply incl. grid carbon-free share / facility energy")
    add("annual_pue", fac_mwh / it_mwh if it_mwh else np.nan, "-",
        "Energy-weighted PUE (facility energy / IT energy)")
    peak = float(imp.max()) if len(imp) else 0.0
    add("peak_import_mw", peak, "MW", "Highest grid import (step average)")
    add("peak_facility_mw", float(fac.max()), "MW", "Highest facility power")
    add("load_factor", imp.mean() / peak if peak > 0 else np.nan, "fraction",
        "Mean import / peak import")
    curtailed = 0.0
    for avail, used in (("pv_available_mw", pv), ("wind_available_mw", wind)):
        if avail in s:
            curtailed += float((s[avail].to_numpy() - used).sum() * dt)
    add("curtailed_mwh", curtailed, "MWh", "On-site generation not used or exported")
    add("dr_reduced_mwh", dr.reduced_mwh, "MWh",
        "Σ (customer baseline − import) over demand-response events (0 if not enrolled)")
    add("dr_baseline_mwh", dr.baseline_mwh, "MWh",
        "Σ customer baseline load over demand-response events")
    add("dr_hard_cap_excess_mwh", dr.hard_cap_excess_mwh, "MWh",
        "Import above hard DR caps (violations)")
    cap = np.minimum(s["import_limit_mw"].to_numpy(dtype=float), import_cap_series(inputs))
    add("import_limit_excess_mwh", float(np.maximum(imp - cap, 0.0).sum() * dt), "MWh",
        "Import above the interconnection limit or a flexible-interconnection cap (the "
        "business-as-usual twin runs as demanded and may break them; an optimized schedule "
        "never does)")
    add("battery_discharge_mwh", float(_col(schedule, "battery_discharge_mw").sum() * dt), "MWh",
        "Energy discharged from the battery")

    for name, cls in scen.workload.classes.items():
        if cls.kind == "training":
            x = _col(schedule, f"training_throughput__{name}")
            add(f"throughput_delivered__{name}", float(x.mean()), "fraction",
                f"Mean throughput of training class {name} (1 = full speed all period)")
            add(f"throughput_required__{name}", cls.min_throughput, "fraction",
                f"SLO floor of training class {name}")
            w = max(1, int(round(cls.window_h / dt)))
            means = pd.Series(x).groupby(np.arange(len(x)) // w).mean()
            add(f"slo_misses__{name}", int((means < cls.min_throughput - 1e-6).sum()), "windows",
                f"Windows in which class {name} averaged below its SLO floor")
        elif cls.kind == "batch":
            rel = inputs.params["workload"]["releases"][name]
            cp = inputs.params["workload"]["classes"][name]
            p = _col(schedule, f"batch_it_mw__{name}")
            gpus = (p - cp.idle_mw) / cp.per_gpu_mw
            done = float(gpus.sum() * dt)
            add(f"work_done_gpu_hours__{name}", done, "GPU-h", f"Batch work done by class {name}")
            add(f"work_required_gpu_hours__{name}", float(rel["gpu_hours"].sum()), "GPU-h",
                f"Batch work released for class {name}")
            m.extend(batch_wait_metrics(name, gpus, rel, inputs))
    training_value = training_value_usd(schedule, inputs)
    if any(c.kind == "training" for c in scen.workload.classes.values()):
        # not in total_cost_usd (a cost, not a value), but the optimum trades it against cost:
        # a cheaper schedule that trains less shows here
        add("training_value_usd", training_value, "USD",
            "Value of the training throughput delivered (value_usd_per_gpu_hour × GPU-hours "
            "at full speed equivalent); the optimizer minimizes total cost minus this")
    add("net_cost_usd", total - training_value, "USD",
        "Total cost minus the value of training delivered: the cost the counterfactual "
        "ladder compares (degradation penalties are in the total cost)")
    for row in water_metrics(schedule, inputs):
        add(*row)
    add("hours", hours, "h", "Length of the period")
    return Metrics(m)


def batch_wait_metrics(name: str, gpus: np.ndarray, rel: pd.DataFrame, inputs: Inputs
                       ) -> list[Metric]:
    """How much of a batch class's work did not run when it arrived, and how long it waited
    (:func:`dcflex.workloads.batch.wait_stats`); the flexible schedule and the
    business-as-usual queue are measured alike."""
    from dcflex.workloads.batch import release_windows, wait_stats

    moved, mean_h, max_h = wait_stats(gpus, rel, release_windows(rel, inputs.index),
                                      inputs.index, inputs.step_hours)
    return [
        Metric(f"work_moved_share__{name}", moved, "fraction",
               f"Share of class {name}'s batch GPU-hours that did not run in the step they "
               "arrived in (queued for GPUs or shifted)"),
        Metric(f"work_delay_mean_h__{name}", mean_h, "h",
               f"Mean wait of class {name}'s batch work from arrival to running, GPU-hour "
               "weighted"),
        Metric(f"work_delay_max_h__{name}", max_h, "h",
               f"Longest wait of any of class {name}'s batch work from arrival to running "
               "(queue served first in, first out)"),
    ]


def shifted_energy_mwh(flex: pd.DataFrame, bau: pd.DataFrame, dt: float) -> float:
    """Workload energy moved in time: half the absolute difference of class power, MWh."""
    cols = [c for c in flex if c.startswith(("batch_it_mw__", "training_it_mw__"))]
    if not cols:
        return 0.0
    diff = sum(np.abs(flex[c].to_numpy() - bau[c].to_numpy()) for c in cols)
    return float(0.5 * diff.sum() * dt)


def compare_metrics(flexible: Metrics, baseline: Metrics) -> pd.DataFrame:
    """Side-by-side table: flexible, business-as-usual, change, unit."""
    rows = []
    for m in flexible:
        b = baseline.as_dict().get(m.name, np.nan)
        rows.append((m.name, m.value, b, m.value - b, m.unit))
    return pd.DataFrame(rows, columns=["metric", "flexible", "baseline", "change", "unit"]
                        ).set_index("metric")
