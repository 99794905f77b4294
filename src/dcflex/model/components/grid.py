"""Grid component: import and export across the interconnection."""

from __future__ import annotations

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


def add_block(builder: ModelBuilder, inputs: Inputs) -> None:
    g = inputs.scenario.grid
    imp = builder.add_variables("grid_import_mw", lb=0.0,
                                ub=inputs.series["import_limit_mw"].to_numpy())
    builder.add_balance_term(imp, 1.0)
    if g.export_limit_mw > 0:
        exp = builder.add_variables("grid_export_mw", lb=0.0, ub=g.export_limit_mw)
        builder.add_balance_term(exp, -1.0)
