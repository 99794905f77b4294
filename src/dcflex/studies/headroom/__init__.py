"""Curtailment-enabled headroom: how much flexible load a grid can take without new peaks.

Method of Norris, Profeta, Patino-Echeverri & Cowie-Haskell, "Rethinking Load Growth: Assessing
the Potential for Integration of Large Flexible Loads in US Power Systems", Nicholas Institute,
Duke University, February 2025 (https://hdl.handle.net/10161/32077):

- a new load of constant size ``L`` (MW) is added to the historical hourly demand ``D_t`` of a
  balancing authority;
- whenever ``D_t + L`` would exceed the threshold ``T`` of the season (the highest demand seen
  in that season over the whole record), the load is curtailed by
  ``c_t = min(L, max(0, D_t + L - T))`` MW;
- the curtailment rate is the curtailed energy over the energy the load would have used,
  ``sum(c_t * dt) / (L * H)``, with ``H`` the hours of valid data;
- the headroom at a rate ``r`` is the ``L`` whose curtailment rate is ``r``.

Seasons: summer = April-October, winter = November-March by default. The report works on hourly
balancing-authority data stamped in UTC; which clock defines the month is not stated there.
This module uses the month of the time stamps as given (UTC) unless ``tz`` names a time zone to
convert to first. It only matters for peaks within a few hours of 1 April or 1 November 00:00.

Why the solution is exact: with the gap ``g_t = max(T - D_t, 0)``, ``c_t = max(0, L - g_t)`` and
the rate is ``r(L) = sum_{g_t < L} (1 - g_t / L) dt / H``: continuous and nondecreasing in ``L``,
and of the form ``(a - b / L)`` between consecutive sorted gaps. :func:`headroom_mw` finds the
segment that holds the target and solves it in closed form; ``method="brentq"`` brackets and
root-finds instead, as an independent check.

All functions take demand in MW as a pandas Series on a tz-aware DatetimeIndex with a regular
step (rows may be missing, e.g. after :func:`dcflex.data.readers.eia930.fill_missing_demand` with
``policy="drop"``; each row then stands for one step).

Modules
-------
:mod:`~dcflex.studies.headroom.thresholds`
    Input checks, the step length, the seasonal thresholds and the threshold of each hour.
:mod:`~dcflex.studies.headroom.curtailment`
    Curtailment of a constant new load, its rate and its events.
:mod:`~dcflex.studies.headroom.solve`
    The load that meets a curtailment rate (:func:`headroom_mw`) and its
    :class:`HeadroomResult`.
:mod:`~dcflex.studies.headroom.report`
    The table over several rates and the plots.
"""

from __future__ import annotations

from dcflex.studies.headroom.curtailment import (
    curtailment_events,
    curtailment_mw,
    curtailment_rate,
)
from dcflex.studies.headroom.report import (
    DEFAULT_RATES,
    headroom_table,
    plot_curtailment_events,
    plot_duration_curve,
)
from dcflex.studies.headroom.solve import HOURS_PER_YEAR, HeadroomResult, headroom_mw
from dcflex.studies.headroom.thresholds import (
    SUMMER_MONTHS,
    Thresholds,
    seasonal_thresholds,
    step_hours,
    threshold_mw,
)

__all__ = [
    "DEFAULT_RATES",
    "HOURS_PER_YEAR",
    "SUMMER_MONTHS",
    "HeadroomResult",
    "Thresholds",
    "curtailment_events",
    "curtailment_mw",
    "curtailment_rate",
    "headroom_mw",
    "headroom_table",
    "plot_curtailment_events",
    "plot_duration_curve",
    "seasonal_thresholds",
    "step_hours",
    "threshold_mw",
]
