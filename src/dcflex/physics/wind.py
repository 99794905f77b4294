"""Wind farm output from wind speed: height extrapolation and a power curve.

Wind speed measured at one height is carried to hub height with the Hellmann power law
``v2 = v1 (z2 / z1) ** alpha`` or the neutral logarithmic law
``v2 = v1 ln(z2 / z0) / ln(z1 / z0)``, optionally corrected to standard air density
(IEC 61400-12-1: ``v_std = v (rho / 1.225) ** (1/3)`` for pitch-regulated turbines), then
turned into power with a normalized power curve and a flat loss factor.

Default power curve
    A generic IEC class II, about 3 MW, pitch-regulated turbine: zero below cut-in
    3 m/s, the cubic law ``(v^3 - v_in^3) / (v_r^3 - v_in^3)`` from cut-in to rated
    12 m/s, rated power to cut-out 25 m/s, zero above. The cubic form is the "cubic
    law" model reviewed by Carrillo et al. (2013); the set points are those of common
    ~3 MW IEC class II machines (e.g. Vestas V112-3.0 MW product data: cut-in 3 m/s,
    rated about 12 m/s, cut-out 25 m/s). It is a generic shape, not a vendor curve:
    supply a tabulated ``power_curve`` for a specific turbine.

References
----------
G. Hellmann (1914), "Ueber die Bewegung der Luft in den untersten Schichten der
    Atmosphaere", Meteorologische Zeitschrift 31, 1-13 (power law).
E. W. Peterson and J. P. Hennessey (1978), "On the use of power laws for estimates of
    wind power potential", J. Appl. Meteorol. 17, 390-394 (alpha = 1/7 for neutral
    stability over open terrain).
J. F. Manwell, J. G. McGowan, A. L. Rogers (2009), Wind Energy Explained, 2nd ed.,
    Wiley, section 2.3 (log law and roughness lengths).
C. Carrillo, A. F. Obando Montano, J. Cidras, E. Diaz-Dorado (2013), "Review of power
    curve modelling for wind turbines", Renew. Sustain. Energy Rev. 21, 572-581.
IEC 61400-12-1:2017, Power performance measurements of electricity producing wind
    turbines (air-density normalization of wind speed).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from dcflex.errors import DataError, ScenarioError

__all__ = [
    "extrapolate_wind_speed",
    "fit_shear_exponent",
    "generic_power_curve",
    "wind_output_mw",
]

# Air density of the IEC standard atmosphere at sea level, kg/m3 (IEC 61400-12-1).
_RHO_STD = 1.225


def _check_speed(s: pd.Series, field: str) -> None:
    if not isinstance(s, pd.Series):
        raise DataError(f"expected a pandas Series, got {type(s).__name__}", field=field)
    idx = s.index
    if not isinstance(idx, pd.DatetimeIndex) or idx.tz is None or str(idx.tz) != "UTC":
        raise DataError(
            "expected a tz-aware UTC DatetimeIndex, got "
            f"{type(idx).__name__} with tz={getattr(idx, 'tz', None)}",
            field=field,
        )
    if s.isna().any():
        raise DataError(f"expected no missing values, found {int(s.isna().sum())}", field=field)
    if s.min() < 0 or s.max() > 100:
        raise DataError(
            f"expected wind speed in m/s within [0, 100], found [{s.min()}, {s.max()}]"
            " (km/h? divide by 3.6)",
            field=field,
        )


def extrapolate_wind_speed(
    wind_speed_m_per_s: pd.Series,
    from_height_m: float,
    to_height_m: float,
    *,
    method: str = "power",
    shear_exponent: float = 1.0 / 7.0,
    roughness_length_m: float | None = None,
) -> pd.Series:
    """Carry wind speed from one height to another.

    Parameters
    ----------
    wind_speed_m_per_s : pandas.Series
        Wind speed at ``from_height_m``, m/s, tz-aware UTC index.
    from_height_m, to_height_m : float
        Heights above ground, m.
    method : {"power", "log"}
        Hellmann power law or neutral logarithmic profile.
    shear_exponent : float
        Power-law exponent alpha (1/7 after Peterson and Hennessey 1978); ``"power"`` only.
    roughness_length_m : float, optional
        Surface roughness length z0, m (e.g. 0.03 open farmland, 0.1 scattered crops and
        hedges, 0.5-1 suburbs; Manwell et al. 2009, Table 2.2); required for ``"log"``.

    Returns
    -------
    pandas.Series
        Wind speed at ``to_height_m``, m/s.
    """
    _check_speed(wind_speed_m_per_s, "wind_speed_m_per_s")
    if from_height_m <= 0 or to_height_m <= 0:
        raise ScenarioError(
            f"heights must be > 0 m, got from {from_height_m} to {to_height_m}",
            field="wind.height_m",
        )
    if method == "power":
        factor = (to_height_m / from_height_m) ** shear_exponent
    elif method == "log":
        if roughness_length_m is None or not 0 < roughness_length_m < min(from_height_m,
                                                                          to_height_m):
            raise ScenarioError(
                "the log law needs roughness_length_m > 0 and below both heights, got "
                f"{roughness_length_m}",
                field="wind.roughness_length_m",
            )
        factor = np.log(to_height_m / roughness_length_m) / np.log(
            from_height_m / roughness_length_m
        )
    else:
        raise ScenarioError(f"method must be 'power' or 'log', got {method!r}",
                            field="wind.extrapolation")
    out = wind_speed_m_per_s.astype(float) * factor
    out.name = "wind_speed_m_per_s"
    return out


def fit_shear_exponent(
    speed_low_m_per_s: pd.Series,
    speed_high_m_per_s: pd.Series,
    height_low_m: float,
    height_high_m: float,
) -> float:
    """Power-law exponent that reproduces the mean speed at the upper height.

    ``alpha = ln(mean(v_high) / mean(v_low)) / ln(z_high / z_low)``, so that the power
    law applied to the lower series matches the upper series' mean exactly.

    Parameters
    ----------
    speed_low_m_per_s, speed_high_m_per_s : pandas.Series
        Simultaneous wind speeds, m/s, same index.
    height_low_m, height_high_m : float
        Their heights, m, ``height_low_m < height_high_m``.

    Returns
    -------
    float
        Shear exponent, dimensionless.
    """
    _check_speed(speed_low_m_per_s, "speed_low_m_per_s")
    _check_speed(speed_high_m_per_s, "speed_high_m_per_s")
    if not speed_low_m_per_s.index.equals(speed_high_m_per_s.index):
        raise DataError("expected the same time index for both heights",
                        field="speed_high_m_per_s")
    if not 0 < height_low_m < height_high_m:
        raise ScenarioError(
            f"expected 0 < height_low_m < height_high_m, got {height_low_m}, {height_high_m}",
            field="wind.height_m",
        )
    lo, hi = float(speed_low_m_per_s.mean()), float(speed_high_m_per_s.mean())
    if lo <= 0 or hi <= 0:
        raise DataError(f"expected positive mean speeds, got {lo} and {hi}", field="wind")
    return float(np.log(hi / lo) / np.log(height_high_m / height_low_m))


def generic_power_curve(
    wind_speed_m_per_s: np.ndarray | pd.Series,
    cut_in_m_per_s: float = 3.0,
    rated_m_per_s: float = 12.0,
    cut_out_m_per_s: float = 25.0,
) -> np.ndarray:
    """Normalized power of the generic cubic-law turbine (see module docstring).

    Parameters
    ----------
    wind_speed_m_per_s : array or Series
        Hub-height wind speed, m/s.
    cut_in_m_per_s, rated_m_per_s, cut_out_m_per_s : float
        Set points, m/s (defaults: generic IEC class II ~3 MW turbine).

    Returns
    -------
    numpy.ndarray
        Power as a fraction of rated power, in [0, 1]; zero below cut-in and at or
        above cut-out.
    """
    if not 0 <= cut_in_m_per_s < rated_m_per_s <= cut_out_m_per_s:
        raise ScenarioError(
            "expected 0 <= cut_in < rated <= cut_out, got "
            f"{cut_in_m_per_s}, {rated_m_per_s}, {cut_out_m_per_s}",
            field="wind.power_curve",
        )
    v = np.asarray(wind_speed_m_per_s, dtype=float)
    ramp = (v**3 - cut_in_m_per_s**3) / (rated_m_per_s**3 - cut_in_m_per_s**3)
    p = np.where(v < rated_m_per_s, ramp, 1.0)
    return np.where((v < cut_in_m_per_s) | (v >= cut_out_m_per_s), 0.0, p)


def _tabulated_curve(power_curve: pd.Series, v: np.ndarray) -> np.ndarray:
    speeds = np.asarray(power_curve.index, dtype=float)
    values = power_curve.to_numpy(dtype=float)
    if len(speeds) < 2 or not np.all(np.diff(speeds) > 0):
        raise ScenarioError("power_curve index must be strictly increasing wind speeds (m/s)",
                            field="wind.power_curve")
    if np.isnan(values).any() or values.min() < 0 or values.max() > 1:
        raise ScenarioError(
            "power_curve values must be normalized power in [0, 1], found "
            f"[{np.nanmin(values)}, {np.nanmax(values)}]",
            field="wind.power_curve",
        )
    # Outside the tabulated range the turbine is parked (below cut-in, above cut-out).
    return np.interp(v, speeds, values, left=0.0, right=0.0)


def wind_output_mw(
    wind_speed_m_per_s: pd.Series,
    capacity_mw: float,
    *,
    measurement_height_m: float,
    hub_height_m: float = 100.0,
    shear_exponent: float = 1.0 / 7.0,
    power_curve: pd.Series | None = None,
    losses_pct: float = 10.0,
    air_density_kg_per_m3: float | pd.Series | None = None,
) -> pd.Series:
    """AC power of a wind farm per time step.

    Parameters
    ----------
    wind_speed_m_per_s : pandas.Series
        Wind speed at ``measurement_height_m``, m/s (step means), tz-aware UTC index.
    capacity_mw : float
        Installed (rated) capacity, MW.
    measurement_height_m : float
        Height of the given speeds, m (required: 10 m reanalysis and 80/100 m model
        output need very different corrections).
    hub_height_m : float
        Turbine hub height, m.
    shear_exponent : float
        Hellmann exponent (1/7, Peterson and Hennessey 1978); use
        :func:`fit_shear_exponent` when two heights are measured.
    power_curve : pandas.Series, optional
        Normalized power (0-1) indexed by hub-height wind speed (m/s), linearly
        interpolated and zero outside its range; ``None`` uses
        :func:`generic_power_curve`.
    losses_pct : float
        Wake, availability, electrical and environmental losses, percent of gross.
        10 % is the brief's default; NREL's Cost of Wind Energy Review series assumes
        roughly 15-17 % total losses for land-based plants.
    air_density_kg_per_m3 : float or pandas.Series, optional
        Hub-height air density; when given the speed is normalized to 1.225 kg/m3
        (IEC 61400-12-1), when ``None`` no density correction is made.

    Returns
    -------
    pandas.Series
        Power, MW, in [0, capacity_mw * (1 - losses_pct / 100)], named ``"wind_power_mw"``.
    """
    _check_speed(wind_speed_m_per_s, "wind_speed_m_per_s")
    if capacity_mw <= 0 or not 0 <= losses_pct < 100:
        raise ScenarioError(
            f"expected capacity_mw > 0 and 0 <= losses_pct < 100, got {capacity_mw}, "
            f"{losses_pct}",
            field="wind",
        )
    hub = extrapolate_wind_speed(wind_speed_m_per_s, measurement_height_m, hub_height_m,
                                 shear_exponent=shear_exponent)
    v = hub.to_numpy(dtype=float)
    if air_density_kg_per_m3 is not None:
        rho = (air_density_kg_per_m3.to_numpy(dtype=float)
               if isinstance(air_density_kg_per_m3, pd.Series)
               else np.full(len(v), float(air_density_kg_per_m3)))
        if rho.shape != v.shape or np.isnan(rho).any() or rho.min() < 0.5 or rho.max() > 1.6:
            raise DataError(
                "expected air density per step in [0.5, 1.6] kg/m3 matching the speeds",
                field="air_density_kg_per_m3",
            )
        v = v * (rho / _RHO_STD) ** (1.0 / 3.0)
    normalized = generic_power_curve(v) if power_curve is None else _tabulated_curve(
        power_curve, v)
    power = capacity_mw * normalized * (1.0 - losses_pct / 100.0)
    return pd.Series(power, index=wind_speed_m_per_s.index, name="wind_power_mw")
