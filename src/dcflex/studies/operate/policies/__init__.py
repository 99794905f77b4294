"""Operating policies for the rolling-horizon simulation: baseline, threshold and MPC.

A policy sees, at each re-plan, the site (:class:`Plant`: static parameters and the series
known in advance), the state carried from the steps already operated (:class:`State`) and the
forecasts of the look-ahead window (:class:`Window`); it returns decisions for the steps until
the next re-plan (:class:`Decisions`). :func:`dcflex.studies.operate.simulate.simulate` applies
them to the actual series; every policy goes through the same application and accounting.

Modules
-------
:mod:`~dcflex.studies.operate.policies.base`
    The shared types and the earliest-deadline-first helpers.
:mod:`~dcflex.studies.operate.policies.baseline`
    :class:`BaselinePolicy`, business-as-usual.
:mod:`~dcflex.studies.operate.policies.threshold`
    :class:`ThresholdPolicy`, rule-based on the forecast price or carbon signal.
:mod:`~dcflex.studies.operate.policies.mpc`
    :class:`MpcPolicy`, model-predictive control; the window LP and what it approximates are
    described there (its building blocks are in
    :mod:`~dcflex.studies.operate.policies.window_lp`).
"""

from __future__ import annotations

from dcflex.studies.operate.policies.base import (
    BatchSpec,
    Decisions,
    DrLayer,
    InferenceSpec,
    Plant,
    State,
    TrainingSpec,
    Window,
    edf_allocate,
    make_plant,
    must_run_gpus,
    timed_plan,
)
from dcflex.studies.operate.policies.baseline import BaselinePolicy
from dcflex.studies.operate.policies.mpc import MpcPolicy
from dcflex.studies.operate.policies.threshold import ThresholdPolicy
from dcflex.studies.operate.policies.window_lp import COUPLED

__all__ = [
    "COUPLED",
    "BaselinePolicy",
    "BatchSpec",
    "Decisions",
    "DrLayer",
    "InferenceSpec",
    "MpcPolicy",
    "Plant",
    "State",
    "ThresholdPolicy",
    "TrainingSpec",
    "Window",
    "edf_allocate",
    "make_plant",
    "must_run_gpus",
    "timed_plan",
]
