"""GPU catalog values (NVIDIA data sheets) and fleet power arithmetic checked by hand."""

from __future__ import annotations

import numpy as np
import pytest

from dcflex.errors import ScenarioError
from dcflex.workloads.gpus import GPU_CATALOG, GpuType, fleet_power_mw, gpu_type


@pytest.mark.parametrize(
    ("name", "tdp_w", "dgx_max_w"),
    [("A100", 400, 6_500), ("H100", 700, 10_200), ("H200", 700, 10_200), ("B200", 1_000, 14_300)],
)
def test_catalog_matches_dgx_data_sheets(name, tdp_w, dgx_max_w):
    g = GPU_CATALOG[name]
    assert g.tdp_w == tdp_w
    assert g.gpus_per_server == 8
    # overhead is defined as DGX system max minus 8 x TDP, so a full server is the DGX max
    assert g.server_overhead_w == dgx_max_w - 8 * tdp_w
    assert g.server_max_w == dgx_max_w
    assert 0 < g.idle_w < 0.2 * g.tdp_w


def test_overheads_by_hand():
    assert GPU_CATALOG["A100"].server_overhead_w == 3_300
    assert GPU_CATALOG["H100"].server_overhead_w == 4_600
    assert GPU_CATALOG["B200"].server_overhead_w == 6_300


def test_fleet_power_full_load_is_dgx_max():
    # 1,000 DGX H100 at full power: 1,000 x 10.2 kW = 10.2 MW
    assert fleet_power_mw(GPU_CATALOG["H100"], 1_000) == pytest.approx(10.2)


def test_fleet_power_partial_by_hand():
    g = GPU_CATALOG["A100"]  # 400 W TDP, 60 W idle, 3,300 W overhead
    # 500 servers, active GPUs at 75 % of TDP (300 W), 60 % of GPUs active:
    # per GPU 0.6 * 300 + 0.4 * 60 = 204 W; server 3,300 + 8 * 204 = 4,932 W; x 500 = 2.466 MW
    assert fleet_power_mw(g, 500, gpu_power_fraction=0.75, utilization=0.6) == pytest.approx(2.466)


def test_fleet_power_idle_counts_overhead():
    g = GPU_CATALOG["B200"]
    # all idle: 6,300 + 8 * 140 = 7,420 W per server
    assert fleet_power_mw(g, 100, utilization=0.0) == pytest.approx(0.742)
    assert fleet_power_mw(g, 0) == 0.0


def test_fleet_power_vectorized_and_monotone():
    g = GPU_CATALOG["H200"]
    u = np.linspace(0, 1, 11)
    p = fleet_power_mw(g, 10, utilization=u)
    assert p.shape == (11,)
    assert np.all(np.diff(p) > 0)
    assert p[-1] == pytest.approx(10 * 10_200 / 1e6)


def test_gpu_type_lookup_and_user_spec():
    assert gpu_type("h100") is GPU_CATALOG["H100"]
    spec = {"name": "MI300X", "tdp_w": 750, "idle_w": 90, "server_overhead_w": 4_000}
    g = gpu_type(spec)
    assert isinstance(g, GpuType)
    assert g.gpus_per_server == 8
    assert fleet_power_mw(g, 1) == pytest.approx((4_000 + 8 * 750) / 1e6)
    assert gpu_type(g) is g


@pytest.mark.parametrize(
    ("spec", "field"),
    [
        ({"name": "x", "tdp_w": -1, "idle_w": 0, "server_overhead_w": 0}, "gpu.tdp_w"),
        ({"name": "x", "tdp_w": 100, "idle_w": 100, "server_overhead_w": 0}, "gpu.idle_w"),
        (
            {"name": "x", "tdp_w": 100, "idle_w": 10, "server_overhead_w": -5},
            "gpu.server_overhead_w",
        ),
        (
            {"name": "x", "tdp_w": 100, "idle_w": 10, "server_overhead_w": 0, "gpus_per_server": 0},
            "gpu.gpus_per_server",
        ),
        ({"name": "x", "tdp_w": 100, "idle_w": 10}, "gpu.server_overhead_w"),
        ({"name": "x", "tdp_w": 100, "idle_w": 10, "server_overhead_w": 0, "hbm": 1}, "gpu.hbm"),
    ],
)
def test_bad_spec_names_field(spec, field):
    with pytest.raises(ScenarioError) as err:
        gpu_type(spec)
    assert err.value.field == field


def test_unknown_name_lists_catalog():
    with pytest.raises(ScenarioError, match="H100"):
        gpu_type("Z9000")


def test_fleet_power_rejects_out_of_range():
    g = GPU_CATALOG["A100"]
    with pytest.raises(ScenarioError) as err:
        fleet_power_mw(g, 1, gpu_power_fraction=0.1)  # below idle 60/400 = 0.15
    assert err.value.field == "gpu_power_fraction"
    with pytest.raises(ScenarioError) as err:
        fleet_power_mw(g, 1, utilization=1.2)
    assert err.value.field == "utilization"
    with pytest.raises(ScenarioError):
        fleet_power_mw(g, -1)
