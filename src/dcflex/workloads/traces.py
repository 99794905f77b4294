"""Workload classes from real traces: Philly batch releases, Azure LLM inference shape.

Data
----
* Philly: Microsoft's multi-tenant GPU training cluster, Sep-Dec 2017 (Jeon et al., "Analysis
  of Large-Scale Multi-Tenant GPU Clusters for DNN Training Workloads", USENIX ATC'19;
  CC BY 4.0), as summarized in the Pollux artifact (``philly.csv`` of petuum/adaptdl):
  82,247 jobs with submit time, duration (s), GPU count, GPU-seconds, virtual cluster.
* Azure LLM inference trace 2023 (Patel et al., "Splitwise: Efficient generative LLM
  inference using phase splitting", ISCA'24; CC BY 4.0): one hour (2023-11-16 18:15-19:14)
  of request arrivals with context and generated token counts, for a coding service
  (8,819 requests) and a conversation service (19,366 requests).

Time zones: neither trace documents one. Both are read as UTC unless ``tz`` says otherwise
(then localized to ``tz`` and converted to UTC). For Philly a wrong guess shifts release times
by hours within a multi-day window; for the Azure hour only the burstiness is used, which does
not depend on the clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from dcflex.errors import DataError, ScenarioError

S_PER_H = 3600.0


def _localize(ts: pd.Series, tz: str, path: Path, field: str) -> pd.Series:
    parsed = pd.to_datetime(ts, errors="coerce")
    if parsed.isna().any():
        bad = ts[parsed.isna()].iloc[0]
        raise DataError(f"expected timestamps, found {bad!r}", file=path, field=field)
    if parsed.dt.tz is not None:
        return parsed.dt.tz_convert("UTC")
    return parsed.dt.tz_localize(tz, ambiguous="raise", nonexistent="raise").dt.tz_convert("UTC")


def read_philly(path: str | Path, tz: str = "UTC") -> pd.DataFrame:
    """Read the Philly job trace (Pollux artifact ``philly.csv``).

    Parameters
    ----------
    path : path
        ``philly-via-adaptdl/philly.csv``.
    tz : str
        Time zone of the naive submit timestamps (undocumented in the source; UTC assumed).

    Returns
    -------
    pandas.DataFrame
        One row per job, sorted by submit time: ``submit_utc`` (tz-aware UTC), ``duration_h``,
        ``num_gpus``, ``gpu_hours`` (= duration_h x num_gpus), ``cluster``.

    Raises
    ------
    DataError
        Missing column, bad timestamp, negative duration, GPU count < 1, or ``gpu_time`` not
        equal to duration x GPUs.
    """
    path = Path(path)
    df = pd.read_csv(path)
    need = ["timestamp", "duration", "num_gpus", "gpu_time", "cluster"]
    missing = [c for c in need if c not in df.columns]
    if missing:
        raise DataError(f"expected columns {need}, missing {missing}", file=path, field=missing[0])
    dur = pd.to_numeric(df["duration"], errors="coerce")
    gpus = pd.to_numeric(df["num_gpus"], errors="coerce")
    gpu_time = pd.to_numeric(df["gpu_time"], errors="coerce")
    if dur.isna().any() or (dur < 0).any():
        raise DataError("expected durations >= 0 s", file=path, field="duration")
    if gpus.isna().any() or (gpus < 1).any() or (gpus % 1 != 0).any():
        raise DataError("expected integer GPU counts >= 1", file=path, field="num_gpus")
    if not np.allclose(gpu_time, dur * gpus, rtol=1e-9, atol=1e-6):
        raise DataError("expected gpu_time = duration x num_gpus", file=path, field="gpu_time")
    out = pd.DataFrame(
        {
            "submit_utc": _localize(df["timestamp"], tz, path, "timestamp"),
            "duration_h": dur / S_PER_H,
            "num_gpus": gpus.astype(int),
            "gpu_hours": dur * gpus / S_PER_H,
            "cluster": df["cluster"].astype(str),
        }
    )
    return out.sort_values("submit_utc", kind="stable").reset_index(drop=True)


def _step(step: str | pd.Timedelta) -> pd.Timedelta:
    try:
        td = pd.Timedelta(step)
    except (ValueError, TypeError):
        raise ScenarioError(
            f"expected a fixed duration like '1D' or '1h', got {step!r}", field="step"
        ) from None
    if td <= pd.Timedelta(0):
        raise ScenarioError(f"must be positive, got {step!r}", field="step")
    return td


def releases_from_groups(
    release_utc: pd.Series,
    duration_h: pd.Series,
    gpu_hours: pd.Series,
    num_gpus: pd.Series,
    step: pd.Timedelta,
    slack_factor: float,
    max_window: pd.Timedelta | None,
) -> pd.DataFrame:
    """Aggregate jobs sharing a release time into releases with a deadline (shared rule).

    The deadline is ``release + slack_factor x (longest job runtime of the release)``, rounded
    up to a whole number of ``step`` and at least one ``step``, then capped at
    ``release + max_window`` if given.
    """
    g = pd.DataFrame(
        {"release_utc": release_utc, "d": duration_h, "w": gpu_hours, "n": num_gpus}
    ).groupby("release_utc", sort=True)
    rel = g.agg(
        gpu_hours=("w", "sum"),
        num_jobs=("w", "size"),
        longest_job_h=("d", "max"),
        max_job_gpus=("n", "max"),
    ).reset_index()
    step_h = step / pd.Timedelta(hours=1)
    n_steps = np.maximum(1, np.ceil(slack_factor * rel["longest_job_h"] / step_h - 1e-9))
    window = pd.to_timedelta(n_steps * step_h, unit="h")
    if max_window is not None:
        window = window.clip(upper=pd.Timedelta(max_window))
    rel.insert(1, "deadline_utc", rel["release_utc"] + window)
    return rel


def batch_releases_from_jobs(
    jobs: pd.DataFrame,
    step: str | pd.Timedelta = "1D",
    slack_factor: float = 2.0,
    scale_to_gpus: int | None = None,
    max_window: str | pd.Timedelta | None = None,
) -> pd.DataFrame:
    """Group jobs into deferrable batch releases, one per ``step``.

    A job submitted at ``t`` is released at ``ceil(t, step)``: the first step boundary at which
    every job of the release has been submitted, so no work is scheduled before it exists.
    Deadline: release + ``slack_factor`` x the longest job runtime in the release, rounded up
    to whole steps, at least one step (:func:`releases_from_groups`). GPU-hours are conserved:
    the releases sum to the jobs' GPU-hours (times the scale factor).

    Parameters
    ----------
    jobs : pandas.DataFrame
        ``submit_utc``, ``duration_h``, ``num_gpus``, ``gpu_hours`` (as from :func:`read_philly`).
    step : str or Timedelta
        Release period, a fixed duration (``"1D"``, ``"6h"``).
    slack_factor : float
        Deadline window as a multiple of the longest runtime (>= 1).
    scale_to_gpus : int, optional
        If given, GPU-hours are multiplied by one factor so that the average GPU demand over
        the trace span (first to last release step) equals this many GPUs, to fit the trace to
        a fleet size. The factor is stored in ``result.attrs["scale_factor"]`` (1.0 if None).
    max_window : str or Timedelta, optional
        Upper bound on deadline - release (Philly runtimes reach 1,286 h, so the longest-job
        rule gives windows of weeks).

    Returns
    -------
    pandas.DataFrame
        One row per release: ``release_utc``, ``deadline_utc``, ``gpu_hours``, ``num_jobs``,
        ``longest_job_h``, ``max_job_gpus``.
    """
    td = _step(step)
    need = ["submit_utc", "duration_h", "num_gpus", "gpu_hours"]
    missing = [c for c in need if c not in jobs.columns]
    if missing:
        raise DataError(f"expected job columns {need}, missing {missing}", field=missing[0])
    if len(jobs) == 0:
        raise DataError("no jobs to release", field="jobs")
    if not isinstance(jobs["submit_utc"].dtype, pd.DatetimeTZDtype):
        raise DataError("submit_utc must be tz-aware (UTC)", field="submit_utc")
    if not slack_factor >= 1:
        raise ScenarioError(f"must be >= 1, got {slack_factor}", field="slack_factor")
    release = jobs["submit_utc"].dt.tz_convert("UTC").dt.ceil(td)
    scale = 1.0
    if scale_to_gpus is not None:
        if scale_to_gpus <= 0:
            raise ScenarioError(f"must be > 0, got {scale_to_gpus}", field="scale_to_gpus")
        span_h = ((release.max() - release.min()) + td) / pd.Timedelta(hours=1)
        mean_gpus = jobs["gpu_hours"].sum() / span_h
        scale = float(scale_to_gpus / mean_gpus)
    rel = releases_from_groups(
        release,
        jobs["duration_h"],
        jobs["gpu_hours"] * scale,
        jobs["num_gpus"],
        td,
        slack_factor,
        None if max_window is None else pd.Timedelta(max_window),
    )
    rel.attrs["scale_factor"] = scale
    return rel


def read_azure_llm(path: str | Path, tz: str = "UTC") -> pd.DataFrame:
    """Read one Azure LLM inference trace 2023 file (code or conversation).

    Parameters
    ----------
    path : path
        ``azure-llm-inference-2023/AzureLLMInferenceTrace_{code,conv}.csv``.
    tz : str
        Time zone of the naive timestamps (not stated by the source; UTC assumed).

    Returns
    -------
    pandas.DataFrame
        One row per request, sorted by arrival: ``arrival_utc``, ``context_tokens``,
        ``generated_tokens``.
    """
    path = Path(path)
    df = pd.read_csv(path)
    need = ["TIMESTAMP", "ContextTokens", "GeneratedTokens"]
    missing = [c for c in need if c not in df.columns]
    if missing:
        raise DataError(f"expected columns {need}, missing {missing}", file=path, field=missing[0])
    out = pd.DataFrame({"arrival_utc": _localize(df["TIMESTAMP"], tz, path, "TIMESTAMP")})
    for src, dst in (("ContextTokens", "context_tokens"), ("GeneratedTokens", "generated_tokens")):
        v = pd.to_numeric(df[src], errors="coerce")
        if v.isna().any() or (v < 0).any():
            raise DataError("expected token counts >= 0", file=path, field=src)
        out[dst] = v.astype(np.int64)
    return out.sort_values("arrival_utc", kind="stable").reset_index(drop=True)


def token_rate_per_minute(*requests: pd.DataFrame) -> pd.Series:
    """Tokens per second (context + generated) in each whole minute the traces all cover.

    Parameters
    ----------
    *requests : pandas.DataFrame
        One or more outputs of :func:`read_azure_llm`; with several, their tokens are summed
        over the minutes they all cover.

    Returns
    -------
    pandas.Series
        Tokens/s, 1-minute UTC index (partial first and last minutes dropped; minutes with no
        arrival are 0).
    """
    if not requests:
        raise DataError("no request trace given", field="requests")
    t0 = max(r["arrival_utc"].min() for r in requests).ceil("1min")
    t1 = min(r["arrival_utc"].max() for r in requests).floor("1min")
    if t1 <= t0:
        raise DataError("traces share no whole minute", field="arrival_utc")
    index = pd.date_range(t0, t1, freq="1min", inclusive="left", name="time_utc")
    total = pd.Series(0.0, index=index)
    for r in requests:
        tok = (r["context_tokens"] + r["generated_tokens"]).to_numpy(dtype=float)
        s = pd.Series(tok, index=pd.DatetimeIndex(r["arrival_utc"]))
        s = s[(s.index >= t0) & (s.index < t1)].resample("1min").sum()
        total = total.add(s.reindex(index, fill_value=0.0), fill_value=0.0)
    return (total / 60.0).rename("tokens_per_s")


@dataclass(frozen=True)
class BurstStats:
    """Burstiness of a token-rate series.

    Attributes
    ----------
    peak_to_mean : float
        Max / mean of the rate.
    cv : float
        Coefficient of variation (population std / mean).
    minutes : int
        Length of the series, minutes.
    """

    peak_to_mean: float
    cv: float
    minutes: int


def burst_stats(rate: pd.Series) -> BurstStats:
    """Peak-to-mean and coefficient of variation of a per-minute token rate."""
    v = rate.to_numpy(dtype=float)
    if v.size == 0 or not np.all(np.isfinite(v)) or v.mean() <= 0:
        raise DataError("expected a non-empty, finite, positive-mean rate", field="rate")
    return BurstStats(float(v.max() / v.mean()), float(v.std() / v.mean()), int(v.size))


def _regular_step(index: pd.DatetimeIndex) -> pd.Timedelta:
    if not isinstance(index, pd.DatetimeIndex) or index.tz is None:
        raise ScenarioError("expected a tz-aware DatetimeIndex", field="index")
    if len(index) < 2:
        raise ScenarioError("expected at least 2 time steps", field="index")
    steps = (index[1:] - index[:-1]).unique()
    if len(steps) != 1 or steps[0] <= pd.Timedelta(0):
        raise ScenarioError("expected a regular, increasing time index", field="index")
    return pd.Timedelta(steps[0])


def diurnal_weekly_factor(
    index: pd.DatetimeIndex,
    tz: str,
    diurnal_amplitude: float = 0.3,
    peak_hour_local: float = 14.0,
    weekend_factor: float = 0.8,
) -> np.ndarray:
    """Daily and weekly load cycle: ``(1 + a cos(2 pi (h - h_peak) / 24)) x w(day)``.

    ``h`` is the local hour of the step midpoint and ``w`` = ``weekend_factor`` on Saturday and
    Sunday (local), 1 otherwise. The form (one daily harmonic peaking in the working day, lower
    weekends) follows the diurnal and weekly patterns reported for Azure's production traces
    (Azure Functions: Shahrad et al., "Serverless in the Wild", USENIX ATC'20; LLM inference:
    Patel et al., ISCA'24 and its follow-up week-long 2024 trace). The defaults are dcflex
    assumptions, not fitted to any trace: a = 0.3 (peak/trough 1.86), 14:00 local peak,
    weekends at 80 %.
    """
    if not 0 <= diurnal_amplitude < 1:
        raise ScenarioError(
            f"must be in [0, 1), got {diurnal_amplitude}", field="diurnal_amplitude"
        )
    if not weekend_factor > 0:
        raise ScenarioError(f"must be > 0, got {weekend_factor}", field="weekend_factor")
    step = _regular_step(index)
    local = (index + step / 2).tz_convert(tz)
    hour = local.hour + local.minute / 60.0 + local.second / 3600.0
    daily = 1.0 + diurnal_amplitude * np.cos(2 * np.pi * (np.asarray(hour) - peak_hour_local) / 24)
    weekly = np.where(np.asarray(local.day_of_week) >= 5, weekend_factor, 1.0)
    return daily * weekly


def inference_shape(
    index: pd.DatetimeIndex,
    minute_rate: pd.Series,
    tz: str,
    seed: int = 0,
    diurnal_amplitude: float = 0.3,
    peak_hour_local: float = 14.0,
    weekend_factor: float = 0.8,
) -> pd.Series:
    """Normalized (mean 1) inference load shape: daily and weekly cycle x trace burstiness.

    What comes from where:

    * within-hour burstiness -- from the data: ``minute_rate`` (tokens/s per minute, e.g.
      :func:`token_rate_per_minute` of the Azure trace) is divided by its mean; each hour of
      the index gets this observed pattern, circularly shifted by a seeded random offset, and
      averaged to the index step. At 1-minute steps each hour therefore has exactly the
      trace's peak-to-mean and coefficient of variation; at hourly or longer steps the
      pattern averages to 1 and only the cycle remains (energy per hour is unaffected by
      within-hour bursts).
    * daily and weekly cycle -- a documented assumption, :func:`diurnal_weekly_factor`; one
      hour of trace cannot show a daily cycle.

    Parameters
    ----------
    index : DatetimeIndex
        Regular, tz-aware time index (step 1 min to any length; sub-hourly steps must divide
        an hour).
    minute_rate : pandas.Series
        Observed per-minute rate (any unit, positive mean).
    tz : str
        Local time zone of the users (sets the daily cycle).
    seed : int
        Seed of the random pattern offsets.
    diurnal_amplitude, peak_hour_local, weekend_factor : float
        See :func:`diurnal_weekly_factor`.

    Returns
    -------
    pandas.Series
        Dimensionless shape named ``inference_shape`` with mean exactly 1 over ``index``.
    """
    step = _regular_step(index)
    pattern = minute_rate.to_numpy(dtype=float)
    if pattern.size == 0 or not np.all(np.isfinite(pattern)) or pattern.mean() <= 0:
        raise DataError("expected a non-empty, finite, positive-mean rate", field="minute_rate")
    pattern = pattern / pattern.mean()
    cycle = diurnal_weekly_factor(index, tz, diurnal_amplitude, peak_hour_local, weekend_factor)
    burst = np.ones(len(index))
    minutes = step / pd.Timedelta(minutes=1)
    if minutes < 1 or (minutes < 60 and (60 % minutes != 0 or minutes % 1 != 0)):
        raise ScenarioError(
            f"sub-hourly steps must be whole minutes dividing 60, got {step}", field="index"
        )
    if minutes < 60:
        m = int(minutes)
        hours = index.floor("1h")
        uniq, hour_pos = np.unique(hours.asi8, return_inverse=True)
        rng = np.random.default_rng(seed)
        shifts = rng.integers(0, pattern.size, size=uniq.size)
        # the pattern repeated circularly over one hour, one row per hour of the index
        cols = (shifts[:, None] + np.arange(60)[None, :]) % pattern.size
        per_hour = pattern[cols].reshape(uniq.size, 60 // m, m).mean(axis=2)
        slot = ((index - hours) // step).to_numpy().astype(int)
        burst = per_hour[hour_pos, slot]
    shape = cycle * burst
    shape = shape / shape.mean()
    return pd.Series(shape, index=index.rename("time_utc"), name="inference_shape")
