"""Physical models that turn weather into facility PUE and on-site generation.

- :mod:`dcflex.physics.pue`: PUE per step for air-side economizer, water-side economizer
  and chiller-only cooling designs, and energy-weighted annual/monthly PUE.
- :mod:`dcflex.physics.pv`: PV AC output with pvlib (PVWatts), capacity factor.
- :mod:`dcflex.physics.wind`: wind-speed height extrapolation and wind-farm output.

All functions take and return pandas objects indexed by a tz-aware UTC DatetimeIndex.
"""

from dcflex.physics.pue import annual_pue, monthly_pue, pue_from_weather, wet_bulb_stull
from dcflex.physics.pv import capacity_factor, cloud_cover_to_ghi, pv_output_mw
from dcflex.physics.wind import (
    extrapolate_wind_speed,
    fit_shear_exponent,
    generic_power_curve,
    wind_output_mw,
)

__all__ = [
    "annual_pue",
    "capacity_factor",
    "cloud_cover_to_ghi",
    "extrapolate_wind_speed",
    "fit_shear_exponent",
    "generic_power_curve",
    "monthly_pue",
    "pue_from_weather",
    "pv_output_mw",
    "wet_bulb_stull",
    "wind_output_mw",
]
