"""Shared builders for small scenarios whose answers can be worked out by hand."""

from __future__ import annotations

import copy
import json
from functools import cache

import pandas as pd
import pytest

from dcflex.data.datasets import shared_data

# A "GPU" of exactly 1 MW with no idle power and no server overhead: one GPU-hour = 1 MWh,
# so hand-solved cases read directly in MW and USD.
UNIT_GPU = {"name": "unit", "tdp_w": 1e6, "idle_w": 0.0, "gpus_per_server": 1,
            "server_overhead_w": 0.0}


def base_dict(hours: int = 24, **sections) -> dict:
    """A one-day UTC scenario with a flat 50 USD/MWh price, PUE 1 and no classes set."""
    assert hours % 24 == 0
    d = {
        "name": "hand",
        "site": {"name": "hand", "latitude_deg": 0.0, "longitude_deg": 0.0, "timezone": "UTC"},
        "period": {"start": "2023-01-01", "end": f"2023-01-{1 + hours // 24:02d}", "step": "1h"},
        "workload": {"gpu": dict(UNIT_GPU), "classes": {}},
        "facility": {"pue": 1.0},
        "grid": {"import_limit_mw": 100.0},
        "tariff": {"energy_price_usd_per_mwh": 50.0},
        "carbon": {"average_kg_per_mwh": 400.0},
    }
    for key, value in sections.items():
        d[key] = copy.deepcopy(value)
    return d


@pytest.fixture
def make_dict():
    return base_dict


@cache
def open_meteo(zone: str) -> pd.DataFrame:
    """Open-Meteo 2023 hours of a green-dcc zone on a UTC index (a minimal reader: the
    file's 'hourly.time' is local wall-clock time of its 'timezone')."""
    path = shared_data("green-dcc", "weather", f"{zone}_2023.json")
    with open(path) as f:
        doc = json.load(f)
    hourly = pd.DataFrame(doc["hourly"])
    local = pd.DatetimeIndex(pd.to_datetime(hourly.pop("time")))
    # The DST-start hour does not exist locally and the DST-end hour is ambiguous: drop both.
    hourly.index = local.tz_localize(doc["timezone"], ambiguous="NaT", nonexistent="NaT")
    hourly = hourly[hourly.index.notna()]
    hourly.index = hourly.index.tz_convert("UTC").rename("time_utc")
    return hourly


def three_day_scenario(name: str, price_seed: int) -> dict:
    """Three days of inference, batch work and a battery under a demand charge."""
    gpu = base_dict()["workload"]["gpu"]
    d = base_dict(
        hours=72, workload={"gpu": gpu, "classes": {
            "chat": {"kind": "inference", "servers": 2,
                     "utilization": {"generator": "diurnal", "mean": 0.5,
                                     "daily_amplitude": 0.4, "seed": 1}},
            "batch": {"kind": "batch", "servers": 4, "gpu_hours_per_day": 30.0}}},
        tariff={"energy_price_usd_per_mwh": {"generator": "diurnal", "mean": 45.0,
                                             "daily_amplitude": 0.5, "noise_std": 4.0,
                                             "seed": price_seed},
                "demand_charges": [{"rate_usd_per_mw_month": 6000.0}]},
        carbon={"average_kg_per_mwh": {"generator": "diurnal", "mean": 350.0,
                                       "daily_amplitude": 0.2, "seed": 3}},
        battery={"power_mw": 1.0, "energy_mwh": 3.0})
    d["name"] = name
    d["site"]["name"] = name
    return d
