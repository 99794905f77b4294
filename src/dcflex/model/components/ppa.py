"""PPA component: a clean-power purchase agreement, settled as it is signed.

The buyer pays the strike price on the whole contracted generation (take-or-pay) in every
kind; what differs is where the energy goes and what it replaces.

* ``virtual`` — a financial contract for differences (a "virtual" or "synthetic" PPA): the
  generator sells into the market, the buyer pays (strike − market price) × contracted
  generation. No term in the power balance: the site's metered import, peaks, demand charges
  and retail adder are those it would have without the contract. It counts in hourly CFE
  and market-based emissions (its certificates are matched hour by hour to metered import).
* ``physical`` — energy delivered through the grid (a "sleeved" or physical PPA): it crosses
  the meter, so the retail adder and demand charges apply to it like any import; the contract
  price replaces the market price for the delivered MWh, and generation the site does not
  consume in a step is sold at the market price. With one market price for both ends (what
  dcflex models; a hub-to-load-zone basis is not modelled) this settles to the same money as
  the virtual contract: metered import × (market + adder) + (strike − market) × generation.
* ``direct_line`` — a remote plant on a dedicated line to the site (green-power direct
  supply, "private wire"): behind the meter, up to the line's capacity at the plant end,
  less the line's losses, paying no grid adder and counting as on-site supply. What the line
  does not carry to the site is sold at the market price at the plant.

References: U.S. EPA Green Power Partnership, "Introduction to Virtual Power Purchase
Agreements" (the CfD settlement) and its guidance on physical PPAs; GHG Protocol Scope 2
Guidance (WRI/WBCSD, 2015), ch. 6-7 (contractual instruments in the market-based method).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dcflex.data.series import SeriesContext
from dcflex.model.lp import ModelBuilder
from dcflex.model.prepared import Inputs, Prepared
from dcflex.scenario import Scenario

NAME = "ppa"
PPA_MATCH_PREFERENCE_USD_PER_MWH = 1e-3


@dataclass(frozen=True)
class PpaParams:
    """Static terms of the contract.

    Attributes
    ----------
    kind : {"virtual", "physical", "direct_line"}
    strike_usd_per_mwh : float
    line_capacity_mw : float
        Capacity of a direct line at the plant end, MW (inf for the other kinds). Read only
        here and in :func:`deliverable_mw`, so a sizing study can make it a decision.
    line_efficiency : float
        Share of the energy entering a direct line that reaches the site (1 for the others).
    """

    kind: str
    strike_usd_per_mwh: float
    line_capacity_mw: float
    line_efficiency: float

    @property
    def behind_the_meter(self) -> bool:
        """True if the contract's energy reaches the site without crossing the meter."""
        return self.kind == "direct_line"


def prepare(scenario: Scenario, ctx: SeriesContext) -> Prepared:
    out = Prepared()
    ppa = scenario.ppa
    if ppa is not None:
        prof = ctx.resolve(ppa.profile_mw, "ppa.profile_mw", "MW", lo=0)
        out.series["ppa_contracted_mw"] = (prof, "MW")
        direct = ppa.kind == "direct_line"
        out.params = PpaParams(
            kind=ppa.kind,
            strike_usd_per_mwh=ppa.price_usd_per_mwh,
            line_capacity_mw=float(ppa.line_capacity_mw) if direct else np.inf,
            line_efficiency=1.0 - float(ppa.line_losses_pct) / 100.0 if direct else 1.0,
        )
    return out


def deliverable_mw(inputs: Inputs) -> np.ndarray:
    """Most a direct line can deliver at the site per step: min(generation, line capacity) ×
    line efficiency, MW (zeros for the other kinds, whose energy does not arrive behind the
    meter)."""
    p: PpaParams | None = inputs.params.get(NAME)
    if p is None or not p.behind_the_meter:
        return np.zeros(inputs.n_steps)
    prof = inputs.series["ppa_contracted_mw"].to_numpy()
    return np.minimum(prof, p.line_capacity_mw) * p.line_efficiency


def counted_mw(inputs: Inputs, import_mw: np.ndarray, export_mw: np.ndarray) -> np.ndarray:
    """Contracted generation a virtual or physical PPA matches to the site's net metered
    import in each step, MW: min(generation, max(import − export, 0)). Zeros for a direct
    line (its energy is already behind the meter) and without a PPA."""
    p: PpaParams | None = inputs.params.get(NAME)
    if p is None or p.behind_the_meter:
        return np.zeros(inputs.n_steps)
    prof = inputs.series["ppa_contracted_mw"].to_numpy()
    return np.minimum(prof, np.maximum(import_mw - export_mw, 0.0))


def settlement_per_step_usd(inputs: Inputs, used_mw: np.ndarray
                            ) -> tuple[np.ndarray, np.ndarray]:
    """What the contract costs and what it takes off the energy bill, per step, USD.

    Parameters
    ----------
    used_mw : numpy.ndarray
        The schedule's ``ppa_used_mw``: energy delivered behind the meter (direct line) or
        consumed out of metered import (physical); ignored for a virtual PPA.

    Returns
    -------
    contract_usd : numpy.ndarray
        Strike × generation, minus the market value of generation the site did not take
        (virtual: (strike − market) × generation).
    energy_credit_usd : numpy.ndarray
        Market value of the metered MWh a physical PPA supplied (they pay the contract price,
        not the market price); 0 for the other kinds.
    """
    p: PpaParams | None = inputs.params.get(NAME)
    zero = np.zeros(inputs.n_steps)
    if p is None:
        return zero, zero
    dt = inputs.step_hours
    prof = inputs.series["ppa_contracted_mw"].to_numpy()
    market = inputs.series["wholesale_price_usd_per_mwh"].to_numpy()
    strike = p.strike_usd_per_mwh
    if p.kind == "virtual":
        return (strike - market) * prof * dt, zero
    taken = used_mw / p.line_efficiency  # generation that left the plant for the site
    contract = (strike * prof - market * (prof - taken)) * dt
    credit = market * used_mw * dt if p.kind == "physical" else zero
    return contract, credit


def settlement_usd(inputs: Inputs, used_mw: np.ndarray) -> tuple[float, float]:
    """The period's totals of :func:`settlement_per_step_usd`: contract cost and energy
    credit, USD."""
    contract, credit = settlement_per_step_usd(inputs, used_mw)
    return float(contract.sum()), float(credit.sum())


def add_block(builder: ModelBuilder, inputs: Inputs) -> None:
    p: PpaParams | None = inputs.params.get(NAME)
    if p is None:
        return
    dt = builder.step_hours
    prof = inputs.series["ppa_contracted_mw"].to_numpy()
    market = inputs.series["wholesale_price_usd_per_mwh"].to_numpy()
    # strike on all generation, less its resale: const + market value of what the site takes
    builder.add_constant("cost_usd", float(((p.strike_usd_per_mwh - market) * prof).sum() * dt))
    if p.behind_the_meter:
        v = builder.add_variables("ppa_used_mw", lb=0.0, ub=deliverable_mw(inputs))
        builder.add_balance_term(v, 1.0)
        # each MWh delivered took 1/η MWh off the plant's resale
        builder.add_objective("cost_usd", v, market / p.line_efficiency * dt)
    else:
        # virtual and physical: the MWh matched to net metered import; no balance term. A
        # physical MWh taken costs the resale it forgoes and saves the market price it
        # replaces: the money does not depend on it, so it is bookkeeping for clean matching
        v = builder.add_variables("ppa_used_mw", lb=0.0, ub=prof)
        imp = builder.var("grid_import_mw")  # the grid component comes first
        net = [(builder.var("grid_export_mw"), 1.0)] if builder.has_var("grid_export_mw") else []
        builder.add_constraints("ppa_matched_le_import", [(v, 1.0), (imp, -1.0), *net], ub=0.0)
    # Using (or matching) a PPA MWh costs the same as importing one when there is no adder;
    # prefer the contract: it is clean.
    builder.add_objective("tie_break", v, -PPA_MATCH_PREFERENCE_USD_PER_MWH * dt)
