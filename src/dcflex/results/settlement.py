"""How a schedule is settled: demand charges, demand-response programmes, emissions.

Each function prices a schedule's own import the way the contract or the accounting standard
does, so the flexible schedule, its counterfactuals and the business-as-usual twin are all
settled by one bookkeeping (:mod:`dcflex.results.metrics` calls these).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from dcflex.model.components.events import event_windows
from dcflex.model.components.tariff import billing_months, demand_charge_mask
from dcflex.model.prepared import Inputs


def demand_charges_usd(imp: np.ndarray, inputs: Inputs) -> float:
    """Demand charges on monthly (windowed) peaks of import, USD."""
    local = inputs.local_index
    month_of_step, months = billing_months(local)
    total = 0.0
    for charge in inputs.scenario.tariff.demand_charges:
        mask = demand_charge_mask(charge, local)
        if not mask.any():
            continue
        peaks = pd.Series(imp[mask]).groupby(month_of_step[mask]).max()
        total += charge.rate_usd_per_mw_month * float(peaks.sum())
    return total


@dataclass(frozen=True)
class DrSettlement:
    """Demand-response settlement of one schedule over all events.

    Attributes
    ----------
    revenue_usd, penalty_usd : float
        Payments for reduction and shortfall penalties (0 if not enrolled).
    reduced_mwh : float
        Σ (customer baseline − import) over event steps, MWh (0 if not enrolled).
    baseline_mwh : float
        Σ customer baseline over event steps, MWh.
    hard_cap_excess_mwh : float
        Import above hard caps, MWh (every schedule, enrolled or not).
    """

    revenue_usd: float
    penalty_usd: float
    reduced_mwh: float
    baseline_mwh: float
    hard_cap_excess_mwh: float


def dr_event_settlements(imp: np.ndarray, twin_import_mw: np.ndarray, inputs: Inputs,
                         enrolled: bool) -> list[tuple[int, DrSettlement]]:
    """Settle each demand-response event on its own: (first step, settlement) per event.

    Same rules as :func:`dr_settlement`, which adds these up; a monthly bill settles each
    event in the billing month it starts in.
    """
    dt = inputs.step_hours
    out = []
    for w in event_windows(inputs, twin_import_mw):
        if len(w.steps) == 0:
            continue
        cbl = w.baseline.of(imp)
        over = float(np.maximum(0.0, imp[w.steps] - w.cap_mw(imp)).sum() * dt)
        excess = over if w.hard else 0.0
        revenue = penalty = reduced = 0.0
        if enrolled:
            reduced = float((cbl - imp[w.steps]).sum() * dt)
            revenue = w.payment_usd_per_mwh * reduced
            if not w.hard:
                penalty = w.penalty_usd_per_mwh * over
        out.append((int(w.steps[0]), DrSettlement(revenue, penalty, reduced,
                                                  float(cbl.sum() * dt), excess)))
    return out


def dr_settlement(imp: np.ndarray, twin_import_mw: np.ndarray, inputs: Inputs,
                  enrolled: bool) -> DrSettlement:
    """Settle the demand-response events against the schedule's own customer baseline.

    Parameters
    ----------
    imp : numpy.ndarray
        The schedule's metered import, MW.
    twin_import_mw : numpy.ndarray
        The business-as-usual twin's import (``cbl: twin``, and ten-in-ten baseline days
        before the period; see :mod:`dcflex.model.components.events`).
    enrolled : bool
        Whether the schedule's site is enrolled (a site that cannot flex is not).
    """
    events = [e for _, e in dr_event_settlements(imp, twin_import_mw, inputs, enrolled)]
    return DrSettlement(*(float(sum(getattr(e, f) for e in events))
                          for f in ("revenue_usd", "penalty_usd", "reduced_mwh", "baseline_mwh",
                                    "hard_cap_excess_mwh")))


def market_based_emissions_t(inputs: Inputs, imp: np.ndarray, ppa_matched_mw: np.ndarray
                             ) -> float:
    """Market-based scope-2 emissions, t CO2: metered import less the contracted clean MWh
    matched to it in each step, at the grid's average intensity.

    GHG Protocol Scope 2 Guidance (WRI/WBCSD 2015), ch. 6: the market-based method counts
    contractual instruments (here a virtual or physical PPA's certificates) at their own
    emission factor (0) and the rest at a residual mix. Two simplifications: certificates are
    matched hour by hour (the stricter 24/7 reading; the 2015 guidance allows annual
    matching), and the grid average stands in for the residual mix, which the data sets do
    not give (it is higher, so this understates market-based emissions a little).
    """
    ci = inputs.series["carbon_avg_kg_per_mwh"].to_numpy()
    return float((ci * np.maximum(imp - ppa_matched_mw, 0.0)).sum() * inputs.step_hours / 1e3)


def avoided_marginal_emissions_t(inputs: Inputs, imp: np.ndarray, twin_import_mw: np.ndarray
                                 ) -> float:
    """Emissions avoided against the business-as-usual twin at marginal intensity, t CO2:
    Σ marginal intensity × (twin import − import) × Δt. NaN without a marginal series.

    Marginal intensity prices a change of load, not a load: an absolute tonnage at marginal
    rates would treat the whole site as the marginal load. The GHG Protocol uses marginal
    rates for the emissions a change avoids (The GHG Protocol for Project Accounting, WRI/WBCSD
    2005), never for an inventory; dcflex reports them only as this difference.
    """
    if "carbon_marginal_kg_per_mwh" not in inputs.series:
        return float("nan")
    moer = inputs.series["carbon_marginal_kg_per_mwh"].to_numpy()
    return float((moer * (twin_import_mw - imp)).sum() * inputs.step_hours / 1e3)
