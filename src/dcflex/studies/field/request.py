"""A grid request as power over time: the programme's trapezoid and the controller's aim.

A request window ``[start, end)`` must hold a reduction (``cut_fraction`` below the baseline, or
under ``cap_kw``); the programme allows a linear ramp of ``ramp_down_min`` before it and
``ramp_up_min`` after it (Colangelo et al. 2025, arXiv:2507.00909: "ramp down and up
gracefully over 15 minutes"). :func:`request_target_kw` is that trapezoid; with
:class:`Dynamics` it becomes the controller's aim: deeper by a margin, its ramps shifted or
shortened. Several windows combine as the lowest of their trapezoids. Every value is taken at
the midpoint of a 1-min step, on a tz-aware index.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from dcflex.studies.field.event_file import HorizonSpec, RequestSpec, WindowSpec, local_time


@dataclass(frozen=True)
class Dynamics:
    """How the controller turns the request into its aim (all minutes).

    Parameters
    ----------
    margin_fraction : float
        Extra reduction below the request, fraction of the baseline (>= 0 holds deeper).
    response_delay_min : float
        Delay of the controller's ramp-down after the programme's ramp-down starts.
    ramp_down_min, ramp_up_min : float or None
        Length of the controller's ramps; None = the programme's.
    release_delay_min : float
        Delay of the controller's ramp-up after the window ends.
    """

    margin_fraction: float = 0.0
    response_delay_min: float = 0.0
    ramp_down_min: float | None = None
    ramp_up_min: float | None = None
    release_delay_min: float = 0.0


#: The programme's trapezoid itself.
PROGRAMME = Dynamics()


def minute_index(request: RequestSpec, horizon: HorizonSpec) -> pd.DatetimeIndex:
    """1-min steps over the horizon, UTC, named ``time_utc``."""
    start = local_time(request, horizon.start)
    end = local_time(request, horizon.end)
    idx = pd.date_range(start, end, freq="min", inclusive="left")
    return idx.tz_convert("UTC").rename("time_utc")


def _minutes_from(index: pd.DatetimeIndex, t: pd.Timestamp) -> np.ndarray:
    """Minutes from ``t`` to the midpoint of each 1-min step."""
    return ((index - t) / pd.Timedelta(minutes=1)).to_numpy(float) + 0.5


def _ramp(minutes: np.ndarray, length: float) -> np.ndarray:
    """0 before 0, 1 after ``length``, linear in between (a step if length is 0)."""
    if length <= 0:
        return (minutes >= 0).astype(float)
    return np.clip(minutes / length, 0.0, 1.0)


def window_level_kw(window: WindowSpec, baseline_kw: float) -> float:
    """Level the window asks for, kW."""
    if window.cap_kw is not None:
        return float(window.cap_kw)
    return float((1.0 - window.cut_fraction) * baseline_kw)


def window_times(request: RequestSpec) -> list[tuple[pd.Timestamp, pd.Timestamp]]:
    """(start, end) of each sustained window, tz-aware local."""
    return [(local_time(request, w.start), local_time(request, w.end)) for w in request.windows]


def span_mask(index: pd.DatetimeIndex, start: pd.Timestamp, end: pd.Timestamp) -> np.ndarray:
    """Steps that start in ``[start, end)``."""
    return np.asarray((index >= start) & (index < end))


def sustained_mask(request: RequestSpec, index: pd.DatetimeIndex) -> np.ndarray:
    """Steps inside a request window (ramps excluded)."""
    out = np.zeros(len(index), dtype=bool)
    for a, b in window_times(request):
        out |= span_mask(index, a, b)
    return out


def scoring_span(request: RequestSpec) -> tuple[pd.Timestamp, pd.Timestamp]:
    """From the first ramp-down start to the last ramp-up end: the request window plus ramps."""
    times = window_times(request)
    start = min(a for a, _ in times) - pd.Timedelta(minutes=request.ramp_down_min)
    end = max(b for _, b in times) + pd.Timedelta(minutes=request.ramp_up_min)
    return start, end


def scoring_mask(request: RequestSpec, index: pd.DatetimeIndex) -> np.ndarray:
    """Steps of the request window plus ramps."""
    return span_mask(index, *scoring_span(request))


def request_target_kw(request: RequestSpec, index: pd.DatetimeIndex, baseline_kw: float,
                      dynamics: Dynamics = PROGRAMME) -> np.ndarray:
    """Cluster power aimed at per step, kW; ``inf`` where no window or ramp applies.

    With :data:`PROGRAMME` this is the request itself: the baseline, a linear ramp of
    ``ramp_down_min`` to the window's level at its start, the level until its end, a linear
    ramp of ``ramp_up_min`` back. With other :class:`Dynamics`: the level is lower by
    ``margin_fraction x baseline``; the ramp-down starts ``response_delay_min`` after the
    programme's and lasts the controller's ``ramp_down_min``; the ramp-up starts
    ``release_delay_min`` after the window ends and lasts ``ramp_up_min``.

    Parameters
    ----------
    request : RequestSpec
    index : pandas.DatetimeIndex
        1-min steps, tz-aware.
    baseline_kw : float
        Baseline the cut fractions refer to, kW.
    dynamics : Dynamics
    """
    down_req, up_req = float(request.ramp_down_min), float(request.ramp_up_min)
    down = down_req if dynamics.ramp_down_min is None else float(dynamics.ramp_down_min)
    up = up_req if dynamics.ramp_up_min is None else float(dynamics.ramp_up_min)
    target = np.full(len(index), np.inf)
    for window, (start, end) in zip(request.windows, window_times(request), strict=True):
        level = window_level_kw(window, baseline_kw) - dynamics.margin_fraction * baseline_kw
        level = max(level, 0.0)
        begin = start - pd.Timedelta(minutes=down_req - dynamics.response_delay_min)
        release = end + pd.Timedelta(minutes=dynamics.release_delay_min)
        cut = (_ramp(_minutes_from(index, begin), down)
               - _ramp(_minutes_from(index, release), up))
        cut = np.clip(cut, 0.0, 1.0)
        shape = baseline_kw - (baseline_kw - level) * cut
        span = (index >= min(begin, start - pd.Timedelta(minutes=down_req))) & (
            index < max(release + pd.Timedelta(minutes=up), end + pd.Timedelta(minutes=up_req)))
        target = np.where(np.asarray(span), np.minimum(target, shape), target)
    return target


def flat_reference_kw(request: RequestSpec, index: pd.DatetimeIndex,
                      baseline_kw: float) -> np.ndarray:
    """The naive reference: a flat line at the request's level over the window plus ramps.

    Each step of the scoring span takes the level of the window it is in or ramps towards (the
    nearest window in time); NaN outside the span.
    """
    out = np.full(len(index), np.nan)
    times = window_times(request)
    mask = scoring_mask(request, index)
    mid = index + pd.Timedelta(seconds=30)
    dist = np.stack([
        np.maximum(((a - mid) / pd.Timedelta(minutes=1)).to_numpy(float), 0)
        + np.maximum(((mid - b) / pd.Timedelta(minutes=1)).to_numpy(float), 0)
        for a, b in times])
    levels = np.array([window_level_kw(w, baseline_kw) for w in request.windows])
    out[mask] = levels[np.argmin(dist, axis=0)][mask]
    return out
