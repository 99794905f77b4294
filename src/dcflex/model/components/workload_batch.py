"""The batch part of the workload component: releases of work, and the LP block that runs them.

Not a component of its own (:mod:`dcflex.model.components.workload` calls it). Releases come
from ``gpu_hours_per_day`` arrivals (:mod:`dcflex.workloads.arrivals`), an explicit list, a
job trace or a generator, as a frame of ``release_utc``, ``deadline_utc`` and ``gpu_hours``.

The LP places each release's work in its window, with Σ_t g_j[t] Δt = W_j exactly, in one of
two exact forms:

* cumulative (whenever deadlines follow arrivals, e.g. every ``gpu_hours_per_day`` class):
  one GPU count ``g[t]`` per step and the work done so far ``c[t] = c[t-1] + g[t] Δt``,
  bounded below by the work due and above by the work arrived by the end of step ``t``
  (:func:`dcflex.workloads.batch.cumulative_work_bounds` states why that is exact). Its size
  does not grow with the number of arrivals: a year of hourly arrivals due in 24 h needs
  2 × 8,760 columns instead of 8,760 × 24.
* per release (crossing deadlines, or when a caller needs each release's columns, as the
  rolling-horizon window LP does): ``g_j[t]`` for every step of every window.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp

from dcflex.data.series import SeriesContext
from dcflex.errors import ScenarioError
from dcflex.model.lp import ModelBuilder, VarBlock
from dcflex.model.prepared import Inputs
from dcflex.scenario import BatchClass
from dcflex.workloads.batch import (
    cumulative_work_bounds,
    deadlines_follow_arrivals,
    release_windows,
)

#: Key of the workload parameters that forces the per-release form (value True).
PER_RELEASE_KEY = "batch_per_release"


def trace_releases(cls: BatchClass, n_gpus: int, ctx: SeriesContext) -> pd.DataFrame:
    """Daily releases from a job trace, moved onto the period (see :class:`BatchTrace`)."""
    from dcflex.data.series import resolve_data_path
    from dcflex.workloads.traces import batch_releases_from_jobs, read_philly

    tr = cls.trace
    jobs = read_philly(resolve_data_path(tr.file), tz=tr.tz)
    week = pd.Timedelta(days=7)
    first = jobs["submit_utc"].min().floor("D")
    shift = ((ctx.index[0].floor("D") - first) // week) * week
    jobs = jobs.assign(submit_utc=jobs["submit_utc"] + shift)
    rel = batch_releases_from_jobs(
        jobs, step="1D", slack_factor=tr.slack_factor,
        scale_to_gpus=max(1, int(round(tr.utilization * n_gpus))),
        max_window=pd.Timedelta(hours=tr.max_window_h),
    )
    return rel


def _local_to_utc(stamps: pd.DatetimeIndex, tz: str) -> pd.DatetimeIndex:
    return stamps.tz_localize(tz, ambiguous=False, nonexistent="shift_forward").tz_convert("UTC")


def midnight_releases(cls: BatchClass, ctx: SeriesContext) -> pd.DataFrame:
    """One release of the day's work at each local midnight, due ``deadline_h`` later.

    Releases and deadlines are local wall-clock times, so a 24 h deadline is the next local
    midnight even across a daylight-saving change (a 23 h or 25 h day). A deadline of 0 is
    the first step.
    """
    days = pd.date_range(pd.Timestamp(ctx.scenario.period.start),
                         pd.Timestamp(ctx.scenario.period.end), freq="D", inclusive="left")
    window = pd.Timedelta(hours=max(cls.deadline_h, ctx.step_hours))
    return pd.DataFrame({
        "release_utc": _local_to_utc(days, ctx.timezone),
        "deadline_utc": _local_to_utc(days + window, ctx.timezone),
        "gpu_hours": cls.gpu_hours_per_day,
    })


def arrival_work(cls: BatchClass, name: str, ctx: SeriesContext) -> np.ndarray:
    """GPU-hours arriving at each step: ``gpu_hours_per_day`` / 24 per hour on average,
    shaped by the class's submission profile (:func:`hour_of_day_rate`) or series."""
    from dcflex.workloads.arrivals import PHILLY_HOURLY_PROFILE, hour_of_day_rate

    per_hour = cls.gpu_hours_per_day / 24.0
    arr = cls.arrivals
    if isinstance(arr, str):
        profile = np.asarray(PHILLY_HOURLY_PROFILE) if arr == "philly" else np.ones(24)
    elif arr.hour_of_day is not None:
        profile = np.asarray(arr.hour_of_day, dtype=float)
    else:
        field = f"workload.classes.{name}.arrivals.series"
        rate = ctx.resolve(arr.series, field, "fraction", lo=0.0).to_numpy()
        if rate.sum() <= 0:
            raise ScenarioError("the submission rate must be positive somewhere",
                                file=ctx.file, field=field)
        hours = len(rate) * ctx.step_hours
        return per_hour * hours * rate / rate.sum()
    return per_hour * ctx.step_hours * hour_of_day_rate(ctx.index, ctx.timezone, profile)


def step_arrivals(cls: BatchClass, name: str, ctx: SeriesContext) -> pd.DataFrame:
    """An arrival at every step carrying its share of the work, due ``deadline_h`` after it
    arrives (within its own step if 0), at the latest at the end of the period."""
    work = arrival_work(cls, name, ctx)
    step = pd.Timedelta(hours=ctx.step_hours)
    end = ctx.index[-1] + step
    deadline = ctx.index + max(pd.Timedelta(hours=cls.deadline_h), step)
    rel = pd.DataFrame({"release_utc": ctx.index, "deadline_utc": deadline.where(
        deadline <= end, end), "gpu_hours": work})
    return rel[rel["gpu_hours"] > 0]


def explicit_releases(cls: BatchClass, tz: str) -> pd.DataFrame:
    """The scenario's ``releases`` list in UTC (naive times are the site's local time)."""
    def utc(t):
        ts = pd.Timestamp(t)
        return (ts.tz_localize(tz) if ts.tzinfo is None else ts).tz_convert("UTC")

    return pd.DataFrame({
        "release_utc": [utc(r.release) for r in cls.releases],
        "deadline_utc": [utc(r.deadline) for r in cls.releases],
        "gpu_hours": [r.gpu_hours for r in cls.releases],
    })


def releases_frame(cls: BatchClass, name: str, ctx: SeriesContext, n_gpus: int
                   ) -> pd.DataFrame:
    """Batch releases as a frame of release/deadline (UTC) and GPU-hours."""
    tz = ctx.timezone
    end = ctx.index[-1] + pd.Timedelta(hours=ctx.step_hours)
    if cls.trace is not None or cls.synthetic is not None:
        if cls.trace is not None:
            rel = trace_releases(cls, n_gpus, ctx)
        else:
            from dcflex.workloads.synthetic import synthetic_batch_releases

            syn = cls.synthetic
            rel = synthetic_batch_releases(
                ctx.index, syn.gpu_hours_per_day, syn.seed, slack_factor=syn.slack_factor,
                max_window=pd.Timedelta(hours=syn.max_window_h))
        # work due after the period belongs to the next one
        rel = rel[(rel["release_utc"] >= ctx.index[0]) & (rel["deadline_utc"] <= end)]
        return rel[["release_utc", "deadline_utc", "gpu_hours"]].reset_index(drop=True)
    if cls.gpu_hours_per_day is not None and cls.arrivals != "midnight":
        return step_arrivals(cls, name, ctx).reset_index(drop=True)
    if cls.gpu_hours_per_day is not None:
        rel = midnight_releases(cls, ctx)
        rel["deadline_utc"] = rel["deadline_utc"].where(rel["deadline_utc"] <= end, end)
    else:
        rel = explicit_releases(cls, tz)
    late = rel["deadline_utc"] > end
    if late.any():
        first = rel.loc[late, "deadline_utc"].iloc[0]
        raise ScenarioError(
            f"deadline {first.tz_convert(tz)} lies after the end of the period "
            f"({end.tz_convert(tz)})",
            file=ctx.file, field=f"workload.classes.{name}",
        )
    return rel.reset_index(drop=True)


def _per_release_block(builder: ModelBuilder, name: str, n_gpus: int, gpu_h: np.ndarray,
                       windows: list[tuple[int, int]]) -> tuple[VarBlock, sp.csr_matrix]:
    T, dt = builder.n_steps, builder.step_hours
    sizes = [max(0, b - a) for a, b in windows]
    g = builder.add_variables(f"batch_gpus__{name}", lb=0.0, ub=n_gpus, size=sum(sizes),
                              unit="GPU")
    cols = np.arange(sum(sizes))
    steps = np.concatenate([np.arange(a, a + n) for (a, _), n in zip(windows, sizes,
                                                                    strict=True)]
                           ) if sizes else np.zeros(0, int)
    owner = np.repeat(np.arange(len(sizes)), sizes)

    work = sp.csr_matrix((np.full(len(cols), dt), (owner, cols)), shape=(len(sizes), len(cols)))
    builder.add_constraints(f"batch_work__{name}", [(g, work)], lb=gpu_h, ub=gpu_h)
    per_step = sp.csr_matrix((np.ones(len(cols)), (steps, cols)), shape=(T, len(cols)))
    builder.add_constraints(f"batch_capacity__{name}", [(g, per_step)], ub=n_gpus)
    return g, per_step


def _cumulative_block(builder: ModelBuilder, name: str, n_gpus: int, gpu_h: np.ndarray,
                      windows: list[tuple[int, int]]) -> tuple[VarBlock, sp.csr_matrix]:
    T, dt = builder.n_steps, builder.step_hours
    arrived, due = cumulative_work_bounds(gpu_h, windows, T)
    g = builder.add_variables(f"batch_gpus__{name}", lb=0.0, ub=n_gpus, unit="GPU")
    done = builder.add_variables(f"batch_done_gpu_hours__{name}", lb=due, ub=arrived,
                                 unit="GPU-h")
    # c[t] - c[t-1] - Δt g[t] = 0, with c[-1] = 0
    step_up = sp.eye(T, format="csr") - sp.eye(T, k=-1, format="csr")
    builder.add_constraints(f"batch_work__{name}", [(done, step_up), (g, -dt)], lb=0.0, ub=0.0)
    return g, sp.eye(T, format="csr")


def add_batch_work(builder: ModelBuilder, inputs: Inputs, name: str, n_gpus: int
                   ) -> tuple[VarBlock, sp.csr_matrix]:
    """Add the GPUs that run a batch class's releases and the rows that do its work.

    The LP is indifferent to how long work waits inside its window, so among equally cheap
    schedules the waits reported are the solver's pick. Measured: a tie-break for running
    work earliest (1e-3 USD per MWh per hour waited) changed the mean wait by 1-2 % on the
    CAISO site, the bundled example and the independent check case, and multiplied the
    solve time by 2-10; it is left out.

    Returns
    -------
    g : VarBlock
        GPUs running (per release and step, or per step).
    per_step : scipy.sparse.csr_matrix
        Maps ``g`` to the GPUs running in each step (T rows).
    """
    p = inputs.params["workload"]
    rel = p["releases"][name]
    windows = release_windows(rel, inputs.index)
    gpu_h = rel["gpu_hours"].to_numpy(dtype=float)
    if p.get(PER_RELEASE_KEY, False) or not deadlines_follow_arrivals(windows):
        return _per_release_block(builder, name, n_gpus, gpu_h, windows)
    return _cumulative_block(builder, name, n_gpus, gpu_h, windows)
