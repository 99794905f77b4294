"""Batch work in time: the steps a release may run in, and how an inflexible cluster runs it.

A release is a row of ``release_utc``, ``deadline_utc`` and ``gpu_hours``. The LP may place
its work anywhere in its window (:func:`release_windows`); the business-as-usual twin runs it
as soon as GPUs are free (:func:`batch_asap`).
"""

from __future__ import annotations

import heapq

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


def batch_asap(rel: pd.DataFrame, windows: list[tuple[int, int]], n_gpus: int, T: int,
               dt: float, class_name: str, tz: str) -> np.ndarray:
    """GPUs running per step when work starts as soon as released (earliest deadline first).

    Raises
    ------
    InfeasibleError
        If a release cannot be finished by its deadline even running flat out.
    """
    remaining = rel["gpu_hours"].to_numpy(dtype=float).copy()
    by_start = sorted(range(len(windows)), key=lambda j: windows[j][0])
    active: list[tuple[int, int]] = []  # heap of (deadline step, release)
    nxt = 0
    running = np.zeros(T)
    for t in range(T):
        while nxt < len(by_start) and windows[by_start[nxt]][0] <= t:
            j = by_start[nxt]
            heapq.heappush(active, (windows[j][1], j))
            nxt += 1
        free = float(n_gpus)
        keep = []
        while active and free > 0:
            end, j = heapq.heappop(active)
            if end <= t:
                continue
            g = min(free, remaining[j] / dt)
            running[t] += g
            remaining[j] -= g * dt
            free -= g
            if remaining[j] > 1e-12:
                keep.append((end, j))
        for item in keep:
            heapq.heappush(active, item)
    late = np.flatnonzero(remaining > 1e-6 * np.maximum(1.0, rel["gpu_hours"].to_numpy()))
    if len(late):
        j = late[0]
        r = rel.iloc[j]
        raise InfeasibleError([
            f"batch class {class_name!r}: work released {r.release_utc.tz_convert(tz)} "
            f"({r.gpu_hours:.6g} GPU-h) cannot finish by its deadline "
            f"{r.deadline_utc.tz_convert(tz)} on {n_gpus} GPUs "
            f"({remaining[j]:.6g} GPU-h left)"
        ])
    return running
