"""Event response LP: hand-solved cuts by tier, pause/restart, shortfall, deepest cut, fits.

Hand cases use a 1 kW "GPU" (idle 100 W) and the concave curve (0.1, 0) - (0.5, 0.8) - (1, 1):
slopes 2 below half power, 0.4 above. Two 10-GPU jobs: A (tier 0.5, weight 0.5) and
B (tier 0.9, weight 0.9), both uncapped at 10 kW. Weighted marginal loss per unit of power:
A upper 0.5 x 0.4 = 0.2, B upper 0.9 x 0.4 = 0.36, A lower 0.5 x 2 = 1 (B's lower segment is
below its floor). So a cut comes from A's upper segment first (5 kW), then B's until B hits its
floor 0.9 (y = 0.75: 2.5 kW), then A's lower segment until A hits 0.5 (y = 0.35: 1.5 kW).
Deepest cut: 9 kW of 20 kW.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from dcflex.errors import DataError, ScenarioError
from dcflex.scenario import scenario_from_dict
from dcflex.studies.field.event_response import (
    FLEX_TIERS,
    Cluster,
    EventTrajectory,
    Job,
    deepest_cut,
    fit_event_trajectory,
    plan_event,
    window_mask,
)
from dcflex.studies.run import run
from dcflex.workloads.gpus import GpuType
from dcflex.workloads.powercap import PowerCapCurve

GPU = GpuType("kilo", tdp_w=1000.0, idle_w=100.0, gpus_per_server=1, server_overhead_w=0.0)
CURVE = PowerCapCurve.from_points([(0.1, 0.0), (0.5, 0.8), (1.0, 1.0)], "hand")


def _index(n: int, start: str = "2025-05-03 16:00") -> pd.DatetimeIndex:
    return pd.date_range(start, periods=n, freq="min", tz="America/Phoenix")


def _two_jobs(**kw) -> Cluster:
    return Cluster((Job("A", 10, CURVE, 0.5, **kw), Job("B", 10, CURVE, 0.9, **kw)), GPU)


def _target(n: int, kw: float, steps=None) -> pd.Series:
    t = np.full(n, np.inf)
    t[slice(None) if steps is None else steps] = kw
    return pd.Series(t, index=_index(n))


def test_flex_tiers_are_the_demonstration_floors():
    assert dict(FLEX_TIERS) == {0: 1.0, 1: 0.9, 2: 0.75, 3: 0.5}


def test_cluster_power_bookkeeping():
    c = Cluster((Job("A", 10, CURVE, 0.5),), GPU, server_share_w=50.0, overhead_kw=2.0)
    # 10 x (50 W + 1000 W) + 2 kW
    assert c.baseline_kw() == pytest.approx(12.5)
    assert c.floor_kw() == pytest.approx(10 * 0.15 + 2.0)
    assert _two_jobs().weights() == pytest.approx({"A": 0.5 / 1.4, "B": 0.9 / 1.4})


@pytest.mark.parametrize(
    ("target_kw", "x_a", "x_b"),
    [
        (17.0, 0.8 + 0.4 * 0.2, 1.0),  # A: y 0.7 on its upper segment
        (13.0, 0.8, 0.8 + 0.4 * 0.3),  # A at the knee (5 kW), B gives 2 kW: y 0.8
        (11.5, 0.8 - 2 * 0.1, 0.9),  # B at its floor (y 0.75), A gives 1 kW more: y 0.4
    ],
)
def test_cut_is_spread_by_tier_as_solved_by_hand(target_kw, x_a, x_b):
    plan = plan_event(_two_jobs(), _target(10, target_kw))
    s = plan.schedule
    np.testing.assert_allclose(s["cluster_power_kw"], target_kw, atol=1e-6)
    np.testing.assert_allclose(s["throughput__A"], x_a, atol=1e-6)
    np.testing.assert_allclose(s["throughput__B"], x_b, atol=1e-6)
    assert plan.max_shortfall_kw == pytest.approx(0.0, abs=1e-7)
    assert plan.tier_floors_hold()
    w = plan.jobs["weight"]
    assert plan.weighted_performance == pytest.approx(w["A"] * x_a + w["B"] * x_b, abs=1e-6)


def test_a_pause_only_controller_drains_whole_jobs_in_tier_order():
    """Pause or resize only: each job's curve is the line (0.1, 0) - (1, 1), 9 kW of range.

    Target 15 kW (cut 5 kW), tiers over every step. Loss per kW is constant per job: A's
    weight 0.5/1.4 / 9 kW, B's 0.9/1.4 / 9 kW, so A goes first, down to its floor: running
    share 0.5 gives 4.5 kW (mean GPU power 0.1 + 0.9 x 0.5 = 0.55 of TDP); B gives the last
    0.5 kW: share 1 - 0.5/9 = 17/18. With caps (the concave curve) A's upper segment alone
    gives the 5 kW at x 0.8 and B keeps full speed.
    """
    from dcflex.studies.field.cluster import pause_only_job

    paused = Cluster(tuple(pause_only_job(j, GPU.tdp_w) for j in _two_jobs().jobs), GPU)
    assert paused.baseline_kw() == pytest.approx(20.0)  # the uncapped draw is unchanged
    plan = plan_event(paused, _target(10, 15.0))
    s = plan.schedule
    np.testing.assert_allclose(s["cluster_power_kw"], 15.0, atol=1e-6)
    np.testing.assert_allclose(s["throughput__A"], 0.5, atol=1e-6)
    np.testing.assert_allclose(s["running_share__A"], 0.5, atol=1e-6)
    np.testing.assert_allclose(s["gpu_power_fraction__A"], 0.55, atol=1e-6)
    np.testing.assert_allclose(s["throughput__B"], 17 / 18, atol=1e-6)
    assert plan.tier_floors_hold()
    capped = plan_event(_two_jobs(), _target(10, 15.0)).schedule
    np.testing.assert_allclose(capped["throughput__A"], 0.8, atol=1e-6)
    np.testing.assert_allclose(capped["throughput__B"], 1.0, atol=1e-6)


def test_target_below_what_tiers_allow_gives_the_deepest_cut_and_reports_shortfall():
    # both jobs at their floors draw 3.5 + 7.5 = 11 kW; a 10 kW target leaves 1 kW short
    plan = plan_event(_two_jobs(), _target(10, 10.0))
    np.testing.assert_allclose(plan.schedule["cluster_power_kw"], 11.0, atol=1e-6)
    np.testing.assert_allclose(plan.schedule["shortfall_kw"], 1.0, atol=1e-6)
    assert plan.jobs["avg_throughput"].to_dict() == pytest.approx({"A": 0.5, "B": 0.9}, abs=1e-6)
    assert plan.tier_floors_hold()


def test_tiers_average_over_the_window_not_each_step():
    # cap 5 of 10 steps at 11 kW, tiers over all 10: B may go down to x 0.8 (y 0.5) in the
    # capped steps, so the 9 kW come from the upper segments: A 5 kW, B 4 kW (y 0.6)
    n = 10
    plan = plan_event(_two_jobs(), _target(n, 11.0, slice(0, 5)))
    x_a = plan.schedule["throughput__A"].to_numpy()
    assert x_a[:5] == pytest.approx(np.full(5, 0.8), abs=1e-6)
    assert plan.schedule["throughput__B"].to_numpy()[:5] == pytest.approx(0.84, abs=1e-6)
    assert plan.jobs.loc["A", "avg_throughput"] == pytest.approx((5 * 0.8 + 5) / n, abs=1e-6)
    # the same cap with tiers over the capped steps only: floors bind as in the hand case
    plan2 = plan_event(_two_jobs(), _target(n, 11.0, slice(0, 5)),
                       tier_mask=np.arange(n) < 5)
    assert plan2.jobs["avg_throughput"].to_dict() == pytest.approx({"A": 0.5, "B": 0.9},
                                                                   abs=1e-6)
    assert plan2.tier_floors_hold()


def test_deepest_cut_by_hand():
    idx = _index(12)
    ev = np.zeros(12, dtype=bool)
    ev[3:9] = True
    dc = deepest_cut(_two_jobs(), idx, ev, tier_mask=ev)
    assert dc.cut_kw == pytest.approx(9.0, abs=1e-6)
    assert dc.cut_fraction == pytest.approx(0.45, abs=1e-7)
    assert dc.tier_floors_hold()
    p = dc.schedule["cluster_power_kw"].to_numpy()
    assert np.all(p[ev] <= 11.0 + 1e-5)
    np.testing.assert_allclose(p[~ev], 20.0, atol=1e-6)  # outside the event: full power
    # tiers over the whole 12 steps: A may pause (x=0 at idle, 1 kW) in the event since it runs
    # full for 6 steps (mean 0.5 = floor); B: 6 x + 6 >= 10.8 -> x >= 0.8 -> y = 0.5 (5 kW)
    dc2 = deepest_cut(_two_jobs(), idx, ev)
    assert dc2.cut_kw == pytest.approx(20.0 - 1.0 - 5.0, abs=1e-6)
    assert dc2.tier_floors_hold()


def test_pause_below_min_cap_and_restart_cost_by_hand():
    # one job, min cap 500 W (q_min 0.5): y = 0.3 needs r <= (0.3 - 0.1) / 0.4 = 0.5 running
    n = 20
    dips = np.zeros(n, dtype=bool)
    dips[[2, 3, 6, 7]] = True
    target = pd.Series(np.where(dips, 3.0, np.inf), index=_index(n))
    free = Cluster((Job("J", 10, CURVE, 0.0, weight=1.0, min_cap_w=500.0),), GPU)
    plan = plan_event(free, target)
    s = plan.schedule
    np.testing.assert_allclose(s["throughput__J"].to_numpy()[dips], 0.4, atol=1e-6)  # f(0.3)
    assert s["running_share__J"].to_numpy()[dips].max() <= 0.5 + 1e-6
    np.testing.assert_allclose(s["throughput__J"].to_numpy()[[4, 5]], 1.0, atol=1e-6)
    assert plan.jobs.loc["J", "restarts"] == pytest.approx(1.0, abs=1e-6)  # resumed twice
    # 5 min per restart: resuming between the dips costs 0.5 x 5 = 2.5 steps of work, staying
    # half paused for the 2 steps costs 0.5 x 2 = 1: the job stays paused, resumes once
    costly = Cluster((Job("J", 10, CURVE, 0.0, weight=1.0, min_cap_w=500.0,
                          restart_cost_min=5.0),), GPU)
    plan = plan_event(costly, target)
    s = plan.schedule
    np.testing.assert_allclose(s["throughput__J"].to_numpy()[[4, 5]], 0.5, atol=1e-6)
    assert plan.jobs.loc["J", "restarts"] == pytest.approx(0.5, abs=1e-6)
    gross = s["throughput__J"].sum()
    assert plan.jobs.loc["J", "avg_throughput"] == pytest.approx((gross - 0.5 * 5) / n,
                                                                 abs=1e-6)


def test_restart_loss_counts_against_the_tier():
    # tier 0.8 over 20 steps with a half pause: the restart loss must be made up by running
    n = 20
    dips = np.zeros(n, dtype=bool)
    dips[5:10] = True
    target = pd.Series(np.where(dips, 3.0, np.inf), index=_index(n))
    job = Job("J", 10, CURVE, 0.8, min_cap_w=500.0, restart_cost_min=10.0)
    plan = plan_event(Cluster((job,), GPU), target)
    assert plan.tier_floors_hold()
    row = plan.jobs.loc["J"]
    x = plan.schedule["throughput__J"].sum()
    assert row["avg_throughput"] == pytest.approx((x - 10.0 * row["restarts"]) / n, abs=1e-6)
    assert row["avg_throughput"] >= 0.8 - 1e-6
    # meeting the target: 5 full steps + 5 x 0.4 in the dips + 10 steps after, either resumed
    # (a 0.5 restart loses 5 steps) or half paused (loses 5): at most 12 < 16 needed, so the
    # tier forces power above the target
    assert plan.max_shortfall_kw > 0.1


@pytest.mark.parametrize("seed", range(6))
def test_tier_floors_hold_in_every_random_plan(seed):
    rng = np.random.default_rng(seed)
    n = 60
    jobs = tuple(
        Job(f"j{k}", int(rng.integers(4, 40)), CURVE, float(rng.choice([0.5, 0.75, 0.9])),
            restart_cost_min=float(rng.uniform(0, 10)), min_cap_w=float(rng.uniform(100, 600)))
        for k in range(3)
    )
    cluster = Cluster(jobs, GPU)
    base = cluster.baseline_kw()
    target = np.where(rng.random(n) < 0.5, base * rng.uniform(0.2, 0.9, n), np.inf)
    mask = rng.random(n) < 0.7
    plan = plan_event(cluster, pd.Series(target, index=_index(n)), tier_mask=mask)
    assert plan.tier_floors_hold()
    s = plan.schedule
    for j in jobs:
        x = s[f"throughput__{j.name}"].to_numpy()
        u = s[f"restarts__{j.name}"].to_numpy()
        net = (x[mask].sum() - j.restart_cost_min * u[mask].sum()) / mask.sum()
        assert net >= j.min_throughput - 1e-6
        # throughput never above the curve at the planned power
        y = s[f"gpu_power_fraction__{j.name}"].to_numpy()
        assert np.all(x <= CURVE.throughput(np.clip(y, 0.1, 1.0)) + 1e-6)
    # the power column is the sum of its parts, and the cap holds up to the reported shortfall
    parts = sum(s[f"job_power_kw__{j.name}"] for j in jobs)
    np.testing.assert_allclose(s["cluster_power_kw"], parts, atol=1e-6)
    capped = np.isfinite(target)
    assert np.all(s["cluster_power_kw"].to_numpy()[capped]
                  <= target[capped] + s["shortfall_kw"].to_numpy()[capped] + 1e-6)


def test_trajectory_target_values_by_hand():
    idx = pd.date_range("2025-05-03 09:58", periods=14, freq="min", tz="America/Phoenix")
    traj = EventTrajectory(start=pd.Timestamp("2025-05-03 10:00", tz="America/Phoenix"),
                           ramp_down_min=4, hold_min=3, ramp_up_min=2, baseline_kw=100.0,
                           hold_kw=60.0)
    t = traj.target_kw(idx).to_numpy()
    # midpoints 0.5, 1.5, 2.5, 3.5 min into a 4-min ramp of -40 kW; hold; ramp-up midpoints
    # 0.25 and 0.75 of the way back; no cap from 10:09
    expected = [np.inf, np.inf, 95, 85, 75, 65, 60, 60, 60, 70, 90, np.inf, np.inf, np.inf]
    np.testing.assert_allclose(t, expected)
    assert traj.end == pd.Timestamp("2025-05-03 10:09", tz="America/Phoenix")
    assert traj.cut_fraction == pytest.approx(0.4)
    assert traj.hold_mask(idx).sum() == 3
    assert t.dtype == float and traj.target_kw(idx).index.tz is not None


def test_fit_recovers_a_synthetic_event():
    idx = pd.date_range("2025-05-03 14:00", periods=300, freq="min", tz="America/Phoenix")
    truth = EventTrajectory(start=idx[80], ramp_down_min=7, hold_min=150, ramp_up_min=5,
                            baseline_kw=93.0, hold_kw=64.0, end_kw=90.0)
    clean = pd.Series(truth.level_kw(idx), index=idx)
    fit, fitted = fit_event_trajectory(clean)
    assert (fit.start, fit.ramp_down_min, fit.hold_min, fit.ramp_up_min) == (
        truth.start, 7, 150, 5)
    assert (fit.baseline_kw, fit.hold_kw, fit.end_kw) == pytest.approx((93.0, 64.0, 90.0))
    np.testing.assert_allclose(fitted, clean, atol=1e-9)
    noisy = clean + np.random.default_rng(1).normal(0.0, 1.0, len(idx))
    fit, _ = fit_event_trajectory(noisy)
    assert abs((fit.start - truth.start) / pd.Timedelta(minutes=1)) <= 2
    assert fit.hold_kw == pytest.approx(64.0, abs=0.3)
    assert fit.baseline_kw == pytest.approx(93.0, abs=0.5)


def test_fit_refuses_a_trace_without_a_drop():
    idx = pd.date_range("2025-05-03 14:00", periods=100, freq="min", tz="UTC")
    with pytest.raises(DataError, match="no drop"):
        fit_event_trajectory(pd.Series(np.linspace(50, 100, 100), index=idx))
    s = pd.Series(np.full(100, 50.0), index=idx)
    s.iloc[10] = np.nan
    with pytest.raises(DataError, match="missing"):
        fit_event_trajectory(s)


def test_bad_inputs_name_the_field():
    with pytest.raises(ScenarioError, match="min_throughput"):
        Job("x", 8, CURVE, 1.5)
    with pytest.raises(ScenarioError, match="n_gpus"):
        Job("x", 0, CURVE)
    other = PowerCapCurve.from_points([(0.15, 0.0), (1.0, 1.0)], "other")
    with pytest.raises(ScenarioError, match="idle fraction"):
        Cluster((Job("x", 8, other),), GPU)
    with pytest.raises(ScenarioError, match="unique"):
        Cluster((Job("x", 8, CURVE), Job("x", 8, CURVE)), GPU)
    naive = pd.Series(np.full(5, 10.0), index=pd.date_range("2025-05-03", periods=5, freq="min"))
    with pytest.raises(DataError, match="tz-aware"):
        plan_event(_two_jobs(), naive)
    bad = _target(5, 10.0)
    bad.iloc[2] = np.nan
    with pytest.raises(DataError, match="NaN"):
        plan_event(_two_jobs(), bad)
    with pytest.raises(DataError, match="tier mask"):
        plan_event(_two_jobs(), _target(5, 10.0), tier_mask=[True, False])
    with pytest.raises(DataError, match="event mask"):
        deepest_cut(_two_jobs(), _index(5), np.zeros(5, dtype=bool))


def test_window_mask_is_half_open():
    idx = _index(10)
    m = window_mask(idx, "2025-05-03 16:02", pd.Timestamp("2025-05-03 16:05", tz="America/Phoenix"))
    assert m.tolist() == [False, False, True, True, True] + [False] * 5


# ------------------------------------------------------------------ site model with a DR event


def test_tier_floors_hold_in_an_optimized_site_schedule_with_a_dr_event():
    """A deep, soft DR cap makes the tier floors bind; every window still meets its floor."""
    classes = {
        "flex3": {"kind": "training", "servers": 20, "curve": "pretraining",
                  "min_throughput": 0.5, "window_h": 4},
        "flex1": {"kind": "training", "servers": 10, "curve": "finetuning",
                  "min_throughput": 0.9, "window_h": 4},
        "chat": {"kind": "inference", "servers": 5, "utilization": 0.6},
    }
    scen = scenario_from_dict({
        "name": "dr-tiers",
        "site": {"name": "phx", "latitude_deg": 33.45, "longitude_deg": -112.07,
                 "timezone": "America/Phoenix"},
        "period": {"start": "2025-05-01", "end": "2025-05-03", "step": "1h"},
        "workload": {"gpu": "A100", "classes": classes},
        "facility": {"pue": 1.2},
        "grid": {"import_limit_mw": 1.0},
        "tariff": {"energy_price_usd_per_mwh": {"generator": "diurnal", "mean": 40,
                                                "daily_amplitude": 0.3, "peak_hour": 18,
                                                "seed": 1}},
        "carbon": {"average_kg_per_mwh": 400},
        "events": {"demand_response": [{
            "start": "2025-05-02 16:00", "end": "2025-05-02 19:00", "reduce_to_fraction": 0.3,
            "shortfall_penalty_usd_per_mwh": 20000, "cbl": "twin"}]},
    })
    res = run(scen)
    sched = res.schedule
    local = sched.index.tz_convert("America/Phoenix")
    binding = []
    for name, cls in classes.items():
        if cls["kind"] != "training":
            continue
        x = sched[f"training_throughput__{name}"].to_numpy()
        w = cls["window_h"]  # hourly steps; windows start at the first local midnight
        means = np.array([x[a:a + w].mean() for a in range(0, len(x), w)])
        assert np.all(means >= cls["min_throughput"] - 1e-6), name
        binding.append(np.isclose(means, cls["min_throughput"], atol=1e-6).any())
    # the cap is far below what the floors allow, so both floors bind in the event window
    assert all(binding)
    ev = (local >= pd.Timestamp("2025-05-02 16:00", tz="America/Phoenix")) & (
        local < pd.Timestamp("2025-05-02 19:00", tz="America/Phoenix"))
    cap = 0.3 * res.baseline["grid_import_mw"].to_numpy()[ev]
    short = res.extras["dr_shortfall_mw__0"]
    assert np.all(short > 0)  # the floors, not the cap, decide
    np.testing.assert_allclose(sched["grid_import_mw"].to_numpy()[ev], cap + short, atol=1e-6)
