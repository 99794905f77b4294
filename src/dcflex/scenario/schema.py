"""Scenario files: the declared inputs of one site for one period.

A scenario is a YAML file validated into the pydantic models below. The models are the one
place where every field's unit, default and range is declared; ``dcflex schema`` prints them
as JSON Schema so editors can autocomplete scenario files.

Time series fields take one of three forms:

* a number (a constant series),
* a file reference ``{file, format, column, unit, tz, scale}`` with the path relative to the
  scenario file that names it,
* a generator ``{generator: diurnal, mean, ..., seed}``: a seeded synthetic series with
  stated statistics (see :mod:`dcflex.data.generators`).

``extends: base.yaml`` loads another scenario first and deep-merges this file over it, so
variants of a site are short files.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any, Literal

import pandas as pd
import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    ValidationError,
    field_validator,
    model_validator,
)

from dcflex.errors import ScenarioError


class _Strict(BaseModel):
    """Base model: unknown keys are errors, so typos never pass silently."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)


# --------------------------------------------------------------------------- time series specs


class FileSeries(_Strict):
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


class GeneratedSeries(_Strict):
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
    seed: int = Field(0, description="Random seed; same seed, same series.")


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


# --------------------------------------------------------------------------- site and period


class Site(_Strict):
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


class Period(_Strict):
    """Simulated period: local-time start (inclusive) and end (exclusive) dates and step."""

    start: date = Field(description="First local day simulated (inclusive).")
    end: date = Field(description="Day after the last simulated local day (exclusive).")
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


# --------------------------------------------------------------------------- workload


class GpuSpec(_Strict):
    """A user-defined GPU type (values per GPU, watts)."""

    name: str
    tdp_w: float = Field(gt=0, description="Thermal design power per GPU, W.")
    idle_w: float = Field(ge=0, description="Idle power per GPU, W.")
    gpus_per_server: int = Field(8, gt=0, description="GPUs per server.")
    server_overhead_w: float = Field(
        ge=0, description="Non-GPU server power (CPUs, memory, NICs, fans), W per server."
    )

    @model_validator(mode="after")
    def _idle_below_tdp(self) -> GpuSpec:
        if self.idle_w >= self.tdp_w:
            raise ValueError(f"idle_w ({self.idle_w}) must be below tdp_w ({self.tdp_w})")
        return self


class InferenceTrace(_Strict):
    """Utilization shaped by the Azure LLM inference trace (Patel et al., ISCA'24).

    The trace's within-hour burstiness comes from the files; the daily and weekly cycle is the
    documented assumption of :func:`dcflex.workloads.traces.diurnal_weekly_factor`.
    """

    files: list[str] = Field(min_length=1, description="AzureLLMInferenceTrace_*.csv files.")
    mean_utilization: float = Field(gt=0, le=1, description="Mean GPU utilization (fraction).")
    seed: int = 0


class InferenceSynthetic(_Strict):
    """Seeded utilization calibrated to the Azure trace's burstiness."""

    mean_utilization: float = Field(gt=0, le=1, description="Mean GPU utilization (fraction).")
    peak_to_mean: float = Field(1.5, ge=1, description="Peak / mean utilization.")
    seed: int = 0


class InferenceClass(_Strict):
    """Must-serve inference: GPU utilization follows demand; a share may be degraded.

    Give exactly one of ``utilization`` (a series), ``azure_trace`` or ``synthetic``.
    """

    kind: Literal["inference"] = "inference"
    servers: int = Field(gt=0, description="Servers dedicated to this class.")
    utilization: SeriesSpec | None = Field(
        None, description="GPU utilization per step, fraction 0..1 (demand profile)."
    )
    azure_trace: InferenceTrace | None = Field(None, description="Shape from the Azure trace.")
    synthetic: InferenceSynthetic | None = Field(None, description="Seeded synthetic shape.")
    degradable_share: float = Field(
        0.0, ge=0, le=1, description="Share of demand that may be degraded (fraction)."
    )
    degradation_penalty_usd_per_mwh: float = Field(
        1000.0, ge=0, description="Penalty per MWh of IT demand not served, USD/MWh."
    )

    @model_validator(mode="after")
    def _one_profile(self) -> InferenceClass:
        given = [n for n in ("utilization", "azure_trace", "synthetic")
                 if getattr(self, n) is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of utilization, azure_trace or synthetic "
                             f"(got {given or 'none'})")
        return self


class TrainingClass(_Strict):
    """Training with a power cap per step and a throughput floor (SLO tier)."""

    kind: Literal["training"] = "training"
    servers: int = Field(gt=0, description="Servers dedicated to this class.")
    curve: str | list[tuple[float, float]] = Field(
        "default",
        description=(
            "Power-cap -> throughput curve: a family name or points [[gpu_power_fraction,"
            " throughput_fraction], ...] ending at [1, 1], concave."
        ),
    )
    min_throughput: float = Field(
        0.0, ge=0, le=1, description="SLO tier: minimum average throughput over each window."
    )
    window_h: float = Field(24.0, gt=0, description="Length of the SLO averaging window, h.")
    value_usd_per_gpu_hour: float = Field(
        2.0,
        ge=0,
        description=(
            "Value of one GPU-hour of full-throughput training, USD (default: order of 2025"
            " on-demand H100 rental prices, 2-3 USD/GPU-h)."
        ),
    )


class BatchRelease(_Strict):
    """One release of deferrable work."""

    release: datetime = Field(description="Release time (local time of the site if naive).")
    deadline: datetime = Field(description="Deadline (local time of the site if naive).")
    gpu_hours: float = Field(ge=0, description="Work released, GPU-hours.")


class BatchTrace(_Strict):
    """Batch work from a GPU job trace (Philly format: submit time, duration, GPU count).

    The trace is shifted by whole weeks so that its first submission falls in the first week
    of the period (weekdays stay weekdays), grouped into daily releases (deadline = release +
    slack_factor × the day's longest job, capped at max_window_h) and scaled so that the mean
    GPU demand equals ``utilization`` × the class's GPUs. Releases due after the end of the
    period belong to the next period and are left out.
    """

    file: str = Field(description="Trace file (philly.csv of the Pollux artifact).")
    format: Literal["philly"] = "philly"
    tz: str = Field("UTC", description="Time zone of the trace's naive timestamps.")
    utilization: float = Field(0.5, gt=0, le=1, description="Mean share of the class's GPUs.")
    slack_factor: float = Field(2.0, ge=1, description="Deadline / longest job runtime.")
    max_window_h: float = Field(48.0, gt=0, description="Longest release-to-deadline span, h.")


class BatchSynthetic(_Strict):
    """Seeded daily batch releases with job sizes fitted to the Philly trace."""

    generator: Literal["philly"] = "philly"
    gpu_hours_per_day: float = Field(gt=0, description="Mean work released per day, GPU-h.")
    slack_factor: float = Field(2.0, ge=1, description="Deadline / longest job runtime.")
    max_window_h: float = Field(48.0, gt=0, description="Longest release-to-deadline span, h.")
    seed: int = 0


class BatchClass(_Strict):
    """Deferrable batch work: GPU-hours released at times, due by deadlines.

    Give exactly one source: ``gpu_hours_per_day`` (a release at each local midnight),
    explicit ``releases``, a job ``trace`` or a ``synthetic`` generator.
    """

    kind: Literal["batch"] = "batch"
    servers: int = Field(gt=0, description="Servers dedicated to this class.")
    gpu_hours_per_day: float | None = Field(
        None, ge=0, description="Daily release at local midnight, GPU-hours per day."
    )
    deadline_h: float = Field(24.0, gt=0, description="Deadline after each daily release, h.")
    releases: list[BatchRelease] | None = Field(None, description="Explicit releases.")
    trace: BatchTrace | None = Field(None, description="Releases from a GPU job trace.")
    synthetic: BatchSynthetic | None = Field(None, description="Seeded Philly-like releases.")

    @model_validator(mode="after")
    def _one_source(self) -> BatchClass:
        given = [n for n in ("gpu_hours_per_day", "releases", "trace", "synthetic")
                 if getattr(self, n) is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of gpu_hours_per_day, releases, trace or "
                             f"synthetic (got {given or 'none'})")
        return self


WorkloadClass = Annotated[
    InferenceClass | TrainingClass | BatchClass, Field(discriminator="kind")
]


class Workload(_Strict):
    """GPU fleet and the job classes it serves."""

    gpu: str | GpuSpec = Field("H100", description="GPU type: A100, H100, H200, B200 or a spec.")
    classes: dict[str, WorkloadClass] = Field(description="Job classes by name.")

    @field_validator("classes")
    @classmethod
    def _non_empty(cls, value: dict[str, Any]) -> dict[str, Any]:
        if not value:
            raise ValueError("at least one workload class is required")
        return value


# --------------------------------------------------------------------------- facility, grid, tariff


class Facility(_Strict):
    """Cooling and non-IT overhead."""

    cooling: Literal["air_economizer", "water_economizer", "chiller"] = Field(
        "air_economizer", description="Cooling design used to compute PUE from weather."
    )
    pue: float | None = Field(
        None, ge=1.0, le=3.0, description="Constant PUE; overrides the weather model if set."
    )
    fixed_overhead_mw: float = Field(0.0, ge=0, description="Constant non-IT load, MW.")


class Weather(_Strict):
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


class Grid(_Strict):
    """Connection to the grid."""

    import_limit_mw: float = Field(gt=0, description="Interconnection import capacity, MW.")
    export_limit_mw: float = Field(0.0, ge=0, description="Export capacity, MW.")
    export_price_usd_per_mwh: SeriesSpec | Literal["wholesale"] = Field(
        "wholesale", description="Price paid for exported energy, USD/MWh."
    )


LocalHour = Annotated[int, Field(ge=0, le=24)]
Month = Annotated[int, Field(ge=1, le=12)]


class TouPeriod(_Strict):
    """A time-of-use energy rate period (local time)."""

    price_usd_per_mwh: float = Field(description="Energy rate in this period, USD/MWh.")
    hours: tuple[LocalHour, LocalHour] = Field(
        description="Local hours [start, end), 0..24, e.g. [16, 21]; [22, 6] wraps midnight.")
    months: list[Month] = Field(default_factory=lambda: list(range(1, 13)),
                                description="Months (1..12) the period applies in.")
    weekdays_only: bool = False


class DemandCharge(_Strict):
    """A demand charge on the monthly peak import (local billing months)."""

    rate_usd_per_mw_month: float = Field(ge=0, description="USD per MW of monthly peak.")
    hours: tuple[LocalHour, LocalHour] | None = Field(
        None, description="Demand window, local hours [start, end), 0..24; [22, 6] wraps "
                          "midnight; whole day if omitted."
    )
    weekdays_only: bool = False


class Tariff(_Strict):
    """Energy, demand and fixed charges."""

    energy_price_usd_per_mwh: SeriesSpec | None = Field(
        None, description="Wholesale or retail energy price per step, USD/MWh."
    )
    tou: list[TouPeriod] | None = Field(None, description="Time-of-use rates (local time).")
    adder_usd_per_mwh: float = Field(0.0, description="Added to every MWh imported, USD/MWh.")
    demand_charges: list[DemandCharge] = Field(default_factory=list)
    fixed_usd_per_month: float = Field(0.0, ge=0, description="Fixed charge, USD per month.")

    @model_validator(mode="after")
    def _one_energy_price(self) -> Tariff:
        if (self.energy_price_usd_per_mwh is None) == (self.tou is None):
            raise ValueError("give exactly one of energy_price_usd_per_mwh or tou")
        return self


class Carbon(_Strict):
    """Grid carbon signals and carbon objectives."""

    average_kg_per_mwh: SeriesSpec = Field(description="Average grid intensity, kg CO2/MWh.")
    marginal_kg_per_mwh: SeriesSpec | None = Field(
        None, description="Marginal grid intensity, kg CO2/MWh."
    )
    grid_cfe_fraction: SeriesSpec | None = Field(
        None, description="Carbon-free share of grid supply per step, fraction 0..1."
    )
    price_usd_per_t: float = Field(0.0, ge=0, description="Carbon price, USD per t CO2.")
    cfe_target: float | None = Field(
        None, ge=0, le=1, description="Minimum hourly-matched clean-energy score (fraction)."
    )


class Solar(_Strict):
    """On-site photovoltaics (modelled with pvlib PVWatts)."""

    capacity_mw_dc: float = Field(gt=0, description="DC nameplate, MW.")
    tilt_deg: float | None = Field(None, ge=0, le=90, description="Tilt; latitude if omitted.")
    azimuth_deg: float = Field(180.0, ge=0, lt=360, description="Azimuth, degrees from north.")
    tracking: Literal["fixed", "single_axis"] = "fixed"
    dc_ac_ratio: float = Field(1.2, gt=0, description="DC/AC ratio.")
    losses_pct: float = Field(14.0, ge=0, lt=100, description="System losses, % (PVWatts).")
    profile_fraction: SeriesSpec | None = Field(
        None, description="Output as fraction of AC capacity; replaces the weather model."
    )


class Wind(_Strict):
    """On-site or contracted-in-front-of-meter wind."""

    capacity_mw: float = Field(gt=0, description="Nameplate, MW.")
    hub_height_m: float = Field(100.0, gt=0, description="Hub height, m.")
    wind_speed_m_per_s: SeriesSpec | None = Field(None, description="Wind speed, m/s.")
    measurement_height_m: float = Field(10.0, gt=0, description="Height of wind speed data, m.")
    profile_fraction: SeriesSpec | None = Field(
        None, description="Output as fraction of capacity; replaces the power curve."
    )
    losses_pct: float = Field(10.0, ge=0, lt=100, description="Wake and electrical losses, %.")


class Ppa(_Strict):
    """Contracted clean supply, take-or-pay."""

    profile_mw: SeriesSpec = Field(description="Contracted delivery per step, MW.")
    price_usd_per_mwh: float = Field(description="Contract price, USD/MWh.")


class Battery(_Strict):
    """Battery energy storage at the site."""

    power_mw: float = Field(gt=0, description="Charge and discharge power limit, MW.")
    energy_mwh: float = Field(gt=0, description="Usable energy capacity, MWh.")
    charge_efficiency: float = Field(0.95, gt=0, le=1, description="Charge efficiency.")
    discharge_efficiency: float = Field(0.95, gt=0, le=1, description="Discharge efficiency.")
    soc_min_fraction: float = Field(0.1, ge=0, lt=1, description="Minimum state of charge.")
    soc_max_fraction: float = Field(0.9, gt=0, le=1, description="Maximum state of charge.")
    soc_initial_fraction: float = Field(0.5, ge=0, le=1, description="Start (= end) SoC.")
    cycle_cost_usd_per_mwh: float = Field(
        0.0, ge=0, description="Wear cost per MWh discharged, USD/MWh."
    )

    @model_validator(mode="after")
    def _soc_order(self) -> Battery:
        if not self.soc_min_fraction < self.soc_max_fraction:
            raise ValueError("soc_min_fraction must be below soc_max_fraction")
        if not self.soc_min_fraction <= self.soc_initial_fraction <= self.soc_max_fraction:
            raise ValueError("soc_initial_fraction must lie between soc_min and soc_max")
        return self


class DemandResponseEvent(_Strict):
    """A demand-response call: hold import at a cap during a local-time window."""

    start: datetime = Field(description="Start, local time of the site.")
    end: datetime = Field(description="End (exclusive), local time of the site.")
    reduce_to_fraction: float | None = Field(
        None, ge=0, le=1, description="Cap = this fraction of the business-as-usual import."
    )
    cap_mw: float | None = Field(None, ge=0, description="Absolute import cap, MW.")
    payment_usd_per_mwh: float = Field(0.0, ge=0, description="Paid per MWh reduced, USD/MWh.")
    shortfall_penalty_usd_per_mwh: float | None = Field(
        None, ge=0, description="Penalty per MWh above the cap; a hard cap if omitted."
    )

    @model_validator(mode="after")
    def _one_cap(self) -> DemandResponseEvent:
        if (self.reduce_to_fraction is None) == (self.cap_mw is None):
            raise ValueError("give exactly one of reduce_to_fraction or cap_mw")
        if self.end <= self.start:
            raise ValueError("end must be after start")
        return self


class ImportCap(_Strict):
    """Flexible-interconnection hours: import capped during a local-time window."""

    start: datetime = Field(description="Start, local time of the site.")
    end: datetime = Field(description="End (exclusive), local time of the site.")
    cap_mw: float = Field(ge=0, description="Import cap, MW.")

    @model_validator(mode="after")
    def _ordered(self) -> ImportCap:
        if self.end <= self.start:
            raise ValueError("end must be after start")
        return self


class Events(_Strict):
    demand_response: list[DemandResponseEvent] = Field(default_factory=list)
    import_caps: list[ImportCap] = Field(default_factory=list)


class Optimization(_Strict):
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


class Scenario(_Strict):
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
    seed: int = Field(0, description="Seed for every generator that does not set its own.")
    source_file: str | None = Field(None, description="Set by the loader; do not write it.")

    def scenario_hash(self) -> str:
        """Stable SHA-256 (16 hex digits) of the resolved scenario, without its file name."""
        data = self.model_dump(mode="json", exclude={"source_file"})
        if self.source_file is not None:
            # paths relative to the scenario's folder, so a checkout on another machine (or in
            # another folder) hashes the same; the data files' contents are not hashed
            data = _relative_paths(data, Path(self.source_file).resolve().parent)
        text = json.dumps(data, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()[:16]


# --------------------------------------------------------------------------- loading

_PATH_KEYS = ("file",)
_PATH_LIST_KEYS = ("files",)


def _map_paths(data: Any, change: Callable[[str], str]) -> Any:
    """``data`` with ``change`` applied to every ``file:`` value and ``files:`` list entry."""
    if isinstance(data, dict):
        out = {}
        for key, value in data.items():
            if key in _PATH_KEYS and isinstance(value, str):
                out[key] = change(value)
            elif key in _PATH_LIST_KEYS and isinstance(value, list):
                out[key] = [change(v) if isinstance(v, str) else v for v in value]
            else:
                out[key] = _map_paths(value, change)
        return out
    if isinstance(data, list):
        return [_map_paths(v, change) for v in data]
    return data


def _relative_paths(data: Any, base_dir: Path) -> Any:
    """``data`` with every absolute ``file``/``files`` path under ``base_dir`` made relative."""
    def rel(value: str) -> str:
        p = Path(value)
        return p.relative_to(base_dir).as_posix() if p.is_relative_to(base_dir) else value

    return _map_paths(data, rel)


class _LineLoader(yaml.SafeLoader):
    """SafeLoader that remembers the line of every mapping value."""


def _compose_lines(text: str, file: str) -> tuple[Any, dict[tuple, int]]:
    """Parse YAML and return (data, {path tuple: 1-based line})."""
    try:
        node = yaml.compose(text, Loader=_LineLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc)
        raise ScenarioError(f"malformed YAML: {problem}", file=file, line=line) from None
    lines: dict[tuple, int] = {}

    def walk(n: Any, path: tuple) -> None:
        lines[path] = n.start_mark.line + 1
        if isinstance(n, yaml.MappingNode):
            for key_node, value_node in n.value:
                walk(value_node, (*path, key_node.value))
                lines[(*path, key_node.value)] = key_node.start_mark.line + 1
        elif isinstance(n, yaml.SequenceNode):
            for i, item in enumerate(n.value):
                walk(item, (*path, i))

    if node is not None:
        walk(node, ())
    try:
        data = yaml.load(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:  # pragma: no cover - compose already parsed it
        raise ScenarioError(f"malformed YAML: {exc}", file=file) from None
    return data, lines


def _read_text(path: Path, what: str) -> str:
    """The text of a YAML file, or a ScenarioError saying why it cannot be read."""
    if not path.exists():
        raise ScenarioError(f"{what} file not found", file=path)
    if not path.is_file():
        raise ScenarioError(f"expected a {what} YAML file, found a folder", file=path)
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ScenarioError(f"expected UTF-8 text, found byte {exc.object[exc.start]:#04x} at "
                            f"offset {exc.start}", file=path) from None


def read_yaml_file(path: str | Path, what: str = "scenario") -> Any:
    """Parse a YAML file of dcflex (scenario, sites or sweep file).

    Raises
    ------
    ScenarioError
        Naming the file (and the line, for malformed YAML) if it is missing or not YAML.
    """
    path = Path(path)
    try:
        return yaml.safe_load(_read_text(path, what))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise ScenarioError(f"malformed YAML: {getattr(exc, 'problem', None) or exc}", file=path,
                            line=mark.line + 1 if mark is not None else None) from None


def resolve_paths(data: Any, base_dir: Path) -> Any:
    """Make every ``file:`` (and ``files:`` list) value absolute, relative to the file that
    names it.

    ``data:`` and ``pvlib:`` references stay as they are (see :mod:`dcflex.model.inputs`).
    """
    def absolute(value: str) -> str:
        if value.startswith(("pvlib:", "data:")):
            return value
        p = Path(value).expanduser()
        return str(p if p.is_absolute() else (base_dir / p).resolve())

    return _map_paths(data, absolute)


def _form(mapping: dict) -> tuple:
    """What kind of thing a mapping is: a file series, a generator of a given kind, a workload
    class of a given kind. Mappings of different forms share almost no fields."""
    return ("file" in mapping, mapping.get("generator"), mapping.get("kind"))


def deep_merge(base: Any, over: Any) -> Any:
    """Merge ``over`` into ``base``: mappings merge key by key, everything else replaces.

    A mapping of another form replaces the base's instead of merging into it, so a variant can
    turn a generated price series into a file series, or a training class into a batch class,
    without inheriting fields the new form does not have.
    """
    if isinstance(base, dict) and isinstance(over, dict) and _form(base) != _form(over) and (
            "file" in over or "generator" in over or "kind" in over):
        return over
    if isinstance(base, dict) and isinstance(over, dict):
        merged = dict(base)
        for key, value in over.items():
            merged[key] = deep_merge(base[key], value) if key in base else value
        return merged
    return over


def _load_raw(path: Path, seen: tuple[Path, ...]) -> tuple[dict, dict[tuple, tuple[str, int]]]:
    """Load one file and the files it extends; return (data, {path: (file, line)})."""
    if path in seen:
        chain = " -> ".join(str(p) for p in (*seen, path))
        raise ScenarioError(f"circular 'extends' chain: {chain}", file=path, field="extends")
    text = _read_text(path, "scenario")
    data, lines = _compose_lines(text, str(path))
    if data is None:
        raise ScenarioError("scenario file is empty", file=path)
    if not isinstance(data, dict):
        raise ScenarioError(
            f"expected a mapping of fields at the top level, got {type(data).__name__}", file=path
        )
    where = {k: (str(path), v) for k, v in lines.items()}
    data = resolve_paths(data, path.parent)
    parent = data.pop("extends", None)
    if parent is None:
        return data, where
    if not isinstance(parent, str):
        raise ScenarioError(
            "must be the path of another scenario file", file=path, field="extends",
            line=lines.get(("extends",)),
        )
    parent_path = (path.parent / parent).resolve()
    if not parent_path.exists():
        raise ScenarioError(
            f"extended scenario file not found: {parent_path}",
            file=path, field="extends", line=lines.get(("extends",)),
        )
    base, base_where = _load_raw(parent_path, (*seen, path))
    return deep_merge(base, data), {**base_where, **where}


def _format_loc(loc: tuple) -> str:
    parts: list[str] = []
    for item in loc:
        if isinstance(item, int):
            parts.append(f"[{item}]")
        else:
            parts.append(("." if parts else "") + str(item))
    return "".join(parts)


_UNION_TAGS = {"inference", "training", "batch", "number", "file", "generator", "float", "str",
               "FileSeries", "GeneratedSeries", "GpuSpec", "literal['wholesale']"}


def _clean_loc(loc: tuple, data: Any) -> tuple:
    """Drop pydantic's union-branch tags from an error location, keeping field names.

    Pydantic puts the tag of the union branch it tried (``inference``, ``generator``, ...)
    into the location; at most one tag stands between two levels of the data.
    """
    out: list = []
    node = data
    tag_skipped = False
    for i, item in enumerate(loc):
        deeper = i + 1 < len(loc)
        in_dict = isinstance(node, dict) and item in node
        if in_dict and deeper and item in _UNION_TAGS and not tag_skipped and not isinstance(
            node[item], dict | list
        ):
            # a scalar cannot hold the rest of the path: this is a tag, not the key
            in_dict = False
        in_list = isinstance(node, list) and isinstance(item, int) and item < len(node)
        if in_dict or in_list:
            out.append(item)
            node = node[item]
            tag_skipped = False
        elif isinstance(item, str) and item in _UNION_TAGS and not tag_skipped:
            tag_skipped = True
        else:
            out.append(item)
            node = None
            tag_skipped = True
    return tuple(out)


def scenario_from_dict(data: dict, file: str | Path | None = None,
                       lines: dict[tuple, tuple[str, int]] | None = None) -> Scenario:
    """Validate a scenario given as a mapping.

    Parameters
    ----------
    data : dict
        Scenario fields (paths in ``file:`` keys must already be absolute or relative to the
        working directory).
    file : path, optional
        Name used in error messages.
    lines : dict, optional
        Map from field path to (file, line) for error messages.

    Raises
    ------
    ScenarioError
        Naming the file, line, field path and what was expected.
    """
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        err = _pick_error(exc.errors())
        loc = _clean_loc(tuple(err["loc"]), data)
        field = _format_loc(loc) or None
        where_file, line = str(file) if file else None, None
        if lines:
            probe = loc
            while probe and probe not in lines:
                probe = probe[:-1]
            if probe in lines:
                where_file, line = lines[probe]
        message = _describe(err)
        raise ScenarioError(message, file=where_file, field=field, line=line) from None


def _pick_error(errors: list[dict]) -> dict:
    """Choose the most telling error among pydantic's (union branches produce many)."""

    def rank(e: dict) -> tuple:
        typ = e.get("type", "")
        union_noise = any(
            isinstance(p, str) and p in ("float", "FileSeries", "GeneratedSeries", "str")
            for p in e["loc"]
        )
        return (typ == "extra_forbidden", not union_noise, len(e["loc"]))

    return max(errors, key=rank)


def _describe(err: dict) -> str:
    typ = err.get("type", "")
    got = err.get("input")
    if typ == "extra_forbidden":
        return "unknown field (check the spelling; 'dcflex schema' lists the fields)"
    if typ == "missing":
        return "required field is missing"
    msg = err.get("msg", "invalid value")
    msg = msg.replace("Value error, ", "")
    if typ in ("greater_than", "greater_than_equal", "less_than", "less_than_equal"):
        msg = msg.replace("Input should be ", "must be ")
    elif msg.startswith("Input should be "):
        msg = "expected " + msg[len("Input should be "):]
    if got is not None and not isinstance(got, dict | list):
        msg = f"{msg}, got {got!r}"
    return msg


def load_scenario(path: str | Path, overrides: dict | None = None) -> Scenario:
    """Load and validate a scenario YAML file (following ``extends``).

    Parameters
    ----------
    path : path
        The scenario file.
    overrides : dict, optional
        Nested mapping deep-merged over the file's content (used by sweeps).

    Returns
    -------
    Scenario

    Raises
    ------
    ScenarioError
        With file, line, field path and what was expected.
    """
    path = Path(path).resolve()
    data, lines = _load_raw(path, ())
    if overrides:
        data = deep_merge(data, overrides)
    data["source_file"] = str(path)
    return scenario_from_dict(data, file=path, lines=lines)


def scenario_json_schema() -> dict:
    """JSON Schema of the scenario format (for editors' autocompletion)."""
    schema = Scenario.model_json_schema()
    schema["properties"]["extends"] = {
        "type": "string",
        "description": "Path of a base scenario file this one overrides.",
    }
    return schema
