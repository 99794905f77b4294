"""Sweep report: ``report.html`` (metrics against each swept axis, cost against emissions,
the variants table) and, on request, the same plots as PNG.

All take the metrics table of :func:`~dcflex.studies.sweep.store.consolidate`. The HTML
figures are plotly.js dicts; matplotlib is imported only when a PNG is drawn. An axis with
few distinct values (at most :data:`MAX_CATEGORIES`) colours its variants with one legend
entry per value, never a continuous colour bar.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from dcflex.errors import DataError
from dcflex.results.figures import PALETTE, figure, numbers, small_multiples
from dcflex.results.format import format_number, unit_from_name
from dcflex.results.labels import label_with_unit

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.figure import Figure

#: Most distinct values an axis may have to be coloured as categories (one legend entry each).
MAX_CATEGORIES = 10


def axis_columns(table: pd.DataFrame, manifest: dict) -> list[str]:
    """The swept axes present in a metrics table."""
    return [a for a in manifest["axes"] if a in table.columns]


def store_currency(store: str | Path) -> str:
    """The reporting currency of a store's finished variants (USD for records without one).

    Raises
    ------
    DataError
        If the variants report in different currencies.
    """
    found = set()
    for path in (Path(store) / "results").glob("[!.]*.json"):
        found.add(json.loads(path.read_text(encoding="utf-8")).get("currency", "USD"))
    if len(found) > 1:
        raise DataError(f"the variants report in different currencies ({sorted(found)}): "
                        "one table cannot hold them", file=Path(store))
    return found.pop() if found else "USD"


def _positions(col: pd.Series) -> tuple[pd.Series, list[str] | None]:
    """Numeric axis values as they are; other values as category positions 0, 1, ..."""
    if pd.api.types.is_numeric_dtype(col):
        return col.astype(float), None
    cats = list(dict.fromkeys(str(x) for x in col))
    return col.astype(str).map({c: i for i, c in enumerate(cats)}).astype(float), cats


def _groups(col: pd.Series) -> list[tuple[str, np.ndarray]] | None:
    """(legend text, row mask) per distinct value of an axis with few values, else None."""
    values = list(dict.fromkeys(col.tolist()))
    if len(values) > MAX_CATEGORIES and pd.api.types.is_numeric_dtype(col):
        return None
    if pd.api.types.is_numeric_dtype(col):
        values = sorted(values)
    return [(f"{v:g}" if isinstance(v, float) else str(v), (col == v).to_numpy())
            for v in values]


def _done(table: pd.DataFrame) -> pd.DataFrame:
    return table[table["status"] == "done"]


def metric_vs_axis_figure(table: pd.DataFrame, axis: str, metrics: list[str],
                          currency: str = "USD") -> dict:
    """One panel per metric against one axis: each variant a point, the mean over the other
    axes a line."""
    done = _done(table)
    x, cats = _positions(done[axis])

    def at(pos) -> list:
        return [cats[int(i)] for i in pos] if cats is not None else numbers(pos, 6)

    panels = []
    for metric in metrics:
        y = done[metric].astype(float)
        mean = y.groupby(x).mean().sort_index()
        panels.append((label_with_unit(metric, currency), [
            {"type": "scatter", "mode": "markers", "x": at(x), "y": numbers(y, 4),
             "name": "variant", "marker": {"color": PALETTE[0], "size": 8, "opacity": 0.7},
             "text": list(done["variant"]), "hovertemplate": "%{text}<br>%{y:,}<extra></extra>"},
            {"type": "scatter", "mode": "lines", "x": at(mean.index), "y": numbers(mean, 4),
             "name": "mean over the other axes", "line": {"color": PALETTE[1]}}]))
    fig = small_multiples(panels, f"Metrics against {axis} ({len(done)} variants; points: "
                                  "variants, line: mean over the other axes)")
    fig["layout"]["annotations"].append(
        {"text": axis, "showarrow": False, "xref": "paper", "yref": "paper", "x": 0.5,
         "y": -0.12, "xanchor": "center", "yanchor": "top"})
    return fig


def cost_vs_emissions_figure(table: pd.DataFrame, color_by: str, currency: str = "USD",
                             cost: str = "total_cost_usd",
                             emissions: str = "emissions_average_t") -> dict:
    """Cost against emissions of every done variant, one colour (and legend entry) per value
    of ``color_by``, or a colour scale for a numeric axis of many values."""
    done = _done(table)
    common = {"type": "scatter", "mode": "markers", "text": list(done["variant"]),
              "hovertemplate": "%{text}<br>%{x:,.1f} t, %{y:,.0f}<extra></extra>"}
    groups = _groups(done[color_by])
    if groups is None:
        data = [{**common, "x": numbers(done[emissions], 2), "y": numbers(done[cost], 0),
                 "name": color_by,
                 "marker": {"size": 10, "color": numbers(done[color_by], 6),
                            "colorscale": "Viridis",
                            "colorbar": {"title": {"text": color_by}}}}]
    else:
        data = [{**common, "x": numbers(done[emissions][mask], 2),
                 "y": numbers(done[cost][mask], 0), "name": text,
                 "text": list(done["variant"][mask]),
                 "marker": {"size": 10, "color": PALETTE[i % len(PALETTE)]}}
                for i, (text, mask) in enumerate(groups)]
    return figure(data, f"Cost against emissions, coloured by {color_by}",
                  x_title=label_with_unit(emissions, currency),
                  y_title=label_with_unit(cost, currency), height=440, hovermode="closest",
                  legend={"title": {"text": color_by}})


def plot_metric_vs_axis(table: pd.DataFrame, axis: str, metrics: list[str],
                        currency: str = "USD") -> Figure:
    """One panel per metric against one swept axis: every done variant as a point and the
    mean over the other axes as a line."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from dcflex.results.plots import readable_axis

    done = _done(table)
    fig, axs = plt.subplots(1, len(metrics), figsize=(4.4 * len(metrics), 3.6), squeeze=False)
    x, cats = _positions(done[axis])
    for ax, metric in zip(axs[0], metrics, strict=True):
        y = done[metric].astype(float)
        ax.scatter(x, y, s=18, alpha=0.6, color=PALETTE[0], label="variant")
        mean = y.groupby(x).mean().sort_index()
        ax.plot(mean.index, mean.to_numpy(), color=PALETTE[1], lw=1.5,
                label="mean over the other axes")
        ax.set_xlabel(axis, fontsize=8)
        ax.set_title(label_with_unit(metric, currency), fontsize=9)
        readable_axis(ax, unit_from_name(metric))
        if cats is not None:
            ax.set_xticks(range(len(cats)), [c[:18] for c in cats], rotation=30, fontsize=7,
                          ha="right")
        ax.grid(alpha=0.3)
        ax.tick_params(labelsize=8)
    axs[0, 0].legend(fontsize=7, loc="upper left", bbox_to_anchor=(0, -0.2), frameon=False)
    fig.suptitle(f"Metrics against {axis} ({len(done)} variants)", fontsize=10)
    fig.tight_layout()
    return fig


def plot_cost_vs_emissions(table: pd.DataFrame, color_by: str,
                           cost: str = "total_cost_usd",
                           emissions: str = "emissions_average_t",
                           currency: str = "USD") -> Figure:
    """Cost against emissions of every done variant, coloured by one axis (one legend entry
    per value, a colour bar only for a numeric axis of many values)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from dcflex.results.plots import readable_axis

    done = _done(table)
    fig, ax = plt.subplots(figsize=(6.8, 4.6))
    groups = _groups(done[color_by])
    if groups is None:
        sc = ax.scatter(done[emissions], done[cost], c=done[color_by].astype(float),
                        cmap="viridis", s=30)
        fig.colorbar(sc, ax=ax, label=color_by)
    else:
        for i, (text, mask) in enumerate(groups):
            ax.scatter(done[emissions][mask], done[cost][mask], s=30,
                       color=PALETTE[i % len(PALETTE)], label=text[:30])
        ax.legend(title=color_by, fontsize=7, title_fontsize=8, loc="upper left",
                  bbox_to_anchor=(1.01, 1), frameon=False)
    ax.set_xlabel(label_with_unit(emissions, currency))
    ax.set_ylabel(label_with_unit(cost, currency))
    readable_axis(ax, unit_from_name(cost))
    readable_axis(ax, unit_from_name(emissions), axis="x")
    ax.grid(alpha=0.3)
    ax.set_title(f"Cost against emissions, coloured by {color_by}", fontsize=10)
    fig.tight_layout()
    return fig


def write_sweep_report(table: pd.DataFrame, manifest: dict, axes: list[str],
                       metrics: list[str], folder: str | Path, color_by: str | None = None,
                       currency: str = "USD") -> list[Path]:
    """Write ``metrics.csv`` (money named in the reporting currency) and ``report.html`` to
    ``folder``; return their paths."""
    from dcflex.results.currency import present_frame
    from dcflex.results.files import atomic_path
    from dcflex.results.html import ReportSection, ReportTable, write_report

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    with atomic_path(folder / "metrics.csv") as tmp:
        present_frame(table, currency).to_csv(tmp, index=False)
    done = _done(table)
    summary = table.set_index("variant_id")[
        [c for c in (*axes, "status", *metrics) if c in table.columns]]
    sections = [ReportSection(
        "Variants", paragraphs=[
            f"{len(done)} of {len(table)} variants done. Each runs its flexible schedule "
            "against its own business-as-usual twin (the twin's metrics are the bau__ "
            "columns of metrics.csv)."],
        tables=[ReportTable(summary)], anchor="variants")]
    if len(done) and axes:
        figs = [metric_vs_axis_figure(table, axis, metrics, currency) for axis in axes]
        if {"total_cost_usd", "emissions_average_t"} <= set(table.columns):
            figs.append(cost_vs_emissions_figure(table, color_by or axes[0], currency))
        sections.append(ReportSection("Metrics against the swept axes", figures=figs,
                                      anchor="figures"))
    failed = table[table["status"] == "failed"]
    if len(failed):
        sections.append(ReportSection("Variants that failed", tables=[ReportTable(
            failed.set_index("variant_id")[["variant", "error"]])], anchor="failures"))
    best = ""
    if len(done) and "total_cost_usd" in done:
        row = done.loc[done["total_cost_usd"].idxmin()]
        best = (f"; cheapest: {row['variant']} at {format_number(row['total_cost_usd'], 'USD')} "
                f"{currency}")
    facts = [("sweep", f"{manifest['name']} ({manifest.get('sweep_file') or 'no file'})"),
             ("axes", ", ".join(axes) or "none"),
             ("variants", f"{len(done)} done, {len(failed)} failed, "
                          f"{int((table['status'] == 'missing').sum())} missing{best}"),
             ("currency", currency)]
    files = [("metrics.csv", "one row per variant: axes, status, flexible metrics and the "
                             "twin's (bau__)"),
             ("../metrics.parquet", "the store's table (internal names: money as _usd, in "
                                    f"{currency})"),
             ("../sweep.json", "the manifest: axes and variants")]
    report = write_report(folder / "report.html", f"Sweep {manifest['name']}", sections,
                          facts=facts, files=files, currency=currency)
    return [folder / "metrics.csv", report]
