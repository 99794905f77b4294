"""SLO-aware headroom: the largest data center a grid can connect when the site itself must
absorb every curtailment hour with its own workload, tiers and deadlines.

This joins the grid view of :mod:`dcflex.studies.headroom` (Norris, Profeta, Patino-Echeverri &
Cowie-Haskell, "Rethinking Load Growth", Nicholas Institute, Duke University, Feb 2025) with the
workload view of the site's optimization.

The grid view
-------------
A balancing authority has hourly demand ``D_t`` and a seasonal threshold ``T_t`` (the highest
demand of the season over the whole record, :func:`dcflex.studies.headroom.seasonal_thresholds`).
The
room left under the threshold is ``g_t = max(T_t - D_t, 0)`` MW.

The site grows by a size factor ``s``: the data center described by the scenario, replicated
``s`` times (every class's servers and batch work, the PV, battery and interconnection; the
site's design and mix stay as they are). Its business-as-usual (inflexible) import is
``s P_t`` with ``P_t`` the import of the business-as-usual twin
(:func:`dcflex.model.twin.baseline_schedule`).

Curtailment is computed for this **per-hour site load**, not for Duke's constant load: the grid
sees the site's own business-as-usual profile, and in hour ``t`` the site must shed
``c_t = min(s P_t, max(0, s P_t - g_t))`` MW (the part of its load that would lift the BA
above the threshold). Its import is then capped at ``s P_t - c_t = min(s P_t, g_t)`` MW: a hard
demand-response event. So that flexibility does not simply move the excess into the next hour,
the cap ``g_t`` applies in every hour where it is below the site's interconnection (a hard
``events.import_caps`` entry per step): the site never lifts the BA above its threshold, in
curtailment hours or after them. The site's curtailment rate is ``sum(c_t) / sum(s P_t)``.

Three sizes follow, each in MW of the site's business-as-usual peak import (``s max_t P_t``,
the size of the load the grid sees):

- **firm**: the largest size with no curtailment at all, ``s = min_t g_t / P_t`` (closed form);
- **rate limit**: the largest size whose curtailment rate is ``rate`` (the grid operator's
  criterion of the Duke report; the rate is nondecreasing in ``s``, solved with brentq);
- **SLO-aware**: the largest size between the two at which the site's optimization stays
  feasible with every cap in place — every inference class served, every training window at its
  throughput floor, every batch release done by its deadline. Feasibility shrinks as ``s``
  grows (the caps ``g_t / s`` of one copy shrink), so it is found by bisection on ``s`` to a
  relative tolerance ``rtol`` (default 1 %): the answer is a size proven feasible, and
  ``(1 + rtol)`` times it, or the next size tried, proven infeasible (:func:`dcflex.studies.run.run`
  raises :class:`~dcflex.errors.InfeasibleError`, whose diagnosis is kept as the reason).

Why must-serve inference gets no extra headroom: in a curtailment hour the site must import
less than its business-as-usual import; a site of non-degradable inference classes (and no
battery or spare on-site supply) cannot, so any curtailment hour is infeasible and the
SLO-aware headroom is the firm headroom. Training that may run below full throughput for a few
hours of its window, and batch work that may wait for its deadline, can; their site connects
more.

Scaling without rounding: every constraint of the site's LP is linear and homogeneous in the
site's capacities and loads, so the site replicated ``s`` times under caps ``g_t`` is feasible
exactly when one copy is feasible under caps ``g_t / s``. The solver therefore always sees one
copy (no fractional servers), and every MW in a diagnosis is per copy.

Runtime: only the steps near curtailment matter. The caps of the largest size tried (the rate
limit) mark the steps that can ever be capped; each run of them, widened by the longest batch
deadline or training window on each side and aligned to the training windows, is a block that
is optimized on its own, cut from the year's prepared inputs (so generated series and weather
are exactly the year's). Batch releases that straddle a block's edge are left out of it: their
windows never reach a capped step when the margin holds, but they would compete for the class's
GPUs with releases that do, so leaving them out can overstate the headroom when batch capacity
is tight; the battery starts and ends each block at its initial charge, which can understate
it. ``full_period=True`` solves the whole period instead: on the three 2023 sites of
``scenarios/sites`` both give the same headroom (CAISO 4,934 MW, ERCOT 336 MW, PJM 12,313 MW),
the whole period taking 2.4-6.4 times as long (a test checks agreement on a small case too).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy.optimize import brentq

from dcflex.errors import DataError, InfeasibleError, ScenarioError
from dcflex.model.inputs import Inputs, prepare
from dcflex.scenario import Events, ImportCap, Scenario, load_scenario
from dcflex.studies.headroom import (
    SUMMER_MONTHS,
    Thresholds,
    curtailment_events,
    seasonal_thresholds,
    threshold_mw,
)

#: Default relative tolerance of the bisection on size (1 %).
DEFAULT_RTOL: float = 0.01


@dataclass(frozen=True)
class SloHeadroomResult:
    """SLO-aware headroom of one site on one grid.

    Sizes are MW of business-as-usual peak import of the replicated site (``size_factor`` times
    ``unit_peak_import_mw``).

    Attributes
    ----------
    site : str
        Scenario name.
    rate_fraction : float
        Curtailment rate the grid allows (0.005 = 0.5 %).
    unit_peak_import_mw : float
        Business-as-usual peak import of the site as described (size factor 1), MW.
    firm_mw, firm_size_factor : float
        Largest size with no curtailment hour.
    rate_limit_mw, rate_limit_size_factor : float
        Largest size whose curtailment rate is ``rate_fraction``.
    headroom_mw, size_factor : float
        SLO-aware headroom: largest size proven feasible.
    extra_mw : float
        ``headroom_mw - firm_mw``: what the workload's flexibility adds.
    limited_by : {"rate", "slo", "firm"}
        ``"rate"``: the site absorbs every event up to the grid's rate limit; ``"slo"``: an
        event at the next size breaks a requirement; ``"firm"``: not even the smallest
        curtailment can be absorbed (no extra headroom).
    curtailment_rate_fraction : float
        Curtailed share of the site's business-as-usual energy at ``headroom_mw``.
    curtailed_hours_h, curtailed_energy_mwh : float
        Hours with curtailment and energy shed (of the replicated site) at ``headroom_mw``.
    events : pandas.DataFrame
        Curtailment events at ``headroom_mw`` (:func:`dcflex.studies.headroom.curtailment_events`,
        MW and MWh of the replicated site) with local start and end times.
    reason : str
        Why the next size fails (the diagnosis of the smallest infeasible size tried, MW per
        copy of the site), or what limits the answer.
    explanation : str
        One paragraph for reports.
    grid_headroom_mw : float
        Duke constant-load headroom of the BA at ``rate_fraction`` over the same period, MW
        (context: what a flat load with no workload constraints would get). NaN if undefined.
    thresholds : dict
        Thresholds used (MW).
    demand_filled_steps : int
        Site steps whose BA demand was filled by ``gap_policy``.
    n_solves, n_blocks, capped_steps : int
        Optimizations run, blocks optimized, steps that carry a cap at the rate-limit size.
    rtol : float
        Relative tolerance of the bisection.
    """

    site: str
    rate_fraction: float
    unit_peak_import_mw: float
    firm_mw: float
    firm_size_factor: float
    rate_limit_mw: float
    rate_limit_size_factor: float
    headroom_mw: float
    size_factor: float
    extra_mw: float
    limited_by: Literal["rate", "slo", "firm"]
    curtailment_rate_fraction: float
    curtailed_hours_h: float
    curtailed_energy_mwh: float
    events: pd.DataFrame
    reason: str
    explanation: str
    grid_headroom_mw: float
    thresholds: dict[str, Any] = field(default_factory=dict)
    demand_filled_steps: int = 0
    n_solves: int = 0
    n_blocks: int = 0
    capped_steps: int = 0
    rtol: float = DEFAULT_RTOL

    def summary(self) -> pd.Series:
        """The scalar fields as a Series (for tables)."""
        skip = {"events", "thresholds", "reason", "explanation"}
        return pd.Series({f.name: getattr(self, f.name) for f in dataclasses.fields(self)
                          if f.name not in skip}, name=self.site)


# --------------------------------------------------------------------------- grid side


def read_grid_demand(
    file: str | Path,
    ba: str,
    *,
    column: str = "demand_mw",
    screen: bool = True,
    stamp: Literal["end", "start"] = "end",
) -> pd.Series:
    """BA hourly demand from an EIA-930 file of the Ruggles et al. export, ready for
    :func:`slo_headroom`.

    Reads with :func:`dcflex.data.readers.eia930.read_eia930_demand`, sets single-hour spikes and
    absurd
    values to missing (:func:`dcflex.data.readers.eia930.screen_demand_spikes`, if ``screen``),
    drops the
    missing hours (:func:`dcflex.data.readers.eia930.fill_missing_demand` with policy ``"drop"``:
    they
    then count neither in the thresholds nor as curtailment; what happens on the site's steps
    is :func:`slo_headroom`'s ``gap_policy``), and restamps each hour by its start.

    Parameters
    ----------
    file : path
        CSV file or folder of ``<BA>_*.csv`` files; ``data:<path>`` resolves under the
        reference data folder (:func:`dcflex.data.datasets.shared_data_dir`).
    ba : str
        EIA-930 code or common name (CISO/CAISO, ERCO/ERCOT, PJM, TEX).
    column : str
        ``demand_mw`` (raw) or ``demand_cleaned_mw`` (region files).
    screen : bool
        Screen spikes first (default True).
    stamp : {"end", "start"}
        What the file's time stamps mark. EIA's Form 930 files stamp each hour at its end
        ("UTC Time at End of Hour"); we read the Ruggles et al. export as keeping EIA's stamps
        (an assumption: its documentation gives the zone, UTC, not the convention). dcflex
        steps are stamped at their start, so ``"end"`` (default) moves every stamp one hour
        back; ``"start"`` leaves them.

    Returns
    -------
    pandas.Series
        ``demand_mw``, MW, UTC index stamped by hour start, no NaN. ``attrs``:
        ``screened_hours``, ``dropped_hours``, ``source_file``, ``ba``.
    """
    from dcflex.data.readers.eia930 import (
        fill_missing_demand,
        find_eia930_file,
        read_eia930_demand,
        screen_demand_spikes,
    )

    text = str(file)
    if text.startswith("data:"):
        from dcflex.data.datasets import shared_data_dir

        file = shared_data_dir() / text.split(":", 1)[1]
    if stamp not in ("end", "start"):
        raise ScenarioError(f"expected stamp 'end' or 'start', got {stamp!r}", field="stamp")
    path = find_eia930_file(file, ba)
    frame = read_eia930_demand(path, column=column)
    demand = frame[frame.columns[0]]
    screened = 0
    if screen:
        demand, flagged = screen_demand_spikes(demand)
        screened = len(flagged)
    demand, _ = fill_missing_demand(demand, policy="drop")
    if stamp == "end":
        demand.index = demand.index - pd.Timedelta(hours=1)
    demand.index.name = "time_utc"
    demand = demand.rename("demand_mw")
    demand.attrs.update(screened_hours=screened, source_file=str(path), ba=ba)
    return demand



def align_demand_mw(demand_mw: pd.Series, index: pd.DatetimeIndex,
                    gap_policy: Literal["error", "interpolate", "ffill"] = "error") -> pd.Series:
    """BA demand on the site's steps, MW.

    Parameters
    ----------
    demand_mw : pandas.Series
        BA demand, MW, tz-aware index; each value covers ``[t, t + step)`` (shift hour-ending
        stamps first, see :func:`dcflex.studies.compare.read_grid_demand`). NaN rows are ignored.
    index : pandas.DatetimeIndex
        The site's UTC steps; the demand must cover them (it is averaged or repeated onto them).
    gap_policy : {"error", "interpolate", "ffill"}
        Steps without demand data: raise (default) or fill (the count is in
        ``attrs["filled_steps"]``).

    Raises
    ------
    DataError
        If the demand does not cover the site's period (naming both spans), or has gaps and
        ``gap_policy`` is ``"error"``.
    """
    from dcflex.data.timeseries import align_to_index

    if not isinstance(demand_mw, pd.Series) or not isinstance(demand_mw.index, pd.DatetimeIndex):
        raise DataError("expected BA demand as a pandas Series on a DatetimeIndex, MW",
                        field="demand_mw")
    clean = demand_mw.dropna()
    if clean.empty:
        raise DataError("expected BA demand values, found none", field="demand_mw")
    if clean.index[-1] < index[0] or clean.index[0] > index[-1]:
        raise DataError(
            f"BA demand covers {clean.index[0]} .. {clean.index[-1]} but the site's period is "
            f"{index[0]} .. {index[-1]} (UTC); give demand of the scenario's year",
            field="demand_mw",
        )
    aligned, filled = align_to_index(clean, index, how="mean", gap_policy=gap_policy,
                                     field="demand_mw")
    aligned = aligned.rename("demand_mw")
    aligned.attrs["filled_steps"] = int(filled)
    return aligned


def grid_room_mw(demand_on_index_mw: pd.Series, thresholds: Thresholds) -> pd.Series:
    """Room under the threshold in each step, ``max(T_t - D_t, 0)``, MW.

    ``demand_on_index_mw`` is the BA demand on the site's steps (:func:`align_demand_mw`).
    """
    index = demand_on_index_mw.index
    room = np.maximum(threshold_mw(index, thresholds) - demand_on_index_mw.to_numpy(), 0.0)
    return pd.Series(room, index=index, name="grid_room_mw")


def firm_size_factor(unit_import_mw: np.ndarray, room_mw: np.ndarray) -> float:
    """Largest size factor with no curtailment: ``min over P_t > 0 of g_t / P_t``."""
    p = np.asarray(unit_import_mw, dtype=float)
    g = np.asarray(room_mw, dtype=float)
    on = p > 1e-12
    if not on.any():
        raise ScenarioError("expected a site that imports power in business as usual, found "
                            "zero import in every step", field="grid")
    return float(np.min(g[on] / p[on]))


def curtailment_rate_at(size_factor: float, unit_import_mw: np.ndarray,
                        room_mw: np.ndarray) -> float:
    """Curtailed share of the site's energy at a size factor (per-hour site load).

    ``sum_t min(P_t, max(0, P_t - g_t / s)) / sum_t P_t`` (regular steps, so the step length
    cancels).
    """
    p = np.asarray(unit_import_mw, dtype=float)
    if size_factor <= 0:
        return 0.0
    shed = np.minimum(p, np.maximum(0.0, p - np.asarray(room_mw, dtype=float) / size_factor))
    return float(shed.sum() / p.sum())


def rate_limit_size_factor(unit_import_mw: np.ndarray, room_mw: np.ndarray,
                           rate: float) -> float:
    """Largest size factor whose curtailment rate equals ``rate`` (brentq on a monotone rate).

    The rate is continuous and nondecreasing in the size factor, 0 up to the firm size and
    tending to 1 as the size grows, so the root is bracketed by doubling.
    """
    rate = float(rate)
    if not 0.0 < rate < 1.0:
        raise ScenarioError(f"expected a curtailment rate as a fraction in (0, 1), got {rate}",
                            field="rate")
    lo = firm_size_factor(unit_import_mw, room_mw)

    def f(s: float) -> float:
        return curtailment_rate_at(s, unit_import_mw, room_mw) - rate

    hi = max(lo, 1e-9) * 2.0
    while f(hi) < 0:
        hi *= 2.0
    if lo <= 0 and f(0.0) >= 0:
        return 0.0
    return float(brentq(f, lo, hi, xtol=1e-12 * hi, rtol=1e-12, maxiter=500))


# --------------------------------------------------------------------------- blocks


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    padded = np.concatenate(([False], mask, [False])).astype(np.int8)
    edges = np.flatnonzero(np.diff(padded))
    return list(zip(edges[::2].tolist(), edges[1::2].tolist(), strict=True))


def _margin_steps(inputs: Inputs) -> tuple[int, int]:
    """(margin, alignment) in steps: longest batch window or training window; lcm of windows."""
    dt = inputs.step_hours
    margin_h = 0.0
    align = 1
    wp = inputs.params.get("workload", {})
    for name, cls in inputs.scenario.workload.classes.items():
        if cls.kind == "training":
            w = max(1, int(round(cls.window_h / dt)))
            margin_h = max(margin_h, cls.window_h)
            align = math.lcm(align, w)
        elif cls.kind == "batch":
            rel = wp.get("releases", {}).get(name)
            if rel is not None and len(rel):
                span = (rel["deadline_utc"] - rel["release_utc"]).max() / pd.Timedelta(hours=1)
                margin_h = max(margin_h, float(span))
    return int(math.ceil(margin_h / dt - 1e-9)), align


def event_blocks(capped: np.ndarray, margin: int, align: int, n_steps: int
                 ) -> list[tuple[int, int]]:
    """Step ranges ``[a, b)`` to optimize: runs of capped steps widened by ``margin`` steps on
    each side, snapped outward to multiples of ``align`` (training windows), merged."""
    blocks: list[tuple[int, int]] = []
    for a, b in _runs(np.asarray(capped, dtype=bool)):
        lo = max(0, ((a - margin) // align) * align)
        hi = min(n_steps, -(-(b + margin) // align) * align)
        if blocks and lo <= blocks[-1][1]:
            blocks[-1] = (blocks[-1][0], max(blocks[-1][1], hi))
        else:
            blocks.append((lo, hi))
    return blocks


def slice_inputs(inputs: Inputs, a: int, b: int) -> Inputs:
    """Inputs of steps ``[a, b)``: the same series values, batch releases that lie inside."""
    index = inputs.index
    start = index[a]
    end = index[b - 1] + pd.Timedelta(hours=inputs.step_hours)
    params = dict(inputs.params)
    wp = params.get("workload")
    if wp is not None and wp.get("releases"):
        releases = {}
        for name, rel in wp["releases"].items():
            inside = (rel["release_utc"] >= start) & (rel["deadline_utc"] <= end)
            releases[name] = rel[inside].reset_index(drop=True)
        params["workload"] = {**wp, "releases": releases}
    return dataclasses.replace(inputs, series=inputs.series.iloc[a:b], params=params)


def with_import_caps(scenario: Scenario, index: pd.DatetimeIndex, caps_mw: np.ndarray,
                     step_hours: float) -> Scenario:
    """Scenario plus one hard ``events.import_caps`` entry per finite cap (UTC-aware times)."""
    step = pd.Timedelta(hours=step_hours)
    new = [ImportCap(start=t.to_pydatetime(), end=(t + step).to_pydatetime(), cap_mw=float(c))
           for t, c in zip(index, caps_mw, strict=True) if np.isfinite(c)]
    events = Events(demand_response=list(scenario.events.demand_response),
                    import_caps=[*scenario.events.import_caps, *new])
    return scenario.model_copy(update={"events": events})


# --------------------------------------------------------------------------- feasibility


class _Checker:
    """Feasibility of the site at a size factor, block by block, with monotone memory."""

    def __init__(self, inputs: Inputs, room: np.ndarray, blocks: list[tuple[int, int]],
                 limit: np.ndarray) -> None:
        self.inputs = inputs
        self.room = room
        self.blocks = blocks
        self.limit = limit
        self.ok_up_to = [0.0] * len(blocks)  # largest size known feasible per block
        self.fails_from = [math.inf] * len(blocks)  # smallest size known infeasible per block
        self.reasons: dict[int, str] = {}
        self.n_solves = 0
        self._sliced = [slice_inputs(inputs, a, b) for a, b in blocks]

    def caps(self, s: float, a: int, b: int) -> np.ndarray:
        cap = self.room[a:b] / s
        return np.where(cap < self.limit[a:b], cap, np.inf)

    def feasible(self, s: float) -> tuple[bool, str]:
        from dcflex.studies.run import run_inputs

        order = sorted(range(len(self.blocks)), key=lambda k: float(
            np.min(self.room[self.blocks[k][0]:self.blocks[k][1]])))
        for k in order:
            if s >= self.fails_from[k]:
                return False, self.reasons[k]
        for k in order:
            if s <= self.ok_up_to[k]:
                continue
            a, b = self.blocks[k]
            sub = self._sliced[k]
            caps = self.caps(s, a, b)
            scen = with_import_caps(sub.scenario, sub.index, caps, sub.step_hours)
            self.n_solves += 1
            try:
                run_inputs(dataclasses.replace(sub, scenario=scen))
            except InfeasibleError as exc:
                self.fails_from[k] = min(self.fails_from[k], s)
                self.reasons[k] = "; ".join(exc.diagnosis)
                return False, self.reasons[k]
            self.ok_up_to[k] = max(self.ok_up_to[k], s)
        return True, ""


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

    See the module docstring for the method. Sizes are MW of the site's business-as-usual peak
    import, scaled.

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


def _workload_words(scen: Scenario) -> str:
    kinds: dict[str, list[str]] = {}
    for name, cls in scen.workload.classes.items():
        label = name
        if cls.kind == "inference":
            label += " (must-serve)" if cls.degradable_share == 0 else \
                f" ({100 * cls.degradable_share:g} % degradable)"
        elif cls.kind == "training":
            label += f" (floor {100 * cls.min_throughput:g} % over {cls.window_h:g} h)"
        else:
            label += " (deferrable to deadlines)"
        kinds.setdefault(cls.kind, []).append(label)
    return "; ".join(f"{k}: {', '.join(v)}" for k, v in kinds.items())


def explain(result: SloHeadroomResult, scenario: Scenario) -> str:
    """One paragraph saying what the SLO-aware headroom is and what limits it."""
    r = result
    head = (f"{r.site}: SLO-aware headroom {r.headroom_mw:,.1f} MW at a {100 * r.rate_fraction:g} "
            f"% curtailment rate ({r.size_factor:,.2f} copies of a site whose business-as-usual "
            f"peak import is {r.unit_peak_import_mw:,.3g} MW). Firm (no curtailment) "
            f"{r.firm_mw:,.1f} MW; the grid's rate limit for this load profile "
            f"{r.rate_limit_mw:,.1f} MW. Workload: {_workload_words(scenario)}.")
    n = len(r.events)
    events = f"{n} curtailment event{'s' if n != 1 else ''}"
    if r.limited_by == "rate":
        body = (f" The workload absorbs all {events} "
                f"({r.curtailed_hours_h:g} h, {r.curtailed_energy_mwh:,.0f} MWh shed) within its "
                f"tiers and deadlines up to the grid's rate limit, {r.extra_mw:,.1f} MW more "
                "than firm.")
    elif r.limited_by == "slo":
        body = (f" Its flexibility absorbs {events} "
                f"({r.curtailed_hours_h:g} h) and adds {r.extra_mw:,.1f} MW over firm; beyond "
                f"that {r.reason}.")
    else:
        body = (" Any curtailment hour requires importing less than business as usual, which "
                "this site cannot do without breaking a requirement, so it gets no headroom "
                f"beyond firm: {r.reason}.")
    return head + body
