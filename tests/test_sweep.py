"""Scenario sweeps: expansion, ids, the Dask run against serial runs, lost workers, resume,
failures, and the two CLI commands.

The sweeps run small three-day hourly scenarios on one shared local cluster of two
single-threaded worker processes (started once per module through ``dask_client``).
"""

from __future__ import annotations

import json
import os
import signal

import numpy as np
import pandas as pd
import pytest
import typer
import yaml
from conftest import base_dict
from reports import parse_report
from typer.testing import CliRunner

from dcflex.cli.sweep import sweep_command, sweep_report_command
from dcflex.errors import DcflexError, ScenarioError
from dcflex.scenario import load_scenario
from dcflex.studies.run import run
from dcflex.studies.sweep import (
    combinations,
    consolidate,
    dask_client,
    done_ids,
    expand,
    run_sweep,
    sweep_from_dict,
)

# Three days, 1 MW unit GPUs: 2 on must-serve inference at half load, 4 on batch work.
# Batch capacity is 4 GPU × 24 h = 96 GPU-h a day, so 10,000 GPU-h a day cannot be done.
BATTERY_MWH = [0.5, 1.0, 2.0, 4.0]
BATCH_GPU_H = [12.0, 24.0, 36.0]
DEMAND_RATE = [0.0, 5000.0]


def scenario_dict(name: str = "sweep-test", price_seed: int = 2) -> dict:
    gpu = base_dict()["workload"]["gpu"]
    return base_dict(
        hours=72,
        name=name,
        workload={"gpu": gpu, "classes": {
            "chat": {"kind": "inference", "servers": 2, "utilization": 0.5},
            "batch": {"kind": "batch", "servers": 4, "gpu_hours_per_day": 24.0,
                      "deadline_h": 24}}},
        tariff={"energy_price_usd_per_mwh": {
            "generator": "diurnal", "mean": 40.0, "daily_amplitude": 0.4, "peak_hour": 18,
            "noise_std": 5.0, "autocorrelation": 0.8, "seed": price_seed},
            "demand_charges": [{"rate_usd_per_mw_month": 5000.0}]},
        carbon={"average_kg_per_mwh": {
            "generator": "diurnal", "mean": 350.0, "daily_amplitude": 0.1, "peak_hour": 19,
            "seed": 3}},
        battery={"power_mw": 1.0, "energy_mwh": 2.0},
    )


def write_yaml(path, data: dict):
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def sweep_24(tmp_path) -> dict:
    """4 battery sizes × 3 batch loads × 2 demand rates = 24 variants."""
    write_yaml(tmp_path / "base.yaml", scenario_dict())
    return {"name": "s24", "base": "base.yaml", "axes": {
        "battery.energy_mwh": BATTERY_MWH,
        "workload.classes.batch.gpu_hours_per_day": BATCH_GPU_H,
        "tariff.demand_charges": [[{"rate_usd_per_mw_month": r}] for r in DEMAND_RATE]}}


@pytest.fixture(scope="module")
def client():
    with dask_client(workers=2) as c:
        yield c


@pytest.fixture
def cluster(client):
    """The shared client, with both workers up (a previous test may have killed one)."""
    client.wait_for_workers(2, timeout=60)
    return client


def serial_metrics(variants) -> dict[str, dict[str, float]]:
    """Each variant run alone in this process, from its own scenario file and overrides: its
    metrics and the value split of its counterfactual ladder."""
    out = {}
    for v in variants:
        r = run(load_scenario(v.scenario_file, v.overrides))
        out[v.id] = {**r.metrics.as_dict(), **r.values.as_dict()}
    assert all("battery_value_usd" in m for m in out.values())
    return out


def assert_metrics_equal(table: pd.DataFrame, expected: dict[str, dict[str, float]]) -> None:
    rows = table.set_index("variant_id")
    assert sorted(rows.index) == sorted(expected)
    for vid, metrics in expected.items():
        got = rows.loc[vid, list(metrics)].to_numpy(dtype=float)
        np.testing.assert_allclose(got, list(metrics.values()), rtol=1e-12, atol=1e-9,
                                   err_msg=vid)


# --------------------------------------------------------------------------- expansion


def test_crossed_and_zipped_axes_expand_in_order(tmp_path):
    write_yaml(tmp_path / "base.yaml", scenario_dict())
    spec = sweep_from_dict({"base": "base.yaml", "axes": {
        "battery.power_mw": [1, 2, 4], "site.name": ["a", "b"], "battery.energy_mwh": [4, 8, 16]},
        "zip": [["battery.power_mw", "battery.energy_mwh"]]}, tmp_path / "s.yaml")
    combos = combinations(spec)
    # The zipped pair is one dimension of 3, crossed with 2 names: 6, first axis slowest.
    assert combos == [
        {"battery.power_mw": p, "site.name": n, "battery.energy_mwh": e}
        for p, e in ((1, 4), (2, 8), (4, 16)) for n in ("a", "b")]
    all_zip = sweep_from_dict({"base": "base.yaml", "mode": "zip", "axes": {
        "battery.power_mw": [1, 2], "battery.energy_mwh": [4, 8]}}, tmp_path / "s.yaml")
    assert combinations(all_zip) == [{"battery.power_mw": 1, "battery.energy_mwh": 4},
                                     {"battery.power_mw": 2, "battery.energy_mwh": 8}]
    crossed = sweep_from_dict({"base": "base.yaml", "axes": {
        "battery.power_mw": [1, 2], "battery.energy_mwh": [4, 8]}}, tmp_path / "s.yaml")
    assert len(combinations(crossed)) == 4


def test_variants_carry_the_overrides_and_ids_are_scenario_hashes(tmp_path):
    write_yaml(tmp_path / "base.yaml", scenario_dict())
    spec = sweep_from_dict({
        "base": "base.yaml",
        "overrides": {"period.end": "2023-01-03", "battery": {"power_mw": 0.5}},
        "axes": {"workload.classes.batch.gpu_hours_per_day": [12, 36], "battery": [
            None, {"power_mw": 2.0, "energy_mwh": 8.0}]}}, tmp_path / "s.yaml")
    variants = expand(spec)
    assert len(variants) == 4 and len({v.id for v in variants}) == 4
    for v in variants:
        scen = load_scenario(tmp_path / "base.yaml", v.overrides)
        assert v.id == scen.scenario_hash()
        assert scen.period.end.isoformat() == "2023-01-03"
        assert scen.workload.classes["batch"].gpu_hours_per_day == \
            v.params["workload.classes.batch.gpu_hours_per_day"]
        if v.params["battery"] is None:
            assert scen.battery is None
        else:  # the axis mapping replaces the battery of the base and of the overrides
            assert (scen.battery.power_mw, scen.battery.energy_mwh) == (2.0, 8.0)
    assert variants[0].label == "workload.classes.batch.gpu_hours_per_day=12, battery=None"


def test_ids_are_stable_across_sweeps_and_axis_order(tmp_path):
    write_yaml(tmp_path / "base.yaml", scenario_dict())
    a = expand(sweep_from_dict({"base": "base.yaml", "axes": {
        "battery.energy_mwh": [1.0, 2.0], "workload.classes.batch.gpu_hours_per_day": [12, 24]}},
        tmp_path / "a.yaml"))
    b = expand(sweep_from_dict({"base": "base.yaml", "axes": {
        "workload.classes.batch.gpu_hours_per_day": [24, 12], "battery.energy_mwh": [2.0, 1.0]}},
        tmp_path / "b.yaml"))
    assert {v.id for v in a} == {v.id for v in b}
    assert [v.id for v in a] == [v.id for v in expand(sweep_from_dict(
        {"base": "base.yaml", "axes": {"battery.energy_mwh": [1.0, 2.0],
                                       "workload.classes.batch.gpu_hours_per_day": [12, 24]}},
        tmp_path / "a.yaml"))]
    # A variant shared with a different sweep keeps its id; a changed value changes it.
    c = expand(sweep_from_dict({"base": "base.yaml", "axes": {"battery.energy_mwh": [2.0, 3.0]},
                                "overrides": {"workload.classes.batch.gpu_hours_per_day": 24}},
                               tmp_path / "c.yaml"))
    shared = next(v.id for v in a if v.params == {
        "battery.energy_mwh": 2.0, "workload.classes.batch.gpu_hours_per_day": 24})
    assert c[0].id == shared and c[1].id not in {v.id for v in a}


def test_site_axis_extends_each_scenario_file(tmp_path):
    (tmp_path / "sites").mkdir()
    write_yaml(tmp_path / "sites" / "north.yaml", scenario_dict("north", price_seed=5))
    write_yaml(tmp_path / "sites" / "south.yaml", scenario_dict("south", price_seed=6))
    variants = expand(sweep_from_dict({"axes": {
        "site": ["sites/north.yaml", "sites/south.yaml"], "battery.energy_mwh": [1.0, 3.0]}},
        tmp_path / "s.yaml"))
    assert [load_scenario(v.scenario_file, v.overrides).name for v in variants] == \
        ["north", "north", "south", "south"]
    assert variants[2].label == "site=south, battery.energy_mwh=1.0"
    assert variants[3].scenario["battery"]["energy_mwh"] == 3.0


@pytest.mark.parametrize("data, field, text", [
    ({"base": "base.yaml", "axes": {"battery.energy_mwh": [2.0, -1.0]}},
     "battery.energy_mwh", "variant [battery.energy_mwh=-1.0]"),
    ({"base": "base.yaml", "axes": {"battery.energy_mwh": [2.0, 2.0]}},
     "axes", "resolve to the same scenario"),
    ({"base": "base.yaml", "axes": {"battery.power_mw": [1], "battery.energy_mwh": [1, 2]},
      "zip": [["battery.power_mw", "battery.energy_mwh"]]}, "zip", "equal numbers"),
    ({"base": "base.yaml", "axes": {"battery": [None], "battery.energy_mwh": [1]}},
     "axes", "overlap"),
    ({"base": "base.yaml", "axes": {"battery.energy_mwh": 2.0}},
     "axes.battery.energy_mwh", "non-empty list"),
    ({"base": "missing.yaml", "axes": {"battery.energy_mwh": [2.0]}}, "base", "not found"),
    ({"axes": {"battery.energy_mwh": [2.0]}}, "base", "give the base scenario"),
    ({"base": "base.yaml", "axis": {"battery.energy_mwh": [2.0]}}, "axis", "unknown key"),
    ({"base": "base.yaml", "axes": {"batery.energy_mwh": [2.0]}}, "axes.batery.energy_mwh",
     "the scenario has no field 'batery'"),
    ({"base": "base.yaml", "axes": {"workload.classes.nope.servers": [2]}},
     "axes.workload.classes.nope.servers", "workload.classes has no field 'nope'"),
])
def test_bad_sweeps_fail_before_anything_runs(tmp_path, data, field, text):
    write_yaml(tmp_path / "base.yaml", scenario_dict())
    with pytest.raises(ScenarioError) as info:
        expand(sweep_from_dict(data, tmp_path / "s.yaml"))
    assert info.value.field == field
    assert text in info.value.message
    assert info.value.file == str(tmp_path / "s.yaml")


# --------------------------------------------------------------------------- running on Dask


def test_sweep_on_two_workers_matches_each_variant_run_alone(tmp_path, cluster):
    spec = sweep_from_dict(sweep_24(tmp_path), tmp_path / "s.yaml")
    variants = expand(spec)
    assert len(variants) == 24
    out = run_sweep(spec, tmp_path / "store", variants=variants, client=cluster)
    assert out.n_done == 24 and not out.failed and out.skipped == []
    # Both worker processes took part.
    assert len({r["pid"] for r in out.records}) == 2
    assert_metrics_equal(out.table, serial_metrics(variants))
    # Parameters are columns; the business-as-usual twin is there too.
    first = out.table.iloc[0]
    assert first["battery.energy_mwh"] == 0.5
    assert first["workload.classes.batch.gpu_hours_per_day"] == 12.0
    assert first["bau__shifted_energy_mwh"] == 0.0
    assert pd.read_parquet(tmp_path / "store" / "metrics.parquet").equals(out.table)
    # The stored schedule is the schedule of the run.
    v = variants[5]
    stored = pd.read_parquet(tmp_path / "store" / "schedules" / f"{v.id}.parquet")
    alone = run(load_scenario(v.scenario_file, v.overrides)).schedule
    assert (stored.index == alone.index).all() and stored.index.name == "time_utc"
    pd.testing.assert_frame_equal(stored.reset_index(drop=True), alone.reset_index(drop=True))
    assert str(stored.index.tz) == "UTC" and len(stored) == 72


def test_killed_worker_still_ends_with_every_variant_done_exactly_once(tmp_path, cluster):
    spec = sweep_from_dict(sweep_24(tmp_path), tmp_path / "s.yaml")
    variants = expand(spec)
    pids_before = set(cluster.run(os.getpid).values())
    killed: list[int] = []

    def kill_a_busy_worker(record: dict) -> None:
        if killed:
            return
        processing = cluster.processing()
        busy = [w for w, keys in processing.items() if keys] or list(processing)
        pid = cluster.run(os.getpid, workers=busy[:1])[busy[0]]
        os.kill(pid, signal.SIGKILL)
        killed.append(pid)

    out = run_sweep(spec, tmp_path / "store", variants=variants, client=cluster,
                    on_result=kill_a_busy_worker)
    assert len(killed) == 1 and killed[0] in pids_before
    ids = [r["id"] for r in out.records]
    assert sorted(ids) == sorted(v.id for v in variants)  # each reported once
    assert out.n_done == 24 and not out.failed
    # One file per variant, and no half-written file of the killed worker left behind.
    for sub in ("results", "schedules"):
        assert sorted(p.name.split(".")[0] for p in (tmp_path / "store" / sub).iterdir()) == \
            sorted(v.id for v in variants)
    assert_metrics_equal(out.table, serial_metrics(variants))
    # The nanny replaced the killed process.
    cluster.wait_for_workers(2, timeout=60)
    assert killed[0] not in set(cluster.run(os.getpid).values())


class InterruptError(Exception):
    pass


def test_resume_after_interrupt_runs_only_the_missing_variants(tmp_path, cluster):
    spec = sweep_from_dict(sweep_24(tmp_path), tmp_path / "s.yaml")
    variants = expand(spec)
    store = tmp_path / "store"
    seen: list[str] = []

    def stop_after_five(record: dict) -> None:
        seen.append(record["id"])
        if len(seen) == 5:
            raise InterruptError

    with pytest.raises(InterruptError):
        run_sweep(spec, store, variants=variants, client=cluster, on_result=stop_after_five)
    first = {vid: (store / "results" / f"{vid}.json").read_bytes() for vid in done_ids(store)}
    assert set(seen) <= set(first) and len(first) < 24
    table = consolidate(store, write=False)
    assert (table["status"] == "done").sum() >= 5 and (table["status"] == "missing").any()

    # Without --resume the store refuses a second sweep.
    with pytest.raises(DcflexError, match="--resume"):
        run_sweep(spec, store, variants=variants, client=cluster)
    out = run_sweep(spec, store, variants=variants, client=cluster, resume=True)
    assert set(out.skipped) >= set(first)
    assert set(out.ran).isdisjoint(out.skipped)
    assert len(out.ran) + len(out.skipped) == 24 and len(out.ran) >= 1
    assert sorted(r["id"] for r in out.records) == sorted(out.ran)
    assert out.n_done == 24
    for vid, text in first.items():  # finished variants were not run again
        assert (store / "results" / f"{vid}.json").read_bytes() == text
    assert_metrics_equal(out.table, serial_metrics(variants))
    # A second resume has nothing left to do, and clears what a killed writer left behind.
    partial = store / "schedules" / f".{variants[0].id}.parquet.x1y2z3.parquet"
    partial.write_bytes(b"half")
    again = run_sweep(spec, store, variants=variants, client=cluster, resume=True)
    assert again.ran == [] and len(again.skipped) == 24
    assert not partial.exists() and len(list((store / "schedules").iterdir())) == 24


def test_a_broken_variant_is_reported_and_the_others_complete(tmp_path, cluster):
    write_yaml(tmp_path / "base.yaml", scenario_dict())
    spec = sweep_from_dict({"base": "base.yaml", "axes": {
        "workload.classes.batch.gpu_hours_per_day": [12.0, 24.0, 10000.0, 36.0]}},
        tmp_path / "s.yaml")
    variants = expand(spec)
    broken = variants[2].id
    out = run_sweep(spec, tmp_path / "store", variants=variants, client=cluster)
    assert list(out.failed) == [broken]
    assert "InfeasibleError" in out.failed[broken] and "cannot finish" in out.failed[broken]
    status = out.table.set_index("variant_id")["status"]
    assert status[broken] == "failed" and (status.drop(broken) == "done").all()
    assert out.table.set_index("variant_id").loc[broken, "error"] == out.failed[broken]
    doc = json.loads((tmp_path / "store" / "failures" / f"{broken}.json").read_text())
    assert doc["params"] == {"workload.classes.batch.gpu_hours_per_day": 10000.0}
    assert not (tmp_path / "store" / "results" / f"{broken}.json").exists()
    assert_metrics_equal(out.table[out.table["status"] == "done"],
                         serial_metrics([v for v in variants if v.id != broken]))
    # --resume retries the failed variant only.
    again = run_sweep(spec, tmp_path / "store", variants=variants, client=cluster, resume=True)
    assert again.ran == [broken] and list(again.failed) == [broken]


# --------------------------------------------------------------------------- CLI


def test_cli_sweep_on_an_existing_scheduler_resume_and_report(tmp_path, cluster):
    app = typer.Typer()
    app.command("sweep")(sweep_command)
    app.command("sweep-report")(sweep_report_command)
    runner = CliRunner()
    write_yaml(tmp_path / "base.yaml", scenario_dict())
    write_yaml(tmp_path / "s.yaml", {"name": "cli", "base": "base.yaml", "axes": {
        "battery.energy_mwh": [1.0, 2.0], "workload.classes.batch.gpu_hours_per_day": [12, 24]}})
    store = tmp_path / "store"
    args = ["sweep", str(tmp_path / "s.yaml"), "-o", str(store), "--no-progress",
            "--scheduler", cluster.scheduler_info()["address"]]
    res = runner.invoke(app, args)
    assert res.exit_code == 0, res.output
    assert "4 of 4 variants done" in res.output
    assert len(done_ids(store)) == 4

    res = runner.invoke(app, args)
    assert res.exit_code == 2 and "--resume" in res.output
    res = runner.invoke(app, [*args, "--resume"])
    assert res.exit_code == 0 and "ran 0 (reused 4)" in res.output

    res = runner.invoke(app, [*args[:-2], "--workers", "2", "--scheduler", "tcp://x:8786"])
    assert res.exit_code == 2

    res = runner.invoke(app, ["sweep-report", str(store), "--color-by",
                              "workload.classes.batch.gpu_hours_per_day", "--png"])
    assert res.exit_code == 0, res.output
    for name in ("metrics_vs_battery.energy_mwh.png",
                 "metrics_vs_workload.classes.batch.gpu_hours_per_day.png",
                 "cost_vs_emissions.png"):
        assert (store / "report" / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    figures = parse_report(store / "report" / "report.html").figures
    assert len(figures) == 3  # two axes, cost vs emissions
    # the colour axis has two values: one legend entry (trace) each, no colour bar
    traces = figures[-1]["data"]
    assert [t["name"] for t in traces] == ["12", "24"]
    assert not any("colorbar" in t.get("marker", {}) for t in traces)
    csv = pd.read_csv(store / "report" / "metrics.csv")
    assert len(csv) == 4 and (csv["status"] == "done").all()
    res = runner.invoke(app, ["sweep-report", str(store), "-m", "no_such_metric"])
    assert res.exit_code == 2 and "no_such_metric" in res.output


def test_cli_lists_failed_variants_and_exits_1(tmp_path, cluster):
    app = typer.Typer()
    app.command("sweep")(sweep_command)
    app.command("sweep-report")(sweep_report_command)
    write_yaml(tmp_path / "base.yaml", scenario_dict())
    write_yaml(tmp_path / "s.yaml", {"base": "base.yaml", "axes": {
        "workload.classes.batch.gpu_hours_per_day": [24, 10000]}})
    res = CliRunner().invoke(app, ["sweep", str(tmp_path / "s.yaml"), "-o",
                                   str(tmp_path / "store"), "--no-progress", "--scheduler",
                                   cluster.scheduler_info()["address"]])
    assert res.exit_code == 1
    assert "1 of 2 variants done" in res.output and "failed" in res.output
    assert "gpu_hours_per_day=10000" in res.output


def test_cli_bad_variant_and_bad_scheduler_are_one_line_each(tmp_path):
    """The variant label in brackets survives the terminal's markup; a malformed scheduler
    address is an error naming the option, not a traceback."""
    app = typer.Typer()
    app.command("sweep")(sweep_command)
    app.command("sweep-report")(sweep_report_command)
    write_yaml(tmp_path / "base.yaml", scenario_dict())
    write_yaml(tmp_path / "s.yaml", {"base": "base.yaml", "axes": {
        "battery.energy_mwh": [2.0, -1.0]}})
    res = CliRunner().invoke(app, ["sweep", str(tmp_path / "s.yaml"), "-o",
                                   str(tmp_path / "store"), "--no-progress"])
    assert res.exit_code == 2 and "Traceback" not in res.output
    assert "variant [battery.energy_mwh=-1.0]" in " ".join(res.output.split())
    write_yaml(tmp_path / "s.yaml", {"base": "base.yaml", "axes": {
        "battery.energy_mwh": [2.0, 3.0]}})
    res = CliRunner().invoke(app, ["sweep", str(tmp_path / "s.yaml"), "-o",
                                   str(tmp_path / "store"), "--no-progress", "--scheduler",
                                   "foo"])
    assert res.exit_code == 2 and "Traceback" not in res.output
    assert "--scheduler: expected an address such as tcp://host:8786" in res.output
    assert not (tmp_path / "store").exists()
