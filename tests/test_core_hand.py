"""Small cases whose optimum was worked out on paper (the derivation is in each docstring).

All use the 1 MW "unit" GPU of conftest (no idle power, no overhead) and PUE 1, so one
GPU-hour is one MWh and costs read directly in USD.
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import base_dict

from dcflex.errors import InfeasibleError
from dcflex.model.inputs import prepare
from dcflex.scenario import scenario_from_dict
from dcflex.studies.run import run


def hourly(values: dict[int, float], default: float, n: int = 24) -> list[float]:
    out = [default] * n
    for k, v in values.items():
        out[k] = v
    return out


def price_file(tmp_path, prices: list[float]) -> dict:
    """Write an hourly UTC price CSV and return its FileSeries spec."""
    import pandas as pd

    idx = pd.date_range("2023-01-01", periods=len(prices), freq="h", tz="UTC")
    path = tmp_path / "prices.csv"
    pd.DataFrame({"time": idx.strftime("%Y-%m-%dT%H:%M:%SZ"), "price": prices}).to_csv(
        path, index=False)
    return {"file": str(path), "format": "csv", "time_column": "time", "column": "price",
            "unit": "USD/MWh", "tz": "UTC"}


def check_balance(result) -> None:
    """Energy balance at every step: supply = load (+ charging + export)."""
    s = result.schedule
    supply = s["grid_import_mw"].to_numpy().copy()
    for c in ("pv_used_mw", "wind_used_mw", "ppa_used_mw", "battery_discharge_mw"):
        if c in s:
            supply += s[c].to_numpy()
    demand = s["facility_power_mw"].to_numpy().copy()
    for c in ("battery_charge_mw", "grid_export_mw"):
        if c in s:
            demand += s[c].to_numpy()
    np.testing.assert_allclose(supply, demand, atol=1e-7)


def test_two_price_shifting(tmp_path):
    """4 GPU-h of batch work on 2 GPUs, due in 24 h. Prices 50 except 10 at 05:00 and 20 at
    13:00. Optimum: both GPUs at 05:00 and 13:00 → 2·10 + 2·20 = 60 USD. Business-as-usual
    starts at once (00:00, 01:00) → 2·50 + 2·50 = 200 USD."""
    prices = hourly({5: 10.0, 13: 20.0}, 50.0)
    d = base_dict(
        workload={"gpu": base_dict()["workload"]["gpu"], "classes": {
            "batch": {"kind": "batch", "servers": 2, "gpu_hours_per_day": 4,
                      "arrivals": "midnight"}}},
        tariff={"energy_price_usd_per_mwh": price_file(tmp_path, prices)},
    )
    r = run(scenario_from_dict(d))
    assert r.metrics["total_cost_usd"] == pytest.approx(60.0, abs=1e-6)
    assert r.baseline_metrics["total_cost_usd"] == pytest.approx(200.0, abs=1e-6)
    run_mw = r.schedule["batch_it_mw__batch"].to_numpy()
    np.testing.assert_allclose(run_mw[[5, 13]], [2.0, 2.0], atol=1e-7)
    assert run_mw.sum() == pytest.approx(4.0)
    assert r.metrics["work_done_gpu_hours__batch"] == pytest.approx(4.0)
    np.testing.assert_allclose(r.baseline["batch_it_mw__batch"].to_numpy()[:3], [2, 2, 0])
    check_balance(r)


def test_demand_charge_makes_peak_shaving_pay():
    """1 MW must-serve inference + 24 GPU-h of batch on 2 GPUs, flat 50 USD/MWh, demand charge
    1000 USD/MW-month. Energy is the same either way: 48 MWh → 2400 USD. Business-as-usual runs
    the batch for 12 h at 2 MW → peak 3 MW → 3000 USD; the optimum spreads it at 1 MW → peak
    2 MW → 2000 USD. Totals 4400 vs 5400."""
    gpu = base_dict()["workload"]["gpu"]
    d = base_dict(
        workload={"gpu": gpu, "classes": {
            "chat": {"kind": "inference", "servers": 1, "utilization": 1.0},
            "batch": {"kind": "batch", "servers": 2, "gpu_hours_per_day": 24,
                      "arrivals": "midnight"}}},
        tariff={"energy_price_usd_per_mwh": 50.0,
                "demand_charges": [{"rate_usd_per_mw_month": 1000.0}]},
    )
    r = run(scenario_from_dict(d))
    assert r.metrics["total_cost_usd"] == pytest.approx(4400.0, abs=1e-6)
    assert r.baseline_metrics["total_cost_usd"] == pytest.approx(5400.0, abs=1e-6)
    assert r.metrics["peak_import_mw"] == pytest.approx(2.0, abs=1e-7)
    assert r.baseline_metrics["peak_import_mw"] == pytest.approx(3.0, abs=1e-7)
    assert r.metrics["demand_cost_usd"] == pytest.approx(2000.0, abs=1e-6)
    check_balance(r)


def test_battery_arbitrage_with_losses(tmp_path):
    """1 MW load; battery 1 MW / 4 MWh, η = 0.9 each way, SoC 0..100 %, starts (and must end)
    at 2 MWh. Price 10 for hours 0-3, 100 after. Best: store 2 MWh in the cheap hours (buying
    2/0.9 = 2.2222 MWh), release them later (delivering 2·0.9 = 1.8 MWh). Saving =
    1.8·100 − 2.2222·10 = 157.7778 USD against 4·10 + 20·100 = 2040 USD."""
    prices = hourly({0: 10.0, 1: 10.0, 2: 10.0, 3: 10.0}, 100.0)
    gpu = base_dict()["workload"]["gpu"]
    d = base_dict(
        workload={"gpu": gpu, "classes": {
            "chat": {"kind": "inference", "servers": 1, "utilization": 1.0}}},
        tariff={"energy_price_usd_per_mwh": price_file(tmp_path, prices)},
        battery={"power_mw": 1.0, "energy_mwh": 4.0, "charge_efficiency": 0.9,
                 "discharge_efficiency": 0.9, "soc_min_fraction": 0.0,
                 "soc_max_fraction": 1.0, "soc_initial_fraction": 0.5},
    )
    r = run(scenario_from_dict(d))
    saving = 1.8 * 100 - (2 / 0.9) * 10
    assert r.baseline_metrics["total_cost_usd"] == pytest.approx(2040.0, abs=1e-6)
    assert r.metrics["total_cost_usd"] == pytest.approx(2040.0 - saving, abs=1e-6)
    s = r.schedule
    soc = s["battery_soc_mwh"].to_numpy()
    # SoC dynamics hold step by step, from the initial 2 MWh
    prev = np.concatenate([[2.0], soc[:-1]])
    np.testing.assert_allclose(
        soc, prev + 0.9 * s["battery_charge_mw"] - s["battery_discharge_mw"] / 0.9, atol=1e-7)
    assert soc[-1] >= 2.0 - 1e-7
    assert soc.max() == pytest.approx(4.0, abs=1e-7)
    check_balance(r)


def test_demand_response_event():
    """1 MW inference + 8 GPU-h batch on 2 GPUs, flat 50 USD/MWh. DR event 00:00-02:00 on the
    first day caps import at 50 % of the customer baseline and pays 100 USD per MWh reduced;
    shortfall costs 1000 USD/MWh. Every 10-in-10 baseline day lies before the period, so the
    baseline is business-as-usual's import: the batch in hours 0-3 → 3 MW in the event.
    Business-as-usual cannot flex, so it is not enrolled: energy 32 MWh → 1600 USD, no
    penalty. The optimum moves the batch out of the event: import 1 MW, reduction 2 MW × 2 h
    = 4 MWh → 400 USD paid; total 1600 − 400 = 1200: a flexibility value of 400 USD, all of
    it from the workload (no battery)."""
    gpu = base_dict()["workload"]["gpu"]
    d = base_dict(
        workload={"gpu": gpu, "classes": {
            "chat": {"kind": "inference", "servers": 1, "utilization": 1.0},
            "batch": {"kind": "batch", "servers": 2, "gpu_hours_per_day": 8,
                      "arrivals": "midnight"}}},
        events={"demand_response": [{
            "start": "2023-01-01 00:00", "end": "2023-01-01 02:00", "reduce_to_fraction": 0.5,
            "payment_usd_per_mwh": 100.0, "shortfall_penalty_usd_per_mwh": 1000.0}]},
    )
    r = run(scenario_from_dict(d))
    assert r.baseline_metrics["total_cost_usd"] == pytest.approx(1600.0, abs=1e-6)
    assert r.baseline_metrics["dr_penalty_usd"] == 0.0
    assert r.baseline_metrics["dr_revenue_usd"] == 0.0
    assert r.values["flexibility_value_usd"] == pytest.approx(400.0, abs=1e-6)
    assert r.values["battery_value_usd"] == 0.0
    assert r.metrics["total_cost_usd"] == pytest.approx(1200.0, abs=1e-6)
    assert r.metrics["dr_revenue_usd"] == pytest.approx(400.0, abs=1e-6)
    assert r.metrics["dr_reduced_mwh"] == pytest.approx(4.0, abs=1e-7)
    np.testing.assert_allclose(r.schedule["grid_import_mw"].to_numpy()[:2], [1.0, 1.0],
                               atol=1e-7)
    assert r.metrics["work_done_gpu_hours__batch"] == pytest.approx(8.0)
    check_balance(r)


def test_training_power_cap_with_throughput_floor(tmp_path):
    """One 1 MW training GPU, curve (0,0)-(0.5,0.8)-(1,1), floor 0.9 over the day, no value on
    throughput. Prices 50, but 10 at 03:00 and 300 at 18:00. Throughput costs 0.625·price per
    unit up to half power, 2.5·price beyond. Pausing 18:00 saves 0.8·0.625·300 = 150 against
    0.8·2.5·50 = 100 to make it up elsewhere, so the optimum pauses 18:00, runs the other 23 h
    at half power (18.4) and 16 of them at full (3.2 more, the cheap hour first): 21.6 = 0.9·24.
    Cost 1·10 + 15·50 + 7·0.5·50 = 935 USD; business-as-usual (full power all day) 1410."""
    prices = hourly({3: 10.0, 18: 300.0}, 50.0)
    gpu = base_dict()["workload"]["gpu"]
    d = base_dict(
        workload={"gpu": gpu, "classes": {
            "train": {"kind": "training", "servers": 1, "curve": [[0.5, 0.8], [1.0, 1.0]],
                      "min_throughput": 0.9, "window_h": 24, "value_usd_per_gpu_hour": 0.0}}},
        tariff={"energy_price_usd_per_mwh": price_file(tmp_path, prices)},
    )
    r = run(scenario_from_dict(d))
    assert r.metrics["total_cost_usd"] == pytest.approx(935.0, abs=1e-6)
    assert r.baseline_metrics["total_cost_usd"] == pytest.approx(1410.0, abs=1e-6)
    x = r.schedule["training_throughput__train"].to_numpy()
    assert x.mean() == pytest.approx(0.9, abs=1e-9)
    assert x[18] == pytest.approx(0.0, abs=1e-9)
    assert r.metrics["slo_misses__train"] == 0
    check_balance(r)


def test_hard_dr_cap_below_must_serve_load_is_diagnosed():
    """A hard cap of 0.5 MW while 1 MW of inference must be served cannot be met; the error
    names the event, the cap and the load instead of a solver status."""
    gpu = base_dict()["workload"]["gpu"]
    d = base_dict(
        workload={"gpu": gpu, "classes": {
            "chat": {"kind": "inference", "servers": 1, "utilization": 1.0}}},
        events={"demand_response": [{
            "start": "2023-01-01 17:00", "end": "2023-01-01 19:00", "cap_mw": 0.5}]},
    )
    with pytest.raises(InfeasibleError) as info:
        run(scenario_from_dict(d))
    text = str(info.value)
    assert "DR event 2023-01-01 17:00–19:00" in text
    assert "0.5 MW" in text and "1 MW" in text


def test_batch_deadline_that_cannot_be_met_is_diagnosed():
    """30 GPU-h due in 24 h on one 1 MW GPU cannot be done: the message names the class."""
    gpu = base_dict()["workload"]["gpu"]
    d = base_dict(workload={"gpu": gpu, "classes": {
        "batch": {"kind": "batch", "servers": 1, "gpu_hours_per_day": 30}}})
    with pytest.raises(InfeasibleError, match="batch class 'batch'.*cannot finish"):
        run(scenario_from_dict(d))


def test_ledgers_match_metrics_bookkeeping(tmp_path):
    """The LP's own objective ledgers and the schedule-based metrics agree on the cost."""
    from dcflex.model.build import build
    from dcflex.model.solve import solve_lp

    prices = hourly({5: 10.0, 13: 20.0, 18: 200.0}, 50.0)
    gpu = base_dict()["workload"]["gpu"]
    d = base_dict(
        workload={"gpu": gpu, "classes": {
            "chat": {"kind": "inference", "servers": 1, "utilization": 0.5},
            "batch": {"kind": "batch", "servers": 2, "gpu_hours_per_day": 10}}},
        tariff={"energy_price_usd_per_mwh": price_file(tmp_path, prices),
                "demand_charges": [{"rate_usd_per_mw_month": 300.0, "hours": [16, 21]}],
                "fixed_usd_per_month": 310.0},
        battery={"power_mw": 0.5, "energy_mwh": 1.0, "cycle_cost_usd_per_mwh": 2.0},
    )
    inputs = prepare(scenario_from_dict(d))
    lp = build(inputs)
    sol = solve_lp(lp)
    r = run(scenario_from_dict(d))
    ledger_cost = float(lp.ledgers["cost_usd"] @ sol.x + lp.ledger_offsets["cost_usd"])
    assert r.metrics["total_cost_usd"] == pytest.approx(ledger_cost, rel=1e-9)
    assert r.metrics["fixed_cost_usd"] == pytest.approx(310.0 / 31, rel=1e-12)
    assert r.metrics["total_cost_usd"] <= r.baseline_metrics["total_cost_usd"] + 1e-6


def test_time_of_use_rates_move_work_to_the_cheap_period():
    """Local-time TOU: 20 USD/MWh from 12:00, 80 at all other hours (the default). 1 MW load
    and 12 GPU-h of batch on one 1 MW GPU. Business-as-usual runs it 00:00-12:00 at 80 →
    12·80 + load (12·80 + 12·20) = 2160; the optimum runs it 12:00-24:00 → 240 + 1200 = 1440."""
    gpu = base_dict()["workload"]["gpu"]
    d = base_dict(
        workload={"gpu": gpu, "classes": {
            "chat": {"kind": "inference", "servers": 1, "utilization": 1.0},
            "batch": {"kind": "batch", "servers": 1, "gpu_hours_per_day": 12,
                      "arrivals": "midnight"}}},
        tariff={"tou": [{"price_usd_per_mwh": 80.0, "default": True},
                        {"price_usd_per_mwh": 20.0, "hours": [12, 24]}]},
    )
    r = run(scenario_from_dict(d))
    assert r.baseline_metrics["total_cost_usd"] == pytest.approx(2160.0, abs=1e-6)
    assert r.metrics["total_cost_usd"] == pytest.approx(1440.0, abs=1e-6)
    np.testing.assert_allclose(r.schedule["batch_it_mw__batch"].to_numpy()[12:], 1.0, atol=1e-7)


def test_wind_surplus_is_exported_up_to_the_limit_and_the_rest_curtailed():
    """Wind 4 MW at a constant 50 % → 2 MW; load 1 MW; export limit 0.5 MW at 10 USD/MWh.
    Every hour: no import, 0.5 MW exported (120 USD earned over the day), 0.5 MW curtailed
    (12 MWh). The twin follows the same rule, so nothing changes."""
    gpu = base_dict()["workload"]["gpu"]
    d = base_dict(
        workload={"gpu": gpu, "classes": {
            "chat": {"kind": "inference", "servers": 1, "utilization": 1.0}}},
        wind={"capacity_mw": 4.0, "profile_fraction": 0.5},
        grid={"import_limit_mw": 10.0, "export_limit_mw": 0.5,
              "export_price_usd_per_mwh": 10.0},
    )
    r = run(scenario_from_dict(d))
    for m in (r.metrics, r.baseline_metrics):
        assert m["total_cost_usd"] == pytest.approx(-120.0, abs=1e-6)
        assert m["grid_export_mwh"] == pytest.approx(12.0, abs=1e-6)
        assert m["curtailed_mwh"] == pytest.approx(12.0, abs=1e-6)
        assert m["grid_import_mwh"] == pytest.approx(0.0, abs=1e-6)
        assert m["renewable_share"] == pytest.approx(1.0)
    check_balance(r)


def test_ppa_take_or_pay():
    """1 MW load, a direct-line PPA of 0.5 MW flat at 30 USD/MWh (line wide enough, no
    losses), wholesale 50: the site pays 30 on 12 MWh of PPA energy and 50 on 12 MWh imported
    → 360 + 600 = 960 USD; half the load is clean."""
    gpu = base_dict()["workload"]["gpu"]
    d = base_dict(
        workload={"gpu": gpu, "classes": {
            "chat": {"kind": "inference", "servers": 1, "utilization": 1.0}}},
        ppa={"kind": "direct_line", "profile_mw": 0.5, "price_usd_per_mwh": 30.0,
             "line_capacity_mw": 1.0, "line_losses_pct": 0.0},
    )
    r = run(scenario_from_dict(d))
    assert r.metrics["total_cost_usd"] == pytest.approx(960.0, abs=1e-6)
    assert r.metrics["ppa_cost_usd"] == pytest.approx(360.0, abs=1e-6)
    assert r.metrics["cfe_score"] == pytest.approx(0.5)
    assert r.metrics["emissions_average_t"] == pytest.approx(12 * 400 / 1000)
    check_balance(r)


def test_unused_ppa_energy_is_resold_at_wholesale_not_at_the_retail_price():
    """0.5 MW load for 24 h, direct-line PPA 1 MW flat at 30 USD/MWh (no losses), wholesale 50
    with a 20 USD/MWh retail
    adder. The contract costs 24 · 30 = 720; the load uses 12 MWh of it and the other 12 MWh
    are resold at 50 (not 70) → 720 − 600 = 120 USD, nothing imported. If the site imported
    instead, each MWh would cost 70 and forgo only 50 of resale: using the PPA is right."""
    gpu = base_dict()["workload"]["gpu"]
    d = base_dict(
        workload={"gpu": gpu, "classes": {
            "chat": {"kind": "inference", "servers": 1, "utilization": 0.5}}},
        ppa={"kind": "direct_line", "profile_mw": 1.0, "price_usd_per_mwh": 30.0,
             "line_capacity_mw": 1.0, "line_losses_pct": 0.0},
        tariff={"energy_price_usd_per_mwh": 50.0, "adder_usd_per_mwh": 20.0},
    )
    r = run(scenario_from_dict(d))
    assert r.metrics["ppa_cost_usd"] == pytest.approx(120.0, abs=1e-6)
    assert r.metrics["total_cost_usd"] == pytest.approx(120.0, abs=1e-6)
    assert r.metrics["grid_import_mwh"] == pytest.approx(0.0, abs=1e-7)
    check_balance(r)


def test_carbon_objective_moves_work_to_clean_hours(tmp_path):
    """Objective 'carbon': 4 GPU-h on 2 GPUs, intensity 400 except 100 at 03:00 and 200 at
    09:00 (price flat). Least emissions: run at 03:00 and 09:00 → (2·100 + 2·200)/1000 =
    0.6 t, against 1.6 t for business-as-usual at 00:00-02:00."""
    import pandas as pd

    ci = hourly({3: 100.0, 9: 200.0}, 400.0)
    idx = pd.date_range("2023-01-01", periods=24, freq="h", tz="UTC")
    path = tmp_path / "ci.csv"
    pd.DataFrame({"time": idx.strftime("%Y-%m-%dT%H:%MZ"), "ci": ci}).to_csv(path, index=False)
    gpu = base_dict()["workload"]["gpu"]
    d = base_dict(
        workload={"gpu": gpu, "classes": {
            "batch": {"kind": "batch", "servers": 2, "gpu_hours_per_day": 4,
                      "arrivals": "midnight"}}},
        carbon={"average_kg_per_mwh": {"file": str(path), "format": "csv", "time_column": "time",
                                       "column": "ci", "unit": "g/kWh", "tz": "UTC"}},
        optimization={"objective": "carbon"},
    )
    r = run(scenario_from_dict(d))
    assert r.metrics["emissions_average_t"] == pytest.approx(0.6, abs=1e-9)
    assert r.baseline_metrics["emissions_average_t"] == pytest.approx(1.6, abs=1e-9)


def test_daily_batch_deadlines_follow_local_midnight_across_dst():
    """A 24 h deadline is the next local midnight. New York springs forward on 2023-03-12, so
    that day has 23 hours; 23 GPU-h a day on one 1 MW GPU then fill it exactly, and a period
    ending on 2023-03-13 must not put the deadline an hour past its end."""
    d = base_dict(
        workload={"gpu": base_dict()["workload"]["gpu"], "classes": {
            "batch": {"kind": "batch", "servers": 1, "gpu_hours_per_day": 23,
                      "deadline_h": 24, "arrivals": "midnight"}}},
    )
    d["site"]["timezone"] = "America/New_York"
    d["period"] = {"start": "2023-03-11", "end": "2023-03-13", "step": "1h"}
    r = run(scenario_from_dict(d))
    assert len(r.schedule) == 24 + 23
    batch = r.schedule["batch_it_mw__batch"].to_numpy()
    # the 23 h day has no room to move: the GPU runs every hour of it
    np.testing.assert_allclose(batch[24:], 1.0, atol=1e-7)
    assert batch[:24].sum() == pytest.approx(23.0)
    assert r.metrics["work_done_gpu_hours__batch"] == pytest.approx(46.0)
