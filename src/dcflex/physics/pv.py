"""Photovoltaic AC output from weather with pvlib's PVWatts chain.

Chain per time step: solar position -> irradiance components (measured, decomposed from
GHI, or estimated from cloud cover) -> plane-of-array irradiance (Perez 1990 diffuse,
as PVWatts v5) -> beam reflection loss (physical IAM, glass n = 1.526 as PVWatts v5) ->
cell temperature (SAPM) -> PVWatts DC with temperature coefficient -> system losses ->
PVWatts inverter with AC clipping.

Time labels
    The index of ``weather`` is a tz-aware UTC DatetimeIndex. By default (``time_label=
    "start"``) each label marks the *start* of a step whose values are step means, which
    is the dcflex convention for energy series; the sun position is taken at mid-step
    (label + step/2). Data labelled at the end of the step (TMY3, many SCADA exports) use
    ``time_label="end"`` (label - step/2); instantaneous samples at the step centre
    (NSRDB PSM3 at minute 30) use ``time_label="center"``. Output keeps the input index.

Weather columns (units in the name)
    ``ghi``, ``dni``, ``dhi`` (W/m2) or ``ghi`` alone (decomposed with Erbs et al. 1982 or
    DIRINT) or ``cloud_cover_pct`` alone (0-100, Open-Meteo ``cloudcover``); plus
    ``temp_air_c`` (degC) and ``wind_speed_m_per_s`` (at 10 m, for the cell temperature).

Accuracy of the cloud-cover route
    Kasten-Czeplak was fitted to observer-reported oktas; reanalysis total cloud cover
    (Open-Meteo/ERA5) counts thin cirrus as cover, so the estimate runs low: Open-Meteo
    2023 San Jose (mean cover 48 %) gives GHI 4.3 kWh/m2/day and a fixed-tilt capacity
    factor of 0.157. Prefer measured or satellite irradiance (NSRDB, TMY) when available.

References
----------
A. P. Dobos (2014), PVWatts Version 5 Manual, NREL/TP-6A20-62641 (gamma_pdc -0.37 %/K for
    a standard module, 14 % default system losses, 96 % nominal inverter efficiency,
    albedo 0.2, Perez sky diffuse).
F. Kasten and G. Czeplak (1980), "Solar and terrestrial radiation dependent on the amount
    and type of cloud", Solar Energy 24, 177-189 (GHI = GHI_clear (1 - 0.75 (N/8)^3.4)).
D. G. Erbs, S. A. Klein, J. A. Duffie (1982), Solar Energy 28, 293-302.
D. L. King, W. E. Boyson, J. A. Kratochvil (2004), Photovoltaic Array Performance Model,
    SAND2004-3535 (SAPM cell temperature).
W. F. Holmgren, C. W. Hansen, M. A. Mikofski (2018), "pvlib python", JOSS 3(29), 884.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pvlib

from dcflex.errors import DataError, ScenarioError

__all__ = ["capacity_factor", "cloud_cover_to_ghi", "pv_output_mw"]

# PVWatts v5 standard-module power temperature coefficient, 1/K (Dobos 2014, Table 2).
_GAMMA_PDC_PER_C = -0.0037
# PVWatts v5 nominal inverter efficiency (Dobos 2014, section 9).
_ETA_INV_NOM = 0.96
# PVWatts v5 ground albedo (Dobos 2014).
_ALBEDO = 0.2


def _check_index(obj: pd.Series | pd.DataFrame, field: str) -> None:
    idx = obj.index
    if not isinstance(idx, pd.DatetimeIndex) or idx.tz is None or str(idx.tz) != "UTC":
        raise DataError(
            "expected a tz-aware UTC DatetimeIndex, got "
            f"{type(idx).__name__} with tz={getattr(idx, 'tz', None)}",
            field=field,
        )
    if not idx.is_monotonic_increasing or idx.has_duplicates:
        raise DataError("expected a strictly increasing time index", field=field)


def _step(idx: pd.DatetimeIndex, field: str) -> pd.Timedelta:
    if len(idx) < 2:
        raise DataError(f"expected at least 2 time steps to infer the step, got {len(idx)}",
                        field=field)
    return (idx[1:] - idx[:-1]).median()


def cloud_cover_to_ghi(ghi_clear_w_per_m2: pd.Series, cloud_cover_pct: pd.Series) -> pd.Series:
    """Global horizontal irradiance from clear-sky GHI and total cloud cover.

    ``GHI = GHI_clear * (1 - 0.75 * (N / 8) ** 3.4)`` with ``N`` in oktas
    (``N = cloud_cover_pct / 12.5``), Kasten and Czeplak (1980).

    Parameters
    ----------
    ghi_clear_w_per_m2 : pandas.Series
        Clear-sky GHI, W/m2.
    cloud_cover_pct : pandas.Series
        Total cloud cover, percent 0-100.

    Returns
    -------
    pandas.Series
        GHI, W/m2 (overcast sky keeps 25 % of clear-sky GHI).
    """
    oktas = cloud_cover_pct.to_numpy(dtype=float) / 12.5
    ghi = ghi_clear_w_per_m2.to_numpy(dtype=float) * (1.0 - 0.75 * (oktas / 8.0) ** 3.4)
    return pd.Series(ghi, index=ghi_clear_w_per_m2.index, name="ghi")


def _column(weather: pd.DataFrame, name: str, lo: float, hi: float) -> pd.Series:
    s = weather[name].astype(float)
    if s.isna().any():
        raise DataError(f"expected no missing values, found {int(s.isna().sum())}", field=name)
    if s.min() < lo or s.max() > hi:
        raise DataError(f"expected values within [{lo}, {hi}], found [{s.min()}, {s.max()}]",
                        field=name)
    return s


def _temperature_params(temperature_model: str) -> tuple[str, dict]:
    parts = temperature_model.split()
    families = pvlib.temperature.TEMPERATURE_MODEL_PARAMETERS
    if len(parts) != 2 or parts[0] not in ("sapm", "pvsyst") or parts[1] not in families[parts[0]]:
        choices = [f"{f} {c}" for f in ("sapm", "pvsyst") for c in families[f]]
        raise ScenarioError(
            f"unknown temperature model {temperature_model!r}; expected one of {choices}",
            field="solar.temperature_model",
        )
    return parts[0], dict(families[parts[0]][parts[1]])


def pv_output_mw(
    weather: pd.DataFrame,
    latitude: float,
    longitude: float,
    capacity_mw_dc: float,
    *,
    tilt_deg: float | None = None,
    azimuth_deg: float = 180.0,
    tracking: str = "fixed",
    dc_ac_ratio: float = 1.2,
    losses_pct: float = 14.0,
    altitude_m: float = 0.0,
    temperature_model: str = "sapm open_rack_glass_polymer",
    time_label: str = "start",
    decomposition: str = "erbs",
    max_angle_deg: float = 60.0,
    gcr: float = 0.35,
    assume_temp_air_c: float | None = None,
    assume_wind_speed_m_per_s: float | None = None,
) -> pd.Series:
    """AC power of a PV plant per time step (PVWatts with pvlib).

    Parameters
    ----------
    weather : pandas.DataFrame
        Tz-aware UTC index; columns as in the module docstring.
    latitude, longitude : float
        Site, degrees north / east.
    capacity_mw_dc : float
        DC nameplate at STC, MW.
    tilt_deg : float, optional
        Fixed-tilt angle, degrees; ``None`` means tilt = abs(latitude) (the classic
        annual-yield rule of thumb). Ignored for single-axis tracking.
    azimuth_deg : float
        Fixed-tilt azimuth, degrees east of north (180 = south).
    tracking : {"fixed", "single_axis"}
        Single axis is horizontal north-south with backtracking.
    dc_ac_ratio : float
        DC nameplate over AC inverter rating (PVWatts v5 default 1.2 in newer releases;
        1.1 in the v5 manual).
    losses_pct : float
        System losses (soiling, shading, mismatch, wiring, LID, availability...), percent
        of DC; PVWatts v5 default 14 (Dobos 2014).
    altitude_m : float
        Site altitude, m (clear-sky model and air mass).
    temperature_model : str
        ``"<family> <configuration>"`` from ``pvlib.temperature.TEMPERATURE_MODEL_PARAMETERS``,
        e.g. ``"sapm open_rack_glass_polymer"`` (King et al. 2004).
    time_label : {"start", "end", "center"}
        What each index label marks; see the module docstring.
    decomposition : {"erbs", "dirint"}
        GHI -> DNI/DHI model when only GHI (or cloud cover) is given.
    max_angle_deg, gcr : float
        Tracker rotation limit (degrees) and ground coverage ratio; +-60 deg and
        GCR 0.35 are typical of current utility-scale single-axis trackers (assumption).
    assume_temp_air_c, assume_wind_speed_m_per_s : float, optional
        Explicit constant to use when the weather has no ``temp_air_c`` /
        ``wind_speed_m_per_s`` column; without them a missing column is an error.

    Returns
    -------
    pandas.Series
        AC power, MW, in [0, capacity_mw_dc / dc_ac_ratio], named ``"pv_power_mw"``.

    Raises
    ------
    DataError
        Bad index, missing or out-of-range weather columns.
    ScenarioError
        Invalid plant parameters.
    """
    _check_index(weather, "weather")
    if capacity_mw_dc <= 0 or dc_ac_ratio <= 0 or not 0 <= losses_pct < 100:
        raise ScenarioError(
            "expected capacity_mw_dc > 0, dc_ac_ratio > 0 and 0 <= losses_pct < 100, got "
            f"{capacity_mw_dc}, {dc_ac_ratio}, {losses_pct}",
            field="solar",
        )
    if tracking not in ("fixed", "single_axis"):
        raise ScenarioError(f"tracking must be 'fixed' or 'single_axis', got {tracking!r}",
                            field="solar.tracking")
    offsets = {"start": 0.5, "end": -0.5, "center": 0.0}
    if time_label not in offsets:
        raise ScenarioError(f"time_label must be one of {list(offsets)}, got {time_label!r}",
                            field="solar.time_label")
    if decomposition not in ("erbs", "dirint"):
        raise ScenarioError(f"decomposition must be 'erbs' or 'dirint', got {decomposition!r}",
                            field="solar.decomposition")
    family, temp_params = _temperature_params(temperature_model)

    index = weather.index
    step = _step(index, "weather")
    sun_times = index + offsets[time_label] * step
    site = pvlib.location.Location(latitude, longitude, tz="UTC", altitude=altitude_m)
    solpos = site.get_solarposition(sun_times)
    zenith = solpos["zenith"]
    cols = set(weather.columns)

    if {"ghi", "dni", "dhi"} <= cols:
        ghi = _column(weather, "ghi", 0, 1500)
        dni = _column(weather, "dni", 0, 1500)
        dhi = _column(weather, "dhi", 0, 1000)
        ghi.index = dni.index = dhi.index = sun_times
    else:
        if "ghi" in cols:
            ghi = _column(weather, "ghi", 0, 1500)
            ghi.index = sun_times
        elif "cloud_cover_pct" in cols:
            cloud = _column(weather, "cloud_cover_pct", 0, 100)
            cloud.index = sun_times
            clear = site.get_clearsky(sun_times, solar_position=solpos)
            ghi = cloud_cover_to_ghi(clear["ghi"], cloud)
        else:
            raise DataError(
                "expected irradiance columns ghi, dni, dhi (W/m2), or ghi alone, or "
                f"cloud_cover_pct; found {sorted(cols)}",
                field="weather",
            )
        if decomposition == "erbs":
            parts = pvlib.irradiance.erbs(ghi, zenith, sun_times)
        else:
            dni_only = pvlib.irradiance.dirint(ghi, zenith, sun_times)
            parts = {"dni": dni_only.fillna(0.0)}
            cosz = np.cos(np.radians(zenith)).clip(lower=0)
            parts["dhi"] = (ghi - parts["dni"] * cosz).clip(lower=0)
        dni = pd.Series(parts["dni"], index=sun_times).fillna(0.0)
        dhi = pd.Series(parts["dhi"], index=sun_times).fillna(0.0)

    def _met(name: str, assumed: float | None, lo: float, hi: float) -> pd.Series:
        if name in cols:
            s = _column(weather, name, lo, hi)
            s.index = sun_times
            return s
        if assumed is None:
            raise DataError(
                f"column {name} is missing; add it or pass an explicit assumption "
                f"(assume_{name}=...)",
                field=name,
            )
        return pd.Series(float(assumed), index=sun_times)

    temp_air = _met("temp_air_c", assume_temp_air_c, -60, 60)
    wind = _met("wind_speed_m_per_s", assume_wind_speed_m_per_s, 0, 75)

    if tracking == "fixed":
        surface_tilt = pd.Series(abs(latitude) if tilt_deg is None else tilt_deg,
                                 index=sun_times)
        surface_azimuth = pd.Series(azimuth_deg, index=sun_times)
    else:
        trk = pvlib.tracking.singleaxis(
            solpos["apparent_zenith"], solpos["azimuth"], axis_tilt=0, axis_azimuth=180,
            max_angle=max_angle_deg, backtrack=True, gcr=gcr,
        )
        # Trackers stow flat at night; irradiance is zero then anyway.
        surface_tilt = trk["surface_tilt"].fillna(0.0)
        surface_azimuth = trk["surface_azimuth"].fillna(180.0)

    dni_extra = pvlib.irradiance.get_extra_radiation(sun_times)
    airmass = pvlib.atmosphere.get_relative_airmass(solpos["apparent_zenith"])
    poa = pvlib.irradiance.get_total_irradiance(
        surface_tilt, surface_azimuth, solpos["apparent_zenith"], solpos["azimuth"],
        dni, ghi, dhi, dni_extra=dni_extra, airmass=airmass, albedo=_ALBEDO, model="perez",
    ).fillna(0.0)
    aoi = pvlib.irradiance.aoi(surface_tilt, surface_azimuth, solpos["apparent_zenith"],
                               solpos["azimuth"])
    iam = pvlib.iam.physical(aoi)
    effective = (poa["poa_direct"] * np.nan_to_num(iam) + poa["poa_diffuse"]).clip(lower=0)

    if family == "sapm":
        temp_cell = pvlib.temperature.sapm_cell(poa["poa_global"], temp_air, wind,
                                                **temp_params)
    else:
        temp_cell = pvlib.temperature.pvsyst_cell(poa["poa_global"], temp_air, wind,
                                                  **temp_params)
    pdc = pvlib.pvsystem.pvwatts_dc(effective, temp_cell, capacity_mw_dc, _GAMMA_PDC_PER_C)
    pdc = pdc * (1.0 - losses_pct / 100.0)
    pac0 = capacity_mw_dc / dc_ac_ratio
    # pvlib's inverter pdc0 is the DC input limit; the AC limit is eta_nom * pdc0.
    pac = pvlib.inverter.pvwatts(pdc, pac0 / _ETA_INV_NOM, eta_inv_nom=_ETA_INV_NOM)
    pac = np.asarray(pac, dtype=float)
    if not np.isfinite(pac0) or not np.all(np.isfinite(pac)):
        # never hide it (np.nan_to_num once zeroed the whole PV output here)
        raise DataError("PV output is not a finite number; check capacity_mw_dc, dc_ac_ratio "
                        "and the site's altitude", field="solar")
    out = np.clip(pac, 0.0, pac0)
    return pd.Series(out, index=index, name="pv_power_mw")


def capacity_factor(power_mw: pd.Series, capacity_mw: float) -> float:
    """Energy over what the nameplate would give in the same time.

    Parameters
    ----------
    power_mw : pandas.Series
        Mean power per step, MW, tz-aware UTC index (each step lasts until the next
        label; the last step is as long as the median step).
    capacity_mw : float
        Nameplate the factor refers to (state whether DC or AC), MW.

    Returns
    -------
    float
        sum(P * step_h) / (capacity * sum(step_h)), dimensionless.
    """
    _check_index(power_mw, "power_mw")
    if capacity_mw <= 0:
        raise ScenarioError(f"capacity must be > 0, got {capacity_mw}", field="capacity_mw")
    if power_mw.isna().any():
        raise DataError(f"expected no missing values, found {int(power_mw.isna().sum())}",
                        field="power_mw")
    step = _step(power_mw.index, "power_mw")
    edges = power_mw.index.append(pd.DatetimeIndex([power_mw.index[-1] + step]))
    hours = ((edges[1:] - edges[:-1]) / pd.Timedelta(hours=1)).to_numpy(dtype=float)
    energy_mwh = float((power_mw.to_numpy(dtype=float) * hours).sum())
    return energy_mwh / (capacity_mw * float(hours.sum()))
