"""Weather and resource files for solar and wind: TMY3, NSRDB PSM3, PVGIS TMY, SAM ``.srw``.

The irradiance files are parsed by :mod:`pvlib.iotools` (``read_tmy3``, ``read_nsrdb_psm4`` --
pvlib 0.13+ removed ``read_psm3``; the PSM4 parser reads PSM v3 files, whose layout is the
same -- and ``read_pvgis_tmy``); this module renames columns to dcflex names with units, fixes
the time stamp convention and converts to UTC.

Time stamps label the start of the interval a value covers:

- TMY3 stamps the *end* of each hour (1:00 = 0:00-1:00, 24:00 = last hour; Wilcox & Marion,
  "Users Manual for TMY3 Data Sets", NREL/TP-581-43156, 2008); the reader moves them back one
  hour. The file is in local standard time (header field TZ).
- NSRDB PSM3 hourly files stamp the middle of the hour (``Minute`` = 30, instantaneous
  satellite values; NSRDB documentation); the reader floors them to the hour they describe.
  Local standard time, offset in the header. Leap days are absent from the API's default
  download (the staged 2012 file has 8760 rows, no Feb 29).
- PVGIS TMY stamps are UTC hour starts (``time(UTC)``; PVGIS user manual).
- SAM ``.srw`` wind files (NREL WIND Toolkit) carry no stamps: rows are consecutive hours of the
  header's year from Jan 1, 00:00 in a zone the caller gives; 8760 rows of a leap year skip
  Feb 29 (the download's ``leap_day=false`` default).

Typical-year files mix months of different years: pass ``year=`` to place them on one
calendar year (:func:`dcflex.data.timeseries.map_typical_year`); without it the frame keeps the
file's own stamps in file order (not sorted).

Data: NREL NSRDB and WIND Toolkit (cite Sengupta et al. 2018, Draxl et al. 2015); TMY3 (NREL);
PVGIS (European Commission JRC).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd

from dcflex.data.readers.generic import (
    check_tz_matches,
    finish_frame,
    header_note,
    reason,
    require_file,
)
from dcflex.data.timeseries import check_index, map_typical_year
from dcflex.errors import DataError

# pvlib name -> (dcflex name, unit)
_PVLIB = {
    "ghi": ("ghi_w_per_m2", "W/m2"),
    "dni": ("dni_w_per_m2", "W/m2"),
    "dhi": ("dhi_w_per_m2", "W/m2"),
    "temp_air": ("temp_air_c", "degC"),
    "temp_dew": ("temp_dew_c", "degC"),
    "relative_humidity": ("relative_humidity_pct", "%"),
    "wind_speed": ("wind_speed_m_per_s", "m/s"),
    "pressure": ("pressure_mbar", "mbar"),
}

UNITS = {name: unit for name, unit in _PVLIB.values()}
"""Unit of each column the TMY3 / NSRDB / PVGIS readers can return."""


def _fixed_zone(hours: float) -> dt.timezone:
    return dt.timezone(dt.timedelta(hours=float(hours)))


def _pvlib_frame(data: pd.DataFrame, path: Path) -> tuple[pd.DataFrame, dict, dict]:
    present = [c for c in _PVLIB if c in data.columns]
    if not {"ghi", "dni", "dhi"} <= set(present):
        raise DataError(
            f"expected ghi, dni, dhi columns from pvlib; {header_note(data.columns)}", file=path
        )
    df = pd.DataFrame({_PVLIB[c][0]: data[c].to_numpy(dtype=float) for c in present},
                      index=data.index)
    units = {_PVLIB[c][0]: _PVLIB[c][1] for c in present}
    aliases = {c: _PVLIB[c][0] for c in present}
    return df, units, aliases


def _typical(df: pd.DataFrame, path: Path, units, aliases, year, zone, **attrs) -> pd.DataFrame:
    if year is not None:
        df = map_typical_year(df, int(year), zone)
        return finish_frame(df, path, units, aliases=aliases, typical_year=True, year=int(year),
                            **attrs)
    # mixed-year stamps in file order: finish by hand (finish_frame would reject the order)
    out = df.copy()
    out.index = pd.DatetimeIndex(out.index).tz_convert("UTC").rename("time_utc")
    out.attrs = {"units": units, "source_units": units, "aliases": aliases,
                 "source_file": str(path), "typical_year": True, "year": None, **attrs}
    return out


def read_tmy3(path: str | Path, *, year: int | None = None, tz: str | None = None) -> pd.DataFrame:
    """Read a TMY3 file (e.g. pvlib's bundled ``723170TYA.CSV``).

    Parameters
    ----------
    path : path
    year : int, optional
        Calendar year to place the typical year on.
    tz : str, optional
        If given, its standard offset must equal the file's header TZ.

    Returns
    -------
    pandas.DataFrame
        ``ghi_w_per_m2``, ``dni_w_per_m2``, ``dhi_w_per_m2``, ``temp_air_c``, ``temp_dew_c``,
        ``relative_humidity_pct``, ``wind_speed_m_per_s``, ``pressure_mbar``; UTC index of
        hour starts. ``attrs``: ``latitude``, ``longitude``, ``utc_offset_hours``.
    """
    import pvlib.iotools

    path = require_file(path)
    try:
        data, meta = pvlib.iotools.read_tmy3(path, map_variables=True)
    except (ValueError, KeyError, IndexError) as exc:
        raise DataError(f"cannot read as TMY3: {reason(exc)}", file=path) from exc
    zone = _fixed_zone(meta["TZ"])
    if tz is not None:
        from dcflex.data.timeseries import standard_time_zone

        if standard_time_zone(tz, year or 2001) != zone:
            raise DataError(f"tz={tz!r} has a standard offset other than the file's TZ "
                            f"{meta['TZ']} h", file=path)
    df, units, aliases = _pvlib_frame(data, path)
    # Rebuild stamps from the raw columns: interval start = date + (hour - 1). pvlib's own
    # index turns "02/28/1996,24:00" into Mar 1 (skipping the leap day), which would collide.
    date_col, time_col = "Date (MM/DD/YYYY)", "Time (HH:MM)"
    if date_col not in data.columns or time_col not in data.columns:
        raise DataError(f"expected TMY3 columns {date_col!r}, {time_col!r}", file=path)
    hhmm = data[time_col].astype(str).str.split(":", expand=True).astype(int)
    start = (pd.to_datetime(data[date_col].astype(str), format="%m/%d/%Y")
             + pd.to_timedelta(hhmm[0] - 1, unit="h") + pd.to_timedelta(hhmm[1], unit="min"))
    df.index = pd.DatetimeIndex(start.to_numpy()).tz_localize(zone)
    return _typical(df, path, units, aliases, year, zone, latitude=meta["latitude"],
                    longitude=meta["longitude"], utc_offset_hours=float(meta["TZ"]))


def read_nsrdb(path: str | Path, *, tz: str | None = None) -> pd.DataFrame:
    """Read an NSRDB PSM (v3 or v4) CSV download of one year.

    Parameters
    ----------
    path : path
    tz : str, optional
        If given, must equal the file's fixed offset (header ``Time Zone``).

    Returns
    -------
    pandas.DataFrame
        Irradiance, temperature, wind (and humidity, dew point, pressure where present) on a
        UTC index of hour starts. ``attrs``: ``latitude``, ``longitude``, ``utc_offset_hours``.
    """
    import pvlib.iotools

    path = require_file(path)
    try:
        data, meta = pvlib.iotools.read_nsrdb_psm4(path, map_variables=True)
    except (ValueError, KeyError, IndexError) as exc:
        raise DataError(f"cannot read as NSRDB PSM CSV: {reason(exc)}", file=path) from exc
    offset = float(meta["Time Zone"])
    check_tz_matches(tz, _fixed_zone(offset), path, "header Time Zone")
    df, units, aliases = _pvlib_frame(data, path)
    steps = np.diff(df.index.as_unit("ns").asi8)
    step = pd.Timedelta(int(np.median(steps))) if len(steps) else pd.Timedelta("1h")
    # mid-interval instantaneous values describe the interval around them
    df.index = df.index.floor(step)
    check_index(df, file=path)
    return finish_frame(df, path, units, aliases=aliases, latitude=meta.get("latitude"),
                        longitude=meta.get("longitude"), utc_offset_hours=offset)


def read_pvgis_tmy(path: str | Path, *, year: int | None = None,
                   tz: str | None = None) -> pd.DataFrame:
    """Read a PVGIS TMY download (csv, json or epw).

    Parameters
    ----------
    path : path
    year : int, optional
        Calendar year to place the typical year on (months re-stamped in UTC).
    tz : str, optional
        Must be UTC-equivalent if given (csv/json stamps are UTC).
    """
    import pvlib.iotools

    path = require_file(path)
    try:
        data, meta = pvlib.iotools.read_pvgis_tmy(path, map_variables=True)
    except (ValueError, KeyError, IndexError, TypeError) as exc:
        raise DataError(f"cannot read as PVGIS TMY: {reason(exc)}", file=path) from exc
    zone = data.index.tz if data.index.tz is not None else dt.UTC
    check_tz_matches(tz, zone, path, "PVGIS time stamps")
    df, units, aliases = _pvlib_frame(data, path)
    inputs = meta.get("inputs", {}) if isinstance(meta, dict) else {}
    return _typical(df, path, units, aliases, year, zone,
                    latitude=inputs.get("latitude"), longitude=inputs.get("longitude"))


_SRW_NAMES = {
    "temperature": ("temp_air", "c", "degC"),
    "pressure": ("pressure", "atm", "atm"),
    "speed": ("wind_speed", "m_per_s", "m/s"),
    "direction": ("wind_direction", "deg", "deg"),
}


def read_srw(path: str | Path, *, tz: str) -> pd.DataFrame:
    """Read a SAM wind resource file (``.srw``, e.g. an NREL WIND Toolkit download).

    Layout: line 1 ``id, city, state, country, year, lat, lon, elevation, step_hours, rows``;
    line 2 a description; lines 3-5 variable names, units and heights (m); then data rows.

    Parameters
    ----------
    path : path
    tz : str
        Zone whose Jan 1, 00:00 is the first row. The file does not say; WIND Toolkit data
        are produced on UTC hours, so ``"UTC"`` is right for its downloads.

    Returns
    -------
    pandas.DataFrame
        Per height h: ``temp_air_{h}m_c``, ``pressure_{h}m_atm``, ``wind_speed_{h}m_m_per_s``,
        ``wind_direction_{h}m_deg``; UTC index. ``attrs``: ``latitude``, ``longitude``,
        ``year``, ``heights_m``.
    """
    from dcflex.data.readers.caiso import hour_of_year_index

    path = require_file(path)
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            head = [next(f).rstrip("\n").split(",") for _ in range(5)]
        year = int(float(head[0][4]))
        lat, lon = float(head[0][5]), float(head[0][6])
        step_hours = float(head[0][8])
        values = pd.read_csv(path, skiprows=5, header=None)
    except (StopIteration, IndexError, ValueError, pd.errors.ParserError) as exc:
        raise DataError(f"cannot read as SAM .srw: {reason(exc)}", file=path) from exc
    if step_hours != 1:
        raise DataError(f"expected hourly rows (step 1 h), header says {step_hours} h", file=path)
    names, unit_row, heights = head[2], head[3], head[4]
    if values.shape[1] != len(names):
        raise DataError(f"{values.shape[1]} data columns but {len(names)} names", file=path)
    columns, units, source_units = [], {}, {}
    for i, (name, unit, height) in enumerate(zip(names, unit_row, heights, strict=True)):
        key = name.strip().lower()
        if key not in _SRW_NAMES:
            raise DataError(f"unknown .srw variable {name!r} in column {i + 1}", file=path)
        base, suffix, canon = _SRW_NAMES[key]
        col = f"{base}_{float(height):g}m_{suffix}"
        columns.append(col)
        units[col] = canon
        source_units[col] = unit.strip()
    values.columns = columns
    values.index = hour_of_year_index(year, len(values), tz, path)
    return finish_frame(values, path, units, source_units=source_units, latitude=lat,
                        longitude=lon, year=year,
                        heights_m=sorted({float(h) for h in heights}))
