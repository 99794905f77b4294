"""Batch work from a real job trace (Philly) and from the seeded Philly-like generator, used
in the site model: work done equals work released, and the energy it takes equals its
GPU-hours times the power a running GPU adds."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import base_dict

from dcflex.errors import ScenarioError
from dcflex.model.inputs import prepare
from dcflex.scenario import scenario_from_dict
from dcflex.studies.run import run
from dcflex.workloads.gpus import gpu_type


def batch_scenario(source: dict, days: int = 14) -> dict:
    return base_dict(hours=24 * days, workload={"gpu": "H100", "classes": {
        "b": {"kind": "batch", "servers": 100, **source}}})


@pytest.mark.parametrize("source", [
    {"trace": {"file": "data:philly-via-adaptdl/philly.csv", "utilization": 0.5}},
    {"synthetic": {"gpu_hours_per_day": 4000, "seed": 3}},
])
def test_trace_work_and_energy(source):
    r = run(scenario_from_dict(batch_scenario(source)))
    rel = r.inputs.params["workload"]["releases"]["b"]
    end = r.inputs.index[-1] + (r.inputs.index[1] - r.inputs.index[0])
    assert len(rel) >= 10 and (rel["deadline_utc"] <= end).all()
    assert (rel["release_utc"] >= r.inputs.index[0]).all()
    need = rel["gpu_hours"].sum()
    assert r.metrics["work_done_gpu_hours__b"] == pytest.approx(need, rel=1e-9)
    assert r.baseline_metrics["work_done_gpu_hours__b"] == pytest.approx(need, rel=1e-9)
    gpu = gpu_type("H100")
    cp = r.inputs.params["workload"]["classes"]["b"]
    hours = r.inputs.n_steps * r.inputs.step_hours
    for sched in (r.schedule, r.baseline):
        energy = sched["batch_it_mw__b"].sum() * r.inputs.step_hours
        # a running GPU adds its own 630 W and its share of the non-GPU load: (2,800 - 1,400)
        # / 8 = 175 W, i.e. 805 W per GPU-hour
        per_gpu_w = ((gpu.tdp_w - gpu.idle_w)
                     + (gpu.server_overhead_w - gpu.server_overhead_idle_w) / 8)
        assert per_gpu_w == 805.0 and cp.per_gpu_mw == pytest.approx(805e-6, rel=1e-12)
        expected = cp.idle_mw * hours + need * per_gpu_w * 1e-6
        assert energy == pytest.approx(expected, rel=1e-9)
    assert r.metrics["total_cost_usd"] <= r.baseline_metrics["total_cost_usd"] + 1e-6


def test_synthetic_batch_is_reproducible_from_its_seed():
    def releases(seed):
        d = batch_scenario({"synthetic": {"gpu_hours_per_day": 4000, "seed": seed}})
        return prepare(scenario_from_dict(d)).params["workload"]["releases"]["b"]

    a, b, c = releases(7), releases(7), releases(8)
    assert a.equals(b)
    assert not np.allclose(a["gpu_hours"].to_numpy(), c["gpu_hours"].to_numpy()[: len(a)])


def test_two_batch_sources_are_an_error():
    d = batch_scenario({"gpu_hours_per_day": 100,
                        "synthetic": {"gpu_hours_per_day": 4000, "seed": 3}})
    with pytest.raises(ScenarioError, match="exactly one of"):
        scenario_from_dict(d)


AZURE = ["data:azure-llm-inference-2023/AzureLLMInferenceTrace_code.csv",
         "data:azure-llm-inference-2023/AzureLLMInferenceTrace_conv.csv"]


@pytest.mark.parametrize("source", [
    {"azure_trace": {"files": AZURE, "mean_utilization": 0.5, "seed": 1}},
    {"synthetic": {"mean_utilization": 0.5, "peak_to_mean": 1.4, "seed": 1}},
])
def test_inference_from_trace_or_generator(source):
    """Mean utilization is what was asked, so IT demand = idle + (TDP - idle) x 0.5 on average;
    the daily cycle peaks in the afternoon (local time)."""
    d = base_dict(hours=24 * 7, workload={"gpu": "H100", "classes": {
        "chat": {"kind": "inference", "servers": 100, **source}}})
    d["site"]["timezone"] = "America/Chicago"
    inputs = prepare(scenario_from_dict(d))
    demand = inputs.series["inference_demand_mw__chat"]
    cp = inputs.params["workload"]["classes"]["chat"]
    util = (demand - cp.idle_mw) / (cp.full_mw - cp.idle_mw)
    assert util.mean() == pytest.approx(0.5, rel=1e-6)
    assert util.max() <= 1.0 + 1e-12 and util.min() >= 0
    by_hour = util.groupby(inputs.local_index.hour).mean()
    assert 10 <= by_hour.idxmax() <= 18
