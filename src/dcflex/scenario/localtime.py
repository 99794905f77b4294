"""Local times of a scenario that the site's clock never shows, or shows twice.

Every naive date-time in a scenario (event windows, batch releases and deadlines) is a wall
time of the site. Where daylight saving time begins, an hour of wall time does not exist
(02:30 on 12 March 2023 in New York); where it ends, an hour happens twice. Neither can be
turned into one UTC instant, so each is an error naming the field, with what to write instead
(IANA tz database semantics, as implemented by :mod:`zoneinfo`).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel


def local_time_problem(value: datetime, zone: ZoneInfo) -> str | None:
    """Why a naive wall time cannot be placed in ``zone`` (None if it can)."""
    if value.tzinfo is not None:
        return None
    early = value.replace(tzinfo=zone, fold=0)
    late = value.replace(tzinfo=zone, fold=1)
    if early.utcoffset() == late.utcoffset():
        return None
    # PEP 495: in a gap, fold=0 maps with the offset before the transition; the round trip
    # through UTC then shows another wall time
    back = early.astimezone(UTC).astimezone(zone).replace(tzinfo=None)
    shown = f"{value:%Y-%m-%d %H:%M}"
    if back != value:
        return (f"{shown} does not exist in {zone.key} (clocks jump forward that night); "
                "give a time outside the skipped hour")
    offset = early.utcoffset() or timedelta(0)
    hours, rest = divmod(int(offset.total_seconds()), 3600)
    sign = "+" if hours >= 0 else "-"
    return (f"{shown} happens twice in {zone.key} (clocks go back that night); add the UTC "
            f"offset, e.g. '{value:%Y-%m-%d %H:%M}{sign}{abs(hours):02d}:{rest // 60:02d}' for "
            "the first")


def naive_datetimes(model: BaseModel, loc: tuple = ()) -> Iterator[tuple[tuple, datetime]]:
    """(field location, value) of every naive date-time in a model and its sub-models."""

    def walk(value: Any, here: tuple) -> Iterator[tuple[tuple, datetime]]:
        if isinstance(value, BaseModel):
            for name in type(value).model_fields:
                yield from walk(getattr(value, name), (*here, name))
        elif isinstance(value, datetime):
            if value.tzinfo is None:
                yield here, value
        elif isinstance(value, list | tuple):
            for i, item in enumerate(value):
                yield from walk(item, (*here, i))
        elif isinstance(value, dict):
            for key, item in value.items():
                yield from walk(item, (*here, key))

    yield from walk(model, loc)


def first_local_time_problem(model: BaseModel, tz: str) -> tuple[tuple, str] | None:
    """(location, message) of the first naive date-time of ``model`` that ``tz`` lacks or
    repeats, or None."""
    try:
        zone = ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        return None  # a fixed offset pandas understands: no daylight saving, nothing to check
    for loc, value in naive_datetimes(model):
        problem = local_time_problem(value, zone)
        if problem is not None:
            return loc, problem
    return None
