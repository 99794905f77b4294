"""Moist-air properties from psychrolib, on numpy arrays.

psychrolib (Meyer and Thevenard 2019, J. Open Source Softw. 4(33), 1137,
doi:10.21105/joss.01137) implements the psychrometric equations of the ASHRAE Handbook --
Fundamentals (2017), chapter 1, in SI units. Its functions are scalar; this module applies
them to arrays:

* Closed-form properties (humidity ratio, saturation humidity ratio, relative humidity from
  humidity ratio, enthalpy, standard-atmosphere pressure) are evaluated element by element
  (about 1-2 us each: 35,040 steps take well under 0.1 s).
* Wet-bulb temperature needs an iterative solve in psychrolib (about 35 us per value: 1.2 s
  to 3.7 s for a 15-minute year on this project's shared 2-core machine, against 0.1-0.4 s
  gridded; ``benchmarks/psychrometrics_speed.py``). It is evaluated exactly on a grid
  of dry bulb (0.5 K) by relative humidity (2 %, first node at 0.1 %) spanning the data, and
  interpolated bilinearly. psychrolib switches from liquid-water to ice saturation at 0 degC,
  so the wet bulb has a kink there; every value whose interpolated wet bulb lies within
  1.5 K of 0 degC is recomputed exactly. Measured against exact psychrolib on the 2023
  weather of San Jose, Dallas and Philadelphia the largest difference is below 0.01 K
  (``tests/test_cooling.py``).
* Saturated-air states along the saturation curve (used for evaporative heat rejection) come
  from a 0.05 K table of psychrolib's saturated enthalpy and humidity ratio, inverted by
  linear interpolation (the curve is smooth and monotonic; relative error below 1e-5).

Units: temperature degC, relative humidity as a fraction 0-1, pressure Pa, humidity ratio
kg water per kg dry air, enthalpy J per kg dry air.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import psychrolib

__all__ = [
    "humidity_ratio",
    "moist_air_enthalpy",
    "relative_humidity_at",
    "saturated_state_from_enthalpy",
    "saturation_humidity_ratio",
    "site_pressure_pa",
    "wet_bulb_c",
]

# psychrolib keeps its unit system in a module global; every entry point sets SI again so
# that another user of psychrolib in the same process cannot switch it under us.
_SI = psychrolib.SI
# Relative humidity below this is taken as this (0 has no dew point in psychrolib's range);
# measured weather never comes close (the 2023 files bottom out at 3-8 %).
_RH_FLOOR = 1e-3
_T_STEP_K = 0.5
_RH_NODES = np.concatenate([[_RH_FLOOR], np.arange(0.02, 1.0 + 1e-9, 0.02)])
_KINK_BAND_K = 1.5


def _si() -> None:
    psychrolib.SetUnitSystem(_SI)


def _vectorized(func, n_args: int):
    ufunc = np.frompyfunc(func, n_args, 1)

    def apply(*args):
        return np.asarray(ufunc(*args), dtype=float)

    return apply


def site_pressure_pa(altitude_m: float) -> float:
    """Standard-atmosphere pressure at an altitude (ASHRAE Fundamentals 2017 ch. 1 eq. 3), Pa."""
    _si()
    return float(psychrolib.GetStandardAtmPressure(float(altitude_m)))


def humidity_ratio(temp_c, rh_fraction, pressure_pa: float) -> np.ndarray:
    """Humidity ratio of moist air, kg/kg dry air."""
    _si()
    rh = np.clip(np.asarray(rh_fraction, dtype=float), _RH_FLOOR, 1.0)
    return _vectorized(psychrolib.GetHumRatioFromRelHum, 3)(
        np.asarray(temp_c, dtype=float), rh, float(pressure_pa))


def saturation_humidity_ratio(temp_c, pressure_pa: float) -> np.ndarray:
    """Humidity ratio of saturated air at a temperature (= the dew point's), kg/kg."""
    _si()
    return _vectorized(psychrolib.GetSatHumRatio, 2)(np.asarray(temp_c, dtype=float),
                                                      float(pressure_pa))


def relative_humidity_at(temp_c, humidity_ratio_kg_per_kg, pressure_pa: float) -> np.ndarray:
    """Relative humidity (fraction) of air of a given humidity ratio brought to ``temp_c``.

    Values above 1 (supersaturated, i.e. the air would condense) are returned as computed.
    """
    _si()
    t = np.asarray(temp_c, dtype=float)
    w = np.asarray(humidity_ratio_kg_per_kg, dtype=float)
    vap = _vectorized(psychrolib.GetVapPresFromHumRatio, 2)(np.maximum(w, 1e-7),
                                                            float(pressure_pa))
    return vap / _vectorized(psychrolib.GetSatVapPres, 1)(np.broadcast_to(t, vap.shape))


@lru_cache(maxsize=32)
def _wet_bulb_grid(t_lo: float, t_hi: float, pressure_pa: float
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    _si()
    t_nodes = np.arange(t_lo, t_hi + _T_STEP_K / 2, _T_STEP_K)
    tt, rr = np.meshgrid(t_nodes, _RH_NODES, indexing="ij")
    values = _vectorized(psychrolib.GetTWetBulbFromRelHum, 3)(tt, rr, pressure_pa)
    return t_nodes, _RH_NODES, values


def wet_bulb_c(temp_c, rh_fraction, pressure_pa: float) -> np.ndarray:
    """Thermodynamic wet-bulb temperature, degC (psychrolib, gridded; see module notes).

    Parameters
    ----------
    temp_c : array
        Dry-bulb temperature, degC.
    rh_fraction : array
        Relative humidity, fraction 0-1.
    pressure_pa : float
        Atmospheric pressure, Pa.
    """
    _si()
    t = np.asarray(temp_c, dtype=float)
    rh = np.clip(np.asarray(rh_fraction, dtype=float), _RH_FLOOR, 1.0)
    if t.size == 0:
        return t.copy()
    t_lo = np.floor(t.min() / _T_STEP_K) * _T_STEP_K
    t_hi = np.ceil(t.max() / _T_STEP_K) * _T_STEP_K + _T_STEP_K
    tn, rn, grid = _wet_bulb_grid(float(t_lo), float(t_hi), round(float(pressure_pa), 1))
    i = np.clip(np.searchsorted(tn, t, side="right") - 1, 0, len(tn) - 2)
    j = np.clip(np.searchsorted(rn, rh, side="right") - 1, 0, len(rn) - 2)
    ft = (t - tn[i]) / (tn[i + 1] - tn[i])
    fr = (rh - rn[j]) / (rn[j + 1] - rn[j])
    out = ((1 - ft) * (1 - fr) * grid[i, j] + ft * (1 - fr) * grid[i + 1, j]
           + (1 - ft) * fr * grid[i, j + 1] + ft * fr * grid[i + 1, j + 1])
    near_ice = np.abs(out) < _KINK_BAND_K
    if near_ice.any():
        out[near_ice] = _vectorized(psychrolib.GetTWetBulbFromRelHum, 3)(
            t[near_ice], rh[near_ice], float(pressure_pa))
    return np.minimum(out, t)


@lru_cache(maxsize=8)
def _saturation_table(pressure_pa: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    _si()
    t = np.arange(-40.0, 80.0 + 1e-9, 0.05)
    w = _vectorized(psychrolib.GetSatHumRatio, 2)(t, pressure_pa)
    h = _vectorized(psychrolib.GetMoistAirEnthalpy, 2)(t, w)
    return t, w, h


def saturated_state_from_enthalpy(enthalpy_j_per_kg, pressure_pa: float
                                  ) -> tuple[np.ndarray, np.ndarray]:
    """Temperature (degC) and humidity ratio (kg/kg) of saturated air of a given enthalpy.

    Enthalpy in J per kg dry air (psychrolib's reference: dry air and liquid water at 0 degC).
    """
    t, w, h = _saturation_table(round(float(pressure_pa), 1))
    e = np.asarray(enthalpy_j_per_kg, dtype=float)
    if np.any(e > h[-1]):
        raise ValueError(f"enthalpy above saturated air at {t[-1]:.0f} degC")
    return np.interp(e, h, t), np.interp(e, h, w)


def moist_air_enthalpy(temp_c, humidity_ratio_kg_per_kg) -> np.ndarray:
    """Specific enthalpy of moist air, J per kg dry air (ASHRAE Fundamentals 2017 eq. 30)."""
    _si()
    return _vectorized(psychrolib.GetMoistAirEnthalpy, 2)(
        np.asarray(temp_c, dtype=float), np.asarray(humidity_ratio_kg_per_kg, dtype=float))
