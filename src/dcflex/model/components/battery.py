"""Battery component: charge, discharge and state of charge with losses.

soc[t] = soc[t-1] + (η_c · charge[t] − discharge[t] / η_d) · Δt, soc[-1] = initial, and the
last step returns to at least the initial charge (so a run cannot borrow stored energy).
Simultaneous charge and discharge is not excluded: it only pays at negative prices, where
burning energy in losses is what a real operator would also be paid to do.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from dcflex.data.series import SeriesContext
from dcflex.model.lp import ModelBuilder
from dcflex.model.prepared import Inputs, Prepared
from dcflex.scenario import Scenario

NAME = "battery"


def prepare(scenario: Scenario, ctx: SeriesContext) -> Prepared:
    return Prepared()


def add_block(builder: ModelBuilder, inputs: Inputs) -> None:
    b = inputs.scenario.battery
    if b is None:
        return
    T, dt = builder.n_steps, builder.step_hours
    e0 = b.soc_initial_fraction * b.energy_mwh
    ch = builder.add_variables("battery_charge_mw", lb=0.0, ub=b.power_mw)
    dis = builder.add_variables("battery_discharge_mw", lb=0.0, ub=b.power_mw)
    soc_ub = np.full(T, b.soc_max_fraction * b.energy_mwh)
    soc_lb = np.full(T, b.soc_min_fraction * b.energy_mwh)
    soc_lb[-1] = max(soc_lb[-1], e0)
    soc = builder.add_variables("battery_soc_mwh", lb=soc_lb, ub=soc_ub, unit="MWh")
    # soc[t] - soc[t-1] - ηc Δt ch[t] + Δt/ηd dis[t] = 0 (row 0: = e0)
    diff = sp.eye(T, format="csr") - sp.eye(T, k=-1, format="csr")
    rhs = np.zeros(T)
    rhs[0] = e0
    builder.add_constraints(
        "battery_soc_dynamics",
        [(soc, diff), (ch, -b.charge_efficiency * dt), (dis, dt / b.discharge_efficiency)],
        lb=rhs, ub=rhs,
    )
    builder.add_balance_term(dis, 1.0)
    builder.add_balance_term(ch, -1.0)
    if b.cycle_cost_usd_per_mwh > 0:
        builder.add_objective("cost_usd", dis, b.cycle_cost_usd_per_mwh * dt)
