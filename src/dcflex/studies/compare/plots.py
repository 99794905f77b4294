"""Plots of a comparison: metric bars, cost vs emissions with the Pareto front, monthly PUE.

Sites keep one colour each, in rank order, across the three figures.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.figure import Figure

#: Metrics drawn as bars by :func:`plot_metric_bars`.
BAR_METRICS: tuple[str, ...] = (
    "total_cost_usd", "average_cost_usd_per_mwh", "emissions_average_t", "cfe_score",
    "renewable_share", "annual_pue", "peak_import_mw", "load_factor",
    "flexibility_value_usd", "headroom_mw",
)


def shown_metrics(table: pd.DataFrame, metrics: Sequence[str]) -> list[str]:
    """The metrics worth a panel: present, and not zero (or missing) at every site."""
    return [m for m in metrics if m in table
            and np.nansum(np.abs(pd.to_numeric(table[m], errors="coerce").to_numpy(float))) > 0]


def plot_metric_bars(table: pd.DataFrame, metrics: Sequence[str] = BAR_METRICS,
                     currency: str = "USD") -> Figure:
    """One small panel per metric that differs from zero, one point per site (in rank
    order), titled in words with the unit; each axis spans the sites' values (bars would
    start at 0 and hide a PUE of 1.12 against 1.18)."""
    from matplotlib.figure import Figure

    from dcflex.results.format import unit_from_name
    from dcflex.results.labels import label, label_with_unit
    from dcflex.results.plots import readable_axis

    shown = shown_metrics(table, metrics)
    ncols = 5 if len(shown) > 4 else max(len(shown), 1)
    nrows = max(1, -(-len(shown) // ncols))
    fig = Figure(figsize=(3.2 * ncols, 2.9 * nrows), layout="constrained")
    axes = np.atleast_1d(fig.subplots(nrows, ncols)).ravel()
    colors = [f"C{i}" for i in range(len(table))]
    for ax, m in zip(axes, shown, strict=False):
        ax.scatter(range(len(table)), table[m].to_numpy(dtype=float), color=colors, s=60,
                   zorder=3)
        ax.set_xlim(-0.5, len(table) - 0.5)
        ax.set_title(label_with_unit(m, currency), fontsize=9)
        readable_axis(ax, unit_from_name(m))
        ax.set_xticks(range(len(table)))
        ax.set_xticklabels([str(i) for i in table.index], rotation=30, ha="right", fontsize=7)
        ax.tick_params(axis="y", labelsize=7)
        ax.grid(axis="y", alpha=0.3)
    for ax in axes[len(shown):]:
        ax.set_visible(False)
    fig.suptitle(f"Sites ranked by {label(table.attrs.get('rank_by', 'total_cost_usd'))}")
    return fig


def plot_cost_emissions(table: pd.DataFrame, currency: str = "USD") -> Figure:
    """Total cost vs emissions per site, the Pareto front joined and circled."""
    from matplotlib.figure import Figure

    from dcflex.results.plots import readable_axis

    basis = table.attrs.get("emissions_basis", "average")
    em_col = f"emissions_{basis}_t"
    fig = Figure(figsize=(6.4, 4.6), layout="constrained")
    ax = fig.subplots()
    x = table[em_col].to_numpy(dtype=float)
    y = table["total_cost_usd"].to_numpy(dtype=float)
    front = table["pareto"].to_numpy(dtype=bool) if "pareto" in table else np.zeros(len(x), bool)
    ax.scatter(x, y, c=[f"C{i}" for i in range(len(x))], s=50, zorder=3)
    if front.any():
        order = np.argsort(x[front])
        ax.plot(x[front][order], y[front][order], color="black", lw=1, ls="--", zorder=2,
                label="Pareto front")
        ax.scatter(x[front], y[front], s=160, facecolors="none", edgecolors="black", zorder=4)
        ax.legend(fontsize=8)
    for xi, yi, name in zip(x, y, table.index, strict=True):
        if np.isfinite(xi) and np.isfinite(yi):
            ax.annotate(str(name), (xi, yi), textcoords="offset points", xytext=(6, 4),
                        fontsize=8)
    ax.set_xlabel(f"emissions, {basis} basis [t CO2]")
    ax.set_ylabel(f"total cost [{currency}]")
    readable_axis(ax, None)
    ax.set_title("Total cost against emissions; lower left is better", fontsize=10)
    ax.grid(alpha=0.3)
    return fig


def plot_monthly_pue(monthly: pd.DataFrame) -> Figure:
    """Energy-weighted PUE of each local month, one line per site."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(7.5, 4.2), layout="constrained")
    ax = fig.subplots()
    for i, col in enumerate(monthly.columns):
        ax.plot(range(len(monthly)), monthly[col].to_numpy(dtype=float), marker="o", ms=3,
                color=f"C{i}", label=str(col))
    ax.set_xticks(range(len(monthly)))
    ax.set_xticklabels([str(m) for m in monthly.index], rotation=45, ha="right", fontsize=7)
    ax.set_ylabel("PUE (facility / IT energy)")
    ax.set_xlabel("month (local)")
    ax.set_title("Monthly PUE", fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False)
    return fig
