"""Wet bulb on a year of weather: psychrolib per step against the gridded evaluation.

Run: ``python benchmarks/psychrometrics_speed.py``.

Dallas 2023 (Open-Meteo, green-dcc) hourly, and the same year interpolated to 15 minutes.
For each: psychrolib's ``GetTWetBulbFromRelHum`` on every step (exact, iterative) against
:func:`dcflex.physics.psychrometrics.wet_bulb_c` (exact on a 0.5 K x 2 % grid spanning the
data, bilinear in between, exact again near the 0 degC ice/water kink), the largest
difference, and the whole facility model (:func:`dcflex.physics.pue.facility_from_weather`,
water economizer). Each timing is the best of three, grid caches cleared before each run;
the headline is the ratio, measured in one run, not an absolute time.
"""

from __future__ import annotations

import json
import time

import numpy as np
import pandas as pd
import psychrolib

from dcflex.data.datasets import shared_data
from dcflex.physics.psychrometrics import _wet_bulb_grid, wet_bulb_c
from dcflex.physics.pue import facility_from_weather

P_PA = 101_325.0


def _weather() -> tuple[pd.Series, pd.Series]:
    with open(shared_data("green-dcc", "weather", "US-TEX-ERCO_2023.json")) as f:
        doc = json.load(f)
    hourly = pd.DataFrame(doc["hourly"])
    local = pd.DatetimeIndex(pd.to_datetime(hourly.pop("time")))
    hourly.index = local.tz_localize(doc["timezone"], ambiguous="NaT", nonexistent="NaT")
    hourly = hourly[hourly.index.notna()]
    hourly.index = hourly.index.tz_convert("UTC")
    return hourly["temperature_2m"].astype(float), hourly["relative_humidity_2m"].astype(float)


def _best(func, repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        _wet_bulb_grid.cache_clear()
        t0 = time.perf_counter()
        func()
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> None:
    psychrolib.SetUnitSystem(psychrolib.SI)
    t, rh = _weather()
    quarter = pd.date_range(t.index[0], t.index[-1], freq="15min")
    cases = {"hourly": (t, rh),
             "15-minute": (t.reindex(quarter).interpolate(), rh.reindex(quarter).interpolate())}
    for name, (temp, hum) in cases.items():
        a, b = temp.to_numpy(), hum.to_numpy() / 100.0
        exact = np.array([psychrolib.GetTWetBulbFromRelHum(x, y, P_PA)
                          for x, y in zip(a, b, strict=True)])
        t_exact = _best(lambda a=a, b=b: [psychrolib.GetTWetBulbFromRelHum(x, y, P_PA)
                                          for x, y in zip(a, b, strict=True)], repeat=1)
        t_grid = _best(lambda a=a, b=b: wet_bulb_c(a, b, P_PA))
        t_model = _best(lambda temp=temp, hum=hum: facility_from_weather(
            temp, hum, "water_economizer"))
        diff = float(np.abs(wet_bulb_c(a, b, P_PA) - exact).max())
        print(f"{name:>9}: {len(a):,} steps; per-step psychrolib {t_exact:.2f} s, gridded "
              f"{t_grid:.3f} s ({t_exact / t_grid:.1f}x faster), largest difference "
              f"{diff:.4f} K; whole facility model {t_model:.3f} s")


if __name__ == "__main__":
    main()
