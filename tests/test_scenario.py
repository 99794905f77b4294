"""Scenario loading: how ``extends`` merges, and a hash that names the scenario, not the
folder it sits in."""

from __future__ import annotations

import shutil

import pandas as pd
import yaml
from conftest import base_dict

from dcflex.model.inputs import prepare
from dcflex.scenario import load_scenario

CLASSES = {"chat": {"kind": "inference", "servers": 1, "utilization": 0.5}}


def _price_csv(folder, value: float) -> None:
    idx = pd.date_range("2023-01-01", periods=24, freq="h", tz="UTC")
    pd.DataFrame({"time": idx.strftime("%Y-%m-%dT%H:%M:%SZ"), "price": value}).to_csv(
        folder / "price.csv", index=False)


def test_a_variant_can_turn_a_generated_series_into_a_file_series(tmp_path):
    base = base_dict(workload={"gpu": base_dict()["workload"]["gpu"], "classes": CLASSES},
                     tariff={"energy_price_usd_per_mwh": {"generator": "diurnal", "mean": 50,
                                                          "daily_amplitude": 0.3}})
    (tmp_path / "base.yaml").write_text(yaml.safe_dump(base))
    _price_csv(tmp_path, 42.0)
    (tmp_path / "child.yaml").write_text(
        "extends: base.yaml\ntariff:\n  energy_price_usd_per_mwh: {file: price.csv, "
        "column: price, time_column: time, unit: USD/MWh, tz: UTC}\n")
    inputs = prepare(load_scenario(tmp_path / "child.yaml"))
    assert (inputs.series["energy_price_usd_per_mwh"] == 42.0).all()
    # and a partial override of the same form still merges into the base's fields
    (tmp_path / "child2.yaml").write_text(
        "extends: base.yaml\ntariff:\n  energy_price_usd_per_mwh: {mean: 60}\n")
    spec = load_scenario(tmp_path / "child2.yaml").tariff.energy_price_usd_per_mwh
    assert spec.mean == 60 and spec.daily_amplitude == 0.3


def test_scenario_hash_is_the_same_in_another_folder_and_changes_with_the_scenario(tmp_path):
    a, b = tmp_path / "checkout_a", tmp_path / "elsewhere" / "checkout_b"
    a.mkdir()
    d = base_dict(workload={"gpu": base_dict()["workload"]["gpu"], "classes": CLASSES},
                  tariff={"energy_price_usd_per_mwh": {
        "file": "price.csv", "column": "price", "time_column": "time", "unit": "USD/MWh",
        "tz": "UTC"}})
    (a / "s.yaml").write_text(yaml.safe_dump(d))
    _price_csv(a, 42.0)
    shutil.copytree(a, b)
    ha, hb = (load_scenario(p / "s.yaml").scenario_hash() for p in (a, b))
    assert ha == hb
    d["grid"]["import_limit_mw"] = 99.0
    (b / "s.yaml").write_text(yaml.safe_dump(d))
    assert load_scenario(b / "s.yaml").scenario_hash() != ha
