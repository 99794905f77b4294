"""EIA-930 generation by fuel with average carbon intensity, as shipped by HPE dc-rl.

Format (``dc-rl-eia-ci/<BA>_NG_avgCI_2022.csv``, SOURCE.txt): ``timestamp`` with UTC offset;
``WND, SUN, WAT, OIL, NG, COL, NUC, OTH`` = balancing-authority net generation by fuel in the
hour (MWh, EIA-930); ``avg_CI`` = generation-weighted average intensity computed by HPE from
fixed per-fuel factors. The repository does not state avg_CI's unit; its values match
gCO2/kWh (2022 means CISO 256, ERCO 347, PJM 363), so it is read as g/kWh = kg/MWh. It is a
production-based average, not a marginal rate.

Source: HewlettPackard/dc-rl (MIT); U.S. EIA Form EIA-930 (public domain).
"""

from __future__ import annotations

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

FUELS = ("WND", "SUN", "WAT", "OIL", "NG", "COL", "NUC", "OTH")
"""EIA-930 fuel codes: wind, solar, hydro, oil, natural gas, coal, nuclear, other."""


def fuel_column(code: str) -> str:
    """dcflex column of a fuel's generation, e.g. ``generation_ng_mwh``."""
    return f"generation_{code.lower()}_mwh"


UNITS = {fuel_column(f): "MWh" for f in FUELS} | {"carbon_intensity_avg_kg_per_mwh": "kg/MWh"}
"""Unit of each returned column (generation is energy per hourly step)."""


def read_dcrl_eia(path: str | Path, *, tz: str | None = None) -> pd.DataFrame:
    """Read a dc-rl EIA-930 fuel-mix and carbon-intensity CSV.

    Parameters
    ----------
    path : path
    tz : str, optional
        Must be UTC-equivalent if given.

    Returns
    -------
    pandas.DataFrame
        ``generation_<fuel>_mwh`` for each fuel present and ``carbon_intensity_avg_kg_per_mwh``
        on a UTC index; raw headers are accepted as aliases.
    """
    path = Path(path)
    check_tz_matches(tz, "UTC", path, "timestamp offsets +00:00")
    table = read_table(path)
    for col in ("timestamp", "avg_CI"):
        if col not in table.columns:
            raise DataError(
                f"expected column {col!r}; {header_note(table.columns)}", file=path, field=col
            )
    index = pd.DatetimeIndex(parse_times(table["timestamp"], path, "timestamp"))
    if index.tz is None:
        raise DataError("time stamps carry no UTC offset (expected +00:00)", file=path,
                        field="timestamp")
    fuels = [f for f in FUELS if f in table.columns]
    data = {fuel_column(f): table[f].to_numpy() for f in fuels}
    data["carbon_intensity_avg_kg_per_mwh"] = table["avg_CI"].to_numpy()
    df = pd.DataFrame(data, index=index)
    units = {c: UNITS[c] for c in df.columns}
    aliases = {f: fuel_column(f) for f in fuels} | {"avg_CI": "carbon_intensity_avg_kg_per_mwh"}
    return finish_frame(df, path, units, source_units=units | {
        "carbon_intensity_avg_kg_per_mwh": "g/kWh"}, aliases=aliases)
