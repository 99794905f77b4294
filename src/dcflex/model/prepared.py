"""The containers of prepared inputs: what each component derives, and all of it together.

:class:`Prepared` is what one component's ``prepare`` returns; :class:`Inputs` is what
:func:`dcflex.model.inputs.prepare` assembles from all of them and the only thing the model
builder reads. Plain data; components import these types, never the preparing function.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from dcflex.scenario import Scenario


@dataclass(frozen=True)
class Inputs:
    """Everything the model needs, on one time index.

    Attributes
    ----------
    scenario : Scenario
        The validated scenario.
    series : pandas.DataFrame
        Time series on a regular tz-aware UTC index (``time_utc``); column names carry units.
    units : dict
        Unit of every column of ``series``.
    step_hours : float
        Step length, h.
    filled_steps : dict
        Number of steps filled by a gap policy, per scenario field (``tariff.energy_price_
        usd_per_mwh``) and per series column derived from it (``energy_price_usd_per_mwh``).
    params : dict
        Static parameters derived by components (e.g. per workload class), by component name.
    """

    scenario: Scenario
    series: pd.DataFrame
    units: dict[str, str]
    step_hours: float
    filled_steps: dict[str, int]
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def index(self) -> pd.DatetimeIndex:
        return self.series.index

    @property
    def local_index(self) -> pd.DatetimeIndex:
        return self.series.index.tz_convert(self.scenario.site.timezone)

    @property
    def n_steps(self) -> int:
        return len(self.series.index)

    def summary(self) -> pd.DataFrame:
        """Per-series unit, min, mean, max and filled steps."""
        s = self.series
        return pd.DataFrame(
            {
                "unit": [self.units.get(c, "") for c in s.columns],
                "min": s.min().to_numpy(),
                "mean": s.mean().to_numpy(),
                "max": s.max().to_numpy(),
                "filled_steps": [self.filled_steps.get(c, 0) for c in s.columns],
            },
            index=pd.Index(s.columns, name="series"),
        )


@dataclass
class Prepared:
    """What a component's ``prepare`` returns: named (series, unit) pairs and static params."""

    series: dict[str, tuple[pd.Series, str]] = field(default_factory=dict)
    params: Any = None
