"""Electricity Maps hourly carbon-intensity exports (data-portal CSV).

Format (as staged in ``green-dcc/carbon_intensity/`` and
``decarbonization-potential/electricitymaps_hourly/``, see their SOURCE.txt): one row per hour,
``Datetime (UTC)`` naive UTC, ``Carbon Intensity gCO₂eq/kWh (direct)`` and ``(LCA)``
(consumption-based, flow-traced *average* intensity, not marginal), ``Low Carbon Percentage``,
``Renewable Percentage``, plus zone and data-source columns.

Data: Electricity Maps (https://www.electricitymaps.com), ODbL per the data portal terms of
2021-2023; attribute "Electricity Maps".
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from dcflex.data.readers.generic import (
    check_tz_matches,
    finish_frame,
    header_note,
    parse_times,
    read_table,
)
from dcflex.errors import DataError

UNITS = {
    "carbon_intensity_direct_kg_per_mwh": "kg/MWh",
    "carbon_intensity_lca_kg_per_mwh": "kg/MWh",
    "low_carbon_pct": "%",
    "renewable_pct": "%",
}
"""Unit of each returned column. The file states gCO2eq/kWh, numerically equal to kg/MWh."""

SOURCE_UNITS = {
    "carbon_intensity_direct_kg_per_mwh": "gCO2eq/kWh",
    "carbon_intensity_lca_kg_per_mwh": "gCO2eq/kWh",
    "low_carbon_pct": "%",
    "renewable_pct": "%",
}

_PATTERNS = {
    "carbon_intensity_direct_kg_per_mwh": r"carbon\s*intensity.*g\s*co.*\(direct\)",
    "carbon_intensity_lca_kg_per_mwh": r"carbon\s*intensity.*g\s*co.*\(lca\)",
    "low_carbon_pct": r"low\s*carbon\s*percentage",
    "renewable_pct": r"renewable\s*percentage",
}
_TIME = "Datetime (UTC)"


def read_electricitymaps(path: str | Path, *, tz: str | None = None) -> pd.DataFrame:
    """Read an Electricity Maps hourly CSV.

    Parameters
    ----------
    path : path
        The CSV.
    tz : str, optional
        Must be UTC-equivalent if given (the file's stamps are UTC).

    Returns
    -------
    pandas.DataFrame
        Columns :data:`UNITS` on a UTC index; ``attrs["zone"]`` is the ``Zone Id``.

    Raises
    ------
    DataError
        Missing file or column, unparsable or repeated time stamps, non-numeric values.
    """
    path = Path(path)
    check_tz_matches(tz, "UTC", path, "Electricity Maps 'Datetime (UTC)'")
    table = read_table(path)
    if _TIME not in table.columns:
        raise DataError(
            f"expected column {_TIME!r}; {header_note(table.columns)}", file=path, field=_TIME
        )
    out: dict[str, pd.Series] = {}
    aliases: dict[str, str] = {}
    for name, pattern in _PATTERNS.items():
        found = [c for c in table.columns if re.search(pattern, c, re.IGNORECASE)]
        if len(found) != 1:
            raise DataError(
                f"expected one column matching {name!r}; {header_note(table.columns)}",
                file=path,
                field=name,
            )
        out[name] = table[found[0]]
        aliases[found[0]] = name
    times = parse_times(table[_TIME], path, _TIME)
    index = pd.DatetimeIndex(times)
    index = index.tz_localize("UTC") if index.tz is None else index.tz_convert("UTC")
    df = pd.DataFrame({k: v.to_numpy() for k, v in out.items()}, index=index)
    zone = table["Zone Id"].iloc[0] if "Zone Id" in table.columns and len(table) else None
    return finish_frame(
        df, path, UNITS, source_units=SOURCE_UNITS, aliases=aliases, zone=zone
    )
