"""Batch work in time: the steps a release may run in, the queue an inflexible cluster runs it
in, and which release each GPU-hour of a schedule belongs to.

A release (an *arrival*) is a row of ``release_utc``, ``deadline_utc`` and ``gpu_hours``. The
LP may place its work anywhere in its window (:func:`release_windows`); the business-as-usual
twin runs it in a queue (:func:`batch_queue`).
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass

import numpy as np
import pandas as pd

from dcflex.errors import InfeasibleError


def release_windows(rel: pd.DataFrame, index: pd.DatetimeIndex) -> list[tuple[int, int]]:
    """Step range [first, last) in which each release may run: steps starting at or after
    the release and ending at or before the deadline."""
    if index.freq is not None:
        step = pd.Timedelta(index.freq)
    elif len(index) > 1:
        step = index[1] - index[0]
    else:
        raise ValueError("a one-step index without freq has no step length")
    # in nanoseconds: a deadline of 0.024 h (86.4 s) cannot be cast to a second-based index
    ns = index.as_unit("ns")
    starts = ns.searchsorted(pd.DatetimeIndex(rel["release_utc"]).as_unit("ns"), side="left")
    ends = ns.searchsorted(pd.DatetimeIndex(rel["deadline_utc"] - step).as_unit("ns"),
                           side="right")
    return list(zip(starts.tolist(), ends.tolist(), strict=True))


def _bounds(windows: list[tuple[int, int]]) -> tuple[np.ndarray, np.ndarray]:
    w = np.asarray(windows, dtype=np.int64).reshape(-1, 2)
    return w[:, 0], w[:, 1]


def deadlines_follow_arrivals(windows: list[tuple[int, int]]) -> bool:
    """True if, in order of arrival (ties by deadline), no release is due before an earlier
    one: then first in, first out is earliest deadline first, and cumulative bounds on the
    work done describe the per-release windows exactly (:func:`cumulative_work_bounds`)."""
    start, end = _bounds(windows)
    order = np.lexsort((end, start))
    return bool(np.all(np.diff(end[order]) >= 0))


def cumulative_work_bounds(gpu_hours: np.ndarray, windows: list[tuple[int, int]], T: int
                           ) -> tuple[np.ndarray, np.ndarray]:
    """Work arrived and work due by the end of each step, GPU-h (cumulative).

    Any schedule whose cumulative work lies between the two can be split into the releases,
    first in first out, so that each gets its GPU-hours inside its window — if deadlines
    follow arrivals (:func:`deadlines_follow_arrivals`). Proof: the k-th GPU-hour done
    belongs to the release whose cumulative work first reaches k. It is done no earlier than
    that release arrives, since work done never exceeds work arrived and earlier releases
    hold the GPU-hours before it; and no later than its deadline, since work done reaches
    at least everything due by then, which includes that release and every earlier one
    (their deadlines are no later). With crossing deadlines the bounds are only necessary.

    Returns
    -------
    arrived, due : numpy.ndarray
        Per step ``t``: GPU-hours of releases whose window starts at or before ``t``, and of
        those whose window ends with step ``t`` or earlier.
    """
    start, end = _bounds(windows)
    w = np.asarray(gpu_hours, dtype=float)
    arrived = np.cumsum(np.bincount(start, weights=w, minlength=T)[:T])
    due = np.cumsum(np.bincount(np.maximum(end - 1, 0), weights=w, minlength=T)[:T])
    return arrived, due


def queue_gpus(gpu_hours: np.ndarray, windows: list[tuple[int, int]], n_gpus: int, T: int,
               dt: float) -> np.ndarray:
    """GPUs running per step when every arrival starts on arrival and the rest waits.

    Each step runs as much queued work as fits on the class's GPUs (work-conserving); the
    step's running GPUs do not depend on the order queued work is served in.
    """
    start, _ = _bounds(windows)
    arriving = np.bincount(start, weights=np.asarray(gpu_hours, dtype=float), minlength=T)[:T]
    running = np.zeros(T)
    backlog = 0.0
    for t in range(T):
        backlog += arriving[t]
        running[t] = min(float(n_gpus), backlog / dt)
        backlog = max(0.0, backlog - running[t] * dt)
    return running


@dataclass(frozen=True)
class Attribution:
    """Which release each GPU-hour of a schedule belongs to (one row per release and step).

    Attributes
    ----------
    release, step : numpy.ndarray
        Release number and step of each piece of work.
    gpu_hours : numpy.ndarray
        GPU-hours of the piece.
    late : numpy.ndarray
        Per release, GPU-hours done after its deadline or not done at all.
    """

    release: np.ndarray
    step: np.ndarray
    gpu_hours: np.ndarray
    late: np.ndarray

    def done(self, n_releases: int) -> np.ndarray:
        """GPU-hours attributed to each release."""
        return np.bincount(self.release, weights=self.gpu_hours, minlength=n_releases)


def attribute_work(gpus: np.ndarray, gpu_hours: np.ndarray, windows: list[tuple[int, int]],
                   dt: float) -> Attribution:
    """Split the GPUs a class runs per step among its releases, as its queue serves them.

    Queued work is served earliest deadline first, ties in order of arrival — first in,
    first out whenever deadlines follow arrivals (every ``gpu_hours_per_day`` class). Work of
    a step beyond what has arrived is left unattributed (none in a feasible schedule).

    Parameters
    ----------
    gpus : numpy.ndarray
        GPUs running per step.
    gpu_hours : numpy.ndarray
        Work of each release, GPU-h.
    windows : list of (int, int)
        Step window of each release (:func:`release_windows`).
    dt : float
        Step length, h.
    """
    start, end = _bounds(windows)
    need = np.asarray(gpu_hours, dtype=float)
    remaining = need.copy()
    tol = 1e-9 * np.maximum(1.0, need)
    order = np.lexsort((np.arange(len(need)), end, start))
    late = np.zeros(len(need))
    heap: list[tuple[int, int]] = []
    rows: list[tuple[int, int, float]] = []
    k = 0
    for t, g in enumerate(np.asarray(gpus, dtype=float)):
        while k < len(order) and start[order[k]] <= t:
            j = int(order[k])
            if remaining[j] > tol[j]:
                heapq.heappush(heap, (int(end[j]), j))
            k += 1
        work = g * dt
        while heap and work > 0:
            due, j = heap[0]
            take = min(work, remaining[j])
            rows.append((j, t, take))
            if t >= due:
                late[j] += take
            remaining[j] -= take
            work -= take
            if remaining[j] <= tol[j]:
                heapq.heappop(heap)
    late += np.where(remaining > tol, remaining, 0.0)
    arr = np.array(rows, dtype=float).reshape(-1, 3)
    return Attribution(arr[:, 0].astype(np.int64), arr[:, 1].astype(np.int64), arr[:, 2], late)


def batch_queue(rel: pd.DataFrame, windows: list[tuple[int, int]], n_gpus: int, T: int,
                dt: float, class_name: str, tz: str) -> np.ndarray:
    """GPUs running per step in the business-as-usual queue of a batch class.

    The rule of an inflexible cluster: every arrival starts on arrival, up to the class's
    GPUs; work that does not fit waits for free GPUs and runs as soon as they free up, first
    in, first out (a release due before an earlier arrival goes first; with deadlines that
    follow arrivals, as for every ``gpu_hours_per_day`` class, the two orders are the same).
    No step leaves a GPU idle while work waits, so the power drawn does not depend on the
    order. The same rule is :func:`queue_gpus` with :func:`attribute_work`.

    Raises
    ------
    InfeasibleError
        If a release cannot be finished by its deadline even running flat out.
    """
    gpu_hours = rel["gpu_hours"].to_numpy(dtype=float)
    running = queue_gpus(gpu_hours, windows, n_gpus, T, dt)
    late = attribute_work(running, gpu_hours, windows, dt).late
    missed = np.flatnonzero(late > 1e-6 * np.maximum(1.0, gpu_hours))
    if len(missed):
        j = missed[0]
        r = rel.iloc[j]
        at_end = " (the end of the period)" if windows[j][1] == T else ""
        raise InfeasibleError([
            f"batch class {class_name!r}: work released {r.release_utc.tz_convert(tz)} "
            f"({r.gpu_hours:.6g} GPU-h) cannot finish by its deadline "
            f"{r.deadline_utc.tz_convert(tz)}{at_end} on {n_gpus} GPUs "
            f"({late[j]:.6g} GPU-h left)"
        ])
    return running


def wait_stats(gpus: np.ndarray, rel: pd.DataFrame, windows: list[tuple[int, int]],
               index: pd.DatetimeIndex, dt: float) -> tuple[float, float, float]:
    """Share of a class's work that did not run when it arrived, and how long work waited.

    Parameters
    ----------
    gpus : numpy.ndarray
        GPUs running per step.
    rel : pandas.DataFrame
        Releases (``release_utc``, ``gpu_hours``).
    windows : list of (int, int)
        Step window of each release.
    index : DatetimeIndex
        Step starts.
    dt : float
        Step length, h.

    Returns
    -------
    moved_share : float
        Σ_t max(0, work arriving in step t − work run in step t) / all work (fraction): the
        work that cannot have run in the step it arrived in, whatever the order the queue
        serves. Against a twin that runs every arrival on arrival it is the share of work
        moved (half the absolute difference of the two profiles).
    mean_delay_h : float
        Time from release to the start of the step the work runs in, GPU-hour weighted mean,
        h. The same in any service order (the total wait is the area under the backlog).
    max_delay_h : float
        Longest such wait, h, with the queue served as :func:`attribute_work` does (first in,
        first out when deadlines follow arrivals).
    """
    gpu_hours = rel["gpu_hours"].to_numpy(dtype=float)
    total = gpu_hours.sum()
    if total <= 0:
        return 0.0, 0.0, 0.0
    start, _ = _bounds(windows)
    arriving = np.bincount(start, weights=gpu_hours, minlength=len(index))[:len(index)]
    moved = np.maximum(0.0, arriving - np.asarray(gpus, dtype=float) * dt).sum()
    att = attribute_work(gpus, gpu_hours, windows, dt)
    released = rel["release_utc"].to_numpy()
    delay_h = (index.to_numpy()[att.step] - released[att.release]) / np.timedelta64(1, "h")
    # pieces below the solver's tolerance are not work that waited
    real = att.gpu_hours > 1e-9 * total
    return (float(moved / total), float((att.gpu_hours * delay_h).sum() / total),
            float(delay_h[real].max()) if real.any() else 0.0)
