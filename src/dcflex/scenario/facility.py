"""The facility's non-IT overhead (cooling, PUE) and the weather that drives it."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from dcflex.scenario.series import FileSeries, SeriesSpec, StrictModel


class Facility(StrictModel):
    """Cooling and non-IT overhead."""

    cooling: Literal["air_economizer", "water_economizer", "chiller"] = Field(
        "air_economizer", description="Cooling design used to compute PUE from weather."
    )
    pue: float | None = Field(
        None, ge=1.0, le=3.0, description="Constant PUE; overrides the weather model if set."
    )
    fixed_overhead_mw: float = Field(0.0, ge=0, description="Constant non-IT load, MW.")


class Weather(StrictModel):
    """Weather source for PUE and on-site generation."""

    source: FileSeries | None = Field(
        None,
        description=(
            "Weather file; 'pvlib:<name>' reads a file bundled with pvlib (e.g."
            " pvlib:723170TYA.CSV with format tmy3)."
        ),
    )
    typical_year: bool = Field(
        False, description="Map a typical-meteorological-year file onto the scenario's year."
    )
    temp_air_c: SeriesSpec | None = Field(None, description="Air temperature, degC.")
    relative_humidity_pct: SeriesSpec | None = Field(None, description="Relative humidity, %.")

    @model_validator(mode="after")
    def _whole_file_source(self) -> Weather:
        # a weather file is read whole by its format's reader, which knows its columns and
        # units; single columns of other files go in temp_air_c / relative_humidity_pct
        src = self.source
        if src is not None:
            unused = [k for k in ("column", "unit", "time_column", "year")
                      if getattr(src, k) is not None] + (["scale"] if src.scale != 1.0 else [])
            if unused:
                raise ValueError(
                    f"source: {', '.join(unused)} not used for a weather file (its reader knows "
                    "the columns and units); give a single CSV column as temp_air_c or "
                    "relative_humidity_pct: {file, column, unit, ...} instead")
        return self
