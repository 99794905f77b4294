"""Whole output sets: a folder holds one run's files or the previous run's, never a mix.

Real processes, real signals: a second writer is refused while the first holds the lock, a
writer killed with SIGKILL in the middle of writing leaves the previous set untouched and a
temporary folder that the next run removes, and two runs started together never mix files.
"""

from __future__ import annotations

import json
import signal
import subprocess
import time

import pandas as pd
import pytest
from robust_base import DCFLEX, HANG_S, PYTHON, base, metric_values, strict_json, write
from typer.testing import CliRunner

from dcflex.cli import app
from dcflex.results.files import MARKER, output_set
from dcflex.results.files import strict_json as to_strict_json

runner = CliRunner()

RUN_FILES = {"schedule.parquet", "schedule.csv", "baseline.parquet", "baseline.csv",
             "metrics.json", "comparison.csv", "monthly_bill.csv"}
PLOTS = {"report.html"}  # the figures live in the report; --no-plots writes the data only


def scenario(tmp_path, name: str, days: int):
    d = base()
    d["name"] = name
    d["period"] = {"start": "2023-03-08", "end": f"2023-03-{8 + days:02d}", "step": "1h"}
    d["events"]["import_caps"] = []
    d["events"]["demand_response"] = []
    return write(tmp_path, d, f"{name}.yaml")


def assert_whole_set(out, name: str, steps: int, plots: bool) -> None:
    """``out`` holds exactly the files of one run of scenario ``name`` (``steps`` long)."""
    names = {p.name for p in out.iterdir()}
    assert names == RUN_FILES | (PLOTS if plots else set()) | {MARKER}
    assert strict_json(out / "metrics.json")["scenario"] == name
    assert len(pd.read_parquet(out / "schedule.parquet")) == steps
    assert len(pd.read_parquet(out / "baseline.parquet")) == steps
    assert set(json.loads((out / MARKER).read_text())["files"]) == names - {MARKER}


def run_into(out, scen, name: str, steps: int, plots: bool = False) -> None:
    """``dcflex run`` (in this process) succeeds and leaves exactly its set in ``out``."""
    result = runner.invoke(app, ["run", str(scen), "-o", str(out)]
                           + ([] if plots else ["--no-plots"]))
    assert result.exit_code == 0, result.output
    assert_whole_set(out, name, steps, plots)


def wait_for(proc: subprocess.Popen, marker: str) -> None:
    """Read the process's output until the line ``marker`` (fail if it ends first)."""
    for line in proc.stdout:
        if line.strip() == marker:
            return
    pytest.fail(f"the process ended without printing {marker}: {proc.stderr.read()}")


def leftovers(folder) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if ".tmp-" in p.name or ".old-" in p.name)


def test_a_run_replaces_the_previous_set_whole(tmp_path):
    out = tmp_path / "out"
    run_into(out, scenario(tmp_path, "a", 3), "a", 72, plots=True)
    # the next set has no plots: a's PNGs must not survive next to b's tables
    run_into(out, scenario(tmp_path, "b", 2), "b", 48)
    assert leftovers(tmp_path) == []


def test_a_folder_with_other_files_is_refused_and_kept(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    result = runner.invoke(app, ["run", str(scenario(tmp_path, "a", 1)), "-o", str(out)])
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert result.output.strip() == (
        f"error: --out: {out} holds 'notes.txt', which dcflex did not write there; dcflex "
        "replaces its output folder as a whole, so give a new or empty folder (or one dcflex "
        "wrote)")
    assert [p.name for p in out.iterdir()] == ["notes.txt"] and leftovers(tmp_path) == []


def test_a_failed_run_leaves_the_folder_as_it_was(tmp_path):
    out = tmp_path / "out"
    run_into(out, scenario(tmp_path, "a", 1), "a", 24)
    d = base()
    d["grid"]["import_limit_mw"] = 0.01  # far below the must-serve load: infeasible, exit 3
    result = runner.invoke(app, ["run", str(write(tmp_path, d)), "-o", str(out)])
    assert result.exit_code == 3, result.output
    assert_whole_set(out, "a", 24, plots=False)
    assert leftovers(tmp_path) == []


# A command whose real write_outputs announces itself, so a signal lands while it writes.
MARKED_WRITE = (
    "import sys\n"
    "import dcflex.results.report as report\n"
    "from dcflex.cli import app\n"
    "real = report.write_outputs\n"
    "def marked(*args, **kwargs):\n"
    "    print('WRITING', flush=True)\n"
    "    return real(*args, **kwargs)\n"
    "report.write_outputs = marked\n"
    "app(sys.argv[1:])\n")


def test_sigkill_while_writing_keeps_the_old_set_and_the_next_run_cleans_up(tmp_path):
    out = tmp_path / "out"
    run_into(out, scenario(tmp_path, "old", 1), "old", 24)
    new = scenario(tmp_path, "new", 3)
    proc = subprocess.Popen([PYTHON, "-c", MARKED_WRITE, "run", str(new), "-o", str(out)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    wait_for(proc, "WRITING")
    # the tables take a few ms and the four plots about a second: kill among the plots
    tmp = None
    deadline = time.monotonic() + HANG_S
    while time.monotonic() < deadline:
        tmp = next((p for p in tmp_path.iterdir() if p.name.startswith(".out.tmp-")), None)
        if tmp is not None and (tmp / "metrics.json").exists():
            break
        time.sleep(0.005)
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=HANG_S)
    assert proc.returncode == -signal.SIGKILL
    # the killed run got part of the way into its temporary folder, and no further
    assert tmp is not None and tmp.is_dir()
    assert (tmp / "metrics.json").exists() and not (tmp / MARKER).exists()
    assert_whole_set(out, "old", 24, plots=False)
    # the next writer of the same folder removes what the killed one left
    run_into(out, new, "new", 72)
    assert leftovers(tmp_path) == []


def test_a_second_writer_is_refused_while_the_first_runs(tmp_path):
    out = tmp_path / "out"
    # the first writer is held in its (real) solve by a long LP: a 15-minute quarter
    slow = write(tmp_path, {**base(), "period": {"start": "2023-03-08", "end": "2023-06-08",
                                                  "step": "15min"},
                            "events": {}}, "slow.yaml")
    code = MARKED_WRITE.replace("report.write_outputs", "solve.run_interruptible").replace(
        "import dcflex.results.report as report", "import dcflex.model.solve as solve").replace(
        "WRITING", "SOLVING")
    first = subprocess.Popen([PYTHON, "-c", code, "run", str(slow), "-o", str(out)],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        wait_for(first, "SOLVING")
        second = subprocess.run([DCFLEX, "run", str(scenario(tmp_path, "b", 1)), "-o", str(out)],
                                capture_output=True, text=True, timeout=HANG_S)
        assert second.returncode == 2
        assert second.stderr.strip() == (f"error: --out: another dcflex process (pid "
                                         f"{first.pid}) is writing {out}; wait for it to finish "
                                         "or choose another folder")
    finally:
        first.send_signal(signal.SIGINT)
        first.communicate(timeout=HANG_S)
    assert first.returncode == 130 and not out.exists()


@pytest.mark.parametrize("trial", [1, 2])
def test_two_runs_started_together_never_mix(tmp_path, trial):
    out = tmp_path / "out"
    runs = [subprocess.Popen([DCFLEX, "run", str(scenario(tmp_path, name, days)), "-o",
                              str(out), "--no-plots"], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
            for name, days in (("a", 3), ("b", 2))]
    codes = [p.wait(timeout=HANG_S) for p in runs]
    stderr = [p.stderr.read() for p in runs]
    for p in runs:
        p.stdout.close()
        p.stderr.close()
    assert sorted(codes) in ([0, 0], [0, 2]), stderr
    for code, err in zip(codes, stderr, strict=True):
        assert "Traceback" not in err
        if code == 2:
            assert "another dcflex process" in err
    name = strict_json(out / "metrics.json")["scenario"]
    assert_whole_set(out, name, {"a": 72, "b": 48}[name], plots=False)
    assert leftovers(tmp_path) == []


def test_output_set_of_a_library_caller(tmp_path):
    target = tmp_path / "res"
    with output_set(target) as folder:
        (folder / "x.txt").write_text("1")
        assert not target.exists()  # nothing is visible until the block ends
    assert sorted(p.name for p in target.iterdir()) == [MARKER, "x.txt"]
    with pytest.raises(RuntimeError), output_set(target) as folder:
        (folder / "y.txt").write_text("2")
        raise RuntimeError("the work failed")
    assert sorted(p.name for p in target.iterdir()) == [MARKER, "x.txt"]
    assert leftovers(tmp_path) == [] and not (tmp_path / ".res.lock").exists()


# ------------------------------------------------------------------ strict JSON


def test_metrics_json_is_strict_with_null_for_missing_values(tmp_path):
    d = base()
    del d["carbon"]["marginal_kg_per_mwh"]  # marginal emissions have no value: was NaN
    out = tmp_path / "out"
    result = runner.invoke(app, ["run", str(write(tmp_path, d)), "-o", str(out), "--no-plots"])
    assert result.exit_code == 0, result.output
    doc = strict_json(out / "metrics.json")
    assert doc["flexible"]["avoided_emissions_marginal_t"]["value"] is None
    assert all(v is None or isinstance(v, int | float) for v in metric_values(doc))


def test_sweep_records_are_strict_json(tmp_path):
    from dcflex.studies.sweep import consolidate, expand, load_sweep, run_variant, write_manifest

    d = base()
    del d["carbon"]["marginal_kg_per_mwh"]
    scen = write(tmp_path, d)
    spec = load_sweep(write(tmp_path, {"base": scen.name, "axes": {
        "battery.power_mw": [0.2, 0.4]}}, "sweep.yaml"))
    variants = expand(spec)
    store = tmp_path / "store"
    write_manifest(store, spec, variants)
    for v in variants:
        run_variant(v, store)
    for path in (store / "results").glob("*.json"):
        record = strict_json(path)
        assert record["metrics"]["avoided_emissions_marginal_t"] is None
    strict_json(store / "sweep.json")
    table = consolidate(store)
    assert list(table["status"]) == ["done", "done"]
    assert table["avoided_emissions_marginal_t"].isna().all()


def test_strict_json_writer():
    text = to_strict_json({"a": float("nan"), "b": [float("inf"), 1.5], "c": 2})
    assert json.loads(text, parse_constant=lambda t: pytest.fail(t)) == {
        "a": None, "b": [None, 1.5], "c": 2}


def test_output_set_through_a_symbolic_link(tmp_path):
    real = tmp_path / "real"
    link = tmp_path / "link"
    link.symlink_to(real, target_is_directory=True)
    for text in ("1", "2"):
        with output_set(link) as folder:
            (folder / "x.txt").write_text(text)
    assert link.is_symlink() and (link / "x.txt").read_text() == "2"
    assert (real / "x.txt").read_text() == "2" and leftovers(tmp_path) == []
