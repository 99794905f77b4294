"""The strict base of every scenario model, and the number types scenario fields share.

:class:`StrictModel` makes every section strict about what a number is, for all fields at
once (sections added later inherit it): unknown keys, NaN and ±inf, booleans given for
numbers, integers beyond :data:`MAX_INT` and numbers given for dates are errors that name the
field. :func:`field_error` lets a model-level check name the field it is about.
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
    Field,
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
