"""Dates and times in scenario files: ISO 8601 only.

``2023-07-10`` and ``2023-07-10 15:00`` (or ``2023-07-10T15:00``, seconds and an offset
optional) are read; anything else is an error naming the field. Numbers are refused too:
pydantic would read ``20230101`` as seconds since 1970 (23 August 1970), and ``09/01/2023``
is a different day in the US and in Europe, so neither is ever guessed.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any

from pydantic import BeforeValidator

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?"
                       r"(Z|[+-]\d{2}:?\d{2})?$")


def _iso_date(value: Any) -> Any:
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if isinstance(value, str) and _DATE.match(value.strip()):
        return value.strip()
    raise ValueError(f"expected an ISO date YYYY-MM-DD, got {value!r}")


def _iso_datetime(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day)
    if isinstance(value, str) and _DATETIME.match(value.strip()):
        return value.strip()
    raise ValueError(f"expected an ISO date and time YYYY-MM-DD HH:MM, got {value!r}")


IsoDate = Annotated[dt.date, BeforeValidator(_iso_date)]
"""A date written ``YYYY-MM-DD``."""

IsoDateTime = Annotated[dt.datetime, BeforeValidator(_iso_datetime)]
"""A date and time written ``YYYY-MM-DD HH:MM`` (``T`` or a space; seconds, offset optional)."""
