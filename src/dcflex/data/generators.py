"""Seeded synthetic time series with stated statistics.

Used where a scenario has no data file: the bundled examples, tests and sweeps. A generator
spec states the mean, the daily and weekly cycle and the noise; the same spec and seed always
give the same series.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from dcflex.scenario import GeneratedSeries


def ar1_noise(n: int, std: float, autocorrelation: float, seed: int) -> np.ndarray:
    """Stationary AR(1) noise with the given standard deviation and lag-one autocorrelation.

    Parameters
    ----------
    n : int
        Number of steps.
    std : float
        Marginal standard deviation (unit of the series).
    autocorrelation : float
        Lag-one autocorrelation, 0 <= phi < 1.
    seed : int
        Seed of numpy's PCG64 generator.

    Returns
    -------
    numpy.ndarray
        x[t] = phi x[t-1] + sqrt(1 - phi^2) std e[t], x[0] ~ N(0, std^2).
    """
    rng = np.random.default_rng(seed)
    shocks = rng.standard_normal(n) * std
    out = np.empty(n)
    if n == 0:
        return out
    innovation = np.sqrt(1.0 - autocorrelation**2)
    out[0] = shocks[0]
    for i in range(1, n):
        out[i] = autocorrelation * out[i - 1] + innovation * shocks[i]
    return out


def generate_series(spec: GeneratedSeries, index: pd.DatetimeIndex, timezone: str) -> pd.Series:
    """Build the series a :class:`~dcflex.scenario.GeneratedSeries` describes on ``index``.

    Parameters
    ----------
    spec : GeneratedSeries
        Mean, cycles, noise and seed.
    index : pandas.DatetimeIndex
        UTC steps.
    timezone : str
        Site time zone; the daily cycle peaks at ``spec.peak_hour`` local time.

    Returns
    -------
    pandas.Series
        value = mean (1 + a_d cos(2π (h - h_peak)/24) - a_w weekend) + AR(1) noise, clipped
        to [minimum, maximum].
    """
    local = index.tz_convert(timezone)
    hour = local.hour.to_numpy() + local.minute.to_numpy() / 60.0
    weekend = (local.day_of_week.to_numpy() >= 5).astype(float)
    shape = (
        1.0
        + spec.daily_amplitude * np.cos(2 * np.pi * (hour - spec.peak_hour) / 24.0)
        - spec.weekly_amplitude * weekend
    )
    values = spec.mean * shape
    if spec.noise_std > 0:
        values = values + ar1_noise(len(index), spec.noise_std, spec.autocorrelation, spec.seed)
    if spec.minimum is not None or spec.maximum is not None:
        values = np.clip(values, spec.minimum, spec.maximum)
    return pd.Series(values, index=index, dtype=float)
