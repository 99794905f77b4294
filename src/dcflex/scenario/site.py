"""Where and when: the site, the simulated period and the optimization settings."""

from __future__ import annotations

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
    altitude_m: float = Field(0.0, description="Altitude above sea level, m.")

    @field_validator("timezone")
    @classmethod
    def _known_tz(cls, value: str) -> str:
        try:
            pd.Timestamp("2023-01-01").tz_localize(value)
        except Exception as exc:  # pandas raises several types for unknown zones
            raise ValueError(f"unknown time zone {value!r} (expected an IANA name)") from exc
        return value


class Period(StrictModel):
    """Simulated period: local-time start (inclusive) and end (exclusive) dates and step."""

    start: IsoDate = Field(description="First local day simulated (inclusive).")
    end: IsoDate = Field(description="Day after the last simulated local day (exclusive).")
    step: str = Field("1h", description="Time step length, e.g. '1h', '15min', '5min'.")

    @field_validator("step")
    @classmethod
    def _step_divides_day(cls, value: str) -> str:
        try:
            step = pd.Timedelta(value)
        except ValueError:
            raise ValueError(f"expected a step length like '1h' or '15min', got {value!r}"
                             ) from None
        if step <= pd.Timedelta(0) or pd.Timedelta(days=1) % step != pd.Timedelta(0):
            raise ValueError(f"step {value!r} does not divide a day into whole steps")
        return value

    @model_validator(mode="after")
    def _ordered(self) -> Period:
        if self.end <= self.start:
            raise ValueError(f"end ({self.end}) must be after start ({self.start})")
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
