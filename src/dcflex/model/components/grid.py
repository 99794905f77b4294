"""Grid component: import and export across the interconnection.

With ``grid.peak_not_above_baseline`` the import of every step is also capped at the
business-as-usual twin's peak import of its local billing month, so that flexibility never
raises a monthly peak the grid has to plan for (a "good grid citizen" constraint: the
flexible schedule may move load, but only under the peak the site would have drawn anyway).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from dcflex.data.series import SeriesContext
from dcflex.model.lp import ModelBuilder
from dcflex.model.prepared import Inputs, Prepared
from dcflex.scenario import Scenario

NAME = "grid"


def prepare(scenario: Scenario, ctx: SeriesContext) -> Prepared:
    """``import_limit_mw`` per step (events may lower it further in the model)."""
    out = Prepared()
    limit = pd.Series(scenario.grid.import_limit_mw, index=ctx.index)
    out.series["import_limit_mw"] = (limit, "MW")
    return out


def twin_monthly_peak_mw(inputs: Inputs) -> np.ndarray:
    """The business-as-usual twin's highest import in each step's local billing month, MW."""
    from dcflex.model.components.tariff import billing_months
    from dcflex.model.twin import baseline_schedule

    imp = baseline_schedule(inputs)["grid_import_mw"].to_numpy()
    month_of_step, _ = billing_months(inputs.local_index)
    peaks = pd.Series(imp).groupby(month_of_step).max()
    return peaks.to_numpy()[month_of_step]


def add_block(builder: ModelBuilder, inputs: Inputs) -> None:
    g = inputs.scenario.grid
    ub = inputs.series["import_limit_mw"].to_numpy()
    if g.peak_not_above_baseline:
        ub = np.minimum(ub, twin_monthly_peak_mw(inputs))
    imp = builder.add_variables("grid_import_mw", lb=0.0, ub=ub)
    builder.add_balance_term(imp, 1.0)
    if g.export_limit_mw > 0:
        exp = builder.add_variables("grid_export_mw", lb=0.0, ub=g.export_limit_mw)
        builder.add_balance_term(exp, -1.0)
