"""The GPU fleet and its job classes: inference, training and batch work."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import Field, field_validator, model_validator

from dcflex.scenario.series import Hours, Seed, SeriesSpec, StrictModel


class GpuSpec(StrictModel):
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


class InferenceClass(StrictModel):
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


class TrainingClass(StrictModel):
    """Training with a power cap per step and a throughput floor (SLO tier)."""

    kind: Literal["training"] = "training"
    servers: int = Field(gt=0, description="Servers dedicated to this class.")
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

    release: datetime = Field(description="Release time (local time of the site if naive).")
    deadline: datetime = Field(description="Deadline (local time of the site if naive).")
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


class BatchClass(StrictModel):
    """Deferrable batch work: GPU-hours released at times, due by deadlines.

    Give exactly one source: ``gpu_hours_per_day`` (a release at each local midnight),
    explicit ``releases``, a job ``trace`` or a ``synthetic`` generator.
    """

    kind: Literal["batch"] = "batch"
    servers: int = Field(gt=0, description="Servers dedicated to this class.")
    gpu_hours_per_day: float | None = Field(
        None, ge=0, description="Daily release at local midnight, GPU-hours per day."
    )
    deadline_h: Hours = Field(24.0, description="Deadline after each daily release, h.")
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
        return self


WorkloadClass = Annotated[
    InferenceClass | TrainingClass | BatchClass, Field(discriminator="kind")
]


class Workload(StrictModel):
    """GPU fleet and the job classes it serves."""

    gpu: str | GpuSpec = Field("H100", description="GPU type: A100, H100, H200, B200 or a spec.")
    classes: dict[str, WorkloadClass] = Field(description="Job classes by name.")

    @field_validator("classes")
    @classmethod
    def _non_empty(cls, value: dict[str, Any]) -> dict[str, Any]:
        if not value:
            raise ValueError("at least one workload class is required")
        return value
