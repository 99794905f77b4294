"""Silent traps closed: overlapping time-of-use periods, infeasibility diagnoses that count the
battery by its energy and always check training floors, and filled steps that show."""

from __future__ import annotations

import pandas as pd
import pytest
import yaml
from conftest import base_dict
from typer.testing import CliRunner

from dcflex.cli import app
from dcflex.errors import InfeasibleError, ScenarioError
from dcflex.model.inputs import prepare
from dcflex.scenario import load_scenario, scenario_from_dict
from dcflex.studies.run import run

GPU = base_dict()["workload"]["gpu"]


def test_overlapping_time_of_use_periods_are_an_error_naming_both(tmp_path):
    """A 16-21 h peak at 150 listed before an all-day 60: the later one used to win silently,
    so the peak was never applied. Now both periods are named, and the CLI exits with 2."""
    d = base_dict(
        workload={"gpu": GPU, "classes": {
            "chat": {"kind": "inference", "servers": 1, "utilization": 1.0}}},
        tariff={"tou": [{"price_usd_per_mwh": 150.0, "hours": [16, 21]},
                        {"price_usd_per_mwh": 60.0, "hours": [0, 24]}]})
    path = tmp_path / "tou.yaml"
    path.write_text(yaml.safe_dump(d))
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    text = str(info.value)
    assert str(path) in text and "tariff.tou" in text
    assert "tou[0] (16-21 h" in text and "tou[1] (00-24 h" in text and "overlap" in text
    assert "default: true" in text
    result = CliRunner().invoke(app, ["run", str(path), "-o", str(tmp_path / "o")])
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert not (tmp_path / "o" / "metrics.json").exists()


def test_a_default_period_fills_the_other_hours():
    """The same rates with the all-day one marked default: 5 peak hours at 150 and 19 at 60,
    1 MW all day → 750 + 1140 = 1890 USD."""
    d = base_dict(
        workload={"gpu": GPU, "classes": {
            "chat": {"kind": "inference", "servers": 1, "utilization": 1.0}}},
        tariff={"tou": [{"price_usd_per_mwh": 150.0, "hours": [16, 21]},
                        {"price_usd_per_mwh": 60.0, "default": True}]})
    r = run(scenario_from_dict(d))
    assert r.metrics["energy_cost_usd"] == pytest.approx(1890.0, abs=1e-6)


@pytest.mark.parametrize("tou, expected", [
    ([{"price_usd_per_mwh": 1.0, "hours": [22, 6]},
      {"price_usd_per_mwh": 2.0, "hours": [5, 8], "months": [1]}], "month 1 at 05:00"),
    ([{"price_usd_per_mwh": 1.0, "default": True}, {"price_usd_per_mwh": 2.0, "default": True}],
     "only one period may be the default"),
])
def test_other_overlaps(tou, expected):
    d = base_dict(workload={"gpu": GPU, "classes": {
        "chat": {"kind": "inference", "servers": 1, "utilization": 1.0}}}, tariff={"tou": tou})
    with pytest.raises(ScenarioError, match=expected):
        scenario_from_dict(d)


def test_weekday_and_weekend_periods_may_share_hours():
    d = base_dict(workload={"gpu": GPU, "classes": {
        "chat": {"kind": "inference", "servers": 1, "utilization": 1.0}}}, tariff={"tou": [
            {"price_usd_per_mwh": 90.0, "hours": [8, 20], "weekdays_only": True},
            {"price_usd_per_mwh": 40.0, "default": True}]})
    assert scenario_from_dict(d).tariff.tou[0].weekdays_only


def test_import_limit_against_must_serve_names_the_battery_energy(tmp_path):
    """Must-serve inference of 10 MW, 22 MW from 17:00 to 21:00; a 20 MW import limit; a 5 MW /
    8 MWh battery kept between 10 % and 90 % (6.4 MWh usable). Its power covers the 2 MW gap
    every hour — the old check counted it as sustained supply and found nothing — but not its
    energy: 4 h × 2 MW = 8 MWh short, more than 6.4 MWh can give even recharged to the top."""
    util = [10 / 22] * 17 + [1.0] * 4 + [10 / 22] * 3
    idx = pd.date_range("2023-01-01", periods=24, freq="h", tz="UTC")
    path = tmp_path / "util.csv"
    pd.DataFrame({"time": idx.strftime("%Y-%m-%dT%H:%MZ"), "u": util}).to_csv(path, index=False)
    d = base_dict(
        workload={"gpu": GPU, "classes": {"chat": {
            "kind": "inference", "servers": 22, "utilization": {
                "file": str(path), "format": "csv", "time_column": "time", "column": "u",
                "unit": "fraction", "tz": "UTC"}}}},
        grid={"import_limit_mw": 20.0},
        battery={"power_mw": 5.0, "energy_mwh": 8.0},
    )
    with pytest.raises(InfeasibleError) as info:
        run(scenario_from_dict(d))
    text = "; ".join(info.value.diagnosis)
    assert "interconnection limit by 8 MWh" in text
    assert "6.4 MWh usable" in text and "5 MW" in text
    assert "2023-01-01 17:00 to 2023-01-01 20:00" in text


def test_training_floor_is_checked_without_events():
    """10 MW of training with a 90 % daily floor on a linear curve needs at least 9 MW × 24 h
    = 216 MWh a day; 5 MW of must-serve inference under a 12 MW limit leaves 7 MW × 24 h =
    168 MWh. There is no event: the old diagnosis looked at floors only under event caps."""
    d = base_dict(
        workload={"gpu": GPU, "classes": {
            "chat": {"kind": "inference", "servers": 5, "utilization": 1.0},
            "train": {"kind": "training", "servers": 10, "curve": [[0.5, 0.5], [1.0, 1.0]],
                      "min_throughput": 0.9, "window_h": 24}}},
        grid={"import_limit_mw": 12.0},
    )
    with pytest.raises(InfeasibleError) as info:
        run(scenario_from_dict(d))
    text = "; ".join(info.value.diagnosis)
    assert "training class 'train' needs 90% average throughput per 24 h window" in text
    assert "168 MWh" in text and "216 MWh" in text
    assert "no single requirement" not in text


def test_filled_steps_show_in_the_inputs_summary(tmp_path):
    """Three missing prices interpolated: the summary counts them on the price columns."""
    idx = pd.date_range("2023-01-01", periods=24, freq="h", tz="UTC")
    prices = [50.0] * 24
    prices[5:8] = [float("nan")] * 3
    path = tmp_path / "p.csv"
    pd.DataFrame({"time": idx.strftime("%Y-%m-%dT%H:%MZ"), "price": prices}).to_csv(
        path, index=False)
    d = base_dict(
        workload={"gpu": GPU, "classes": {
            "chat": {"kind": "inference", "servers": 1, "utilization": 1.0}}},
        tariff={"energy_price_usd_per_mwh": {
            "file": str(path), "format": "csv", "time_column": "time", "column": "price",
            "unit": "USD/MWh", "tz": "UTC", "gap_policy": "interpolate"}})
    summary = prepare(scenario_from_dict(d)).summary()
    for column in ("energy_price_usd_per_mwh", "wholesale_price_usd_per_mwh",
                   "export_price_usd_per_mwh"):
        assert summary.loc[column, "filled_steps"] == 3
    assert summary.loc["carbon_avg_kg_per_mwh", "filled_steps"] == 0
