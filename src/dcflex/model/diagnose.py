"""Explain why a scenario is infeasible: which requirement collides with which limit.

Called when HiGHS proves the LP infeasible. Each check compares a requirement with the most
the site could possibly do against one limit, and names both in the site's local time.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from dcflex.errors import InfeasibleError
from dcflex.model.components.events import event_windows, import_cap_series
from dcflex.model.components.facility import facility_power_mw
from dcflex.model.prepared import Inputs


def _fmt(t: pd.Timestamp, tz: str) -> str:
    return f"{t.tz_convert(tz):%Y-%m-%d %H:%M}"


def minimum_facility_mw(inputs: Inputs) -> np.ndarray:
    """Least facility power per step: must-serve inference, every other GPU idle, MW."""
    scen, s = inputs.scenario, inputs.series
    it = np.zeros(inputs.n_steps)
    for name, cls in scen.workload.classes.items():
        cp = inputs.params["workload"]["classes"][name]
        if cls.kind == "inference":
            d = s[f"inference_demand_mw__{name}"].to_numpy()
            it += cp.idle_mw + (1 - cls.degradable_share) * (d - cp.idle_mw)
        else:
            it += cp.idle_mw
    return facility_power_mw(inputs, it)


def maximum_supply_mw(inputs: Inputs) -> np.ndarray:
    """Most on-site and contracted supply per step, battery at full discharge power, MW."""
    s, scen = inputs.series, inputs.scenario
    out = np.zeros(inputs.n_steps)
    for c in ("pv_available_mw", "wind_available_mw", "ppa_contracted_mw"):
        if c in s:
            out += s[c].to_numpy()
    if scen.battery is not None:
        out += scen.battery.power_mw
    return out


def diagnose(inputs: Inputs) -> list[str]:
    """Sentences naming each collision found (a generic one if no specific check fires)."""
    from dcflex.model.twin import baseline_schedule

    scen = inputs.scenario
    tz = scen.site.timezone
    idx = inputs.index
    found: list[str] = []
    try:
        bau = baseline_schedule(inputs)
    except InfeasibleError as exc:
        return exc.diagnosis
    need = minimum_facility_mw(inputs)
    supply = maximum_supply_mw(inputs)
    limit = inputs.series["import_limit_mw"].to_numpy()
    bad = np.flatnonzero(need > limit + supply + 1e-6)
    if len(bad):
        t = bad[0]
        found.append(
            f"interconnection limit {limit[t]:.4g} MW at {_fmt(idx[t], tz)} is below the "
            f"must-serve load of {need[t] - supply[t]:.4g} MW net of on-site supply "
            f"({len(bad)} steps)"
        )
    caps = import_cap_series(inputs)
    bad = np.flatnonzero(need > caps + supply + 1e-6)
    if len(bad):
        t = bad[0]
        found.append(
            f"import cap of {caps[t]:.4g} MW at {_fmt(idx[t], tz)} (events.import_caps) is below "
            f"the must-serve load of {need[t] - supply[t]:.4g} MW net of on-site supply"
        )
    bau_imp = bau["grid_import_mw"].to_numpy()
    for w in event_windows(inputs, bau_imp):
        if w.penalty_usd_per_mwh is not None or len(w.steps) == 0:
            continue
        gap = need[w.steps] - supply[w.steps] - w.cap_mw
        if (gap > 1e-6).any():
            k = int(np.argmax(gap))
            t = w.steps[k]
            found.append(
                f"{w.label} caps import at {w.cap_mw[k]:.4g} MW but must-serve load needs "
                f"{need[t] - supply[t]:.4g} MW at {_fmt(idx[t], tz)} (net of on-site supply)"
            )
    if found:
        return found
    possible: list[str] = []
    for name, cls in scen.workload.classes.items():
        if cls.kind == "training" and cls.min_throughput > 0 and (
            scen.events.demand_response or scen.events.import_caps
        ):
            possible.append(
                f"training class {name!r} needs {cls.min_throughput:.0%} average throughput per "
                f"{cls.window_h:g} h window, which may not fit under the event caps"
            )
    if scen.carbon.cfe_target is not None:
        possible.append(
            f"carbon.cfe_target {scen.carbon.cfe_target:.0%} may exceed the clean supply")
    if not possible:
        possible.append("no single requirement exceeds a limit on its own; the combination of "
                     "workload requirements, event caps and import limits has no solution")
    return possible
