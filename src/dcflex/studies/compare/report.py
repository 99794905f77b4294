"""The report of a comparison: ranking, cost against emissions, metrics per site, monthly
PUE and failures, in one ``report.html`` (:func:`dcflex.results.html.write_report`).

The figures are plotly.js figure dicts (drawn in the browser); the ranking table has one
column per site and one row per metric, which reads at any number of metrics.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from dcflex.results.figures import PALETTE, figure, numbers, small_multiples
from dcflex.results.format import unit_from_name
from dcflex.results.html import ReportSection, ReportTable, write_report
from dcflex.results.labels import label, label_with_unit
from dcflex.studies.compare.plots import BAR_METRICS, shown_metrics

if TYPE_CHECKING:  # pragma: no cover
    from dcflex.studies.compare.runner import Comparison

FILES = {
    "compare.csv": "one row per site: metrics, twin's cost, value of flexibility, headroom, "
                   "rank, Pareto front",
    "compare.parquet": "the same as Parquet",
    "monthly_pue.csv": "energy-weighted PUE per local month and site",
}


def ranking_view(table: pd.DataFrame) -> pd.DataFrame:
    """The ranked table turned: metrics as rows (with their unit), sites as columns (cells
    keep their own type: numbers, the headroom basis, the Pareto flag)."""
    view = table.drop(columns=[c for c in ("scenario",) if c in table]).T.astype(object)
    view.index.name = "metric"
    view["unit"] = [("" if unit_from_name(str(m)) in (None, "count") else unit_from_name(str(m)))
                    for m in view.index]
    return view


def cost_emissions_figure(table: pd.DataFrame, currency: str = "USD") -> dict:
    """Total cost against emissions per site, the Pareto front joined."""
    basis = table.attrs.get("emissions_basis", "average")
    em = f"emissions_{basis}_t"
    data = []
    for i, (site, row) in enumerate(table.iterrows()):
        data.append({"type": "scatter", "mode": "markers+text", "x": numbers([row[em]], 1),
                     "y": numbers([row["total_cost_usd"]], 0), "name": str(site),
                     "text": [str(site)], "textposition": "top center", "cliponaxis": False,
                     "marker": {"size": 13, "color": PALETTE[i % len(PALETTE)]}})
    if "pareto" in table and table["pareto"].any():
        front = table[table["pareto"].astype(bool)].sort_values(em)
        data.append({"type": "scatter", "mode": "lines", "x": numbers(front[em], 1),
                     "y": numbers(front["total_cost_usd"], 0), "name": "Pareto front",
                     "line": {"color": "black", "dash": "dash", "width": 1}})
    return figure(data, f"Total cost against emissions ({basis} intensity); lower left is "
                        "better", x_title=f"emissions, {basis} basis [t CO2]",
                  y_title=f"total cost [{currency}]", height=440, hovermode="closest",
                  margin={"r": 110, "t": 70})


def metric_bars_figure(table: pd.DataFrame, currency: str = "USD") -> dict:
    """One panel per metric that differs from zero, one point per site (rank order, one
    colour each, named in the legend); each panel's axis spans the sites' values, so a PUE of
    1.12 against 1.18 shows."""
    sites = [str(s) for s in table.index]
    panels = []
    for k, m in enumerate(shown_metrics(table, BAR_METRICS)):
        values = numbers(table[m].astype(float), 4)
        panels.append((label_with_unit(m, currency), [
            {"type": "scatter", "mode": "markers", "x": [site], "y": [value], "name": site,
             "legendgroup": site, "showlegend": k == 0,
             "marker": {"color": PALETTE[i % len(PALETTE)], "size": 12},
             "hovertemplate": f"{site}: %{{y:,}}<extra></extra>"}
            for i, (site, value) in enumerate(zip(sites, values, strict=True))]))
    fig = small_multiples(panels, f"Metrics by site, ranked by "
                                  f"{label(table.attrs.get('rank_by', 'total_cost_usd'))}",
                          legend=True)
    for key, axis in fig["layout"].items():
        if key.startswith("xaxis"):
            axis.update(type="category", range=[-0.5, len(sites) - 0.5], showticklabels=False,
                        categoryorder="array", categoryarray=sites)
    return fig


def monthly_pue_figure(monthly: pd.DataFrame) -> dict:
    """Energy-weighted PUE of each local month, one line per site."""
    months = [str(m) for m in monthly.index]
    data = [{"type": "scatter", "mode": "lines+markers", "x": months,
             "y": numbers(monthly[c], 4), "name": str(c),
             "line": {"color": PALETTE[i % len(PALETTE)]}}
            for i, c in enumerate(monthly.columns)]
    return figure(data, "Monthly PUE (facility energy / IT energy, local months)",
                  x_title="month", y_title="PUE", xaxis={"type": "category"}, height=380)


def write_compare_report(comparison: Comparison, path: str | Path,
                         files: list[str]) -> Path:
    """Write the comparison's ``report.html``; ``files`` are the data files beside it."""
    table, currency = comparison.table, comparison.currency
    rank_by = comparison.rank_by
    sections = []
    if len(table):
        best = table.index[0]
        sections.append(ReportSection(
            "Ranking", paragraphs=[
                f"{len(table)} sites ranked by {label(rank_by)} "
                f"({'lowest' if table.attrs.get('ascending', True) else 'highest'} first); "
                f"{best} ranks first. Each site runs its flexible schedule against its own "
                "business-as-usual twin; value of flexibility = twin's total cost minus the "
                "flexible total cost. Pareto: no other site is both cheaper and cleaner."],
            tables=[ReportTable(ranking_view(table))], anchor="ranking"))
        pue = comparison.monthly_pue[[c for c in table.index if c in comparison.monthly_pue]]
        sections.append(ReportSection(
            "Cost, emissions and the other metrics",
            figures=[cost_emissions_figure(table, currency), metric_bars_figure(table, currency),
                     monthly_pue_figure(pue)], anchor="figures"))
    notes = [s.slo.explanation for s in comparison.summaries.values() if s.slo is not None]
    if notes:
        sections.append(ReportSection("Headroom", paragraphs=notes, anchor="headroom"))
    if comparison.failures:
        failed = pd.DataFrame({"error": list(comparison.failures.values())},
                              index=pd.Index(list(comparison.failures), name="site"))
        sections.append(ReportSection("Sites that failed", tables=[ReportTable(failed)],
                                      anchor="failures"))
    described = {**FILES, "failures.csv": "one line per site that failed",
                 "slo_headroom_events.csv": "curtailment events at each site's SLO-aware "
                                            "headroom"}
    rates = {s.exchange_rates for s in comparison.summaries.values() if s.exchange_rates}
    facts = [("sites", f"{len(table)} compared, {len(comparison.failures)} failed"),
             ("currency", currency + (f"; rates {'; '.join(sorted(rates))}" if rates else ""))]
    return write_report(path, "Site comparison", sections, facts=facts, currency=currency,
                        files=[(f, described.get(f, "")) for f in files])

