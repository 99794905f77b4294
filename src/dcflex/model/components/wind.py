"""Wind component: on-site wind, curtailable, zero marginal cost.

Available output from wind speed through a turbine power curve with hub-height
extrapolation (:func:`dcflex.physics.wind.wind_output_mw`), or a capacity-factor profile.
"""

from __future__ import annotations

from dcflex.data.series import SeriesContext
from dcflex.errors import ScenarioError
from dcflex.model.lp import ModelBuilder
from dcflex.model.prepared import Inputs, Prepared
from dcflex.scenario import Scenario

NAME = "wind"


def prepare(scenario: Scenario, ctx: SeriesContext) -> Prepared:
    """``wind_available_mw``: output the turbines could deliver, MW."""
    out = Prepared()
    w = scenario.wind
    if w is None:
        return out
    if w.profile_fraction is not None:
        frac = ctx.resolve(w.profile_fraction, "wind.profile_fraction", "fraction", lo=0, hi=1)
        avail = frac * w.capacity_mw
    else:
        if w.wind_speed_m_per_s is not None:
            speed = ctx.resolve(w.wind_speed_m_per_s, "wind.wind_speed_m_per_s", "m/s",
                                lo=0, hi=80)
            height = w.measurement_height_m
        else:
            weather = ctx.weather()
            cols = [] if weather is None else [c for c in weather if c.startswith("wind_speed")]
            if not cols:
                raise ScenarioError(
                    "wind output needs wind.wind_speed_m_per_s, a weather source with wind speed, "
                    "or wind.profile_fraction", file=ctx.file, field="wind",
                )
            col = cols[-1]
            speed = weather[col]
            height = _height_from_column(col, w.measurement_height_m)
        from dcflex.physics.wind import wind_output_mw

        avail = wind_output_mw(speed, w.capacity_mw, measurement_height_m=height,
                               hub_height_m=w.hub_height_m, losses_pct=w.losses_pct)
    out.series["wind_available_mw"] = (avail.clip(lower=0.0), "MW")
    return out


def _height_from_column(col: str, default: float) -> float:
    """'wind_speed_80m_m_per_s' -> 80; columns without a height use the scenario's value."""
    for part in col.split("_"):
        if part.endswith("m") and part[:-1].isdigit():
            return float(part[:-1])
    return default


def add_block(builder: ModelBuilder, inputs: Inputs) -> None:
    if inputs.scenario.wind is None:
        return
    avail = inputs.series["wind_available_mw"].to_numpy()
    v = builder.add_variables("wind_used_mw", lb=0.0, ub=avail)
    builder.add_balance_term(v, 1.0)
