"""Property: for any valid scenario, prepare() returns a gap-free regular index of the
expected length and every series within its declared unit range; a price read from an hourly
file keeps its hourly values at any step; batch work arrives at every step, each local day of
24 hours receiving its daily total, and is due inside the period in every time zone
(daylight-saving days included)."""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
from conftest import base_dict
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dcflex.model.inputs import prepare
from dcflex.scenario import scenario_from_dict

RANGES = {  # declared unit range per column prefix
    "energy_price_usd_per_mwh": (-5000, 20000),
    "wholesale_price_usd_per_mwh": (-5000, 20000),
    "export_price_usd_per_mwh": (-5000, 20000),
    "carbon_avg_kg_per_mwh": (0, 2000),
    "grid_cfe_fraction": (0, 1),
    "pue": (1, 3),
    "import_limit_mw": (0, np.inf),
    "inference_demand_mw__": (0, np.inf),
    "temp_air_c": (-60, 60),
    "relative_humidity_pct": (0, 100),
    "wet_bulb_c": (-60, 60),
    "economizer_fraction": (0, 1),
    # the most a cooling tower can use per kWh of IT: bone-dry air at 60 degC (the range's top)
    # leaves saturated at 28.5 degC, evaporating 3,600 x 0.025 / 28 = 3.2 kg per kWh of heat,
    # x 1.15 kWh of heat per kWh of IT x 4/3 make-up = 4.9 L/kWh
    "site_water_l_per_kwh_it": (0, 5),
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
    cooling=st.sampled_from(["air_economizer", "indirect_evaporative", "water_economizer",
                             "direct_liquid", "chiller"]),
    price_from_file=st.booleans(),
)
def test_prepare_is_gap_free_and_in_range(tz, step, start, days, price, seed, util, temp,
                                          with_pv, cooling, price_from_file):
    with tempfile.TemporaryDirectory() as folder:
        check_prepare(Path(folder), tz, step, start, days, price, seed, util, temp, with_pv,
                      cooling, price_from_file)


def check_prepare(folder, tz, step, start, days, price, seed, util, temp, with_pv, cooling,
                  price_from_file):
    end = start + pd.Timedelta(days=days)
    price_spec = generated(price, -5000, 20000, seed + 1)
    hourly = None
    if price_from_file:
        # hourly UTC prices covering the local period with a day to spare on each side
        times = pd.date_range(pd.Timestamp(start) - pd.Timedelta(days=1),
                              pd.Timestamp(end) + pd.Timedelta(days=1), freq="h", tz="UTC")
        rng = np.random.default_rng(seed)
        hourly = pd.Series(np.round(price + 30 * rng.standard_normal(len(times)), 2),
                           index=times)
        pd.DataFrame({"time": times.strftime("%Y-%m-%dT%H:%M:%SZ"), "price": hourly.values}
                     ).to_csv(folder / "price.csv", index=False)
        price_spec = {"file": str(folder / "price.csv"), "column": "price",
                      "time_column": "time", "unit": "USD/MWh", "tz": "UTC"}
    d = base_dict(
        workload={"gpu": "H100", "classes": {
            "chat": {"kind": "inference", "servers": 10,
                     "utilization": generated(util, 0.0, 1.0, seed)},
            "batch": {"kind": "batch", "servers": 10, "gpu_hours_per_day": 40.0,
                      "deadline_h": 24}}},
        tariff={"energy_price_usd_per_mwh": price_spec},
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
    if hourly is not None:
        # a price is averaged over each step: the time-weighted mean of the hours it overlaps
        # (a 1 h step in India, UTC+05:30, straddles two UTC hours)
        k = int(pd.Timedelta(step) / pd.Timedelta("15min"))
        quarter = pd.date_range(idx[0], periods=len(idx) * k, freq="15min")
        expected_price = hourly.reindex(quarter.floor("h")).to_numpy().reshape(-1, k).mean(1)
        np.testing.assert_allclose(inputs.series["energy_price_usd_per_mwh"], expected_price)
    releases = inputs.params["workload"]["releases"]["batch"]
    assert len(releases) == len(idx)  # an arrival at every step
    assert (releases["release_utc"] == idx).all()
    end_utc = idx[-1] + pd.Timedelta(step)
    due = np.minimum(idx + pd.Timedelta(hours=24), end_utc)
    assert (releases["deadline_utc"] == due).all()
    local_day = idx.tz_convert(tz).normalize()
    per_day = releases["gpu_hours"].groupby(np.asarray(local_day)).sum()
    hours = pd.Series(1, index=idx).groupby(np.asarray(local_day)).size() * pd.Timedelta(
        step) / pd.Timedelta(hours=1)
    np.testing.assert_allclose(per_day[hours == 24], 40.0, rtol=1e-12)
