"""Seasonal thresholds of the headroom method, and the checks on its demand input.

The threshold of a season is the highest demand seen in that season over the whole record
(summer = April-October by default). :func:`threshold_mw` gives the threshold in force at each
time stamp; :func:`step_hours` the step length every rate is weighted by.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from dcflex.errors import DataError, ScenarioError

#: Months (1-12) of the summer season; the rest is winter. Duke report, seasonal thresholds.
SUMMER_MONTHS: tuple[int, ...] = tuple(range(4, 11))

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
