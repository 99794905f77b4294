"""Solar component: on-site PV, curtailable, zero marginal cost.

Available AC output per step from weather with pvlib PVWatts
(:func:`dcflex.physics.pv.pv_output_mw`) or from a given capacity-factor profile.
"""

from __future__ import annotations

import pandas as pd

from dcflex.data.series import SeriesContext
from dcflex.errors import ScenarioError
from dcflex.model.lp import ModelBuilder
from dcflex.model.prepared import Inputs, Prepared
from dcflex.scenario import Scenario

NAME = "solar"


def prepare(scenario: Scenario, ctx: SeriesContext) -> Prepared:
    """``pv_available_mw``: AC output the array could deliver, MW."""
    out = Prepared()
    pv = scenario.solar
    if pv is None:
        return out
    ac_mw = pv.capacity_mw_dc / pv.dc_ac_ratio
    if pv.profile_fraction is not None:
        frac = ctx.resolve(pv.profile_fraction, "solar.profile_fraction", "fraction", lo=0, hi=1)
        avail = frac * ac_mw
    else:
        weather = ctx.weather()
        weather = None if weather is None else physics_weather(weather)
        if weather is None or "ghi" not in weather and "cloud_cover_pct" not in weather:
            raise ScenarioError(
                "PV from weather needs irradiance (ghi) or cloud cover in weather.source, or give "
                "solar.profile_fraction", file=ctx.file, field="solar",
            )
        from dcflex.physics.pv import pv_output_mw

        site = scenario.site
        avail = pv_output_mw(
            weather, site.latitude_deg, site.longitude_deg, pv.capacity_mw_dc,
            tilt_deg=pv.tilt_deg, azimuth_deg=pv.azimuth_deg, tracking=pv.tracking,
            dc_ac_ratio=pv.dc_ac_ratio, losses_pct=pv.losses_pct, altitude_m=site.altitude_m,
        )
    out.series["pv_available_mw"] = (avail.clip(lower=0.0), "MW")
    return out


# Reader column names -> the names :func:`dcflex.physics.pv.pv_output_mw` reads.
PHYSICS_NAMES = {
    "ghi_w_per_m2": "ghi",
    "dni_w_per_m2": "dni",
    "dhi_w_per_m2": "dhi",
    "wind_speed_10m_m_per_s": "wind_speed_m_per_s",
}


def physics_weather(weather: pd.DataFrame) -> pd.DataFrame:
    """Weather frame with the column names of the PV model."""
    return weather.rename(columns=PHYSICS_NAMES)


def add_block(builder: ModelBuilder, inputs: Inputs) -> None:
    if inputs.scenario.solar is None:
        return
    avail = inputs.series["pv_available_mw"].to_numpy()
    v = builder.add_variables("pv_used_mw", lb=0.0, ub=avail)
    builder.add_balance_term(v, 1.0)
