"""Explain why a scenario is infeasible: which requirement collides with which limit.

Called when HiGHS proves the LP infeasible. Each check is a necessary condition of
feasibility, so a sentence it prints is a true reason, named in the site's local time:

* must-serve load (inference that may not be degraded, every other GPU idle) against the
  import limit of each step (interconnection, import caps, hard demand-response caps,
  ``peak_not_above_baseline``) plus on-site supply, with the battery counted by its power
  and by its energy: it starts at its initial charge, can give at most what it holds above
  its minimum, and recharges only where the limit leaves room (a greedy charge-first,
  discharge-when-short run, which keeps the most energy stored at every step, so if it fails
  every schedule fails);
* each training class's throughput floor, in every SLO window, against the energy and the
  power the limits leave above that must-serve load (battery included);
* then, if no check fires, the constraints that may combine to make it infeasible.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from dcflex.errors import InfeasibleError
from dcflex.model.components.events import event_windows, import_cap_series
from dcflex.model.components.facility import facility_power_mw
from dcflex.model.components.ppa import deliverable_mw
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


def onsite_supply_mw(inputs: Inputs) -> np.ndarray:
    """Most on-site supply per step (PV, wind, a direct-line PPA), battery excluded, MW."""
    s = inputs.series
    out = deliverable_mw(inputs)
    for c in ("pv_available_mw", "wind_available_mw"):
        if c in s:
            out = out + s[c].to_numpy()
    return out


def import_limits(inputs: Inputs, twin_import_mw: np.ndarray) -> tuple[np.ndarray, list[str]]:
    """Most a schedule may import in each step, MW, and the name of the limit that sets it."""
    scen = inputs.scenario
    limit = inputs.series["import_limit_mw"].to_numpy(dtype=float).copy()
    label = np.full(inputs.n_steps, "interconnection limit", dtype=object)

    def lower(cap: np.ndarray, name) -> None:
        tighter = cap < limit - 1e-9
        limit[tighter] = cap[tighter]
        label[tighter] = name if isinstance(name, str) else name[tighter]

    lower(import_cap_series(inputs), "import cap (events.import_caps)")
    if scen.grid.peak_not_above_baseline:
        from dcflex.model.components.grid import twin_monthly_peak_mw

        lower(twin_monthly_peak_mw(inputs), "business-as-usual monthly peak "
                                            "(grid.peak_not_above_baseline)")
    for w in event_windows(inputs, twin_import_mw):
        if not w.hard or len(w.steps) == 0:
            continue
        # a cap on the site's own baseline is highest when every baseline day imports at
        # its limit: a bound no schedule can exceed
        cap = np.full(inputs.n_steps, np.inf)
        cap[w.steps] = w.cap_mw(limit)
        lower(cap, f"{w.label} hard cap")
    return limit, label.tolist()


def _battery_shortfall(inputs: Inputs, short_mw: np.ndarray, limit_name: str) -> str | None:
    """Run the battery greedily against a per-step shortfall (MW, negative = room to charge);
    describe the first failure, or None if the battery covers it all."""
    b = inputs.scenario.battery
    dt = inputs.step_hours
    tz = inputs.scenario.site.timezone
    idx = inputs.index
    lo, hi = b.soc_min_fraction * b.energy_mwh, b.soc_max_fraction * b.energy_mwh
    e0 = b.soc_initial_fraction * b.energy_mwh
    soc, owed = e0, 0.0
    since: int | None = None  # first short step since the battery was last full
    for t, gap in enumerate(short_mw):
        if gap > b.power_mw + 1e-6:
            return (f"at {_fmt(idx[t], tz)} must-serve load net of on-site supply exceeds "
                    f"the {limit_name} by {gap:.4g} MW, more than the battery's "
                    f"{b.power_mw:.4g} MW")
        if gap > 0:
            soc -= gap * dt / b.discharge_efficiency
            owed += gap * dt
            since = t if since is None else since
            if soc < lo - 1e-6:
                return (f"from {_fmt(idx[since], tz)} to {_fmt(idx[t], tz)} must-serve load net "
                        f"of on-site supply exceeds the {limit_name} by {owed:.4g} MWh, more than "
                        f"the battery can give: {b.power_mw:.4g} MW, {hi - lo:.4g} MWh usable "
                        f"(energy_mwh {b.energy_mwh:.4g} between soc_min and soc_max), "
                        f"recharged only where the limit leaves room")
        else:
            soc = min(hi, soc + min(-gap, b.power_mw) * b.charge_efficiency * dt)
            if soc >= hi - 1e-9:
                since, owed = None, 0.0
    if soc < e0 - 1e-6:
        return (f"the battery cannot recharge to its starting {e0:.4g} MWh by the end of the "
                f"period: the {limit_name} leaves room for only {soc:.4g} MWh after serving the "
                f"must-serve load")
    return None


def _must_serve(inputs: Inputs, need: np.ndarray, onsite: np.ndarray, limit: np.ndarray,
                label: list[str]) -> list[str]:
    tz = inputs.scenario.site.timezone
    idx = inputs.index
    short = need - onsite - limit
    bad = np.flatnonzero(short > 1e-6)
    if not len(bad):
        return []
    if inputs.scenario.battery is None:
        t = bad[0]
        return [f"{label[t]} {limit[t]:.4g} MW at {_fmt(idx[t], tz)} is below the must-serve "
                f"load of {need[t] - onsite[t]:.4g} MW net of on-site supply ({len(bad)} steps)"]
    text = _battery_shortfall(inputs, short, " / ".join(sorted({label[t] for t in bad})))
    return [] if text is None else [text]


def _training_floors(inputs: Inputs, need: np.ndarray, onsite: np.ndarray, limit: np.ndarray
                     ) -> list[str]:
    """Each training floor against what the limits leave above the must-serve load."""
    scen = inputs.scenario
    tz = scen.site.timezone
    idx = inputs.index
    dt = inputs.step_hours
    pue = inputs.series["pue"].to_numpy()
    room = limit + onsite - need  # facility MW above the must-serve load (everyone idle)
    b = scen.battery
    power = 0.0 if b is None else b.power_mw
    usable = 0.0 if b is None else (
        (b.soc_max_fraction - b.soc_min_fraction) * b.energy_mwh * b.discharge_efficiency)
    found = []
    for name, cls in scen.workload.classes.items():
        if cls.kind != "training" or cls.min_throughput <= 0:
            continue
        cp = inputs.params["workload"]["classes"][name]
        p = np.array([c[0] for c in cp.curve])
        x = np.array([c[1] for c in cp.curve])
        idle = p[0]
        # least IT energy for the floor: constant power at f⁻¹(floor) (f concave, so its
        # inverse is convex and spreading evenly needs least energy)
        y_floor = float(np.interp(cls.min_throughput, x, p))
        w = max(1, int(round(cls.window_h / dt)))
        for a in range(0, len(room), w):
            sl = slice(a, min(a + w, len(room)))
            n = sl.stop - sl.start
            need_mwh = float(pue[sl].min()) * cp.power_slope_mw * (y_floor - idle) * n * dt
            have_mwh = float(np.maximum(room[sl], 0).sum() * dt) + usable
            y_max = np.clip(idle + np.maximum(room[sl] + power, 0) / (pue[sl] * cp.power_slope_mw),
                            idle, 1.0)
            x_best = float(np.interp(y_max, p, x).mean())
            if need_mwh > have_mwh + 1e-6 or x_best < cls.min_throughput - 1e-9:
                found.append(
                    f"training class {name!r} needs {cls.min_throughput:.0%} average throughput "
                    f"per {cls.window_h:g} h window, but in the window from "
                    f"{_fmt(idx[sl.start], tz)} the import limit and on-site supply leave it "
                    f"{have_mwh:.4g} MWh above the must-serve load (battery included) against "
                    f"the {need_mwh:.4g} MWh the floor needs at least, and at most "
                    f"{x_best:.0%} throughput")
                break
    return found


def diagnose(inputs: Inputs) -> list[str]:
    """Sentences naming each collision found (a generic one if no specific check fires)."""
    from dcflex.model.twin import baseline_schedule

    scen = inputs.scenario
    try:
        bau = baseline_schedule(inputs)
    except InfeasibleError as exc:
        return exc.diagnosis
    need = minimum_facility_mw(inputs)
    onsite = onsite_supply_mw(inputs)
    limit, label = import_limits(inputs, bau["grid_import_mw"].to_numpy())
    found = _must_serve(inputs, need, onsite, limit, label)
    found += _training_floors(inputs, need, onsite, limit)
    if found:
        return found
    possible: list[str] = []
    if scen.carbon.cfe_target is not None:
        possible.append(
            f"carbon.cfe_target {scen.carbon.cfe_target:.0%} may exceed the clean supply")
    if not possible:
        possible.append("no single requirement exceeds a limit on its own; the combination of "
                        "workload requirements, event caps and import limits has no solution")
    return possible
