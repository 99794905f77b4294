"""Event files: one grid event on one GPU cluster, as the grid asked for it.

An event file (YAML) holds four things, kept apart so that the prediction can be given the
first three only (:meth:`EventFile.predictor_inputs`):

* ``cluster`` -- the GPU type, the DVFS sweep the job curves come from, and the jobs (workload
  id of the sweep, GPU count, Flex tier);
* ``request`` -- what the grid asked: time zone and date, windows held at a fraction below the
  baseline or under a cap in kW, and the ramps (and notice, if known) the programme allows;
* ``baseline`` -- how the baseline is known before the event: the sweep's uncapped power of
  the jobs, or the mean of metered power in the minutes before notice;
* ``measured`` -- optional: the meter (total, per job), measured job performance and another
  party's prediction, for scoring only.

Times of day are quoted ``"HH:MM"`` strings in the request's time zone on the request's date
(YAML 1.1 reads an unquoted 16:00 as the number 960). Data paths are relative to the event
file, or ``shared:<folder>/<file>`` for the public reference data
(:func:`dcflex.data.datasets.shared_data`). :data:`BUNDLED_EVENTS` lists the event files that
ship with the package (``dcflex replay emerald-srp``).
"""

from __future__ import annotations

import datetime as dt
from importlib import resources
from pathlib import Path
from typing import Annotated, Literal

import pandas as pd
from pydantic import BeforeValidator, Field, ValidationError, field_validator, model_validator

from dcflex.data.datasets import shared_data
from dcflex.errors import ScenarioError
from dcflex.scenario.loader import _clean_loc, _describe, _format_loc, _pick_error
from dcflex.scenario.series import StrictModel
from dcflex.scenario.yamlfile import parse_with_lines, read_text
from dcflex.studies.field.cluster import FLEX_TIERS

#: Folder of the bundled event and calibration files (package data of this package).
EVENTS_FOLDER = "events"
#: Event files that ship with dcflex, by name.
BUNDLED_EVENTS: tuple[str, ...] = ("emerald-srp", "emerald-aps")

_SHARED = "shared:"


def _clock(value: object) -> str:
    if not isinstance(value, str):
        raise ValueError(f"expected a quoted time \"HH:MM\", got {value!r} "
                         "(YAML reads an unquoted 16:00 as the number 960)")
    try:
        clock = dt.datetime.strptime(value, "%H:%M")
    except ValueError:
        raise ValueError(f"expected a time \"HH:MM\", got {value!r}") from None
    return clock.strftime("%H:%M")  # zero-padded, so that strings compare in time order


#: A time of day, ``"HH:MM"`` (zero-padded, so strings compare in time order).
Clock = Annotated[str, BeforeValidator(_clock)]


class JobSpec(StrictModel):
    """One job of the cluster."""

    name: str = Field(description="Job id; schedule columns and measured columns use it.")
    workload: str = Field(description="Workload id of the DVFS sweep whose curve the job has.")
    n_gpus: int = Field(gt=0, description="GPUs the job holds.")
    flex: int = Field(description="Flex tier 0-3 (minimum average throughput 1, 0.9, 0.75, 0.5).")

    @field_validator("flex")
    @classmethod
    def _known_tier(cls, v: int) -> int:
        if v not in FLEX_TIERS:
            raise ValueError(f"expected a Flex tier in {sorted(FLEX_TIERS)}, got {v}")
        return v


class ClusterSpec(StrictModel):
    """GPU type, DVFS sweep and jobs."""

    gpu: str = Field("A100", description="GPU type of the catalog (TDP, minimum power limit).")
    dvfs_sweep: str = Field(description="DVFS sweep CSV (emerald-demo format).")
    paused_gpu_metered_w: float = Field(
        ge=0, description="Power the meter counts for a GPU of a paused job, W.")
    restart_cost_min: float = Field(
        0.0, ge=0, description="Minutes of full-throughput work lost per restart after a pause.")
    jobs: list[JobSpec] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_names(self) -> ClusterSpec:
        names = [j.name for j in self.jobs]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise ValueError(f"job names must be unique, repeated: {dup}")
        return self


class WindowSpec(StrictModel):
    """A window the reduction must be held over (ramps lie outside it)."""

    start: Clock = Field(description="Start of the sustained reduction, \"HH:MM\" local.")
    end: Clock = Field(description="End of the sustained reduction, \"HH:MM\" local.")
    cut_fraction: float | None = Field(
        None, gt=0, lt=1, description="Reduction below the baseline, fraction of the baseline.")
    cap_kw: float | None = Field(None, gt=0, description="Cap on cluster power, kW.")


    @model_validator(mode="after")
    def _one_target(self) -> WindowSpec:
        if (self.cut_fraction is None) == (self.cap_kw is None):
            raise ValueError("give exactly one of cut_fraction and cap_kw")
        if self.end <= self.start:
            raise ValueError(f"end {self.end} must be after start {self.start} (same day)")
        return self


class RequestSpec(StrictModel):
    """What the grid asked for."""

    timezone: str = Field(description="IANA time zone of the times of day.")
    date: dt.date = Field(description="Local date of the event.")
    windows: list[WindowSpec] = Field(min_length=1)
    ramp_down_min: int = Field(ge=0, description="Ramp allowed before each window, minutes.")
    ramp_up_min: int = Field(ge=0, description="Ramp allowed after each window, minutes.")
    notice_min: int | None = Field(
        None, ge=0, description="Notice before the ramp-down starts, minutes (null: unknown).")
    timing_source: str = Field(
        min_length=1, description="Where the clock times of the windows and ramps come from "
                                  "(shown beside every score: the times are part of the request).")

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, v: str) -> str:
        try:
            pd.Timestamp("2025-01-01", tz=v)
        except Exception:  # noqa: BLE001 - pandas raises several types for unknown zones
            raise ValueError(f"unknown time zone {v!r}") from None
        return v


class TraceSpec(StrictModel):
    """Metered power before notice, for the pre-notice baseline rule."""

    file: str
    sheet: str | None = None
    header_row: int = Field(0, ge=0)
    time_column: str
    column: str
    unit: Literal["W", "kW"] = "W"
    shift_to_request_date: bool = Field(
        False, description="Move the file's timestamps by whole days onto the request date.")


class BaselineSpec(StrictModel):
    """How the baseline is known before the event."""

    rule: Literal["sweep", "pre_notice_mean"] = Field(
        description="sweep: the jobs' uncapped power in the DVFS sweep (times the calibrated "
                    "meter scale); pre_notice_mean: mean metered power before notice.")
    minutes: int = Field(60, gt=0, description="Minutes averaged before notice.")
    telemetry: TraceSpec | None = Field(
        None, description="Metered power file for pre_notice_mean (read before notice only).")

    @model_validator(mode="after")
    def _needs_telemetry(self) -> BaselineSpec:
        if self.rule == "pre_notice_mean" and self.telemetry is None:
            raise ValueError("rule pre_notice_mean needs telemetry (a file of metered power)")
        return self


class HorizonSpec(StrictModel):
    """Span predicted, 1-min steps, local times on the request date (end excluded)."""

    start: Clock
    end: Clock


class ReferenceSpec(StrictModel):
    """Another party's prediction of total power, in the measured table."""

    label: str
    time_column: str
    column: str
    kind: Literal["minute", "steps"] = Field(
        "steps", description="steps: each value holds until the next timestamp.")


class PerformanceSpec(StrictModel):
    """Measured job performance (emerald-demo SRP_exp_performance.csv format)."""

    file: str
    span: HorizonSpec = Field(description="Span the performance was averaged over.")


class MeasuredSpec(StrictModel):
    """The meter and other observations, for scoring only."""

    file: str
    sheet: str | None = None
    header_row: int = Field(0, ge=0)
    time_column: str
    unit: Literal["W", "kW"] = "W"
    total_column: str
    job_columns: dict[str, str] = Field(default_factory=dict,
                                        description="Job name -> column of its metered power.")
    shift_to_request_date: bool = False
    baseline_window: HorizonSpec = Field(
        description="Metered minutes whose mean is the baseline the scores are relative to.")
    reference: ReferenceSpec | None = None
    performance: PerformanceSpec | None = None


class EventFile(StrictModel):
    """One event file (see the module docstring)."""

    name: str
    title: str
    source: str
    cluster: ClusterSpec
    request: RequestSpec
    baseline: BaselineSpec
    horizon: HorizonSpec
    measured: MeasuredSpec | None = None

    @model_validator(mode="after")
    def _jobs_known(self) -> EventFile:
        names = {j.name for j in self.cluster.jobs}
        if self.measured is not None:
            unknown = sorted(set(self.measured.job_columns) - names)
            if unknown:
                raise ValueError(f"measured.job_columns names jobs not in the cluster: {unknown}")
        if self.horizon.end <= self.horizon.start:
            raise ValueError("horizon.end must be after horizon.start")
        return self

    def predictor_inputs(self) -> tuple[ClusterSpec, RequestSpec, BaselineSpec, HorizonSpec]:
        """What the prediction may see: everything but ``measured``."""
        return self.cluster, self.request, self.baseline, self.horizon


class Event:
    """A validated event file and the folder its relative paths start from."""

    def __init__(self, spec: EventFile, path: Path) -> None:
        self.spec = spec
        self.path = path

    @property
    def name(self) -> str:
        return self.spec.name

    def resolve(self, ref: str) -> Path:
        """Path of a data file named in the event file."""
        return resolve_data_path(ref, self.path)


def resolve_data_path(ref: str, relative_to: Path) -> Path:
    """``shared:<parts>`` -> the reference data file; else relative to the naming file."""
    if ref.startswith(_SHARED):
        return shared_data(*Path(ref[len(_SHARED):]).parts)
    path = Path(ref)
    return path if path.is_absolute() else (relative_to.parent / path).resolve()


def local_time(request: RequestSpec, clock: str) -> pd.Timestamp:
    """A ``"HH:MM"`` on the request date, tz-aware in the request's zone."""
    return pd.Timestamp(f"{request.date.isoformat()} {clock}", tz=request.timezone)


def bundled_path(name: str) -> Path:
    """Path of a bundled event or calibration file (``<name>.yaml`` in the package data)."""
    return Path(str(resources.files("dcflex.studies.field").joinpath(EVENTS_FOLDER,
                                                                       f"{name}.yaml")))


def load_event(name_or_path: str | Path) -> Event:
    """Load an event file by bundled name (:data:`BUNDLED_EVENTS`) or path.

    Raises
    ------
    ScenarioError
        Unknown name, missing file, malformed YAML or a field of the wrong form (naming the
        file, line and field).
    """
    text_ref = str(name_or_path)
    if text_ref in BUNDLED_EVENTS:
        path = bundled_path(text_ref)
    else:
        path = Path(name_or_path)
        if not path.exists() and path.suffix not in (".yaml", ".yml"):
            raise ScenarioError(f"unknown event {text_ref!r}: expected one of "
                                f"{list(BUNDLED_EVENTS)} or the path of an event YAML file",
                                field="event")
    text = read_text(path, "event")
    data, lines = parse_with_lines(text, str(path))
    if not isinstance(data, dict):
        raise ScenarioError("expected a mapping of fields at the top level", file=path)
    try:
        spec = EventFile.model_validate(data)
    except ValidationError as exc:
        err = _pick_error(exc.errors())
        loc = _clean_loc(tuple(err["loc"]), data)
        probe = loc
        while probe and probe not in lines:
            probe = probe[:-1]
        raise ScenarioError(_describe(err), file=path, field=_format_loc(loc) or None,
                            line=lines.get(probe)) from None
    return Event(spec, path)
