"""Open-Meteo historical-weather API responses (JSON).

Format (``green-dcc/weather/<ZONE>_2023.json``, SOURCE.txt): ``hourly.time`` holds naive ISO
stamps in the local time of the response's ``timezone`` field, with the variables in parallel
lists and their units in ``hourly_units`` (temperature_2m °C, relative_humidity_2m %,
cloudcover %, windspeed_10m km/h).

Time zone: Open-Meteo applies *one* UTC offset, ``utc_offset_seconds`` (the offset valid when the
request was made), to every stamp of a response; it does not switch at daylight-saving changes
(maintainer's answer in open-meteo/open-meteo issue #261, confirmed in #488 and #1764). Such a
response is a gapless run of wall-clock hours with neither the spring-forward hole nor the
fall-back repeat, which is what the staged files show. This reader therefore subtracts
``utc_offset_seconds`` when the stamps form such a run, and localizes them in ``timezone``
(daylight saving resolved by :func:`dcflex.data.timeseries.to_utc`) only when they show real local
clock behaviour (a hole or a repeated hour).

Data: Open-Meteo.com (CC BY 4.0), ERA5-based; attribute "Weather data by Open-Meteo.com".
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from dcflex.data.readers.generic import (
    check_tz_matches,
    finish_frame,
    parse_times,
    reason,
    require_file,
)
from dcflex.data.timeseries import to_utc
from dcflex.data.units import convert, normalize_unit
from dcflex.errors import DataError

# output column -> (accepted Open-Meteo variable names, unit of the output)
_VARIABLES = {
    "temp_air_c": (("temperature_2m",), "degC"),
    "relative_humidity_pct": (("relative_humidity_2m", "relativehumidity_2m"), "%"),
    "cloud_cover_pct": (("cloud_cover", "cloudcover"), "%"),
    "wind_speed_10m_m_per_s": (("wind_speed_10m", "windspeed_10m"), "m/s"),
}

UNITS = {name: unit for name, (_, unit) in _VARIABLES.items()}
"""Unit of each returned column (wind converted from the file's km/h)."""


def read_openmeteo(path: str | Path, *, tz: str | None = None) -> pd.DataFrame:
    """Read an Open-Meteo JSON response with hourly data.

    Parameters
    ----------
    path : path
    tz : str, optional
        If given, must be the response's ``timezone``.

    Returns
    -------
    pandas.DataFrame
        Those of ``temp_air_c``, ``relative_humidity_pct``, ``cloud_cover_pct``,
        ``wind_speed_10m_m_per_s`` present in the file, on a UTC index. ``attrs``:
        ``timezone``, ``time_convention`` (``"fixed_offset"`` or ``"local_dst"``),
        ``latitude``, ``longitude``.

    Raises
    ------
    DataError
        Missing file, not JSON, no ``hourly`` block, unknown units, lists of unequal length.
    """
    path = require_file(path)
    try:
        with open(path, encoding="utf-8") as f:
            src = json.load(f)
        hourly = src["hourly"]
        times = hourly["time"]
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise DataError(f"not a JSON file: {reason(exc)}", file=path) from exc
    except (KeyError, TypeError):
        raise DataError("expected an Open-Meteo response with hourly.time", file=path) from None
    zone = src.get("timezone")
    units_in = src.get("hourly_units", {})
    data: dict[str, np.ndarray] = {}
    source_units: dict[str, str] = {}
    aliases: dict[str, str] = {}
    for name, (keys, unit) in _VARIABLES.items():
        key = next((k for k in keys if k in hourly), None)
        if key is None:
            continue
        if len(hourly[key]) != len(times):
            raise DataError(
                f"{len(hourly[key])} values but {len(times)} time stamps", file=path, field=key
            )
        if key not in units_in:
            raise DataError(f"hourly_units gives no unit for {key}", file=path, field=key)
        src_unit = normalize_unit(units_in[key])
        values = np.array(hourly[key], dtype=float)  # JSON null -> nan
        data[name] = convert(values, src_unit, unit, field=key, file=path)
        source_units[name] = units_in[key]
        aliases[key] = name
    if not data:
        raise DataError(
            f"none of the known hourly variables {[k for v in _VARIABLES.values() for k in v[0]]}"
            f" in the file; found {sorted(hourly)}",
            file=path,
        )
    local = pd.DatetimeIndex(parse_times(pd.Series(times), path, "hourly.time"))
    if local.tz is not None:
        index, convention = local.tz_convert("UTC"), "offset_in_stamps"
    else:
        steps = np.diff(local.as_unit("ns").asi8)
        regular = len(steps) == 0 or bool(np.all(steps == steps[0]))
        offset = src.get("utc_offset_seconds")
        if regular and offset is not None:
            index = (local - pd.Timedelta(seconds=int(offset))).tz_localize("UTC")
            convention = "fixed_offset"
        else:
            if zone is None:
                raise DataError("stamps are local but the file gives no timezone", file=path)
            index = to_utc(pd.Series(0, index=local), zone, file=path, field="hourly.time").index
            convention = "local_dst"
    if zone is not None:
        check_tz_matches(tz, zone, path, "the response's 'timezone'")
    df = pd.DataFrame(data, index=index)
    return finish_frame(
        df, path, {k: UNITS[k] for k in data}, source_units=source_units, aliases=aliases,
        timezone=zone, time_convention=convention,
        latitude=src.get("latitude"), longitude=src.get("longitude"),
    )
