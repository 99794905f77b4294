"""Seeded workload generators calibrated to the Philly and Azure LLM traces.

For scenarios without trace files. Same seed -> same series; the calibration constants below
were fitted on the shared traces (see :mod:`dcflex.workloads.traces` for the sources) and
tests refit them from the files.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

import numpy as np
import pandas as pd

from dcflex.errors import ScenarioError
from dcflex.workloads.traces import _regular_step, diurnal_weekly_factor, releases_from_groups


@dataclass(frozen=True)
class JobSizeModel:
    """Distribution of batch job sizes.

    Attributes
    ----------
    log_duration_mean, log_duration_std : float
        Mean and standard deviation of ``ln(duration in hours)`` (lognormal runtime).
    max_duration_h : float
        Runtimes are truncated (redrawn) above this, h.
    gpu_count_pmf : mapping of int to float
        Probability of each GPU count per job (sums to 1).
    """

    log_duration_mean: float
    log_duration_std: float
    max_duration_h: float
    gpu_count_pmf: Mapping[int, float] = field(default_factory=dict)


def fit_job_size_model(jobs: pd.DataFrame) -> JobSizeModel:
    """Fit a :class:`JobSizeModel` to a job table (e.g. from ``traces.read_philly``).

    Lognormal runtime by maximum likelihood (mean and population std of ``ln duration_h`` over
    jobs with a positive duration), truncated at the longest observed runtime; GPU counts by
    their empirical frequencies.
    """
    d = jobs["duration_h"].to_numpy(dtype=float)
    d = d[d > 0]
    if d.size < 2:
        raise ScenarioError("need at least 2 jobs with positive duration", field="jobs")
    logd = np.log(d)
    counts = jobs["num_gpus"].value_counts(normalize=True).sort_index()
    return JobSizeModel(
        log_duration_mean=float(logd.mean()),
        log_duration_std=float(logd.std()),
        max_duration_h=float(d.max()),
        gpu_count_pmf=MappingProxyType({int(k): float(v) for k, v in counts.items()}),
    )


#: Philly (82,247 jobs, Sep-Dec 2017, Jeon et al. ATC'19) fitted with :func:`fit_job_size_model`:
#: ln(runtime h) ~ N(-1.3978, 2.1556) (median 15 min; the fitted mean runtime is 2.5 h against
#: 3.65 h in the trace, whose tail is heavier than lognormal), truncated at 1,285.6 h; GPU counts
#: 1: 76,627, 2: 1,818, 4: 1,870, 8: 1,643, 12: 7, 16: 199, 24: 7, 32: 67, 64: 6, 128: 3 jobs.
PHILLY_JOB_MODEL = JobSizeModel(
    log_duration_mean=-1.3977826,
    log_duration_std=2.1555502,
    max_duration_h=4628226.0 / 3600.0,
    gpu_count_pmf=MappingProxyType(
        {
            k: v / 82247
            for k, v in {
                1: 76627,
                2: 1818,
                4: 1870,
                8: 1643,
                12: 7,
                16: 199,
                24: 7,
                32: 67,
                64: 6,
                128: 3,
            }.items()
        }
    ),
)

#: Burstiness of LLM inference load at 1-minute resolution, from the Azure LLM inference trace
#: 2023 (code + conversation tokens/s summed over the 56 whole minutes both cover,
#: :func:`~dcflex.workloads.traces.token_rate_per_minute`): coefficient of variation 0.485,
#: peak-to-mean 2.11.
AZURE_MINUTE_CV = 0.4853
AZURE_MINUTE_PEAK_TO_MEAN = 2.1125


def _draw_durations(rng: np.random.Generator, n: int, model: JobSizeModel) -> np.ndarray:
    out = np.exp(rng.normal(model.log_duration_mean, model.log_duration_std, n))
    bad = out > model.max_duration_h
    while bad.any():  # truncation by redrawing keeps the shape below the cap
        out[bad] = np.exp(rng.normal(model.log_duration_mean, model.log_duration_std, bad.sum()))
        bad = out > model.max_duration_h
    return out


def synthetic_batch_releases(
    index: pd.DatetimeIndex,
    gpu_hours_per_day: float,
    seed: int,
    slack_factor: float = 2.0,
    model: JobSizeModel = PHILLY_JOB_MODEL,
    max_window: str | pd.Timedelta | None = None,
) -> pd.DataFrame:
    """Daily batch releases with Philly-like job sizes.

    One release per UTC day starting inside ``index`` (at 00:00 UTC). Each day gets a Poisson
    number of jobs with mean ``gpu_hours_per_day / E[job GPU-hours]``; each job has a lognormal
    runtime and a GPU count from ``model`` (drawn independently). All GPU-hours are then
    multiplied by one factor so that the total is exactly ``gpu_hours_per_day`` x number of
    releases (the heavy runtime tail would otherwise make short horizons miss the target by a
    lot); day-to-day variation and job mix stay as drawn. Deadline rule as in
    :func:`~dcflex.workloads.traces.batch_releases_from_jobs`: release + ``slack_factor`` x the
    longest runtime of the day, rounded up to whole days (step 1 day).

    Parameters
    ----------
    index : DatetimeIndex
        Regular tz-aware time index of the scenario.
    gpu_hours_per_day : float
        Mean batch work released per day, GPU-hours (> 0).
    seed : int
        Random seed.
    slack_factor : float
        Deadline window as a multiple of the longest runtime (>= 1).
    model : JobSizeModel
        Job size distribution (default: fitted to Philly).
    max_window : str or Timedelta, optional
        Upper bound on deadline - release.

    Returns
    -------
    pandas.DataFrame
        ``release_utc, deadline_utc, gpu_hours, num_jobs, longest_job_h, max_job_gpus``.
    """
    _regular_step(index)
    if not gpu_hours_per_day > 0:
        raise ScenarioError(f"must be > 0, got {gpu_hours_per_day}", field="gpu_hours_per_day")
    if not slack_factor >= 1:
        raise ScenarioError(f"must be >= 1, got {slack_factor}", field="slack_factor")
    utc = index.tz_convert("UTC")
    days = pd.date_range(utc[0].ceil("1D"), utc[-1], freq="1D")
    if len(days) == 0:
        raise ScenarioError("index covers no UTC midnight to release work at", field="index")
    rng = np.random.default_rng(seed)
    gpus = np.array(sorted(model.gpu_count_pmf), dtype=int)
    pmf = np.array([model.gpu_count_pmf[g] for g in gpus], dtype=float)
    pmf = pmf / pmf.sum()
    mean_dur = np.exp(model.log_duration_mean + model.log_duration_std**2 / 2)
    lam = gpu_hours_per_day / (mean_dur * float(gpus @ pmf))
    n_per_day = rng.poisson(lam, len(days))
    if n_per_day.sum() == 0:
        n_per_day[0] = 1  # at least one job, so the target work has somewhere to go
    dur = _draw_durations(rng, int(n_per_day.sum()), model)
    n_gpus = rng.choice(gpus, size=dur.size, p=pmf)
    work = dur * n_gpus
    work = work * (gpu_hours_per_day * len(days) / work.sum())
    release = pd.Series(days.repeat(n_per_day))
    return releases_from_groups(
        release,
        pd.Series(dur),
        pd.Series(work),
        pd.Series(n_gpus),
        pd.Timedelta("1D"),
        slack_factor,
        None if max_window is None else pd.Timedelta(max_window),
    )


def synthetic_inference_profile(
    index: pd.DatetimeIndex,
    mean_mw: float,
    peak_to_mean: float,
    seed: int,
    tz: str = "UTC",
    minute_cv: float = AZURE_MINUTE_CV,
    peak_hour_local: float = 14.0,
    weekend_factor: float = 0.8,
) -> pd.Series:
    """Inference power demand with a daily and weekly cycle and trace-calibrated noise, MW.

    Construction: the cycle of :func:`~dcflex.workloads.traces.diurnal_weekly_factor`
    (amplitude 0.3) times independent gamma noise of mean 1 whose coefficient of variation is
    ``minute_cv x sqrt(1 min / step)`` -- the Azure trace's 1-minute CV, averaged over the
    step as if minutes were independent (real traffic is burstier at long lags, so this is a
    lower bound at coarse steps). The result ``s`` is then stretched about its mean,
    ``1 + k (s - 1)``, so that max / mean equals ``peak_to_mean`` exactly, and scaled to
    ``mean_mw``.

    Parameters
    ----------
    index : DatetimeIndex
        Regular tz-aware time index.
    mean_mw : float
        Mean power over the index, MW (> 0).
    peak_to_mean : float
        Max / mean over the index (>= 1).
    seed : int
        Random seed.
    tz : str
        Local time zone of the users.
    minute_cv : float
        Coefficient of variation at 1-minute resolution (default from the Azure trace).
    peak_hour_local, weekend_factor : float
        See :func:`~dcflex.workloads.traces.diurnal_weekly_factor`.

    Returns
    -------
    pandas.Series
        ``inference_power_mw`` on ``index`` (named ``time_utc``).

    Raises
    ------
    ScenarioError
        If ``peak_to_mean`` is so large that the stretched profile would go negative.
    """
    step = _regular_step(index)
    if not mean_mw > 0:
        raise ScenarioError(f"must be > 0 MW, got {mean_mw}", field="mean_mw")
    if not peak_to_mean >= 1:
        raise ScenarioError(f"must be >= 1, got {peak_to_mean}", field="peak_to_mean")
    if not minute_cv >= 0:
        raise ScenarioError(f"must be >= 0, got {minute_cv}", field="minute_cv")
    s = diurnal_weekly_factor(index, tz, 0.3, peak_hour_local, weekend_factor)
    cv = minute_cv * np.sqrt(pd.Timedelta(minutes=1) / step)
    if cv > 0:
        rng = np.random.default_rng(seed)
        shape_k = 1.0 / cv**2
        s = s * rng.gamma(shape_k, 1.0 / shape_k, len(index))
    s = s / s.mean()
    top, bottom = s.max() - 1.0, 1.0 - s.min()
    if top <= 1e-12:
        if peak_to_mean > 1.0:
            raise ScenarioError("a flat profile cannot have peak_to_mean > 1", field="peak_to_mean")
    else:
        largest = 1.0 + top / bottom
        if peak_to_mean > largest:
            raise ScenarioError(
                f"peak_to_mean {peak_to_mean} would stretch this profile below zero; the "
                f"largest feasible here is {largest:.3g}",
                field="peak_to_mean",
            )
        s = 1.0 + (peak_to_mean - 1.0) / top * (s - 1.0)
    return pd.Series(mean_mw * s, index=index.rename("time_utc"), name="inference_power_mw")
