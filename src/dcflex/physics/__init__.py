"""Physical models that turn weather into facility PUE and on-site generation.

- :mod:`dcflex.physics.pue`: facility model per step (IT-proportional PUE, fixed overhead,
  site water) for the designs of :mod:`dcflex.physics.cooling_designs` (physics in
  :mod:`dcflex.physics.cooling`, :mod:`dcflex.physics.water`, moist air from psychrolib in
  :mod:`dcflex.physics.psychrometrics`), and energy-weighted annual/monthly PUE.
- :mod:`dcflex.physics.pv`: PV AC output with pvlib (PVWatts), capacity factor.
- :mod:`dcflex.physics.wind`: wind-speed height extrapolation and wind-farm output.

All functions take and return pandas objects indexed by a tz-aware UTC DatetimeIndex.
"""

from dcflex.physics.cooling_designs import COOLING_DESIGNS, CoolingDesign
from dcflex.physics.psychrometrics import wet_bulb_c
from dcflex.physics.pue import (
    annual_pue,
    facility_from_weather,
    monthly_pue,
    pue_from_weather,
)
from dcflex.physics.pv import capacity_factor, cloud_cover_to_ghi, pv_output_mw
from dcflex.physics.wind import (
    extrapolate_wind_speed,
    fit_shear_exponent,
    generic_power_curve,
    wind_output_mw,
)

__all__ = [
    "COOLING_DESIGNS",
    "CoolingDesign",
    "annual_pue",
    "capacity_factor",
    "cloud_cover_to_ghi",
    "extrapolate_wind_speed",
    "facility_from_weather",
    "fit_shear_exponent",
    "generic_power_curve",
    "monthly_pue",
    "pue_from_weather",
    "pv_output_mw",
    "wet_bulb_c",
    "wind_output_mw",
]
