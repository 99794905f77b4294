"""Readers on the real staged files: length, UTC index, units, statistics from SOURCE.txt."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pvlib
import pytest

from dcflex.data.datasets import shared_data
from dcflex.data.readers import FORMATS, read_series
from dcflex.data.readers.caiso import read_caiso_oasis_lmp
from dcflex.data.readers.dcrl import read_dcrl_eia
from dcflex.data.readers.electricitymaps import read_electricitymaps
from dcflex.data.readers.entsoe import read_entsoe_wide
from dcflex.data.readers.greendcc import read_greendcc_price
from dcflex.data.readers.openmeteo import read_openmeteo
from dcflex.data.readers.weather import read_nsrdb, read_pvgis_tmy, read_srw, read_tmy3
from dcflex.errors import DataError

TMY3 = Path(pvlib.__file__).parent / "data" / "723170TYA.CSV"
HOPP = "hopp-nrel"
SRW = "35.2018863_-101.945027_windtoolkit_2012_60min_80m_100m.srw"
PSM3 = "35.2018863_-101.945027_psmv3_60_2012.csv"


def _is_utc_hourly(df, n, start):
    assert len(df) == n
    assert str(df.index.tz) == "UTC" and df.index.name == "time_utc"
    assert df.index.is_monotonic_increasing and not df.index.has_duplicates
    assert df.index[0] == pd.Timestamp(start, tz="UTC")


# ------------------------------------------------------------- green-dcc prices and carbon

PRICE_MEANS = {"US-CAL-CISO": 61.5, "US-TEX-ERCO": 55.9, "US-MIDA-PJM": 35.7, "DE-LU": 102.6}
CARBON_MEANS = {"US-CAL-CISO": 194, "US-TEX-ERCO": 317, "US-MIDA-PJM": 322, "DE-LU": 308}


@pytest.mark.parametrize("zone", sorted(PRICE_MEANS))
def test_greendcc_price_means(zone):
    df = read_greendcc_price(shared_data("green-dcc", "electricity_prices",
                                         f"{zone}_electricity_prices_2023.csv"))
    _is_utc_hourly(df, 8760, "2023-01-01 00:00")
    assert df.attrs["units"] == {"price_usd_per_mwh": "USD/MWh"}
    assert df["price_usd_per_mwh"].mean() == pytest.approx(PRICE_MEANS[zone], abs=0.05)


def test_greendcc_extremes_from_source():
    erco = read_greendcc_price(shared_data("green-dcc", "electricity_prices",
                                           "US-TEX-ERCO_electricity_prices_2023.csv"))
    de = read_greendcc_price(shared_data("green-dcc", "electricity_prices",
                                         "DE-LU_electricity_prices_2023.csv"))
    assert round(erco["price_usd_per_mwh"].max()) == 4112
    assert round(de["price_usd_per_mwh"].min()) == -484


def test_greendcc_local_and_utc_must_agree(tmp_path):
    src = shared_data("green-dcc", "electricity_prices", "US-CAL-CISO_electricity_prices_2023.csv")
    lines = src.read_text().splitlines()
    lines[3] = lines[3].replace("18:00:00-08:00", "19:00:00-08:00")
    bad = tmp_path / "shifted.csv"
    bad.write_text("\n".join(lines[:10]) + "\n")
    with pytest.raises(DataError, match="UTC and local time disagree, first at line 4"):
        read_greendcc_price(bad)


@pytest.mark.parametrize("zone", sorted(CARBON_MEANS))
def test_electricitymaps_green_dcc_direct_means(zone):
    path = shared_data("green-dcc", "carbon_intensity", f"{zone}_2023_hourly.csv")
    df = read_electricitymaps(path)
    _is_utc_hourly(df, 8760, "2023-01-01 00:00")
    assert df.attrs["units"]["carbon_intensity_direct_kg_per_mwh"] == "kg/MWh"
    assert df.attrs["zone"] == {"DE-LU": "DE"}.get(zone, zone)  # the DE-LU file says "DE"
    assert df["carbon_intensity_direct_kg_per_mwh"].mean() == pytest.approx(
        CARBON_MEANS[zone], abs=0.5)
    assert df["carbon_intensity_lca_kg_per_mwh"].mean() > df[
        "carbon_intensity_direct_kg_per_mwh"].mean()
    assert df["renewable_pct"].between(0, 100).all()


LCA_MEANS = {"US-CAL-CISO": (274, 261, 261), "ES": (174, 219, 160), "NO": (32, 38, 34),
             "BR": (171, 93, 83)}


@pytest.mark.parametrize("zone", sorted(LCA_MEANS))
def test_electricitymaps_decarbonization_potential_lca_means(zone):
    for year, expected in zip((2021, 2022, 2023), LCA_MEANS[zone], strict=True):
        path = shared_data("decarbonization-potential", "electricitymaps_hourly",
                           f"{zone}_{year}_hourly.csv")
        s, unit = read_series(path, "electricitymaps", "carbon_intensity_lca_kg_per_mwh")
        assert unit == "kg/MWh" and len(s) == 8760
        assert s.isna().sum() == 0
        assert s.mean() == pytest.approx(expected, abs=0.5)


# ------------------------------------------------------------- ENTSO-E, CAISO, HOPP


def test_entsoe_wide_zones_in_eur():
    df = read_entsoe_wide(shared_data("entsoe-dayahead-tscv", "elec_price_2019_2020_wide.csv"))
    _is_utc_hourly(df, 17544, "2019-01-01 00:00")
    assert len(df.columns) == 8
    assert set(df.attrs["units"].values()) == {"EUR/MWh"}
    # DST days stay 24 h: a UTC series has no hole in late March
    assert (np.diff(df.index.as_unit("s").asi8) == 3600).all()
    s, unit = read_series(shared_data("entsoe-dayahead-tscv", "elec_price_2019_2020_wide.csv"),
                          "entsoe", "DE")
    assert unit == "EUR/MWh" and s.name == "DE_price_eur_per_mwh"
    assert s.iloc[0] == pytest.approx(10.07)


def test_caiso_oasis_2018():
    path = shared_data(HOPP, "IRONMTN_2_N001_LMP_DAM60_20180101_20190101.csv")
    full = read_caiso_oasis_lmp(path)
    assert len(full) == 8783  # SOURCE.txt: a few hours beyond the year
    df = read_caiso_oasis_lmp(path, year=2018)
    _is_utc_hourly(df, 8760, "2018-01-01 00:00")
    assert df.attrs["node"] == "IRONMTN_2_N001"
    assert df["lmp_usd_per_mwh"].iloc[0] == pytest.approx(39.25353)


@pytest.mark.parametrize(("year", "mean"), [(2019, 30.1), (2020, 30.5)])
def test_hopp_8760_price_lists(year, mean):
    path = shared_data(HOPP, f"pricing-data-{year}-IronMtn-002.csv")
    s, unit = read_series(path, "price_8760", None, tz="UTC-08:00", year=year)
    assert unit == "USD/MWh" and len(s) == 8760
    assert s.index[0] == pd.Timestamp(f"{year}-01-01 08:00", tz="UTC")
    assert s.mean() == pytest.approx(mean, abs=0.05)
    feb29 = ((s.index - pd.Timedelta(hours=8)).strftime("%m-%d") == "02-29").sum()
    assert feb29 == 0 and s.attrs["skipped_feb29"] == (year == 2020)


def test_8760_list_needs_year_and_tz():
    path = shared_data(HOPP, "pricing-data-2019-IronMtn-002.csv")
    with pytest.raises(DataError, match="year"):
        read_series(path, "price_8760", None, tz="UTC")
    with pytest.raises(DataError, match="tz"):
        read_series(path, "price_8760", None, year=2019)


# ------------------------------------------------------------- weather


@pytest.mark.parametrize(
    ("zone", "tz"),
    [("US-CAL-CISO", "America/Los_Angeles"), ("US-TEX-ERCO", "America/Chicago"),
     ("US-MIDA-PJM", "America/New_York"), ("DE-LU", "Europe/Berlin")],
)
def test_openmeteo_fixed_offset_and_units(zone, tz):
    path = shared_data("green-dcc", "weather", f"{zone}_2023.json")
    raw = json.loads(path.read_text())
    df = read_openmeteo(path)
    assert len(df) == 8760 and str(df.index.tz) == "UTC"
    assert df.attrs["timezone"] == tz and df.attrs["time_convention"] == "fixed_offset"
    offset = pd.Timedelta(seconds=raw["utc_offset_seconds"])
    assert df.index[0] == pd.Timestamp("2023-01-01 00:00", tz="UTC") - offset
    kmh = np.array(raw["hourly"]["windspeed_10m"], dtype=float)
    np.testing.assert_allclose(df["wind_speed_10m_m_per_s"].to_numpy(), kmh / 3.6)
    assert df.attrs["units"]["wind_speed_10m_m_per_s"] == "m/s"
    assert df.attrs["source_units"]["wind_speed_10m_m_per_s"] == "km/h"
    assert df["relative_humidity_pct"].between(0, 100).all()


def test_openmeteo_with_real_dst_stamps_is_localized(tmp_path):
    times = ["2023-03-12T00:00", "2023-03-12T01:00", "2023-03-12T03:00", "2023-03-12T04:00"]
    doc = {"timezone": "America/New_York", "utc_offset_seconds": -18000,
           "hourly_units": {"time": "iso8601", "temperature_2m": "°C"},
           "hourly": {"time": times, "temperature_2m": [1.0, 2.0, 3.0, 4.0]}}
    path = tmp_path / "dst.json"
    path.write_text(json.dumps(doc))
    df = read_openmeteo(path)
    assert df.attrs["time_convention"] == "local_dst"
    assert list(df.index.strftime("%H")) == ["05", "06", "07", "08"]


def test_tmy3_greensboro_on_2023_and_2024():
    raw = read_tmy3(TMY3)
    assert len(raw) == 8760 and raw.attrs["utc_offset_hours"] == -5.0
    a = read_tmy3(TMY3, year=2023)
    _is_utc_hourly(a, 8760, "2023-01-01 05:00")
    b = read_tmy3(TMY3, year=2024)
    assert len(b) == 8784
    assert a["ghi_w_per_m2"].sum() == pytest.approx(raw["ghi_w_per_m2"].sum())
    # first row of the file ("01/01/1988,01:00") covers 00:00-01:00 local standard time
    first = pd.read_csv(TMY3, skiprows=1, nrows=1)["GHI (W/m^2)"].iloc[0]
    assert a["ghi_w_per_m2"].iloc[0] == first
    assert a.attrs["units"]["ghi_w_per_m2"] == "W/m2"
    assert 170 < a["ghi_w_per_m2"].mean() < 190  # ~4.3 kWh/m2/day in North Carolina


def test_typical_year_needs_year_in_read_series():
    with pytest.raises(DataError, match="typical year"):
        read_series(TMY3, "tmy3", "ghi_w_per_m2")
    s, unit = read_series(TMY3, "tmy3", "ghi", year=2023, unit="W/m^2")
    assert unit == "W/m2" and len(s) == 8760


def test_nsrdb_psm3_amarillo_2012():
    df = read_nsrdb(shared_data(HOPP, PSM3))
    assert len(df) == 8760  # leap year without Feb 29
    assert df.index[0] == pd.Timestamp("2012-01-01 06:00", tz="UTC")  # 00:30 UTC-6, floored
    assert df.attrs["utc_offset_hours"] == -6
    assert {"ghi_w_per_m2", "dni_w_per_m2", "dhi_w_per_m2", "temp_air_c",
            "wind_speed_m_per_s"} <= set(df.columns)
    # clear high plains: annual mean GHI ~5.5 kWh/m2/day
    assert 5.0 < df["ghi_w_per_m2"].mean() * 24 / 1000 < 6.0


def test_pvgis_tmy_json(tmp_path):
    rows = []
    for month, year in ((1, 2010), (2, 2012), (3, 2015)):
        for day in range(1, 3):
            for hour in range(24):
                rows.append({"time(UTC)": f"{year}{month:02d}{day:02d}:{hour:02d}00",
                             "T2m": 10.0, "RH": 50.0, "G(h)": float(hour), "Gb(n)": 0.0,
                             "Gd(h)": 0.0, "IR(h)": 300.0, "WS10m": 3.0, "WD10m": 180.0,
                             "SP": 1e5})
    doc = {"inputs": {"location": {"latitude": 45.0, "longitude": 8.0}},
           "outputs": {"months_selected": [], "tmy_hourly": rows}, "meta": {"inputs": {}}}
    path = tmp_path / "tmy.json"
    path.write_text(json.dumps(doc))
    df = read_pvgis_tmy(path, year=2024)
    assert len(df) == 6 * 24
    assert df.index[0] == pd.Timestamp("2024-01-01 00:00", tz="UTC")
    assert df["ghi_w_per_m2"].iloc[5] == 5.0
    assert df.attrs["units"]["temp_air_c"] == "degC"


def test_srw_wind_toolkit():
    df = read_srw(shared_data(HOPP, SRW), tz="UTC")
    _is_utc_hourly(df, 8760, "2012-01-01 00:00")
    assert df.attrs["heights_m"] == [80.0, 100.0]
    assert df["wind_speed_80m_m_per_s"].mean() == pytest.approx(8.2, abs=0.05)
    assert df["wind_speed_100m_m_per_s"].mean() > df["wind_speed_80m_m_per_s"].mean()  # shear
    assert df.attrs["units"]["pressure_80m_atm"] == "atm"


# ------------------------------------------------------------- dc-rl and EIA-930


@pytest.mark.parametrize(("ba", "mean"), [("CISO", 256), ("ERCO", 347), ("PJM", 363)])
def test_dcrl_average_intensity(ba, mean):
    df = read_dcrl_eia(shared_data("dc-rl-eia-ci", f"{ba}_NG_avgCI_2022.csv"))
    _is_utc_hourly(df, 8760, "2022-01-01 00:00")
    assert df["carbon_intensity_avg_kg_per_mwh"].mean() == pytest.approx(mean, abs=0.5)
    assert df.attrs["units"]["generation_ng_mwh"] == "MWh"
    assert (df["generation_nuc_mwh"].dropna() >= 0).all()


def test_eia930_through_registry():
    path = shared_data("eia930-cleaned-demand", "CISO_raw_2020-2024.csv")
    s, unit = read_series(path, "eia930", "demand_mw")
    assert unit == "MW" and len(s) == 43848
    assert int(s.isna().sum()) == 14  # SOURCE.txt: 14 MISSING/EMPTY rows in CISO


# ------------------------------------------------------------- read_series contract


def test_registry_names():
    assert set(FORMATS) == {
        "electricitymaps", "greendcc_price", "entsoe", "caiso_oasis", "price_8760", "openmeteo",
        "tmy3", "nsrdb", "pvgis", "srw", "dcrl_eia", "eia930", "csv", "parquet"}


def test_missing_file_is_named(tmp_path):
    with pytest.raises(DataError, match="nope.csv"):
        read_series(tmp_path / "nope.csv", "greendcc_price")


def test_missing_column_lists_available():
    path = shared_data("dc-rl-eia-ci", "CISO_NG_avgCI_2022.csv")
    with pytest.raises(DataError) as err:
        read_series(path, "dcrl_eia", "marginal_ci")
    assert "carbon_intensity_avg_kg_per_mwh" in str(err.value)
    assert "generation_wnd_mwh" in str(err.value)


def test_unit_must_match_native():
    path = shared_data("green-dcc", "carbon_intensity", "US-CAL-CISO_2023_hourly.csv")
    s, unit = read_series(path, "electricitymaps", "carbon_intensity_direct_kg_per_mwh",
                          unit="gCO2eq/kWh")
    assert unit == "kg/MWh"
    with pytest.raises(DataError, match="lb/MWh"):
        read_series(path, "electricitymaps", "carbon_intensity_direct_kg_per_mwh", unit="lb/MWh")


def test_tz_contradicting_a_utc_format_is_refused():
    path = shared_data("green-dcc", "carbon_intensity", "US-CAL-CISO_2023_hourly.csv")
    with pytest.raises(DataError, match="contradicts"):
        read_series(path, "electricitymaps", "renewable_pct", tz="America/Los_Angeles")


def test_generic_csv_and_parquet(tmp_path):
    frame = pd.DataFrame({"time": pd.date_range("2023-07-01", periods=4, freq="h").astype(str),
                          "load": [1.0, 2.0, "", 4.0]})
    csv = tmp_path / "load.csv"
    frame.to_csv(csv, index=False)
    with pytest.raises(DataError, match="unit"):
        read_series(csv, "csv", "load", tz="America/Chicago")
    with pytest.raises(DataError, match="time zone not given"):
        read_series(csv, "csv", "load", unit="MW")
    s, unit = read_series(csv, "csv", "load", tz="America/Chicago", unit="mw")
    assert unit == "MW" and s.index[0] == pd.Timestamp("2023-07-01 05:00", tz="UTC")
    assert np.isnan(s.iloc[2]) and s.sum() == 7.0
    pq = tmp_path / "load.parquet"
    pd.DataFrame({"ts": pd.date_range("2023-07-01", periods=3, freq="h", tz="UTC"),
                  "p": [5.0, 6.0, 7.0]}).to_parquet(pq)
    s, _ = read_series(pq, "parquet", "p", unit="kW", time_column="ts")
    assert list(s) == [5.0, 6.0, 7.0]
    bad = tmp_path / "text.csv"
    bad.write_text("time,x\n2023-01-01 00:00,1\n2023-01-01 01:00,n/a\n")
    with pytest.raises(DataError, match="n/a"):
        read_series(bad, "csv", "x", tz="UTC", unit="MW")
