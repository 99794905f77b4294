"""Facility component: facility power = PUE(t) × IT power + fixed non-IT overhead.

PUE per step comes from ambient weather through :func:`dcflex.physics.pue.pue_from_weather`
(or a constant from the scenario). Because PUE(t) is data, the relation stays linear.
"""

from __future__ import annotations

import pandas as pd

from dcflex.data.series import SeriesContext
from dcflex.errors import ScenarioError
from dcflex.model.lp import ModelBuilder
from dcflex.model.prepared import Inputs, Prepared
from dcflex.scenario import Scenario

NAME = "facility"


def prepare(scenario: Scenario, ctx: SeriesContext) -> Prepared:
    """PUE per step (dimensionless) and the weather columns it was computed from."""
    fac = scenario.facility
    out = Prepared()
    weather = ctx.weather()
    temp = rh = None
    if scenario.weather.temp_air_c is not None:
        temp = ctx.resolve(scenario.weather.temp_air_c, "weather.temp_air_c", "degC",
                           lo=-60, hi=60)
    elif weather is not None and "temp_air_c" in weather:
        temp = weather["temp_air_c"]
    if scenario.weather.relative_humidity_pct is not None:
        rh = ctx.resolve(scenario.weather.relative_humidity_pct, "weather.relative_humidity_pct",
                         "%", lo=0, hi=100)
    elif weather is not None and "relative_humidity_pct" in weather:
        rh = weather["relative_humidity_pct"]
    if temp is not None:
        out.series["temp_air_c"] = (temp, "degC")
    if rh is not None:
        out.series["relative_humidity_pct"] = (rh, "%")
    if fac.pue is not None:
        pue = pd.Series(fac.pue, index=ctx.index)
    else:
        if temp is None:
            raise ScenarioError(
                "PUE from weather needs air temperature: give weather.source, weather.temp_air_c "
                "or a constant facility.pue", file=ctx.file, field="facility.pue",
            )
        from dcflex.physics.pue import pue_from_weather

        pue = pue_from_weather(temp, rh, design=fac.cooling)
    out.series["pue"] = (pue, "-")
    return out


def add_block(builder: ModelBuilder, inputs: Inputs) -> None:
    """``facility_power_mw = pue · it_power_mw + fixed_overhead_mw``; it leaves the site bus."""
    pue = inputs.series["pue"].to_numpy()
    overhead = inputs.scenario.facility.fixed_overhead_mw
    fac = builder.add_variables("facility_power_mw", lb=0.0)
    it = builder.var("it_power_mw")
    builder.add_constraints("facility_power_def", [(fac, 1.0), (it, -pue)],
                            lb=overhead, ub=overhead)
    builder.add_balance_term(fac, -1.0)
