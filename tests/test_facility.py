"""The facility in the model: a fixed overhead that shedding IT cannot save (hand case), water
metrics from the schedule, source water of grid electricity, the battery's usable window."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import UNIT_GPU, base_dict

from dcflex.errors import ScenarioError
from dcflex.model.components.facility import fixed_overhead_mw
from dcflex.model.inputs import prepare
from dcflex.scenario import scenario_from_dict
from dcflex.studies.run import run

# Air-cooled chiller at a constant 10 degC (tests/test_cooling.py works it by hand):
# PUE_IT = 1.21 + 1.13 / 7 = 1.371429; fixed overhead 2 % of design IT.
PUE_IT = 1.21 + 1.13 / 7


def shed_scenario(**facility) -> dict:
    """One 1 MW unit server training at a flat 50 USD/MWh with a 50 % daily floor and no value
    on throughput: the optimum runs it at half power on average, the twin at full power."""
    return base_dict(
        workload={"gpu": dict(UNIT_GPU), "classes": {"train": {
            "kind": "training", "servers": 1, "curve": [[0.0, 0.0], [1.0, 1.0]],
            "min_throughput": 0.5, "window_h": 24, "value_usd_per_gpu_hour": 0.0}}},
        facility={"cooling": "chiller", **facility},
        weather={"temp_air_c": 10.0},
    )


def test_shedding_it_leaves_the_fixed_overhead_unchanged():
    """Hand case. Design IT 1 MW -> fixed 0.02 MW, every hour, in both schedules.
    Twin: 24 MWh IT, facility 24 x 1.371429 + 0.48 = 33.394 MWh.
    Optimum: 12 MWh IT, facility 12 x 1.371429 + 0.48 = 16.937 MWh.
    Saving 50 x 1.371429 x 12 = 822.857 USD; a fixed part that followed IT (as a PUE term at
    full load, 0.02 per IT MW) would have claimed 12 USD more."""
    r = run(scenario_from_dict(shed_scenario()))
    assert fixed_overhead_mw(r.inputs) == pytest.approx(0.02, rel=1e-12)
    assert r.inputs.series["pue"].to_numpy() == pytest.approx(PUE_IT, rel=1e-12)
    for sched in (r.schedule, r.baseline):
        non_it = sched["facility_power_mw"] - PUE_IT * sched["it_power_mw"]
        np.testing.assert_allclose(non_it, 0.02, atol=1e-9)
    assert r.baseline_metrics["it_energy_mwh"] == pytest.approx(24.0)
    assert r.metrics["it_energy_mwh"] == pytest.approx(12.0, abs=1e-6)
    assert r.baseline_metrics["facility_energy_mwh"] == pytest.approx(24 * PUE_IT + 0.48)
    assert r.metrics["facility_energy_mwh"] == pytest.approx(12 * PUE_IT + 0.48, abs=1e-6)
    saving = r.baseline_metrics["total_cost_usd"] - r.metrics["total_cost_usd"]
    assert saving == pytest.approx(50 * PUE_IT * 12, abs=1e-4)
    assert r.metrics["fixed_overhead_mw"] == pytest.approx(0.02)
    # more fixed overhead (the scenario's own constant load) changes no decision or saving
    more = run(scenario_from_dict(shed_scenario(fixed_overhead_mw=0.5)))
    assert fixed_overhead_mw(more.inputs) == pytest.approx(0.52)
    assert (more.baseline_metrics["total_cost_usd"] - more.metrics["total_cost_usd"]
            == pytest.approx(saving, abs=1e-4))


def test_water_metrics_are_the_hourly_sum_and_wue():
    """Water-economizer site on a constant 30 degC, 40 % RH day with 2,000 L/MWh of source
    water on its grid import: site water = L/kWh x IT MWh per step (m3), WUE = m3 / MWh."""
    d = shed_scenario(cooling="water_economizer",
                      water={"cycles_of_concentration": 5, "grid_l_per_mwh": 2000.0})
    d["weather"] = {"temp_air_c": 30.0, "relative_humidity_pct": 40.0}
    r = run(scenario_from_dict(d))
    s = r.inputs.series
    for sched, m in ((r.schedule, r.metrics), (r.baseline, r.baseline_metrics)):
        it_mwh = sched["it_power_mw"].to_numpy()  # 1 h steps
        site = float((s["site_water_l_per_kwh_it"].to_numpy() * it_mwh).sum())
        assert m["site_water_m3"] == pytest.approx(site, rel=1e-12)
        assert m["wue_site_l_per_kwh"] == pytest.approx(site / it_mwh.sum(), rel=1e-12)
        source = 2000.0 * m["grid_import_mwh"] / 1000.0
        assert m["source_water_m3"] == pytest.approx(source, rel=1e-12)
        assert m["total_water_m3"] == pytest.approx(site + source, rel=1e-12)
    # shedding half the IT energy halves the site water at a constant weather
    assert r.metrics["site_water_m3"] == pytest.approx(r.baseline_metrics["site_water_m3"] / 2,
                                                       rel=1e-6)
    # a tower site uses 1-2.3 L/kWh (cooling_designs.WUE_BANDS); 5 cycles: make-up 5/4
    assert 1.0 < r.metrics["wue_site_l_per_kwh"] < 2.3
    fewer = scenario_from_dict({**d, "facility": {**d["facility"], "water": {
        "cycles_of_concentration": 3}}})
    ratio = (prepare(fewer).series["site_water_l_per_kwh_it"].iloc[0]
             / s["site_water_l_per_kwh_it"].iloc[0])
    assert ratio == pytest.approx((3 / 2) / (5 / 4), rel=1e-12)


def test_constant_pue_does_not_invent_water():
    r = run(scenario_from_dict(base_dict(workload={"gpu": dict(UNIT_GPU), "classes": {
        "chat": {"kind": "inference", "servers": 1, "utilization": 0.5}}})))
    assert np.isnan(r.metrics["site_water_m3"]) and np.isnan(r.metrics["wue_site_l_per_kwh"])
    assert np.isnan(r.metrics["total_water_m3"])
    assert "economizer_hours" not in r.metrics


def test_battery_energy_is_nameplate_with_a_usable_window():
    d = base_dict(workload={"gpu": dict(UNIT_GPU), "classes": {
        "chat": {"kind": "inference", "servers": 1, "utilization": 0.5}}},
        battery={"power_mw": 1.0, "energy_mwh": 10.0, "soc_min_fraction": 0.2,
                 "soc_max_fraction": 0.9, "soc_initial_fraction": 0.5})
    scen = scenario_from_dict(d)
    assert scen.battery.usable_mwh == pytest.approx(7.0)
    r = run(scen)
    assert r.metrics["battery_usable_mwh"] == pytest.approx(7.0)
    soc = r.schedule["battery_soc_mwh"]
    assert soc.min() >= 2.0 - 1e-9 and soc.max() <= 9.0 + 1e-9
    assert "Nameplate" in type(scen.battery).model_fields["energy_mwh"].description


def test_bad_cooling_parameters_name_the_field():
    d = shed_scenario(cooling_parameters={"dew_point_max_c": 10.0, "dew_point_min_c": 12.0})
    with pytest.raises(ScenarioError) as err:
        prepare(scenario_from_dict(d))
    assert err.value.field == "facility.cooling_parameters.dew_point_max_c"
    d = shed_scenario(water={"cycles_of_concentration": 1.0})
    with pytest.raises(ScenarioError, match="cycles_of_concentration"):
        scenario_from_dict(d)
