"""Events component: demand-response calls and flexible-interconnection import caps.

A demand-response event caps grid import during a local-time window, either at a fraction of
the customer baseline load (CBL) in each step or at an absolute level. The reduction below
the CBL is paid per MWh; import above the cap is a shortfall that pays a penalty per MWh, or
is forbidden outright if the event sets no penalty (a hard cap). Import caps model
flexible-interconnection agreements: import may not exceed the cap in the listed hours.

Enrolment. Payments and penalties belong to a programme a site enrols in; a site that cannot
flex — no battery and no flexible workload — is not enrolled: it is neither paid nor
penalized (:func:`can_flex`). Hard caps are orders, not a programme: they bind every schedule.

Customer baseline (``cbl``):

* ``ten_in_ten`` follows the CAISO "10-in-10" Customer Load Baseline (CAISO Tariff
  §4.13.4 and the Business Practice Manual for Metering; the baseline CAISO settles Proxy
  Demand Resources with, and the model for AEMO's "10 of 10" baselines): for each step of the
  event, the mean of the site's own metered import at the same local time on the 10 most
  recent weekdays before the event day that are not event days (a day with any
  demand-response event of the scenario is excluded). The CBL is linear in the import, so in
  the LP a baseline day inside the period is a decision like any other: inflating the
  baseline costs what the extra import costs. Simplified against CAISO: public holidays are
  not excluded, and the optional same-day ("load point") adjustment, capped at ±20 %, is not
  applied (it is a ratio of the site's own loads, not linear). A baseline day before the
  period is outside the model: the site is assumed to have run as usual on it, so it counts
  at the business-as-usual twin's import at the same step of the event day. A baseline day
  without the event step's local time (a daylight-saving change) is left out of that step's
  mean.
* ``twin`` is the business-as-usual twin's import in the event's own steps: a
  perfect-foresight approximation no programme settles with.

Settlement is linear: each step's reduction is CBL − import, summed over the event (a step
above the CBL counts against the others; the shortfall penalty already punishes it), and
paid at the event's payment.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd
import scipy.sparse as sp

from dcflex.data.series import SeriesContext
from dcflex.model.lp import ModelBuilder
from dcflex.model.prepared import Inputs, Prepared
from dcflex.scenario import Scenario

NAME = "events"
BASELINE_DAYS = 10  # CAISO 10-in-10: the ten most recent qualifying days


@dataclass(frozen=True)
class Baseline:
    """Customer baseline of an event's steps as a linear function of the site's import:
    ``cbl_mw = weights @ import_mw + constant_mw``.

    Attributes
    ----------
    weights : scipy.sparse.csr_matrix
        (event steps × period steps) weights of in-period baseline days.
    constant_mw : numpy.ndarray
        Part that is not a decision: baseline days before the period (twin's import) or the
        whole baseline for ``cbl: twin``, MW.
    days_in_period : numpy.ndarray
        Baseline days inside the period used for each event step.
    days_before_period : numpy.ndarray
        Baseline days before the period (counted at the twin's import) for each event step.
    """

    weights: sp.csr_matrix
    constant_mw: np.ndarray
    days_in_period: np.ndarray
    days_before_period: np.ndarray

    def of(self, import_mw: np.ndarray) -> np.ndarray:
        """The CBL of a schedule's import, MW per event step."""
        return self.weights @ np.asarray(import_mw, dtype=float) + self.constant_mw


@dataclass(frozen=True)
class EventWindow:
    """Steps of one event, its baseline and its terms."""

    label: str
    steps: np.ndarray
    baseline: Baseline
    cap_fraction: float | None
    cap_abs_mw: float | None
    payment_usd_per_mwh: float
    penalty_usd_per_mwh: float | None
    cbl: str

    @property
    def hard(self) -> bool:
        """No penalty: import above the cap is forbidden."""
        return self.penalty_usd_per_mwh is None

    def cap_mw(self, import_mw: np.ndarray) -> np.ndarray:
        """Import cap per event step for a schedule with this import (its own CBL), MW."""
        if self.cap_abs_mw is not None:
            return np.full(len(self.steps), self.cap_abs_mw)
        return self.cap_fraction * self.baseline.of(import_mw)

    @property
    def cap_is_fixed(self) -> bool:
        """True if the cap does not depend on the schedule (absolute, or on the twin's CBL)."""
        return self.cap_abs_mw is not None or self.baseline.weights.nnz == 0


def _utc(t, tz: str) -> pd.Timestamp:
    ts = pd.Timestamp(t)
    return (ts.tz_localize(tz) if ts.tzinfo is None else ts).tz_convert("UTC")


def _local_steps(start, end, inputs_index: pd.DatetimeIndex, tz: str) -> np.ndarray:
    a, b = _utc(start, tz), _utc(end, tz)
    return np.flatnonzero((inputs_index >= a) & (inputs_index < b))


def event_days(scenario: Scenario) -> set[date]:
    """Local dates touched by any demand-response event of the scenario (inside the period
    or not): they are never baseline days."""
    tz = scenario.site.timezone
    days: set[date] = set()
    for ev in scenario.events.demand_response:
        d = _utc(ev.start, tz).tz_convert(tz).date()
        last = (_utc(ev.end, tz).tz_convert(tz) - pd.Timedelta(microseconds=1)).date()
        while d <= last:
            days.add(d)
            d += timedelta(days=1)
    return days


def _baseline_days(day: date, excluded: set[date]) -> list[date]:
    """The 10 most recent weekdays before ``day`` that are not event days."""
    out: list[date] = []
    d = day
    while len(out) < BASELINE_DAYS:
        d -= timedelta(days=1)
        if d.weekday() < 5 and d not in excluded:
            out.append(d)
    return out


def ten_in_ten_baseline(inputs: Inputs, steps: np.ndarray, twin_import_mw: np.ndarray
                        ) -> Baseline:
    """The 10-in-10 CBL of ``steps`` (see the module docstring for the rules followed)."""
    local = inputs.local_index
    dates = np.asarray(local.date)
    first_day = dates[0]
    # step of each (local date, local time); the first one wins in a fall-back hour
    clock = list(zip(dates.tolist(), local.hour.tolist(), local.minute.tolist(), strict=True))
    where: dict[tuple, int] = {}
    for i, key in enumerate(clock):
        where.setdefault(key, i)
    excluded = event_days(inputs.scenario)
    rows, cols, vals = [], [], []
    const = np.zeros(len(steps))
    n_in = np.zeros(len(steps), dtype=int)
    n_before = np.zeros(len(steps), dtype=int)
    for r, t in enumerate(steps):
        day, hour, minute = clock[t]
        found = []
        for d in _baseline_days(day, excluded):
            if d < first_day:
                n_before[r] += 1
            elif (d, hour, minute) in where:
                found.append(where[(d, hour, minute)])
        n = len(found) + n_before[r]
        n_in[r] = len(found)
        rows += [r] * len(found)
        cols += found
        vals += [1.0 / n] * len(found)
        const[r] = n_before[r] / n * twin_import_mw[t]
    W = sp.csr_matrix((vals, (rows, cols)), shape=(len(steps), inputs.n_steps))
    return Baseline(W, const, n_in, n_before)


def twin_baseline(inputs: Inputs, steps: np.ndarray, twin_import_mw: np.ndarray) -> Baseline:
    """``cbl: twin``: the twin's import in the event's own steps."""
    n = len(steps)
    return Baseline(sp.csr_matrix((n, inputs.n_steps)), np.asarray(twin_import_mw)[steps].copy(),
                    np.zeros(n, dtype=int), np.zeros(n, dtype=int))


def event_windows(inputs: Inputs, twin_import_mw: np.ndarray) -> list[EventWindow]:
    """Resolve demand-response events to steps, baselines and caps.

    Parameters
    ----------
    twin_import_mw : numpy.ndarray
        The business-as-usual twin's import: the ``twin`` baseline, and the stand-in for
        ten-in-ten baseline days before the period.
    """
    tz = inputs.scenario.site.timezone
    out = []
    for ev in inputs.scenario.events.demand_response:
        steps = _local_steps(ev.start, ev.end, inputs.index, tz)
        make = ten_in_ten_baseline if ev.cbl == "ten_in_ten" else twin_baseline
        label = f"DR event {pd.Timestamp(ev.start):%Y-%m-%d %H:%M}–{pd.Timestamp(ev.end):%H:%M}"
        out.append(EventWindow(label, steps, make(inputs, steps, twin_import_mw),
                               ev.reduce_to_fraction, ev.cap_mw, ev.payment_usd_per_mwh,
                               ev.shortfall_penalty_usd_per_mwh, ev.cbl))
    return out


def can_flex(scenario: Scenario) -> bool:
    """True if the site can move its import at will: it has a battery or a workload class
    with a decision (training, batch, or inference with a degradable share). A site that
    cannot flex is not enrolled in demand-response programmes."""
    if scenario.battery is not None:
        return True
    return any(c.kind != "inference" or c.degradable_share > 0
               for c in scenario.workload.classes.values())


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
    """Import caps as bounds; each event's cap, shortfall and reduction rows.

    Rows and blocks are named ``dr_hard_cap__k`` (hard cap on the schedule's own CBL),
    ``dr_cap__k`` with ``dr_shortfall_mw__k`` (penalized cap) and ``dr_reduction__k`` with
    ``dr_reduction_mw__k`` (the paid reduction, = CBL − import), so that a counterfactual can
    find them by name.
    """
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

    twin = baseline_schedule(inputs)["grid_import_mw"].to_numpy()
    enrolled = can_flex(inputs.scenario)
    T = builder.n_steps
    for k, w in enumerate(event_windows(inputs, twin)):
        n = len(w.steps)
        if n == 0:
            continue
        pick = sp.csr_matrix((np.ones(n), (np.arange(n), w.steps)), shape=(n, T))
        # cap row: import − fraction × (W import) <= fraction × constant (or the absolute cap)
        if w.cap_abs_mw is not None:
            lhs, rhs = pick, np.full(n, w.cap_abs_mw)
        else:
            lhs = pick - w.cap_fraction * w.baseline.weights
            rhs = w.cap_fraction * w.baseline.constant_mw
        if w.hard:
            if w.cap_is_fixed:
                ub = np.full(T, np.inf)
                ub[w.steps] = rhs
                builder.set_bounds(imp, ub=ub)
            else:
                builder.add_constraints(f"dr_hard_cap__{k}", [(imp, lhs)], ub=rhs)
        elif enrolled:
            short = builder.add_variables(f"dr_shortfall_mw__{k}", lb=0.0, size=n)
            builder.add_constraints(f"dr_cap__{k}", [(imp, lhs), (short, -1.0)], ub=rhs)
            builder.add_objective("cost_usd", short, w.penalty_usd_per_mwh * dt)
        if enrolled and w.payment_usd_per_mwh > 0:
            # reduction = CBL − import, free in sign (netted over the event)
            red = builder.add_variables(f"dr_reduction_mw__{k}", lb=-np.inf, size=n)
            builder.add_constraints(
                f"dr_reduction__{k}", [(red, 1.0), (imp, pick - w.baseline.weights)],
                lb=w.baseline.constant_mw, ub=w.baseline.constant_mw)
            builder.add_objective("cost_usd", red, -w.payment_usd_per_mwh * dt)
