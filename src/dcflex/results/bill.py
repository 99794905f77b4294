"""The bill of a schedule month by month: what each charge and credit came to.

Months are the site's local calendar months, as the tariff bills them
(:func:`dcflex.model.components.tariff.billing_months`). Each line follows the bookkeeping of
:func:`dcflex.results.metrics.compute_metrics`, split by month:

- energy, export revenue, PPA settlement, battery wear, unserved-inference penalty and the
  carbon price accrue step by step;
- each demand charge is its rate times the month's (windowed) peak import;
- the fixed charge is prorated by the share of the month inside the period;
- a demand-response event is settled in the month it starts in.

So the months add up to the period's metrics (a test checks it to the cent). Amounts are in
the reporting currency (internal ``_usd`` names, :mod:`dcflex.results.currency`); charges are
positive, credits (export revenue, DR payments) negative.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from dcflex.model.components.events import can_flex
from dcflex.model.components.ppa import settlement_per_step_usd
from dcflex.model.components.tariff import demand_charge_mask
from dcflex.model.prepared import Inputs
from dcflex.results.settlement import dr_event_settlements

#: Bill lines in the order of a utility bill, with what each holds.
LINES: dict[str, str] = {
    "energy_usd": "Energy charges on grid import (price incl. adder × MWh)",
    "demand_usd": "Demand charges: rate × the month's peak import in each demand window",
    "fixed_usd": "Fixed charges, prorated by the month's days in the period",
    "ppa_usd": "PPA payment net of resale of unused contracted energy",
    "export_credit_usd": "Revenue from exported energy (a credit)",
    "dr_usd": "Demand-response settlement: shortfall penalties minus payments",
    "battery_wear_usd": "Battery cycling cost",
    "degradation_usd": "Penalty for inference demand not served",
    "carbon_usd": "Carbon price × emissions on the objective's basis",
}


def local_months(local: pd.DatetimeIndex) -> tuple[np.ndarray, list[str]]:
    """Month number (0..M-1) of each step and the months' names (``YYYY-MM``): the local
    calendar months of :func:`dcflex.model.components.tariff.billing_months`, from integer
    arithmetic (a year of steps in a millisecond instead of tens of Period objects' work)."""
    ym = local.year.to_numpy() * 12 + local.month.to_numpy() - 1
    months, month_of_step = np.unique(ym, return_inverse=True)
    return month_of_step, [f"{m // 12:04d}-{m % 12 + 1:02d}" for m in months]


def monthly_max(values: np.ndarray, local: pd.DatetimeIndex) -> pd.Series:
    """Highest value in each local month (e.g. the monthly peak import, MW)."""
    month_of_step, names = local_months(local)
    peaks = np.full(len(names), -np.inf)
    np.maximum.at(peaks, month_of_step, values)
    return pd.Series(peaks, index=pd.Index(names, name="month"))


def _col(schedule: pd.DataFrame, name: str) -> np.ndarray:
    return schedule[name].to_numpy(dtype=float) if name in schedule else np.zeros(len(schedule))


def _per_step(schedule: pd.DataFrame, inputs: Inputs) -> dict[str, np.ndarray]:
    """Money of every step-by-step line."""
    s, scen, dt = inputs.series, inputs.scenario, inputs.step_hours
    imp, exp = _col(schedule, "grid_import_mw"), _col(schedule, "grid_export_mw")
    lines = {
        "energy_usd": s["energy_price_usd_per_mwh"].to_numpy() * imp * dt,
        "export_credit_usd": -s["export_price_usd_per_mwh"].to_numpy() * exp * dt,
    }
    if scen.ppa is not None:
        contract, credit = settlement_per_step_usd(inputs, _col(schedule, "ppa_used_mw"))
        lines["energy_usd"] = lines["energy_usd"] - credit
        lines["ppa_usd"] = contract
    if scen.battery is not None:
        lines["battery_wear_usd"] = (scen.battery.cycle_cost_usd_per_mwh
                                     * _col(schedule, "battery_discharge_mw") * dt)
    degradation = np.zeros(len(schedule))
    for name, cls in scen.workload.classes.items():
        if cls.kind == "inference" and cls.degradable_share > 0:
            unserved = (s[f"inference_demand_mw__{name}"].to_numpy()
                        - _col(schedule, f"inference_it_mw__{name}"))
            degradation += cls.degradation_penalty_usd_per_mwh * unserved * dt
    lines["degradation_usd"] = degradation
    basis = ("carbon_avg_kg_per_mwh" if scen.optimization.emissions_basis == "average"
             else "carbon_marginal_kg_per_mwh")
    if scen.carbon.price_usd_per_t and basis in s:
        lines["carbon_usd"] = scen.carbon.price_usd_per_t * s[basis].to_numpy() * imp * dt / 1e3
    return lines


def monthly_bill(schedule: pd.DataFrame, inputs: Inputs,
                 baseline_import_mw: np.ndarray | None = None,
                 enrolled: bool | None = None) -> pd.DataFrame:
    """The bill of each local billing month, one column per line and the total.

    Parameters
    ----------
    schedule : pandas.DataFrame
        Flexible or business-as-usual schedule (UTC index, MW columns).
    inputs : Inputs
    baseline_import_mw : numpy.ndarray, optional
        Business-as-usual import, the reference of demand-response settlement (the
        schedule's own import if omitted).
    enrolled : bool, optional
        Whether the schedule's site is enrolled in demand-response programmes; default: if
        it can flex (:func:`dcflex.results.metrics.compute_metrics` decides alike). Pass
        False for the business-as-usual twin.

    Returns
    -------
    pandas.DataFrame
        Index ``month`` (``YYYY-MM``, local), the columns of :data:`LINES` that apply to the
        scenario and ``total_usd``; amounts in the reporting currency.
    """
    scen, dt = inputs.scenario, inputs.step_hours
    local = inputs.local_index
    month_of_step, months = local_months(local)
    n = len(months)
    imp = _col(schedule, "grid_import_mw")
    table: dict[str, np.ndarray] = {}
    for line, values in _per_step(schedule, inputs).items():
        table[line] = np.bincount(month_of_step, weights=values, minlength=n)
    demand = np.zeros(n)
    for charge in scen.tariff.demand_charges:
        mask = demand_charge_mask(charge, local)
        peaks = pd.Series(imp[mask]).groupby(month_of_step[mask]).max()
        demand[peaks.index.to_numpy()] += charge.rate_usd_per_mw_month * peaks.to_numpy()
    table["demand_usd"] = demand
    if scen.tariff.fixed_usd_per_month:
        hours = np.bincount(month_of_step, minlength=n) * dt
        month_hours = np.array([pd.Period(m, "M").days_in_month * 24.0 for m in months])
        table["fixed_usd"] = scen.tariff.fixed_usd_per_month * hours / month_hours
    ref = imp if baseline_import_mw is None else baseline_import_mw
    dr = np.zeros(n)
    for first, e in dr_event_settlements(imp, ref, inputs,
                                         can_flex(scen) if enrolled is None else enrolled):
        dr[month_of_step[first]] += e.penalty_usd - e.revenue_usd
    if scen.events.demand_response:
        table["dr_usd"] = dr
    bill = pd.DataFrame({k: table[k] for k in LINES if k in table},
                        index=pd.Index(months, name="month"))
    bill["total_usd"] = bill.sum(axis=1)
    return bill
