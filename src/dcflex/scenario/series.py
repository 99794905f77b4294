"""Time series fields of a scenario, and the strict base of every scenario model.

A time series field takes one of three forms:

* a number (a constant series),
* a file reference ``{file, format, column, unit, tz, scale}`` with the path relative to the
  scenario file that names it (:class:`FileSeries`),
* a generator ``{generator: diurnal, mean, ..., seed}``: a seeded synthetic series with
  stated statistics (:class:`GeneratedSeries`, see :mod:`dcflex.data.generators`).

:data:`SeriesSpec` is the field type that accepts all three, tagged by form so that a
validation error comes from the form the user wrote.
"""

from __future__ import annotations

import math
import types
import typing
from datetime import date, datetime
from functools import cache
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    model_validator,
)
from pydantic_core import PydanticCustomError

#: Largest integer a scenario field takes (2**53: every integer up to it is exact as a float,
#: and numpy's int64 holds it); larger ones are typos or attacks, never server counts.
MAX_INT = 2**53


def _no_nan(value: float) -> float:
    if math.isnan(value):
        raise PydanticCustomError("finite_number", "expected a number, got NaN")
    return value


#: Longest duration a window, deadline or horizon field takes, h (eleven years: longer than any
#: period of at most :data:`dcflex.scenario.site.MAX_STEPS` hourly steps; pandas' Timedelta
#: itself ends near 2.56 million hours).
MAX_HOURS = 100_000.0

Hours = Annotated[float, Field(gt=0, le=MAX_HOURS)]
"""A positive duration in hours, at most :data:`MAX_HOURS`."""

Seed = Annotated[int, Field(ge=0, description="Random seed (a non-negative integer); same seed, "
                                              "same numbers.")]
"""A random seed: numpy's generators take non-negative integers only."""

InfFloat = Annotated[float, Field(allow_inf_nan=True), AfterValidator(_no_nan)]
"""A float that may be ``.inf`` or ``-.inf`` (never NaN), for the few fields where an
infinite value has a meaning (say so in the field's description, e.g. "``.inf``: no limit").
Every other float field of a :class:`StrictModel` rejects NaN and ±inf."""


@cache
def _annotation_kind(annotation: Any) -> tuple[bool, bool]:
    """(accepts a bool somewhere, holds a pydantic model somewhere) for a field type."""
    if annotation is bool or annotation is Any:
        return True, False
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        kinds = [_annotation_kind(f.annotation) for f in annotation.model_fields.values()]
        return any(k[0] for k in kinds), True
    origin = typing.get_origin(annotation)
    if origin is Literal:
        return any(isinstance(a, bool) for a in typing.get_args(annotation)), False
    args = typing.get_args(annotation)
    if origin is Annotated:
        args = args[:1]
    elif origin not in (typing.Union, types.UnionType, list, tuple, dict, set, frozenset):
        return False, False
    kinds = [_annotation_kind(a) for a in args if a is not Ellipsis]
    return any(k[0] for k in kinds), any(k[1] for k in kinds)


@cache
def _is_time(annotation: Any) -> bool:
    """True for ``date``/``datetime`` fields (optional or not)."""
    if annotation in (date, datetime):
        return True
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    origin = typing.get_origin(annotation)
    if origin is Annotated:
        return _is_time(args[0])
    return origin in (typing.Union, types.UnionType) and len(args) == 1 and _is_time(args[0])


def _number_problem(value: Any, loc: tuple, into_dicts: bool) -> tuple[tuple, Any] | None:
    """(location, value) of the first boolean or oversized integer in a raw field value.

    Lists and tuples are searched; mappings only when the field holds no model (a model
    checks its own fields).
    """
    if isinstance(value, bool) or (isinstance(value, int) and abs(value) > MAX_INT):
        return loc, value
    items: Any = ()
    if isinstance(value, list | tuple):
        items = enumerate(value)
    elif into_dicts and isinstance(value, dict):
        items = value.items()
    for key, child in items:
        found = _number_problem(child, (*loc, key), into_dicts)
        if found is not None:
            return found
    return None


def field_error(loc: tuple, message: str) -> PydanticCustomError:
    """A validation error of a whole model that names the field it is about.

    Pydantic places an error from a model validator at the model; the loader reads ``loc``
    from the context to name the field (and its line) instead.
    """
    where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in loc).lstrip(".")
    return PydanticCustomError("dcflex_field", "{field}: {message}",
                               {"field": where, "loc": tuple(loc), "message": message})


class StrictModel(BaseModel):
    """Base model of every scenario section: strict about what a number is.

    * unknown keys are errors, so typos never pass silently;
    * float fields reject NaN and ±inf (``allow_inf_nan=False``) unless typed
      :data:`InfFloat`;
    * booleans are not numbers: ``import_limit_mw: true`` is an error, not 1 MW (pydantic's
      lax mode would convert it), in every field whose type has no ``bool`` in it;
    * integers beyond ±:data:`MAX_INT` are errors.

    Subclasses inherit all of this, so a new section needs nothing of its own.
    """

    model_config = ConfigDict(extra="forbid", validate_assignment=True, allow_inf_nan=False)

    @model_validator(mode="before")
    @classmethod
    def _numbers_are_numbers(cls, data: Any) -> Any:
        # a model validator, not a field validator on "*": pydantic forbids "before" validators
        # on the discriminator fields of tagged unions (``kind``)
        if not isinstance(data, dict):
            return data
        for name, value in data.items():
            field = cls.model_fields.get(name) if isinstance(name, str) else None
            if field is None or value is None or isinstance(value, str):
                continue
            if isinstance(value, int | float) and _is_time(field.annotation):
                # pydantic would read a number as seconds since 1970
                raise field_error((name,), "expected a date (2023-07-27) or a local date and "
                                  f"time (2023-07-27 15:00), got {value!r}")
            if isinstance(value, float):
                continue
            accepts_bool, has_model = _annotation_kind(field.annotation)
            found = _number_problem(value, (name,), into_dicts=not has_model)
            if found is None or (isinstance(found[1], bool) and accepts_bool):
                continue
            loc, bad = found
            if isinstance(bad, bool):
                message = f"expected a number, got {'true' if bad else 'false'}"
            else:
                message = f"expected an integer of at most {MAX_INT:.0e} in size"
            raise field_error(loc, message)
        return data


class FileSeries(StrictModel):
    """A time series read from a data file."""

    file: str = Field(description="Path of the data file, relative to the scenario file.")
    format: str = Field(
        "csv",
        description=(
            "Reader: electricitymaps, greendcc_price, entsoe, caiso_oasis, price_8760,"
            " openmeteo,"
            " tmy3, nsrdb, pvgis, srw, dcrl_eia, eia930, csv, parquet."
        ),
    )
    column: str | None = Field(None, description="Column to use (the reader's default if omitted).")
    unit: str | None = Field(
        None, description="Unit of the column, e.g. 'USD/MWh', 'kW', 'lbs/MWh' (required for csv)."
    )
    tz: str | None = Field(None, description="Time zone of naive timestamps, e.g. 'UTC'.")
    time_column: str | None = Field(None, description="Time column for csv/parquet files.")
    scale: float = Field(1.0, description="Factor applied after unit conversion (dimensionless).")
    year: int | None = Field(None, description="Year of files without timestamps (price_8760).")
    gap_policy: Literal["error", "interpolate", "ffill"] = Field(
        "error",
        description="What to do with missing steps: error (default), interpolate or ffill.",
    )


class GeneratedSeries(StrictModel):
    """A seeded synthetic series: mean + daily and weekly cycles + AR(1) noise, clipped.

    value(t) = mean * (1 + daily_amplitude * cos(2π (h - peak_hour) / 24)
                        + weekly_amplitude * weekend(t)) + noise(t)
    with h the local hour, weekend(t) = -1 on Saturday and Sunday, else 0, and noise an AR(1)
    process with standard deviation ``noise_std`` and lag-one autocorrelation
    ``autocorrelation``.
    """

    generator: Literal["diurnal"] = "diurnal"
    mean: float = Field(description="Mean value, in the unit of the field.")
    daily_amplitude: float = Field(0.0, description="Relative amplitude of the daily cycle.")
    peak_hour: float = Field(17.0, ge=0, lt=24, description="Local hour of the daily peak.")
    weekly_amplitude: float = Field(0.0, description="Relative reduction on weekends.")
    noise_std: float = Field(0.0, ge=0, description="Standard deviation of the noise (field unit).")
    autocorrelation: float = Field(0.8, ge=0, lt=1, description="Lag-one autocorrelation of noise.")
    minimum: float | None = Field(None, description="Lower clip (field unit).")
    maximum: float | None = Field(None, description="Upper clip (field unit).")
    seed: Seed = 0


def _series_kind(value: Any) -> str:
    """Which form a series field takes, so errors come from that form only."""
    if isinstance(value, dict):
        return "generator" if "generator" in value else "file"
    if isinstance(value, FileSeries):
        return "file"
    if isinstance(value, GeneratedSeries):
        return "generator"
    return "number"


SeriesSpec = Annotated[
    Annotated[float, Tag("number")]
    | Annotated[FileSeries, Tag("file")]
    | Annotated[GeneratedSeries, Tag("generator")],
    Discriminator(_series_kind),
]
