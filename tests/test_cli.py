"""The dcflex command line on real files: validate, schema, inputs, run."""

from __future__ import annotations

import json

import pandas as pd
import pytest
import yaml
from conftest import base_dict
from typer.testing import CliRunner

from dcflex.cli import app
from dcflex.results.files import MARKER, atomic_path

runner = CliRunner()


def small_scenario(tmp_path) -> str:
    d = base_dict(
        hours=48,
        workload={"gpu": "H100", "classes": {
            "chat": {"kind": "inference", "servers": 20, "utilization": {
                "generator": "diurnal", "mean": 0.5, "daily_amplitude": 0.4, "seed": 1}},
            "batch": {"kind": "batch", "servers": 20, "gpu_hours_per_day": 1500}}},
        tariff={"energy_price_usd_per_mwh": {"generator": "diurnal", "mean": 50,
                                             "daily_amplitude": 0.5, "seed": 2},
                "demand_charges": [{"rate_usd_per_mw_month": 5000}]},
        battery={"power_mw": 0.2, "energy_mwh": 0.8},
        facility={"cooling": "chiller"},
        weather={"temp_air_c": {"generator": "diurnal", "mean": 20, "daily_amplitude": 0.3}},
    )
    path = tmp_path / "small.yaml"
    path.write_text(yaml.safe_dump(d))
    return str(path)


def test_validate_ok(tmp_path):
    result = runner.invoke(app, ["validate", small_scenario(tmp_path)])
    assert result.exit_code == 0 and "ok" in result.output


def test_schema_is_json_schema_of_the_scenario():
    result = runner.invoke(app, ["schema"])
    assert result.exit_code == 0
    schema = json.loads(result.output)
    assert {"site", "period", "workload", "grid", "tariff", "carbon"} <= set(schema["properties"])
    assert "extends" in schema["properties"]
    assert "battery" in schema["properties"]


def test_inputs_prints_summary_and_writes_plot(tmp_path):
    out = tmp_path / "o"
    result = runner.invoke(app, ["inputs", small_scenario(tmp_path), "-o", str(out)])
    assert result.exit_code == 0, result.output
    for name in ("energy_price_usd_per_mwh", "pue", "inference_demand_mw__chat"):
        assert name in result.output
    # the annual PUE is an energy-weighted mean of the PUE series: within its range
    import re

    from dcflex.model.inputs import prepare
    from dcflex.scenario import load_scenario

    annual = float(re.search(r"annual PUE (\d+\.\d+)", result.output).group(1))
    pue = prepare(load_scenario(small_scenario(tmp_path))).series["pue"]
    assert pue.min() - 5e-4 <= annual <= pue.max() + 5e-4 and annual > 1.0
    png = out / "inputs_overview.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_run_writes_schedule_metrics_and_plots(tmp_path):
    out = tmp_path / "o"
    result = runner.invoke(app, ["run", small_scenario(tmp_path), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "total_cost_usd" in result.output
    schedule = pd.read_parquet(out / "schedule.parquet")
    assert len(schedule) == 48 and str(schedule.index.tz) == "UTC"
    metrics = json.loads((out / "metrics.json").read_text())
    flex = metrics["flexible"]["total_cost_usd"]["value"]
    bau = metrics["baseline"]["total_cost_usd"]["value"]
    assert flex <= bau + 1e-6
    assert metrics["flexible"]["peak_import_mw"]["unit"] == "MW"
    assert len(metrics["provenance"]["scenario_hash"]) == 16
    for png in ("dispatch_week.png", "price_carbon_load.png", "monthly_peaks.png",
                "battery_soc.png"):
        assert (out / png).stat().st_size > 1000
    # no temp files left: the only hidden file is the list of what the output set wrote
    assert [p.name for p in out.iterdir() if p.name.startswith(".")] == [MARKER]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_atomic_path_leaves_nothing_when_the_write_fails(tmp_path):
    target = tmp_path / "result.csv"
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_text("half")
        raise RuntimeError("interrupted")
    assert not target.exists()
    assert list(tmp_path.iterdir()) == []


def test_atomic_output_gets_the_mode_of_a_plain_file(tmp_path):
    """Outputs are shared with colleagues: not private 0600 temp files, but what open() makes
    under the user's umask."""
    import os

    plain = tmp_path / "plain.txt"
    plain.write_text("x")
    with atomic_path(tmp_path / "atomic.txt") as tmp:
        tmp.write_text("x")
    assert os.stat(tmp_path / "atomic.txt").st_mode == os.stat(plain).st_mode


def test_same_scenario_same_numbers(tmp_path):
    path = small_scenario(tmp_path)
    a = runner.invoke(app, ["run", path, "-o", str(tmp_path / "a")])
    b = runner.invoke(app, ["run", path, "-o", str(tmp_path / "b")])
    assert a.exit_code == b.exit_code == 0
    ma = json.loads((tmp_path / "a" / "metrics.json").read_text())["flexible"]
    mb = json.loads((tmp_path / "b" / "metrics.json").read_text())["flexible"]
    assert {k: v["value"] for k, v in ma.items()} == {k: v["value"] for k, v in mb.items()}
