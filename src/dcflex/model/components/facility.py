"""Facility component: facility power = PUE_IT(t) × IT power + fixed non-IT overhead.

The weather model (:func:`dcflex.physics.pue.facility_from_weather`) splits non-IT power into
a part proportional to IT power (cooling, UPS and PDU load losses: series ``pue``, the
IT-proportional PUE) and a constant (UPS no-load and transformer core losses, lighting,
controls: the design's ``fixed_overhead_fraction`` × design IT power, plus the scenario's
``facility.fixed_overhead_mw``). The constant stays in the LP as a constant, so shedding IT
saves ``pue × ΔIT`` and never the fixed part. With a constant ``facility.pue`` only the
scenario's ``fixed_overhead_mw`` is fixed.

Series: ``pue`` (-), ``site_water_l_per_kwh_it`` (L per kWh of IT energy; weather model
only), ``economizer_fraction`` (share of the air-path heat removed without the compressor),
``wet_bulb_c``, ``grid_water_l_per_mwh`` (if given). Params: ``fixed_mw``, ``design_it_mw``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from dcflex.data.series import SeriesContext
from dcflex.errors import ScenarioError
from dcflex.model.lp import ModelBuilder
from dcflex.model.prepared import Inputs, Prepared
from dcflex.scenario import Scenario

NAME = "facility"


def _weather(scenario: Scenario, ctx: SeriesContext) -> tuple[pd.Series | None,
                                                               pd.Series | None]:
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
    return temp, rh


def prepare(scenario: Scenario, ctx: SeriesContext) -> Prepared:
    """IT-proportional PUE, site water per IT kWh and the fixed overhead (module docstring)."""
    from dcflex.model.components.workload import design_it_mw

    fac = scenario.facility
    design_it = design_it_mw(scenario)
    out = Prepared(params={"design_it_mw": design_it, "fixed_mw": fac.fixed_overhead_mw})
    temp, rh = _weather(scenario, ctx)
    if temp is not None:
        out.series["temp_air_c"] = (temp, "degC")
    if rh is not None:
        out.series["relative_humidity_pct"] = (rh, "%")
    if fac.water.grid_l_per_mwh is not None:
        out.series["grid_water_l_per_mwh"] = (
            ctx.resolve(fac.water.grid_l_per_mwh, "facility.water.grid_l_per_mwh", "L/MWh",
                        lo=0, hi=1e6), "L/MWh")
    if fac.pue is not None:
        out.series["pue"] = (pd.Series(fac.pue, index=ctx.index), "-")
        return out
    if temp is None:
        raise ScenarioError(
            "PUE from weather needs air temperature: give weather.source, weather.temp_air_c "
            "or a constant facility.pue", file=ctx.file, field="facility.pue",
        )
    from dcflex.physics.pue import facility_from_weather

    state = facility_from_weather(temp, rh, fac.cooling, scenario.site.altitude_m,
                                  fac.water.cycles_of_concentration, **fac.cooling_parameters)
    out.params["fixed_mw"] += state.attrs["design"].fixed_overhead_fraction * design_it
    out.series["pue"] = (state["pue_it"], "-")
    out.series["economizer_fraction"] = (1.0 - state["mechanical_fraction"], "fraction")
    out.series["site_water_l_per_kwh_it"] = (state["site_water_l_per_kwh_it"], "L/kWh")
    if state["wet_bulb_c"].notna().all():
        out.series["wet_bulb_c"] = (state["wet_bulb_c"], "degC")
    return out


def fixed_overhead_mw(inputs: Inputs) -> float:
    """Constant non-IT power of the site, MW (does not follow IT load)."""
    return float(inputs.params[NAME]["fixed_mw"])


def facility_power_mw(inputs: Inputs, it_power_mw: np.ndarray) -> np.ndarray:
    """Facility power of an IT power path, MW: ``pue · IT + fixed``."""
    return inputs.series["pue"].to_numpy() * np.asarray(it_power_mw) + fixed_overhead_mw(inputs)


def add_block(builder: ModelBuilder, inputs: Inputs) -> None:
    """``facility_power_mw = pue · it_power_mw + fixed_mw``; it leaves the site bus."""
    pue = inputs.series["pue"].to_numpy()
    overhead = fixed_overhead_mw(inputs)
    fac = builder.add_variables("facility_power_mw", lb=0.0)
    it = builder.var("it_power_mw")
    builder.add_constraints("facility_power_def", [(fac, 1.0), (it, -pue)],
                            lb=overhead, ub=overhead)
    builder.add_balance_term(fac, -1.0)
