"""Bad input gets one clear message naming the file, the field and what was expected.

Each case writes a real scenario (and, where needed, a real data file) to a temporary folder
and checks the message and, through the CLI, the non-zero exit without a traceback.
"""

from __future__ import annotations

import pandas as pd
import pytest
import yaml
from conftest import base_dict
from typer.testing import CliRunner

from dcflex.cli import app
from dcflex.errors import DataError, ScenarioError
from dcflex.model.inputs import prepare
from dcflex.scenario import load_scenario

GPU = base_dict()["workload"]["gpu"]
CLASSES = {"chat": {"kind": "inference", "servers": 1, "utilization": 0.5}}


def write_scenario(tmp_path, d: dict, name: str = "s.yaml"):
    path = tmp_path / name
    path.write_text(yaml.safe_dump(d, sort_keys=False))
    return path


def scenario(**sections) -> dict:
    d = base_dict(workload={"gpu": GPU, "classes": CLASSES})
    d.update(sections)
    return d


def price_csv(tmp_path, values, start="2023-01-01", tz_label="Z", name="p.csv", times=None):
    idx = pd.date_range(start, periods=len(values), freq="h") if times is None else times
    stamps = [t.strftime("%Y-%m-%dT%H:%M:%S") + tz_label for t in idx]
    path = tmp_path / name
    pd.DataFrame({"time": stamps, "price": values}).to_csv(path, index=False)
    return path


def file_spec(path, **kw):
    spec = {"file": str(path), "format": "csv", "time_column": "time", "column": "price",
            "unit": "USD/MWh", "tz": "UTC"}
    spec.update(kw)
    return spec


def load_error(path) -> ScenarioError:
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    return info.value


def prepare_error(path) -> DataError | ScenarioError:
    with pytest.raises((DataError, ScenarioError)) as info:
        prepare(load_scenario(path))
    return info.value


# ------------------------------------------------------------------ scenario file defects


def test_malformed_yaml_names_file_and_line(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("name: x\nsite: {name: a, latitude_deg: 1\ngrid: 3\n")
    err = load_error(path)
    assert err.file == str(path) and err.line is not None
    assert "malformed YAML" in str(err)


def test_negative_capacity_message_has_file_line_field(tmp_path):
    d = scenario(battery={"power_mw": 1.0, "energy_mwh": -5})
    path = write_scenario(tmp_path, d)
    err = load_error(path)
    line = next(i for i, t in enumerate(path.read_text().splitlines(), 1) if "energy_mwh" in t)
    assert str(err) == f"{path}:{line} battery.energy_mwh: must be greater than 0, got -5"


def test_wrong_type(tmp_path):
    err = load_error(write_scenario(tmp_path, scenario(grid={"import_limit_mw": "lots"})))
    assert err.field == "grid.import_limit_mw"
    assert "valid number" in err.message and "'lots'" in err.message


def test_unknown_key_is_an_error(tmp_path):
    d = scenario(battery={"power_mw": 1.0, "energy_mwh": 4, "efficency": 0.9})
    err = load_error(write_scenario(tmp_path, d))
    assert err.field == "battery.efficency"
    assert "unknown field" in err.message


def test_missing_required_section(tmp_path):
    d = scenario()
    del d["grid"]
    err = load_error(write_scenario(tmp_path, d))
    assert err.field == "grid" and "required" in err.message


def test_end_before_start(tmp_path):
    d = scenario(period={"start": "2023-02-01", "end": "2023-01-01", "step": "1h"})
    err = load_error(write_scenario(tmp_path, d))
    assert err.field == "period" and "must be after start" in err.message


def test_step_that_does_not_divide_the_period(tmp_path):
    d = scenario(period={"start": "2023-01-01", "end": "2023-01-02", "step": "7min"})
    err = load_error(write_scenario(tmp_path, d))
    assert err.field == "period.step" and "does not divide a day" in err.message


def test_unknown_time_zone(tmp_path):
    d = scenario()
    d["site"]["timezone"] = "Mars/Olympus"
    err = load_error(write_scenario(tmp_path, d))
    assert err.field == "site.timezone" and "unknown time zone" in err.message


def test_unknown_workload_kind(tmp_path):
    d = scenario()
    d["workload"]["classes"] = {"x": {"kind": "mining", "servers": 1}}
    err = load_error(write_scenario(tmp_path, d))
    assert "workload.classes.x" in err.field
    assert "inference" in err.message


def test_extends_missing_file(tmp_path):
    path = tmp_path / "child.yaml"
    path.write_text("extends: nowhere.yaml\nname: c\n")
    err = load_error(path)
    assert err.field == "extends" and "nowhere.yaml" in err.message


def test_circular_extends(tmp_path):
    (tmp_path / "a.yaml").write_text("extends: b.yaml\n")
    (tmp_path / "b.yaml").write_text("extends: a.yaml\n")
    err = load_error(tmp_path / "a.yaml")
    assert "circular" in err.message


def test_extends_override_error_points_at_child_line(tmp_path):
    write_scenario(tmp_path, scenario(), "base.yaml")
    child = tmp_path / "child.yaml"
    child.write_text("extends: base.yaml\nname: child\ngrid:\n  import_limit_mw: -1\n")
    err = load_error(child)
    assert err.file == str(child) and err.line == 4 and err.field == "grid.import_limit_mw"


# ------------------------------------------------------------------ data defects


def test_missing_data_file(tmp_path):
    d = scenario(tariff={"energy_price_usd_per_mwh": file_spec(tmp_path / "none.csv")})
    err = prepare_error(write_scenario(tmp_path, d))
    assert "none.csv" in str(err) and "not found" in str(err)


def test_wrong_column(tmp_path):
    p = price_csv(tmp_path, [50.0] * 24)
    d = scenario(tariff={"energy_price_usd_per_mwh": file_spec(p, column="cost")})
    err = prepare_error(write_scenario(tmp_path, d))
    assert "cost" in str(err) and "price" in str(err) and str(p) in str(err)


def test_nan_run_is_an_error_by_default_and_filled_on_request(tmp_path):
    values = [50.0] * 24
    values[5:8] = [float("nan")] * 3
    p = price_csv(tmp_path, values)
    d = scenario(tariff={"energy_price_usd_per_mwh": file_spec(p)})
    err = prepare_error(write_scenario(tmp_path, d))
    assert str(p) in str(err) and "2023-01-01 05:00" in str(err)
    d = scenario(tariff={"energy_price_usd_per_mwh": file_spec(p, gap_policy="interpolate")})
    inputs = prepare(load_scenario(write_scenario(tmp_path, d, "ok.yaml")))
    assert inputs.filled_steps["tariff.energy_price_usd_per_mwh"] == 3
    assert inputs.series["energy_price_usd_per_mwh"].isna().sum() == 0


def test_duplicated_timestamp(tmp_path):
    times = pd.DatetimeIndex(list(pd.date_range("2023-01-01", periods=24, freq="h"))
                             + [pd.Timestamp("2023-01-01 03:00")])
    p = price_csv(tmp_path, [50.0] * 25, times=times)
    d = scenario(tariff={"energy_price_usd_per_mwh": file_spec(p)})
    err = prepare_error(write_scenario(tmp_path, d))
    assert "duplicate" in str(err).lower() and "03:00" in str(err)


def test_dst_gap_in_local_time_data(tmp_path):
    """Local wall-clock data stamped at 02:00 on the spring-forward day names that hour."""
    times = pd.date_range("2023-03-12", periods=24, freq="h")  # includes 02:00, which is absent
    p = price_csv(tmp_path, [50.0] * 24, tz_label="", times=times)
    d = scenario(
        period={"start": "2023-03-12", "end": "2023-03-13", "step": "1h"},
        tariff={"energy_price_usd_per_mwh": file_spec(p, tz="America/New_York")},
    )
    d["site"]["timezone"] = "America/New_York"
    err = prepare_error(write_scenario(tmp_path, d))
    assert "2023-03-12 02:00" in str(err)


def test_unit_mismatch(tmp_path):
    p = price_csv(tmp_path, [50.0] * 24)
    d = scenario(tariff={"energy_price_usd_per_mwh": file_spec(p, unit="MW")})
    err = prepare_error(write_scenario(tmp_path, d))
    assert "MW" in str(err) and "USD/MWh" in str(err)


def test_values_out_of_range_suggest_wrong_unit(tmp_path):
    """A price column in USD/kWh declared as USD/MWh is caught by the plausibility range."""
    p = price_csv(tmp_path, [50_000.0] * 24)
    d = scenario(tariff={"energy_price_usd_per_mwh": file_spec(p)})
    err = prepare_error(write_scenario(tmp_path, d))
    assert "tariff.energy_price_usd_per_mwh" in str(err) and "wrong unit" in str(err)


def test_series_that_does_not_cover_the_period(tmp_path):
    p = price_csv(tmp_path, [50.0] * 24, start="2022-01-01")
    d = scenario(tariff={"energy_price_usd_per_mwh": file_spec(p)})
    err = prepare_error(write_scenario(tmp_path, d))
    assert str(p) in str(err) and "data cover 2022-01-01" in str(err)


def test_utilization_above_one(tmp_path):
    d = scenario()
    d["workload"]["classes"]["chat"]["utilization"] = 1.5
    err = prepare_error(write_scenario(tmp_path, d))
    assert "workload.classes.chat.utilization" in str(err) and "<= 1.0" in str(err)


def test_time_of_use_periods_with_a_hole(tmp_path):
    d = scenario(tariff={"tou": [{"price_usd_per_mwh": 40.0, "hours": [0, 16]}]})
    err = prepare_error(write_scenario(tmp_path, d))
    assert "tariff.tou" in str(err) and "16:00" in str(err)


# ------------------------------------------------------------------ CLI behaviour


@pytest.mark.parametrize("command", ["validate", "inputs", "run"])
def test_cli_exits_non_zero_with_one_line_and_no_traceback(tmp_path, command):
    path = write_scenario(tmp_path, scenario(battery={"power_mw": 1.0, "energy_mwh": -5}))
    args = [command, str(path)] + ([] if command == "validate" else ["-o", str(tmp_path / "o")])
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert "battery.energy_mwh" in result.output
    assert not (tmp_path / "o").exists() or not any((tmp_path / "o").iterdir())


def test_cli_infeasible_has_its_own_exit_code(tmp_path):
    d = scenario(events={"demand_response": [
        {"start": "2023-01-01 17:00", "end": "2023-01-01 19:00", "cap_mw": 0.1}]})
    result = CliRunner().invoke(app, ["run", str(write_scenario(tmp_path, d)),
                                      "-o", str(tmp_path / "o")])
    assert result.exit_code == 3
    assert "DR event" in result.output and "Traceback" not in result.output


def test_errors_keep_their_fields_across_processes():
    """compare and sweep run sites in worker processes; their errors come back pickled."""
    import pickle

    from dcflex.errors import DataError, InfeasibleError, OptionError, ScenarioError

    for exc in (ScenarioError("must be > 0, got -5", file="x.yaml", field="battery.energy_mwh",
                              line=14),
                DataError("NaN run", file="p.csv", field="price"),
                InfeasibleError(["cap of 40 MW is below 52 MW", "battery too small"]),
                OptionError("--week", "expected a date")):
        back = pickle.loads(pickle.dumps(exc))
        assert type(back) is type(exc) and str(back) == str(exc)
        assert vars(back) == vars(exc)


# ------------------------------------------------------------------ found in review


def test_validate_checks_that_data_files_exist(tmp_path):
    d = scenario(tariff={"energy_price_usd_per_mwh": file_spec(tmp_path / "none.csv")})
    result = CliRunner().invoke(app, ["validate", str(write_scenario(tmp_path, d))])
    assert result.exit_code == 2 and "Traceback" not in result.output
    text = " ".join(result.output.split())
    assert "none.csv tariff.energy_price_usd_per_mwh: data file not found" in text


def test_a_folder_or_a_non_utf8_file_is_not_a_scenario(tmp_path):
    bad = tmp_path / "latin1.yaml"
    bad.write_bytes("name: caf\xe9\n".encode("latin-1"))
    result = CliRunner().invoke(app, ["validate", str(tmp_path), str(bad)])
    assert result.exit_code == 2 and "Traceback" not in result.output
    text = " ".join(result.output.split())
    assert "found a folder" in text and "expected UTF-8 text, found byte 0xe9" in text


def test_the_scenario_field_is_named_with_the_data_file_column(tmp_path):
    p = price_csv(tmp_path, [50.0] * 24)
    d = scenario(tariff={"energy_price_usd_per_mwh": file_spec(p, column="cost")})
    err = prepare_error(write_scenario(tmp_path, d))
    assert err.field == "tariff.energy_price_usd_per_mwh (column cost)"


def test_events_must_start_and_end_on_step_boundaries(tmp_path):
    event = {"start": "2023-01-01 15:00", "end": "2023-01-01 15:30", "cap_mw": 1.0}
    for kind in ("demand_response", "import_caps"):
        d = scenario(events={kind: [event]})
        err = prepare_error(write_scenario(tmp_path, d))
        assert err.field == f"events.{kind}[0].end" and "falls inside a 1h step" in err.message


def test_an_event_outside_the_period_is_named_in_a_note(tmp_path):
    """A variant that shortens a base scenario's period keeps the base's events: not an
    error, but never silent."""
    from dcflex.errors import DcflexWarning

    event = {"start": "2032-01-01 10:00", "end": "2032-01-01 12:00", "cap_mw": 0.0}
    path = write_scenario(tmp_path, scenario(events={"import_caps": [event]}))
    with pytest.warns(DcflexWarning, match=r"events.import_caps\[0\]: event 2032-01-01"):
        prepare(load_scenario(path))
    result = CliRunner().invoke(app, ["run", str(path), "-o", str(tmp_path / "o")])
    assert result.exit_code == 0, result.output
    assert "note: " in result.output and "has no effect" in result.output


def test_import_cap_end_before_start(tmp_path):
    d = scenario(events={"import_caps": [
        {"start": "2023-01-01 12:00", "end": "2023-01-01 10:00", "cap_mw": 1.0}]})
    err = load_error(write_scenario(tmp_path, d))
    assert err.field == "events.import_caps[0]" and "end must be after start" in err.message


@pytest.mark.parametrize("tou, field", [
    ({"price_usd_per_mwh": 50, "hours": [9, 99]}, "tariff.tou[0].hours[1]"),
    ({"price_usd_per_mwh": 50, "hours": [0, 24], "months": [13]}, "tariff.tou[0].months[0]"),
])
def test_time_of_use_hours_and_months_in_range(tmp_path, tou, field):
    d = scenario(tariff={"tou": [tou]})
    err = load_error(write_scenario(tmp_path, d))
    assert err.field == field


def test_weather_file_options_that_would_be_ignored(tmp_path):
    d = scenario(weather={"source": {"file": "pvlib:723170TYA.CSV", "format": "tmy3",
                                     "column": "temp_air"}})
    err = load_error(write_scenario(tmp_path, d))
    assert err.field == "weather" and "column not used for a weather file" in err.message


def test_forecast_group_the_scenario_does_not_have(tmp_path):
    from dcflex.studies.operate.forecast import resolve_forecasts

    inputs = prepare(load_scenario(write_scenario(tmp_path, scenario())))
    with pytest.raises(ScenarioError, match="forecast group 'wind' names no series"):
        resolve_forecasts({"wind": "persistence"}, inputs)


@pytest.mark.parametrize("args, expected", [
    (["--week", "garbage"], "--week: expected an ISO date YYYY-MM-DD"),
    # 9 January or 1 September? Never guessed.
    (["--week", "09/01/2023"], "--week: expected an ISO date YYYY-MM-DD such as 2023-07-10, "
                               "got '09/01/2023'"),
    (["--week", "2023-02-30"], "--week: expected an ISO date"),
    (["--week", "2031-01-05"], "--week: 2031-01-05 is outside the period"),
    (["-o", "FILE"], "expected a folder, but"),
])
def test_run_options_are_checked_before_solving_and_nothing_is_written(tmp_path, args,
                                                                       expected):
    path = write_scenario(tmp_path, scenario())
    blocker = tmp_path / "not_a_folder"
    blocker.write_text("x")
    args = [str(blocker) if a == "FILE" else a for a in args]
    out = ["-o", str(tmp_path / "o")] if "-o" not in args else []
    result = CliRunner().invoke(app, ["run", str(path), *args, *out])
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert expected in " ".join(result.output.split())
    assert "solving" not in result.output and not (tmp_path / "o").exists()
    assert blocker.read_text() == "x"


def test_local_times_with_changing_utc_offsets_are_read_as_utc(tmp_path):
    """A local-time export across the spring change: -05:00 then -04:00 (no 02:00 local)."""
    from dcflex.data.readers.generic import read_generic

    path = tmp_path / "local.csv"
    path.write_text("time,price\n2023-03-12T00:00:00-05:00,10\n2023-03-12T01:00:00-05:00,11\n"
                    "2023-03-12T03:00:00-04:00,12\n2023-03-12T04:00:00-04:00,13\n")
    frame = read_generic(path)
    assert list(frame.index.strftime("%H")) == ["05", "06", "07", "08"]
    assert str(frame.index.tz) == "UTC" and list(frame["price"]) == [10, 11, 12, 13]


def test_slo_window_must_be_whole_steps(tmp_path):
    train = {"kind": "training", "servers": 1, "min_throughput": 0.5, "window_h": 2.5}
    d = scenario(workload={"gpu": GPU, "classes": {"train": train}})
    err = prepare_error(write_scenario(tmp_path, d))
    assert err.field == "workload.classes.train.window_h" and "whole number of 1h" in str(err)
