"""Numbers people read: fixed decimals per unit, thousands separators, k/M/G, no exponents.

One set of rules serves the terminal tables of every command and the HTML report, so the
same metric reads the same everywhere:

- each unit has a display precision (:data:`DECIMALS`: money in whole units, prices per MWh
  to the cent, MW to 0.01, MWh to 0.1, fractions and PUE to 0.001);
- magnitudes from one million up are written with ``M`` (and ``G`` from one billion) and two
  decimals, smaller ones with thousands separators;
- anything smaller than half the last shown digit is float noise (an LP's 7e-15 MWh of
  "shifted energy") and is written ``0``, never ``-0`` or ``7.105e-15``;
- NaN is ``–``.

Units come from a metric's own record where there is one (:class:`~dcflex.results.metrics.
Metric`), otherwise from the name's suffix (:func:`unit_from_name`: ``_usd``, ``_mwh``,
``_mw``, ``_t``, ...), which is how dcflex names every column.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

#: Decimals shown per unit (after any M/G scaling the number gets two).
DECIMALS: dict[str, int] = {
    "money": 0, "money/MWh": 2, "money/MW-month": 0, "money/t": 2, "MW": 2, "MWh": 1, "GWh": 2,
    "t CO2": 1, "kg/MWh": 1, "fraction": 3, "%": 1, "-": 3, "h": 1, "s": 2, "GPU-h": 0,
    "windows": 0, "degC": 1, "W/m2": 0, "m/s": 2, "count": 0, "ms": 1, "W": 0, "kW": 1,
}

_CURRENCY = re.compile(r"^[A-Z]{3}$")
_PER_CURRENCY = re.compile(r"^[A-Z]{3}/(MWh|MW-month|t|GPU-h)$")

# name suffix -> unit, longest first (money per MWh before MWh, MWh before MW)
_SUFFIXES: tuple[tuple[str, str], ...] = (
    ("_usd_per_mwh", "USD/MWh"), ("_usd_per_mw_month", "USD/MW-month"),
    ("_usd_per_t", "USD/t"), ("_usd", "USD"), ("_kg_per_mwh", "kg/MWh"), ("_gwh", "GWh"),
    ("_mwh", "MWh"), ("_mw", "MW"), ("_t", "t CO2"), ("_pct", "%"), ("_gpu_hours", "GPU-h"),
    ("_c", "degC"), ("_ms", "ms"), ("_s", "s"), ("_h", "h"), ("_fraction", "fraction"),
    ("_share", "fraction"), ("_score", "fraction"), ("_factor", "fraction"), ("_pue", "-"),
)
_PREFIXES: tuple[tuple[str, str], ...] = (
    ("throughput_", "fraction"), ("slo_misses__", "windows"), ("work_done_gpu_hours__", "GPU-h"),
    ("work_required_gpu_hours__", "GPU-h"),
)


def unit_from_name(name: str) -> str | None:
    """The unit a dcflex column name carries (``peak_import_mw`` -> ``MW``), or None."""
    for prefix, unit in _PREFIXES:
        if name.startswith(prefix):
            return unit
    base = name.split("__", 1)[0]
    for suffix, unit in _SUFFIXES:
        if base.endswith(suffix) or base == suffix[1:]:
            return unit
    if base in ("pue", "annual_pue"):
        return "-"
    if base in ("rank", "windows", "variants", "steps"):
        return "count"
    return None


def _rule(unit: str | None) -> int | None:
    """Display decimals of a unit (None: no fixed rule, use significant digits)."""
    if unit is None:
        return None
    if _CURRENCY.match(unit):
        return DECIMALS["money"]
    per = _PER_CURRENCY.match(unit)
    if per:
        return DECIMALS.get(f"money/{per.group(1)}", 2)
    return DECIMALS.get(unit)


def format_number(value: Any, unit: str | None = None) -> str:
    """One number as people read it, at the precision of its unit.

    Parameters
    ----------
    value : float, int, bool or None
        The number (anything else is returned as ``str(value)``).
    unit : str, optional
        Its unit (``USD``, ``EUR``, ``EUR/MWh``, ``MW``, ``MWh``, ``t CO2``, ``fraction``,
        ``-``, ...). Without one, about four significant digits.

    Examples
    --------
    >>> format_number(48_771_234.5, "USD"), format_number(7.105e-15, "MWh")
    ('48.77 M', '0')
    >>> format_number(-0.0004, "fraction"), format_number(123456.78, "MWh")
    ('0', '123,456.8')
    """
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int) or (hasattr(value, "dtype") and getattr(value.dtype, "kind", "")
                                  in "iu"):
        return f"{int(value):,}"
    try:
        v = float(value)
    except (TypeError, ValueError):
        return str(value)
    if math.isnan(v):
        return "–"
    if math.isinf(v):
        return "∞" if v > 0 else "-∞"
    decimals = _rule(unit)
    if decimals is None:
        # about four significant digits, never fewer than none, never an exponent
        decimals = 0 if abs(v) >= 1000 or v == 0 else min(6, max(0, 3 - math.floor(
            math.log10(abs(v)))))
    if abs(v) < 0.5 * 10.0 ** -decimals:
        return "0"
    for scale, prefix in ((1e9, "G"), (1e6, "M")):
        if abs(v) >= scale:
            return f"{v / scale:,.2f} {prefix}"
    text = f"{v:,.{decimals}f}"
    return text


def format_frame(frame: pd.DataFrame, units: Mapping[str, str | None] | None = None
                 ) -> pd.DataFrame:
    """A table of strings: every number at the precision of its unit.

    The unit of a cell is, in order: the row's ``unit`` column (a metrics-by-row table such
    as ``Result.comparison``), ``units[column]``, or the unit the column's name carries.

    Parameters
    ----------
    frame : pandas.DataFrame
    units : mapping, optional
        Column name -> unit.

    Returns
    -------
    pandas.DataFrame
        Same index and columns, every cell a string.
    """
    import pandas as pd

    units = dict(units or {})
    row_units = (None if "unit" not in frame.columns
                 else [u if isinstance(u, str) else None for u in frame["unit"].tolist()])
    out = {}
    for col in frame.columns:
        values = frame[col].tolist()
        if col == "unit":
            out[col] = ["" if u is None or u != u else str(u) for u in values]
            continue
        col_unit = units.get(col, unit_from_name(str(col)))
        if row_units is None:
            out[col] = [_cell(v, col_unit) for v in values]
        else:
            out[col] = [_cell(v, u) for v, u in zip(values, row_units, strict=True)]
    return pd.DataFrame(out, index=frame.index, columns=frame.columns)


def _cell(v: Any, unit: str | None) -> str:
    if isinstance(v, str):
        return v
    if v is None:
        return "–"
    if isinstance(v, float | int | bool) or hasattr(v, "dtype"):
        return format_number(v, unit)
    return str(v)
