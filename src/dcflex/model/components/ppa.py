"""PPA component: contracted clean supply, take-or-pay.

The site pays the contract price on the whole contracted profile (a constant in the
objective) and can use up to the profile each step; what it does not use is sold back at the
wholesale price (so using a PPA MWh saves its wholesale value, as for a virtual PPA).
"""

from __future__ import annotations

from dcflex.data.series import SeriesContext
from dcflex.model.lp import ModelBuilder
from dcflex.model.prepared import Inputs, Prepared
from dcflex.scenario import Scenario

NAME = "ppa"
PPA_MATCH_PREFERENCE_USD_PER_MWH = 1e-3


def prepare(scenario: Scenario, ctx: SeriesContext) -> Prepared:
    out = Prepared()
    if scenario.ppa is not None:
        prof = ctx.resolve(scenario.ppa.profile_mw, "ppa.profile_mw", "MW", lo=0)
        out.series["ppa_contracted_mw"] = (prof, "MW")
    return out


def add_block(builder: ModelBuilder, inputs: Inputs) -> None:
    ppa = inputs.scenario.ppa
    if ppa is None:
        return
    dt = builder.step_hours
    prof = inputs.series["ppa_contracted_mw"].to_numpy()
    # unused energy is resold at the wholesale price: the retail adder is not paid back
    price = inputs.series["wholesale_price_usd_per_mwh"].to_numpy()
    v = builder.add_variables("ppa_used_mw", lb=0.0, ub=prof)
    builder.add_balance_term(v, 1.0)
    # contract payment minus resale of the unused part: const + price · used
    builder.add_constant("cost_usd", float(((ppa.price_usd_per_mwh - price) * prof).sum() * dt))
    builder.add_objective("cost_usd", v, price * dt)
    # Without a retail adder, using a PPA MWh or importing one costs the same (unused PPA
    # energy is resold at the wholesale price), so prefer matching the load with the
    # contract: it is clean.
    builder.add_objective("tie_break", v, -PPA_MATCH_PREFERENCE_USD_PER_MWH * dt)
