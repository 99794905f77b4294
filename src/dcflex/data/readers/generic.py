"""Generic time-series tables (CSV, Parquet) and helpers shared by the format readers.

Every reader in :mod:`dcflex.data.readers` returns a DataFrame indexed by tz-aware UTC time stamps
named
``time_utc`` whose ``attrs`` carry:

- ``units``: column -> unit of the returned numbers (canonical spelling, see
  :func:`dcflex.data.units.normalize_unit`);
- ``source_units``: column -> unit in the file, where the reader converted;
- ``aliases``: other names a caller may use for a column (the file's own header);
- ``source_file``: the path read.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from dcflex.data.timeseries import check_index, to_utc
from dcflex.errors import DataError

TIME_COLUMN_NAMES = ("time_utc", "time", "timestamp", "datetime", "date_time", "date")
"""Header names (case-insensitive) taken as the time column when none is named."""


def header_note(columns: Any) -> str:
    """How many columns a file's header has, without quoting it.

    A file that lacks the expected columns may be anything (a system file named by mistake or
    on purpose), so messages count its columns instead of printing its first line.
    """
    n = len(columns)
    return f"the file's header has {n} column{'' if n == 1 else 's'}, none of them named so"


def reason(exc: BaseException) -> str:
    """The first line of a parser's error message, with long quoted text cut out.

    Parsers quote the text they choke on (``could not convert string to float: '...'``); for
    a file that is not data that text is a line of it, which a message must not repeat.
    """
    text = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    text = re.sub(r"""(['"])([^'"]{25,})\1""", r"\1…\1", text)
    return text[:160] or type(exc).__name__


def require_file(path: str | Path) -> Path:
    """Return ``path`` as a Path, or raise DataError if it is not an existing file."""
    path = Path(path)
    if not path.is_file():
        raise DataError("data file not found", file=path)
    return path


def check_tz_matches(tz: str | None, file_tz: str, path: Path, how: str) -> None:
    """Refuse a caller's ``tz`` that contradicts the zone a file's format defines.

    Parameters
    ----------
    tz : str or None
        What the caller said; None means "as the format says".
    file_tz : str
        Zone the format puts its time stamps in (e.g. ``"UTC"``, ``"UTC-06:00"``).
    path : Path
        For the message.
    how : str
        Where the format states its zone (e.g. ``"SOURCE.txt: UTC"``).
    """
    if tz is None:
        return
    probe = pd.date_range("2001-01-01", periods=2, freq="182D")
    a = probe.tz_localize(_zone(tz, path)).tz_convert("UTC")
    b = probe.tz_localize(_zone(file_tz, path)).tz_convert("UTC")
    if not a.equals(b):
        raise DataError(
            f"tz={tz!r} contradicts the file's own time zone {file_tz} ({how}); omit tz",
            file=path,
        )


def _zone(tz: str, path: Path) -> Any:
    from dcflex.data.timeseries import _tzinfo

    return _tzinfo(tz, file=path)


def finish_frame(
    df: pd.DataFrame,
    path: Path,
    units: dict[str, str],
    *,
    source_units: dict[str, str] | None = None,
    aliases: dict[str, str] | None = None,
    **attrs: Any,
) -> pd.DataFrame:
    """Check a reader's result and attach its metadata.

    The index must already be tz-aware; it is converted to UTC, named ``time_utc`` and
    checked (sorted, unique). Columns become float.
    """
    df = df.copy()
    df.index = pd.DatetimeIndex(df.index).tz_convert("UTC").rename("time_utc")
    check_index(df, file=path)
    missing = [c for c in df.columns if c not in units]
    if missing:  # a programming error in a reader, but say it plainly
        raise DataError(f"no unit declared for columns {missing}", file=path)
    for col in df.columns:
        df[col] = numeric_column(df[col], path, col)
    df.attrs = {
        "units": dict(units),
        "source_units": dict(source_units or units),
        "aliases": dict(aliases or {}),
        "source_file": str(path),
        **attrs,
    }
    return df


def numeric_column(values: pd.Series, path: Path, field: str) -> pd.Series:
    """Values as float; blank cells are NaN, any other text is a DataError naming it."""
    if pd.api.types.is_numeric_dtype(values.dtype) and not pd.api.types.is_bool_dtype(
        values.dtype
    ):
        return values.astype(float)
    text = values.astype("string").str.strip()
    blank = text.isna() | (text == "")
    numbers = pd.to_numeric(text.where(~blank), errors="coerce")
    bad = numbers.isna() & ~blank
    if bad.any():
        rows = np.flatnonzero(bad.to_numpy())
        raise DataError(
            f"expected numbers, found {int(bad.sum())} other cells, first "
            f"{list(text[bad].iloc[:3])} at {[str(values.index[r]) for r in rows[:3]]}",
            file=path,
            field=field,
        )
    return numbers.astype(float)


def parse_times(
    values: pd.Series, path: Path, field: str, fmt: str | None = None, *, utc: bool = False
) -> pd.Series:
    """Parse a column of time stamps, as a DataError naming the first unparsable one.

    Stamps that all carry a UTC offset may change offset within the file (local time exported
    across a daylight-saving change, ``...-05:00`` then ``...-04:00``): they are read as UTC.
    """
    try:
        return pd.to_datetime(values, format=fmt, utc=utc)
    except (ValueError, TypeError):
        text = values.dropna().astype("string").str.strip()
        if len(text) and text.str.contains(r"(?:Z|[+-]\d{2}:?\d{2})$", regex=True).all():
            try:
                return pd.to_datetime(values, format=fmt, utc=True)
            except (ValueError, TypeError):
                pass
        parsed = pd.to_datetime(values, format=fmt, errors="coerce", utc=True)
        bad = values[parsed.isna() & values.notna()]
        first = bad.iloc[0] if len(bad) else "(mixed time zones)"
        raise DataError(f"cannot parse time stamp {first!r}", file=path, field=field) from None


def read_table(path: str | Path, *, fmt: str = "csv", **read_options: Any) -> pd.DataFrame:
    """Read a CSV or Parquet file as text/numbers, with parse errors as DataError."""
    path = require_file(path)
    try:
        if fmt == "parquet":
            return pd.read_parquet(path, **read_options)
        return pd.read_csv(path, **read_options)
    except (ValueError, OSError, pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise DataError(f"cannot read as {fmt}: {reason(exc)}", file=path) from exc


def read_generic(
    path: str | Path,
    *,
    time_column: str | None = None,
    tz: str | None = None,
    fmt: str = "csv",
) -> pd.DataFrame:
    """Read a table with one time column and value columns.

    Parameters
    ----------
    path : path
        CSV or Parquet file.
    time_column : str, optional
        Header of the time column. If omitted, the one column whose name is in
        :data:`TIME_COLUMN_NAMES` (case-insensitive) is used.
    tz : str, optional
        Zone of naive time stamps (required for them); ignored for stamps with a UTC offset.
    fmt : {"csv", "parquet"}

    Returns
    -------
    pandas.DataFrame
        Every other column, parsed as numbers (blank -> NaN), on a UTC index ``time_utc``.
        The file states no units: ``attrs["units"]`` maps each column to ``None``; the
        caller says the unit (:func:`dcflex.data.readers.read_series` requires it).

    Raises
    ------
    DataError
        Missing file, no or unknown time column, naive times without ``tz``, unparsable
        time stamps, repeats, non-numeric cells.
    """
    path = require_file(path)
    # only blank cells are missing: other markers ("n/a", "MISSING") are reported, not guessed
    options = {"keep_default_na": False, "na_values": ["", "NaN", "nan"]} if fmt == "csv" else {}
    table = read_table(path, fmt=fmt, **options)
    columns = [str(c) for c in table.columns]
    table.columns = columns
    if time_column is None:
        found = [c for c in columns if c.strip().lower() in TIME_COLUMN_NAMES]
        if len(found) != 1:
            which = f"several candidates {found}" if found else "none named like a time"
            raise DataError(f"cannot tell the time column ({which}): give time_column",
                            file=path)
        time_column = found[0]
    if time_column not in columns:
        raise DataError(
            f"time column {time_column!r} not found; {header_note(columns)}",
            file=path,
            field=time_column,
        )
    times = table[time_column]
    if not pd.api.types.is_datetime64_any_dtype(times.dtype):
        times = parse_times(times.astype("string"), path, time_column)
    values = table.drop(columns=[time_column])
    values.index = pd.DatetimeIndex(times)
    values = to_utc(values, tz, file=path, field=time_column)
    units = dict.fromkeys(values.columns)
    return finish_frame(values, path, units)
