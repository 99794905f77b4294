"""When batch work arrives: a daily total spread over the day by a submission profile.

A batch class given as GPU-hours per day receives that work as arrivals, one at the start of
every step, each due ``deadline_h`` after it arrives. How the day's work is spread over its
hours is the *submission profile* (:func:`hour_of_day_rate`).

The Philly profile
------------------
:data:`PHILLY_HOURLY_PROFILE` is the hour-of-day shape of the GPU-hours submitted to
Microsoft's Philly training cluster, Sep-Dec 2017 (Jeon et al., "Analysis of Large-Scale
Multi-Tenant GPU Clusters for DNN Training Workloads", USENIX ATC'19; trace CC BY 4.0), read
from the Pollux artifact's ``philly.csv`` (columns ``timestamp``, ``gpu_time``):
:func:`philly_hourly_profile` recomputes it, and a test checks the constant against the file.

* Weighting: each job counts with its GPU-hours (``gpu_time`` / 3600), the work it brings.
* Days: whole days of the trace only (2017-09-05 to 2017-12-21; the first and last days are
  partial and would weigh their hours twice or not at all).
* Clock: the job log's stamps carry no zone. They are read on their own wall clock and taken
  as US Pacific local time: the same trace's utilization logs are stamped PDT/PST
  (msr-fiddle/philly-traces README), and the quietest 48 hours of the week in the
  submissions begin on Saturday at 01:00 of the stamps' clock — local midnight, not the
  08:00 a UTC clock would show for a Pacific cluster (:func:`quietest_weekly_window`).
  The profile is applied in the site's local time.
* Shape: the mean plus the first daily harmonic of the 24 hourly GPU-hour totals (their least
  squares fit). The raw hourly totals are dominated by a few large jobs (1 % of the jobs
  carry 67 % of the GPU-hours): a day-bootstrap gives them a standard error of 0.23 on a mean
  of 1, and the profiles of the first and second half of the trace correlate at 0.08. The
  daily harmonic is what the halves share: amplitude 0.15-0.19 of the mean in each half and
  in odd and even days (0.14 over all days), peak between 23:30 and 04:30 local in all four.
  The shipped profile thus runs from 0.86 (14:00) to 1.14 (02:00).
* Weekdays: Philly receives fewer GPU-hours on Sundays (0.59 of the daily mean), but a
  ``gpu_hours_per_day`` class fixes each day's total; a weekly shape can be given as a series.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

#: GPU-hours submitted per local hour of day (0..23), relative to the mean (mean 1), Philly
#: trace: mean plus first daily harmonic (see the module docstring and
#: :func:`philly_hourly_profile`, which recomputes these values from ``philly.csv``).
PHILLY_HOURLY_PROFILE: tuple[float, ...] = (
    1.1302, 1.1402, 1.1408, 1.1317, 1.1137, 1.0879, 1.0561, 1.0205,  # 00-07
    0.9835, 0.9476, 0.9153, 0.8888, 0.8698, 0.8598, 0.8592, 0.8683,  # 08-15
    0.8863, 0.9121, 0.9439, 0.9795, 1.0165, 1.0524, 1.0847, 1.1112,  # 16-23
)

#: Hours in a day, the length of an hour-of-day profile.
HOURS_PER_DAY = 24


def hour_of_day_profile(hour: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """Total ``weight`` in each hour of day 0..23, divided by the mean over the 24 hours.

    Parameters
    ----------
    hour : numpy.ndarray
        Hour of day of each item (0..23).
    weight : numpy.ndarray
        Weight of each item (e.g. GPU-hours of a job).
    """
    totals = np.bincount(np.asarray(hour, dtype=int), weights=np.asarray(weight, dtype=float),
                         minlength=HOURS_PER_DAY)
    return totals / totals.mean()


def daily_harmonic(profile: np.ndarray) -> np.ndarray:
    """Least-squares fit of mean + one daily cosine to a 24-hour profile, at the same hours."""
    coef = np.fft.rfft(np.asarray(profile, dtype=float))
    coef[2:] = 0.0
    return np.fft.irfft(coef, n=HOURS_PER_DAY)


def _whole_days(stamps: pd.Series) -> pd.Series:
    """True for stamps on days strictly between the first and the last day of the trace."""
    day = stamps.dt.floor("D")
    return (day > day.min()) & (day < day.max())


def read_philly_submissions(path: str | Path) -> pd.DataFrame:
    """Submission wall-clock time and GPU-hours of each Philly job, whole days only.

    Returns
    -------
    pandas.DataFrame
        ``submit_wallclock`` (naive, the stamps' own clock) and ``gpu_hours``.
    """
    from dcflex.workloads.traces import read_philly

    # read as UTC only to keep the stamps' own clock: the hour of day is taken from them as is
    jobs = read_philly(path, tz="UTC")
    wall = jobs["submit_utc"].dt.tz_localize(None)
    keep = _whole_days(wall)
    return pd.DataFrame({"submit_wallclock": wall[keep], "gpu_hours": jobs["gpu_hours"][keep]}
                        ).reset_index(drop=True)


def philly_hourly_profile(path: str | Path, raw: bool = False) -> np.ndarray:
    """The Philly submission profile (24 values, mean 1) recomputed from ``philly.csv``.

    Parameters
    ----------
    path : path
        ``philly-via-adaptdl/philly.csv``.
    raw : bool
        Return the raw hourly GPU-hour totals instead of their daily harmonic.
    """
    sub = read_philly_submissions(path)
    profile = hour_of_day_profile(sub["submit_wallclock"].dt.hour.to_numpy(),
                                  sub["gpu_hours"].to_numpy())
    return profile if raw else daily_harmonic(profile)


def quietest_weekly_window(stamps: pd.Series, hours: int = 48) -> tuple[int, int]:
    """Weekday (0 = Monday) and hour at which the ``hours`` with fewest submissions begin.

    Counts jobs per hour of the week and slides a window of ``hours`` round the week; on a
    local clock a human-driven cluster's weekend starts near Saturday 00:00.
    """
    hour_of_week = (stamps.dt.day_of_week * HOURS_PER_DAY + stamps.dt.hour).to_numpy()
    counts = np.bincount(hour_of_week, minlength=7 * HOURS_PER_DAY).astype(float)
    wrapped = np.concatenate([counts, counts[:hours]])
    sums = np.convolve(wrapped, np.ones(hours), mode="valid")[:len(counts)]
    start = int(np.argmin(sums))
    return start // HOURS_PER_DAY, start % HOURS_PER_DAY


def hour_of_day_rate(index: pd.DatetimeIndex, tz: str, profile: np.ndarray) -> np.ndarray:
    """Relative submission rate of each step under a 24-value local hour-of-day profile.

    The profile is scaled to mean 1, so a day of 24 hours receives the daily mean times 24 h.
    The rate follows the clock: across a daylight-saving change a 23-hour day receives 23 of
    those hours and a 25-hour day 25 (submissions do not speed up when clocks go forward).

    Parameters
    ----------
    index : DatetimeIndex
        Step starts (UTC).
    tz : str
        Site time zone.
    profile : numpy.ndarray
        Relative rate in each local hour 0..23 (>= 0, positive sum).
    """
    profile = np.asarray(profile, dtype=float)
    return (profile / profile.mean())[np.asarray(index.tz_convert(tz).hour)]
