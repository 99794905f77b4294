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
``scenarios/sites`` both give the same headroom (CAISO 4,483 MW, ERCOT 323 MW, PJM 11,766 MW,
with batch work arriving hourly; 4,934, 336 and 12,313 MW with the former midnight release),
the whole period taking 1.6-4.4 times as long (a test checks agreement on a small case too).

Modules
-------
:mod:`~dcflex.studies.slo_headroom.result`
    :class:`SloHeadroomResult` and its one-paragraph explanation.
:mod:`~dcflex.studies.slo_headroom.grid`
    The grid side: BA demand on the site's steps, room under the threshold, the firm and
    rate-limit size factors.
:mod:`~dcflex.studies.slo_headroom.blocks`
    The block shortcut: blocks around the capped steps, inputs cut to a block, import caps,
    and the feasibility checker that solves the blocks (or the whole period).
:mod:`~dcflex.studies.slo_headroom.solve`
    :func:`slo_headroom`: the three sizes and the bisection between them.
"""

from __future__ import annotations

from dcflex.studies.slo_headroom.blocks import event_blocks, slice_inputs, with_import_caps
from dcflex.studies.slo_headroom.grid import (
    align_demand_mw,
    curtailment_rate_at,
    firm_size_factor,
    grid_room_mw,
    rate_limit_size_factor,
    read_grid_demand,
)
from dcflex.studies.slo_headroom.result import DEFAULT_RTOL, SloHeadroomResult, explain
from dcflex.studies.slo_headroom.solve import slo_headroom

__all__ = [
    "DEFAULT_RTOL",
    "SloHeadroomResult",
    "align_demand_mw",
    "curtailment_rate_at",
    "event_blocks",
    "explain",
    "firm_size_factor",
    "grid_room_mw",
    "rate_limit_size_factor",
    "read_grid_demand",
    "slice_inputs",
    "slo_headroom",
    "with_import_caps",
]
