"""CAISO prices: OASIS ``PRC_LMP`` raw exports and 8760-value price lists.

OASIS export (``hopp-nrel/IRONMTN_2_N001_LMP_DAM60_20180101_20190101.csv``, SOURCE.txt): one row
per interval and LMP component; ``LMP_TYPE`` is ``LMP`` for the full price (other exports add
``MCE``/``MCC``/``MCL``/``MGHG`` components), ``MW`` holds the price in $/MWh (OASIS's column
name, not a power), ``INTERVALSTARTTIME_GMT`` is the interval start with offset.

8760 list (``hopp-nrel/pricing-data-20xx-IronMtn-002.csv``): one value per line, no header, no
time stamps, hour-of-year order; the caller says which year and which time zone.

Source: CAISO OASIS (public market data) as shipped in NREL/HOPP (BSD-3).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from dcflex.data.readers.generic import (
    check_tz_matches,
    finish_frame,
    header_note,
    parse_times,
    read_table,
)
from dcflex.errors import DataError

OASIS_UNITS = {"lmp_usd_per_mwh": "USD/MWh"}
"""Unit of the OASIS reader's column."""

PRICE_8760_UNITS = {"price_usd_per_mwh": "USD/MWh"}
"""Unit of the 8760-list reader's column."""

_START, _TYPE, _VALUE, _NODE = "INTERVALSTARTTIME_GMT", "LMP_TYPE", "MW", "NODE"


def read_caiso_oasis_lmp(
    path: str | Path,
    *,
    year: int | None = None,
    node: str | None = None,
    tz: str | None = None,
) -> pd.DataFrame:
    """Read a CAISO OASIS ``PRC_LMP`` export.

    Parameters
    ----------
    path : path
    year : int, optional
        Keep only intervals starting in this UTC year (OASIS exports overrun by a few hours).
    node : str, optional
        Node to keep; required if the file holds several.
    tz : str, optional
        Must be UTC-equivalent if given (``INTERVALSTARTTIME_GMT``).

    Returns
    -------
    pandas.DataFrame
        ``lmp_usd_per_mwh`` on a UTC index of interval starts; ``attrs["node"]``.
    """
    path = Path(path)
    check_tz_matches(tz, "UTC", path, "OASIS INTERVALSTARTTIME_GMT")
    table = read_table(path)
    for col in (_START, _TYPE, _VALUE):
        if col not in table.columns:
            raise DataError(
                f"expected OASIS column {col!r}; {header_note(table.columns)}",
                file=path,
                field=col,
            )
    table = table[table[_TYPE].astype(str).str.strip() == "LMP"]
    if table.empty:
        raise DataError("no rows with LMP_TYPE == 'LMP'", file=path, field=_TYPE)
    nodes = sorted(table[_NODE].astype(str).unique()) if _NODE in table.columns else []
    if node is not None:
        if node not in nodes:
            raise DataError(f"node {node!r} not in file; nodes: {nodes}", file=path, field=_NODE)
        table = table[table[_NODE].astype(str) == node]
    elif len(nodes) > 1:
        raise DataError(f"file holds several nodes {nodes}; give node=", file=path, field=_NODE)
    start = pd.DatetimeIndex(parse_times(table[_START], path, _START, utc=True))
    df = pd.DataFrame({"lmp_usd_per_mwh": table[_VALUE].to_numpy()}, index=start).sort_index()
    if year is not None:
        df = df[df.index.year == year]
        if df.empty:
            raise DataError(f"no intervals in year {year}", file=path, field=_START)
    return finish_frame(
        df, path, OASIS_UNITS, aliases={_VALUE: "lmp_usd_per_mwh"},
        node=nodes[0] if len(nodes) == 1 else node,
    )


def hour_of_year_index(year: int, n: int, tz: str, path: Path) -> pd.DatetimeIndex:
    """UTC stamps of ``n`` consecutive hours from local midnight, Jan 1 of ``year``.

    A leap year given as 8760 values skips Feb 29, the convention of NREL's SAM/HOPP and of
    the NSRDB/WIND Toolkit downloads (their ``leap_day=false`` default; the staged 2012 PSM3
    file has no Feb 29).
    """
    from dcflex.data.timeseries import _tzinfo

    zone = _tzinfo(tz, file=path)
    start = pd.Timestamp(year=year, month=1, day=1).tz_localize(zone)
    leap = start.is_leap_year
    full = 8784 if leap else 8760
    if n == full:
        index = pd.date_range(start, periods=n, freq="h")
    elif leap and n == 8760:
        index = pd.date_range(start, periods=8784, freq="h")
        local = index.tz_convert(zone)
        index = index[~((local.month == 2) & (local.day == 29))]
    else:
        raise DataError(
            f"expected {full} hourly values for {year}" + (" (or 8760 without Feb 29)" if leap
                                                           else "") + f", found {n}",
            file=path,
        )
    return index.tz_convert("UTC")


def read_price_8760(path: str | Path, *, year: int, tz: str) -> pd.DataFrame:
    """Read a headerless list of hourly prices (one per line, hour-of-year order).

    Parameters
    ----------
    path : path
    year : int
        Calendar year the values belong to.
    tz : str
        Zone whose Jan 1, 00:00 is the first value (e.g. ``"UTC-08:00"`` for local standard
        time in California). The values are consecutive hours from there.

    Returns
    -------
    pandas.DataFrame
        ``price_usd_per_mwh`` on a UTC index; ``attrs["skipped_feb29"]`` tells whether a leap
        year was given as 8760 values.
    """
    path = Path(path)
    table = read_table(path, header=None)
    if table.shape[1] != 1:
        raise DataError(f"expected one column of prices, found {table.shape[1]}", file=path)
    values = table.iloc[:, 0]
    index = hour_of_year_index(year, len(values), tz, path)
    df = pd.DataFrame({"price_usd_per_mwh": values.to_numpy()}, index=index)
    skipped = bool(pd.Timestamp(year=year, month=1, day=1).is_leap_year and len(values) == 8760)
    return finish_frame(df, path, PRICE_8760_UNITS, skipped_feb29=skipped, year=year,
                        tz=str(tz), n_values=int(np.size(values)))
