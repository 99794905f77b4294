"""Cooling and water physics on real weather: psychrometrics (psychrolib), humidity-aware
economizers, the published PUE and WUE bands of each design, evaporation by hand."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
import psychrolib
import pvlib
import pytest
from conftest import open_meteo

from dcflex.errors import DataError, ScenarioError
from dcflex.physics import COOLING_DESIGNS, annual_pue, facility_from_weather, pue_from_weather
from dcflex.physics.cooling_designs import PUE_BANDS, WUE_BANDS
from dcflex.physics.psychrometrics import site_pressure_pa, wet_bulb_c
from dcflex.physics.water import evaporation_kg_per_kwh, makeup_factor

psychrolib.SetUnitSystem(psychrolib.SI)
DESIGNS = list(COOLING_DESIGNS)
ZONES = {"san_jose": "US-CAL-CISO", "dallas": "US-TEX-ERCO", "philadelphia": "US-MIDA-PJM"}


def _utc_hours(n: int) -> pd.DatetimeIndex:
    return pd.date_range("2023-01-01", periods=n, freq="h", tz="UTC", name="time_utc")


@cache
def weather(site: str) -> tuple[pd.Series, pd.Series]:
    """Dry bulb (degC) and relative humidity (%) of a site's year."""
    if site == "greensboro":
        path = Path(pvlib.__file__).parent / "data" / "723170TYA.CSV"
        data, _ = pvlib.iotools.read_tmy3(str(path), coerce_year=1990, map_variables=True)
        data.index = data.index.tz_convert("UTC").rename("time_utc")
        data = data.sort_index()
        return data["temp_air"].astype(float), data["relative_humidity"].astype(float)
    w = open_meteo(ZONES[site])
    return w["temperature_2m"].astype(float), w["relative_humidity_2m"].astype(float)


@cache
def annual(site: str, design: str) -> tuple[float, float, pd.DataFrame]:
    """Annual PUE and site WUE at design IT load (flat 1 MW: PUE = mean pue_it + fixed)."""
    t, rh = weather(site)
    state = facility_from_weather(t, rh, design)
    fixed = state.attrs["design"].fixed_overhead_fraction
    it = pd.Series(1.0, index=t.index)
    return (annual_pue(it, state["pue_it"] + fixed),
            float(state["site_water_l_per_kwh_it"].mean()), state)


# ------------------------------------------------------------------------ psychrometrics


def test_wet_bulb_grid_matches_exact_psychrolib_on_real_weather():
    for site in ZONES:
        t, rh = weather(site)
        got = wet_bulb_c(t.to_numpy(), rh.to_numpy() / 100, 101_325.0)
        exact = np.array([psychrolib.GetTWetBulbFromRelHum(a, max(b / 100, 1e-3), 101_325.0)
                          for a, b in zip(t, rh, strict=True)])
        assert np.abs(got - exact).max() < 0.01, site
    # Stull (2011) worked example: 20 degC, 50 % -> 13.7 degC (his fit is good to ~0.3 K)
    assert wet_bulb_c([20.0], [0.5], 101_325.0)[0] == pytest.approx(13.7, abs=0.1)
    # the kink at 0 degC (ice vs liquid water) is computed exactly, not interpolated
    t = np.array([4.8034, 8.3211, 9.1404])
    r = np.array([0.35632, 0.10845, 0.05241])
    exact = [psychrolib.GetTWetBulbFromRelHum(a, b, 101_325.0) for a, b in zip(t, r, strict=True)]
    np.testing.assert_allclose(wet_bulb_c(t, r, 101_325.0), exact, atol=1e-9)
    # altitude lowers the pressure (standard atmosphere): 140 m (Dallas) ~ 99.65 kPa
    assert site_pressure_pa(140.0) == pytest.approx(99_652, abs=50)


def test_envelope_equals_the_dew_point_and_humidity_limits():
    """The air economizer admits outside air when its dew point is within [-9, 15] degC (too
    dry is humidified) and its RH at the 24 degC supply is at most 60 %: checked against
    psychrolib's own dew point."""
    t, rh = weather("dallas")
    state = facility_from_weather(t, rh, "air_economizer")
    dew = np.array([psychrolib.GetTDewPointFromRelHum(a, max(b / 100, 1e-3))
                    for a, b in zip(t, rh, strict=True)])
    w = state["humidity_ratio"].to_numpy()
    rh_supply = np.array([psychrolib.GetRelHumFromHumRatio(24.0, x, 101_325.0) for x in w])
    expected = (dew <= 15.0) & (rh_supply <= 0.60)
    near = np.abs(dew - 15.0) < 1e-6  # exact ties only
    assert (state["in_envelope"].to_numpy() == expected)[~near].all()
    # Dallas summer: dew points near 20 degC close the envelope for weeks
    july = state.index.month == 7
    assert state.loc[july, "in_envelope"].mean() < 0.3


def test_humid_dallas_has_fewer_economizer_hours_than_dry_san_jose_at_equal_dry_bulb():
    """Hours with the same dry bulb (14-20 degC, where the economizer is fully free on dry
    bulb alone): San Jose's dry air is admitted, much of Dallas's humid air is not."""
    share = {}
    for site in ("san_jose", "dallas"):
        t, rh = weather(site)
        state = facility_from_weather(t, rh, "air_economizer")
        band = (t >= 14) & (t <= 20)
        assert band.sum() > 1000
        share[site] = state.loc[band, "economizer"].mean()
        # on dry bulb alone every one of these hours would be fully free
        assert (state.loc[band & state["in_envelope"], "mechanical_fraction"] == 0).all()
    assert share["san_jose"] > 0.95
    assert share["dallas"] < share["san_jose"] - 0.15
    # the year: on dry bulb alone 55.6 % of Dallas's hours are fully free (the 56 %);
    # with the humidity envelope 45.2 %
    t, rh = weather("dallas")
    dry_only = facility_from_weather(t, rh, "air_economizer", dew_point_max_c=40.0,
                                     relative_humidity_max_pct=100.0)
    humid = annual("dallas", "air_economizer")[2]
    assert (dry_only["mechanical_fraction"] == 0).mean() == pytest.approx(0.556, abs=0.005)
    assert (humid["mechanical_fraction"] == 0).mean() == pytest.approx(0.452, abs=0.005)


# --------------------------------------------------------------------- published bands


@pytest.mark.parametrize("design", DESIGNS)
@pytest.mark.parametrize("site", ["san_jose", "dallas", "philadelphia", "greensboro"])
def test_annual_pue_and_wue_in_published_bands(site, design):
    pue, wue, _ = annual(site, design)
    lo, hi = PUE_BANDS[design]
    assert lo <= pue <= hi, (site, design, pue)
    lo, hi = WUE_BANDS[design]
    assert lo <= wue <= hi, (site, design, wue)


def test_climate_and_design_ordering():
    for design in DESIGNS:  # hot Dallas costs more than mild San Jose for every design
        assert annual("san_jose", design)[0] < annual("dallas", design)[0], design
    # the water economizer beats the air economizer where the air is humid (its envelope
    # closes), the air economizer wins where it is dry and mild
    assert annual("dallas", "water_economizer")[0] < annual("dallas", "air_economizer")[0]
    assert annual("san_jose", "air_economizer")[0] < annual("san_jose", "water_economizer")[0]
    # direct liquid cooling (80 % of the heat to dry coolers) beats all-air in both climates
    for site in ("san_jose", "dallas"):
        assert annual(site, "direct_liquid")[0] < annual(site, "air_economizer")[0]
        # towers evaporate more water than the staged spray of indirect evaporative cooling
        assert annual(site, "water_economizer")[1] > annual(site, "indirect_evaporative")[1]
    assert annual("dallas", "chiller")[0] > annual("dallas", "water_economizer")[0] + 0.2


def test_pue_weakly_increasing_with_temperature_at_fixed_humidity():
    temps = np.arange(-20.0, 46.0, 0.5)
    t = pd.Series(temps, index=_utc_hours(len(temps)))
    for rh_value in (20.0, 50.0, 90.0):
        rh = pd.Series(rh_value, index=t.index)
        for design in DESIGNS:
            pue = pue_from_weather(t, rh, design)
            assert (pue >= 1.0).all(), design
            assert (np.diff(pue.to_numpy()) >= -1e-12).all(), (design, rh_value)
            assert pue.iloc[-1] > pue.iloc[0] + 0.05, design


def test_hand_case_chiller_and_part_load():
    """Air-cooled chiller at 10 degC: evaporating 6 degC (279.15 K), condensing 25 degC
    (298.15 K): Carnot 14.692 x 0.508 = 7.46, capped at 7. PUE_IT = 1 + 0.08 + 0.10 + 0.03 +
    1.13 / 7 = 1.371429; at half load the fixed 2 % of design IT adds 0.04 per IT kW."""
    t = pd.Series([10.0], index=_utc_hours(1))
    state = facility_from_weather(t, None, "chiller")
    assert state["pue_it"].iloc[0] == pytest.approx(1.21 + 1.13 / 7, rel=1e-12)
    half = pue_from_weather(t, None, "chiller", it_load_fraction=0.5).iloc[0]
    assert half == pytest.approx(1.21 + 1.13 / 7 + 0.04, rel=1e-12)
    warm = pue_from_weather(pd.Series([28.0], index=t.index), pd.Series([30.0], index=t.index),
                            "air_economizer", supply_c=27.0).iloc[0]
    base = pue_from_weather(pd.Series([28.0], index=t.index), pd.Series([30.0], index=t.index),
                            "air_economizer").iloc[0]
    assert warm < base  # a warmer supply (ASHRAE allowable) extends free cooling


def test_liquid_loop_runs_free_below_its_supply_temperature():
    """Dry coolers at 6 K approach carry the W32 loop alone up to 26 degC dry bulb."""
    t = pd.Series([25.0, 30.0, 40.0], index=_utc_hours(3))
    rh = pd.Series(80.0, index=t.index)  # humid: the air part runs on DX
    dlc = facility_from_weather(t, rh, "direct_liquid")
    air = facility_from_weather(t, rh, "air_economizer")
    # at 25 degC: liquid path = 0.8 x (0.015 + 0.015); air path = 0.2 x air economizer's
    air_part = (air["pue_it"].iloc[0] - 1 - 0.04) * 0.2
    assert dlc["pue_it"].iloc[0] == pytest.approx(1.04 + 0.8 * 0.03 + air_part, rel=1e-12)
    assert (dlc["pue_it"] < air["pue_it"]).all()
    assert (dlc["site_water_l_per_kwh_it"] == 0).all()


# --------------------------------------------------------------------------------- water


def test_evaporation_by_hand_and_make_up():
    """Tower air at 30 degC, 40 % RH takes up 28 kJ/kg and leaves saturated. Solved here by
    bisection on psychrolib's saturated-air enthalpy (the library inverts a table)."""
    p = 101_325.0
    w_in = psychrolib.GetHumRatioFromRelHum(30.0, 0.4, p)
    h_out = psychrolib.GetMoistAirEnthalpy(30.0, w_in) + 28_000.0
    lo, hi = 0.0, 60.0
    for _ in range(60):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if psychrolib.GetSatAirEnthalpy(mid, p) < h_out else (lo, mid)
    w_out = psychrolib.GetSatHumRatio(lo, p)
    by_hand = 3600 * (w_out - w_in) / 28.0
    got = evaporation_kg_per_kwh([30.0], [w_in], p, 28.0)[0]
    assert got == pytest.approx(by_hand, rel=1e-4)
    # latent heat ~2,430 kJ/kg: in warm dry air more than the heat rejected evaporates
    # (the air is cooled too); in cold air much of the heat leaves as sensible heat
    assert 1.3 < got < 2.0
    w_cold = psychrolib.GetHumRatioFromRelHum(2.0, 0.8, p)
    assert 0.6 < evaporation_kg_per_kwh([2.0], [w_cold], p, 28.0)[0] < 1.1
    assert makeup_factor(4.0) == pytest.approx(4 / 3)  # evaporation + 1/3 blowdown
    with pytest.raises(ScenarioError, match="cycles of concentration"):
        makeup_factor(1.0)


def test_site_water_follows_the_wet_bulb_and_heat():
    _, wue_sj, sj = annual("san_jose", "water_economizer")
    _, wue_dal, dal = annual("dallas", "water_economizer")
    assert wue_dal > wue_sj  # hotter: more heat (compressor work) and a larger latent share
    summer = dal.index.month.isin([7, 8])
    winter = dal.index.month.isin([1, 2])
    assert (dal.loc[summer, "site_water_l_per_kwh_it"].mean()
            > dal.loc[winter, "site_water_l_per_kwh_it"].mean() * 1.3)
    assert (sj["site_water_l_per_kwh_it"] > 0).all()  # towers reject all the heat, always


# ----------------------------------------------------------------------------- bad input


def test_bad_inputs_raise_with_clear_messages():
    idx = _utc_hours(2)
    t = pd.Series([25.0, 26.0], index=idx)
    with pytest.raises(DataError, match="relative_humidity_pct"):
        pue_from_weather(t, None, "water_economizer")
    with pytest.raises(DataError, match="relative_humidity_pct"):
        pue_from_weather(t, None, "air_economizer")
    assert pue_from_weather(t, None, "chiller").notna().all()
    with pytest.raises(DataError, match="UTC"):
        pue_from_weather(pd.Series([25.0, 26.0], index=idx.tz_localize(None)), design="chiller")
    with pytest.raises(DataError, match="Kelvin"):
        pue_from_weather(t + 273.15, design="chiller")
    with pytest.raises(DataError, match=r"\[0, 100\]"):
        pue_from_weather(t, pd.Series([50.0, 150.0], index=idx), "water_economizer")
    with pytest.raises(ScenarioError, match="unknown cooling design"):
        pue_from_weather(t, design="immersion")
    with pytest.raises(ScenarioError, match="unknown cooling parameter"):
        pue_from_weather(t, design="chiller", supply_temp=27.0)
    with pytest.raises(ScenarioError) as err:
        pue_from_weather(t, design="chiller", liquid_share=1.5)
    assert err.value.field == "facility.cooling_parameters.liquid_share"
    with pytest.raises(DataError, match="load fraction"):
        pue_from_weather(t, design="chiller", it_load_fraction=0.0)
