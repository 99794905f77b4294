"""Readers for the time-series data formats dcflex understands, and one entry point.

:data:`FORMATS` maps a format name to a reader ``reader(path, **options) -> DataFrame``;
:func:`read_series` reads one column with its unit, which is what a scenario's file input
needs. Every reader returns a UTC-indexed (``time_utc``) frame whose column names carry the
unit and whose ``attrs["units"]`` gives it (see :mod:`dcflex.data.readers.generic`).

=====================  ====================================================================
format                 reader
=====================  ====================================================================
``electricitymaps``    :func:`~dcflex.data.readers.electricitymaps.read_electricitymaps`
``greendcc_price``     :func:`~dcflex.data.readers.greendcc.read_greendcc_price`
``entsoe``             :func:`~dcflex.data.readers.entsoe.read_entsoe_wide`
``caiso_oasis``        :func:`~dcflex.data.readers.caiso.read_caiso_oasis_lmp`
``price_8760``         :func:`~dcflex.data.readers.caiso.read_price_8760` (needs ``year``, ``tz``)
``openmeteo``          :func:`~dcflex.data.readers.openmeteo.read_openmeteo`
``tmy3``               :func:`~dcflex.data.readers.weather.read_tmy3` (typical year: ``year``)
``nsrdb``              :func:`~dcflex.data.readers.weather.read_nsrdb`
``pvgis``              :func:`~dcflex.data.readers.weather.read_pvgis_tmy` (typical year: ``year``)
``srw``                :func:`~dcflex.data.readers.weather.read_srw` (needs ``tz``)
``dcrl_eia``           :func:`~dcflex.data.readers.dcrl.read_dcrl_eia`
``eia930``             ``dcflex.data.readers.eia930.read_eia930_demand`` (MW)
``csv``, ``parquet``   :func:`~dcflex.data.readers.generic.read_generic` (needs ``unit``)
=====================  ====================================================================
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from dcflex.data.readers.caiso import read_caiso_oasis_lmp, read_price_8760
from dcflex.data.readers.dcrl import read_dcrl_eia
from dcflex.data.readers.electricitymaps import read_electricitymaps
from dcflex.data.readers.entsoe import read_entsoe_wide
from dcflex.data.readers.generic import (
    check_tz_matches,
    finish_frame,
    read_generic,
    reason,
    require_file,
)
from dcflex.data.readers.greendcc import read_greendcc_price
from dcflex.data.readers.openmeteo import read_openmeteo
from dcflex.data.readers.weather import read_nsrdb, read_pvgis_tmy, read_srw, read_tmy3
from dcflex.data.units import normalize_unit, units_equivalent
from dcflex.errors import DataError

__all__ = ["FORMATS", "GENERIC_FORMATS", "TYPICAL_YEAR_FORMATS", "read_series"]


def read_eia930(path: str | Path, *, tz: str | None = None) -> pd.DataFrame:
    """EIA-930 demand through ``dcflex.data.readers.eia930.read_eia930_demand`` (imported when
    used).

    Columns ending in ``_mw`` are MW (EIA-930 reports demand in MW; eia930-cleaned-demand
    SOURCE.txt) unless that reader declares units in ``attrs["units"]``.
    """
    path = require_file(path)
    check_tz_matches(tz, "UTC", path, "EIA-930 date_time is UTC")
    from dcflex.data.readers.eia930 import read_eia930_demand

    df = read_eia930_demand(path)
    declared = dict(df.attrs.get("units") or {})
    units = {}
    for col in df.columns:
        if col in declared:
            units[col] = declared[col]
        elif str(col).endswith("_mw"):
            units[col] = "MW"
        else:
            raise DataError(f"EIA-930 reader gives no unit for column {col!r}", file=path)
    extra = {k: v for k, v in df.attrs.items() if k not in ("units", "source_file")}
    return finish_frame(df, path, units, **extra)


def _read_csv(path: str | Path, **options: Any) -> pd.DataFrame:
    """Generic CSV (:func:`dcflex.data.readers.generic.read_generic`)."""
    return read_generic(path, fmt="csv", **options)


def _read_parquet(path: str | Path, **options: Any) -> pd.DataFrame:
    """Generic Parquet (:func:`dcflex.data.readers.generic.read_generic`)."""
    return read_generic(path, fmt="parquet", **options)


FORMATS: dict[str, Callable[..., pd.DataFrame]] = {
    "electricitymaps": read_electricitymaps,
    "greendcc_price": read_greendcc_price,
    "entsoe": read_entsoe_wide,
    "caiso_oasis": read_caiso_oasis_lmp,
    "price_8760": read_price_8760,
    "openmeteo": read_openmeteo,
    "tmy3": read_tmy3,
    "nsrdb": read_nsrdb,
    "pvgis": read_pvgis_tmy,
    "srw": read_srw,
    "dcrl_eia": read_dcrl_eia,
    "eia930": read_eia930,
    "csv": _read_csv,
    "parquet": _read_parquet,
}
"""Format name -> reader ``reader(path, **options) -> DataFrame``."""

GENERIC_FORMATS = frozenset({"csv", "parquet"})
"""Formats whose files state no unit: :func:`read_series` needs ``unit``."""

TYPICAL_YEAR_FORMATS = frozenset({"tmy3", "pvgis"})
"""Formats holding a typical year: :func:`read_series` needs ``year``."""

_GENERIC_OPTIONS = ("time_column",)


def _accepted(reader: Callable[..., Any], fmt: str) -> set[str]:
    if fmt in GENERIC_FORMATS:
        return {"tz", *_GENERIC_OPTIONS}
    params = inspect.signature(reader).parameters
    return {n for n, p in params.items() if p.kind is p.KEYWORD_ONLY}


def read_series(
    path: str | Path,
    format: str,  # noqa: A002 - the scenario field's name
    column: str | None = None,
    tz: str | None = None,
    unit: str | None = None,
    **options: Any,
) -> tuple[pd.Series, str]:
    """Read one column of a data file, UTC-indexed, with its unit.

    Parameters
    ----------
    path : path
        The file.
    format : str
        A key of :data:`FORMATS`.
    column : str, optional
        Column to return: a dcflex name (``price_usd_per_mwh``) or the file's own header
        (``"Price (USD/MWh)"``, ``"DE"``, ``"avg_CI"``). May be omitted if the file has one
        value column.
    tz : str, optional
        Zone of naive time stamps (generic formats, ``price_8760``, ``srw``). For formats
        that define their zone it may be given only if it agrees.
    unit : str, optional
        Unit of the column. Required for ``csv``/``parquet``; for the other formats, if
        given, it must equal the format's unit (after :func:`~dcflex.data.units.normalize_unit`)
        -- a check that the scenario means the data it points at.
    **options
        Reader keywords, e.g. ``year`` (``price_8760``, ``tmy3``, ``pvgis``, ``caiso_oasis``),
        ``time_column`` (generic), ``node`` (``caiso_oasis``).

    Returns
    -------
    series : pandas.Series
        Float values on the UTC index, named after the column; ``attrs`` of the file.
    unit : str
        Canonical unit of the values.

    Raises
    ------
    DataError
        Unknown format or option, missing file, unparsable content, missing column (lists
        the available ones), missing or contradicting unit.
    """
    if format not in FORMATS:
        raise DataError(f"unknown format {format!r}; expected one of {sorted(FORMATS)}",
                        file=path)
    path = require_file(path)
    reader = FORMATS[format]
    accepted = _accepted(reader, format)
    unknown = sorted(set(options) - accepted)
    if unknown:
        raise DataError(
            f"format {format!r} takes no option {unknown}; it takes {sorted(accepted - {'tz'})}",
            file=path,
        )
    if format in TYPICAL_YEAR_FORMATS and options.get("year") is None:
        raise DataError(f"format {format!r} holds a typical year: give year= to place it on "
                        f"a calendar year", file=path)
    if format in GENERIC_FORMATS and unit is None:
        raise DataError(f"format {format!r} does not state units: give unit=", file=path,
                        field=column)
    kwargs = dict(options)
    if tz is not None:
        kwargs["tz"] = tz
    try:
        frame = reader(path, **kwargs)
    except DataError:
        raise
    except TypeError as exc:  # a required keyword such as year= or tz= is missing
        raise DataError(f"format {format!r}: {reason(exc)}", file=path) from exc
    except (ValueError, KeyError, IndexError, json.JSONDecodeError,
            pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise DataError(f"cannot read as {format!r}: {reason(exc)}", file=path) from exc

    name = _pick_column(frame, column, path)
    series = frame[name].astype(float).rename(name)
    series.attrs = dict(frame.attrs)
    native = frame.attrs.get("units", {}).get(name)
    source = frame.attrs.get("source_units", {}).get(name)
    if native is None:
        out_unit = normalize_unit(unit)  # generic: caller's unit (unknown unit -> DataError)
    else:
        out_unit = normalize_unit(native)
        if unit is not None:
            try:
                ok = units_equivalent(unit, native) or (
                    source is not None and normalize_unit(unit) == normalize_unit(source))
            except DataError as exc:
                raise DataError(exc.message, file=path, field=name) from None
            if not ok:
                raise DataError(
                    f"unit {unit!r} given, but format {format!r} has this column in {native}"
                    + (f" (file: {source})" if source and source != native else ""),
                    file=path,
                    field=name,
                )
    series.attrs["unit"] = out_unit
    return series, out_unit


def _pick_column(frame: pd.DataFrame, column: str | None, path: Path) -> str:
    available = [str(c) for c in frame.columns]
    if column is None:
        if len(available) == 1:
            return available[0]
        raise DataError(f"the file has several columns; give column (available: {available})",
                        file=path)
    if column in frame.columns:
        return column
    aliases = frame.attrs.get("aliases", {})
    if column in aliases:
        return aliases[column]
    raise DataError(
        f"column {column!r} not found; available: {available}"
        + (f" (or the file's headers {sorted(aliases)})" if aliases else ""),
        file=path,
        field=column,
    )
