"""One site of a comparison: run it with its twin, compute its headroom, keep a summary.

:func:`run_site` is what each worker process runs; its :class:`SiteSummary` is small enough
to send back across processes.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from dcflex.scenario import Scenario
from dcflex.studies.compare.sites import SiteEntry


@dataclass
class SiteSummary:
    """What :func:`compare` keeps of one site's run (small enough to cross processes).

    Attributes
    ----------
    label : str
        Row name in the table.
    scenario_name, scenario_hash : str
    metrics, baseline_metrics : dict
        Flexible and business-as-usual metric values (units in :mod:`dcflex.results.metrics`).
    comparison : pandas.DataFrame
        Flexible vs baseline per metric (:func:`dcflex.results.metrics.compare_metrics`).
    monthly_pue : pandas.Series
        Energy-weighted PUE of each local month (facility energy / IT energy), flexible run.
    headroom_mw : float
        The table's headroom, MW.
    headroom_basis : {"slo", "interconnection"}
    slo : SloHeadroomResult or None
        Full SLO-aware headroom result when computed.
    timings_s : dict
        Run and headroom wall times, s.
    provenance : dict
    values : dict
        The value split of the counterfactual ladder (``battery_value_usd``, ...), USD.
    warnings : list of str
        Good-grid-citizen warnings of the run.
    currency : str
        The scenario's reporting currency (every money metric is in it).
    exchange_rates : str or None
        The scenario's exchange rates in words, with date and source.
    """

    label: str
    scenario_name: str
    scenario_hash: str
    metrics: dict[str, float]
    baseline_metrics: dict[str, float]
    comparison: pd.DataFrame
    monthly_pue: pd.Series
    headroom_mw: float
    headroom_basis: str
    slo: Any = None
    timings_s: dict[str, float] = field(default_factory=dict)
    provenance: dict[str, str] = field(default_factory=dict)
    values: dict[str, float] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    currency: str = "USD"
    exchange_rates: str | None = None


def monthly_pue(schedule: pd.DataFrame, timezone: str) -> pd.Series:
    """Energy-weighted PUE per local calendar month: Σ facility power / Σ IT power."""
    local = schedule.index.tz_convert(timezone).tz_localize(None).to_period("M")
    grouped = schedule[["facility_power_mw", "it_power_mw"]].groupby(local).sum()
    pue = grouped["facility_power_mw"] / grouped["it_power_mw"].where(grouped["it_power_mw"] > 0)
    pue.index = pue.index.astype(str)
    pue.index.name = "month"
    return pue.rename("pue")


def _merge(base: Any, over: Any) -> Any:
    """Mappings merge key by key, anything else replaces (as ``extends`` does)."""
    if isinstance(base, dict) and isinstance(over, dict):
        return {**base, **{k: _merge(base[k], v) if k in base else v for k, v in over.items()}}
    return over


def _load(entry: SiteEntry) -> Scenario:
    from dcflex.scenario import load_scenario

    scen = entry.scenario
    if isinstance(scen, Scenario):
        if entry.overrides:
            from dcflex.scenario import scenario_from_dict

            data = _merge(scen.model_dump(mode="json"), entry.overrides)
            return scenario_from_dict(data, file=scen.source_file)
        return scen
    return load_scenario(scen, overrides=entry.overrides)


def run_site(entry: SiteEntry, label: str) -> SiteSummary:
    """Run one site and its twin, and its headroom; the worker of :func:`compare`.

    Raises
    ------
    DcflexError
        Whatever the site's run raises (bad file, bad field, infeasible).
    """
    from dcflex.studies.run import run

    t0 = time.perf_counter()
    scenario = _load(entry)
    result = run(scenario)
    t_run = time.perf_counter() - t0
    m = result.metrics.as_dict()
    b = result.baseline_metrics.as_dict()
    slo = None
    if entry.grid_demand is not None:
        from dcflex.studies.slo_headroom import read_grid_demand, slo_headroom

        gd = entry.grid_demand
        demand = read_grid_demand(gd.file, gd.ba, column=gd.column)
        slo = slo_headroom(result.inputs, demand, rate=gd.rate, gap_policy=gd.gap_policy)
        headroom, basis = slo.headroom_mw, "slo"
    else:
        limit = float(result.inputs.series["import_limit_mw"].min())
        headroom, basis = limit - m["peak_import_mw"], "interconnection"
    return SiteSummary(
        label=label,
        scenario_name=scenario.name,
        scenario_hash=result.provenance.get("scenario_hash", scenario.scenario_hash()),
        metrics=m,
        baseline_metrics=b,
        comparison=result.comparison,
        monthly_pue=monthly_pue(result.schedule, scenario.site.timezone),
        headroom_mw=float(headroom),
        headroom_basis=basis,
        slo=slo,
        timings_s={"run": t_run, "total": time.perf_counter() - t0},
        provenance=result.provenance,
        values=result.values.as_dict(),
        warnings=list(result.warnings),
        currency=scenario.currency,
        exchange_rates=(None if scenario.exchange_rates is None
                        else scenario.exchange_rates.describe()),
    )

