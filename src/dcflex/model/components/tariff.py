"""Tariff component: energy charges, demand charges on monthly peaks, fixed charges.

Billing months and demand windows are in the site's local time. A demand charge is paid on
the highest import (MW, step average) in each billing month, counting only steps inside its
window; a month only partly in the period is charged in full (the bill does not prorate a
peak). Fixed charges are prorated by the share of each month's days in the period.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp

from dcflex.data.series import SeriesContext
from dcflex.model.lp import ModelBuilder
from dcflex.model.prepared import Inputs, Prepared
from dcflex.scenario import DemandCharge, Scenario, TouPeriod

NAME = "tariff"


def tou_price(periods: list[TouPeriod], local: pd.DatetimeIndex) -> np.ndarray:
    """Energy rate per step from time-of-use periods (NaN where none applies).

    The periods do not overlap (checked when the scenario is loaded), except with the
    ``default`` period, which fills the steps no other period covers.
    """
    price = np.full(len(local), np.nan)
    for p in sorted(periods, key=lambda p: not p.default):
        mask = _window_mask(local, p.hours, p.weekdays_only) & np.isin(local.month, p.months)
        price[mask] = p.price_usd_per_mwh
    return price


def _window_mask(local: pd.DatetimeIndex, hours, weekdays_only: bool) -> np.ndarray:
    if hours is None:
        mask = np.ones(len(local), dtype=bool)
    else:
        h = local.hour.to_numpy()
        a, b = hours
        mask = (h >= a) & (h < b) if a <= b else (h >= a) | (h < b)
    if weekdays_only:
        mask &= local.day_of_week.to_numpy() < 5
    return mask


def billing_months(local: pd.DatetimeIndex) -> tuple[np.ndarray, pd.PeriodIndex]:
    """Month number (0..M-1) of each step and the local billing months."""
    periods = local.tz_localize(None).to_period("M")
    months = pd.PeriodIndex(sorted(set(periods)), freq="M")
    return months.get_indexer(periods), months


def demand_charge_mask(charge: DemandCharge, local: pd.DatetimeIndex) -> np.ndarray:
    """Steps whose import counts for ``charge``."""
    return _window_mask(local, charge.hours, charge.weekdays_only)


def fixed_charge_usd(monthly_usd: float, local: pd.DatetimeIndex, step_hours: float) -> float:
    """Fixed charge prorated by covered share of each month, USD."""
    if monthly_usd == 0:
        return 0.0
    periods = local.tz_localize(None).to_period("M")
    hours = pd.Series(step_hours, index=periods).groupby(level=0).sum()
    month_hours = np.array([p.days_in_month * 24.0 for p in hours.index])
    return float(monthly_usd * np.sum(hours.to_numpy() / month_hours))


def prepare(scenario: Scenario, ctx: SeriesContext) -> Prepared:
    """``energy_price_usd_per_mwh`` (what an imported MWh costs, incl. the adder),
    ``wholesale_price_usd_per_mwh`` (the same without the adder: what resold energy earns) and
    ``export_price_usd_per_mwh``."""
    t = scenario.tariff
    out = Prepared()
    if t.energy_price_usd_per_mwh is not None:
        wholesale = ctx.resolve(t.energy_price_usd_per_mwh, "tariff.energy_price_usd_per_mwh",
                                "USD/MWh", lo=-5000, hi=20000)
    else:
        local = ctx.index.tz_convert(ctx.timezone)
        arr = tou_price(t.tou, local)
        if np.isnan(arr).any():
            from dcflex.errors import ScenarioError

            first = local[np.isnan(arr)][0]
            raise ScenarioError(f"time-of-use periods leave {first} without a rate",
                                file=ctx.file, field="tariff.tou")
        wholesale = pd.Series(arr, index=ctx.index)
    out.series["energy_price_usd_per_mwh"] = (wholesale + t.adder_usd_per_mwh, "USD/MWh")
    out.series["wholesale_price_usd_per_mwh"] = (wholesale, "USD/MWh")
    ex = scenario.grid.export_price_usd_per_mwh
    export = wholesale if ex == "wholesale" else ctx.resolve(
        ex, "grid.export_price_usd_per_mwh", "USD/MWh", lo=-5000, hi=20000)
    out.series["export_price_usd_per_mwh"] = (export, "USD/MWh")
    return out


def add_block(builder: ModelBuilder, inputs: Inputs) -> None:
    t = inputs.scenario.tariff
    dt = builder.step_hours
    imp = builder.var("grid_import_mw")
    price = inputs.series["energy_price_usd_per_mwh"].to_numpy()
    builder.add_objective("cost_usd", imp, price * dt)
    if builder.has_var("grid_export_mw"):
        builder.add_objective("cost_usd", builder.var("grid_export_mw"),
                              -inputs.series["export_price_usd_per_mwh"].to_numpy() * dt)
    local = inputs.local_index
    month_of_step, months = billing_months(local)
    for i, charge in enumerate(t.demand_charges):
        mask = demand_charge_mask(charge, local)
        steps = np.flatnonzero(mask)
        peak = builder.add_variables(f"demand_peak_mw__{i}", lb=0.0, size=len(months), unit="MW")
        pick = sp.csr_matrix((np.ones(len(steps)), (np.arange(len(steps)), steps)),
                             shape=(len(steps), builder.n_steps))
        to_month = sp.csr_matrix(
            (np.ones(len(steps)), (np.arange(len(steps)), month_of_step[steps])),
            shape=(len(steps), len(months)),
        )
        builder.add_constraints(f"demand_peak_def__{i}", [(imp, pick), (peak, -to_month)], ub=0.0)
        builder.add_objective("cost_usd", peak, charge.rate_usd_per_mw_month)
    builder.add_constant("cost_usd", fixed_charge_usd(t.fixed_usd_per_month, local, dt))
