"""The counterfactual ladder of a simulation: the same split as :func:`dcflex.studies.run.run`.

Rung 0 is the business-as-usual twin, rung 2 the simulated schedule. Rung 1 — the workload
fixed to the twin's, the battery operated — is the same policy on the same forecasts, run on
the site with its workload replaced by the twin's IT power
(:func:`dcflex.results.counterfactuals.fixed_workload_inputs`): a rolling horizon has no single
LP to re-solve. The shortcuts of :mod:`dcflex.results.counterfactuals` apply: with no workload
decision the simulation is rung 1, and with nothing to dispatch the twin is.
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from dcflex.model.prepared import Inputs
from dcflex.results.counterfactuals import (
    RUNG_LABELS,
    WORKLOAD_DECISIONS,
    Ladder,
    Rung,
    citizen_warnings,
    enrolled_rungs,
    fixed_workload_inputs,
    has_workload_decision,
    rung_zero,
    twin_is_rung_one,
    value_metrics,
)
from dcflex.results.metrics import Metrics, compute_metrics


def simulated_ladder(inputs: Inputs, twin: pd.DataFrame, schedule: pd.DataFrame,
                     metrics: Metrics, simulate_fixed: Callable[[Inputs], pd.DataFrame]
                     ) -> Ladder:
    """Ladder of a simulated schedule.

    Parameters
    ----------
    twin : pandas.DataFrame
        The business-as-usual schedule (rung 0).
    schedule, metrics : the simulated schedule (rung 2) and its metrics.
    simulate_fixed : callable
        Runs the same policy on given inputs and returns the stitched schedule.
    """
    enrolled_1, enrolled_2 = enrolled_rungs(inputs)
    r0 = rung_zero(inputs, twin)
    r2 = Rung(2, RUNG_LABELS[2], schedule, metrics, enrolled_2, "simulated")
    if not has_workload_decision(inputs):
        r1 = Rung(1, RUNG_LABELS[1], schedule, metrics, enrolled_2,
                  "same as rung 2 (no workload decision: every class is must-serve)")
    elif twin_is_rung_one(inputs):
        r1 = Rung(1, RUNG_LABELS[1], r0.schedule, r0.metrics, False,
                  "same as rung 0 (nothing left to dispatch)")
    else:
        s1 = simulate_fixed(fixed_workload_inputs(inputs, twin)).copy()
        # the workload is the twin's: its per-class columns price its work on the real inputs
        for c in twin.columns:
            if c.startswith(WORKLOAD_DECISIONS):
                s1[c] = twin[c].to_numpy()
        s1 = s1.drop(columns=[c for c in s1 if c.endswith("__fixed")])
        m1 = compute_metrics(s1, inputs, twin["grid_import_mw"].to_numpy(), enrolled=enrolled_1)
        r1 = Rung(1, RUNG_LABELS[1], s1, m1, enrolled_1, "simulated with the twin's workload")
    return Ladder([r0, r1, r2], value_metrics(r0, r1, r2), citizen_warnings(r0, r2, inputs))
