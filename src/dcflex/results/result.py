"""What one run returns: schedules, metrics with units, timings and provenance."""

from __future__ import annotations

import platform
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from dcflex.model.prepared import Inputs
from dcflex.results.counterfactuals import Ladder
from dcflex.results.metrics import Metrics
from dcflex.scenario import Scenario
from dcflex.version import __version__


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
    values : Metrics
        What flexibility is worth, split along the counterfactual ladder
        (``flexibility_value_usd`` = ``battery_value_usd`` + ``workload_flexibility_value_usd``,
        net of ``work_value_change_usd``), each with unit, description and what it includes.
    ladder : Ladder or None
        The three rungs (twin, battery only, fully flexible) the values come from.
    warnings : list of str
        Good-grid-citizen warnings: the flexible schedule raises a monthly peak or emissions
        above the twin's.

    Money is in the scenario's reporting currency (:attr:`currency`); names keep ``usd``
    (``total_cost_usd``) whatever it is, and files and reports name it in the currency
    (:mod:`dcflex.results.currency`).
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
    values: Metrics = field(default_factory=lambda: Metrics([]))
    ladder: Ladder | None = None
    warnings: list[str] = field(default_factory=list)

    @property
    def currency(self) -> str:
        """The reporting currency every money value is in (ISO 4217 code)."""
        return self.scenario.currency


def provenance(scenario: Scenario) -> dict[str, str]:
    """Scenario hash and versions of the packages that shape the numbers.

    Versions are read from the installed distributions' metadata, so stamping a result
    imports none of them (pvlib alone takes a noticeable part of a second).
    """
    from importlib.metadata import PackageNotFoundError, version

    def installed(dist: str) -> str:
        try:
            return version(dist)
        except PackageNotFoundError:
            return "not installed"

    return {
        "scenario_hash": scenario.scenario_hash(),
        "dcflex": __version__,
        **{name: installed(name) for name in ("highspy", "numpy", "pandas", "scipy", "pvlib")},
        "python": platform.python_version(),
    }
