"""The scenario: the declared inputs of one site for one period.

A scenario is a YAML file validated into :class:`Scenario` and the section models it holds
(one module per topic in this package). The models are the one place where every field's
unit, default and range is declared; ``dcflex schema`` prints them as JSON Schema (see
:func:`scenario_json_schema`) so editors can autocomplete scenario files.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from pydantic import Field, model_validator

from dcflex.scenario.currency import ExchangeRates
from dcflex.scenario.events import Events
from dcflex.scenario.facility import Facility, Weather
from dcflex.scenario.grid import Carbon, Grid, Tariff
from dcflex.scenario.localtime import first_local_time_problem
from dcflex.scenario.paths import relative_paths
from dcflex.scenario.series import Seed, StrictModel, field_error
from dcflex.scenario.site import Optimization, Period, Site
from dcflex.scenario.supply import Battery, Ppa, Solar, Wind
from dcflex.scenario.workload import Workload


class Scenario(StrictModel):
    """One site for one period: everything dcflex needs to prepare, build and solve."""

    name: str = Field(description="Scenario name.")
    description: str = ""
    site: Site
    period: Period
    workload: Workload
    facility: Facility = Field(default_factory=Facility)
    weather: Weather = Field(default_factory=Weather)
    grid: Grid
    tariff: Tariff
    carbon: Carbon
    solar: Solar | None = None
    wind: Wind | None = None
    ppa: Ppa | None = None
    battery: Battery | None = None
    events: Events = Field(default_factory=Events)
    optimization: Optimization = Field(default_factory=Optimization)
    seed: Seed = Field(0, description="Seed for every generator that does not set its own.")
    currency: str = Field(
        "USD", pattern=r"^[A-Z]{3}$",
        description="Reporting currency (ISO 4217 code). Money fields may be spelled in any "
                    "currency (adder_eur_per_mwh); every amount is converted to this one with "
                    "exchange_rates, and every output is named in it.")
    exchange_rates: ExchangeRates | None = Field(
        None, description="Rates between the currencies the inputs use (with date and source).")
    source_file: str | None = Field(None, description="Set by the loader; do not write it.")

    @model_validator(mode="after")
    def _local_times_exist(self) -> Scenario:
        # naive date-times are the site's wall time: each must be one instant (no DST gap/overlap)
        problem = first_local_time_problem(self, self.site.timezone)
        if problem is not None:
            raise field_error(*problem)
        return self

    def scenario_hash(self) -> str:
        """Stable SHA-256 (16 hex digits) of the resolved scenario, without its file name."""
        data = self.model_dump(mode="json", exclude={"source_file"})
        if self.source_file is not None:
            # paths relative to the scenario's folder, so a checkout on another machine (or in
            # another folder) hashes the same; the data files' contents are not hashed
            data = relative_paths(data, Path(self.source_file).resolve().parent)
        text = json.dumps(data, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()[:16]


def scenario_json_schema() -> dict:
    """JSON Schema of the scenario format (for editors' autocompletion)."""
    schema = Scenario.model_json_schema()
    schema["properties"]["extends"] = {
        "type": "string",
        "description": "Path of a base scenario file this one overrides.",
    }
    return schema
