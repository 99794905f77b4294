"""Curtailment-enabled headroom: how much flexible load a grid can take without new peaks.

Method of Norris, Profeta, Patino-Echeverri & Cowie-Haskell, "Rethinking Load Growth: Assessing
the Potential for Integration of Large Flexible Loads in US Power Systems", Nicholas Institute,
Duke University, February 2025 (https://hdl.handle.net/10161/32077):

- a new load of constant size ``L`` (MW) is added to the historical hourly demand ``D_t`` of a
  balancing authority;
- whenever ``D_t + L`` would exceed the threshold ``T`` of the season (the highest demand seen
  in that season over the whole record), the load is curtailed by
  ``c_t = min(L, max(0, D_t + L - T))`` MW;
- the curtailment rate is the curtailed energy over the energy the load would have used,
  ``sum(c_t * dt) / (L * H)``, with ``H`` the hours of valid data;
- the headroom at a rate ``r`` is the ``L`` whose curtailment rate is ``r``.

Seasons: summer = April-October, winter = November-March by default. The report works on hourly
balancing-authority data stamped in UTC; which clock defines the month is not stated there.
This module uses the month of the time stamps as given (UTC) unless ``tz`` names a time zone to
convert to first. It only matters for peaks within a few hours of 1 April or 1 November 00:00.

Why the solution is exact: with the gap ``g_t = max(T - D_t, 0)``, ``c_t = max(0, L - g_t)`` and
the rate is ``r(L) = sum_{g_t < L} (1 - g_t / L) dt / H``: continuous and nondecreasing in ``L``,
and of the form ``(a - b / L)`` between consecutive sorted gaps. :func:`headroom_mw` finds the
segment that holds the target and solves it in closed form; ``method="brentq"`` brackets and
root-finds instead, as an independent check.

All functions take demand in MW as a pandas Series on a tz-aware DatetimeIndex with a regular
step (rows may be missing, e.g. after :func:`dcflex.data.readers.eia930.fill_missing_demand` with
``policy="drop"``; each row then stands for one step).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from scipy.optimize import brentq

from dcflex.errors import DataError, ScenarioError

#: Months (1-12) of the summer season; the rest is winter. Duke report, seasonal thresholds.
SUMMER_MONTHS: tuple[int, ...] = tuple(range(4, 11))

#: Mean hours in a calendar year (365.25 d), to express curtailed hours per year.
HOURS_PER_YEAR: float = 8766.0

#: Curtailment rates of the Duke report's headline results (0.25 %, 0.5 %, 1 %) and 5 %.
DEFAULT_RATES: tuple[float, ...] = (0.0025, 0.005, 0.01, 0.05)

Thresholds = Mapping[str, Any] | float


# --------------------------------------------------------------------------- input checks


def _check_demand(demand: pd.Series) -> None:
    if not isinstance(demand, pd.Series):
        raise DataError(f"expected demand as a pandas Series in MW, got {type(demand).__name__}",
                        field="demand_mw")
    idx = demand.index
    if not isinstance(idx, pd.DatetimeIndex) or idx.tz is None:
        raise DataError("expected a tz-aware DatetimeIndex (UTC) on the demand series",
                        field="demand_mw")
    if len(demand) < 2:
        raise DataError(f"expected at least 2 demand values, got {len(demand)}", field="demand_mw")
    if not idx.is_monotonic_increasing or idx.has_duplicates:
        raise DataError("expected strictly increasing time stamps", field="demand_mw")
    values = demand.to_numpy(dtype=float)
    bad = ~np.isfinite(values)
    if bad.any():
        first = [str(t) for t in idx[bad][:5]]
        raise DataError(
            f"expected no missing values, found {int(bad.sum())} (first at {first}); apply "
            "dcflex.data.readers.eia930.fill_missing_demand first",
            field=str(demand.name or "demand_mw"),
        )


def step_hours(index: pd.DatetimeIndex) -> float:
    """Step length of a time index, hours.

    The most common spacing; every spacing must be a whole multiple of it (rows may be missing,
    the grid may not change).

    Raises
    ------
    DataError
        If spacings are not multiples of the step.
    """
    ns = np.diff(index.as_unit("ns").asi8)
    if ns.size == 0:
        raise DataError("expected at least two time stamps to know the step length")
    values, counts = np.unique(ns, return_counts=True)
    step = int(values[np.argmax(counts)])
    if step <= 0 or np.any(ns % step):
        odd = index[1:][ns % step != 0][:3]
        raise DataError(
            f"expected a regular time step of {pd.Timedelta(step, 'ns')} (gaps allowed), found "
            f"spacings that are not multiples of it before {[str(t) for t in odd]}",
            field="time_utc",
        )
    return step / 3.6e12


def _is_summer(index: pd.DatetimeIndex, summer_months: Iterable[int], tz: str | None) -> np.ndarray:
    local = index.tz_convert(tz) if tz else index
    return np.isin(local.month, list(summer_months))


# --------------------------------------------------------------------------- thresholds


def seasonal_thresholds(
    demand_mw: pd.Series,
    summer_months: Iterable[int] = SUMMER_MONTHS,
    tz: str | None = None,
    max_peak_ratio: float | None = 1.5,
) -> dict[str, Any]:
    """Seasonal curtailment thresholds: the highest demand of each season over the whole record.

    Parameters
    ----------
    demand_mw : pandas.Series
        Hourly (or any regular step) demand, MW, tz-aware index, no NaN.
    summer_months : iterable of int
        Months 1-12 of summer; default April-October (Duke report). The others are winter.
    tz : str, optional
        Time zone whose calendar month decides the season (e.g. ``"America/New_York"``).
        Default: the index's own (UTC for EIA-930).
    max_peak_ratio : float or None
        Guard against unscreened data: raise if a season's maximum exceeds this multiple of the
        season's 99th percentile. 1.5 is a judgment; across the screened 2020-2024 CISO, ERCO and
        PJM files the ratio is at most 1.24 (ERCO winter, Jan 2024), while the PJM spikes left in
        unscreened data reach 1.7 and beyond. ``None`` disables the check.

    Returns
    -------
    dict
        ``summer_mw``, ``winter_mw`` (MW), ``summer_peak_time_utc``, ``winter_peak_time_utc``
        (Timestamp), ``summer_months`` (tuple), ``tz`` (str or None). Pass it to the other
        functions of this module.

    Raises
    ------
    DataError
        If a season has no data or its peak fails the ``max_peak_ratio`` check.
    """
    _check_demand(demand_mw)
    months = tuple(sorted({int(m) for m in summer_months}))
    if not months or any(m < 1 or m > 12 for m in months):
        raise ScenarioError(f"expected summer months within 1..12, got {months}",
                            field="summer_months")
    summer = _is_summer(demand_mw.index, months, tz)
    out: dict[str, Any] = {"summer_months": months, "tz": tz}
    for name, mask in (("summer", summer), ("winter", ~summer)):
        part = demand_mw[mask]
        if part.empty:
            raise DataError(f"expected demand in {name} (months {months} are summer), found none",
                            field="demand_mw")
        peak = float(part.max())
        if max_peak_ratio is not None:
            q99 = float(part.quantile(0.99))
            if peak > max_peak_ratio * q99:
                raise DataError(
                    f"{name} peak {peak:,.0f} MW at {part.idxmax()} is {peak / q99:.2f} times the "
                    f"season's 99th percentile {q99:,.0f} MW (limit {max_peak_ratio}); screen "
                    "spikes first (dcflex.data.readers.eia930.screen_demand_spikes) or pass "
                    "max_peak_ratio=None",
                    field="demand_mw",
                )
        out[f"{name}_mw"] = peak
        out[f"{name}_peak_time_utc"] = part.idxmax().tz_convert("UTC")
    return out


def threshold_mw(index: pd.DatetimeIndex, thresholds: Thresholds) -> np.ndarray:
    """Threshold in force at each time stamp, MW.

    ``thresholds`` is the dict of :func:`seasonal_thresholds` or one number (MW) for all hours.
    """
    if isinstance(thresholds, int | float | np.floating | np.integer):
        return np.full(len(index), float(thresholds))
    try:
        summer_mw = float(thresholds["summer_mw"])
        winter_mw = float(thresholds["winter_mw"])
    except (KeyError, TypeError, ValueError) as exc:
        raise ScenarioError(
            f"expected thresholds as a number (MW) or a dict with 'summer_mw' and 'winter_mw', "
            f"got {thresholds!r}",
            field="thresholds",
        ) from exc
    summer = _is_summer(index, thresholds.get("summer_months", SUMMER_MONTHS),
                        thresholds.get("tz"))
    return np.where(summer, summer_mw, winter_mw)


# --------------------------------------------------------------------------- curtailment


def _gaps_mw(demand: pd.Series, thresholds: Thresholds) -> np.ndarray:
    """Room below the threshold each hour, max(T - D, 0), MW."""
    gap = threshold_mw(demand.index, thresholds) - demand.to_numpy(dtype=float)
    return np.maximum(gap, 0.0)


def _check_load(load_mw: float) -> float:
    load = float(load_mw)
    if not np.isfinite(load) or load <= 0:
        raise ScenarioError(f"expected a new load > 0 MW, got {load_mw}", field="load_mw")
    return load


def curtailment_mw(demand: pd.Series, load_mw: float, thresholds: Thresholds) -> pd.Series:
    """Curtailment of a constant new load, ``min(L, max(0, D + L - T))``, MW.

    Parameters
    ----------
    demand : pandas.Series
        Existing demand, MW (tz-aware index, no NaN).
    load_mw : float
        New constant load ``L``, MW, > 0.
    thresholds : dict or float
        From :func:`seasonal_thresholds`, or one threshold in MW.

    Returns
    -------
    pandas.Series
        ``curtailment_mw`` on the demand's index; between 0 and ``load_mw``.
    """
    _check_demand(demand)
    load = _check_load(load_mw)
    # written via the gap so that an hour exactly at the edge gives exactly 0
    curt = np.minimum(load, np.maximum(0.0, load - _gaps_mw(demand, thresholds)))
    return pd.Series(curt, index=demand.index, name="curtailment_mw")


def curtailment_rate(demand: pd.Series, load_mw: float, thresholds: Thresholds) -> float:
    """Curtailed energy over the energy a constant load would use, as a fraction.

    ``sum(c_t * dt) / (L * H)`` with ``dt`` the step length (h) and ``H = n_rows * dt`` the hours
    of valid data (Duke report's curtailment rate, over the whole record).
    """
    curt = curtailment_mw(demand, load_mw, thresholds)
    dt = step_hours(demand.index)
    return float(curt.sum() * dt / (float(load_mw) * len(curt) * dt))


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


def curtailment_events(curtailment: pd.Series, tol_mw: float = 0.0) -> pd.DataFrame:
    """Runs of consecutive curtailed steps.

    Parameters
    ----------
    curtailment : pandas.Series
        ``curtailment_mw`` from :func:`curtailment_mw`.
    tol_mw : float
        A step counts as curtailed when its curtailment exceeds this, MW.

    Returns
    -------
    pandas.DataFrame
        One row per event: ``start_utc``, ``end_utc`` (last curtailed step), ``duration_h``,
        ``max_curtailment_mw``, ``energy_mwh``.
    """
    idx = curtailment.index
    dt = step_hours(idx)
    on = curtailment.to_numpy() > tol_mw
    contiguous = np.concatenate(([False], np.diff(idx.as_unit("ns").asi8) == round(dt * 3.6e12)))
    starts = on & ~(np.concatenate(([False], on[:-1])) & contiguous)
    event_id = np.cumsum(starts)[on] - 1
    vals = curtailment.to_numpy()[on]
    times = idx[on]
    if vals.size == 0:
        return pd.DataFrame(columns=["start_utc", "end_utc", "duration_h",
                                     "max_curtailment_mw", "energy_mwh"])
    grouped = pd.DataFrame({"e": event_id, "t": times, "c": vals}).groupby("e")
    return pd.DataFrame({
        "start_utc": grouped["t"].min(),
        "end_utc": grouped["t"].max(),
        "duration_h": grouped["c"].size() * dt,
        "max_curtailment_mw": grouped["c"].max(),
        "energy_mwh": grouped["c"].sum() * dt,
    }).reset_index(drop=True)


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


def headroom_table(
    demand: pd.Series,
    rates: Sequence[float] = DEFAULT_RATES,
    thresholds: Thresholds | None = None,
    *,
    summer_months: Iterable[int] = SUMMER_MONTHS,
    tz: str | None = None,
) -> pd.DataFrame:
    """Headroom at several curtailment rates, one row per rate.

    Returns
    -------
    pandas.DataFrame
        Columns ``rate_pct``, ``headroom_mw``, ``achieved_rate_pct``, ``curtailed_energy_mwh``,
        ``curtailed_hours_h``, ``curtailed_hours_per_year_h``, ``events``,
        ``mean_event_duration_h``, ``max_event_duration_h``, ``max_curtailment_mw``,
        ``kept_share_pct``. ``attrs["thresholds"]`` holds the thresholds used.
    """
    _check_demand(demand)
    if thresholds is None:
        thresholds = seasonal_thresholds(demand, summer_months=summer_months, tz=tz)
    rows = []
    for r in rates:
        res = asdict(headroom_mw(demand, r, thresholds))
        rows.append({
            "rate_pct": 100 * res["target_rate_fraction"],
            "headroom_mw": res["headroom_mw"],
            "achieved_rate_pct": 100 * res["achieved_rate_fraction"],
            "curtailed_energy_mwh": res["curtailed_energy_mwh"],
            "curtailed_hours_h": res["curtailed_hours_h"],
            "curtailed_hours_per_year_h": res["curtailed_hours_per_year_h"],
            "events": res["n_events"],
            "mean_event_duration_h": res["mean_event_duration_h"],
            "max_event_duration_h": res["max_event_duration_h"],
            "max_curtailment_mw": res["max_curtailment_mw"],
            "kept_share_pct": 100 * res["mean_kept_share_fraction"],
        })
    table = pd.DataFrame(rows)
    table.attrs["thresholds"] = dict(thresholds) if isinstance(thresholds, Mapping) \
        else {"summer_mw": float(thresholds), "winter_mw": float(thresholds)}
    return table


# --------------------------------------------------------------------------- plots


def plot_duration_curve(
    demand: pd.Series,
    thresholds: Thresholds,
    loads_mw: Sequence[float] = (),
    path: str | Path | None = None,
    title: str = "",
) -> Figure:
    """Demand duration curve with the threshold(s) and ``demand + L`` for each load.

    Left: the whole record; right: the top 2 % of hours, where curtailment happens.
    Curves are sorted independently (a duration curve, not a time series). Saved as PNG to
    ``path`` when given.
    """
    _check_demand(demand)
    dt = step_hours(demand.index)
    d = np.sort(demand.to_numpy(dtype=float))[::-1] / 1e3
    hours = (np.arange(d.size) + 1) * dt
    fig = Figure(figsize=(11, 4.2), layout="constrained")
    axes = fig.subplots(1, 2)
    top = max(int(0.02 * d.size), 10)
    thr = (thresholds if isinstance(thresholds, Mapping)
           else {"summer_mw": thresholds, "winter_mw": thresholds})
    for ax, n in zip(axes, (d.size, top), strict=True):
        ax.plot(hours[:n], d[:n], color="black", lw=1.2, label="demand")
        for load in loads_mw:
            ax.plot(hours[:n], d[:n] + load / 1e3, lw=1, label=f"demand + {load / 1e3:,.1f} GW")
        ax.axhline(float(thr["summer_mw"]) / 1e3, color="tab:red", ls="--", lw=1,
                   label=f"summer threshold {float(thr['summer_mw']) / 1e3:,.1f} GW")
        if thr["winter_mw"] != thr["summer_mw"]:
            ax.axhline(float(thr["winter_mw"]) / 1e3, color="tab:blue", ls="--", lw=1,
                       label=f"winter threshold {float(thr['winter_mw']) / 1e3:,.1f} GW")
        ax.set_xlabel("hours at or above (h)")
        ax.set_ylabel("demand (GW)")
        ax.grid(alpha=0.3)
    axes[1].set_title("top 2 % of hours")
    axes[0].legend(fontsize=8)
    if title:
        fig.suptitle(title)
    if path is not None:
        from dcflex.results.plots import save

        save(fig, path)
    return fig


def plot_curtailment_events(
    demand: pd.Series,
    load_mw: float,
    thresholds: Thresholds,
    path: str | Path | None = None,
    title: str = "",
) -> Figure:
    """Curtailed MW over time for a constant new load (one vertical line per curtailed step)."""
    curt = curtailment_mw(demand, load_mw, thresholds)
    on = curt[curt > 0]
    n_events = len(curtailment_events(curt))
    fig = Figure(figsize=(11, 3.6), layout="constrained")
    ax = fig.subplots()
    ax.vlines(on.index.tz_convert(None), 0, on.to_numpy(), color="tab:red", lw=1.0)
    ax.axhline(load_mw, color="grey", ls=":", lw=1, label=f"new load {load_mw:,.0f} MW")
    ax.set_xlim(demand.index[0].tz_convert(None), demand.index[-1].tz_convert(None))
    ax.set_ylim(0, load_mw * 1.08)
    ax.set_xlabel("time (UTC)")
    ax.set_ylabel("curtailment (MW)")
    ax.set_title(title or f"{n_events} curtailment events, {on.size} curtailed steps")
    ax.legend(loc="upper right", fontsize=8)
    ax.grid(alpha=0.3)
    if path is not None:
        from dcflex.results.plots import save

        save(fig, path)
    return fig
