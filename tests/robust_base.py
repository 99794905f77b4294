"""A small valid scenario that touches every section, and helpers to run the CLI on it.

One week of hourly steps in New York across the March 2023 switch to daylight saving time,
with every component switched on, so that a mutation of any field reaches the code that
uses it. Weather and solar come from seeded generators, not files, so a run takes a fraction
of a second; the pvlib weather path is attacked by fixed cases instead.
"""

from __future__ import annotations

import copy
import json
import math
import subprocess
import sys
from pathlib import Path

import yaml

PYTHON = sys.executable
# the console script installed next to this interpreter: the command a user types
DCFLEX = str(Path(sys.executable).with_name("dcflex"))
# A hang detector for subprocesses (a wedged solver, a blown-up expansion): a run that takes
# this long has failed, whatever it would have printed.
HANG_S = 120

BASE: dict = {
    "name": "robust-base",
    "site": {"name": "robust", "latitude_deg": 36.1, "longitude_deg": -79.94,
             "timezone": "America/New_York", "altitude_m": 270.0},
    "period": {"start": "2023-03-08", "end": "2023-03-15", "step": "1h"},
    "workload": {
        "gpu": "H100",
        "classes": {
            "chat": {"kind": "inference", "servers": 20, "degradable_share": 0.1,
                     "utilization": {"generator": "diurnal", "mean": 0.5,
                                     "daily_amplitude": 0.3, "peak_hour": 15.0,
                                     "noise_std": 0.03, "minimum": 0.05, "maximum": 1.0,
                                     "seed": 1}},
            "train": {"kind": "training", "servers": 30, "curve": "default",
                      "min_throughput": 0.8, "window_h": 24.0},
            "batch": {"kind": "batch", "servers": 20, "gpu_hours_per_day": 1500.0,
                      "deadline_h": 24.0},
        },
    },
    "facility": {"cooling": "water_economizer", "fixed_overhead_mw": 0.05},
    "weather": {
        "temp_air_c": {"generator": "diurnal", "mean": 8.0, "daily_amplitude": 0.5,
                       "peak_hour": 15.0, "seed": 4},
        "relative_humidity_pct": 60.0,
    },
    "grid": {"import_limit_mw": 2.5, "export_limit_mw": 0.5},
    "tariff": {
        "energy_price_usd_per_mwh": {"generator": "diurnal", "mean": 40.0,
                                     "daily_amplitude": 0.3, "peak_hour": 18.0,
                                     "noise_std": 8.0, "minimum": -10.0, "seed": 2},
        "adder_usd_per_mwh": 12.0,
        "demand_charges": [{"rate_usd_per_mw_month": 8000.0, "hours": [14, 20]}],
        "fixed_usd_per_month": 500.0,
    },
    "carbon": {
        "average_kg_per_mwh": {"generator": "diurnal", "mean": 320.0, "daily_amplitude": 0.1,
                               "peak_hour": 19.0, "noise_std": 20.0, "minimum": 150.0,
                               "seed": 3},
        "marginal_kg_per_mwh": 600.0,
        "grid_cfe_fraction": 0.4,
        "price_usd_per_t": 10.0,
    },
    "solar": {"capacity_mw_dc": 0.5,
              "profile_fraction": {"generator": "diurnal", "mean": 0.2, "daily_amplitude": 1.0,
                                   "peak_hour": 13.0, "minimum": 0.0, "maximum": 1.0,
                                   "seed": 5}},
    "ppa": {"kind": "physical", "profile_mw": 0.1, "price_usd_per_mwh": 45.0},
    "battery": {"power_mw": 0.3, "energy_mwh": 1.2, "cycle_cost_usd_per_mwh": 5.0},
    "events": {
        "demand_response": [{"start": "2023-03-13 15:00", "end": "2023-03-13 18:00",
                             "reduce_to_fraction": 0.7, "payment_usd_per_mwh": 200.0,
                             "shortfall_penalty_usd_per_mwh": 1000.0}],
        "import_caps": [{"start": "2023-03-14 12:00", "end": "2023-03-14 14:00",
                         "cap_mw": 2.0}],
    },
    "optimization": {"time_limit_s": 60.0},
}


def base() -> dict:
    """A fresh deep copy of :data:`BASE`."""
    return copy.deepcopy(BASE)


def write(folder: Path, data: dict | str, name: str = "s.yaml") -> Path:
    """Write a scenario (a mapping, or YAML text as is) and return its path."""
    path = folder / name
    text = data if isinstance(data, str) else yaml.safe_dump(data, sort_keys=False)
    path.write_text(text, encoding="utf-8")
    return path


def strict_json(path: Path) -> object:
    """Parse a JSON file strictly: a bare NaN or Infinity (not JSON, RFC 8259) is an error."""

    def refuse(token: str) -> float:
        raise ValueError(f"{path}: {token} is not JSON")

    return json.loads(path.read_text(encoding="utf-8"), parse_constant=refuse)


def metric_values(doc: dict) -> list[float]:
    """Every metric value of a metrics.json document (flexible and baseline)."""
    return [m["value"] for part in ("flexible", "baseline") for m in doc[part].values()]


def all_finite(values: list) -> bool:
    return all(v is None or (isinstance(v, int | float) and math.isfinite(v)) for v in values)


def dcflex(*args: str, cwd: Path | None = None, env: dict | None = None,
           timeout: float = HANG_S) -> subprocess.CompletedProcess:
    """Run the real ``dcflex`` command in a new process (hang detector: ``timeout``)."""
    return subprocess.run([DCFLEX, *args], capture_output=True, text=True, cwd=cwd, env=env,
                          timeout=timeout)
