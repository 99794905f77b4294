"""Invariants of a year-long hourly run on real 2023 CAISO prices, Electricity Maps carbon and
Open-Meteo weather (scenarios/sites/caiso.yaml), and the Pyomo view giving the same optimum."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import base_dict

from dcflex.model.build import build
from dcflex.model.inputs import prepare
from dcflex.model.pyomo_view import solve_with_pyomo, to_pyomo
from dcflex.model.solve import solve_lp
from dcflex.scenario import load_scenario, scenario_from_dict
from dcflex.studies.run import run, schedule_from_solution

ROOT = Path(__file__).resolve().parents[1]
TOL = 1e-6


@pytest.fixture(scope="module")
def caiso():
    scen = load_scenario(ROOT / "scenarios" / "sites" / "caiso.yaml")
    return run(scen)


def test_real_inputs_are_what_the_files_say(caiso):
    s = caiso.inputs.series
    assert len(s) == 364 * 24
    # green-dcc SOURCE.txt: CAISO NP15 2023 mean 61.5 USD/MWh; the scenario adds 15 USD/MWh
    assert s["energy_price_usd_per_mwh"].mean() - 15 == pytest.approx(61.5, abs=1.0)
    assert s["carbon_avg_kg_per_mwh"].mean() == pytest.approx(194, abs=3)
    assert 0 < s["grid_cfe_fraction"].mean() < 1


def test_energy_balance_every_step(caiso):
    s = caiso.schedule
    supply = s["grid_import_mw"] + s["pv_used_mw"] + s["battery_discharge_mw"]
    demand = s["facility_power_mw"] + s["battery_charge_mw"]
    np.testing.assert_allclose(supply, demand, atol=TOL)
    it = sum(s[c] for c in s if c.startswith(("inference_it_mw__", "training_it_mw__",
                                              "batch_it_mw__")))
    np.testing.assert_allclose(s["it_power_mw"], it, atol=TOL)
    # non-IT power: IT-proportional (pue series) plus the constant fixed overhead, which for
    # the water-economizer design is 1.5 % of design IT (1,000 servers at full power with
    # their network and storage share)
    fac = caiso.inputs.params["facility"]
    assert fac["fixed_mw"] == pytest.approx(0.015 * fac["design_it_mw"], rel=1e-12)
    np.testing.assert_allclose(s["facility_power_mw"],
                               s["pue"] * s["it_power_mw"] + fac["fixed_mw"], atol=TOL)


def test_work_is_done_on_time(caiso):
    """Every hourly arrival gets exactly its GPU-hours (to 1e-9) inside its window; training
    meets its floor in every window; inference is served in full."""
    from dcflex.workloads.batch import attribute_work, release_windows

    inputs = caiso.inputs
    rel = inputs.params["workload"]["releases"]["batch"]
    assert len(rel) == 364 * 24  # an arrival every hour
    windows = release_windows(rel, inputs.index)
    need = rel["gpu_hours"].to_numpy()
    # the cumulative form's GPUs per step, split among the arrivals first in, first out
    att = attribute_work(caiso.schedule["batch_gpus__batch"].to_numpy(), need, windows,
                         inputs.step_hours)
    np.testing.assert_allclose(att.done(len(rel)), need, rtol=1e-9)
    assert att.late.max() <= 1e-9 * need.max()
    start, end = np.array(windows).T
    assert np.all(att.step >= start[att.release]) and np.all(att.step < end[att.release])
    m = caiso.metrics
    assert m["work_done_gpu_hours__batch"] == pytest.approx(m["work_required_gpu_hours__batch"])
    assert m["slo_misses__pretrain"] == 0
    x = caiso.schedule["training_throughput__pretrain"].to_numpy()
    daily = pd.Series(x).groupby(np.arange(len(x)) // 24).mean()
    assert daily.min() >= 0.9 - 1e-9
    np.testing.assert_allclose(caiso.schedule["inference_it_mw__chat"],
                               inputs.series["inference_demand_mw__chat"], atol=TOL)


def test_battery_soc_dynamics_and_bounds(caiso):
    b = caiso.scenario.battery
    s = caiso.schedule
    soc = s["battery_soc_mwh"].to_numpy()
    prev = np.concatenate([[b.soc_initial_fraction * b.energy_mwh], soc[:-1]])
    expected = prev + (b.charge_efficiency * s["battery_charge_mw"]
                       - s["battery_discharge_mw"] / b.discharge_efficiency)
    np.testing.assert_allclose(soc, expected, atol=1e-6)
    assert soc.min() >= b.soc_min_fraction * b.energy_mwh - TOL
    assert soc.max() <= b.soc_max_fraction * b.energy_mwh + TOL
    assert soc[-1] >= b.soc_initial_fraction * b.energy_mwh - TOL
    assert s["battery_charge_mw"].max() <= b.power_mw + TOL


def test_bounds_hold(caiso):
    s, inp = caiso.schedule, caiso.inputs
    assert s["grid_import_mw"].max() <= caiso.scenario.grid.import_limit_mw + TOL
    assert (s["pv_used_mw"] <= inp.series["pv_available_mw"] + TOL).all()
    assert (s["grid_import_mw"] >= -TOL).all()
    cp = inp.params["workload"]["classes"]["pretrain"]
    assert s["training_it_mw__pretrain"].min() >= cp.idle_mw - TOL
    assert s["training_it_mw__pretrain"].max() <= cp.full_mw + TOL


def test_flexible_is_never_worse_than_the_twin(caiso):
    m, b = caiso.metrics, caiso.baseline_metrics
    assert m["total_cost_usd"] <= b["total_cost_usd"] + 1e-6
    assert caiso.comparison.loc["total_cost_usd", "change"] < 0
    # A cheaper schedule may still raise a monthly peak (energy arbitrage can be worth more than
    # the demand charge it adds); it must then say so, never hide it.
    if m["peak_import_mw"] > b["peak_import_mw"] + TOL:
        assert any("peak" in w for w in caiso.warnings), caiso.warnings


def small_full_scenario() -> dict:
    gpu = base_dict()["workload"]["gpu"]
    return base_dict(
        hours=48,
        workload={"gpu": gpu, "classes": {
            "chat": {"kind": "inference", "servers": 2, "degradable_share": 0.2,
                     "utilization": {"generator": "diurnal", "mean": 0.6,
                                     "daily_amplitude": 0.3, "seed": 1}},
            "train": {"kind": "training", "servers": 3, "min_throughput": 0.8,
                      "curve": [[0.3, 0.5], [0.7, 0.9], [1.0, 1.0]],
                      "value_usd_per_gpu_hour": 40.0},
            "batch": {"kind": "batch", "servers": 2, "gpu_hours_per_day": 20}}},
        tariff={"energy_price_usd_per_mwh": {"generator": "diurnal", "mean": 60,
                                             "daily_amplitude": 0.6, "noise_std": 10,
                                             "seed": 2},
                "demand_charges": [{"rate_usd_per_mw_month": 500.0, "hours": [16, 21]}]},
        carbon={"average_kg_per_mwh": 350.0, "cfe_target": 0.2, "grid_cfe_fraction": 0.1},
        solar={"capacity_mw_dc": 3.0, "profile_fraction": {"generator": "diurnal", "mean": 0.25,
                                                            "daily_amplitude": 1.0,
                                                            "peak_hour": 12, "minimum": 0.0,
                                                            "seed": 3}},
        battery={"power_mw": 1.0, "energy_mwh": 3.0, "cycle_cost_usd_per_mwh": 5.0},
        grid={"import_limit_mw": 20.0, "export_limit_mw": 2.0},
        events={"demand_response": [{"start": "2023-01-01 17:00", "end": "2023-01-01 20:00",
                                     "reduce_to_fraction": 0.7, "payment_usd_per_mwh": 150.0,
                                     "shortfall_penalty_usd_per_mwh": 2000.0}]},
    )


def test_pyomo_view_gives_the_same_optimum():
    """Direct HiGHS and the Pyomo rendering of the same LP agree on the objective and on named
    values (not on column positions, which Pyomo orders its own way)."""
    inputs = prepare(scenario_from_dict(small_full_scenario()))
    lp = build(inputs)
    direct = solve_lp(lp)
    via_pyomo = solve_with_pyomo(lp, "appsi_highs")
    assert via_pyomo.objective == pytest.approx(direct.objective, rel=1e-9, abs=1e-6)
    a, _ = schedule_from_solution(lp, direct.x, inputs)
    b, _ = schedule_from_solution(lp, via_pyomo.x, inputs)
    for col in ("grid_import_mw", "facility_power_mw", "it_power_mw"):
        # named aggregates are unique at the optimum here even if split decisions are not
        assert a[col].sum() == pytest.approx(b[col].sum(), rel=1e-6)
    m = to_pyomo(lp)
    assert len(m.grid_import_mw) == inputs.n_steps
    assert hasattr(m, "c_power_balance") and hasattr(m, "c_battery_soc_dynamics")


def test_a_constraint_added_in_pyomo_changes_the_result():
    """A researcher's extra constraint (import at most 2 MW at every step) raises the cost."""
    import pyomo.environ as pyo

    from dcflex.model.pyomo_view import solution_from_pyomo

    inputs = prepare(scenario_from_dict(small_full_scenario()))
    lp = build(inputs)
    base = solve_lp(lp).objective
    m = to_pyomo(lp)
    m.extra_cap = pyo.Constraint(range(inputs.n_steps), rule=lambda m, t: m.grid_import_mw[t] <= 4)
    pyo.SolverFactory("appsi_highs").solve(m)
    x = solution_from_pyomo(m, lp)
    assert lp.values(x, "grid_import_mw").max() <= 4 + 1e-7
    assert pyo.value(m.objective) > base + 1.0


def test_run_through_a_pyomo_solver_gives_the_same_result():
    """optimization.solver names any Pyomo solver; the Result has the same shape and optimum."""
    d = small_full_scenario()
    direct = run(scenario_from_dict(d))
    d["optimization"] = {"solver": "appsi_highs"}
    via_pyomo = run(scenario_from_dict(d))
    assert via_pyomo.objective == pytest.approx(direct.objective, rel=1e-9, abs=1e-6)
    assert list(via_pyomo.schedule.columns) == list(direct.schedule.columns)
    assert via_pyomo.metrics["total_cost_usd"] == pytest.approx(
        direct.metrics["total_cost_usd"], rel=1e-6)
