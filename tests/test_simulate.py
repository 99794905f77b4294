"""Rolling-horizon simulation: equal to perfect foresight with a full window, never better
with shorter ones; exact state carry-over (battery, backlog, SLO, billing-month peak); the
in-place window update equals a fresh build; every policy through the same accounting."""

from __future__ import annotations

import copy

import numpy as np
import pandas as pd
import pytest
import typer
import yaml
from typer.testing import CliRunner

from dcflex.cli.simulate import simulate_command
from dcflex.data.datasets import shared_data
from dcflex.errors import ScenarioError
from dcflex.model.inputs import prepare
from dcflex.model.twin import baseline_schedule
from dcflex.scenario import load_scenario, scenario_from_dict
from dcflex.studies.operate.forecast import Forecaster, resolve_forecasts
from dcflex.studies.operate.policies import MpcPolicy, State, ThresholdPolicy, Window, make_plant
from dcflex.studies.operate.simulate import (
    replan_steps,
    schedule_objective,
    simulate,
    simulate_inputs,
)
from dcflex.studies.run import run, run_inputs

UNIT_GPU = {"name": "unit", "tdp_w": 1e6, "idle_w": 0.0, "gpus_per_server": 1,
            "server_overhead_w": 0.0}


def site_dict(days: int = 7, start: str = "2023-03-28", **extra) -> dict:
    """A week across a month boundary (Chicago time, with a DST-free span), every component
    that varies by window: inference with degradation, training with an SLO, daily batch,
    weather PUE, PV, export, battery, a demand charge, carbon price."""
    end = (pd.Timestamp(start) + pd.Timedelta(days=days)).date().isoformat()
    d = {
        "name": "small",
        "site": {"name": "s", "latitude_deg": 35.0, "longitude_deg": -100.0,
                 "timezone": "America/Chicago"},
        "period": {"start": start, "end": end, "step": "1h"},
        "workload": {"gpu": "H100", "classes": {
            "chat": {"kind": "inference", "servers": 50, "degradable_share": 0.1,
                     "degradation_penalty_usd_per_mwh": 300,
                     "utilization": {"generator": "diurnal", "mean": 0.5, "daily_amplitude": 0.4,
                                     "peak_hour": 15, "noise_std": 0.05, "minimum": 0.05,
                                     "maximum": 1.0, "seed": 3}},
            "train": {"kind": "training", "servers": 100, "min_throughput": 0.8, "window_h": 24,
                      "value_usd_per_gpu_hour": 0.05},
            "batch": {"kind": "batch", "servers": 60, "gpu_hours_per_day": 5000,
                      "deadline_h": 24},
        }},
        "facility": {"cooling": "air_economizer"},
        "weather": {"temp_air_c": {"generator": "diurnal", "mean": 18, "daily_amplitude": 0.4,
                                   "peak_hour": 15, "noise_std": 1.0, "seed": 4},
                    "relative_humidity_pct": 55},
        "grid": {"import_limit_mw": 4.0, "export_limit_mw": 1.0},
        "tariff": {"energy_price_usd_per_mwh": {
            "generator": "diurnal", "mean": 60, "daily_amplitude": 0.5, "peak_hour": 18,
            "weekly_amplitude": 0.2, "noise_std": 15, "autocorrelation": 0.9, "seed": 5},
            "adder_usd_per_mwh": 10, "demand_charges": [{"rate_usd_per_mw_month": 9000}]},
        "carbon": {"average_kg_per_mwh": {"generator": "diurnal", "mean": 350,
                                          "daily_amplitude": 0.3, "peak_hour": 20,
                                          "noise_std": 20, "seed": 6},
                   "price_usd_per_t": 50},
        "solar": {"capacity_mw_dc": 1.5, "profile_fraction": {
            "generator": "diurnal", "mean": 0.25, "daily_amplitude": 1.0, "peak_hour": 13,
            "minimum": 0.0, "maximum": 1.0, "seed": 7}},
        "battery": {"power_mw": 0.5, "energy_mwh": 2.0, "cycle_cost_usd_per_mwh": 5},
    }
    d.update(copy.deepcopy(extra))
    return d


# Demand-response events (soft cap with payment, overlapping hard cap, import cap), a PPA,
# wind and an hourly CFE target: the parts of the window LP the simulation re-adds itself. The
# simulation plans events against the baseline on the twin's import, so the equality with run
# holds for cbl: twin (a 10-in-10 baseline lets run raise its own baseline days in hindsight).
RICH = dict(
    ppa={"kind": "direct_line", "profile_mw": 0.5, "price_usd_per_mwh": 55,
         "line_capacity_mw": 0.45, "line_losses_pct": 3.0},
    wind={"capacity_mw": 1.0, "profile_fraction": {
        "generator": "diurnal", "mean": 0.35, "daily_amplitude": 0.5, "peak_hour": 3,
        "noise_std": 0.1, "minimum": 0, "maximum": 1, "seed": 9}},
    events={"demand_response": [
        {"start": "2023-03-30T17:00", "end": "2023-03-30T20:00", "reduce_to_fraction": 0.7,
         "payment_usd_per_mwh": 200, "shortfall_penalty_usd_per_mwh": 1000, "cbl": "twin"},
        {"start": "2023-03-30T18:00", "end": "2023-03-30T19:00", "cap_mw": 1.5,
         "payment_usd_per_mwh": 50, "cbl": "twin"},
        {"start": "2023-04-02T12:00", "end": "2023-04-02T15:00", "cap_mw": 1.2}],
        "import_caps": [{"start": "2023-04-01T10:00", "end": "2023-04-01T14:00", "cap_mw": 2.0}]},
    carbon={"average_kg_per_mwh": 350, "price_usd_per_t": 50, "cfe_target": 0.6,
            "grid_cfe_fraction": {"generator": "diurnal", "mean": 0.4, "daily_amplitude": 0.3,
                                  "peak_hour": 13, "noise_std": 0.05, "minimum": 0, "maximum": 1,
                                  "seed": 11}},
)


@pytest.fixture(scope="module")
def small_inputs():
    return prepare(scenario_from_dict(site_dict()))


@pytest.fixture(scope="module")
def small_run(small_inputs):
    return run_inputs(small_inputs)


def _objective(result) -> float:
    return schedule_objective(result.schedule, result.inputs, result.metrics)


# ------------------------------------------------------------------ perfect foresight


@pytest.mark.parametrize("extra", [{}, RICH], ids=["site", "events-ppa-wind-cfe"])
def test_full_window_on_perfect_forecasts_equals_run(extra):
    inputs = prepare(scenario_from_dict(site_dict(**extra)))
    ref = run_inputs(inputs)
    ref_obj = _objective(ref)
    # the metrics' bookkeeping reproduces the LP objective of run (up to the PPA tie-break)
    tie = 1e-3 * ref.schedule.get("ppa_used_mw", pd.Series(0.0)).sum()
    assert ref_obj == pytest.approx(ref.objective + tie, rel=1e-9)
    for replan in ("once", "daily"):  # one plan, or daily re-plans to the end of the period
        sim = simulate_inputs(inputs, "mpc", horizon_h=None, replan=replan,
                              value_of_information=False)
        assert sim.objective == pytest.approx(ref_obj, rel=1e-8, abs=1e-6)
        assert sim.metrics["total_cost_usd"] == pytest.approx(ref.metrics["total_cost_usd"],
                                                              rel=1e-7)
        assert sim.metrics["import_limit_excess_mwh"] == 0.0
        assert sim.metrics["battery_soc_change_mwh"] >= -1e-7


def test_shorter_windows_are_never_better_and_the_gap_shrinks(small_inputs, small_run):
    ref = _objective(small_run)
    gaps = {}
    for h in (24, 48, 96, 168):
        sim = simulate_inputs(small_inputs, "mpc", horizon_h=h, value_of_information=False)
        gaps[h] = sim.objective - ref
        assert sim.metrics["work_done_gpu_hours__batch"] == pytest.approx(
            sim.metrics["work_required_gpu_hours__batch"], rel=1e-9)
        assert sim.metrics["slo_misses__train"] == 0
    assert all(g >= -1e-6 for g in gaps.values())
    assert gaps[24] > gaps[48] > gaps[96] > gaps[168] - 1e-6
    assert gaps[168] == pytest.approx(0.0, abs=1e-5)  # 168 h covers the week
    assert gaps[24] > 100.0  # a day-long look-ahead really does cost something here


def test_value_of_information_splits_into_horizon_and_forecast(small_inputs):
    sim = simulate_inputs(small_inputs, "mpc", forecasts={"price": "persistence"})
    v = sim.value_of_information
    assert v["horizon_gap_usd"] >= -1e-6
    assert v["forecast_gap_usd"] > 0  # yesterday's prices are a worse guide than the truth
    assert v["perfect_foresight_objective_usd"] == pytest.approx(
        _objective(sim.perfect_foresight), rel=1e-12)


# ------------------------------------------------------------------ state carry-over


def test_state_at_every_window_boundary_matches_the_applied_schedule(small_inputs):
    sim = simulate_inputs(small_inputs, "mpc", replan="6h", value_of_information=False,
                          forecasts={"all": "noisy:0.1:0.8:5", "price": "day-ahead"})
    sch, w = sim.schedule, sim.windows
    b = small_inputs.scenario.battery
    e0 = b.soc_initial_fraction * b.energy_mwh
    starts = w["start_step"].to_numpy()
    assert (np.diff(starts) == 6).all() and len(w) == 28
    soc = sch["battery_soc_mwh"].to_numpy()
    np.testing.assert_allclose(w["soc_start_mwh"].to_numpy(),
                               np.r_[e0, soc[starts[1:] - 1]], atol=1e-9)
    # the applied SoC follows the battery dynamics with the applied charge and discharge
    prev = np.r_[e0, soc[:-1]]
    np.testing.assert_allclose(
        soc, prev + b.charge_efficiency * sch["battery_charge_mw"]
        - sch["battery_discharge_mw"] / b.discharge_efficiency, atol=1e-9)
    assert soc.min() >= b.soc_min_fraction * b.energy_mwh - 1e-9
    assert soc.max() <= b.soc_max_fraction * b.energy_mwh + 1e-9
    # the plans end at least as charged as they start, but the real-time layer may spend
    # charge guarding a peak the forecast missed: the change is reported, not hidden
    assert sim.metrics["battery_soc_change_mwh"] == pytest.approx(soc[-1] - e0, abs=1e-12)
    # backlog at each boundary = work released before it − work done before it (GPU-h)
    cp = small_inputs.params["workload"]["classes"]["batch"]
    per_gpu = cp.per_gpu_mw
    done = np.r_[0.0, np.cumsum((sch["batch_it_mw__batch"].to_numpy() - cp.idle_mw) / per_gpu)]
    rel = small_inputs.params["workload"]["releases"]["batch"]
    released = np.array([rel.loc[rel["release_utc"] < small_inputs.index[s], "gpu_hours"].sum()
                         for s in starts])
    np.testing.assert_allclose(w["backlog_gpu_hours__batch"].to_numpy(),
                               released - done[starts], atol=1e-6)
    m = sim.metrics
    assert m["work_done_gpu_hours__batch"] == pytest.approx(m["work_required_gpu_hours__batch"],
                                                            rel=1e-9)
    # SLO windows straddle the 6-hourly re-plans: throughput already delivered counts
    x = sch["training_throughput__train"].to_numpy()
    assert (x.reshape(-1, 24).mean(axis=1) >= 0.8 - 1e-6).all()
    # every step balances: supply = facility + charge + export
    supply = (sch["grid_import_mw"] + sch["pv_used_mw"] + sch["battery_discharge_mw"])
    np.testing.assert_allclose(supply, sch["facility_power_mw"] + sch["battery_charge_mw"]
                               + sch["grid_export_mw"], atol=1e-7)


def _peak_dict() -> dict:
    """1-MW GPUs, no other load. Jan 30: 12 GPU-h due in 4 h on 3 GPUs (a forced 3 MW peak);
    Jan 31 and Feb 1: 12 GPU-h due by midnight each. Energy costs 20 USD/MWh from 02:00 to
    06:00 and 100 otherwise; demand charge 1000 USD/MW-month."""
    return {
        "name": "peak", "site": {"name": "p", "latitude_deg": 0.0, "longitude_deg": 0.0,
                                 "timezone": "UTC"},
        "period": {"start": "2023-01-30", "end": "2023-02-03", "step": "1h"},
        "workload": {"gpu": UNIT_GPU, "classes": {"batch": {
            "kind": "batch", "servers": 3, "releases": [
                {"release": "2023-01-30T00:00", "deadline": "2023-01-30T04:00", "gpu_hours": 12},
                {"release": "2023-01-31T00:00", "deadline": "2023-02-01T00:00", "gpu_hours": 12},
                {"release": "2023-02-01T00:00", "deadline": "2023-02-02T00:00",
                 "gpu_hours": 12}]}}},
        "facility": {"pue": 1.0},
        "grid": {"import_limit_mw": 10.0},
        "tariff": {"tou": [{"price_usd_per_mwh": 100, "default": True},
                           {"price_usd_per_mwh": 20, "hours": [2, 6]}],
                   "demand_charges": [{"rate_usd_per_mw_month": 1000}]},
        "carbon": {"average_kg_per_mwh": 400.0},
    }


def test_month_peak_set_early_is_carried_not_charged_twice_nor_replanned_lower():
    sim = simulate(scenario_from_dict(_peak_dict()), "mpc", horizon_h=48)
    imp = sim.schedule["grid_import_mw"]
    w = sim.windows.set_index("start_utc")
    # the Jan 31 window starts knowing January's 3 MW peak (not a fresh month) ...
    assert w.loc[pd.Timestamp("2023-01-31", tz="UTC"), "month_peak_start_mw"] == \
        pytest.approx(3.0)
    # ... so it runs the Jan 31 work in the cheap hours up to that peak, which costs nothing
    jan31 = imp["2023-01-31"]
    np.testing.assert_allclose(jan31.between_time("02:00", "05:00"), 3.0, atol=1e-7)
    assert jan31.max() <= 3.0 + 1e-7  # and never above it
    # February starts fresh: spreading 12 GPU-h flat (0.5 MW) beats a 3 MW peak
    assert w.loc[pd.Timestamp("2023-02-01", tz="UTC"), "month_peak_start_mw"] == 0.0
    np.testing.assert_allclose(imp["2023-02-01"], 0.5, atol=1e-7)
    # each month's peak is charged once: 1000 × (3 + 0.5); energy by hand:
    # Jan 30: 3 MW × (2 h × 100 + 2 h × 20); Jan 31: 3 MW × 4 h × 20; Feb 1: 0.5 MW × (20 h ×
    # 100 + 4 h × 20)
    assert sim.metrics["demand_cost_usd"] == pytest.approx(3500.0, abs=1e-5)
    assert sim.metrics["energy_cost_usd"] == pytest.approx(720 + 240 + 1040, abs=1e-5)
    np.testing.assert_allclose(sim.extras["demand_peak_mw__0"], [3.0, 0.5], atol=1e-7)
    assert sim.value_of_information["foresight_gap_usd"] == pytest.approx(0.0, abs=1e-5)


def test_in_place_window_update_equals_a_fresh_build():
    inputs = prepare(scenario_from_dict(site_dict(**RICH)))
    bau = baseline_schedule(inputs)["grid_import_mw"].to_numpy()
    plant = make_plant(inputs, bau)
    specs = resolve_forecasts({"all": "noisy:0.2:0.5:1"}, inputs)
    fc = Forecaster(inputs, specs, 48)
    state = State.initial(plant)
    state.soc_mwh = 1.3
    state.peaks_mw[0, 0] = 2.2
    state.batch_remaining_gpu_hours["batch"][30] = 1234.0  # arrived 06:00 on day 2
    state.cfe_surplus_mw_steps = -3.0

    def window(s):
        rows = fc.window(np.array([s]))
        return Window(0, s, 24, 48, {c: v[0] for c, v in rows.items()})

    reused = MpcPolicy(plant, month_slots=2)
    for s in (24, 72, 48):  # same structure: the last plan updates the LP built at step 24
        reused.plan(plant, state, window(s))
    assert reused.templates_built == 1
    fresh = MpcPolicy(plant, month_slots=2)
    fresh.plan(plant, state, window(48))
    a, b = reused.last_highs.getLp(), fresh.last_highs.getLp()
    for attr in ("col_cost_", "col_lower_", "col_upper_", "row_lower_", "row_upper_"):
        np.testing.assert_allclose(np.asarray(getattr(a, attr)), np.asarray(getattr(b, attr)),
                                   rtol=1e-12, atol=1e-12, err_msg=attr)

    def dense(lp):
        m = lp.a_matrix_
        import scipy.sparse as sp

        return sp.csc_matrix((m.value_, m.index_, m.start_),
                             shape=(lp.num_row_, lp.num_col_)).toarray()

    np.testing.assert_allclose(dense(a), dense(b), atol=1e-12)
    # same optimum (constant terms of the objective are not updated: they move no decision)
    assert a.offset_ != b.offset_
    assert (reused.last_highs.getInfo().objective_function_value - a.offset_ == pytest.approx(
        fresh.last_highs.getInfo().objective_function_value - b.offset_, rel=1e-9))


# ------------------------------------------------------------------ policies, accounting


def test_baseline_policy_through_the_loop_is_the_business_as_usual_twin(small_inputs, small_run):
    sim = simulate_inputs(small_inputs, "baseline", value_of_information=False)
    cols = small_run.baseline.columns.intersection(sim.schedule.columns)
    np.testing.assert_allclose(sim.schedule[cols].to_numpy(),
                               small_run.baseline[cols].to_numpy(), atol=1e-9)
    for k in ("total_cost_usd", "demand_cost_usd", "emissions_average_t", "cfe_score"):
        assert sim.metrics[k] == pytest.approx(small_run.baseline_metrics[k], rel=1e-12)


def test_policies_share_one_accounting_and_none_beats_perfect_foresight(small_inputs,
                                                                       small_run):
    ref = _objective(small_run)
    res = {p: simulate_inputs(small_inputs, p, value_of_information=False)
           for p in ("mpc", "threshold", "baseline")}
    res["carbon-threshold"] = simulate_inputs(small_inputs, ThresholdPolicy(signal="carbon"),
                                              value_of_information=False)
    for name, r in res.items():
        m = r.metrics
        assert r.objective >= ref - 1e-6, name
        assert m["work_done_gpu_hours__batch"] == pytest.approx(
            m["work_required_gpu_hours__batch"], rel=1e-9), name
        assert m["slo_misses__train"] == 0, name
        assert m["import_limit_excess_mwh"] == 0.0, name
        # the objective credits (or charges) the battery's end-of-period charge change
        assert r.objective == pytest.approx(schedule_objective(r.schedule, small_inputs, m)
                                            - m["battery_soc_change_value_usd"])
    assert res["mpc"].objective < res["threshold"].objective
    assert res["mpc"].objective < res["baseline"].objective
    th = res["threshold"].schedule
    # the threshold policy discharges only in high-price steps and charges only in low ones
    price = small_inputs.series["energy_price_usd_per_mwh"]
    assert price[th["battery_discharge_mw"] > 1e-9].min() > price[th["battery_charge_mw"]
                                                                  > 1e-9].max()
    assert th["battery_discharge_mw"].sum() > 0


def test_noisy_simulation_is_reproducible_from_the_seed(small_inputs):
    def go(seed):
        return simulate_inputs(small_inputs, "mpc", forecasts=f"noisy:0.15:0.7:{seed}",
                               value_of_information=False)

    a, b, c = go(1), go(1), go(2)
    pd.testing.assert_frame_equal(a.schedule, b.schedule)
    assert a.objective == b.objective
    assert a.objective != c.objective


def test_replan_rules_and_bad_options(small_inputs):
    local = small_inputs.local_index
    daily = replan_steps(small_inputs, "daily", 6)
    assert daily[0] == 0 and (local[daily[1:]].hour == 6).all() and len(daily) == 8
    assert len(replan_steps(small_inputs, "hourly")) == small_inputs.n_steps
    np.testing.assert_array_equal(replan_steps(small_inputs, "12h"), np.arange(0, 168, 12))
    with pytest.raises(ScenarioError, match="shorter than the longest interval"):
        simulate_inputs(small_inputs, "mpc", horizon_h=12, value_of_information=False)
    with pytest.raises(ScenarioError, match="unknown policy"):
        simulate_inputs(small_inputs, "oracle", value_of_information=False)
    with pytest.raises(ScenarioError, match="unknown replan"):
        replan_steps(small_inputs, "weekly")


def test_cli_simulate_writes_results_and_reports_the_gap(tmp_path):
    path = tmp_path / "site.yaml"
    d = site_dict(days=3)
    path.write_text(yaml.safe_dump(d), encoding="utf-8")
    app = typer.Typer()
    app.command("simulate")(simulate_command)
    app.command("other")(lambda: None)
    out = tmp_path / "out"
    r = CliRunner().invoke(app, ["simulate", str(path), "-f", "price=noisy:0.1:0.5:3",
                                 "-f", "all=perfect", "-o", str(out), "--no-plots"])
    assert r.exit_code == 0, r.output
    assert "value of information" in r.output and "forecast_gap_usd" in r.output
    windows = pd.read_csv(out / "windows.csv")
    assert len(windows) == 3
    import json

    doc = json.loads((out / "simulation.json").read_text())
    assert doc["forecasts"]["energy_price_usd_per_mwh"].startswith("noisy (MAPE 10%")
    assert doc["forecasts"]["pv_available_mw"] == "perfect"
    assert doc["value_of_information"]["foresight_gap_usd"]["value"] > 0
    assert (out / "schedule.parquet").exists()
    bad = CliRunner().invoke(app, ["simulate", str(path), "--policy", "oracle", "-o",
                                   str(out)])
    assert bad.exit_code == 2 and "unknown policy" in bad.output


# ------------------------------------------------------------------ real data


def test_a_year_of_daily_replans_on_real_caiso_2023():
    shared_data("green-dcc", "electricity_prices", "US-CAL-CISO_electricity_prices_2023.csv")
    shared_data("green-dcc", "weather", "US-CAL-CISO_2023.json")
    from pathlib import Path

    scen = load_scenario(Path(__file__).resolve().parents[1] / "scenarios" / "sites"
                         / "caiso.yaml")
    sim = simulate(scen, "mpc", horizon_h=48)
    m, v = sim.metrics, sim.value_of_information
    assert len(sim.windows) == sim.inputs.n_steps // 24 >= 364
    assert sim.timings_s["structures"] <= 12  # a handful of window structures, all reused
    assert v["foresight_gap_usd"] >= -1e-6 * abs(v["perfect_foresight_objective_usd"])
    # two days of look-ahead on perfect forecasts get within 1 % of a year of hindsight
    assert 0 <= v["foresight_gap_total_cost_pct"] < 1.0
    assert m["work_done_gpu_hours__batch"] == pytest.approx(m["work_required_gpu_hours__batch"],
                                                            rel=1e-9)
    assert m["slo_misses__pretrain"] == 0 and m["import_limit_excess_mwh"] == 0
    assert m["total_cost_usd"] < sim.baseline_metrics["total_cost_usd"]
    # every window was solved warm except the first of each structure
    warm = sim.windows.loc[~sim.windows["new_structure"], "iterations"]
    cold = sim.windows.loc[sim.windows["new_structure"], "iterations"]
    assert warm.mean() < cold.mean()


def test_run_reference_is_the_same_run(small_inputs, small_run):
    # run() from a Scenario and run_inputs() on its prepared inputs agree: the reference the
    # value of information uses is the ordinary perfect-foresight run
    again = run(small_inputs.scenario)
    assert again.objective == pytest.approx(small_run.objective, rel=1e-12)


def test_real_time_layer_sheds_work_only_above_the_import_limit():
    """The actual load in one step is 0.68 MW above the planned import and 0.32 MW short of
    the 1.5 MW import limit once the battery discharges 0.5 MW more. Only the month-peak guard
    is exceeded (peak so far 1.0 MW), which must not cut training: it stays at full power."""
    from dcflex.studies.operate.policies import Decisions
    from dcflex.studies.operate.simulate import _new_out, apply_decisions

    d = site_dict(days=2)
    d["grid"]["import_limit_mw"] = 1.5
    # servers at the DGX H100 rating (10.2 kW, 4.6 kW non-GPU always on): the load this
    # step's numbers were worked out for
    d["workload"]["gpu"] = {"name": "H100-rated", "tdp_w": 700, "idle_w": 70,
                            "server_overhead_w": 4600, "server_overhead_idle_w": 4600}
    inputs = prepare(scenario_from_dict(d))
    plant = make_plant(inputs, baseline_schedule(inputs)["grid_import_mw"].to_numpy())
    state = State.initial(plant)
    state.soc_mwh = 1.0
    state.peaks_mw[:] = 1.0
    s, train, batch = 12, plant.training[0], plant.batch[0]
    ids = np.flatnonzero((batch.release_step <= s) & (batch.end_step > s))
    dec = Decisions(np.zeros(1), np.zeros(1), {train.name: np.full(1, train.full_mw)},
                    {batch.name: (ids, np.full((len(ids), 1), batch.n_gpus / len(ids)))},
                    import_plan_mw=np.full(1, 0.5))
    out = _new_out(plant)
    apply_decisions(plant, state, dec, s, 1, out)
    cols = out.cols
    assert cols["battery_discharge_mw"][s] == pytest.approx(0.5)  # the battery helps ...
    assert 1.0 < cols["grid_import_mw"][s] <= 1.5 + 1e-9  # ... the limit holds ...
    assert cols[f"training_it_mw__{train.name}"][s] == pytest.approx(train.full_mw)  # no cut
