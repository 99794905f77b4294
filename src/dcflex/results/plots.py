"""Plots of inputs and results (matplotlib, Agg backend; every function returns the Figure).

Times are shown in the site's local time zone.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib
import matplotlib.dates

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from dcflex.model.prepared import Inputs  # noqa: E402
from dcflex.results.currency import present_unit  # noqa: E402
from dcflex.results.figures import COLORS, SUPPLY, soc_by_hour, week_window  # noqa: E402
from dcflex.results.labels import label  # noqa: E402


def save(fig: Figure, path: str | Path) -> Path:
    """Save a figure as PNG atomically and close it."""
    from dcflex.results.files import atomic_path

    path = Path(path)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=110, bbox_inches="tight", format="png")
    plt.close(fig)
    return path


def readable_axis(ax, unit: str | None, axis: str = "y") -> None:
    """Tick labels as people read them (48.77 M, 12,000, 0.45), never ``1e7`` offsets or
    exponents (:func:`dcflex.results.format.format_number`; money ticks get significant
    digits, since a whole-unit rule would print 0.5 as 0)."""
    from matplotlib.ticker import FuncFormatter

    from dcflex.results.format import format_number

    money = unit is not None and len(unit) == 3 and unit.isupper()
    tick_unit = None if money else unit
    getattr(ax, f"{axis}axis").set_major_formatter(
        FuncFormatter(lambda v, _pos: format_number(v, tick_unit)))


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
        unit = present_unit(inputs.units.get(col, ""), inputs.scenario.currency)
        ax.set_ylabel(f"{label(col)}\n[{unit}]", rotation=0, ha="right", va="center",
                      fontsize=8)
        ax.tick_params(labelsize=8)
        ax.grid(alpha=0.3)
    axes[0, 0].set_title(f"{inputs.scenario.name}: inputs (daily mean, min–max band)")
    fig.tight_layout()
    return fig


def _legend_below(ax, ncol: int = 4) -> None:
    """A legend under the axes, where it covers no data."""
    ax.legend(fontsize=8, ncol=ncol, loc="upper left", bbox_to_anchor=(0, -0.14),
              frameon=False)


def dispatch_week(schedule: pd.DataFrame, baseline: pd.DataFrame, tz: str,
                  week_start: str | None = None) -> Figure:
    """Supply stack vs facility load over one week, with the business-as-usual load dashed."""
    wk, which = week_window(schedule, tz, week_start)
    bau = baseline.tz_convert(tz).loc[wk.index]
    x = wk.index.tz_localize(None)
    fig, ax = plt.subplots(figsize=(11, 4.6))
    cols = [c for c in SUPPLY if c in wk]
    ax.stackplot(x, *[wk[c].to_numpy() for c in cols], labels=[label(c) for c in cols],
                 colors=[COLORS[c] for c in cols], alpha=0.85, step="post")
    ax.step(x, wk["facility_power_mw"], where="post", color="k", lw=1.2, label="facility load")
    ax.step(x, bau["facility_power_mw"], where="post", color="k", lw=1, ls="--",
            label="business-as-usual load")
    if "battery_charge_mw" in wk:
        ax.step(x, wk["facility_power_mw"] + wk["battery_charge_mw"], where="post",
                color=COLORS["battery_discharge_mw"], lw=0.8, label="load + battery charging")
    ax.set_ylabel("power [MW]")
    ax.set_title(f"Supply and load over {which}", fontsize=10)
    _legend_below(ax)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig


def price_carbon_load(schedule: pd.DataFrame, baseline: pd.DataFrame, tz: str,
                      week_start: str | None = None, currency: str = "USD") -> Figure:
    """Price and carbon intensity with flexible and business-as-usual import over one week."""
    wk, which = week_window(schedule, tz, week_start)
    bau = baseline.tz_convert(tz).loc[wk.index]
    x = wk.index.tz_localize(None)
    fig, (a1, a2) = plt.subplots(2, 1, figsize=(11, 6), sharex=True)
    a1.step(x, wk["energy_price_usd_per_mwh"], where="post", color=COLORS["price"])
    a1.set_ylabel(f"energy price [{present_unit('USD/MWh', currency)}]", color=COLORS["price"])
    b1 = a1.twinx()
    b1.step(x, wk["carbon_avg_kg_per_mwh"], where="post", color=COLORS["carbon"])
    b1.set_ylabel("carbon intensity [kg CO2/MWh]", color=COLORS["carbon"])
    a2.step(x, wk["grid_import_mw"], where="post", label="flexible import",
            color=COLORS["flexible"])
    a2.step(x, bau["grid_import_mw"], where="post", ls="--", color="k",
            label="business-as-usual import")
    a2.set_ylabel("grid import [MW]")
    _legend_below(a2)
    for a in (a1, a2):
        a.grid(alpha=0.3)
    a1.set_title(f"Price, carbon and grid import over {which}", fontsize=10)
    fig.tight_layout()
    return fig


def battery_soc(schedule: pd.DataFrame, tz: str) -> Figure:
    """Battery state of charge by local day and hour (hourly mean), as an image."""
    grid = soc_by_hour(schedule["battery_soc_mwh"], tz)
    fig, ax = plt.subplots(figsize=(11, 3.6))
    days = matplotlib.dates.date2num(grid.columns.to_pydatetime())
    im = ax.imshow(grid.to_numpy(), aspect="auto", origin="lower", cmap="viridis",
                   extent=(days[0], days[-1] + 1, -0.5, 23.5), interpolation="nearest")
    ax.xaxis_date()
    ax.set_yticks([0, 6, 12, 18, 23])
    ax.set_xlabel("day (local)")
    ax.set_ylabel("hour of day (local)")
    fig.colorbar(im, ax=ax, label="state of charge [MWh]")
    ax.set_title("Battery state of charge by local day and hour (hourly mean)", fontsize=10)
    fig.tight_layout()
    return fig


def monthly_peaks_plot(flex_peaks: pd.Series, bau_peaks: pd.Series) -> Figure:
    """Monthly peak import, flexible vs business-as-usual, as points: the axis spans the
    data (bars would have to start at 0 and hide the differences)."""
    fig, ax = plt.subplots(figsize=(9, 3.8))
    pos = np.arange(len(flex_peaks))
    ax.plot(pos, bau_peaks.to_numpy(), "o", color=COLORS["baseline"], ms=7,
            label="business-as-usual")
    ax.plot(pos, flex_peaks.to_numpy(), "D", color=COLORS["flexible"], ms=6, label="flexible")
    ax.vlines(pos, flex_peaks.to_numpy(), bau_peaks.to_numpy(), color="#bbbbbb", lw=1, zorder=0)
    ax.set_xticks(pos, flex_peaks.index, rotation=45, fontsize=8)
    ax.set_xlabel("billing month (local time)")
    ax.set_ylabel("peak import [MW]")
    ax.set_title("Monthly peak grid import", fontsize=10)
    _legend_below(ax, ncol=2)
    ax.grid(alpha=0.3, axis="y")
    fig.tight_layout()
    return fig
