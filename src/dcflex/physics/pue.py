"""Facility PUE and site water from ambient weather, and energy-weighted PUE.

:func:`facility_from_weather` is the entry point of the facility model: for one cooling
design (:mod:`dcflex.physics.cooling_designs`) it returns per step the IT-proportional PUE,
the fixed overhead fraction and the site water per kWh of IT
(:mod:`dcflex.physics.cooling`, :mod:`dcflex.physics.water`). Facility power is then::

    P_facility = pue_it(t) * P_IT + fixed_overhead_fraction * P_IT,design

:func:`pue_from_weather` gives the total PUE at a stated IT load fraction (as reported), and
:func:`annual_pue` / :func:`monthly_pue` weight PUE by IT energy (The Green Grid definition).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from dcflex.errors import DataError
from dcflex.physics.cooling import cooling_state
from dcflex.physics.cooling_designs import CoolingDesign, resolve_design
from dcflex.physics.psychrometrics import site_pressure_pa
from dcflex.physics.water import site_water_l_per_kwh_it

__all__ = ["annual_pue", "facility_from_weather", "monthly_pue", "pue_from_weather"]


def _check_series(s: pd.Series, field: str) -> None:
    if not isinstance(s, pd.Series):
        raise DataError(f"expected a pandas Series, got {type(s).__name__}", field=field)
    idx = s.index
    if not isinstance(idx, pd.DatetimeIndex) or idx.tz is None:
        raise DataError(
            f"expected a tz-aware UTC DatetimeIndex, got {type(idx).__name__}"
            f" with tz={getattr(idx, 'tz', None)}",
            field=field,
        )
    if str(idx.tz) != "UTC":
        raise DataError(f"expected time zone UTC, got {idx.tz}; convert with tz_convert('UTC')",
                        field=field)
    if s.isna().any():
        n = int(s.isna().sum())
        first = s.index[s.isna().to_numpy()][0]
        raise DataError(f"expected no missing values, found {n} (first at {first})", field=field)


def _check_weather(temp_air_c: pd.Series, relative_humidity_pct: pd.Series | None,
                   spec: CoolingDesign, design_name: str) -> None:
    _check_series(temp_air_c, "temp_air_c")
    t_min, t_max = float(temp_air_c.min()), float(temp_air_c.max())
    if t_min < -70 or t_max > 60:
        raise DataError(
            f"expected air temperature in degC within [-70, 60], found [{t_min}, {t_max}]"
            " (Kelvin or Fahrenheit?)",
            field="temp_air_c",
        )
    if relative_humidity_pct is None:
        if spec.needs_humidity:
            raise DataError(
                f"cooling design {design_name!r} needs relative_humidity_pct (percent) for its "
                "wet bulb or humidity envelope; none was given",
                field="relative_humidity_pct",
            )
        return
    _check_series(relative_humidity_pct, "relative_humidity_pct")
    if not relative_humidity_pct.index.equals(temp_air_c.index):
        raise DataError("expected the same time index as temp_air_c",
                        field="relative_humidity_pct")
    rh_min, rh_max = float(relative_humidity_pct.min()), float(relative_humidity_pct.max())
    if rh_min < 0 or rh_max > 100:
        raise DataError(f"expected percent within [0, 100], found [{rh_min}, {rh_max}]",
                        field="relative_humidity_pct")


def facility_from_weather(
    temp_air_c: pd.Series,
    relative_humidity_pct: pd.Series | None = None,
    design: str | CoolingDesign = "air_economizer",
    altitude_m: float = 0.0,
    cycles_of_concentration: float = 4.0,
    **params: float,
) -> pd.DataFrame:
    """Cooling state, IT-proportional PUE and site water per step for one design.

    Parameters
    ----------
    temp_air_c : pandas.Series
        Dry-bulb air temperature, degC, indexed by a tz-aware UTC DatetimeIndex.
    relative_humidity_pct : pandas.Series, optional
        Relative humidity, percent, same index; needed by every design except ``chiller``.
    design : str or CoolingDesign
        A name of :data:`~dcflex.physics.cooling_designs.COOLING_DESIGNS` or a design.
    altitude_m : float
        Site altitude, m; sets the atmospheric pressure (standard atmosphere).
    cycles_of_concentration : float
        Of the evaporative water loop (:mod:`dcflex.physics.water`).
    **params
        Overrides of :class:`~dcflex.physics.cooling_designs.CoolingDesign` fields.

    Returns
    -------
    pandas.DataFrame
        The columns of :func:`~dcflex.physics.cooling.cooling_state` plus
        ``site_water_l_per_kwh_it``, on the weather's index; ``attrs["design"]`` holds the
        resolved design and ``attrs["pressure_pa"]`` the pressure used.

    Raises
    ------
    DataError
        Bad index, missing values, implausible temperature or humidity, or humidity absent
        for a design that needs it.
    ScenarioError
        Unknown design or parameter, or a parameter out of range.
    """
    spec = resolve_design(design, params)
    name = design if isinstance(design, str) else "custom"
    _check_weather(temp_air_c, relative_humidity_pct, spec, name)
    pressure = site_pressure_pa(altitude_m)
    t = temp_air_c.to_numpy(dtype=float)
    rh = None if relative_humidity_pct is None else relative_humidity_pct.to_numpy(dtype=float)
    state = cooling_state(t, rh, spec, pressure)
    state["site_water_l_per_kwh_it"] = site_water_l_per_kwh_it(
        state, t, spec, pressure, cycles_of_concentration)
    state.index = temp_air_c.index
    state.attrs.update(design=spec, pressure_pa=pressure)
    return state


def pue_from_weather(
    temp_air_c: pd.Series,
    relative_humidity_pct: pd.Series | None = None,
    design: str | CoolingDesign = "air_economizer",
    it_load_fraction: float | pd.Series = 1.0,
    altitude_m: float = 0.0,
    **params: float,
) -> pd.Series:
    """Total PUE per step at an IT load fraction: ``pue_it + fixed_overhead_fraction / load``.

    Parameters
    ----------
    temp_air_c, relative_humidity_pct, design, altitude_m, **params
        As for :func:`facility_from_weather`.
    it_load_fraction : float or pandas.Series
        IT load as a fraction of design IT power, in (0, 1]; only the fixed overhead
        depends on it (per IT kW it grows as load falls).

    Returns
    -------
    pandas.Series
        PUE, dimensionless, >= 1, named ``"pue"``.
    """
    state = facility_from_weather(temp_air_c, relative_humidity_pct, design, altitude_m,
                                  **params)
    if isinstance(it_load_fraction, pd.Series):
        _check_series(it_load_fraction, "it_load_fraction")
        if not it_load_fraction.index.equals(temp_air_c.index):
            raise DataError("expected the same time index as temp_air_c",
                            field="it_load_fraction")
        load = it_load_fraction.to_numpy(dtype=float)
    else:
        load = np.full(len(temp_air_c), float(it_load_fraction))
    if (load <= 0).any() or (load > 1).any():
        raise DataError(
            f"expected IT load fraction in (0, 1], found [{load.min()}, {load.max()}]",
            field="it_load_fraction",
        )
    fixed = state.attrs["design"].fixed_overhead_fraction
    return pd.Series(state["pue_it"].to_numpy() + fixed / load, index=temp_air_c.index,
                     name="pue")


def _aligned(it_energy_mwh: pd.Series, pue: pd.Series) -> None:
    _check_series(it_energy_mwh, "it_energy_mwh")
    _check_series(pue, "pue")
    if not it_energy_mwh.index.equals(pue.index):
        raise DataError("expected the same time index as it_energy_mwh", field="pue")
    if (it_energy_mwh < 0).any():
        raise DataError(f"expected IT energy >= 0, found min {it_energy_mwh.min()}",
                        field="it_energy_mwh")
    if (pue < 1).any():
        raise DataError(f"expected PUE >= 1, found min {pue.min()}", field="pue")


def annual_pue(it_energy_mwh: pd.Series, pue: pd.Series) -> float:
    """Energy-weighted PUE over the whole series: sum(IT x PUE) / sum(IT).

    Parameters
    ----------
    it_energy_mwh : pandas.Series
        IT energy per step, MWh (power x step hours), tz-aware UTC index.
    pue : pandas.Series
        PUE per step, same index.

    Returns
    -------
    float
        Facility energy over IT energy (the Green Grid definition of annual PUE when the
        series spans a year).
    """
    _aligned(it_energy_mwh, pue)
    total = float(it_energy_mwh.sum())
    if total <= 0:
        raise DataError("expected positive total IT energy, found 0", field="it_energy_mwh")
    return float((it_energy_mwh * pue).sum()) / total


def monthly_pue(it_energy_mwh: pd.Series, pue: pd.Series, tz: str = "UTC") -> pd.Series:
    """Energy-weighted PUE per calendar month.

    Parameters
    ----------
    it_energy_mwh, pue : pandas.Series
        As for :func:`annual_pue`.
    tz : str
        Time zone whose calendar months are used (UTC unless a site zone is given).

    Returns
    -------
    pandas.Series
        PUE per month, indexed by the month's first instant in ``tz`` (name ``"month"``).
        Months with zero IT energy are NaN.
    """
    _aligned(it_energy_mwh, pue)
    local = it_energy_mwh.index.tz_convert(tz)
    month = local.tz_localize(None).to_period("M")
    facility = (it_energy_mwh * pue).groupby(month).sum()
    it = it_energy_mwh.groupby(month).sum()
    out = facility / it.where(it > 0)
    starts = out.index.to_timestamp().tz_localize(tz)
    return pd.Series(out.to_numpy(), index=pd.DatetimeIndex(starts, name="month"),
                     name="pue")
