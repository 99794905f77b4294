"""The GPU fleet and its job classes: inference, training and batch work."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Discriminator, Field, Tag, field_validator, model_validator

from dcflex.scenario.dates import IsoDateTime
from dcflex.scenario.series import Hours, Seed, SeriesSpec, StrictModel
from dcflex.scenario.strict import MAX_HOURS


class GpuSpec(StrictModel):
    """A user-defined GPU type (values per GPU, watts)."""

    name: str
    tdp_w: float = Field(gt=0, description="Thermal design power per GPU, W.")
    idle_w: float = Field(ge=0, description="Idle power per GPU, W.")
    gpus_per_server: int = Field(8, gt=0, description="GPUs per server.")
    server_overhead_w: float = Field(
        ge=0, description=("Non-GPU server power (CPUs, memory, NICs, fans) with every GPU at "
                           "TDP, W per server.")
    )
    server_overhead_idle_w: float | None = Field(
        None, ge=0, description=("Non-GPU server power with every GPU idle, W per server; "
                                 "default half of server_overhead_w (an assumption). Between "
                                 "idle and full it follows the GPUs' load linearly.")
    )
    network_storage_fraction: float = Field(
        0.0, ge=0, lt=1, description=("Network fabric and storage power per server, as a "
                                      "fraction of the server's full power, drawn constantly.")
    )

    @model_validator(mode="after")
    def _idle_below_tdp(self) -> GpuSpec:
        if self.idle_w >= self.tdp_w:
            raise ValueError(f"idle_w ({self.idle_w}) must be below tdp_w ({self.tdp_w})")
        idle_ng = self.server_overhead_idle_w
        if idle_ng is not None and idle_ng > self.server_overhead_w:
            raise ValueError(f"server_overhead_idle_w ({idle_ng}) must not exceed "
                             f"server_overhead_w ({self.server_overhead_w})")
        return self


class Sized(StrictModel):
    """How big a class is: a number of servers, or the IT power of its servers at full load.

    ``it_mw`` is what a planner knows ("50 MW of H100s"); it becomes the whole number of
    servers whose full-load power (every GPU at TDP plus the server overhead) fits in it,
    rounded down (:func:`dcflex.workloads.gpus.servers_for_it_mw`). ``dcflex inputs`` shows
    the conversion.
    """

    servers: int | None = Field(None, gt=0, description="Servers dedicated to this class.")
    it_mw: float | None = Field(
        None, gt=0, description="IT power of the class's servers at full load, MW (instead of "
                                "servers: the whole servers that fit, rounded down).")

    @model_validator(mode="after")
    def _one_size(self) -> Sized:
        if (self.servers is None) == (self.it_mw is None):
            raise ValueError("give exactly one of servers or it_mw (IT MW at full load)")
        return self


class InferenceTrace(StrictModel):
    """Utilization shaped by the Azure LLM inference trace (Patel et al., ISCA'24).

    The trace's within-hour burstiness comes from the files; the daily and weekly cycle is the
    documented assumption of :func:`dcflex.workloads.traces.diurnal_weekly_factor`.
    """

    files: list[str] = Field(min_length=1, description="AzureLLMInferenceTrace_*.csv files.")
    mean_utilization: float = Field(gt=0, le=1, description="Mean GPU utilization (fraction).")
    seed: Seed = 0


class InferenceSynthetic(StrictModel):
    """Seeded utilization calibrated to the Azure trace's burstiness."""

    mean_utilization: float = Field(gt=0, le=1, description="Mean GPU utilization (fraction).")
    peak_to_mean: float = Field(1.5, ge=1, description="Peak / mean utilization.")
    seed: Seed = 0


class InferenceClass(Sized):
    """Must-serve inference: GPU utilization follows demand; a share may be degraded.

    Give exactly one of ``utilization`` (a series), ``azure_trace`` or ``synthetic``.
    """

    kind: Literal["inference"] = "inference"
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


class TrainingClass(Sized):
    """Training with a power cap per step and a throughput floor (SLO tier)."""

    kind: Literal["training"] = "training"
    curve: str | Annotated[list[tuple[float, float]], Field(min_length=2)] = Field(
        "default",
        description=(
            "Power-cap -> throughput curve: a family name or points [[gpu_power_fraction,"
            " throughput_fraction], ...] ending at [1, 1], concave."
        ),
    )
    min_throughput: float = Field(
        0.0, ge=0, le=1, description="SLO tier: minimum average throughput over each window."
    )
    window_h: Hours = Field(24.0, description="Length of the SLO averaging window, h.")
    value_usd_per_gpu_hour: float = Field(
        2.0,
        ge=0,
        description=(
            "Value of one GPU-hour of full-throughput training, USD (default: order of 2025"
            " on-demand H100 rental prices, 2-3 USD/GPU-h)."
        ),
    )


class BatchRelease(StrictModel):
    """One release of deferrable work."""

    release: IsoDateTime = Field(description="Release time (local time of the site if naive).")
    deadline: IsoDateTime = Field(description="Deadline (local time of the site if naive).")
    gpu_hours: float = Field(ge=0, description="Work released, GPU-hours.")


class BatchTrace(StrictModel):
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
    max_window_h: Hours = Field(48.0, description="Longest release-to-deadline span, h.")


class BatchSynthetic(StrictModel):
    """Seeded daily batch releases with job sizes fitted to the Philly trace."""

    generator: Literal["philly"] = "philly"
    gpu_hours_per_day: float = Field(gt=0, description="Mean work released per day, GPU-h.")
    slack_factor: float = Field(2.0, ge=1, description="Deadline / longest job runtime.")
    max_window_h: Hours = Field(48.0, description="Longest release-to-deadline span, h.")
    seed: Seed = 0


class BatchArrivalProfile(StrictModel):
    """A submission profile of one's own: 24 local hour-of-day weights, or a series.

    Give exactly one. ``hour_of_day`` shapes every local day alike (each 24-hour day receives
    ``gpu_hours_per_day``); a ``series`` gives the relative submission rate of every step and is
    scaled so that the whole period receives ``gpu_hours_per_day`` per 24 hours on average, so
    its daily totals follow the series (a weekly cycle, holidays).
    """

    hour_of_day: list[float] | None = Field(
        None, description="Relative submission rate in each local hour 0..23 (>= 0, any scale).")
    series: SeriesSpec | None = Field(
        None, description="Relative submission rate per step (>= 0, any scale; unit fraction).")

    @model_validator(mode="after")
    def _one_profile(self) -> BatchArrivalProfile:
        given = [n for n in ("hour_of_day", "series") if getattr(self, n) is not None]
        if len(given) != 1:
            raise ValueError(f"give exactly one of hour_of_day or series (got {given or 'none'})")
        hours = self.hour_of_day
        if hours is not None and len(hours) != 24:
            raise ValueError(f"hour_of_day needs 24 weights (local hours 0..23), got {len(hours)}")
        if hours is not None and (min(hours) < 0 or sum(hours) <= 0):
            raise ValueError("hour_of_day weights must be >= 0 with a positive sum")
        return self


def _arrivals_kind(value: Any) -> str:
    """Which form ``arrivals`` takes, so errors come from that form only."""
    return "arrival_profile" if isinstance(value, dict | BatchArrivalProfile) else "arrival_name"


BatchArrivals = Annotated[
    Annotated[Literal["philly", "flat", "midnight"], Tag("arrival_name")]
    | Annotated[BatchArrivalProfile, Tag("arrival_profile")],
    Discriminator(_arrivals_kind),
]


class BatchClass(Sized):
    """Deferrable batch work: GPU-hours that arrive at times, due by deadlines.

    Give exactly one source: ``gpu_hours_per_day`` (work arriving at every step, spread over
    the day by ``arrivals``; a 23- or 25-hour day across a clock change receives 23 or 25
    hours of it), explicit ``releases``, a job ``trace`` or a ``synthetic`` generator.

    Each ``gpu_hours_per_day`` arrival is due ``deadline_h`` after it arrives (0: within the
    step it arrives in, i.e. it cannot move); work arriving within ``deadline_h`` of the end
    of the period is due at the end of the period.
    """

    kind: Literal["batch"] = "batch"
    gpu_hours_per_day: float | None = Field(
        None, ge=0, description="Work arriving per local day, GPU-hours per day.")
    arrivals: BatchArrivals = Field(
        "philly",
        description=(
            "How gpu_hours_per_day arrives: 'philly' (every step, shaped by the hour-of-day"
            " submission profile of the Philly trace, dcflex.workloads.arrivals), 'flat'"
            " (every step, evenly), 'midnight' (one block at each local midnight) or a profile"
            " of one's own {hour_of_day: [24 weights]} or {series: ...}."
        ),
    )
    deadline_h: float = Field(
        24.0, ge=0, le=MAX_HOURS,
        description="Deadline after each arrival, h (0: in its arrival step).")
    releases: list[BatchRelease] | None = Field(
        None, min_length=1, description="Explicit releases (at least one).")
    trace: BatchTrace | None = Field(None, description="Releases from a GPU job trace.")
    synthetic: BatchSynthetic | None = Field(None, description="Seeded Philly-like releases.")

    @model_validator(mode="after")
    def _one_source(self) -> BatchClass:
        given = [n for n in ("gpu_hours_per_day", "releases", "trace", "synthetic")
                 if getattr(self, n) is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of gpu_hours_per_day, releases, trace or "
                             f"synthetic (got {given or 'none'})")
        stray = [n for n in ("arrivals", "deadline_h") if n in self.model_fields_set]
        if self.gpu_hours_per_day is None and stray:
            raise ValueError(f"{' and '.join(stray)} apply to gpu_hours_per_day only "
                             f"(this class gives {given[0]})")
        return self


WorkloadClass = Annotated[
    InferenceClass | TrainingClass | BatchClass, Field(discriminator="kind")
]


class Workload(StrictModel):
    """GPU fleet and the job classes it serves."""

    gpu: str | GpuSpec = Field("H100", description="GPU type: A100, H100, H200, B200 or a spec.")
    classes: dict[str, WorkloadClass] = Field(description="Job classes by name.")
    network_storage_fraction: float | None = Field(
        None, ge=0, lt=1,
        description=("Network fabric and storage power per server as a fraction of the "
                     "server's full power (constant IT load); default: the GPU type's (0.05 "
                     "for catalog GPUs, an assumption; a GPU spec's own, default 0)."),
    )

    @field_validator("classes")
    @classmethod
    def _non_empty(cls, value: dict[str, Any]) -> dict[str, Any]:
        if not value:
            raise ValueError("at least one workload class is required")
        return value
