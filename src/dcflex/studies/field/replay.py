"""Replay a field event: predict from the request, then score against the meter.

``replay("emerald-aps")`` loads the event file, predicts the cluster's power from its
cluster, request and baseline rule with a calibration (by default the bundled one, fitted on
``emerald-srp``), and only then reads the meter to score the prediction. The prediction is
made before the meter is read, from :meth:`EventFile.predictor_inputs`; changing the meter
changes the scores and never the prediction.

Bundled events (:data:`~dcflex.studies.field.event_file.BUNDLED_EVENTS`): ``emerald-srp``
(SRP peak, 3 May 2025) and ``emerald-aps`` (APS peak, 1 May 2025) of the Phoenix field
demonstration (Colangelo et al., arXiv:2507.00909; data github.com/ai-emerald/
emerald-ai-demo-may-2025, Apache-2.0).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import pandas as pd

from dcflex.errors import ScenarioError
from dcflex.studies.field.calibration import (
    STATED,
    Calibration,
    bundled_calibration,
    read_calibration,
)
from dcflex.studies.field.event_file import Event, load_event
from dcflex.studies.field.measured import Measured, read_measured
from dcflex.studies.field.predict import DeepestCut, Prediction, deepest_cut_of, predict
from dcflex.studies.field.score import Scores, score


@dataclass
class ReplayResult:
    """Prediction, measurement and scores of one event (the deepest cut on first use)."""

    event: Event
    prediction: Prediction
    measured: Measured
    scores: Scores

    @cached_property
    def deepest(self) -> DeepestCut:
        """Deepest cut the tiers allow over the request windows (three LP solves)."""
        return deepest_cut_of(self.prediction)

    @property
    def name(self) -> str:
        return self.event.name

    @property
    def tz(self) -> str:
        return self.event.spec.request.timezone

    @property
    def in_sample(self) -> bool:
        """True if the calibration was fitted on this very event's meter."""
        return self.prediction.calibration.calibrated_on == self.event.name

    @property
    def label(self) -> str:
        """"predicted from the request; ..." plus an in-sample warning where it applies."""
        extra = "; IN-SAMPLE (calibrated on this event's meter)" if self.in_sample else ""
        return self.prediction.label + extra

    def metric(self, name: str) -> float:
        return self.scores.metric(name)

    def metrics(self) -> pd.DataFrame:
        """Scores plus the deepest cut, with units and descriptions."""
        dc = self.deepest
        extra = pd.DataFrame(
            [(dc.cut_fraction * 100, "% of baseline",
              f"Deepest cut held over the request windows with every tier met and every knob (DVFS "
              f"caps and pauses); it {dc.statement}"),
             (float(dc.rests_on_relaxation), "0/1",
              "1 if the deepest cut rests on the LP relaxation of restarts")],
            index=pd.Index(["deepest_cut_pct", "deepest_cut_rests_on_relaxation"], name="name"),
            columns=["value", "unit", "description"])
        return pd.concat([self.scores.metrics, extra])

    def power_frame(self) -> pd.DataFrame:
        """Per minute (UTC): measured, predicted, references, and the predicted per-job plan."""
        plan = self.prediction.frame.drop(columns=["predicted_kw", "request_target_kw"])
        return pd.concat([self.scores.frame, plan], axis=1)


def resolve_calibration(calibration: Calibration | str | Path | None) -> Calibration:
    """``"bundled"`` (fitted on emerald-srp), ``"none"``/None (stated defaults) or a file."""
    if isinstance(calibration, Calibration):
        return calibration
    if calibration is None or str(calibration) == "none":
        return STATED
    if str(calibration) == "bundled":
        return bundled_calibration()
    path = Path(calibration)
    if not path.exists():
        raise ScenarioError("expected 'bundled', 'none' or a calibration file; file not found",
                            file=path, field="calibration")
    return read_calibration(path)


def predict_event(event: Event | str | Path,
                  calibration: Calibration | str | Path | None = "bundled") -> Prediction:
    """The prediction alone, from the event file's cluster, request and baseline rule."""
    ev = event if isinstance(event, Event) else load_event(event)
    cluster, request, baseline, horizon = ev.spec.predictor_inputs()
    return predict(cluster, request, baseline, horizon, resolve_calibration(calibration),
                   ev.path, ev.name)


def replay(event: Event | str | Path,
           calibration: Calibration | str | Path | None = "bundled") -> ReplayResult:
    """Predict an event from its request, then score it (see the module notes).

    Parameters
    ----------
    event : Event, str or path
        Bundled name or event file.
    calibration : Calibration, "bundled", "none", None or path
        Controller parameters.

    Returns
    -------
    ReplayResult
    """
    ev = event if isinstance(event, Event) else load_event(event)
    prediction = predict_event(ev, calibration)
    measured = read_measured(ev, prediction.index)
    return ReplayResult(ev, prediction, measured, score(prediction, measured))
