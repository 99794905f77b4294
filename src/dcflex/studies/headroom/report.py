"""Headroom results for reports: the table over several curtailment rates, and the plots.

:func:`headroom_table` solves :func:`~dcflex.studies.headroom.solve.headroom_mw` at each rate;
:func:`plot_duration_curve` and :func:`plot_curtailment_events` draw the demand against the
thresholds and the curtailment of one load.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from dcflex.studies.headroom.curtailment import curtailment_events, curtailment_mw
from dcflex.studies.headroom.solve import headroom_mw
from dcflex.studies.headroom.thresholds import (
    SUMMER_MONTHS,
    Thresholds,
    _check_demand,
    seasonal_thresholds,
    step_hours,
)

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.figure import Figure

#: Curtailment rates of the Duke report's headline results (0.25 %, 0.5 %, 1 %) and 5 %.
DEFAULT_RATES: tuple[float, ...] = (0.0025, 0.005, 0.01, 0.05)


def headroom_table(
    demand: pd.Series,
    rates: Sequence[float] = DEFAULT_RATES,
    thresholds: Thresholds | None = None,
    *,
    summer_months: Iterable[int] = SUMMER_MONTHS,
    tz: str | None = None,
) -> pd.DataFrame:
    """Headroom at several curtailment rates, one row per rate.

    Returns
    -------
    pandas.DataFrame
        Columns ``rate_pct``, ``headroom_mw``, ``achieved_rate_pct``, ``curtailed_energy_mwh``,
        ``curtailed_hours_h``, ``curtailed_hours_per_year_h``, ``events``,
        ``mean_event_duration_h``, ``max_event_duration_h``, ``max_curtailment_mw``,
        ``kept_share_pct``. ``attrs["thresholds"]`` holds the thresholds used.
    """
    _check_demand(demand)
    if thresholds is None:
        thresholds = seasonal_thresholds(demand, summer_months=summer_months, tz=tz)
    rows = []
    for r in rates:
        res = asdict(headroom_mw(demand, r, thresholds))
        rows.append({
            "rate_pct": 100 * res["target_rate_fraction"],
            "headroom_mw": res["headroom_mw"],
            "achieved_rate_pct": 100 * res["achieved_rate_fraction"],
            "curtailed_energy_mwh": res["curtailed_energy_mwh"],
            "curtailed_hours_h": res["curtailed_hours_h"],
            "curtailed_hours_per_year_h": res["curtailed_hours_per_year_h"],
            "events": res["n_events"],
            "mean_event_duration_h": res["mean_event_duration_h"],
            "max_event_duration_h": res["max_event_duration_h"],
            "max_curtailment_mw": res["max_curtailment_mw"],
            "kept_share_pct": 100 * res["mean_kept_share_fraction"],
        })
    table = pd.DataFrame(rows)
    table.attrs["thresholds"] = dict(thresholds) if isinstance(thresholds, Mapping) \
        else {"summer_mw": float(thresholds), "winter_mw": float(thresholds)}
    return table


# --------------------------------------------------------------------------- plots


def plot_duration_curve(
    demand: pd.Series,
    thresholds: Thresholds,
    loads_mw: Sequence[float] = (),
    path: str | Path | None = None,
    title: str = "",
) -> Figure:
    """Demand duration curve with the threshold(s) and ``demand + L`` for each load.

    Left: the whole record; right: the top 2 % of hours, where curtailment happens.
    Curves are sorted independently (a duration curve, not a time series). Saved as PNG to
    ``path`` when given.
    """
    from matplotlib.figure import Figure

    _check_demand(demand)
    dt = step_hours(demand.index)
    d = np.sort(demand.to_numpy(dtype=float))[::-1] / 1e3
    hours = (np.arange(d.size) + 1) * dt
    fig = Figure(figsize=(11, 4.2), layout="constrained")
    axes = fig.subplots(1, 2)
    top = max(int(0.02 * d.size), 10)
    thr = (thresholds if isinstance(thresholds, Mapping)
           else {"summer_mw": thresholds, "winter_mw": thresholds})
    for ax, n in zip(axes, (d.size, top), strict=True):
        ax.plot(hours[:n], d[:n], color="black", lw=1.2, label="demand")
        for load in loads_mw:
            ax.plot(hours[:n], d[:n] + load / 1e3, lw=1, label=f"demand + {load / 1e3:,.1f} GW")
        ax.axhline(float(thr["summer_mw"]) / 1e3, color="tab:red", ls="--", lw=1,
                   label=f"summer threshold {float(thr['summer_mw']) / 1e3:,.1f} GW")
        if thr["winter_mw"] != thr["summer_mw"]:
            ax.axhline(float(thr["winter_mw"]) / 1e3, color="tab:blue", ls="--", lw=1,
                       label=f"winter threshold {float(thr['winter_mw']) / 1e3:,.1f} GW")
        ax.set_xlabel("hours at or above (h)")
        ax.set_ylabel("demand (GW)")
        ax.grid(alpha=0.3)
    axes[1].set_title("top 2 % of hours")
    axes[0].legend(fontsize=8)
    if title:
        fig.suptitle(title)
    if path is not None:
        from dcflex.results.plots import save

        save(fig, path)
    return fig


def plot_curtailment_events(
    demand: pd.Series,
    load_mw: float,
    thresholds: Thresholds,
    path: str | Path | None = None,
    title: str = "",
) -> Figure:
    """Curtailed MW over time for a constant new load (one vertical line per curtailed step)."""
    from matplotlib.figure import Figure

    curt = curtailment_mw(demand, load_mw, thresholds)
    on = curt[curt > 0]
    n_events = len(curtailment_events(curt))
    fig = Figure(figsize=(11, 3.6), layout="constrained")
    ax = fig.subplots()
    ax.vlines(on.index.tz_convert(None), 0, on.to_numpy(), color="tab:red", lw=1.0)
    ax.axhline(load_mw, color="grey", ls=":", lw=1, label=f"new load {load_mw:,.0f} MW")
    ax.set_xlim(demand.index[0].tz_convert(None), demand.index[-1].tz_convert(None))
    ax.set_ylim(0, load_mw * 1.08)
    ax.set_xlabel("time (UTC)")
    ax.set_ylabel("curtailment (MW)")
    ax.set_title(title or f"{n_events} curtailment events, {on.size} curtailed steps")
    ax.legend(loc="upper right", fontsize=8)
    ax.grid(alpha=0.3)
    if path is not None:
        from dcflex.results.plots import save

        save(fig, path)
    return fig
