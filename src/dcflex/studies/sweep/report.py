"""Sweep report plots: metrics against a swept axis, and cost against emissions.

Both take the metrics table of :func:`~dcflex.studies.sweep.store.consolidate`; matplotlib
is imported only when a plot is drawn.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.figure import Figure


def axis_columns(table: pd.DataFrame, manifest: dict) -> list[str]:
    """The swept axes present in a metrics table."""
    return [a for a in manifest["axes"] if a in table.columns]


def _positions(col: pd.Series) -> tuple[pd.Series, list[str] | None]:
    """Numeric axis values as they are; other values as category positions 0, 1, ..."""
    if pd.api.types.is_numeric_dtype(col):
        return col.astype(float), None
    cats = list(dict.fromkeys(str(x) for x in col))
    return col.astype(str).map({c: i for i, c in enumerate(cats)}).astype(float), cats


def plot_metric_vs_axis(table: pd.DataFrame, axis: str, metrics: list[str]) -> Figure:
    """One panel per metric against one swept axis: every done variant as a point and the
    mean over the other axes as a line."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    done = table[table["status"] == "done"]
    fig, axs = plt.subplots(1, len(metrics), figsize=(4.2 * len(metrics), 3.4), squeeze=False)
    x, cats = _positions(done[axis])
    for ax, metric in zip(axs[0], metrics, strict=True):
        y = done[metric].astype(float)
        ax.scatter(x, y, s=18, alpha=0.6, color="#3969ac")
        mean = y.groupby(x).mean().sort_index()
        ax.plot(mean.index, mean.to_numpy(), color="#e73f74", lw=1.5, label="mean")
        ax.set_xlabel(axis, fontsize=8)
        ax.set_ylabel(metric, fontsize=8)
        if cats is not None:
            ax.set_xticks(range(len(cats)), [c[:18] for c in cats], rotation=30, fontsize=7,
                          ha="right")
        ax.grid(alpha=0.3)
        ax.tick_params(labelsize=8)
    axs[0, 0].legend(fontsize=7)
    fig.suptitle(f"metrics vs {axis} ({len(done)} variants)", fontsize=10)
    fig.tight_layout()
    return fig


def plot_cost_vs_emissions(table: pd.DataFrame, color_by: str,
                           cost: str = "total_cost_usd",
                           emissions: str = "emissions_average_t") -> Figure:
    """Cost against emissions of every done variant, coloured by one axis."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    done = table[table["status"] == "done"]
    fig, ax = plt.subplots(figsize=(6.4, 4.6))
    c, cats = _positions(done[color_by])
    if cats is None:
        sc = ax.scatter(done[emissions], done[cost], c=c, cmap="viridis", s=30)
        fig.colorbar(sc, ax=ax, label=color_by)
    else:
        cmap = plt.get_cmap("tab10")
        for i, cat in enumerate(cats):
            sel = (c == i).to_numpy()
            ax.scatter(done[emissions][sel], done[cost][sel], s=30, color=cmap(i % 10),
                       label=cat[:30])
        ax.legend(title=color_by, fontsize=7, title_fontsize=8)
    ax.set_xlabel(emissions)
    ax.set_ylabel(cost)
    ax.grid(alpha=0.3)
    ax.set_title(f"cost vs emissions, coloured by {color_by}", fontsize=10)
    fig.tight_layout()
    return fig
