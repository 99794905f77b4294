"""The facility's non-IT overhead (cooling, PUE) and the weather that drives it."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from dcflex.scenario.series import FileSeries, SeriesSpec, StrictModel


class Water(StrictModel):
    """Water use of the site's cooling and of its grid electricity."""

    cycles_of_concentration: float = Field(
        4.0, gt=1,
        description=("Cycles of concentration of cooling-tower / evaporative-cooler water: "
                     "make-up = evaporation x cycles / (cycles - 1) (evaporation plus "
                     "blowdown). Default 4 is an assumption (3-6 is a common range)."),
    )
    grid_l_per_mwh: SeriesSpec | None = Field(
        None,
        description=("Water consumed to generate the grid electricity the site imports "
                     "(source water), L/MWh: a number for the region or a series (file). "
                     "Gives source and total water; without it only site water is reported."),
    )


class Facility(StrictModel):
    """Cooling, non-IT overhead and water."""

    cooling: Literal["air_economizer", "indirect_evaporative", "water_economizer",
                     "direct_liquid", "chiller"] = Field(
        "air_economizer",
        description=("Cooling design of the weather model (dcflex.physics.cooling_designs): "
                     "PUE, economizer hours and site water from dry bulb, humidity and wet "
                     "bulb."),
    )
    cooling_parameters: dict[str, float | bool | str] = Field(
        default_factory=dict,
        description=("Overrides of the design's parameters, e.g. {supply_c: 27, "
                     "dew_point_max_c: 17, liquid_share: 0.7} (names: CoolingDesign)."),
    )
    pue: float | None = Field(
        None, ge=1.0, le=3.0,
        description=("Constant PUE applied to IT power; overrides the weather model if set "
                     "(then site water is not modeled)."),
    )
    fixed_overhead_mw: float = Field(
        0.0, ge=0,
        description=("Constant non-IT load, MW, added to the design's fixed overhead (UPS "
                     "no-load, lighting, controls: fixed_overhead_fraction x design IT power). "
                     "It does not follow IT load."),
    )
    water: Water = Field(default_factory=Water, description="Water-use settings.")


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
