"""Forecasts for the rolling-horizon simulation: hand-checked persistence and day-ahead
semantics, noisy errors with the asked statistics and reproducible from the seed, files."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from dcflex.errors import DataError, ScenarioError
from dcflex.model.inputs import prepare
from dcflex.scenario import scenario_from_dict
from dcflex.studies.operate.forecast import (
    Forecaster,
    ForecastSpec,
    ar1_errors,
    forecast_frame,
    known_end_steps,
    parse_forecast,
    parse_forecast_options,
    resolve_forecasts,
)

UNIT_GPU = {"name": "unit", "tdp_w": 1e6, "idle_w": 0.0, "gpus_per_server": 1,
            "server_overhead_w": 0.0}


def _inputs(days: int = 20, tz: str = "UTC", start: str = "2023-01-01", **extra):
    end = (pd.Timestamp(start) + pd.Timedelta(days=days)).date().isoformat()
    d = {
        "name": "fc", "site": {"name": "fc", "latitude_deg": 0.0, "longitude_deg": 0.0,
                               "timezone": tz},
        "period": {"start": start, "end": end, "step": "1h"},
        "workload": {"gpu": UNIT_GPU, "classes": {
            "chat": {"kind": "inference", "servers": 4,
                     "utilization": {"generator": "diurnal", "mean": 0.5, "daily_amplitude": 0.5,
                                     "noise_std": 0.05, "minimum": 0.0, "maximum": 1.0,
                                     "seed": 2}}}},
        "facility": {"pue": 1.2},
        "grid": {"import_limit_mw": 100.0},
        # a strictly positive price with daily shape and noise, so relative errors are defined
        "tariff": {"energy_price_usd_per_mwh": {"generator": "diurnal", "mean": 60.0,
                                                "daily_amplitude": 0.4, "noise_std": 8.0,
                                                "minimum": 5.0, "seed": 3}},
        "carbon": {"average_kg_per_mwh": 400.0},
        "solar": {"capacity_mw_dc": 2.0, "profile_fraction": {
            "generator": "diurnal", "mean": 0.2, "daily_amplitude": 1.0, "peak_hour": 12,
            "minimum": 0.0, "maximum": 1.0, "seed": 4}},
    }
    d.update(extra)
    return prepare(scenario_from_dict(d))


def _ramp_inputs(days: int = 20, tz: str = "UTC"):
    """Inputs whose price is the step number, so a forecast value names its source step."""
    inputs = _inputs(days, tz)
    s = inputs.series.copy()
    s["energy_price_usd_per_mwh"] = np.arange(len(s), dtype=float)
    import dataclasses

    return dataclasses.replace(inputs, series=s)


PRICE = "energy_price_usd_per_mwh"


def test_perfect_forecast_is_the_actual_series():
    inputs = _inputs()
    fc = Forecaster(inputs, resolve_forecasts(None, inputs), 48)
    rows = fc.rows(PRICE, np.array([0, 100, 300]))
    actual = inputs.series[PRICE].to_numpy()
    for i, s in enumerate((0, 100, 300)):
        np.testing.assert_array_equal(rows[i], actual[s:s + 48])


def test_persistence_repeats_the_last_observed_day_and_week():
    inputs = _ramp_inputs()
    day = Forecaster(inputs, {PRICE: ForecastSpec("persistence")}, 60).rows(PRICE,
                                                                            np.array([72]))[0]
    # issued at step 72: step 72+h is forecast by 72+h-24 for h<24, by 72+h-48 for 24<=h<48
    # and by 72+h-72 for 48<=h<60 — always the last observed day at the same hour
    expected = np.concatenate([np.arange(48, 72), np.arange(48, 72), np.arange(48, 60)])
    np.testing.assert_array_equal(day, expected)
    week = Forecaster(inputs, {PRICE: ForecastSpec("persistence", lag_h=168)}, 48).rows(
        PRICE, np.array([200]))[0]
    np.testing.assert_array_equal(week, np.arange(200, 248) - 168)
    # before a day of history exists the first day's same hour stands in
    first = Forecaster(inputs, {PRICE: ForecastSpec("persistence")}, 30).rows(
        PRICE, np.array([0]))[0]
    np.testing.assert_array_equal(first, np.arange(30) % 24)


def test_day_ahead_knows_the_published_day_and_persists_beyond():
    tz = "America/Los_Angeles"  # UTC-8 in January: local midnight = 08:00 UTC
    inputs = _ramp_inputs(tz=tz)
    idx = inputs.index
    local = inputs.local_index
    s0 = int(np.flatnonzero((local.day == 5) & (local.hour == 0))[0])
    s14 = int(np.flatnonzero((local.day == 5) & (local.hour == 14))[0])
    ends = known_end_steps(idx, np.array([s0, s14]), 13.0, tz)
    # at 00:00 on the 5th only the 5th is published; at 14:00 the 6th is too
    assert idx[ends[0]] == pd.Timestamp("2023-01-06 00:00", tz=tz)
    assert idx[ends[1]] == pd.Timestamp("2023-01-07 00:00", tz=tz)
    f = Forecaster(inputs, {PRICE: ForecastSpec("day-ahead", clear_hour=13)}, 48)
    row = f.rows(PRICE, np.array([s0]))[0]
    np.testing.assert_array_equal(row[:24], np.arange(s0, s0 + 24))  # the published 5th
    np.testing.assert_array_equal(row[24:], np.arange(s0, s0 + 24))  # the 6th: as the 5th
    row = f.rows(PRICE, np.array([s14]))[0]
    np.testing.assert_array_equal(row[:34], np.arange(s14, s14 + 34))  # through the 6th
    np.testing.assert_array_equal(row[34:], np.arange(s14 + 34, s14 + 48) - 24)


def test_noisy_errors_have_the_asked_mape_and_autocorrelation():
    mape, phi = 0.12, 0.8
    e = ar1_errors(3000, 48, mape, phi, seed=7, name="energy_price_usd_per_mwh")
    # E|e| = σ √(2/π) with σ = MAPE √(π/2): the sample mean of |e| is the asked MAPE.
    # 144,000 values with φ = 0.8 carry ~16,000 independent ones: s.e. of the mean ≈ 0.4 %
    assert np.mean(np.abs(e)) == pytest.approx(mape, rel=0.02)
    assert np.std(e) == pytest.approx(mape * math.sqrt(math.pi / 2), rel=0.02)
    assert abs(np.mean(e)) < 0.005  # unbiased
    lag1 = np.corrcoef(e[:, :-1].ravel(), e[:, 1:].ravel())[0, 1]
    assert lag1 == pytest.approx(phi, abs=0.02)
    # each lead time has the same (stationary) spread, including the first
    assert np.std(e[:, 0]) == pytest.approx(np.std(e[:, -1]), rel=0.08)
    # issues are independent of each other
    assert abs(np.corrcoef(e[:-1, 0], e[1:, 0])[0, 1]) < 0.06


def test_noisy_forecast_statistics_and_seed_reproducibility():
    inputs = _inputs(days=120)
    starts = np.arange(0, inputs.n_steps - 48, 24)
    spec = ForecastSpec("noisy", mape=0.1, autocorrelation=0.9, seed=11)
    a = Forecaster(inputs, {PRICE: spec}, 48).rows(PRICE, starts)
    b = Forecaster(inputs, {PRICE: spec}, 48).rows(PRICE, starts)
    np.testing.assert_array_equal(a, b)  # same seed, same forecasts
    # a row does not depend on which other issues are drawn
    np.testing.assert_array_equal(
        Forecaster(inputs, {PRICE: spec}, 48).rows(PRICE, starts[5:6])[0], a[5])
    other = Forecaster(inputs, {PRICE: ForecastSpec("noisy", mape=0.1, autocorrelation=0.9,
                                                    seed=12)}, 48).rows(PRICE, starts)
    assert np.abs(other - a).max() > 1.0
    actual = inputs.series[PRICE].to_numpy()
    truth = actual[starts[:, None] + np.arange(48)[None, :]]
    ape = np.abs(a - truth) / np.abs(truth)
    # 119 issues × 48 leads with φ = 0.9: ~300 independent errors, s.e. of the MAPE ≈ 4 %
    assert ape.mean() == pytest.approx(0.1, rel=0.12)


def test_forecasts_stay_in_the_physical_range():
    inputs = _inputs()
    specs = resolve_forecasts("noisy:0.5:0.5:3", inputs)
    fc = Forecaster(inputs, specs, 48).window(np.arange(0, 400, 24))
    assert fc["pv_available_mw"].min() >= 0.0
    cp = inputs.params["workload"]["classes"]["chat"]
    d = fc["inference_demand_mw__chat"]
    assert d.min() >= cp.idle_mw - 1e-12 and d.max() <= cp.full_mw + 1e-12
    # PV is zero at night: a relative error keeps it zero
    night = inputs.series["pv_available_mw"].to_numpy()[np.arange(0, 400, 24)[:, None]
                                                         + np.arange(48)[None, :]] == 0
    assert np.all(fc["pv_available_mw"][night] == 0)


def test_parse_and_resolve_forecast_options():
    assert parse_forecast("persistence:week") == ForecastSpec("persistence", lag_h=168.0)
    assert parse_forecast("day-ahead:10").clear_hour == 10.0
    n = parse_forecast("noisy:15%:0.5:4")
    assert (n.mape, n.autocorrelation, n.seed) == (0.15, 0.5, 4)
    assert parse_forecast("file:fc.csv#p50") == ForecastSpec("file", file="fc.csv", column="p50")
    for bad in ("crystal-ball", "noisy", "noisy:abc", "persistence:-3"):
        with pytest.raises(ScenarioError):
            parse_forecast(bad)
    inputs = _inputs()
    specs = resolve_forecasts(parse_forecast_options(
        ["all=persistence", "price=day-ahead", "export_price_usd_per_mwh=perfect"]), inputs)
    assert specs["pv_available_mw"].method == "persistence"
    assert specs[PRICE].method == "day-ahead"  # group beats all
    assert specs["export_price_usd_per_mwh"].method == "perfect"  # column beats group
    assert "import_limit_mw" not in specs  # contractual: known in advance
    with pytest.raises(ScenarioError, match="unknown forecast series 'wind_available_mw'"):
        resolve_forecasts({"wind_available_mw": "perfect"}, inputs)


def test_forecast_file_uses_the_latest_issue_and_older_ones_fill_gaps(tmp_path):
    inputs = _inputs(days=3)
    idx = inputs.index
    rows = []
    for t in idx[0:48]:  # issue at 00:00 covers two days
        rows.append((idx[0], t, 1.0))
    for t in idx[12:30]:  # issue at 12:00 covers 18 hours
        rows.append((idx[12], t, 2.0))
    path = tmp_path / "fc.csv"
    pd.DataFrame(rows, columns=["issued_utc", "time_utc", "p"]).to_csv(path, index=False)
    spec = ForecastSpec("file", file=str(path), column="p")
    f = Forecaster(inputs, {PRICE: spec}, 24)
    row = f.rows(PRICE, np.array([12]))[0]
    np.testing.assert_array_equal(row, np.r_[np.full(18, 2.0), np.full(6, 1.0)])
    np.testing.assert_array_equal(f.rows(PRICE, np.array([6]))[0], np.ones(24))
    with pytest.raises(DataError, match="no forecast for"):
        f.rows(PRICE, np.array([30]))  # nothing covers steps 48..53
    plain = tmp_path / "plain.csv"
    pd.DataFrame({"time_utc": idx, PRICE: np.arange(len(idx)) * 2.0}).to_csv(plain, index=False)
    g = Forecaster(inputs, {PRICE: ForecastSpec("file", file=str(plain))}, 24)
    np.testing.assert_array_equal(g.rows(PRICE, np.array([5]))[0], 2.0 * np.arange(5, 29))
    with pytest.raises(DataError, match="expected a column 'q'"):
        Forecaster(inputs, {PRICE: ForecastSpec("file", file=str(plain), column="q")}, 24)


def test_forecast_frame_at_one_issue_time():
    inputs = _inputs()
    fr = forecast_frame(inputs, {"price": "persistence"}, "2023-01-03 00:00", horizon_h=24)
    assert len(fr) == 24 and fr.index[0] == pd.Timestamp("2023-01-03", tz="UTC")
    np.testing.assert_array_equal(fr[PRICE].to_numpy(),
                                  inputs.series[PRICE].to_numpy()[24:48])
    with pytest.raises(ScenarioError, match="not a step"):
        forecast_frame(inputs, None, "2030-01-01")
