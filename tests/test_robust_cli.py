"""One line, always: each input that used to end in a Python traceback, through the CLI.

Every test asserts the exit code, that no traceback appears and the line that replaced it
(file, field, what was expected). Signals and logging from other processes are tested with
real processes; the rest runs the Typer app in this process.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pandas as pd
import pytest
import yaml
from robust_base import DCFLEX, HANG_S, PYTHON, base, dcflex, write
from typer.testing import CliRunner

from dcflex.cli import app
from dcflex.scenario.site import MAX_STEPS, MAX_STEPS_ENV

runner = CliRunner()
EXAMPLE = Path(__file__).resolve().parents[1] / "scenarios" / "example.yaml"


def one_line_error(result, code: int = 2) -> str:
    """The output of a failed command, checked to be one line and no traceback."""
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output
    lines = [ln for ln in result.output.splitlines() if ln.strip()]
    assert len(lines) == 1, result.output
    return lines[0]


# ------------------------------------------------------------------ symlink loops


def test_symlink_loops_as_scenario_extends_and_data_file(tmp_path):
    (tmp_path / "a.yaml").symlink_to(tmp_path / "b.yaml")
    (tmp_path / "b.yaml").symlink_to(tmp_path / "a.yaml")
    line = one_line_error(runner.invoke(app, ["run", str(tmp_path / "a.yaml"), "-o",
                                              str(tmp_path / "o")]))
    assert line == f"error: {tmp_path / 'a.yaml'}: the scenario path is a loop of symbolic links"
    d = base()
    d["extends"] = "a.yaml"
    line = one_line_error(runner.invoke(app, ["validate", str(write(tmp_path, d))]))
    assert "extended scenario path is a loop of symbolic links" in line
    d = base()
    d["tariff"]["energy_price_usd_per_mwh"] = {"file": "a.yaml", "format": "csv",
                                               "unit": "USD/MWh", "time_column": "t"}
    line = one_line_error(runner.invoke(app, ["validate", str(write(tmp_path, d))]))
    assert "tariff.energy_price_usd_per_mwh: data file is a broken or looping symbolic link" \
        in line


# ------------------------------------------------------------------ daylight saving time


def test_midnight_that_does_not_exist_starts_the_day_at_one(tmp_path):
    # Cuba moves clocks from 00:00 to 01:00 on 12 March 2023: that local day has 23 hours
    d = base()
    d["site"]["timezone"] = "America/Havana"
    d["period"] = {"start": "2023-03-12", "end": "2023-03-14", "step": "1h"}
    d["events"] = {}
    out = tmp_path / "o"
    result = runner.invoke(app, ["run", str(write(tmp_path, d)), "-o", str(out), "--no-plots"])
    assert result.exit_code == 0, result.output
    index = pd.read_parquet(out / "schedule.parquet").index.tz_convert("America/Havana")
    assert index[0] == pd.Timestamp("2023-03-12 01:00", tz="America/Havana")
    assert len(index) == 23 + 24


@pytest.mark.parametrize(("when", "expected"), [
    ("2023-03-12 02:30", "2023-03-12 02:30 does not exist in America/New_York (clocks jump "
                         "forward that night)"),
    ("2023-11-05 01:30", "2023-11-05 01:30 happens twice in America/New_York (clocks go back "
                         "that night); add the UTC offset, e.g. '2023-11-05 01:30-04:00'"),
])
def test_event_time_in_a_dst_gap_or_overlap(tmp_path, when, expected):
    d = base()
    d["period"] = {"start": "2023-03-08", "end": "2023-11-08", "step": "1h"}
    d["events"]["demand_response"][0]["start"] = when
    d["events"]["demand_response"][0]["end"] = when[:11] + "06:00"
    path = write(tmp_path, d)
    line = one_line_error(runner.invoke(app, ["run", str(path), "-o", str(tmp_path / "o")]))
    assert f"{path}:" in line and "events.demand_response[0].start: " + expected in line


def test_offset_disambiguates_a_repeated_hour(tmp_path):
    d = base()
    d["period"] = {"start": "2023-11-04", "end": "2023-11-07", "step": "1h"}
    d["events"]["demand_response"][0].update(start="2023-11-05 01:00:00-04:00",
                                             end="2023-11-05 03:00:00-05:00")
    d["events"]["import_caps"] = []
    path = write(tmp_path, yaml.safe_dump(d, sort_keys=False).replace("'2023-11-05", "2023-11-05")
                 .replace("00-04:00'", "00-04:00").replace("00-05:00'", "00-05:00"))
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 0, result.output


# ------------------------------------------------------------------ sizes and ranges


def test_seed_minus_one(tmp_path):
    d = base()
    d["seed"] = -1
    line = one_line_error(runner.invoke(app, ["validate", str(write(tmp_path, d))]))
    assert "seed: must be greater than or equal to 0, got -1" in line


def test_period_outside_pandas_range(tmp_path):
    d = base()
    d["period"]["end"] = "9999-12-31"
    line = one_line_error(runner.invoke(app, ["run", str(write(tmp_path, d)), "-o",
                                              str(tmp_path / "o")]))
    assert "period.end: outside the dates dcflex can index (1678-01-01 to 2262-04-01)" in line


def test_steps_over_the_cap_name_the_size_and_the_override(tmp_path, monkeypatch):
    monkeypatch.setenv(MAX_STEPS_ENV, str(MAX_STEPS))  # restored after the test
    d = base()
    d["period"] = {"start": "2023-01-01", "end": "2024-01-01", "step": "1s"}
    path = write(tmp_path, d)
    line = one_line_error(runner.invoke(app, ["run", str(path), "-o", str(tmp_path / "o")]))
    assert ("period: 2023-01-01 to 2024-01-01 at 1s steps is 31,536,000 steps, more than the "
            f"limit of {MAX_STEPS:,}; to run it anyway pass --max-steps 31536000") in line
    assert not (tmp_path / "o").exists()
    # the override lets the period through validation (validate only: a 31.5 M-step solve is
    # what the cap is there to prevent)
    result = runner.invoke(app, ["--max-steps", "31536000", "validate", str(path)])
    assert result.exit_code == 0, result.output
    assert os.environ[MAX_STEPS_ENV] == "31536000"


def test_sweep_above_the_variant_threshold_asks_for_yes(tmp_path):
    from dcflex.cli.sweep import MAX_VARIANTS

    scen = write(tmp_path, base())
    # 40 × 40 × 40 = 64,000 crossed variants: refused before a single one is validated
    sweep = {"base": scen.name, "axes": {
        "battery.power_mw": [0.1 + i / 100 for i in range(40)],
        "battery.energy_mwh": [1 + i / 10 for i in range(40)],
        "tariff.adder_usd_per_mwh": list(range(40))}}
    path = write(tmp_path, sweep, "sweep.yaml")
    line = one_line_error(runner.invoke(app, ["sweep", str(path), "-o", str(tmp_path / "st")]))
    assert line == (f"error: --yes: {path} makes 64,000 variants, more than {MAX_VARIANTS:,}; "
                    "pass --yes to run them all")
    assert not (tmp_path / "st").exists()


def test_nan_sweep_axis_value_is_refused_before_any_worker_starts(tmp_path):
    # one NaN axis value used to stall a sweep worker in HiGHS for ever
    scen = write(tmp_path, base())
    path = write(tmp_path, "base: s.yaml\naxes:\n  tariff.adder_usd_per_mwh: [12, .nan]\n",
                 "sweep.yaml")
    line = one_line_error(runner.invoke(app, ["sweep", str(path), "-o", str(tmp_path / "st")]))
    assert line == (f"error: {path} tariff.adder_usd_per_mwh: variant "
                    "[tariff.adder_usd_per_mwh=nan]: expected a finite number, got nan")
    assert scen.exists() and not (tmp_path / "st").exists()


@pytest.mark.parametrize("value", ["nan", "inf", "-inf"])
def test_simulate_horizon_nan(tmp_path, value):
    line = one_line_error(runner.invoke(app, ["simulate", str(write(tmp_path, base())),
                                              "--horizon-h", value, "-o", str(tmp_path / "o")]))
    assert line == f"error: --horizon-h: expected a finite number, got {float(value)}"


# ------------------------------------------------------------------ files that are not data


def test_binary_file_given_to_headroom(tmp_path):
    path = tmp_path / "PJM_binary.csv"
    path.write_bytes(bytes(range(256)) * 40)
    line = one_line_error(runner.invoke(app, ["headroom", str(path), "--ba", "PJM"]))
    assert line.startswith(f"error: {path}: cannot read as csv: ")


def test_messages_do_not_quote_a_file_that_is_not_data(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("SECRET first line: do not print\nsecond,line\n")
    d = base()
    d["tariff"]["energy_price_usd_per_mwh"] = {"file": str(secret), "format": "csv",
                                               "unit": "USD/MWh", "time_column": "time"}
    line = one_line_error(runner.invoke(app, ["run", str(write(tmp_path, d)), "-o",
                                              str(tmp_path / "o")]))
    assert "SECRET" not in line and "second" not in line
    assert "time column 'time' not found; the file's header has 1 column" in line
    line = one_line_error(runner.invoke(app, ["headroom", str(secret), "--ba", "PJM"]))
    assert "SECRET" not in line and "expected a 'date_time' column" in line


@pytest.mark.parametrize("ref", ["data:../../../../etc/passwd", "data:/etc/passwd",
                                 "pvlib:../../../../../etc/passwd", "pvlib:../__init__.py"])
def test_data_and_pvlib_paths_stay_in_their_folders(tmp_path, ref):
    d = base()
    d["weather"] = {"source": {"file": ref, "format": "tmy3"}}
    line = one_line_error(runner.invoke(app, ["validate", str(write(tmp_path, d))]))
    assert f"{ref} weather.source: expected a path inside" in line
    assert "'..', absolute paths and links out of it are not allowed" in line


# ------------------------------------------------------------------ names that look like markup


def test_markup_in_a_scenario_name_is_printed_as_text(tmp_path):
    d = base()
    d["name"] = "[/bold] site [red]"
    path = write(tmp_path, d)
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 0 and "[/bold] site [red]," in result.output
    result = runner.invoke(app, ["run", str(path), "-o", str(tmp_path / "o"), "--no-plots"])
    assert result.exit_code == 0, result.output
    assert "[/bold] site [red]: flexible vs business-as-usual" in " ".join(result.output.split())
    result = runner.invoke(app, ["compare", str(path), "--processes", "1", "--no-progress"])
    assert result.exit_code == 0, result.output
    assert "[/bold] site [red]" in result.output


# ------------------------------------------------------------------ stores and solvers


@pytest.mark.parametrize("manifest", [{}, [], {"name": "x", "axes": "a", "variants": []},
                                      {"name": "x", "axes": [], "variants": [{"id": 1}]}])
def test_sweep_report_on_a_broken_manifest(tmp_path, manifest):
    (tmp_path / "sweep.json").write_text(json.dumps(manifest))
    line = one_line_error(runner.invoke(app, ["sweep-report", str(tmp_path)]))
    assert line.startswith(f"error: {tmp_path / 'sweep.json'}: not a sweep manifest: ")


def test_unknown_pyomo_solver_is_one_line_without_pyomo_log(tmp_path):
    d = base()
    d["optimization"]["solver"] = "no_such_solver"
    proc = dcflex("run", str(write(tmp_path, d)), "-o", str(tmp_path / "o"))
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr and "WARNING" not in proc.stderr
    assert proc.stderr.strip().splitlines() == [
        f"error: {tmp_path / 's.yaml'} optimization.solver: Pyomo solver 'no_such_solver' is "
        "not available on this machine (expected 'highs' or an installed Pyomo solver such as "
        "'appsi_highs')"]


def test_compare_reports_an_unexpected_error_without_a_process_pool():
    # in a fresh interpreter concurrent.futures.process is not imported until a pool starts;
    # compare(processes=1) used to look up cf.process.BrokenProcessPool there and lose every site
    code = ("from dcflex.studies.compare.runner import _message\n"
            "print(_message(ValueError('bad value')))")
    proc = subprocess.run([PYTHON, "-c", code], capture_output=True, text=True, timeout=HANG_S)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "unexpected ValueError: bad value"


# ------------------------------------------------------------------ Ctrl-C


def test_ctrl_c_stops_a_highs_solve_with_one_line_and_exit_130(tmp_path):
    """A real SIGINT to a real process solving a 15-minute year (420,000 columns, ~20 s of
    simplex): HiGHS stops through its interrupt callback, the command prints one line."""
    scen = write(tmp_path, "extends: " + str(EXAMPLE) + "\n"
                 "period: {start: 2023-01-01, end: 2024-01-01, step: 15min}\n")
    # print markers around the real solve so the signal is sent while HiGHS is running
    code = (
        "import sys\n"
        "import dcflex.model.solve as s\n"
        "from dcflex.cli import app\n"
        "real = s.run_interruptible\n"
        "def marked(h):\n"
        "    print('SOLVING', flush=True)\n"
        "    try:\n"
        "        return real(h)\n"
        "    except KeyboardInterrupt:\n"
        "        print('STOPPED IN SOLVE', flush=True)\n"
        "        raise\n"
        "s.run_interruptible = marked\n"
        "app(sys.argv[1:])\n")
    out = tmp_path / "o"
    proc = subprocess.Popen([PYTHON, "-c", code, "run", str(scen), "-o", str(out)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "SOLVING"
    time.sleep(1.0)
    proc.send_signal(signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=HANG_S)
    assert proc.returncode == 130
    assert "STOPPED IN SOLVE" in stdout
    assert stderr.strip() == "interrupted (Ctrl-C); nothing was written"
    assert not out.exists()


def test_ctrl_c_during_a_sweep_leaves_no_worker_tracebacks(tmp_path):
    scen = write(tmp_path, base())
    sweep = write(tmp_path, {"base": scen.name, "axes": {
        "tariff.adder_usd_per_mwh": [float(i) for i in range(60)]}}, "sweep.yaml")
    store = tmp_path / "store"
    # a new session: os.killpg then signals the command and its workers at once, as Ctrl-C in
    # a terminal signals the whole foreground process group
    proc = subprocess.Popen([DCFLEX, "sweep", str(sweep), "-o", str(store), "-w", "2",
                             "--no-progress"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, start_new_session=True)
    deadline = time.monotonic() + HANG_S
    while not list((store / "results").glob("*.json")) and time.monotonic() < deadline:
        time.sleep(0.2)  # workers are running tasks once the first result is written
    os.killpg(proc.pid, signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=HANG_S)
    assert proc.returncode == 130, stderr
    assert "Traceback" not in stderr and "ERROR" not in stderr
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("interrupted: ")
    assert lines[0].endswith("of 60 variants done; run again with --resume to finish the rest")
