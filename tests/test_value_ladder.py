"""The counterfactual ladder on cases solved by hand: each rung, the values between them, the
work given up, the shortcuts that skip a solve, and the good-grid-citizen warnings.

Unit GPUs of 1 MW (conftest), PUE 1: one GPU-hour is one MWh.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import yaml
from conftest import base_dict
from typer.testing import CliRunner

import dcflex.studies.run as run_module
from dcflex.cli import app
from dcflex.model.build import build
from dcflex.model.inputs import prepare
from dcflex.model.solve import make_highs, run_highs
from dcflex.model.twin import baseline_schedule
from dcflex.results.counterfactuals import fix_workload_to_twin, schedule_from_solution
from dcflex.results.metrics import compute_metrics
from dcflex.scenario import scenario_from_dict
from dcflex.studies.run import run

VALUE_NAMES = ("flexibility_value_usd", "battery_value_usd", "workload_flexibility_value_usd",
               "work_value_change_usd")


def hourly_file(tmp_path, name: str, values: list[float], unit: str) -> dict:
    """An hourly UTC CSV series from 2023-01-01 and its FileSeries spec."""
    idx = pd.date_range("2023-01-01", periods=len(values), freq="h", tz="UTC")
    path = tmp_path / f"{name}.csv"
    pd.DataFrame({"time": idx.strftime("%Y-%m-%dT%H:%M:%SZ"), "v": values}).to_csv(
        path, index=False)
    return {"file": str(path), "format": "csv", "time_column": "time", "column": "v",
            "unit": unit, "tz": "UTC"}


def spiky(hours: dict[int, float], default: float) -> list[float]:
    return [hours.get(h, default) for h in range(24)]


IDEAL_BATTERY = {"power_mw": 1.0, "energy_mwh": 2.0, "charge_efficiency": 1.0,
                 "discharge_efficiency": 1.0, "soc_min_fraction": 0.0, "soc_max_fraction": 1.0,
                 "soc_initial_fraction": 0.5}


def three_rung_dict(tmp_path, **extra) -> dict:
    """1 MW must-serve, 2 GPU-h of batch on 2 GPUs due in 24 h, an ideal 1 MW / 2 MWh battery
    starting (and ending) at 1 MWh; price 100 at 00:00, 10 at 12:00, 50 otherwise; marginal
    intensity 900 at 00:00, 300 at 12:00, 600 otherwise."""
    d = base_dict(
        workload={"gpu": base_dict()["workload"]["gpu"], "classes": {
            "chat": {"kind": "inference", "servers": 1, "utilization": 1.0},
            "batch": {"kind": "batch", "servers": 2, "gpu_hours_per_day": 2,
                      "arrivals": "midnight"}}},
        tariff={"energy_price_usd_per_mwh": hourly_file(
            tmp_path, "price", spiky({0: 100.0, 12: 10.0}, 50.0), "USD/MWh")},
        carbon={"average_kg_per_mwh": 400.0, "marginal_kg_per_mwh": hourly_file(
            tmp_path, "moer", spiky({0: 900.0, 12: 300.0}, 600.0), "kg/MWh")},
        battery=IDEAL_BATTERY,
    )
    d.update(extra)
    return d


def test_three_rungs_by_hand(tmp_path):
    """Rung 0, the twin: batch at 00:00 (2 MW at 100), battery idle →
        3·100 + 21·50 + 1·10 + 1·50 (hour 1..23 of 1 MW, 12:00 at 10) = 300 + 1100 + 10 = 1410.
    Rung 1, the twin's workload with the battery dispatched: discharge 1 MWh at 00:00 (−100),
    recharge it at 12:00 (+10) → 1320; nothing else pays (one cheap hour, 1 MW of charging).
    Rung 2, fully flexible: the batch moves to 12:00 too (2 MWh at 10 instead of 100) → 1140.
    Battery value 90, workload flexibility 180, flexibility 270; no work is given up.
    Avoided marginal emissions: 2 MWh of batch and 1 MWh of battery charge move from 900 to
    300 kg/MWh → 3 · 0.6 = 1.8 t."""
    r = run(scenario_from_dict(three_rung_dict(tmp_path)))
    c0, c1, c2 = (rung.metrics["total_cost_usd"] for rung in r.ladder.rungs)
    assert (c0, c1, c2) == pytest.approx((1410.0, 1320.0, 1140.0), abs=1e-6)
    v = r.values
    assert v["battery_value_usd"] == pytest.approx(90.0, abs=1e-6)
    assert v["workload_flexibility_value_usd"] == pytest.approx(180.0, abs=1e-6)
    assert v["flexibility_value_usd"] == pytest.approx(270.0, abs=1e-6)
    assert v["work_value_change_usd"] == 0.0
    rung1 = r.ladder.rungs[1]
    assert rung1.solved == "re-solve of the same model"
    # rung 1 runs the twin's workload exactly, with the battery moving
    np.testing.assert_allclose(rung1.schedule["batch_it_mw__batch"].to_numpy(),
                               r.baseline["batch_it_mw__batch"].to_numpy(), atol=1e-9)
    assert rung1.schedule["battery_discharge_mw"].iloc[0] == pytest.approx(1.0)
    assert rung1.schedule["battery_charge_mw"].iloc[12] == pytest.approx(1.0)
    assert r.metrics["avoided_emissions_marginal_t"] == pytest.approx(1.8, abs=1e-9)
    assert r.baseline_metrics["avoided_emissions_marginal_t"] == 0.0
    assert "emissions_marginal_t" not in r.metrics  # never an absolute marginal tonnage
    for m in (r.metrics, r.baseline_metrics, rung1.metrics):
        assert m["net_cost_usd"] == m["total_cost_usd"]  # no training: nothing to net


def test_rung_one_is_a_re_solve_of_the_same_model(tmp_path, monkeypatch):
    """One build and one HiGHS object for the whole ladder: rung 1 changes bounds in bulk and
    runs again (the counts come from spies that call the real functions)."""
    calls = {"build": 0, "make_highs": 0}

    def counting(name, fn):
        def wrapper(*args, **kwargs):
            calls[name] += 1
            return fn(*args, **kwargs)
        return wrapper

    monkeypatch.setattr(run_module, "build", counting("build", run_module.build))
    monkeypatch.setattr(run_module, "make_highs", counting("make_highs", run_module.make_highs))
    r = run(scenario_from_dict(three_rung_dict(tmp_path)))
    assert calls == {"build": 1, "make_highs": 1}
    assert r.ladder.rungs[1].highs_seconds > 0 and r.timings_s["highs_rung_1"] > 0


def test_must_serve_site_with_a_battery_solves_once(tmp_path, monkeypatch):
    """No workload decision: rung 2 is rung 1, so the whole-process benchmark's kind of site
    (must-serve load + battery) pays for one solve. Battery value = the arbitrage of the first
    case: 1 MWh at 100 out, back at 10 → 90 USD; workload flexibility 0."""
    calls = {"run_highs": 0}

    def counting(*args, **kwargs):
        calls["run_highs"] += 1
        return run_highs(*args, **kwargs)

    monkeypatch.setattr(run_module, "run_highs", counting)
    d = three_rung_dict(tmp_path)
    del d["workload"]["classes"]["batch"]
    r = run(scenario_from_dict(d))
    assert calls["run_highs"] == 1
    assert r.ladder.rungs[1].solved.startswith("same as rung 2")
    assert r.values["battery_value_usd"] == pytest.approx(90.0, abs=1e-6)
    assert r.values["workload_flexibility_value_usd"] == 0.0


def test_work_given_up_is_netted_out(tmp_path):
    """One 1 MW training GPU, linear power-cap curve, 90 % → 50 % floor per day, valued at 30
    USD per GPU-hour; price 50 for 12 h and 20 for 12 h. Training pays only below 30 USD/MWh:
    the optimum trains the 12 cheap hours (the floor, 12 units) and pauses the rest.
        twin: 12·50 + 12·20 = 840 USD, value 24·30 = 720 → net 120;
        flexible: 12·20 = 240 USD, value 12·30 = 360 → net −120.
    The bill falls by 600 but 360 of training value is given up: flexibility is worth 240.
    No battery and nothing behind the meter: rung 1 is the twin (no solve)."""
    prices = [50.0] * 12 + [20.0] * 12
    d = base_dict(
        workload={"gpu": base_dict()["workload"]["gpu"], "classes": {
            "train": {"kind": "training", "servers": 1, "curve": [[0.5, 0.5], [1.0, 1.0]],
                      "min_throughput": 0.5, "window_h": 24, "value_usd_per_gpu_hour": 30.0}}},
        tariff={"energy_price_usd_per_mwh": hourly_file(tmp_path, "p", prices, "USD/MWh")},
    )
    r = run(scenario_from_dict(d))
    assert r.baseline_metrics["total_cost_usd"] == pytest.approx(840.0, abs=1e-6)
    assert r.metrics["total_cost_usd"] == pytest.approx(240.0, abs=1e-6)
    assert r.values["bill_saving_usd"] == pytest.approx(600.0, abs=1e-6)
    assert r.values["work_value_change_usd"] == pytest.approx(-360.0, abs=1e-6)
    assert r.values["flexibility_value_usd"] == pytest.approx(240.0, abs=1e-6)
    assert r.values["workload_flexibility_value_usd"] == pytest.approx(240.0, abs=1e-6)
    assert r.values["battery_value_usd"] == 0.0
    assert r.ladder.rungs[1].solved.startswith("same as rung 0")


def test_the_twin_shortcut_is_what_the_lp_would_say(tmp_path):
    """Where rung 1 is taken to be the twin (no battery, nothing behind the meter), the LP with
    the workload fixed really has that cost: fix the workload in the LP and solve it."""
    d = three_rung_dict(tmp_path)
    del d["battery"]
    inputs = prepare(scenario_from_dict(d))
    lp = build(inputs)
    h = make_highs(lp)
    run_highs(h, lp.num_col)
    twin = baseline_schedule(inputs)
    fix_workload_to_twin(h, lp, twin, inputs, enrolled=False)
    sol = run_highs(h, lp.num_col)
    sched, _ = schedule_from_solution(lp, sol.x, inputs)
    imp = twin["grid_import_mw"].to_numpy()
    lp_cost = compute_metrics(sched, inputs, imp, enrolled=False)["net_cost_usd"]
    twin_cost = compute_metrics(twin, inputs, imp, enrolled=False)["net_cost_usd"]
    assert lp_cost == pytest.approx(twin_cost, abs=1e-6)
    assert run(scenario_from_dict(d)).ladder.rungs[1].solved.startswith("same as rung 0")


def test_dr_enrolment_by_rung(tmp_path):
    """A paid event at 00:00 (cap at the baseline, no penalty beyond it): the twin cannot flex
    and is not enrolled; rung 1 is enrolled through its battery, rung 2 too. Every baseline day
    is before the period, so the baseline is the twin's 3 MW. Rung 1: the battery gives 1 MW
    → reduction 1 MWh × 40 = 40 USD on top of the arbitrage (which it already did there)."""
    d = three_rung_dict(tmp_path, events={"demand_response": [{
        "start": "2023-01-01 00:00", "end": "2023-01-01 01:00", "reduce_to_fraction": 1.0,
        "payment_usd_per_mwh": 40.0, "shortfall_penalty_usd_per_mwh": 0.0}]})
    r = run(scenario_from_dict(d))
    r0, r1, r2 = r.ladder.rungs
    assert (r0.enrolled, r1.enrolled, r2.enrolled) == (False, True, True)
    assert r0.metrics["dr_revenue_usd"] == 0.0
    assert r1.metrics["dr_revenue_usd"] == pytest.approx(40.0, abs=1e-6)
    assert r.values["battery_value_usd"] == pytest.approx(90.0 + 40.0, abs=1e-6)
    # rung 2 also moves the batch out: 3 MW → 0 MW import in the event, 3 MWh × 40 = 120
    assert r2.metrics["dr_revenue_usd"] == pytest.approx(120.0, abs=1e-6)


def test_peak_not_above_baseline_and_the_citizen_warnings(tmp_path):
    """1 MW must-serve and the ideal battery, price 100 at 00:00 and 10 at 12:00; average
    intensity 400, but 800 at 12:00. Unconstrained, the battery discharges at 00:00 and
    recharges at 12:00: the import peak rises from the twin's 1 MW to 2 MW, and 1 MWh moves
    from 400 to 800 kg/MWh → +0.4 t CO2: two warnings. With grid.peak_not_above_baseline the
    import never exceeds 1 MW, so the battery cannot recharge, so it cannot discharge either:
    the arbitrage (90 USD) is gone and there is no warning."""
    d = three_rung_dict(tmp_path)
    del d["workload"]["classes"]["batch"]
    d["carbon"] = {"average_kg_per_mwh": hourly_file(
        tmp_path, "ci", spiky({12: 800.0}, 400.0), "kg/MWh")}
    free = run(scenario_from_dict(d))
    assert free.metrics["peak_import_mw"] == pytest.approx(2.0)
    assert len(free.warnings) == 2
    assert "monthly import peak" in free.warnings[0] and "2 MW against 1 MW" in free.warnings[0]
    assert "0.4 t CO2 more" in free.warnings[1]
    d["grid"] = {"import_limit_mw": 100.0, "peak_not_above_baseline": True}
    capped = run(scenario_from_dict(d))
    assert capped.metrics["peak_import_mw"] <= 1.0 + 1e-9
    assert capped.values["battery_value_usd"] == pytest.approx(0.0, abs=1e-6)
    assert capped.warnings == []


def test_metrics_json_carries_the_values_with_units_and_descriptions(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(three_rung_dict(tmp_path)))
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["run", str(path), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "counterfactual ladder" in result.output and "battery_value_usd" in result.output
    doc = json.loads((out / "metrics.json").read_text())
    for name in VALUE_NAMES:
        entry = doc["values"][name]
        assert entry["unit"] == "USD" and entry["description"] and entry["includes"]
    assert doc["values"]["flexibility_value_usd"]["value"] == pytest.approx(270.0, abs=1e-6)
    assert [r["solved"] for r in doc["ladder"]] == ["twin", "re-solve of the same model", "lp"]
    assert doc["flexible"]["emissions_market_based_t"]["unit"] == "t CO2"


def test_simulate_reports_the_same_split(tmp_path):
    """A single plan over the whole period on perfect forecasts is the perfect-foresight
    optimum, so the simulation's ladder (rung 1: the same policy on the twin's workload) gives
    the values of run: 90, 180 and 270 USD."""
    from dcflex.studies.operate.simulate import simulate_inputs

    inputs = prepare(scenario_from_dict(three_rung_dict(tmp_path)))
    sim = simulate_inputs(inputs, "mpc", horizon_h=None, replan="once",
                          value_of_information=False)
    assert sim.ladder.rungs[1].solved == "simulated with the twin's workload"
    for name, value in (("battery_value_usd", 90.0), ("workload_flexibility_value_usd", 180.0),
                        ("flexibility_value_usd", 270.0), ("work_value_change_usd", 0.0)):
        assert sim.values[name] == pytest.approx(value, abs=1e-6), name
    # the twin's workload ran in rung 1, and its work is accounted on the real classes
    rung1 = sim.ladder.rungs[1]
    assert rung1.metrics["work_done_gpu_hours__batch"] == pytest.approx(2.0)
    assert "inference_it_mw__fixed" not in rung1.schedule
