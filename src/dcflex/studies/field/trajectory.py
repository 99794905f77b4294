"""Target power trajectory of a grid event: a trapezoid, its fit to a metered trace, step windows.

:class:`EventTrajectory` is the target (ramp down, hold, ramp up) that
:func:`dcflex.studies.field.event_response.plan_event` tracks; :func:`fit_event_trajectory`
recovers one from measured cluster power by least squares; :func:`window_mask` selects the steps
of a time window (e.g. a tier window). Every time index must be tz-aware and regular.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from dcflex.errors import DataError, ScenarioError


@dataclass(frozen=True)
class EventTrajectory:
    """A trapezoidal power target: ramp down, hold, ramp up.

    Parameters
    ----------
    start : pandas.Timestamp
        Start of the ramp-down (tz-aware).
    ramp_down_min, hold_min, ramp_up_min : int
        Durations, minutes (ramps >= 1, hold >= 0).
    baseline_kw : float
        Level before the event, kW (the ramp-down starts from it).
    hold_kw : float
        Level held, kW.
    end_kw : float, optional
        Level the ramp-up returns to, kW (default ``baseline_kw``).

    Notes
    -----
    The trajectory is piecewise linear in time; a step's target is its value at the step's
    midpoint. Outside ``[start, end)`` the target is infinite (no cap).
    """

    start: pd.Timestamp
    ramp_down_min: int
    hold_min: int
    ramp_up_min: int
    baseline_kw: float
    hold_kw: float
    end_kw: float | None = None

    def __post_init__(self) -> None:
        ts = pd.Timestamp(self.start)
        if ts.tzinfo is None:
            raise ScenarioError(f"must be tz-aware, got {ts}", field="event.start")
        object.__setattr__(self, "start", ts)
        for name in ("ramp_down_min", "ramp_up_min"):
            if getattr(self, name) < 1:
                raise ScenarioError(f"must be >= 1 min, got {getattr(self, name)}",
                                    field=f"event.{name}")
        if self.hold_min < 0:
            raise ScenarioError(f"must be >= 0 min, got {self.hold_min}", field="event.hold_min")
        for name in ("baseline_kw", "hold_kw"):
            v = getattr(self, name)
            if not np.isfinite(v) or v < 0:
                raise ScenarioError(f"must be finite and >= 0 kW, got {v}", field=f"event.{name}")

    @property
    def level_after_kw(self) -> float:
        return float(self.baseline_kw if self.end_kw is None else self.end_kw)

    @property
    def hold_start(self) -> pd.Timestamp:
        return self.start + pd.Timedelta(minutes=self.ramp_down_min)

    @property
    def hold_end(self) -> pd.Timestamp:
        return self.hold_start + pd.Timedelta(minutes=self.hold_min)

    @property
    def end(self) -> pd.Timestamp:
        return self.hold_end + pd.Timedelta(minutes=self.ramp_up_min)

    @property
    def cut_fraction(self) -> float:
        """Depth of the hold below the baseline, fraction of the baseline."""
        return 1.0 - self.hold_kw / self.baseline_kw

    def level_kw(self, index: pd.DatetimeIndex) -> np.ndarray:
        """Trapezoid value at the midpoint of each step, including the flat shoulders, kW."""
        idx = _regular_index(index)
        step = idx[1] - idx[0] if len(idx) > 1 else pd.Timedelta(minutes=1)
        minutes = ((idx + step / 2 - self.start) / pd.Timedelta(minutes=1)).to_numpy(float)
        return _trapezoid(minutes, self.ramp_down_min, self.hold_min, self.ramp_up_min,
                          self.baseline_kw, self.hold_kw, self.level_after_kw)

    def shape(self, index: pd.DatetimeIndex) -> np.ndarray:
        """Share of the cut in effect per step: 0 outside, 1 in the hold, linear on the ramps."""
        idx = _regular_index(index)
        step = idx[1] - idx[0] if len(idx) > 1 else pd.Timedelta(minutes=1)
        minutes = ((idx + step / 2 - self.start) / pd.Timedelta(minutes=1)).to_numpy(float)
        return _trapezoid(minutes, self.ramp_down_min, self.hold_min, self.ramp_up_min,
                          0.0, 1.0, 0.0)

    def mask(self, index: pd.DatetimeIndex) -> np.ndarray:
        """True for steps that start inside ``[start, end)``."""
        idx = _regular_index(index)
        return np.asarray((idx >= self.start) & (idx < self.end))

    def hold_mask(self, index: pd.DatetimeIndex) -> np.ndarray:
        """True for steps that start inside ``[hold_start, hold_end)``."""
        idx = _regular_index(index)
        return np.asarray((idx >= self.hold_start) & (idx < self.hold_end))

    def target_kw(self, index: pd.DatetimeIndex) -> pd.Series:
        """Target per step: the trapezoid during the event, +inf (no cap) outside, kW."""
        idx = _regular_index(index)
        values = np.where(self.mask(idx), self.level_kw(idx), np.inf)
        return pd.Series(values, index=idx.tz_convert("UTC").rename("time_utc"), name="target_kw")


def _trapezoid(minutes: np.ndarray, down: float, hold: float, up: float,
               before: float, level: float, after: float) -> np.ndarray:
    """Piecewise-linear trapezoid at ``minutes`` after the ramp-down start."""
    m = np.asarray(minutes, dtype=float)
    s_down = np.clip(m / down, 0.0, 1.0)
    s_up = np.clip((m - down - hold) / up, 0.0, 1.0)
    return before + (level - before) * s_down + (after - level) * s_up


def _trapezoid_basis(m: np.ndarray, t1: float, down: float, t3: float, up: float) -> np.ndarray:
    """Columns multiplying (before, level, after) in the trapezoid, for a least-squares fit."""
    s_down = np.clip((m - t1) / down, 0.0, 1.0)
    s_up = np.clip((m - t3) / up, 0.0, 1.0)
    return np.column_stack([1.0 - s_down, s_down - s_up, s_up])


def _regular_index(index: pd.DatetimeIndex) -> pd.DatetimeIndex:
    idx = pd.DatetimeIndex(index)
    if idx.tz is None:
        raise DataError("time index must be tz-aware", field="index")
    if len(idx) > 1:
        d = np.diff(idx.asi8)
        if np.any(d <= 0) or np.any(d != d[0]):
            raise DataError("time index must be regular and increasing", field="index")
    return idx


def fit_event_trajectory(power_kw: pd.Series, max_ramp_min: int = 30,
                         min_segment_min: int = 10) -> tuple[EventTrajectory, pd.Series]:
    """Fit a trapezoid (baseline, ramp-down, hold, ramp-up, recovery) to a measured power trace.

    Least squares in two stages: (1) the best three-level step (before, during, after) over all
    pairs of change points, from cumulative sums, with the middle level below both others;
    (2) around each change point, ramp start and duration (1..``max_ramp_min`` min) by grid
    search, the three levels solved by linear least squares for each candidate; ramp-down and
    ramp-up are refined in turn, twice. Levels, ramps and hold come from the data only.

    Parameters
    ----------
    power_kw : pandas.Series
        Measured power, kW, on a regular tz-aware index of 1-min (or other regular) steps,
        no missing values.
    max_ramp_min : int
        Longest ramp considered, steps.
    min_segment_min : int
        Shortest before, during and after segment of the step fit, steps.

    Returns
    -------
    trajectory : EventTrajectory
        ``baseline_kw`` = fitted level before, ``end_kw`` = fitted level after the event.
    fitted_kw : pandas.Series
        The fitted trapezoid on the series' index (shoulders included), kW.

    Raises
    ------
    DataError
        On missing values, an irregular index, too few points, or no drop below both shoulders.
    """
    idx = _regular_index(power_kw.index)
    p = pd.to_numeric(power_kw, errors="coerce").to_numpy(dtype=float)
    n = len(p)
    if not np.all(np.isfinite(p)):
        raise DataError(f"power has {int((~np.isfinite(p)).sum())} missing or non-finite values",
                        field=str(power_kw.name))
    if n < 3 * min_segment_min:
        raise DataError(f"need >= {3 * min_segment_min} steps to fit an event, got {n}",
                        field=str(power_kw.name))
    step_min = (idx[1] - idx[0]) / pd.Timedelta(minutes=1)
    # stage 1: three-level step fit, SSE of segment [i, j) = Q - S^2 / len
    S = np.r_[0.0, np.cumsum(p)]
    Q = np.r_[0.0, np.cumsum(p * p)]
    a = np.arange(n + 1)[:, None]
    b = np.arange(n + 1)[None, :]

    def sse(i, j):
        length = np.maximum(j - i, 1)
        return Q[j] - Q[i] - (S[j] - S[i]) ** 2 / length

    def mean(i, j):
        return (S[j] - S[i]) / np.maximum(j - i, 1)

    valid = (a >= min_segment_min) & (b - a >= min_segment_min) & (b <= n - min_segment_min)
    total = sse(0, a) + sse(a, b) + sse(b, n)
    mid = mean(a, b)
    valid &= (mid < mean(0, a)) & (mid < mean(b, n))
    if not valid.any():
        raise DataError("no drop below the levels before and after found in the power trace",
                        field=str(power_kw.name))
    total = np.where(valid, total, np.inf)
    i0, j0 = np.unravel_index(int(np.argmin(total)), total.shape)
    # stage 2: ramps. Positions are in steps from the first point, evaluated at step midpoints.
    m = np.arange(n) + 0.5
    t1, d1, t3, d2 = float(i0), 1.0, float(j0), 1.0

    def fit(t1_, d1_, t3_, d2_):
        A = _trapezoid_basis(m, t1_, d1_, t3_, d2_)
        coef, *_ = np.linalg.lstsq(A, p, rcond=None)
        r = p - A @ coef
        return float(r @ r), coef

    for _ in range(2):
        best = (np.inf, t1, d1)
        for s in range(int(i0) - max_ramp_min, int(i0) + 1):
            for d in range(1, max_ramp_min + 1):
                if s < 0 or s + d > t3:
                    continue
                err, _ = fit(s, d, t3, d2)
                if err < best[0]:
                    best = (err, float(s), float(d))
        _, t1, d1 = best
        best = (np.inf, t3, d2)
        for s in range(int(j0) - max_ramp_min, int(j0) + 1):
            for d in range(1, max_ramp_min + 1):
                if s < t1 + d1 or s + d > n:
                    continue
                err, _ = fit(t1, d1, s, d)
                if err < best[0]:
                    best = (err, float(s), float(d))
        _, t3, d2 = best
    _, (before, level, after) = fit(t1, d1, t3, d2)
    traj = EventTrajectory(
        start=idx[int(t1)],
        ramp_down_min=int(round(d1 * step_min)),
        hold_min=int(round((t3 - t1 - d1) * step_min)),
        ramp_up_min=int(round(d2 * step_min)),
        baseline_kw=float(before),
        hold_kw=float(level),
        end_kw=float(after),
    )
    fitted = pd.Series(traj.level_kw(idx), index=idx, name="fitted_kw")
    return traj, fitted


def window_mask(index: pd.DatetimeIndex, start=None, end=None) -> np.ndarray:
    """Boolean mask of the steps that start in ``[start, end)`` (open ends if None)."""
    idx = _regular_index(index)
    ok = np.ones(len(idx), dtype=bool)
    if start is not None:
        ok &= np.asarray(idx >= _aware(start, idx))
    if end is not None:
        ok &= np.asarray(idx < _aware(end, idx))
    return ok


def _aware(t, idx: pd.DatetimeIndex) -> pd.Timestamp:
    ts = pd.Timestamp(t)
    return ts.tz_localize(idx.tz) if ts.tzinfo is None else ts

