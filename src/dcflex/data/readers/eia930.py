"""Read EIA-930 hourly balancing-authority demand and handle its gaps and spikes.

The files are the per-BA exports of the Ruggles et al. data set (Zenodo 10.5281/zenodo.3517196,
Ruggles, Farnham & Wongel 2025, v1.4; method: Ruggles et al., Sci Data 7, 155 (2020)), which
carry the raw EIA Form 930 demand ("original_eia_files/<BA>.csv") and, for regions, also the
screened and imputed ("cleaned") demand. Underlying data: U.S. EIA, public domain; the export is
CC BY 4.0.

File format (one row per hour, UTC)::

    date_time,demand (MW)                          # raw BA files
    date_time,raw demand (MW),cleaned demand (MW)  # region files, e.g. TEX

Raw demand has the strings ``MISSING`` and ``EMPTY`` where EIA has no value. This module turns
them (and blank cells) into NaN and counts them; it never fills or drops anything by itself.
Filling is an explicit policy (:func:`fill_missing_demand`), and so is removing the obviously
wrong values raw EIA-930 files contain (:func:`screen_demand_spikes`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from dcflex.data.readers.generic import header_note, read_table, reason
from dcflex.errors import DataError

#: Strings the Ruggles et al. export writes where EIA-930 has no value (SOURCE.txt).
MISSING_MARKERS: tuple[str, ...] = ("MISSING", "EMPTY")

#: Raw header -> dcflex column name.
_COLUMNS: dict[str, str] = {
    "demand (MW)": "demand_mw",
    "raw demand (MW)": "demand_mw",
    "cleaned demand (MW)": "demand_cleaned_mw",
}

#: Common names for the EIA-930 BA codes used in the file names.
BA_ALIASES: dict[str, str] = {
    "ERCOT": "ERCO",
    "CAISO": "CISO",
    "PJM": "PJM",
    "TEXAS": "TEX",
}


def find_eia930_file(path: str | Path, ba: str) -> Path:
    """Return the demand file for one balancing authority.

    Parameters
    ----------
    path : path
        A CSV file (returned as is) or a folder holding ``<BA>_*.csv`` files, e.g.
        ``PJM_raw_2020-2024.csv`` or ``TEX_region_raw_and_cleaned_2020-2024.csv``.
    ba : str
        EIA-930 code (``PJM``, ``ERCO``, ``CISO``, ``TEX``) or a common name (``ERCOT``,
        ``CAISO``); case-insensitive.

    Raises
    ------
    DataError
        If the path does not exist, or the folder has no file (or more than one) for ``ba``.
    """
    path = Path(path)
    if path.is_file():
        return path
    if not path.is_dir():
        raise DataError("expected an EIA-930 CSV file or a folder of them; path does not exist",
                        file=path)
    code = BA_ALIASES.get(ba.upper(), ba.upper())
    matches = sorted(p for p in path.glob("*.csv") if p.name.upper().startswith(code + "_"))
    if len(matches) != 1:
        available = available_bas(path)
        found = [m.name for m in matches] if matches else "none"
        raise DataError(
            f"expected exactly one file named {code}_*.csv for BA {ba!r}, found {found}; "
            f"BAs in this folder: {available}",
            file=path,
            field="ba",
        )
    return matches[0]


def read_eia930_demand(path: str | Path, column: str | None = None) -> pd.DataFrame:
    """Read one EIA-930 hourly demand file of the Ruggles et al. export.

    Parameters
    ----------
    path : path
        CSV with a ``date_time`` column (UTC, ``YYYY-MM-DD HH:MM:SS``) and ``demand (MW)``, or
        ``raw demand (MW)`` and ``cleaned demand (MW)``.
    column : str, optional
        Keep only this column: a dcflex name (``demand_mw``, ``demand_cleaned_mw``) or a raw
        header (``"cleaned demand (MW)"``). Default: every demand column in the file.

    Returns
    -------
    pandas.DataFrame
        Index ``time_utc`` (tz-aware UTC, hourly), float columns ``demand_mw`` (raw demand, MW)
        and, for region files, ``demand_cleaned_mw`` (MW). ``MISSING``/``EMPTY`` markers and blank
        cells are NaN. ``df.attrs``: ``missing_hours`` (int, rows where any kept column is NaN),
        ``missing_by_column`` (dict), ``source_file`` (str).

    Raises
    ------
    DataError
        If the file is absent, a column is missing, a time stamp does not parse, repeats or goes
        backwards, or a cell holds text other than the missing markers.
    """
    path = Path(path)
    if not path.is_file():
        raise DataError("EIA-930 demand file not found", file=path)
    raw = read_table(path, dtype=str, keep_default_na=False)
    if "date_time" not in raw.columns:
        raise DataError(f"expected a 'date_time' column; {header_note(raw.columns)}",
                        file=path, field="date_time")
    present = {h: name for h, name in _COLUMNS.items() if h in raw.columns}
    if not present:
        raise DataError(
            f"expected a demand column {sorted(_COLUMNS)}; {header_note(raw.columns)}",
            file=path,
        )
    if column is not None:
        present = {h: n for h, n in present.items() if column in (h, n)}
        if not present:
            raise DataError(
                f"column {column!r} is not in this file; it has "
                f"{[_COLUMNS[h] for h in raw.columns if h in _COLUMNS]}",
                file=path,
                field=column,
            )

    try:
        time = pd.to_datetime(raw["date_time"], format="%Y-%m-%d %H:%M:%S")
    except (ValueError, TypeError) as exc:
        raise DataError(f"expected time stamps 'YYYY-MM-DD HH:MM:SS' (UTC): {reason(exc)}",
                        file=path, field="date_time") from exc
    index = pd.DatetimeIndex(time).tz_localize("UTC")
    index.name = "time_utc"
    if index.has_duplicates:
        dup = index[index.duplicated()][:3]
        raise DataError(f"expected unique hourly time stamps, found repeats at {list(dup)}",
                        file=path, field="date_time")
    if not index.is_monotonic_increasing:
        raise DataError("expected time stamps in increasing order", file=path, field="date_time")

    data: dict[str, np.ndarray] = {}
    missing_by_column: dict[str, int] = {}
    for header, name in present.items():
        text = raw[header].str.strip()
        is_marker = text.isin(MISSING_MARKERS) | (text == "")
        values = pd.to_numeric(text.where(~is_marker), errors="coerce")
        bad = values.isna() & ~is_marker
        if bad.any():
            rows = list(np.flatnonzero(bad.to_numpy())[:3] + 2)  # +2: header line, 1-based
            raise DataError(
                f"expected numbers or {MISSING_MARKERS} / blank, found "
                f"{list(text[bad].iloc[:3])} on lines {rows}",
                file=path,
                field=header,
            )
        data[name] = values.to_numpy(dtype=float)
        missing_by_column[name] = int(is_marker.sum())

    df = pd.DataFrame(data, index=index)
    df.attrs["missing_hours"] = int(df.isna().any(axis=1).sum())
    df.attrs["missing_by_column"] = missing_by_column
    df.attrs["source_file"] = str(path)
    return df


def _step(index: pd.DatetimeIndex) -> pd.Timedelta:
    """Most common spacing of ``index`` (the data's step length)."""
    diffs = pd.Series(index[1:] - index[:-1])
    if diffs.empty:
        raise DataError("expected at least two time stamps to know the step length")
    return diffs.mode().iloc[0]


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """(start, stop) positions of the runs of True in ``mask`` (stop exclusive)."""
    padded = np.concatenate(([False], mask, [False])).astype(np.int8)
    edges = np.flatnonzero(np.diff(padded))
    return list(zip(edges[::2].tolist(), edges[1::2].tolist(), strict=True))


def fill_missing_demand(
    series: pd.Series,
    policy: Literal["interpolate", "error", "drop", "interpolate-drop"] = "interpolate",
    max_gap_hours: float = 6.0,
) -> tuple[pd.Series, int]:
    """Apply a stated policy to missing demand values.

    Parameters
    ----------
    series : pandas.Series
        Demand, MW, on a regular tz-aware time index; NaN where missing.
    policy : {"interpolate", "error", "drop"}
        ``"interpolate"`` (default): linear in time across gaps of at most ``max_gap_hours``;
        a longer gap, or one at the start or end, raises. ``"error"``: any NaN raises.
        ``"drop"``: remove the NaN rows, so they count neither as curtailment hours nor in the
        hours a curtailment rate is divided by; the number removed is returned in
        ``attrs["dropped_hours"]`` (the CLI prints it). ``"interpolate-drop"``: interpolate the
        gaps ``"interpolate"`` can fill and drop the rest (the ``dcflex headroom`` default, as
        the PJM file has day-long reporting gaps).
    max_gap_hours : float
        Longest gap, in hours, that ``"interpolate"`` fills. Default 6 h: a judgment (a quarter
        of a day), not from a source; gaps of a day or more in the PJM file are outages of
        reporting, and a straight line across them would hide a daily peak.

    Returns
    -------
    series : pandas.Series
        Without NaN. ``attrs["filled_hours"]`` / ``attrs["dropped_hours"]`` record what was done.
    n_filled : int
        Number of values interpolated (0 for ``"error"`` and ``"drop"``).

    Raises
    ------
    DataError
        Naming the first missing time stamps, when the policy cannot deal with them.
    """
    if policy not in ("interpolate", "error", "drop", "interpolate-drop"):
        raise DataError("expected policy 'interpolate', 'error', 'drop' or 'interpolate-drop', "
                        f"got {policy!r}", field="policy")
    name = series.name if series.name is not None else "demand_mw"
    missing = series.isna().to_numpy()
    n_missing = int(missing.sum())
    out = series.copy()
    out.attrs = dict(series.attrs)
    if n_missing == 0:
        out.attrs.update(filled_hours=0, dropped_hours=0)
        return out, 0
    first = [str(t) for t in series.index[missing][:5]]
    if policy == "error":
        raise DataError(
            f"expected no missing values, found {n_missing} (first at {first}); use policy "
            "'interpolate' (short gaps) or 'drop'",
            field=str(name),
        )
    if policy == "drop":
        out = out[~missing]
        out.attrs.update(filled_hours=0, dropped_hours=n_missing)
        return out, 0

    step_h = _step(series.index) / pd.Timedelta(hours=1)
    runs = _runs(missing)
    too_long = [(a, b) for a, b in runs if (b - a) * step_h > max_gap_hours]
    at_edge = [(a, b) for a, b in runs if a == 0 or b == len(series)]
    if (too_long or at_edge) and policy == "interpolate-drop":
        drop = np.zeros(len(series), dtype=bool)
        for a, b in set(too_long) | set(at_edge):
            drop[a:b] = True
        filled = out.interpolate(method="time", limit_area="inside")[~drop]
        filled.attrs = dict(series.attrs)
        n_filled = n_missing - int(drop.sum())
        filled.attrs.update(filled_hours=n_filled, dropped_hours=int(drop.sum()))
        return filled, n_filled
    if too_long or at_edge:
        bad = sorted(set(too_long) | set(at_edge))
        what = ", ".join(
            f"{series.index[a]} .. {series.index[b - 1]} ({(b - a) * step_h:g} h)"
            for a, b in bad[:5]
        )
        raise DataError(
            f"expected gaps of at most {max_gap_hours:g} h between known values to interpolate, "
            f"found {len(bad)} longer or at the ends of the data: {what}; "
            "use policy 'drop' to leave them out of the count",
            field=str(name),
        )
    out = out.interpolate(method="time", limit_area="inside")
    out.attrs.update(filled_hours=n_missing, dropped_hours=0)
    return out, n_missing


def screen_demand_spikes(
    series: pd.Series,
    spike_ratio: float = 1.2,
    global_ratio: float = 10.0,
) -> tuple[pd.Series, pd.DatetimeIndex]:
    """Set physically implausible demand values to NaN and say which.

    Two tests, simplified from the anomaly screening of Ruggles et al. (Sci Data 7, 155, 2020),
    whose "global" and single-hour "delta" filters they follow in spirit (the ratios are ours):

    - global: value <= 0 or above ``global_ratio`` times the series median;
    - single-hour spike: value above ``spike_ratio`` times both neighbours, or below both
      neighbours divided by ``spike_ratio``.

    Parameters
    ----------
    series : pandas.Series
        Demand, MW, NaN allowed.
    spike_ratio : float
        Default 1.2. In the 2020-2024 CISO, ERCO and PJM raw files no genuine hour stands out
        from both neighbours by more than 8.2 %, while the bad PJM values (for example
        262,651 MW on 2020-07-24 16:00 UTC between 108,528 and 118,858 MW) do by 24 % to 190 %.
    global_ratio : float
        Default 10, for values like the 2,147,480,000 MW in the PJM file (2021-10-19).

    Returns
    -------
    series : pandas.Series
        Copy with flagged values set to NaN; ``attrs["screened_hours"]`` holds their number.
    flagged : pandas.DatetimeIndex
        Time stamps set to NaN.
    """
    if spike_ratio <= 1 or global_ratio <= 1:
        raise DataError(
            f"expected spike_ratio > 1 and global_ratio > 1, got {spike_ratio}, {global_ratio}",
            field="spike_ratio",
        )
    v = series.to_numpy(dtype=float)
    median = float(np.nanmedian(v)) if np.isfinite(v).any() else np.nan
    with np.errstate(invalid="ignore"):
        glob = (v <= 0) | (v > global_ratio * median)
        prev = np.concatenate(([np.nan], v[:-1]))
        nxt = np.concatenate((v[1:], [np.nan]))
        # Neighbours that are themselves globally wrong must not hide (or fake) a spike.
        prev[np.concatenate(([False], glob[:-1]))] = np.nan
        nxt[np.concatenate((glob[1:], [False]))] = np.nan
        up = (v > spike_ratio * prev) & (v > spike_ratio * nxt)
        down = (v * spike_ratio < prev) & (v * spike_ratio < nxt)
    flag = glob | up | down
    out = series.copy()
    out.attrs = dict(series.attrs)
    out[flag] = np.nan
    out.attrs["screened_hours"] = int(flag.sum())
    return out, pd.DatetimeIndex(series.index[flag])


def available_bas(folder: str | Path) -> list[str]:
    """BA codes of the ``<BA>_*.csv`` files in ``folder``."""
    return sorted({p.name.split("_")[0] for p in Path(folder).glob("*_*.csv")})
