"""Tests of dcflex.physics: PV with pvlib, wind power (cooling and water: test_cooling.py)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
import pvlib
import pytest
from conftest import open_meteo

from dcflex.data.datasets import shared_data
from dcflex.errors import DataError, ScenarioError
from dcflex.physics import (
    capacity_factor,
    cloud_cover_to_ghi,
    extrapolate_wind_speed,
    fit_shear_exponent,
    generic_power_curve,
    pv_output_mw,
    wind_output_mw,
)


def _utc_hours(n: int, start: str = "2023-01-01") -> pd.DatetimeIndex:
    return pd.date_range(start, periods=n, freq="h", tz="UTC", name="time_utc")


# ----------------------------------------------------------------------------- PV


@cache
def _greensboro() -> tuple[pd.DataFrame, dict]:
    path = Path(pvlib.__file__).parent / "data" / "723170TYA.CSV"
    data, meta = pvlib.iotools.read_tmy3(str(path), coerce_year=1990, map_variables=True)
    weather = data[["ghi", "dni", "dhi", "temp_air", "wind_speed"]].rename(
        columns={"temp_air": "temp_air_c", "wind_speed": "wind_speed_m_per_s"}
    )
    weather.index = weather.index.tz_convert("UTC").rename("time_utc")
    return weather.sort_index(), meta


def _gso_pv(**kwargs) -> pd.Series:
    weather, meta = _greensboro()
    # TMY3 values are hour-ending: the label is the end of the hour they describe.
    kwargs.setdefault("time_label", "end")
    return pv_output_mw(weather, meta["latitude"], meta["longitude"], 100.0,
                        altitude_m=meta["altitude"], **kwargs)


def test_pv_greensboro_tmy3_capacity_factor_band() -> None:
    weather, _ = _greensboro()
    fixed = _gso_pv()
    cf = capacity_factor(fixed, 100.0)  # AC energy on DC nameplate
    # Band derived from the file itself: mean GHI 178.8 W/m2 (4.29 kWh/m2/day); latitude
    # tilt raises annual insolation 10-20 % and PVWatts-type performance ratios (AC out
    # over POA x DC nameplate) are 0.75-0.85, so CF in [0.147, 0.182] (measured 0.159,
    # 1,389 kWh/kWdc; a 17-20 % band would need a sunnier year than this TMY3).
    ghi_mean_kw = weather["ghi"].mean() / 1000.0
    assert ghi_mean_kw == pytest.approx(0.1788, abs=1e-3)
    assert ghi_mean_kw * 1.10 * 0.75 <= cf <= ghi_mean_kw * 1.20 * 0.85
    tracked = capacity_factor(_gso_pv(tracking="single_axis"), 100.0)
    assert tracked > cf * 1.05


def test_pv_zero_at_night_and_never_above_ac_rating() -> None:
    weather, meta = _greensboro()
    pac = _gso_pv()
    ac_rating = 100.0 / 1.2
    assert pac.max() <= ac_rating + 1e-9
    assert pac.max() == pytest.approx(ac_rating)  # a DC/AC ratio of 1.2 does clip
    assert (pac >= 0).all()
    # Night = the sun is below the horizon for the whole hour (start and end); in sunrise
    # and sunset hours the mid-hour sun can be below the horizon while the hour has light.
    lat, lon = meta["latitude"], meta["longitude"]
    elev_end = pvlib.solarposition.get_solarposition(weather.index, lat, lon)
    elev_start = pvlib.solarposition.get_solarposition(
        weather.index - pd.Timedelta(hours=1), lat, lon)
    night = ((elev_end["apparent_elevation"] < -1.0).to_numpy()
             & (elev_start["apparent_elevation"] < -1.0).to_numpy())
    assert night.sum() > 3500
    assert (pac.to_numpy()[night] == 0.0).all()


def test_pv_time_label_shifts_sun_half_a_step() -> None:
    # Hour-ending data read as hour-beginning put the sun an hour late: morning output
    # rises and afternoon output falls against the correct reading.
    end = _gso_pv()
    start = _gso_pv(time_label="start")
    hour = end.index.tz_convert("Etc/GMT+5").hour  # local standard time
    assert start[hour == 9].sum() > end[hour == 9].sum()
    assert start[hour == 17].sum() < end[hour == 17].sum()


def test_pv_ghi_only_decomposition_close_to_measured_components() -> None:
    weather, meta = _greensboro()
    full = capacity_factor(_gso_pv(), 100.0)
    for model in ("erbs", "dirint"):
        pac = pv_output_mw(weather.drop(columns=["dni", "dhi"]), meta["latitude"],
                           meta["longitude"], 100.0, altitude_m=meta["altitude"],
                           time_label="end", decomposition=model)
        assert capacity_factor(pac, 100.0) == pytest.approx(full, rel=0.05), model


def test_cloud_cover_relation_and_open_meteo_pv() -> None:
    idx = _utc_hours(3)
    clear = pd.Series([800.0, 800.0, 800.0], index=idx)
    ghi = cloud_cover_to_ghi(clear, pd.Series([0.0, 50.0, 100.0], index=idx))
    # Kasten-Czeplak: N = 0 -> clear; N = 4 okta -> 1 - 0.75 * 0.5**3.4; N = 8 -> 25 %.
    assert ghi.tolist() == pytest.approx([800.0, 800.0 * (1 - 0.75 * 0.5**3.4), 200.0])

    sj = open_meteo("US-CAL-CISO")
    weather = pd.DataFrame({
        "cloud_cover_pct": sj["cloudcover"],
        "temp_air_c": sj["temperature_2m"],
        "wind_speed_m_per_s": sj["windspeed_10m"] / 3.6,  # km/h -> m/s
    })
    # Open-Meteo's cloud cover is an instantaneous value at the label.
    pac = pv_output_mw(weather, 37.43, -121.95, 100.0, time_label="center")
    cf = capacity_factor(pac, 100.0)
    # San Jose with measured irradiance should give roughly CF 0.18-0.20 (estimate, not
    # checked against PVWatts here). Kasten-Czeplak on ERA5 total cloud cover (mean 48 % in
    # 2023, thin cirrus counted as cover) is biased low: measured 0.157 here.
    assert 0.14 <= cf <= 0.21
    clear_sky = pv_output_mw(weather.assign(cloud_cover_pct=0.0), 37.43, -121.95, 100.0,
                             time_label="center")
    # Hour by hour a cloudy sky can beat a clear one on a south-facing panel when the sun
    # is behind it (diffuse light only), but not month by month.
    monthly_clear = clear_sky.groupby(clear_sky.index.month).sum()
    monthly_cloudy = pac.groupby(pac.index.month).sum()
    assert (monthly_clear > monthly_cloudy).all()


def test_pv_nsrdb_amarillo() -> None:
    path = shared_data("hopp-nrel", "35.2018863_-101.945027_psmv3_60_2012.csv")
    raw = pd.read_csv(path, skiprows=2)
    local = pd.to_datetime(raw[["Year", "Month", "Day", "Hour", "Minute"]])
    # Local standard time UTC-6 (SOURCE.txt); values are instantaneous at minute 30.
    idx = pd.DatetimeIndex(local + pd.Timedelta(hours=6)).tz_localize("UTC")
    weather = pd.DataFrame({
        "ghi": raw["GHI"].to_numpy(), "dni": raw["DNI"].to_numpy(), "dhi": raw["DHI"].to_numpy(),
        "temp_air_c": raw["Temperature"].to_numpy(),
        "wind_speed_m_per_s": raw["Wind Speed"].to_numpy(),
    }, index=idx.rename("time_utc"))
    assert len(weather) == 8760
    fixed = pv_output_mw(weather, 35.21, -101.94, 100.0, altitude_m=1102,
                         time_label="center")
    tracked = pv_output_mw(weather, 35.21, -101.94, 100.0, altitude_m=1102,
                           time_label="center", tracking="single_axis")
    cf_fixed, cf_tracked = capacity_factor(fixed, 100.0), capacity_factor(tracked, 100.0)
    # Texas panhandle: sunnier than Greensboro, trackers gain 10-25 %.
    assert cf_fixed > capacity_factor(_gso_pv(), 100.0) + 0.02
    assert 0.18 <= cf_fixed <= 0.23
    assert 1.10 * cf_fixed <= cf_tracked <= 1.25 * cf_fixed
    # The file's own zenith marks night: no output when the sun is well below the horizon.
    night = (raw["Solar Zenith Angle"] > 95).to_numpy()
    assert (fixed.to_numpy()[night] == 0).all()


def test_pv_missing_columns_are_explicit() -> None:
    weather, meta = _greensboro()
    no_temp = weather.drop(columns=["temp_air_c"])
    with pytest.raises(DataError, match="temp_air_c"):
        pv_output_mw(no_temp, meta["latitude"], meta["longitude"], 1.0, time_label="end")
    pac = pv_output_mw(no_temp, meta["latitude"], meta["longitude"], 1.0, time_label="end",
                       assume_temp_air_c=15.0)
    assert pac.max() > 0
    with pytest.raises(DataError, match="irradiance"):
        pv_output_mw(weather[["temp_air_c", "wind_speed_m_per_s"]], 36.0, -80.0, 1.0)


def test_capacity_factor_uses_step_hours() -> None:
    idx = pd.date_range("2023-01-01", periods=96, freq="15min", tz="UTC")
    power = pd.Series(np.r_[np.full(48, 10.0), np.zeros(48)], index=idx)
    assert capacity_factor(power, 20.0) == pytest.approx(0.25)


# ----------------------------------------------------------------------------- wind


@cache
def _srw() -> tuple[pd.Series, pd.Series, pd.DataFrame]:
    path = shared_data("hopp-nrel", "35.2018863_-101.945027_windtoolkit_2012_60min_80m_100m.srw")
    raw = pd.read_csv(path, skiprows=[0, 1, 3, 4])
    # The .srw carries no timestamps; hour-of-year order from 2012-01-01 (times do not
    # enter any assertion below).
    idx = _utc_hours(len(raw), "2012-01-01")
    return (pd.Series(raw["Speed"].to_numpy(), index=idx),
            pd.Series(raw["Speed.1"].to_numpy(), index=idx), raw)


def test_wind_shear_fit_tracks_measured_100m() -> None:
    v80, v100, _ = _srw()
    assert v80.mean() == pytest.approx(8.2, abs=0.05)  # SOURCE.txt
    alpha = fit_shear_exponent(v80, v100, 80.0, 100.0)
    assert 0.1 < alpha < 0.35
    est = extrapolate_wind_speed(v80, 80.0, 100.0, shear_exponent=alpha)
    assert est.mean() == pytest.approx(v100.mean(), rel=1e-9)
    rmse = float(np.sqrt(((est - v100) ** 2).mean()))
    rmse_seventh = float(np.sqrt(((extrapolate_wind_speed(v80, 80.0, 100.0) - v100) ** 2).mean()))
    assert rmse < 0.5  # measured 0.37 m/s on an 8.6 m/s mean
    assert rmse < rmse_seventh


def test_log_law_and_power_law_hand_values() -> None:
    v = pd.Series([5.0, 10.0], index=_utc_hours(2))
    power = extrapolate_wind_speed(v, 10.0, 100.0)
    assert power.tolist() == pytest.approx([5.0 * 10 ** (1 / 7), 10.0 * 10 ** (1 / 7)])
    log = extrapolate_wind_speed(v, 10.0, 100.0, method="log", roughness_length_m=0.03)
    assert log.iloc[0] == pytest.approx(5.0 * np.log(100 / 0.03) / np.log(10 / 0.03))
    with pytest.raises(ScenarioError, match="roughness"):
        extrapolate_wind_speed(v, 10.0, 100.0, method="log")


def test_generic_power_curve_shape() -> None:
    v = np.arange(0.0, 30.0, 0.05)
    p = generic_power_curve(v)
    assert (p[v < 3.0] == 0).all() and (p[v >= 25.0] == 0).all()
    assert (p[(v >= 12.0) & (v < 25.0)] == 1.0).all()
    below = (v >= 3.0) & (v < 12.0)
    assert (np.diff(p[below]) > 0).all()
    assert generic_power_curve(np.array([8.0]))[0] == pytest.approx((512 - 27) / (1728 - 27))


def test_wind_output_texas_panhandle() -> None:
    v80, v100, raw = _srw()
    out = wind_output_mw(v80, 100.0, measurement_height_m=80.0, hub_height_m=100.0)
    cf = capacity_factor(out, 100.0)
    # Texas panhandle plants report net CFs of roughly 40-50 % for modern turbines.
    assert 0.38 <= cf <= 0.50
    assert out.max() == pytest.approx(90.0)  # rated x (1 - 10 % losses)
    hub = extrapolate_wind_speed(v80, 80.0, 100.0)
    assert (out[(hub < 3.0) | (hub >= 25.0)] == 0).all()
    # Thin air at 1,100 m (rho about 1.06 kg/m3 from the file's p and T) lowers output.
    rho = raw["Pressure.1"].to_numpy() * 101325.0 / (287.05 * (raw["Temperature.1"] + 273.15))
    thin = wind_output_mw(v100, 100.0, measurement_height_m=100.0,
                          air_density_kg_per_m3=pd.Series(rho.to_numpy(), index=v100.index))
    assert capacity_factor(thin, 100.0) < capacity_factor(
        wind_output_mw(v100, 100.0, measurement_height_m=100.0), 100.0)


def test_wind_tabulated_curve_and_unit_errors() -> None:
    curve = pd.Series([0.0, 0.5, 1.0, 1.0], index=[3.0, 8.0, 13.0, 25.0])
    v = pd.Series([2.0, 5.5, 8.0, 20.0, 26.0], index=_utc_hours(5))
    out = wind_output_mw(v, 10.0, measurement_height_m=100.0, power_curve=curve, losses_pct=0)
    assert out.tolist() == pytest.approx([0.0, 2.5, 5.0, 10.0, 0.0])
    with pytest.raises(DataError, match="km/h"):
        wind_output_mw(v * 36.0, 10.0, measurement_height_m=100.0)
    with pytest.raises(ScenarioError, match="normalized"):
        wind_output_mw(v, 10.0, measurement_height_m=100.0, power_curve=curve * 3000)
