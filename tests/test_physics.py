"""Tests of dcflex.physics: PUE from weather, PV with pvlib, wind power."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
import pvlib
import pytest

from dcflex.data.datasets import shared_data
from dcflex.errors import DataError, ScenarioError
from dcflex.physics import (
    annual_pue,
    capacity_factor,
    cloud_cover_to_ghi,
    extrapolate_wind_speed,
    fit_shear_exponent,
    generic_power_curve,
    monthly_pue,
    pue_from_weather,
    pv_output_mw,
    wet_bulb_stull,
    wind_output_mw,
)

DESIGNS = ["air_economizer", "water_economizer", "chiller"]


def _utc_hours(n: int, start: str = "2023-01-01") -> pd.DatetimeIndex:
    return pd.date_range(start, periods=n, freq="h", tz="UTC", name="time_utc")


@cache
def _open_meteo(zone: str) -> pd.DataFrame:
    """Minimal reader: 'hourly.time' is local wall-clock time of the JSON 'timezone'."""
    path = shared_data("green-dcc", "weather", f"{zone}_2023.json")
    with open(path) as f:
        doc = json.load(f)
    hourly = pd.DataFrame(doc["hourly"])
    local = pd.DatetimeIndex(pd.to_datetime(hourly.pop("time")))
    # The DST-start hour does not exist locally and the DST-end hour is ambiguous: drop both.
    hourly.index = local.tz_localize(doc["timezone"], ambiguous="NaT", nonexistent="NaT")
    hourly = hourly[hourly.index.notna()]
    hourly.index = hourly.index.tz_convert("UTC").rename("time_utc")
    return hourly


# ----------------------------------------------------------------------------- PUE


def test_stull_wet_bulb_matches_paper_example_and_limits() -> None:
    idx = _utc_hours(3)
    t = pd.Series([20.0, 30.0, 10.0], index=idx)
    rh = pd.Series([50.0, 99.0, 20.0], index=idx)
    tw = wet_bulb_stull(t, rh)
    # Stull (2011) worked example: T = 20 degC, RH = 50 % -> Tw = 13.7 degC.
    assert tw.iloc[0] == pytest.approx(13.7, abs=0.05)
    # Near saturation the wet bulb is within Stull's -1/+0.65 K error of the dry bulb.
    assert 29.0 <= tw.iloc[1] <= 30.0
    assert (tw <= t).all()


def test_pue_at_least_one_and_weakly_increasing_with_temperature() -> None:
    temps = np.arange(-20.0, 46.0, 0.5)
    idx = _utc_hours(len(temps))
    t = pd.Series(temps, index=idx)
    for rh_value in (20.0, 50.0, 90.0):
        rh = pd.Series(rh_value, index=idx)
        for design in DESIGNS:
            pue = pue_from_weather(t, rh, design)
            assert (pue >= 1.0).all(), design
            assert (np.diff(pue.to_numpy()) >= -1e-12).all(), (design, rh_value)
            # Hot weather costs more than cold weather for every design.
            assert pue.iloc[-1] > pue.iloc[0] + 0.05, design


def test_design_ordering_in_hot_and_mild_weather() -> None:
    idx = _utc_hours(2)
    t = pd.Series([35.0, 15.0], index=idx)
    rh = pd.Series([40.0, 60.0], index=idx)
    pue = {d: pue_from_weather(t, rh, d) for d in DESIGNS}
    hot, mild = 0, 1
    # 35 degC: an air-cooled chiller at full lift is worst; the cooling tower (wet bulb
    # about 24 degC) beats an air-side economizer that is fully on DX.
    assert pue["chiller"].iloc[hot] > pue["air_economizer"].iloc[hot]
    assert pue["air_economizer"].iloc[hot] > pue["water_economizer"].iloc[hot]
    assert 1.45 <= pue["chiller"].iloc[hot] <= 1.65
    # 15 degC: both economizers run free; the water loop still pays for pumps.
    assert pue["chiller"].iloc[mild] > pue["water_economizer"].iloc[mild]
    assert pue["water_economizer"].iloc[mild] > pue["air_economizer"].iloc[mild]
    assert pue["air_economizer"].iloc[mild] < 1.12


def test_water_design_without_humidity_is_a_data_error() -> None:
    t = pd.Series([25.0, 26.0], index=_utc_hours(2))
    with pytest.raises(DataError, match="relative_humidity_pct"):
        pue_from_weather(t, None, "water_economizer")
    # Dry-bulb designs do not need it.
    assert pue_from_weather(t, None, "chiller").notna().all()


def test_bad_inputs_raise_with_clear_messages() -> None:
    idx = _utc_hours(2)
    t = pd.Series([25.0, 26.0], index=idx)
    with pytest.raises(DataError, match="UTC"):
        pue_from_weather(pd.Series([25.0, 26.0], index=idx.tz_localize(None)))
    with pytest.raises(DataError, match="Kelvin"):
        pue_from_weather(t + 273.15)
    with pytest.raises(DataError, match=r"\[0, 100\]"):
        pue_from_weather(t, pd.Series([50.0, 150.0], index=idx), "water_economizer")
    with pytest.raises(ScenarioError, match="unknown cooling design"):
        pue_from_weather(t, design="immersion")
    with pytest.raises(ScenarioError, match="unknown cooling parameter"):
        pue_from_weather(t, supply_temp=27.0)
    with pytest.raises(DataError, match="load fraction"):
        pue_from_weather(t, it_load_fraction=0.0)


def test_parameter_override_and_part_load() -> None:
    t = pd.Series([28.0], index=_utc_hours(1))
    base = pue_from_weather(t, design="air_economizer").iloc[0]
    # A warmer supply set point (ASHRAE allowable) extends free cooling.
    warm = pue_from_weather(t, design="air_economizer", supply_c=27.0).iloc[0]
    assert warm < base
    # Fixed overhead 0.01 of design IT: at half load it adds 0.02 per IT kW, i.e. +0.01.
    half = pue_from_weather(t, design="air_economizer", it_load_fraction=0.5).iloc[0]
    assert half - base == pytest.approx(0.01, abs=1e-12)


def test_annual_and_monthly_pue_energy_weighting_hand_case() -> None:
    idx = pd.DatetimeIndex(
        ["2023-01-31 23:00", "2023-02-01 00:00", "2023-02-01 01:00"], tz="UTC", name="time_utc"
    )
    it = pd.Series([1.0, 3.0, 0.0], index=idx)
    pue = pd.Series([1.5, 1.1, 9.0], index=idx)
    # (1*1.5 + 3*1.1 + 0*9) / 4 = 4.8 / 4 = 1.2; the plain mean would be 3.87.
    assert annual_pue(it, pue) == pytest.approx(1.2)
    by_month = monthly_pue(it, pue)
    assert by_month.tolist() == pytest.approx([1.5, 1.1])
    assert by_month.index[0] == pd.Timestamp("2023-01-01", tz="UTC")
    # In US Pacific time the first step (15:00 local, 31 Jan) and the second (16:00
    # local, 31 Jan) both fall in January.
    local = monthly_pue(it, pue, tz="America/Los_Angeles")
    assert local.iloc[0] == pytest.approx((1.5 + 3.3) / 4.0)
    with pytest.raises(DataError, match="same time index"):
        annual_pue(it, pue.iloc[:2])


def test_annual_pue_real_weather_san_jose_below_dallas() -> None:
    sj = _open_meteo("US-CAL-CISO")
    dal = _open_meteo("US-TEX-ERCO")
    assert len(sj) == len(dal) == 8758  # 8760 wall-clock hours minus the two DST hours
    results = {}
    for name, w in (("sj", sj), ("dal", dal)):
        it = pd.Series(1.0, index=w.index)  # 1 MW for 1 h steps -> 1 MWh per step
        for design in DESIGNS:
            pue = pue_from_weather(w["temperature_2m"], w["relative_humidity_2m"], design)
            results[name, design] = annual_pue(it, pue)
    for design in DESIGNS:
        assert results["sj", design] < results["dal", design], design
    # Published ranges: hyperscale economizer sites 1.1-1.2 (Google fleet 1.10 in 2023,
    # Shehabi et al. 2016/2024); chiller-only 1.4-1.6 (Uptime 2023 average 1.58).
    for site in ("sj", "dal"):
        assert 1.08 <= results[site, "air_economizer"] <= 1.2
        assert 1.1 <= results[site, "water_economizer"] <= 1.22
    assert 1.4 <= results["dal", "chiller"] <= 1.6


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

    sj = _open_meteo("US-CAL-CISO")
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
