"""Money named in the reporting currency, at the edge where results leave dcflex.

Inside dcflex every money quantity is in the scenario's reporting currency
(``Scenario.currency``, default USD: the loader converts each money input to it with the
scenario's exchange rates, :mod:`dcflex.scenario.currency`). Internal names keep the token
``usd`` (``total_cost_usd``, ``energy_price_usd_per_mwh``) and internal units say ``USD``:
read both as "the reporting currency". They stay fixed so that code, sweeps and comparisons
address a metric by one name whatever the currency.

Everything a person or another program reads — terminal tables, CSV, Parquet and JSON files,
the HTML report — goes through :func:`present_name`, :func:`present_unit` or
:func:`present_frame`, which write the reporting currency instead: ``total_cost_eur`` in
``EUR``, ``energy_price_eur_per_mwh`` in ``EUR/MWh``. For USD they change nothing.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

_NAME_TOKEN = re.compile(r"(?:(?<=_)|^)usd(?=_|$)")
_UNIT_TOKEN = re.compile(r"\bUSD\b")


def present_name(name: Any, currency: str = "USD") -> Any:
    """``total_cost_usd`` -> ``total_cost_eur`` when reporting in EUR (non-strings unchanged)."""
    if currency == "USD" or not isinstance(name, str):
        return name
    return _NAME_TOKEN.sub(currency.lower(), name)


def present_unit(unit: Any, currency: str = "USD") -> Any:
    """``USD/MWh`` -> ``EUR/MWh`` when reporting in EUR (non-strings unchanged)."""
    if currency == "USD" or not isinstance(unit, str):
        return unit
    return _UNIT_TOKEN.sub(currency, unit)


def present_frame(frame: pd.DataFrame, currency: str = "USD") -> pd.DataFrame:
    """A copy with column names, index labels and ``unit``/``description`` cells in the
    reporting currency (the frame itself when reporting in USD)."""
    if currency == "USD":
        return frame
    out = frame.rename(columns=lambda c: present_name(c, currency),
                       index=lambda i: present_name(i, currency))
    for col in ("unit", "description"):
        if col in out.columns:
            out[col] = [present_unit(u, currency) for u in out[col]]
    if isinstance(out.index.name, str):
        out.index.name = present_name(out.index.name, currency)
    return out


def present_document(doc: Any, currency: str = "USD") -> Any:
    """A JSON-like document (dicts, lists, values) with keys and ``unit``/``description``
    strings in the reporting currency."""
    if currency == "USD":
        return doc
    if isinstance(doc, dict):
        return {present_name(k, currency): (present_unit(v, currency)
                                            if k in ("unit", "description")
                                            else present_document(v, currency))
                for k, v in doc.items()}
    if isinstance(doc, list):
        return [present_document(v, currency) for v in doc]
    return doc
