"""Where and when: the site, the simulated period and the optimization settings."""

from __future__ import annotations

import os
from datetime import date
from typing import Literal

import pandas as pd
from pydantic import Field, field_validator, model_validator

from dcflex.scenario.dates import IsoDate
from dcflex.scenario.series import StrictModel


class Site(StrictModel):
    """Where the data center is."""

    name: str = Field(description="Short name used in tables and plots.")
    latitude_deg: float = Field(ge=-90, le=90, description="Latitude, degrees north.")
    longitude_deg: float = Field(ge=-180, le=180, description="Longitude, degrees east.")
    timezone: str = Field(description="IANA time zone of the site, e.g. 'America/Los_Angeles'.")
    altitude_m: float = Field(
        0.0, ge=-450, le=8850,
        description="Altitude above sea level, m (from the Dead Sea shore to Everest).")

    @field_validator("timezone")
    @classmethod
    def _known_tz(cls, value: str) -> str:
        try:
            pd.Timestamp("2023-01-01").tz_localize(value)
        except Exception as exc:  # pandas raises several types for unknown zones
            raise ValueError(f"unknown time zone {value!r} (expected an IANA name)") from exc
        return value


#: Default cap on the steps of a period: a leap year at 5-minute steps. The LP grows linearly
#: with the steps (the 15-minute year, 35,040 steps, peaks near 625 MB in HiGHS), so a 1-second
#: step over a year (31.5 M steps) would exhaust memory after minutes of work.
MAX_STEPS = 105_408
#: Environment variable that raises (or lowers) :data:`MAX_STEPS`; ``dcflex --max-steps N``
#: sets it for a command and the worker processes it starts.
MAX_STEPS_ENV = "DCFLEX_MAX_STEPS"
# Dates pandas can index in any time zone (its Timestamp spans 1677-09-21 to 2262-04-11).
_FIRST_DATE, _LAST_DATE = date(1678, 1, 1), date(2262, 4, 1)


def max_steps() -> int:
    """The cap on a period's steps: ``$DCFLEX_MAX_STEPS`` if set, else :data:`MAX_STEPS`."""
    text = os.environ.get(MAX_STEPS_ENV, "").strip()
    try:
        return int(text) if text else MAX_STEPS
    except ValueError:
        raise ValueError(f"{MAX_STEPS_ENV}={text!r} is not a whole number of steps") from None


class Period(StrictModel):
    """Simulated period: local-time start (inclusive) and end (exclusive) dates and step.

    A period has at most :func:`max_steps` steps (default :data:`MAX_STEPS`).
    """

    start: IsoDate = Field(description="First local day simulated (inclusive).")
    end: IsoDate = Field(description="Day after the last simulated local day (exclusive).")
    step: str = Field("1h", description="Time step length, e.g. '1h', '15min', '5min'.")

    @field_validator("step")
    @classmethod
    def _step_divides_day(cls, value: str) -> str:
        try:
            step = pd.Timedelta(value)
        except ValueError:
            raise ValueError("expected a step length like '1h' or '15min'") from None
        if step <= pd.Timedelta(0) or pd.Timedelta(days=1) % step != pd.Timedelta(0):
            raise ValueError("the step does not divide a day into whole steps")
        return value

    @field_validator("start", "end")
    @classmethod
    def _indexable(cls, value: date) -> date:
        if not _FIRST_DATE <= value <= _LAST_DATE:
            raise ValueError(f"outside the dates dcflex can index ({_FIRST_DATE} to "
                             f"{_LAST_DATE})")
        return value

    @model_validator(mode="after")
    def _ordered(self) -> Period:
        if self.end <= self.start:
            raise ValueError(f"end ({self.end}) must be after start ({self.start})")
        steps = pd.Timedelta(self.end - self.start) // pd.Timedelta(self.step)
        limit = max_steps()
        if steps > limit:
            raise ValueError(
                f"{self.start} to {self.end} at {self.step} steps is {steps:,} steps, more than "
                f"the limit of {limit:,}; to run it anyway pass --max-steps {steps} (dcflex "
                f"--max-steps {steps} <command> ...) or set {MAX_STEPS_ENV}={steps}")
        return self


class Optimization(StrictModel):
    """What to optimize and with which solver."""

    objective: Literal["cost", "carbon", "weighted"] = "cost"
    carbon_weight_usd_per_t: float = Field(
        0.0, ge=0, description="Weight of emissions for objective 'weighted', USD/t."
    )
    emissions_basis: Literal["average", "marginal"] = Field(
        "average", description="Intensity used in the objective."
    )
    solver: str = Field("highs", description="'highs' (direct) or a Pyomo solver name.")
    time_limit_s: float | None = Field(None, gt=0, description="Solver time limit, s.")
