"""Time series fields of a scenario (and, re-exported, the strict base of every scenario model
from :mod:`dcflex.scenario.strict`).

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

from typing import Annotated, Any, Literal

from pydantic import Discriminator, Field, Tag

from dcflex.scenario.strict import (
    MAX_HOURS,
    MAX_INT,
    Hours,
    InfFloat,
    Seed,
    StrictModel,
    field_error,
)

__all__ = ["MAX_HOURS", "MAX_INT", "FileSeries", "GeneratedSeries", "Hours", "InfFloat", "Seed",
           "SeriesSpec", "StrictModel", "field_error"]


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
