"""The dcflex command line on real files: validate, schema, inputs, run."""

from __future__ import annotations

import json
from pathlib import Path

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
    # the annual PUE is an energy-weighted mean of the per-step PUE, which is the
    # IT-proportional series plus the fixed overhead per MW of IT: within that range
    import re

    from dcflex.model.components.facility import fixed_overhead_mw
    from dcflex.model.inputs import prepare
    from dcflex.model.twin import baseline_schedule
    from dcflex.scenario import load_scenario

    annual = float(re.search(r"annual PUE (\d+\.\d+)", result.output).group(1))
    inputs = prepare(load_scenario(small_scenario(tmp_path)))
    fixed = fixed_overhead_mw(inputs)
    assert fixed > 0  # the chiller design's 2 % of design IT
    step_pue = inputs.series["pue"] + fixed / baseline_schedule(inputs)["it_power_mw"].to_numpy()
    assert step_pue.min() - 5e-4 <= annual <= step_pue.max() + 5e-4
    assert annual > inputs.series["pue"].min()
    png = out / "inputs_overview.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_run_writes_schedule_metrics_and_plots(tmp_path):
    out = tmp_path / "o"
    result = runner.invoke(app, ["run", small_scenario(tmp_path), "-o", str(out), "--png"])
    assert result.exit_code == 0, result.output
    assert "total_cost_usd" in result.output
    # how long batch work waited, next to what it saved, with units in metrics.json
    for name in ("work_moved_share__batch", "work_delay_mean_h__batch",
                 "work_delay_max_h__batch"):
        assert name in result.output
    schedule = pd.read_parquet(out / "schedule.parquet")
    assert len(schedule) == 48 and str(schedule.index.tz) == "UTC"
    metrics = json.loads((out / "metrics.json").read_text())
    flex = metrics["flexible"]["total_cost_usd"]["value"]
    bau = metrics["baseline"]["total_cost_usd"]["value"]
    assert flex <= bau + 1e-6
    assert metrics["flexible"]["peak_import_mw"]["unit"] == "MW"
    # the air-cooled chiller evaporates no water: site water is modeled and zero
    assert "site_water_m3" in result.output and "wue_site_l_per_kwh" in result.output
    assert metrics["flexible"]["site_water_m3"]["value"] == 0.0
    assert metrics["flexible"]["wue_site_l_per_kwh"]["unit"] == "L/kWh"
    assert metrics["flexible"]["battery_usable_mwh"]["value"] == pytest.approx(0.8 * 0.8)
    assert metrics["flexible"]["work_delay_mean_h__batch"]["unit"] == "h"
    assert metrics["baseline"]["work_moved_share__batch"]["unit"] == "fraction"
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


def test_classes_sized_in_it_mw_and_the_conversion_is_shown(tmp_path):
    """50 MW of H100 servers: each draws 8 x 700 W + 2,800 W of the rest = 8.4 kW at full load
    (the measured 8xH100 node peak, dcflex.workloads.gpus) plus 5 % of that for its share of
    network and storage, 8.82 kW; so 50e6 / 8,820 = 5,668.9 -> 5,668 whole servers (49.99 MW,
    never more than the stated IT power); 45,344 GPUs."""
    d = yaml.safe_load(Path(small_scenario(tmp_path)).read_text())
    d["workload"]["classes"]["chat"] = {"kind": "inference", "it_mw": 50, "utilization": 0.5}
    d["grid"] = {"import_limit_mw": 200}
    path = tmp_path / "mw.yaml"
    path.write_text(yaml.safe_dump(d))
    from dcflex.model.inputs import prepare
    from dcflex.scenario import load_scenario

    p = prepare(load_scenario(path)).params["workload"]["classes"]["chat"]
    assert p.n_servers == 5668 and p.n_gpus == 45344
    assert p.full_mw == pytest.approx(5668 * 8_820 / 1e6)
    result = runner.invoke(app, ["inputs", str(path), "-o", str(tmp_path / "o")],
                           terminal_width=120)
    assert result.exit_code == 0, result.output
    row = next(line for line in result.output.splitlines() if line.startswith("chat"))
    assert "it_mw: 50" in row and "5,668" in row and "45,344" in row and "49.99" in row
    d["workload"]["classes"]["chat"]["servers"] = 10
    path.write_text(yaml.safe_dump(d))
    result = runner.invoke(app, ["run", str(path), "-o", str(tmp_path / "x")])
    assert result.exit_code == 2
    assert "give exactly one of servers or it_mw" in " ".join(result.output.split())
    del d["workload"]["classes"]["chat"]["servers"]
    d["workload"]["classes"]["chat"]["it_mw"] = 0.005
    path.write_text(yaml.safe_dump(d))
    result = runner.invoke(app, ["run", str(path), "-o", str(tmp_path / "x")])
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "workload.classes.chat.it_mw: 0.005 MW holds no whole H100 server (8.82 kW" in \
        " ".join(result.output.split())


def test_default_output_folders_differ_per_command(tmp_path, monkeypatch):
    path = small_scenario(tmp_path)
    monkeypatch.chdir(tmp_path)
    assert runner.invoke(app, ["run", path]).exit_code == 0
    assert runner.invoke(app, ["simulate", path, "--no-voi"]).exit_code == 0
    assert runner.invoke(app, ["inputs", path]).exit_code == 0
    assert (tmp_path / "out/run/hand/report.html").exists()
    assert (tmp_path / "out/simulate/hand/simulation.json").exists()
    assert (tmp_path / "out/inputs/hand/inputs_overview.png").exists()
    # the run's metrics are still the run's: simulate wrote elsewhere
    run_doc = json.loads((tmp_path / "out/run/hand/metrics.json").read_text())
    assert "timings_s" in run_doc and "highs_solve" in run_doc["timings_s"]
    assert not (tmp_path / "out/run/hand/simulation.json").exists()


def test_validate_recognises_scenario_sites_sweep_and_fleet_files(tmp_path):
    path = small_scenario(tmp_path)
    (tmp_path / "sites.yaml").write_text(yaml.safe_dump(
        {"rank_by": "total_cost_usd", "sites": ["small.yaml", {"scenario": "small.yaml",
                                                               "label": "twice"}]}))
    (tmp_path / "sweep.yaml").write_text(yaml.safe_dump(
        {"name": "sw", "base": "small.yaml", "axes": {"battery.energy_mwh": [0.4, 0.8]}}))
    (tmp_path / "fleet.yaml").write_text(yaml.safe_dump(
        {"sites": [{"scenario": "small.yaml", "label": "a"}, {"scenario": "small.yaml",
                                                              "label": "b"}],
         "links": [{"from": "a", "to": "b", "latency_ms": 12}]}))
    result = runner.invoke(app, ["validate", path, str(tmp_path / "sites.yaml"),
                                 str(tmp_path / "sweep.yaml"), str(tmp_path / "fleet.yaml")],
                           terminal_width=200)
    assert result.exit_code == 0, result.output
    out = " ".join(result.output.split())
    assert "scenario hand" in out and "48 steps, data files found" in out
    assert "sites file, 2 sites checked: hand, twice" in out
    assert "sweep file sw, 2 variants checked" in out
    assert "fleet file" in out
    deep = runner.invoke(app, ["validate", "--data", path], terminal_width=200)
    assert deep.exit_code == 0 and "48 steps prepared" in " ".join(deep.output.split())


def test_validate_checks_tou_gaps_and_with_data_coverage_as_run_does(tmp_path):
    """A rate table is checked by the light validate; a data file that stops short only with
    --data (which reads every file as run does)."""
    d = yaml.safe_load(Path(small_scenario(tmp_path)).read_text())
    d["tariff"] = {"tou": [{"price_usd_per_mwh": 80, "hours": [16, 21]}]}
    (tmp_path / "tou.yaml").write_text(yaml.safe_dump(d))
    prices = pd.DataFrame({"time": pd.date_range("2023-01-01", periods=30, freq="h",
                                                 tz="UTC").strftime("%Y-%m-%dT%H:%MZ"),
                           "price": 50.0})
    prices.to_csv(tmp_path / "short.csv", index=False)
    d["tariff"] = {"energy_price_usd_per_mwh": {"file": "short.csv", "format": "csv",
                                                "column": "price", "time_column": "time",
                                                "unit": "USD/MWh"}}
    (tmp_path / "short.yaml").write_text(yaml.safe_dump(d))
    light = runner.invoke(app, ["validate", str(tmp_path / "tou.yaml"),
                                str(tmp_path / "short.yaml")], terminal_width=250)
    assert light.exit_code == 2
    lines = [" ".join(x.split()) for x in light.output.split("error:")[1:]]
    assert len(lines) == 1 and "tariff.tou: time-of-use periods leave" in lines[0]
    assert "ok " in light.output and "short.yaml" in light.output
    result = runner.invoke(app, ["validate", "--data", str(tmp_path / "tou.yaml"),
                                 str(tmp_path / "short.yaml")], terminal_width=250)
    assert result.exit_code == 2
    lines = [" ".join(x.split()) for x in result.output.split("error:")[1:]]
    assert "tariff.tou: time-of-use periods leave" in lines[0]
    assert "short.csv" in lines[1] and "tariff.energy_price_usd_per_mwh" in lines[1]
