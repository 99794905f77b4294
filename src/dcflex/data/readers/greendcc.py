"""green-dcc (SustainCluster) standardized electricity-price CSVs.

Format (``green-dcc/electricity_prices/<ZONE>_electricity_prices_2023.csv``, SOURCE.txt):
``Datetime (UTC)`` with offset, ``Datetime (Local)`` with the local offset, ``Price (USD/MWh)``.
Markets: CAISO NP15 day-ahead, ERCOT hub-average day-ahead, PJM Dominion real-time, DE-LU
day-ahead converted by the repository at a fixed 1.07764 USD/EUR.

Source: HewlettPackard/green-dcc (MIT); market data of CAISO, ERCOT, PJM, RTE eco2mix.
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

UNITS = {"price_usd_per_mwh": "USD/MWh"}
"""Unit of each returned column."""

_UTC, _LOCAL, _PRICE = "Datetime (UTC)", "Datetime (Local)", "Price (USD/MWh)"


def read_greendcc_price(path: str | Path, *, tz: str | None = None) -> pd.DataFrame:
    """Read a green-dcc electricity price CSV.

    The UTC and local columns must name the same instants; a row where they differ means the
    file was edited or shifted, and is an error.

    Parameters
    ----------
    path : path
    tz : str, optional
        Must be UTC-equivalent if given (the index comes from ``Datetime (UTC)``).

    Returns
    -------
    pandas.DataFrame
        ``price_usd_per_mwh`` on a UTC index.

    Raises
    ------
    DataError
        Missing file or column, UTC and local stamps disagreeing (names the first row).
    """
    path = Path(path)
    check_tz_matches(tz, "UTC", path, "green-dcc 'Datetime (UTC)'")
    table = read_table(path)
    for col in (_UTC, _PRICE):
        if col not in table.columns:
            raise DataError(
                f"expected column {col!r}; {header_note(table.columns)}", file=path, field=col
            )
    utc = pd.DatetimeIndex(parse_times(table[_UTC], path, _UTC, utc=True))
    if _LOCAL in table.columns:
        local = pd.DatetimeIndex(parse_times(table[_LOCAL], path, _LOCAL, utc=True))
        differ = np.flatnonzero(local != utc)
        if len(differ):
            r = differ[0]
            raise DataError(
                f"{len(differ)} rows where UTC and local time disagree, first at line {r + 2}: "
                f"{table[_UTC].iloc[r]} vs {table[_LOCAL].iloc[r]}",
                file=path,
                field=_LOCAL,
            )
    df = pd.DataFrame({"price_usd_per_mwh": table[_PRICE].to_numpy()}, index=utc)
    return finish_frame(df, path, UNITS, aliases={_PRICE: "price_usd_per_mwh"})
