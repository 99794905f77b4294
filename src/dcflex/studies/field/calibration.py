"""Controller parameters of an event prediction: stated defaults, or calibrated on one event.

The prediction (:func:`dcflex.studies.field.predict.predict`) needs a few numbers that neither
the request nor the DVFS sweep give. Each has a stated default with its source; three of them
can be calibrated on an event whose meter is known
(:func:`dcflex.studies.field.calibrate.calibrate`) and then used unchanged on another event.
A calibration file (YAML) records for each parameter its value, unit, what it is and how it
was obtained; :func:`read_calibration` and :func:`write_calibration` read and write it.

Calibrated: ``meter_scale``, ``cut_margin``, ``tier_window``, ``job_control``. Stated (never
calibrated):
``response_delay_min`` (0: "Control overhead of power capping is negligible, making real-time
responsiveness feasible even in busy clusters", Colangelo et al. 2025, arXiv:2507.00909),
``ramp_down_min`` / ``ramp_up_min`` (the programme's), ``release_delay_min`` (0).
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

import yaml

from dcflex.errors import ScenarioError
from dcflex.scenario.yamlfile import read_yaml_file
from dcflex.studies.field.event_file import bundled_path
from dcflex.studies.field.request import Dynamics
from dcflex.version import __version__

#: Name of the bundled calibration (calibrated on the SRP event).
BUNDLED_CALIBRATION = "calibration-emerald-srp"

#: How the controller takes power from a job (parameter ``job_control``).
JOB_CONTROLS: tuple[str, ...] = ("cap_and_pause", "pause_only")

#: Unit and meaning of each parameter, and the source of its default.
PARAMETERS: dict[str, tuple[str, str, str]] = {
    "meter_scale": (
        "dimensionless",
        "Metered cluster power / the DVFS sweep's power of the same jobs at the same caps "
        "(applies to every job's power).",
        "default 1: the meter reads what the sweep measured",
    ),
    "cut_margin": (
        "fraction of baseline",
        "Extra reduction the controller holds below the request during a window (a "
        "compliance buffer).",
        "default 0: the controller holds exactly the request",
    ),
    "tier_window": (
        "request | horizon",
        "Span over which each job's average throughput must reach its Flex tier: the request "
        "window with its ramps, or the whole predicted horizon.",
        "default request: tiers allow a reduction 'over a 3-6 hour period' (Colangelo et al. "
        "2025); the request window with its ramps is 3.5 h",
    ),
    "job_control": (
        "cap_and_pause | pause_only",
        "How the controller takes power from a job: cap_and_pause -- DVFS caps and pauses, "
        "so the LP follows each job's concave power-cap curve and spreads the cut over many "
        "jobs at moderate caps; pause_only -- pauses and GPU-count resizing only, so a job's "
        "throughput falls in proportion to the power taken and the LP takes the cut from the "
        "job of least tier weight per kW (the most flexible, largest first) down to its tier "
        "floor before the next, each held at a share of its GPUs (which GPUs pause when is "
        "left open: the LP is indifferent to it).",
        "default cap_and_pause: the LP optimum over every knob the paper names (power capping, "
        "job pausing, resource re-allocation; Colangelo et al. 2025)",
    ),
    "response_delay_min": (
        "min",
        "Delay of the controller's ramp-down after the programme's ramp-down starts.",
        "stated 0: 'Control overhead of power capping is negligible, making real-time "
        "responsiveness feasible even in busy clusters' (Colangelo et al. 2025)",
    ),
    "ramp_down_min": (
        "min", "Length of the controller's ramp-down (null: the programme's).",
        "stated: the programme's ramp ('ramp down and up gracefully over 15 minutes')",
    ),
    "ramp_up_min": (
        "min", "Length of the controller's ramp-up (null: the programme's).",
        "stated: the programme's ramp",
    ),
    "release_delay_min": (
        "min", "Delay of the controller's ramp-up after the window ends.",
        "stated 0: the controller releases when the window ends",
    ),
}


@dataclass(frozen=True)
class Calibration:
    """Controller parameters (see :data:`PARAMETERS`) and how each was obtained.

    Attributes
    ----------
    calibrated_on : str or None
        Event whose meter the calibrated parameters were fitted on (None: stated defaults).
    how : dict
        Parameter name -> how its value was obtained (defaults to :data:`PARAMETERS`' source).
    """

    meter_scale: float = 1.0
    cut_margin: float = 0.0
    tier_window: str = "request"
    job_control: str = "cap_and_pause"
    response_delay_min: float = 0.0
    ramp_down_min: float | None = None
    ramp_up_min: float | None = None
    release_delay_min: float = 0.0
    calibrated_on: str | None = None
    how: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not (self.meter_scale > 0 and self.meter_scale < 10):
            raise ScenarioError(f"must be in (0, 10), got {self.meter_scale}",
                                field="meter_scale")
        if not -1 < self.cut_margin < 1:
            raise ScenarioError(f"must be in (-1, 1), got {self.cut_margin}", field="cut_margin")
        if self.tier_window not in ("request", "horizon"):
            raise ScenarioError(f"expected 'request' or 'horizon', got {self.tier_window!r}",
                                field="tier_window")
        if self.job_control not in JOB_CONTROLS:
            raise ScenarioError(f"expected one of {list(JOB_CONTROLS)}, got {self.job_control!r}",
                                field="job_control")
        for name in ("ramp_down_min", "ramp_up_min"):
            v = getattr(self, name)
            if v is not None and v < 0:
                raise ScenarioError(f"must be >= 0 min or null, got {v}", field=name)

    @property
    def dynamics(self) -> Dynamics:
        """The controller's aim relative to the request."""
        return Dynamics(margin_fraction=self.cut_margin,
                        response_delay_min=self.response_delay_min,
                        ramp_down_min=self.ramp_down_min, ramp_up_min=self.ramp_up_min,
                        release_delay_min=self.release_delay_min)

    @property
    def label(self) -> str:
        """What the numbers rest on, for tables and plot titles."""
        if self.calibrated_on is None:
            return "stated defaults, nothing calibrated"
        return f"calibrated on {self.calibrated_on}"

    def source_of(self, name: str) -> str:
        return self.how.get(name, PARAMETERS[name][2])

    def calibrated(self, event: str, **values: Any) -> Calibration:
        """A copy with some parameters replaced; ``values`` maps name -> (value, how)."""
        how = dict(self.how)
        new = {}
        for name, (value, text) in values.items():
            new[name] = value
            how[name] = text
        return replace(self, calibrated_on=event, how=how, **new)


STATED = Calibration()


def _names() -> list[str]:
    return [f.name for f in fields(Calibration) if f.name in PARAMETERS]


def write_calibration(calibration: Calibration, path: str | Path) -> None:
    """Write a calibration file: per parameter its value, unit, what it is and how obtained."""
    from dcflex.results.files import write_text_atomic

    params = {}
    for name in _names():
        unit, what, _ = PARAMETERS[name]
        params[name] = {"value": getattr(calibration, name), "unit": unit, "what": what,
                        "how": calibration.source_of(name)}
    doc = {
        "calibrated_on": calibration.calibrated_on,
        "written_by": f"dcflex {__version__}",
        "parameters": params,
    }
    header = ("# Controller parameters for dcflex event prediction (dcflex replay). Values under\n"
              "# 'parameters' are read back; 'what' and 'how' say what each is and where it\n"
              "# comes from.\n")
    write_text_atomic(path, header + yaml.safe_dump(doc, sort_keys=False, width=95))


def read_calibration(path: str | Path) -> Calibration:
    """Read a calibration file written by :func:`write_calibration`.

    Raises
    ------
    ScenarioError
        Missing file, unknown or missing parameter, or a value of the wrong kind.
    """
    path = Path(path)
    doc = read_yaml_file(path, "calibration")
    if not isinstance(doc, dict) or not isinstance(doc.get("parameters"), dict):
        raise ScenarioError("expected a mapping with 'parameters'", file=path)
    params = doc["parameters"]
    unknown = sorted(set(params) - set(_names()))
    if unknown:
        raise ScenarioError(f"unknown parameter(s) {unknown}; expected {_names()}", file=path,
                            field="parameters")
    values: dict[str, Any] = {}
    how: dict[str, str] = {}
    for name in _names():
        entry = params.get(name)
        if not isinstance(entry, dict) or "value" not in entry:
            raise ScenarioError("expected a mapping with 'value'", file=path,
                                field=f"parameters.{name}")
        value = entry["value"]
        if name in ("tier_window", "job_control"):
            ok = isinstance(value, str)
        else:
            ok = (value is None and name in ("ramp_down_min", "ramp_up_min")) or (
                isinstance(value, int | float) and not isinstance(value, bool))
        if not ok:
            raise ScenarioError(f"unexpected value {value!r}", file=path,
                                field=f"parameters.{name}.value")
        values[name] = value
        if entry.get("how"):
            how[name] = str(entry["how"])
    calibrated_on = doc.get("calibrated_on")
    try:
        return Calibration(calibrated_on=None if calibrated_on is None else str(calibrated_on),
                           how=how, **values)
    except ScenarioError as exc:
        raise ScenarioError(exc.message, file=path, field=f"parameters.{exc.field}") from None


def bundled_calibration() -> Calibration:
    """The calibration that ships with dcflex (fitted on the SRP event)."""
    return read_calibration(bundled_path(BUNDLED_CALIBRATION))
