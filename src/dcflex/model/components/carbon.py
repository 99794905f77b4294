"""Carbon component: grid emissions (average and marginal), carbon price, clean-energy matching.

Emissions are counted on grid import: intensity (kg CO2/MWh) × import (MW) × Δt (h) / 1000
→ t CO2. Hourly matching (CFE score, as defined by Google's 24/7 CFE methodology, 2021):
per step, matched = min(facility load, clean supply), clean supply = on-site PV and wind used
+ PPA energy (a direct line's delivered energy, or the generation of a virtual or physical PPA
matched to net import) + grid carbon-free share × the rest of net grid import; the score is
Σ matched / Σ load. An
optional ``cfe_target`` makes the score a constraint.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp

from dcflex.data.series import SeriesContext
from dcflex.model.lp import ModelBuilder
from dcflex.model.prepared import Inputs, Prepared
from dcflex.scenario import Scenario

NAME = "carbon"
CLEAN_SUPPLY = ("pv_used_mw", "wind_used_mw", "ppa_used_mw")


def prepare(scenario: Scenario, ctx: SeriesContext) -> Prepared:
    c = scenario.carbon
    out = Prepared()
    out.series["carbon_avg_kg_per_mwh"] = (
        ctx.resolve(c.average_kg_per_mwh, "carbon.average_kg_per_mwh", "kg/MWh", lo=0, hi=2000),
        "kg/MWh",
    )
    if c.marginal_kg_per_mwh is not None:
        out.series["carbon_marginal_kg_per_mwh"] = (
            ctx.resolve(c.marginal_kg_per_mwh, "carbon.marginal_kg_per_mwh", "kg/MWh",
                        lo=0, hi=2000),
            "kg/MWh",
        )
    cfe = (pd.Series(0.0, index=ctx.index) if c.grid_cfe_fraction is None else
           ctx.resolve(c.grid_cfe_fraction, "carbon.grid_cfe_fraction", "fraction", lo=0, hi=1))
    out.series["grid_cfe_fraction"] = (cfe, "fraction")
    return out


def add_block(builder: ModelBuilder, inputs: Inputs) -> None:
    c = inputs.scenario.carbon
    dt = builder.step_hours
    imp = builder.var("grid_import_mw")
    avg = inputs.series["carbon_avg_kg_per_mwh"].to_numpy()
    builder.add_objective("emissions_avg_t", imp, avg * dt / 1000.0)
    if "carbon_marginal_kg_per_mwh" in inputs.series:
        marg = inputs.series["carbon_marginal_kg_per_mwh"].to_numpy()
        builder.add_objective("emissions_marginal_t", imp, marg * dt / 1000.0)
    if c.cfe_target is not None:
        fac = builder.var("facility_power_mw")
        cfe = inputs.series["grid_cfe_fraction"].to_numpy()
        matched = builder.add_variables("cfe_matched_mw", lb=0.0)
        builder.add_constraints("cfe_matched_le_load", [(matched, 1.0), (fac, -1.0)], ub=0.0)
        clean = [(builder.var(n), -1.0) for n in CLEAN_SUPPLY if builder.has_var(n)]
        ppa = inputs.params.get("ppa")
        if ppa is not None and not ppa.behind_the_meter:
            # a virtual or physical PPA's matched MWh are part of net import: clean in full,
            # and no longer counted again at the grid's clean share
            clean = [(v, -1.0 + cfe) if v.name == "ppa_used_mw" else (v, c) for v, c in clean]
        # grid clean share counts on net import, so importing to export cannot buy CFE
        net = [(builder.var("grid_export_mw"), cfe)] if builder.has_var("grid_export_mw") else []
        builder.add_constraints("cfe_matched_le_clean",
                                [(matched, 1.0), (imp, -cfe), *net, *clean], ub=0.0)
        T = builder.n_steps
        ones = sp.csr_matrix(np.ones((1, T)))
        builder.add_constraints("cfe_target", [(matched, ones), (fac, -c.cfe_target * ones)],
                                lb=0.0, n_rows=1)
