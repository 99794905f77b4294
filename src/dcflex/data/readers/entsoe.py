"""ENTSO-E day-ahead prices in wide form (one column per bidding zone).

Format (``entsoe-dayahead-tscv/elec_price_2019_2020_wide.csv``, SOURCE.txt): ``time`` naive
UTC (the R data's POSIXct tzone is "UTC"; the series is gapless and unique across DST changes),
then one column per bidding zone (DE, DK1, ES, FI, FR, NL, NO1, SE1) in EUR/MWh.

Source: ENTSO-E Transparency Platform via the R package tscv (ahaeusser/tscv); attribute
ENTSO-E. Convert to USD with :func:`dcflex.data.units.convert` and an explicit ``eur_to_usd``.
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

UNIT = "EUR/MWh"
"""Unit of every zone column."""


def zone_column(zone: str) -> str:
    """dcflex column name of a bidding zone's price, e.g. ``DE_price_eur_per_mwh``."""
    return f"{zone}_price_eur_per_mwh"


def read_entsoe_wide(
    path: str | Path, *, tz: str | None = None, time_column: str = "time"
) -> pd.DataFrame:
    """Read a wide ENTSO-E price CSV.

    Parameters
    ----------
    path : path
    tz : str, optional
        Zone of the naive time stamps; default UTC as the source states. Give it only for a
        file of this layout exported in another zone.
    time_column : str
        Header of the time column.

    Returns
    -------
    pandas.DataFrame
        ``<ZONE>_price_eur_per_mwh`` per zone (EUR/MWh) on a UTC index; the zone codes are
        accepted as column aliases.
    """
    path = Path(path)
    table = read_table(path)
    if time_column not in table.columns:
        raise DataError(
            f"expected column {time_column!r}; {header_note(table.columns)}",
            file=path,
            field=time_column,
        )
    zones = [str(c) for c in table.columns if c != time_column]
    if not zones:
        raise DataError("no price columns besides the time column", file=path)
    index = pd.DatetimeIndex(parse_times(table[time_column], path, time_column))
    if index.tz is None:
        from dcflex.data.timeseries import to_utc

        index = to_utc(pd.Series(0, index=index), tz or "UTC", file=path, field=time_column).index
    else:
        check_tz_matches(tz, "UTC", path, "time stamps with offsets")
    df = pd.DataFrame({zone_column(z): table[z].to_numpy() for z in zones}, index=index)
    units = {zone_column(z): UNIT for z in zones}
    return finish_frame(df, path, units, aliases={z: zone_column(z) for z in zones})
