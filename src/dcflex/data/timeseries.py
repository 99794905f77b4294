"""Put time series from data files on the model's regular UTC time index.

Conventions: a time stamp labels the *start* of the interval its value covers, and a series'
source step is its most common spacing. Every defect (naive times without a zone, daylight
saving gaps, duplicates, holes, NaN) is a :class:`~dcflex.errors.DataError` naming the file,
the field and the first offending time stamp, never a silent fill: filling happens only when
the caller asks for it with ``gap_policy`` and is counted.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import pandas as pd

from dcflex.errors import DataError

__all__ = [
    "align_to_index",
    "check_index",
    "map_typical_year",
    "regular_index",
    "to_utc",
]


def _tzinfo(tz: Any, *, file: Any = None, field: str | None = None) -> dt.tzinfo:
    """A tzinfo from an IANA name, ``"UTC"``, ``"UTC-05:00"`` / ``"-05:00"`` or a tzinfo."""
    if isinstance(tz, dt.tzinfo):
        return tz
    if not isinstance(tz, str) or not tz.strip():
        raise DataError(f"expected a time zone name, got {tz!r}", file=file, field=field)
    text = tz.strip()
    if text.upper() in ("UTC", "GMT", "Z"):
        return dt.UTC
    m = re.fullmatch(r"(?:UTC|GMT)?\s*([+-])(\d{1,2})(?::?(\d{2}))?", text, re.IGNORECASE)
    if m:
        sign = 1 if m.group(1) == "+" else -1
        offset = dt.timedelta(hours=int(m.group(2)), minutes=int(m.group(3) or 0))
        return dt.timezone(sign * offset)
    try:
        return ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError):
        raise DataError(
            f"unknown time zone {tz!r}; expected an IANA name such as 'America/Chicago' "
            f"or a fixed offset such as 'UTC-06:00'",
            file=file,
            field=field,
        ) from None


def standard_time_zone(tz: Any, year: int) -> dt.timezone:
    """The fixed-offset standard time of a zone in a year (no daylight saving).

    Parameters
    ----------
    tz : str or tzinfo
        IANA name or fixed offset.
    year : int
        Year whose standard offset is wanted (offsets change historically).

    Returns
    -------
    datetime.timezone
        E.g. UTC-05:00 for ``"America/New_York"``.
    """
    zone = _tzinfo(tz)
    probe = dt.datetime(year, 1, 15, 12, tzinfo=zone)
    offset = probe.utcoffset() - (probe.dst() or dt.timedelta(0))
    return dt.timezone(offset)


def _require_datetime_index(series: pd.Series, file: Any, field: str | None) -> pd.DatetimeIndex:
    if not isinstance(series.index, pd.DatetimeIndex):
        raise DataError(
            f"expected a DatetimeIndex, got {type(series.index).__name__}", file=file, field=field
        )
    return series.index


def to_utc(
    series: pd.Series,
    tz: str | None,
    *,
    file: Any = None,
    field: str | None = None,
    ambiguous: Any = "raise",
) -> pd.Series:
    """Return a copy of ``series`` on a tz-aware UTC index.

    Parameters
    ----------
    series : pandas.Series or DataFrame
        Time-indexed data.
    tz : str or None
        Time zone of the wall-clock times of a naive index (IANA name or fixed offset such
        as ``"UTC-06:00"``). Ignored for an index that already carries a zone.
    file, field : optional
        Named in error messages.
    ambiguous : "raise" or anything :meth:`pandas.DatetimeIndex.tz_localize` accepts
        ``"raise"`` (default): repeated fall-back hours given in order are resolved (first
        occurrence = daylight time); any other ambiguous time is an error.

    Returns
    -------
    pandas.Series
        Same values, index converted to UTC and named ``time_utc``.

    Raises
    ------
    DataError
        Naive index without ``tz``; a local time that does not exist (spring-forward gap) or
        cannot be told apart (fall-back hour not repeated in order), naming the first one.
    """
    index = _require_datetime_index(series, file, field)
    if index.tz is not None:
        out = series.copy()
        out.index = index.tz_convert("UTC").rename("time_utc")
        return out
    if tz is None:
        raise DataError(
            "time zone not given: the time stamps carry no UTC offset, so give the zone "
            "they are in (tz)",
            file=file,
            field=field,
        )
    zone = _tzinfo(tz, file=file, field=field)
    if isinstance(zone, dt.timezone):  # fixed offset: no DST, nothing can be ambiguous
        local = index.tz_localize(zone)
    else:
        always_dst = np.ones(len(index), dtype=bool)
        probe = index.tz_localize(zone, ambiguous=always_dst, nonexistent="NaT")
        if probe.isna().any():
            bad = index[probe.isna()][0]
            raise DataError(
                f"local time {bad} does not exist in {tz} (daylight-saving gap); the data "
                f"are not wall-clock times of {tz}",
                file=file,
                field=field,
            )
        if isinstance(ambiguous, str) and ambiguous == "raise":
            try:
                local = index.tz_localize(zone, ambiguous="infer")
            except Exception:  # pandas raises several types here (pytz/ValueError)
                probe = index.tz_localize(zone, ambiguous="NaT")
                bad = index[probe.isna()][0]
                raise DataError(
                    f"local time {bad} is ambiguous in {tz} (daylight-saving fall-back) and "
                    f"the repeated hour is not given in order",
                    file=file,
                    field=field,
                ) from None
        else:
            local = index.tz_localize(zone, ambiguous=ambiguous)
    out = series.copy()
    out.index = local.tz_convert("UTC").rename("time_utc")
    return out


def check_index(series: pd.Series, *, file: Any = None, field: str | None = None) -> None:
    """Check that a series' time index is sorted, without NaT and without repeats.

    Raises
    ------
    DataError
        Naming the first out-of-order, missing or duplicated time stamp.
    """
    index = _require_datetime_index(series, file, field)
    if index.hasnans:
        pos = int(np.flatnonzero(index.isna())[0])
        raise DataError(f"time stamp missing (NaT) at row {pos}", file=file, field=field)
    if index.has_duplicates:
        first = index[index.duplicated()][0]
        raise DataError(f"duplicated time stamp {first}", file=file, field=field)
    if not index.is_monotonic_increasing:
        values = index.asi8
        pos = int(np.flatnonzero(np.diff(values) < 0)[0]) + 1
        raise DataError(
            f"time stamps not in increasing order: {index[pos]} comes after {index[pos - 1]}",
            file=file,
            field=field,
        )


def regular_index(start: Any, end: Any, step: Any, tz: str | None) -> pd.DatetimeIndex:
    """A regular UTC index covering ``[start, end)``.

    Parameters
    ----------
    start, end : str, datetime or Timestamp
        Period bounds; naive ones are wall-clock times in ``tz``.
    step : str or Timedelta
        E.g. ``"1h"``, ``"15min"``.
    tz : str or None
        Zone of naive bounds.

    Returns
    -------
    pandas.DatetimeIndex
        UTC, named ``time_utc``, with ``freq`` set.

    Raises
    ------
    DataError
        If ``end <= start``, the step is not positive or does not divide the period.
    """
    try:
        delta = pd.Timedelta(step)
    except (ValueError, TypeError):
        raise DataError(f"expected a step such as '1h' or '15min', got {step!r}") from None
    if delta <= pd.Timedelta(0):
        raise DataError(f"step must be > 0, got {step!r}")
    bounds = []
    for name, value in (("start", start), ("end", end)):
        ts = pd.Timestamp(value)
        if ts.tzinfo is None:
            if tz is None:
                raise DataError(f"time zone not given for naive period {name} {ts}")
            ts = to_utc(pd.Series([0], index=pd.DatetimeIndex([ts])), tz, field=name).index[0]
        bounds.append(ts.tz_convert("UTC"))
    t0, t1 = bounds
    if t1 <= t0:
        raise DataError(f"period end {t1} must be after start {t0}")
    span = t1 - t0
    if span % delta != pd.Timedelta(0):
        raise DataError(
            f"step {delta} does not divide the period {t0} .. {t1} ({span}); "
            f"{span / delta:.3f} steps"
        )
    return pd.date_range(t0, t1, freq=delta, inclusive="left", name="time_utc")


def _ns(index: pd.DatetimeIndex) -> np.ndarray:
    """Integer nanoseconds since the epoch, whatever the index's resolution (pandas 3 may
    hold microseconds or seconds)."""
    return index.as_unit("ns").asi8


def _index_step(index: pd.DatetimeIndex, file: Any, field: str | None, what: str) -> int:
    """Most common positive spacing in nanoseconds."""
    if len(index) < 2:
        if index.freq is not None:
            return int(pd.Timedelta(index.freq).value)
        raise DataError(f"{what} has {len(index)} time stamp(s); cannot tell its step",
                        file=file, field=field)
    diffs = np.diff(_ns(index))
    values, counts = np.unique(diffs[diffs > 0], return_counts=True)
    return int(values[np.argmax(counts)])


def align_to_index(
    series: pd.Series,
    target_index: pd.DatetimeIndex,
    *,
    how: Literal["mean", "sum"],
    gap_policy: Literal["error", "interpolate", "ffill"],
    file: Any = None,
    field: str | None = None,
) -> tuple[pd.Series, int]:
    """Resample a series onto a regular UTC index and check it covers every step.

    Each source value covers ``[t, t + source_step)``. The series is spread over a fine grid
    (greatest common divisor of the source step, the target step and their offset), then
    gathered into target steps, so up- and down-sampling and shifted grids are one rule.

    Parameters
    ----------
    series : pandas.Series
        Values on a tz-aware index (any zone), sorted, without repeats.
    target_index : pandas.DatetimeIndex
        Regular tz-aware UTC index (e.g. from :func:`regular_index`).
    how : {"mean", "sum"}
        ``"mean"`` for rates and intensive quantities (MW, USD/MWh, kg/MWh, degC): a
        downsampled step averages its sub-steps and is a gap unless all of them have data;
        an upsampled step repeats its source value. ``"sum"`` for quantities per step (MWh):
        a downsampled step adds its sub-steps and is a gap unless all of them have data; an
        upsampled step gets an even share.
    gap_policy : {"error", "interpolate", "ffill"}
        What to do with target steps without data (no source value, or NaN): raise,
        interpolate linearly in time, or carry the last value forward.
    file, field : optional
        Named in error messages.

    Returns
    -------
    aligned : pandas.Series
        Float values on ``target_index``.
    n_filled : int
        Number of target steps that were gaps and got filled (0 with ``"error"``).

    Raises
    ------
    DataError
        Bad index; gaps with ``gap_policy="error"`` (count and first three UTC stamps);
        with the filling policies, data that start later or end earlier than the period by
        more than one source step (names both spans).
    """
    if how not in ("mean", "sum"):
        raise DataError(f"how must be 'mean' or 'sum', got {how!r}", file=file, field=field)
    if gap_policy not in ("error", "interpolate", "ffill"):
        raise DataError(
            f"gap_policy must be 'error', 'interpolate' or 'ffill', got {gap_policy!r}",
            file=file,
            field=field,
        )
    if not isinstance(target_index, pd.DatetimeIndex) or target_index.tz is None:
        raise DataError("target index must be a tz-aware DatetimeIndex", file=file, field=field)
    if len(target_index) == 0:
        raise DataError("target index is empty", file=file, field=field)
    target = target_index.tz_convert("UTC")
    t_step = _index_step(target, file, field, "target index")
    if len(target) > 1 and np.any(np.diff(_ns(target)) != t_step):
        raise DataError("target index is not regular", file=file, field=field)

    _require_datetime_index(series, file, field)
    if series.index.tz is None:
        raise DataError(
            "series index has no time zone; convert it with to_utc first", file=file, field=field
        )
    check_index(series, file=file, field=field)
    src_index = series.index.tz_convert("UTC")
    try:
        src_values = np.asarray(series.to_numpy(), dtype=float)
    except (TypeError, ValueError):
        raise DataError(
            f"expected numbers, found dtype {series.dtype}", file=file, field=field
        ) from None
    if len(src_index) == 0:
        raise DataError("series is empty", file=file, field=field)
    s_step = _index_step(src_index, file, field, "series")
    src_ns = _ns(src_index)
    origin = int(src_ns[0])
    off_grid = (src_ns - origin) % s_step != 0
    if off_grid.any():
        bad = src_index[np.flatnonzero(off_grid)[0]]
        raise DataError(
            f"irregular time stamps: {bad} is not on the series' {pd.Timedelta(s_step)} grid "
            f"starting {src_index[0]}",
            file=file,
            field=field,
        )

    t0 = int(_ns(target)[0])
    g = math.gcd(math.gcd(s_step, t_step), abs(origin - t0) % s_step or s_step)
    k = t_step // g
    if len(target) * k > 50_000_000:
        raise DataError(
            f"source step {pd.Timedelta(s_step)} and target step {pd.Timedelta(t_step)} (offset "
            f"{pd.Timedelta(abs(origin - t0) % s_step)}) share only a {pd.Timedelta(g)} grid; "
            f"put the series on a coarser common grid first",
            file=file,
            field=field,
        )
    fine = t0 + g * np.arange(len(target) * k, dtype=np.int64)
    pos = np.searchsorted(src_ns, fine, side="right") - 1
    inside = (pos >= 0) & (fine < src_ns[np.clip(pos, 0, None)] + s_step)
    fine_values = np.full(fine.shape, np.nan)
    fine_values[inside] = src_values[pos[inside]]
    if how == "sum":
        fine_values *= g / s_step
    blocks = fine_values.reshape(len(target), k)
    if how == "mean":
        valid = ~np.isnan(blocks)
        n_valid = valid.sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            values = np.where(valid, blocks, 0.0).sum(axis=1) / n_valid
        # a step missing part of its data is a gap like an empty one: averaging what is
        # there would hide it (and the gap policy decides, and reports, what fills it)
        values[n_valid < k] = np.nan
    else:
        values = blocks.sum(axis=1)  # NaN if any sub-step is missing
    name = field if field is not None else series.name
    out = pd.Series(values, index=target.rename("time_utc"), name=name)

    gaps = out.isna().to_numpy()
    n_gaps = int(gaps.sum())
    if n_gaps == 0:
        return out, 0
    ok = ~np.isnan(src_values)
    if not ok.any():
        raise DataError("series has no valid values", file=file, field=field)
    covered = (src_index[ok][0], src_index[ok][-1] + pd.Timedelta(s_step))
    required = (target[0], target[-1] + pd.Timedelta(t_step))
    tol = pd.Timedelta(s_step)
    if covered[0] > required[0] + tol or covered[1] < required[1] - tol:
        raise DataError(
            f"data cover {covered[0]} .. {covered[1]} but the period needs "
            f"{required[0]} .. {required[1]} (gaps at the ends are filled only up to one "
            f"source step, {tol})",
            file=file,
            field=field,
        )
    if gap_policy == "error":
        first = ", ".join(str(t) for t in out.index[gaps][:3])
        raise DataError(
            f"{n_gaps} of {len(out)} time steps have no data (first missing UTC: {first}); "
            f"set gap_policy to 'interpolate' or 'ffill' to fill them",
            file=file,
            field=field,
        )
    if gap_policy == "interpolate":
        filled = out.interpolate(method="time", limit_area="inside")
    else:
        filled = out.ffill()
    filled = filled.ffill().bfill()  # ends, within one source step (checked above)
    return filled, n_gaps


def map_typical_year(series: pd.Series, year: int, tz: str) -> pd.Series:
    """Re-stamp a typical-meteorological-year series onto a calendar year.

    A typical year (TMY3, NSRDB TMY, PVGIS TMY) strings together months from different
    years. Each row keeps its (month, day, hour, minute) in the *standard* (no daylight
    saving) time of ``tz`` and gets ``year``. Rows that the source's leap years put on
    Feb 29 (an hour-24 stamp of Feb 28, or a time-zone shift) move to Mar 1 where that slot
    is empty and are dropped otherwise; in a leap target year Feb 29 is a copy of Feb 28.

    Parameters
    ----------
    series : pandas.Series or DataFrame
        Typical-year data. A naive index is wall-clock local standard time of ``tz``; an
        aware index (any zone, e.g. UTC or pvlib's fixed offset) is first converted to that
        standard time, so the re-stamping reproduces the file's local hours.
    year : int
        Target calendar year.
    tz : str
        Site time zone (IANA name, its standard offset is used) or fixed offset.

    Returns
    -------
    pandas.Series or DataFrame
        Sorted, UTC index named ``time_utc``, one row per source slot of ``year`` (8760 or
        8784 for hourly data).

    Raises
    ------
    DataError
        If two rows land on the same slot.
    """
    _require_datetime_index(series, None, None)
    std = standard_time_zone(tz, year)
    index = series.index
    wall = index.tz_convert(std).tz_localize(None) if index.tz is not None else index
    keys = pd.DataFrame(
        {
            "month": wall.month,
            "day": wall.day,
            "hour": wall.hour,
            "minute": wall.minute,
            "second": wall.second,
        }
    )
    feb29 = ((keys["month"] == 2) & (keys["day"] == 29)).to_numpy()
    if feb29.any():
        tod = keys[["hour", "minute", "second"]].apply(tuple, axis=1)
        mar1_tod = set(tod[(keys["month"] == 3) & (keys["day"] == 1)])
        move = feb29 & ~tod.isin(mar1_tod).to_numpy()
        keys.loc[move, ["month", "day"]] = (3, 1)
        keep = ~(feb29 & ~move)
        keys = keys[keep]
        data = series[keep]
    else:
        data = series
    is_leap = pd.Timestamp(year=year, month=1, day=1).is_leap_year
    if is_leap:
        feb28 = ((keys["month"] == 2) & (keys["day"] == 28)).to_numpy()
        extra_keys = keys[feb28].assign(day=29)
        keys = pd.concat([keys, extra_keys], ignore_index=True)
        data = pd.concat([data, data[feb28]])
    keys = keys.reset_index(drop=True)
    stamps = pd.to_datetime(keys.assign(year=year)[
        ["year", "month", "day", "hour", "minute", "second"]
    ])
    new_index = pd.DatetimeIndex(stamps).tz_localize(std).tz_convert("UTC").rename("time_utc")
    out = data.copy()
    out.index = new_index
    if out.index.has_duplicates:
        first = out.index[out.index.duplicated()][0]
        raise DataError(f"two typical-year rows map to {first} in {year}")
    return out.sort_index()
