"""Solving for the headroom: the largest constant new load whose curtailment rate is a target.

The rate ``r(L) = sum_{g_t < L} (1 - g_t / L) dt / H`` is piecewise ``a - b / L`` between the
sorted gaps ``g_t = max(T - D_t, 0)``; :func:`headroom_mw` solves it exactly on that form
(``method="breakpoints"``) or with Brent's method as a check (``method="brentq"``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from dcflex.errors import ScenarioError
from dcflex.studies.headroom.curtailment import _gaps_mw, curtailment_events, curtailment_mw
from dcflex.studies.headroom.thresholds import (
    SUMMER_MONTHS,
    Thresholds,
    _check_demand,
    seasonal_thresholds,
    step_hours,
    threshold_mw,
)

#: Mean hours in a calendar year (365.25 d), to express curtailed hours per year.
HOURS_PER_YEAR: float = 8766.0


def _rate_from_gaps(g: np.ndarray, load: float) -> float:
    if load <= 0:  # limit for L -> 0+: hours exactly at the threshold, curtailed fully
        return float(np.mean(g <= 0))
    return float(np.mean(np.maximum(0.0, 1.0 - g / load)))


def _solve_breakpoints(g: np.ndarray, rate: float) -> float:
    """Largest L with r(L) = rate, exact, from the sorted gaps."""
    n = g.size
    gs = np.sort(g)
    before = np.concatenate(([0.0], np.cumsum(gs)[:-1]))  # sum of gaps sorted before j
    with np.errstate(divide="ignore", invalid="ignore"):
        r_at = np.where(gs > 0, (np.arange(n) - before / gs) / n, np.nan)
    n_zero = int(np.sum(gs <= 0))
    r_min = n_zero / n
    if rate < r_min:
        raise ScenarioError(
            f"expected a rate >= {r_min:.3g}: {n_zero} of {n} steps sit exactly at the "
            "threshold, and any load is fully curtailed there",
            field="rate",
        )
    # r_at is nondecreasing over the positive gaps; the target lies after the last
    # breakpoint whose rate does not exceed it
    j = int(np.searchsorted(np.nan_to_num(r_at, nan=-np.inf), rate, side="right")) - 1
    # gaps 0..j are below L: r(L) = (k - s / L) / n with k = j + 1 items of gap sum s
    k = j + 1
    s = float(before[j] + gs[j]) if j >= 0 else 0.0
    nxt = float(gs[j + 1]) if j + 1 < n else np.inf
    if s == 0.0:  # rate flat at k/n up to the next gap: the largest L is that gap
        if not np.isfinite(nxt):
            raise ScenarioError("expected a rate below 1", field="rate")
        return nxt
    return s / (k - rate * n)


def _solve_brentq(g: np.ndarray, rate: float) -> float:
    from scipy.optimize import brentq

    def f(load: float) -> float:
        return _rate_from_gaps(g, load) - rate

    if f(0.0) > 0:
        raise ScenarioError(
            f"expected a rate >= {_rate_from_gaps(g, 0.0):.3g} (steps at the threshold are "
            "curtailed fully for any load)",
            field="rate",
        )
    hi = max(float(np.max(g)), 1.0) * 1e-3
    while f(hi) < 0:  # r(L) -> 1 > rate as L grows, so this ends
        hi *= 2.0
    return float(brentq(f, 0.0, hi, xtol=1e-12 * hi, rtol=4 * np.finfo(float).eps,
                        maxiter=500))


@dataclass(frozen=True)
class HeadroomResult:
    """Headroom of one balancing authority at one curtailment rate.

    Attributes
    ----------
    target_rate_fraction : float
        Curtailment rate asked for (0.005 = 0.5 %).
    headroom_mw : float
        Largest constant new load with that rate, MW.
    achieved_rate_fraction : float
        Rate at ``headroom_mw`` (equals the target to solver precision).
    curtailed_energy_mwh : float
        Energy not served to the new load over the record, MWh.
    curtailed_hours_h : float
        Hours with any curtailment over the record.
    curtailed_hours_per_year_h : float
        ``curtailed_hours_h`` per 8766 h of valid data.
    n_events : int
        Runs of consecutive curtailed steps (a missing row breaks a run).
    mean_event_duration_h, max_event_duration_h : float
        Event length, hours.
    max_curtailment_mw : float
        Largest curtailment in one step, MW.
    mean_kept_share_fraction : float
        Mean of ``(L - c) / L`` over curtailed steps: share of the load still served then.
    summer_threshold_mw, winter_threshold_mw : float
        Thresholds used, MW.
    valid_hours_h : float
        Hours of data the rate is divided by.
    """

    target_rate_fraction: float
    headroom_mw: float
    achieved_rate_fraction: float
    curtailed_energy_mwh: float
    curtailed_hours_h: float
    curtailed_hours_per_year_h: float
    n_events: int
    mean_event_duration_h: float
    max_event_duration_h: float
    max_curtailment_mw: float
    mean_kept_share_fraction: float
    summer_threshold_mw: float
    winter_threshold_mw: float
    valid_hours_h: float


def headroom_mw(
    demand: pd.Series,
    rate: float,
    thresholds: Thresholds | None = None,
    *,
    summer_months: Iterable[int] = SUMMER_MONTHS,
    tz: str | None = None,
    method: Literal["breakpoints", "brentq"] = "breakpoints",
) -> HeadroomResult:
    """Largest constant new load whose curtailment rate equals ``rate``.

    Parameters
    ----------
    demand : pandas.Series
        Existing demand, MW; tz-aware regular index, no NaN.
    rate : float
        Target curtailment rate as a fraction, 0 < rate < 1 (0.005 = 0.5 %).
    thresholds : dict or float, optional
        Default: :func:`seasonal_thresholds` of ``demand`` with ``summer_months`` and ``tz``.
    summer_months, tz
        See :func:`seasonal_thresholds`; used only when ``thresholds`` is None.
    method : {"breakpoints", "brentq"}
        ``"breakpoints"``: exact solution on the piecewise ``a - b / L`` form of the rate.
        ``"brentq"``: bracket and Brent's method (independent check; relative rate error
        below 1e-9).

    Returns
    -------
    HeadroomResult

    Raises
    ------
    ScenarioError
        If ``rate`` is outside (r_min, 1), with r_min the share of steps exactly at the threshold
        (any load, however small, is fully curtailed there).
    """
    _check_demand(demand)
    rate = float(rate)
    if not 0.0 < rate < 1.0:
        raise ScenarioError(f"expected a curtailment rate as a fraction in (0, 1), got {rate}",
                            field="rate")
    if thresholds is None:
        thresholds = seasonal_thresholds(demand, summer_months=summer_months, tz=tz)
    g = _gaps_mw(demand, thresholds)
    if method == "breakpoints":
        load = _solve_breakpoints(g, rate)
    elif method == "brentq":
        load = _solve_brentq(g, rate)
    else:
        raise ScenarioError(f"expected method 'breakpoints' or 'brentq', got {method!r}",
                            field="method")
    return _summarize(demand, load, rate, thresholds)


def _summarize(demand: pd.Series, load: float, rate: float,
               thresholds: Thresholds) -> HeadroomResult:
    dt = step_hours(demand.index)
    curt = curtailment_mw(demand, load, thresholds)
    events = curtailment_events(curt)
    on = curt.to_numpy() > 0
    hours = len(curt) * dt
    thr = threshold_mw(demand.index, thresholds)
    summer = thresholds if isinstance(thresholds, Mapping) else None
    return HeadroomResult(
        target_rate_fraction=rate,
        headroom_mw=float(load),
        achieved_rate_fraction=float(curt.sum() * dt / (load * hours)),
        curtailed_energy_mwh=float(curt.sum() * dt),
        curtailed_hours_h=float(on.sum() * dt),
        curtailed_hours_per_year_h=float(on.sum() * dt / (hours / HOURS_PER_YEAR)),
        n_events=len(events),
        mean_event_duration_h=float(events["duration_h"].mean()) if len(events) else 0.0,
        max_event_duration_h=float(events["duration_h"].max()) if len(events) else 0.0,
        max_curtailment_mw=float(curt.max()),
        mean_kept_share_fraction=float(np.mean((load - curt.to_numpy()[on]) / load))
        if on.any() else 1.0,
        summer_threshold_mw=float(summer["summer_mw"]) if summer else float(thr.max()),
        winter_threshold_mw=float(summer["winter_mw"]) if summer else float(thr.max()),
        valid_hours_h=float(hours),
    )
