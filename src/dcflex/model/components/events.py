"""Events component: demand-response calls and flexible-interconnection import caps.

A demand-response event caps grid import during a local-time window, either at a fraction of
the business-as-usual import in each step or at an absolute level. Each MWh of reduction below
the business-as-usual import is paid; import above the cap is a shortfall that pays a penalty
per MWh, or is forbidden outright if the event sets no penalty (a hard cap). Import caps model
flexible-interconnection agreements: import may not exceed the cap in the listed hours.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp

from dcflex.data.series import SeriesContext
from dcflex.model.lp import ModelBuilder
from dcflex.model.prepared import Inputs, Prepared
from dcflex.scenario import Scenario

NAME = "events"


@dataclass(frozen=True)
class EventWindow:
    """Steps of one event and its cap per step (MW)."""

    label: str
    steps: np.ndarray
    cap_mw: np.ndarray
    payment_usd_per_mwh: float
    penalty_usd_per_mwh: float | None


def _utc(t, tz: str) -> pd.Timestamp:
    ts = pd.Timestamp(t)
    return (ts.tz_localize(tz) if ts.tzinfo is None else ts).tz_convert("UTC")


def _local_steps(start, end, inputs_index: pd.DatetimeIndex, tz: str) -> np.ndarray:
    a, b = _utc(start, tz), _utc(end, tz)
    return np.flatnonzero((inputs_index >= a) & (inputs_index < b))


def event_windows(inputs: Inputs, baseline_import_mw: np.ndarray) -> list[EventWindow]:
    """Resolve demand-response events to steps and caps."""
    tz = inputs.scenario.site.timezone
    out = []
    for ev in inputs.scenario.events.demand_response:
        steps = _local_steps(ev.start, ev.end, inputs.index, tz)
        if ev.cap_mw is not None:
            cap = np.full(len(steps), ev.cap_mw)
        else:
            cap = ev.reduce_to_fraction * baseline_import_mw[steps]
        label = f"DR event {pd.Timestamp(ev.start):%Y-%m-%d %H:%M}–{pd.Timestamp(ev.end):%H:%M}"
        out.append(EventWindow(label, steps, cap, ev.payment_usd_per_mwh,
                               ev.shortfall_penalty_usd_per_mwh))
    return out


def import_cap_series(inputs: Inputs) -> np.ndarray:
    """Import cap per step from flexible-interconnection hours (inf where none)."""
    cap = np.full(inputs.n_steps, np.inf)
    tz = inputs.scenario.site.timezone
    for c in inputs.scenario.events.import_caps:
        steps = _local_steps(c.start, c.end, inputs.index, tz)
        cap[steps] = np.minimum(cap[steps], c.cap_mw)
    return cap


def prepare(scenario: Scenario, ctx: SeriesContext) -> Prepared:
    """Check every event against the period and its steps (the model acts on whole steps).

    An event wholly outside the period has no effect; a :class:`DcflexWarning` names it (a
    variant that shortens the period of a base scenario keeps the base's events, so this is
    not an error, but it must not pass unsaid).

    Raises
    ------
    ScenarioError
        If an event starts or ends inside a step.
    """
    import warnings

    from dcflex.errors import DcflexWarning, ScenarioError

    tz = ctx.timezone
    first = ctx.index[0]
    step = pd.Timedelta(hours=ctx.step_hours)
    end = ctx.index[-1] + step
    for kind, events in (("demand_response", scenario.events.demand_response),
                         ("import_caps", scenario.events.import_caps)):
        for i, ev in enumerate(events):
            field = f"events.{kind}[{i}]"
            a, b = _utc(ev.start, tz), _utc(ev.end, tz)
            if b <= first or a >= end:
                where = f"{ctx.file} {field}" if ctx.file else field
                warnings.warn(
                    f"{where}: event {ev.start} – {ev.end} lies outside the period "
                    f"{first.tz_convert(tz)} – {end.tz_convert(tz)} and has no effect",
                    DcflexWarning, stacklevel=2)
                continue
            for name, t in (("start", a), ("end", b)):
                if (t - first) % step != pd.Timedelta(0):
                    raise ScenarioError(
                        f"{name} {t.tz_convert(tz)} falls inside a {ctx.scenario.period.step} "
                        f"step; expected a step boundary (the model acts on whole steps)",
                        file=ctx.file, field=f"{field}.{name}")
    return Prepared()


def add_block(builder: ModelBuilder, inputs: Inputs) -> None:
    ev = inputs.scenario.events
    if not ev.demand_response and not ev.import_caps:
        return
    dt = builder.step_hours
    imp = builder.var("grid_import_mw")
    if ev.import_caps:
        builder.set_bounds(imp, ub=import_cap_series(inputs))
    if not ev.demand_response:
        return
    from dcflex.model.twin import baseline_schedule

    bau = baseline_schedule(inputs)["grid_import_mw"].to_numpy()
    T = builder.n_steps
    for k, w in enumerate(event_windows(inputs, bau)):
        if len(w.steps) == 0:
            continue
        n = len(w.steps)
        pick = sp.csr_matrix((np.ones(n), (np.arange(n), w.steps)), shape=(n, T))
        if w.penalty_usd_per_mwh is None:
            ub = np.full(T, np.inf)
            ub[w.steps] = w.cap_mw
            builder.set_bounds(imp, ub=ub)
        else:
            short = builder.add_variables(f"dr_shortfall_mw__{k}", lb=0.0, size=n)
            builder.add_constraints(f"dr_cap__{k}", [(imp, pick), (short, -1.0)], ub=w.cap_mw)
            builder.add_objective("cost_usd", short, w.penalty_usd_per_mwh * dt)
        if w.payment_usd_per_mwh > 0:
            red = builder.add_variables(f"dr_reduction_mw__{k}", lb=0.0, ub=bau[w.steps], size=n)
            builder.add_constraints(f"dr_reduction_def__{k}", [(red, 1.0), (imp, pick)],
                                    ub=bau[w.steps])
            builder.add_objective("cost_usd", red, -w.payment_usd_per_mwh * dt)
