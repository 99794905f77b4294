"""Property: for any valid scenario, prepare() returns a gap-free regular index of the
expected length and every series within its declared unit range."""

from __future__ import annotations

import numpy as np
import pandas as pd
from conftest import base_dict
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dcflex.inputs import prepare
from dcflex.scenario import scenario_from_dict

RANGES = {  # declared unit range per column prefix
    "energy_price_usd_per_mwh": (-5000, 20000),
    "export_price_usd_per_mwh": (-5000, 20000),
    "carbon_avg_kg_per_mwh": (0, 2000),
    "grid_cfe_fraction": (0, 1),
    "pue": (1, 3),
    "import_limit_mw": (0, np.inf),
    "inference_demand_mw__": (0, np.inf),
    "temp_air_c": (-60, 60),
    "relative_humidity_pct": (0, 100),
    "pv_available_mw": (0, np.inf),
}

zones = st.sampled_from(["UTC", "America/New_York", "Europe/Berlin", "Asia/Kolkata",
                         "America/Los_Angeles", "Australia/Sydney"])
steps = st.sampled_from(["1h", "30min", "15min"])


def generated(mean, lo, hi, seed):
    return {"generator": "diurnal", "mean": mean, "daily_amplitude": 0.3,
            "noise_std": abs(mean) / 5,
            "minimum": lo, "maximum": hi, "seed": seed}


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    tz=zones,
    step=steps,
    start=st.dates(min_value=pd.Timestamp("2021-01-01").date(),
                   max_value=pd.Timestamp("2024-12-01").date()),
    days=st.integers(1, 20),
    price=st.floats(-50, 500),
    seed=st.integers(0, 10_000),
    util=st.floats(0.05, 0.95),
    temp=st.floats(-20, 40),
    with_pv=st.booleans(),
    cooling=st.sampled_from(["air_economizer", "water_economizer", "chiller"]),
)
def test_prepare_is_gap_free_and_in_range(tz, step, start, days, price, seed, util, temp,
                                          with_pv, cooling):
    end = start + pd.Timedelta(days=days)
    d = base_dict(
        workload={"gpu": "H100", "classes": {
            "chat": {"kind": "inference", "servers": 10,
                     "utilization": generated(util, 0.0, 1.0, seed)}}},
        tariff={"energy_price_usd_per_mwh": generated(price, -5000, 20000, seed + 1)},
        carbon={"average_kg_per_mwh": generated(300, 0, 2000, seed + 2),
                "grid_cfe_fraction": generated(0.4, 0, 1, seed + 3)},
        facility={"cooling": cooling},
        weather={"temp_air_c": generated(temp, -60, 60, seed + 4),
                 "relative_humidity_pct": generated(60, 0, 100, seed + 5)},
    )
    d["site"]["timezone"] = tz
    d["period"] = {"start": str(start), "end": str(end.date() if hasattr(end, "date") else end),
                   "step": step}
    if with_pv:
        d["solar"] = {"capacity_mw_dc": 2.0, "profile_fraction": generated(0.2, 0, 1, seed + 6)}
    inputs = prepare(scenario_from_dict(d))
    idx = inputs.index
    expected = (pd.Timestamp(end).tz_localize(tz) - pd.Timestamp(start).tz_localize(tz)
                ) / pd.Timedelta(step)
    assert len(idx) == int(expected)
    assert str(idx.tz) == "UTC"
    assert idx.is_monotonic_increasing and idx.is_unique
    assert (np.diff(idx) == pd.Timedelta(step)).all()
    assert not inputs.series.isna().any().any()
    for col in inputs.series:
        lo, hi = next(r for p, r in RANGES.items() if col.startswith(p))
        values = inputs.series[col].to_numpy()
        assert values.min() >= lo - 1e-9 and values.max() <= hi + 1e-9, col
        assert col in inputs.units
