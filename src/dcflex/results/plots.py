"""Plots of inputs and results (matplotlib, Agg backend; every function returns the Figure).

Times are shown in the site's local time zone.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from dcflex.model.prepared import Inputs  # noqa: E402

SUPPLY_COLORS = {
    "pv_used_mw": "#f2b701",
    "wind_used_mw": "#3969ac",
    "ppa_used_mw": "#7f3c8d",
    "battery_discharge_mw": "#11a579",
    "grid_import_mw": "#80868b",
}


def save(fig: Figure, path: str | Path) -> Path:
    """Save a figure as PNG atomically and close it."""
    from dcflex.results.files import atomic_path

    path = Path(path)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=110, bbox_inches="tight", format="png")
    plt.close(fig)
    return path


def inputs_overview(inputs: Inputs) -> Figure:
    """One panel per input series (daily means with daily min-max band), local time."""
    s = inputs.series
    cols = list(s.columns)
    fig, axes = plt.subplots(len(cols), 1, figsize=(11, 1.6 * len(cols) + 0.6), sharex=True,
                             squeeze=False)
    local = s.tz_convert(inputs.scenario.site.timezone)
    daily = local.resample("D")
    mean, lo, hi = daily.mean(), daily.min(), daily.max()
    for ax, col in zip(axes[:, 0], cols, strict=True):
        x = mean.index.tz_localize(None)
        ax.fill_between(x, lo[col], hi[col], alpha=0.25, color="#3969ac", lw=0)
        ax.plot(x, mean[col], color="#3969ac", lw=1)
        ax.set_ylabel(f"{col}\n[{inputs.units.get(col, '')}]", rotation=0, ha="right",
                      va="center", fontsize=8)
        ax.tick_params(labelsize=8)
        ax.grid(alpha=0.3)
    axes[0, 0].set_title(f"{inputs.scenario.name}: inputs (daily mean, min–max band)")
    fig.tight_layout()
    return fig


def _week(schedule: pd.DataFrame, tz: str, week_start: str | None) -> pd.DataFrame:
    local = schedule.tz_convert(tz)
    if week_start is None:
        # the week around the highest import: where flexibility matters most
        start = local["grid_import_mw"].idxmax().normalize() - pd.Timedelta(days=3)
    else:
        start = pd.Timestamp(week_start).tz_localize(tz)
    start = max(start, local.index[0])
    return local.loc[start : start + pd.Timedelta(days=7) - pd.Timedelta(seconds=1)]


def dispatch_week(schedule: pd.DataFrame, baseline: pd.DataFrame, tz: str,
                  week_start: str | None = None) -> Figure:
    """Supply stack vs facility load over one week, with the business-as-usual load dashed."""
    wk = _week(schedule, tz, week_start)
    bau = baseline.tz_convert(tz).loc[wk.index]
    x = wk.index.tz_localize(None)
    fig, ax = plt.subplots(figsize=(11, 4.2))
    cols = [c for c in SUPPLY_COLORS if c in wk]
    ax.stackplot(x, *[wk[c].to_numpy() for c in cols], labels=cols,
                 colors=[SUPPLY_COLORS[c] for c in cols], alpha=0.85, step="post")
    ax.step(x, wk["facility_power_mw"], where="post", color="k", lw=1.2, label="facility load")
    ax.step(x, bau["facility_power_mw"], where="post", color="k", lw=1, ls="--",
            label="business-as-usual load")
    if "battery_charge_mw" in wk:
        ax.step(x, wk["facility_power_mw"] + wk["battery_charge_mw"], where="post",
                color="#11a579", lw=0.8, label="load + battery charging")
    ax.set_ylabel("MW")
    ax.set_title("Dispatch over the week of the highest import (local time)")
    ax.legend(fontsize=8, ncol=3, loc="upper left")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig


def price_carbon_load(schedule: pd.DataFrame, baseline: pd.DataFrame, tz: str,
                      week_start: str | None = None) -> Figure:
    """Price and carbon intensity with flexible and business-as-usual import over one week."""
    wk = _week(schedule, tz, week_start)
    bau = baseline.tz_convert(tz).loc[wk.index]
    x = wk.index.tz_localize(None)
    fig, (a1, a2) = plt.subplots(2, 1, figsize=(11, 5.5), sharex=True)
    a1.step(x, wk["energy_price_usd_per_mwh"], where="post", color="#e73f74")
    a1.set_ylabel("price [USD/MWh]", color="#e73f74")
    b1 = a1.twinx()
    b1.step(x, wk["carbon_avg_kg_per_mwh"], where="post", color="#80868b")
    b1.set_ylabel("carbon [kg/MWh]", color="#80868b")
    a2.step(x, wk["grid_import_mw"], where="post", label="flexible import", color="#3969ac")
    a2.step(x, bau["grid_import_mw"], where="post", ls="--", color="k",
            label="business-as-usual import")
    a2.set_ylabel("MW")
    a2.legend(fontsize=8)
    for a in (a1, a2):
        a.grid(alpha=0.3)
    a1.set_title("Price, carbon and grid import (local time)")
    fig.tight_layout()
    return fig


def battery_soc(schedule: pd.DataFrame, tz: str) -> Figure:
    """Battery state of charge over the period."""
    local = schedule.tz_convert(tz)
    fig, ax = plt.subplots(figsize=(11, 3))
    ax.plot(local.index.tz_localize(None), local["battery_soc_mwh"], lw=0.6, color="#11a579")
    ax.set_ylabel("state of charge [MWh]")
    ax.set_title("Battery state of charge")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig


def monthly_peaks_plot(flex_peaks: pd.Series, bau_peaks: pd.Series) -> Figure:
    """Monthly peak import, flexible vs business-as-usual."""
    fig, ax = plt.subplots(figsize=(9, 3.5))
    pos = np.arange(len(flex_peaks))
    ax.bar(pos - 0.2, bau_peaks.to_numpy(), 0.4, label="business-as-usual", color="#80868b")
    ax.bar(pos + 0.2, flex_peaks.to_numpy(), 0.4, label="flexible", color="#3969ac")
    ax.set_xticks(pos, flex_peaks.index, rotation=45, fontsize=8)
    ax.set_ylabel("peak import [MW]")
    ax.set_title("Monthly peak import (billing months, local time)")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3, axis="y")
    fig.tight_layout()
    return fig
