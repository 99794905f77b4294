"""Prepare a scenario's inputs: one UTC-indexed DataFrame of series plus static parameters.

``prepare(scenario)`` resolves every time-series field (number, file or generator) onto the
scenario's regular UTC index, converts units, applies the gap policy, and asks each component
(:mod:`dcflex.model.components`) for the series it derives (PUE from weather, PV from irradiance,
IT demand from utilization, ...). The result is the only thing the model builder reads.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from dcflex.data.series import SeriesContext, period_index, step_hours
from dcflex.model.components import COMPONENTS
from dcflex.model.prepared import Inputs
from dcflex.scenario import Scenario

__all__ = ["Inputs", "prepare"]


def prepare(scenario: Scenario) -> Inputs:
    """Turn a scenario into model inputs.

    Parameters
    ----------
    scenario : Scenario

    Returns
    -------
    Inputs
        One regular UTC-indexed DataFrame with every series the model needs, and the static
        parameters components derived.

    Raises
    ------
    DataError, ScenarioError
        Naming the file and field of any unusable input.
    """
    index = period_index(scenario)
    ctx = SeriesContext(scenario, index, step_hours(scenario.period.step))
    columns: dict[str, pd.Series] = {}
    units: dict[str, str] = {}
    params: dict[str, Any] = {}
    sources: dict[str, str] = {}
    for component in COMPONENTS:
        prepared = component.prepare(scenario, ctx)
        for name, (series, unit) in prepared.series.items():
            columns[name] = series.reindex(index)
            units[name] = unit
            if isinstance(series.name, str):
                # resolved series carry their scenario field (or weather column) as name
                sources[name] = series.name
        if prepared.params is not None:
            params[component.NAME] = prepared.params
    frame = pd.DataFrame(columns, index=index)
    return Inputs(
        scenario=scenario,
        series=frame,
        units=units,
        step_hours=ctx.step_hours,
        # by scenario field, and by every series column derived from a filled field
        filled_steps={**ctx.filled, **{c: ctx.filled[f] for c, f in sources.items()
                                        if f in ctx.filled}},
        params=params,
    )
