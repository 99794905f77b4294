"""Batch work that arrives through the day: the Philly submission profile, the queue twin,
deadlines after each arrival, the exact cumulative LP, and the waits reported.

Hand cases use the 1 MW "unit" GPU of conftest (no idle power, no overhead) and PUE 1, so one
GPU-hour is one MWh and one running GPU is 1 MW.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
from conftest import base_dict

from dcflex.data.datasets import shared_data_dir
from dcflex.errors import ScenarioError
from dcflex.model.build import build
from dcflex.model.components.workload_batch import PER_RELEASE_KEY
from dcflex.model.inputs import prepare
from dcflex.model.solve import solve_lp
from dcflex.scenario import scenario_from_dict
from dcflex.studies.run import run
from dcflex.workloads.arrivals import (
    PHILLY_HOURLY_PROFILE,
    daily_harmonic,
    hour_of_day_profile,
    philly_hourly_profile,
    quietest_weekly_window,
    read_philly_submissions,
)
from dcflex.workloads.batch import attribute_work, release_windows

PHILLY = shared_data_dir() / "philly-via-adaptdl" / "philly.csv"
GPU = base_dict()["workload"]["gpu"]


def batch_dict(batch: dict, hours: int = 24, **sections) -> dict:
    """One batch class on the unit GPU (flat 50 USD/MWh unless ``sections`` say otherwise)."""
    return base_dict(hours, workload={"gpu": GPU, "classes": {"batch": {"kind": "batch",
                                                                        **batch}}}, **sections)


def one_day(*nonzero: tuple[int, float]) -> list[float]:
    out = [0.0] * 24
    for hour, weight in nonzero:
        out[hour] = weight
    return out


# ----------------------------------------------------------------- the Philly profile


@pytest.fixture(scope="module")
def submissions() -> pd.DataFrame:
    return read_philly_submissions(PHILLY)


def test_philly_profile_constant_is_recomputed_from_the_trace():
    profile = philly_hourly_profile(PHILLY)
    np.testing.assert_allclose(PHILLY_HOURLY_PROFILE, profile, atol=5e-5)
    assert np.mean(PHILLY_HOURLY_PROFILE) == pytest.approx(1.0, abs=1e-4)
    # the diurnal amplitude stated in the docs: 0.86 at 14:00 to 1.14 at 02:00
    assert int(np.argmax(profile)) == 2 and int(np.argmin(profile)) == 14
    assert profile.max() == pytest.approx(1.1408, abs=1e-4)


def test_philly_profile_is_the_daily_harmonic_of_gpu_hours_by_hour(submissions):
    """The constant is the mean + first harmonic of GPU-hours per wall-clock hour, whole
    days only (2017-09-05 .. 2017-12-21; the trace starts 09-04 10:30 and ends 12-22 08:02)."""
    assert submissions["submit_wallclock"].min() >= pd.Timestamp("2017-09-05")
    assert submissions["submit_wallclock"].max() < pd.Timestamp("2017-12-22")
    hours = submissions["submit_wallclock"].dt.hour.to_numpy()
    raw = hour_of_day_profile(hours, submissions["gpu_hours"].to_numpy())
    np.testing.assert_allclose(daily_harmonic(raw), PHILLY_HOURLY_PROFILE, atol=5e-5)
    by_hand = np.array([submissions["gpu_hours"][hours == h].sum() for h in range(24)])
    np.testing.assert_allclose(raw, by_hand / by_hand.mean(), rtol=1e-12)


def _harmonic(sub: pd.DataFrame) -> tuple[float, float]:
    """Amplitude (fraction of the mean) and peak hour of the first daily harmonic."""
    p = hour_of_day_profile(sub["submit_wallclock"].dt.hour.to_numpy(), sub["gpu_hours"])
    c = np.fft.rfft(p)[1] / 24
    return 2 * abs(c), (-np.angle(c) * 24 / (2 * np.pi)) % 24


def test_why_the_profile_is_a_harmonic_and_not_the_raw_hours(submissions):
    """The docstring's evidence: 1 % of jobs carry 67 % of the GPU-hours, the raw hourly
    profiles of the two halves of the trace do not agree (r = 0.08), but each half and the
    odd and even days show the same daily cycle: amplitude 0.15-0.19, peak 23:30-04:30."""
    gh = np.sort(submissions["gpu_hours"].to_numpy())[::-1]
    assert gh[:len(gh) // 100].sum() / gh.sum() == pytest.approx(0.67, abs=0.01)
    day = (submissions["submit_wallclock"].dt.floor("D")
           - submissions["submit_wallclock"].min().floor("D")).dt.days
    mid = (day.min() + day.max()) / 2
    halves = [submissions[day <= mid], submissions[day > mid]]
    raw = [hour_of_day_profile(h["submit_wallclock"].dt.hour.to_numpy(), h["gpu_hours"])
           for h in halves]
    assert abs(np.corrcoef(*raw)[0, 1]) < 0.15
    for part in (*halves, submissions[day % 2 == 1], submissions[day % 2 == 0]):
        amp, peak = _harmonic(part)
        assert 0.15 <= amp <= 0.19
        assert peak >= 23.5 or peak <= 4.5


def test_philly_stamps_are_on_a_local_clock(submissions):
    """The quietest 48 h of the week start on Saturday 01:00 of the stamps' clock: a local
    clock (a UTC clock for a US-Pacific cluster would put the weekend at 08:00)."""
    assert quietest_weekly_window(submissions["submit_wallclock"]) == (5, 1)


# ----------------------------------------------------------------- arrivals


def test_arrivals_follow_the_profile_every_hour():
    """24 GPU-h a day with the Philly profile: 1 GPU-h × profile[h] at each hour h."""
    inputs = prepare(scenario_from_dict(batch_dict({"servers": 4, "gpu_hours_per_day": 24})))
    rel = inputs.params["workload"]["releases"]["batch"]
    assert len(rel) == 24
    np.testing.assert_allclose(rel["gpu_hours"], np.asarray(PHILLY_HOURLY_PROFILE)
                               / np.mean(PHILLY_HOURLY_PROFILE), rtol=1e-12)
    assert (rel["deadline_utc"] == pd.Timestamp("2023-01-02", tz="UTC")).all()  # period end


def test_arrivals_follow_local_hours_and_clock_changes():
    """New York springs forward on 2023-03-12: that day has no 02:00 and receives 23 hours
    of work; each other day receives its daily total."""
    d = batch_dict({"servers": 4, "gpu_hours_per_day": 24, "deadline_h": 6})
    d["site"]["timezone"] = "America/New_York"
    d["period"] = {"start": "2023-03-11", "end": "2023-03-14", "step": "1h"}
    inputs = prepare(scenario_from_dict(d))
    rel = inputs.params["workload"]["releases"]["batch"]
    profile = np.asarray(PHILLY_HOURLY_PROFILE) / np.mean(PHILLY_HOURLY_PROFILE)
    local = pd.DatetimeIndex(rel["release_utc"]).tz_convert("America/New_York")
    np.testing.assert_allclose(rel["gpu_hours"], profile[local.hour], rtol=1e-12)
    per_day = rel["gpu_hours"].groupby(local.date).sum()
    assert per_day.iloc[0] == pytest.approx(24.0) and per_day.iloc[2] == pytest.approx(24.0)
    assert per_day.iloc[1] == pytest.approx(24.0 - profile[2])
    assert ((rel["deadline_utc"] - rel["release_utc"])[:-6] == pd.Timedelta(hours=6)).all()


def test_arrivals_from_a_series_follow_its_daily_totals(tmp_path):
    """A series of relative rates: twice the rate on day 2 gives twice the work; the period
    receives gpu_hours_per_day per 24 hours on average (3 days × 30 = 90 GPU-h)."""
    idx = pd.date_range("2023-01-01", periods=72, freq="h", tz="UTC")
    rate = np.r_[np.ones(24), 2 * np.ones(24), np.ones(24)]
    path = tmp_path / "rate.csv"
    pd.DataFrame({"time": idx.strftime("%Y-%m-%dT%H:%M:%SZ"), "rate": rate}).to_csv(path,
                                                                                   index=False)
    spec = {"file": str(path), "format": "csv", "time_column": "time", "column": "rate",
            "unit": "fraction", "tz": "UTC"}
    d = batch_dict({"servers": 4, "gpu_hours_per_day": 30, "arrivals": {"series": spec}}, 72)
    rel = prepare(scenario_from_dict(d)).params["workload"]["releases"]["batch"]
    per_day = rel["gpu_hours"].to_numpy().reshape(3, 24).sum(1)
    np.testing.assert_allclose(per_day, [22.5, 45.0, 22.5], rtol=1e-12)


@pytest.mark.parametrize(("batch", "expected"), [
    ({"gpu_hours_per_day": 4, "arrivals": "hourly"}, "expected 'philly', 'flat' or 'midnight'"),
    ({"gpu_hours_per_day": 4, "arrivals": {"hour_of_day": [1, 2]}}, "needs 24 weights"),
    ({"gpu_hours_per_day": 4, "arrivals": {"hour_of_day": [-1] + [1] * 23}}, ">= 0"),
    ({"gpu_hours_per_day": 4, "deadline_h": -1}, "greater than or equal to 0"),
    ({"releases": [{"release": "2023-01-01T00:00", "deadline": "2023-01-01T05:00",
                    "gpu_hours": 1}], "arrivals": "flat"}, "apply to gpu_hours_per_day only"),
])
def test_bad_arrivals_are_one_clear_error(batch, expected):
    with pytest.raises(ScenarioError) as info:
        scenario_from_dict(batch_dict({"servers": 2, **batch}))
    assert expected in str(info.value)
    assert "workload.classes.batch" in str(info.value)


# ----------------------------------------------------------------- the queue twin (hand cases)


def test_arrivals_within_capacity_run_on_arrival_in_the_twin():
    """Arrivals of 1, 3 and 2 GPU-h at 06:00, 12:00 and 18:00 on 4 GPUs: each fits, so the
    twin runs 1, 3 and 2 GPUs in exactly those hours and nothing waits."""
    weights = one_day((6, 1.0), (12, 3.0), (18, 2.0))
    r = run(scenario_from_dict(batch_dict({"servers": 4, "gpu_hours_per_day": 6,
                                           "arrivals": {"hour_of_day": weights}})))
    np.testing.assert_allclose(r.baseline["batch_it_mw__batch"], weights, atol=1e-12)
    b = r.baseline_metrics
    assert b["work_moved_share__batch"] == 0.0
    assert b["work_delay_mean_h__batch"] == 0.0 and b["work_delay_max_h__batch"] == 0.0


def test_arrivals_over_capacity_queue_first_in_first_out():
    """6 GPU-h arrive at 00:00 and 1 GPU-h at 01:00 on 2 GPUs. The queue runs 2, 2, 2, 1 GPUs
    in hours 0-3: the first arrival in hours 0-2, the second — behind it — in hour 3.
    Waits: 2 GPU-h × 0 h + 2 × 1 h + 2 × 2 h of the first, 1 × 2 h of the second → mean
    8/7 h, max 2 h; 4 of the 7 GPU-h could not run in the hour they arrived (6 − 2)."""
    weights = one_day((0, 6.0), (1, 1.0))
    r = run(scenario_from_dict(batch_dict({"servers": 2, "gpu_hours_per_day": 7,
                                           "arrivals": {"hour_of_day": weights}})))
    np.testing.assert_allclose(r.baseline["batch_it_mw__batch"], one_day(
        (0, 2.0), (1, 2.0), (2, 2.0), (3, 1.0)), atol=1e-12)
    b = r.baseline_metrics
    assert b["work_moved_share__batch"] == pytest.approx(4 / 7, rel=1e-12)
    assert b["work_delay_mean_h__batch"] == pytest.approx(8 / 7, rel=1e-12)
    assert b["work_delay_max_h__batch"] == pytest.approx(2.0)
    rel = r.inputs.params["workload"]["releases"]["batch"]
    att = attribute_work(r.baseline["batch_it_mw__batch"].to_numpy(),
                         rel["gpu_hours"].to_numpy(), release_windows(rel, r.inputs.index), 1.0)
    pieces = sorted(zip(att.release.tolist(), att.step.tolist(), att.gpu_hours.tolist(),
                        strict=True))
    assert pieces == [(0, 0, 2.0), (0, 1, 2.0), (0, 2, 2.0), (1, 3, 1.0)]


def test_a_later_arrival_due_first_is_served_first():
    """Explicit releases whose deadlines cross: 6 GPU-h at 00:00 due 24:00 and 2 GPU-h at
    01:00 due 02:00 on 2 GPUs. Served strictly in arrival order the second would miss its
    deadline; the queue serves it in hour 1 and resumes the first (the power drawn, 2 GPUs
    for 4 hours, is the same in any order)."""
    r = run(scenario_from_dict(batch_dict({"servers": 2, "releases": [
        {"release": "2023-01-01T00:00", "deadline": "2023-01-02T00:00", "gpu_hours": 6},
        {"release": "2023-01-01T01:00", "deadline": "2023-01-01T02:00", "gpu_hours": 2}]})))
    np.testing.assert_allclose(r.baseline["batch_it_mw__batch"], one_day(
        (0, 2.0), (1, 2.0), (2, 2.0), (3, 2.0)), atol=1e-12)
    rel = r.inputs.params["workload"]["releases"]["batch"]
    att = attribute_work(r.baseline["batch_it_mw__batch"].to_numpy(),
                         rel["gpu_hours"].to_numpy(), release_windows(rel, r.inputs.index), 1.0)
    assert att.late.sum() == 0.0
    assert att.step[att.release == 1].tolist() == [1]


def test_a_zero_deadline_forbids_any_shift(tmp_path):
    """deadline_h 0: each arrival must run in its own hour. A price of 10 USD/MWh at 03:00
    against 90 elsewhere cannot pull work there: the optimum is the twin, at the same cost,
    90 × 24 − 80 × a3 with a3 = profile[3] / mean the GPU-h arriving at 03:00. With a day of
    slack, 2 GPU-h (both GPUs) run at 03:00: 22 × 90 + 2 × 10 = 2000 USD."""
    prices = pd.DataFrame({"time": pd.date_range("2023-01-01", periods=24, freq="h").strftime(
        "%Y-%m-%dT%H:%M:%SZ"), "price": [90.0] * 3 + [10.0] + [90.0] * 20})
    path = tmp_path / "p.csv"
    prices.to_csv(path, index=False)
    tariff = {"energy_price_usd_per_mwh": {"file": str(path), "format": "csv",
                                           "time_column": "time", "column": "price",
                                           "unit": "USD/MWh", "tz": "UTC"}}
    r = run(scenario_from_dict(batch_dict({"servers": 2, "gpu_hours_per_day": 24,
                                           "deadline_h": 0}, tariff=tariff)))
    np.testing.assert_allclose(r.schedule["batch_it_mw__batch"], r.baseline["batch_it_mw__batch"],
                               atol=1e-7)
    assert r.metrics["total_cost_usd"] == pytest.approx(r.baseline_metrics["total_cost_usd"],
                                                        rel=1e-9)
    a3 = PHILLY_HOURLY_PROFILE[3] / np.mean(PHILLY_HOURLY_PROFILE)
    assert r.metrics["total_cost_usd"] == pytest.approx(90 * 24 - 80 * a3, rel=1e-9)
    assert r.metrics["work_moved_share__batch"] == pytest.approx(0.0, abs=1e-9)
    r2 = run(scenario_from_dict(batch_dict({"servers": 2, "gpu_hours_per_day": 24},
                                           tariff=tariff)))
    assert r2.schedule["batch_it_mw__batch"].iloc[3] == pytest.approx(2.0)
    assert r2.metrics["total_cost_usd"] == pytest.approx(2000.0, rel=1e-9)


# ----------------------------------------------------------------- the LP


@pytest.fixture(scope="module")
def caiso_week():
    """A week of real 2023 CAISO prices with a demand charge: 1 MW must-serve inference and
    Philly-shaped batch arrivals due in 12 h on 4 GPUs."""
    data = "data:green-dcc/electricity_prices/US-CAL-CISO_electricity_prices_2023.csv"
    d = base_dict(7 * 24, workload={"gpu": GPU, "classes": {
        "serve": {"kind": "inference", "servers": 1, "utilization": 1.0},
        "batch": {"kind": "batch", "servers": 4, "gpu_hours_per_day": 48, "deadline_h": 12}}},
        tariff={"energy_price_usd_per_mwh": {"file": data, "format": "greendcc_price"},
                "demand_charges": [{"rate_usd_per_mw_month": 15000}]})
    d["site"]["timezone"] = "America/Los_Angeles"
    d["period"] = {"start": "2023-07-03", "end": "2023-07-10", "step": "1h"}
    return prepare(scenario_from_dict(d))


def test_cumulative_form_is_exact_and_small(caiso_week):
    """The cumulative form (deadlines follow arrivals) reaches the per-release form's optimum,
    with 2 columns per step instead of one per step of every window."""
    per_release = dataclasses.replace(caiso_week, params={
        **caiso_week.params,
        "workload": {**caiso_week.params["workload"], PER_RELEASE_KEY: True}})
    lp_cum, lp_rel = build(caiso_week), build(per_release)
    T = caiso_week.n_steps
    assert lp_cum.blocks["batch_gpus__batch"].size == T
    assert lp_cum.blocks["batch_done_gpu_hours__batch"].size == T
    # windows of 12 steps, shorter in the last 12 hours of the period
    assert lp_rel.blocks["batch_gpus__batch"].size == 12 * (T - 12) + sum(range(1, 13))
    sol_cum, sol_rel = solve_lp(lp_cum), solve_lp(lp_rel)
    assert sol_cum.objective == pytest.approx(sol_rel.objective, rel=1e-9)
    # each arrival's GPU-hours, in the per-release form, exactly (to 1e-9) inside its window
    rel = caiso_week.params["workload"]["releases"]["batch"]
    windows = release_windows(rel, caiso_week.index)
    g = lp_rel.values(sol_rel.x, "batch_gpus__batch")
    sizes = [b - a for a, b in windows]
    done = np.add.reduceat(g, np.r_[0, np.cumsum(sizes)[:-1]])
    np.testing.assert_allclose(done, rel["gpu_hours"], rtol=1e-9)


def test_gpu_hours_are_conserved_per_arrival(caiso_week):
    """The flexible schedule, split first in first out, gives every arrival its GPU-hours to
    1e-9, inside its window; the waits are within the 12 h deadline."""
    r = run(caiso_week.scenario)
    rel = r.inputs.params["workload"]["releases"]["batch"]
    need = rel["gpu_hours"].to_numpy()
    windows = release_windows(rel, r.inputs.index)
    att = attribute_work(r.schedule["batch_gpus__batch"].to_numpy(), need, windows, 1.0)
    np.testing.assert_allclose(att.done(len(rel)), need, rtol=1e-9)
    start, end = np.array(windows).T
    assert np.all(att.step >= start[att.release]) and np.all(att.step < end[att.release])
    m = r.metrics
    assert m["work_done_gpu_hours__batch"] == pytest.approx(need.sum(), rel=1e-9)
    assert 0 < m["work_delay_mean_h__batch"] <= m["work_delay_max_h__batch"] <= 11.0
    assert 0 < m["work_moved_share__batch"] < 1
    assert m["total_cost_usd"] <= r.baseline_metrics["total_cost_usd"] + 1e-6


def test_the_rolling_horizon_keeps_per_release_rows(caiso_week):
    """The simulation's window LP sets each release's remaining work on its own row, so it
    asks for the per-release form; the year LP of the same inputs is cumulative."""
    from dcflex.studies.operate.simulate import simulate_inputs

    sim = simulate_inputs(caiso_week, "mpc")
    m = sim.metrics
    assert m["work_done_gpu_hours__batch"] == pytest.approx(m["work_required_gpu_hours__batch"],
                                                            rel=1e-9)
    assert m["work_delay_max_h__batch"] <= 11.0


# ----------------------------------------------------------------- the independent check case


@pytest.fixture(scope="module")
def check_case():
    """benchmarks/batch_arrivals/check_case.yaml: 40 MW must-serve + 960 MWh/day of batch IT
    work on 80 MW of servers, CAISO 2023, 15 $/kW-month, PUE 1.25; with the midnight block,
    Philly-shaped hourly arrivals and the same work run flat (arrivals flat, deadline 0)."""
    from pathlib import Path

    from dcflex.scenario import load_scenario

    path = Path(__file__).resolve().parents[1] / "benchmarks" / "batch_arrivals" / "check_case.yaml"

    def with_arrivals(kind: str, deadline_h: float = 24.0):
        return run(load_scenario(path, overrides={"workload": {"classes": {"batch": {
            "arrivals": kind, "deadline_h": deadline_h}}}}))

    return {"midnight": with_arrivals("midnight"), "philly": with_arrivals("philly"),
            "flat": with_arrivals("flat", 0.0)}


def test_check_case_midnight_block_matches_the_independent_lp(check_case):
    """The figures of the issue: the optimum equals an independent LP (70,746,239.89 $); the
    midnight-block twin costs 84.79 M$ with a 150 MW facility peak (40 + 80 MW × 1.25)."""
    r = check_case["midnight"]
    assert r.metrics["total_cost_usd"] == pytest.approx(70_746_239.89, abs=0.01)
    assert r.baseline_metrics["total_cost_usd"] == pytest.approx(84_786_014.61, abs=0.01)
    assert r.baseline_metrics["peak_facility_mw"] == pytest.approx(150.0)
    assert check_case["flat"].metrics["total_cost_usd"] == pytest.approx(71_730_459.74, abs=0.01)


def test_check_case_queue_twin_peak_is_flat_peak_plus_the_diurnal_amplitude(check_case):
    """With hourly arrivals the twin follows the arrivals (all fit on 80 GPUs): its peak is
    the flat profile's 100 MW plus the profile's amplitude, (max/mean − 1) × 40 MW × 1.25."""
    profile = np.asarray(PHILLY_HOURLY_PROFILE) / np.mean(PHILLY_HOURLY_PROFILE)
    amplitude_mw = (profile.max() - 1) * 40.0 * 1.25
    flat_peak = check_case["flat"].baseline_metrics["peak_facility_mw"]
    assert flat_peak == pytest.approx(100.0)
    twin = check_case["philly"].baseline_metrics
    assert twin["peak_facility_mw"] <= flat_peak + amplitude_mw + 1e-9
    assert twin["work_moved_share__batch"] == 0.0  # nothing queues


def test_check_case_savings_against_the_queue_twin_and_the_flat_profile(check_case):
    r, flat = check_case["philly"], check_case["flat"].metrics["total_cost_usd"]
    opt, twin = r.metrics["total_cost_usd"], r.baseline_metrics["total_cost_usd"]
    # measured: 70,159,843.82 $ against 73,257,361.43 $ (4.2 %) and 71,730,459.74 $ (2.2 %)
    assert opt < flat < twin
    assert (twin - opt) / twin == pytest.approx(0.0423, abs=0.001)
    assert (flat - opt) / flat == pytest.approx(0.0219, abs=0.001)
    assert r.metrics["work_done_gpu_hours__batch"] == pytest.approx(
        r.metrics["work_required_gpu_hours__batch"], rel=1e-9)
