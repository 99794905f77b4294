"""Contracts settled as they are signed, on cases solved by hand: the three PPA kinds and the
10-in-10 customer baseline of demand response.

Unit GPUs of 1 MW (conftest), PUE 1: one GPU-hour is one MWh.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import base_dict

from dcflex.errors import ScenarioError
from dcflex.model.components.events import event_windows
from dcflex.model.inputs import prepare
from dcflex.scenario import scenario_from_dict
from dcflex.studies.run import run

GPU = base_dict()["workload"]["gpu"]


def ppa_site(ppa: dict | None) -> dict:
    """1 MW of must-serve inference for 24 h, market 50 USD/MWh plus a 20 USD/MWh adder, a
    1000 USD/MW-month demand charge, grid intensity 400 kg/MWh with no carbon-free share."""
    d = base_dict(
        workload={"gpu": GPU, "classes": {
            "chat": {"kind": "inference", "servers": 1, "utilization": 1.0}}},
        tariff={"energy_price_usd_per_mwh": 50.0, "adder_usd_per_mwh": 20.0,
                "demand_charges": [{"rate_usd_per_mw_month": 1000.0}]},
    )
    if ppa is not None:
        d["ppa"] = ppa
    return d


FLAT = {"profile_mw": 0.5, "price_usd_per_mwh": 30.0}


def assert_bill(r, **expected: float) -> None:
    """The flexible schedule and its twin (a must-serve site: the same) settle as expected."""
    for m in (r.metrics, r.baseline_metrics):
        for name, value in expected.items():
            assert m[name] == pytest.approx(value, abs=1e-6), name


def test_without_ppa():
    """24 MWh × 70 = 1680 USD of energy, 1 MW × 1000 = 1000 USD of demand: 2680."""
    r = run(scenario_from_dict(ppa_site(None)))
    for m in (r.metrics, r.baseline_metrics):
        assert m["total_cost_usd"] == pytest.approx(2680.0, abs=1e-6)
        assert m["peak_import_mw"] == pytest.approx(1.0)


def test_virtual_ppa_is_settled_on_the_price_difference_and_leaves_the_meter_alone():
    """A 0.5 MW virtual PPA at a 30 USD/MWh strike: the meter sees the same 1 MW, so energy
    (1680), the peak (1 MW) and demand charges (1000) are those without the contract, the
    adder is paid on all 24 MWh; the contract settles (30 − 50) × 12 MWh = −240. Total 2440.
    Its 12 MWh are matched hour by hour: CFE 0.5, market-based emissions 400 × 12 = 4.8 t
    against 9.6 t location-based."""
    r = run(scenario_from_dict(ppa_site({"kind": "virtual", **FLAT})))
    assert_bill(r, peak_import_mw=1.0, demand_cost_usd=1000.0, energy_cost_usd=1680.0,
                ppa_cost_usd=-240.0, total_cost_usd=2440.0, grid_import_mwh=24.0, cfe_score=0.5,
                emissions_average_t=9.6, emissions_market_based_t=4.8)
    np.testing.assert_allclose(r.schedule["ppa_used_mw"], 0.5, atol=1e-9)
    np.testing.assert_allclose(r.baseline["ppa_used_mw"], 0.5, atol=1e-9)


def test_physical_ppa_crosses_the_meter_at_the_contract_price():
    """A 0.5 MW physical PPA: the meter still sees 1 MW (peak 1 MW, demand 1000 USD), the
    adder is paid on all 24 MWh, the 12 PPA MWh pay 30 instead of 50: energy 1680 − 12 × 50 =
    1080, contract 12 × 30 = 360. Total 2440: with one market price the same money as the
    virtual contract."""
    r = run(scenario_from_dict(ppa_site({"kind": "physical", **FLAT})))
    assert_bill(r, peak_import_mw=1.0, demand_cost_usd=1000.0, energy_cost_usd=1080.0,
                ppa_cost_usd=360.0, total_cost_usd=2440.0, emissions_market_based_t=4.8)


def test_physical_ppa_surplus_is_resold():
    """1.5 MW of physical PPA against a 1 MW load: 1 MW is consumed through the meter, 0.5 MW
    is sold at 50. Energy 24 × 70 − 24 × 50 = 480 (the adder on the metered 24 MWh); contract
    36 × 30 − 12 × 50 = 480; demand 1000. Total 1960."""
    r = run(scenario_from_dict(ppa_site({"kind": "physical", "profile_mw": 1.5,
                                         "price_usd_per_mwh": 30.0})))
    np.testing.assert_allclose(r.schedule["ppa_used_mw"], 1.0, atol=1e-9)
    assert r.metrics["energy_cost_usd"] == pytest.approx(480.0, abs=1e-6)
    assert r.metrics["ppa_cost_usd"] == pytest.approx(480.0, abs=1e-6)
    assert r.metrics["total_cost_usd"] == pytest.approx(1960.0, abs=1e-6)
    assert r.metrics["cfe_score"] == pytest.approx(1.0)


def test_direct_line_is_behind_the_meter_with_capacity_and_losses():
    """0.5 MW contracted on a 0.4 MW line losing 10 %: 0.36 MW arrives, the meter sees
    0.64 MW. Energy 0.64 × 24 × 70 = 1075.2; peak 0.64 → demand 640; the contract costs
    12 × 30 = 360 less the 0.1 MW the line could not carry, sold at the plant for 50 × 2.4 =
    120 → 240. Total 1955.2. 0.36 of each MWh is clean: CFE 0.36."""
    r = run(scenario_from_dict(ppa_site({"kind": "direct_line", **FLAT,
                                         "line_capacity_mw": 0.4, "line_losses_pct": 10.0})))
    assert_bill(r, peak_import_mw=0.64, demand_cost_usd=640.0, energy_cost_usd=1075.2,
                ppa_cost_usd=240.0, total_cost_usd=1955.2, cfe_score=0.36,
                emissions_average_t=6.144, emissions_market_based_t=6.144)
    np.testing.assert_allclose(r.schedule["ppa_used_mw"], 0.36, atol=1e-9)


@pytest.mark.parametrize("ppa, message", [
    ({"kind": "direct_line", **FLAT}, "needs line_capacity_mw and line_losses_pct"),
    ({"kind": "virtual", **FLAT, "line_capacity_mw": 1.0}, "apply only to kind direct_line"),
    (FLAT, "ppa.kind: required field is missing"),
])
def test_ppa_terms_are_checked(ppa, message):
    with pytest.raises(ScenarioError, match=message):
        scenario_from_dict(ppa_site(ppa))


# ----------------------------------------------------------------- 10-in-10 baseline

def ten_in_ten_site(cbl: str = "ten_in_ten") -> dict:
    """12 days from Monday 2023-01-02 in 6-hour steps (48 steps): 1 MW must-serve and 6 GPU-h
    of batch on one GPU, free to run in any step of the period (the twin runs it at once).
    Energy 50 USD/MWh, but 60 from 12:00 to 18:00. A paid event on Friday 13 January
    12:00-18:00 (200 USD/MWh reduced; no penalty); a second event on Wednesday 11 January
    only makes that day an event day."""
    d = base_dict(
        workload={"gpu": GPU, "classes": {
            "chat": {"kind": "inference", "servers": 1, "utilization": 1.0},
            "batch": {"kind": "batch", "servers": 1, "releases": [
                {"release": "2023-01-02T00:00", "deadline": "2023-01-14T00:00",
                 "gpu_hours": 6.0}]}}},
        tariff={"tou": [{"price_usd_per_mwh": 50.0, "default": True},
                        {"price_usd_per_mwh": 60.0, "hours": [12, 18]}]},
        events={"demand_response": [
            {"start": "2023-01-13 12:00", "end": "2023-01-13 18:00", "reduce_to_fraction": 1.0,
             "payment_usd_per_mwh": 200.0, "shortfall_penalty_usd_per_mwh": 0.0, "cbl": cbl},
            {"start": "2023-01-11 12:00", "end": "2023-01-11 18:00", "reduce_to_fraction": 1.0,
             "shortfall_penalty_usd_per_mwh": 0.0, "cbl": cbl}]},
    )
    d["period"] = {"start": "2023-01-02", "end": "2023-01-14", "step": "6h"}
    return d


def test_ten_in_ten_baseline_days():
    """The event's baseline days: the 10 most recent weekdays before Friday 13 January that
    are not event days — 12, 10, 9, 6, 5, 4, 3, 2 January in the period (the weekend of 7-8
    and the event day 11 skipped) and 30 and 29 December before it, which count at the twin's
    import in the event step. So the baseline is a tenth of the import at 12:00 on each of
    the eight days plus 0.2 × the twin's import then."""
    inputs = prepare(scenario_from_dict(ten_in_ten_site()))
    twin = np.full(48, 1.0)
    w = event_windows(inputs, twin)[0]
    local = inputs.local_index
    cols = np.flatnonzero(w.baseline.weights.toarray()[0])
    days = sorted(local[cols].day)
    assert days == [2, 3, 4, 5, 6, 9, 10, 12]
    assert set(local[cols].hour) == {12}
    np.testing.assert_allclose(w.baseline.weights.toarray()[0, cols], 0.1)
    assert w.baseline.constant_mw == pytest.approx([0.2])
    assert list(w.baseline.days_before_period) == [2]


def test_ten_in_ten_baseline_is_linear_in_the_schedule_and_can_be_inflated():
    """Business-as-usual (not enrolled) runs the batch in the first step at 50: energy
    12 steps × 6 MWh × 60 + 36 × 6 × 50 + 6 × 50 = 4320 + 10800 + 300 = 15420 USD.
    The flexible site puts the batch at 12:00 on a baseline day: 60 USD more (6 MWh at 60
    instead of 50), but that day's 2 MW lifts the baseline to (7 × 1 MW + 2 MW on the eight
    days in the period + 2 × 1 MW before it) / 10 = 1.1 MW, so the event's 1 MW import is
    0.1 MW × 6 h = 0.6 MWh below it, paid 200 → 120 USD. Net 15420 + 60 − 120 = 15360:
    inflating the baseline pays here, and it cost what the extra import cost. Against the
    twin's baseline (1 MW) it cannot pay."""
    r = run(scenario_from_dict(ten_in_ten_site()))
    assert r.baseline_metrics["total_cost_usd"] == pytest.approx(15420.0, abs=1e-6)
    assert r.metrics["total_cost_usd"] == pytest.approx(15360.0, abs=1e-6)
    event = event_windows(r.inputs, r.baseline["grid_import_mw"].to_numpy())[0]
    imp = r.schedule["grid_import_mw"].to_numpy()
    assert event.baseline.of(imp) == pytest.approx([1.1])
    assert (event.baseline.of(imp) - imp[event.steps]).sum() * 6 == pytest.approx(0.6)
    assert r.metrics["dr_revenue_usd"] == pytest.approx(120.0, abs=1e-6)
    batch = r.schedule["batch_it_mw__batch"]
    ran = batch[batch > 1e-9].index.tz_convert("UTC")
    assert len(ran) == 1 and ran[0].hour == 12 and ran[0].day in (2, 3, 4, 5, 6, 9, 10, 12)
    assert r.values["flexibility_value_usd"] == pytest.approx(60.0, abs=1e-6)
    twin_cbl = run(scenario_from_dict(ten_in_ten_site("twin")))
    assert twin_cbl.metrics["total_cost_usd"] == pytest.approx(15420.0, abs=1e-6)
    assert twin_cbl.metrics["dr_reduced_mwh"] == pytest.approx(0.0, abs=1e-9)


def test_a_baseline_wholly_before_the_period_is_the_twins_import():
    """An event on Monday 13 March 2023, 02:00 New York time, in a period that starts on
    Sunday 12 March: all ten baseline weekdays lie before the period, so the baseline is the
    twin's import in the event step (the stated assumption: the site ran as usual then)."""
    d = base_dict(workload={"gpu": GPU, "classes": {
        "chat": {"kind": "inference", "servers": 1, "utilization": 1.0},
        "batch": {"kind": "batch", "servers": 1, "gpu_hours_per_day": 1}}},
        events={"demand_response": [
            {"start": "2023-03-13 02:00", "end": "2023-03-13 03:00", "reduce_to_fraction": 0.5,
             "payment_usd_per_mwh": 10.0, "shortfall_penalty_usd_per_mwh": 100.0}]})
    d["site"]["timezone"] = "America/New_York"
    d["period"] = {"start": "2023-03-12", "end": "2023-03-14", "step": "1h"}
    inputs = prepare(scenario_from_dict(d))
    twin = np.arange(47, dtype=float)
    w = event_windows(inputs, twin)[0]
    assert w.baseline.weights.nnz == 0
    assert w.baseline.constant_mw == pytest.approx(twin[w.steps])
    assert pd.Timestamp(inputs.index[w.steps[0]]).tz_convert("America/New_York").hour == 2
