"""Solving the SLO-aware headroom: the firm and rate-limit sizes, then bisection between them.

:func:`slo_headroom` checks the rate-limit size first; if the site cannot absorb its events,
it bisects on the size factor between the firm size and the rate limit, to a relative
tolerance, and reports what breaks at the smallest infeasible size tried.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from dcflex.errors import DataError, InfeasibleError, ScenarioError
from dcflex.model.inputs import Inputs, prepare
from dcflex.scenario import Scenario, load_scenario
from dcflex.studies.headroom import (
    SUMMER_MONTHS,
    Thresholds,
    curtailment_events,
    seasonal_thresholds,
)
from dcflex.studies.slo_headroom.blocks import _Checker, _margin_steps, event_blocks
from dcflex.studies.slo_headroom.grid import (
    align_demand_mw,
    curtailment_rate_at,
    firm_size_factor,
    grid_room_mw,
    rate_limit_size_factor,
)
from dcflex.studies.slo_headroom.result import DEFAULT_RTOL, SloHeadroomResult, explain


def _as_inputs(scenario: Scenario | Inputs | str | Path) -> Inputs:
    if isinstance(scenario, Inputs):
        return scenario
    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario)
    return prepare(scenario)


def _mw(s: float, unit_peak: float) -> float:
    return float(s * unit_peak)


def slo_headroom(
    scenario: Scenario | Inputs | str | Path,
    demand_mw: pd.Series,
    rate: float = 0.005,
    thresholds: Thresholds | None = None,
    *,
    summer_months: Iterable[int] = SUMMER_MONTHS,
    tz: str | None = None,
    rtol: float = DEFAULT_RTOL,
    full_period: bool = False,
    gap_policy: Literal["error", "interpolate", "ffill"] = "error",
) -> SloHeadroomResult:
    """Largest size of this site a grid can connect with every curtailment hour absorbed by
    the site's own workload within its tiers and deadlines.

    See :mod:`dcflex.studies.slo_headroom` for the method. Sizes are MW of the site's
    business-as-usual peak import, scaled.

    Parameters
    ----------
    scenario : Scenario, Inputs or path
        The site (its period defines the hours checked; prepared inputs are reused as given).
    demand_mw : pandas.Series
        BA demand, MW, tz-aware index, values covering ``[t, t + step)``; must cover the
        scenario's period. A longer record (e.g. EIA-930 2020-2024 for a 2023 site) sets the
        thresholds; only the period's hours are checked.
    rate : float
        Curtailment rate the grid allows, fraction in (0, 1); default 0.5 % (Duke report).
    thresholds : dict or float, optional
        Default: :func:`dcflex.studies.headroom.seasonal_thresholds` of the whole ``demand_mw``
        record
        with ``summer_months`` and ``tz``.
    rtol : float
        Relative tolerance of the bisection on size (default 1 %).
    full_period : bool
        Optimize the whole period at each size instead of the blocks around capped steps.
    gap_policy : {"error", "interpolate", "ffill"}
        Site steps without demand data: raise (default) or fill.

    Returns
    -------
    SloHeadroomResult

    Raises
    ------
    DataError
        If the demand does not cover the period.
    ScenarioError
        Bad rate or tolerance; a site with no grid import.
    InfeasibleError
        If the site is infeasible at its firm size (its own requirements collide without any
        curtailment).
    """
    from dcflex.model.twin import baseline_schedule
    from dcflex.studies.headroom import headroom_mw as duke_headroom

    if not 0.0 < rtol < 0.5:
        raise ScenarioError(f"expected a relative tolerance in (0, 0.5), got {rtol}",
                            field="rtol")
    inputs = _as_inputs(scenario)
    scen = inputs.scenario
    if thresholds is None:
        thresholds = seasonal_thresholds(demand_mw.dropna(), summer_months=summer_months, tz=tz)
    demand_on_index = align_demand_mw(demand_mw, inputs.index, gap_policy=gap_policy)
    room = grid_room_mw(demand_on_index, thresholds).to_numpy()
    unit = baseline_schedule(inputs)["grid_import_mw"].to_numpy()
    unit_peak = float(unit.max())
    s_firm = firm_size_factor(unit, room)
    s_rate = rate_limit_size_factor(unit, room, rate)
    limit = inputs.series["import_limit_mw"].to_numpy()
    dt = inputs.step_hours

    capped = room < s_rate * limit
    if full_period:
        blocks = [(0, inputs.n_steps)]
    else:
        margin, align = _margin_steps(inputs)
        blocks = event_blocks(capped, margin, align, inputs.n_steps)
    checker = _Checker(inputs, room, blocks, limit)

    reason = ""
    if s_rate <= 0:
        s_ok, limited_by = 0.0, "firm"
        reason = ("the BA reaches its threshold in a step of the period, so any load is fully "
                  "curtailed there")
    else:
        ok, why = checker.feasible(s_rate)
        if ok:
            s_ok, limited_by = s_rate, "rate"
            reason = (f"curtailment rate {100 * rate:g} % reached at {s_rate * unit_peak:,.0f} "
                      "MW; every event up to it is absorbed")
        else:
            lo = s_firm
            if lo > 0:
                ok_lo, why_lo = checker.feasible(lo)
                if not ok_lo:
                    raise InfeasibleError([f"site {scen.name!r} is infeasible at its firm size "
                                           f"(no curtailment): {why_lo}"])
            hi, reason = s_rate, why
            # stop at the relative tolerance; if nothing above 0 is feasible, once hi is a
            # negligible share of the rate limit
            while hi - lo > rtol * hi and hi > rtol * s_rate * rtol:
                mid = 0.5 * (lo + hi)
                ok_mid, why_mid = checker.feasible(mid)
                if ok_mid:
                    lo = mid
                else:
                    hi, reason = mid, why_mid
            s_ok = lo
            limited_by = "slo" if s_ok > s_firm * (1 + rtol) else "firm"
            reason = (f"at {hi * unit_peak:,.0f} MW ({hi:,.1f} copies of the site) an event "
                      f"cannot be absorbed: {reason} (MW per copy)")

    # curtailment at the answer
    p_s = s_ok * unit
    shed = np.minimum(p_s, np.maximum(0.0, p_s - room)) if s_ok > 0 else np.zeros_like(unit)
    curt = pd.Series(shed, index=inputs.index, name="curtailment_mw")
    events = curtailment_events(curt, tol_mw=1e-9 * max(unit_peak * s_ok, 1.0))
    if len(events):
        local = scen.site.timezone
        events["start_local"] = events["start_utc"].dt.tz_convert(local)
        events["end_local"] = events["end_utc"].dt.tz_convert(local)
    try:
        grid_mw = duke_headroom(demand_on_index, rate, thresholds).headroom_mw
    except (ScenarioError, DataError):
        grid_mw = float("nan")
    thr = dict(thresholds) if isinstance(thresholds, dict) else {"summer_mw": float(thresholds),
                                                                 "winter_mw": float(thresholds)}
    result = SloHeadroomResult(
        site=scen.name,
        rate_fraction=float(rate),
        unit_peak_import_mw=unit_peak,
        firm_mw=_mw(s_firm, unit_peak),
        firm_size_factor=s_firm,
        rate_limit_mw=_mw(s_rate, unit_peak),
        rate_limit_size_factor=s_rate,
        headroom_mw=_mw(s_ok, unit_peak),
        size_factor=s_ok,
        extra_mw=_mw(s_ok - s_firm, unit_peak) if s_ok > s_firm else 0.0,
        limited_by=limited_by,  # type: ignore[arg-type]
        curtailment_rate_fraction=curtailment_rate_at(s_ok, unit, room),
        curtailed_hours_h=float((shed > 0).sum() * dt),
        curtailed_energy_mwh=float(shed.sum() * dt),
        events=events,
        reason=reason,
        explanation="",
        grid_headroom_mw=float(grid_mw),
        thresholds=thr,
        demand_filled_steps=int(demand_on_index.attrs.get("filled_steps", 0)),
        n_solves=checker.n_solves,
        n_blocks=len(blocks),
        capped_steps=int(capped.sum()),
        rtol=float(rtol),
    )
    return dataclasses.replace(result, explanation=explain(result, scen))
