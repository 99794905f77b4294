"""The comparison table: one row of metrics per site, ranked, with the Pareto front marked.

A site is on the cost-emissions Pareto front when no other site is at most as costly and at
most as emitting, and better in one.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
import pandas as pd

from dcflex.errors import ScenarioError
from dcflex.results.report import LADDER
from dcflex.studies.compare.worker import SiteSummary

#: Metrics copied from the flexible run into the table, in this order.
TABLE_METRICS: tuple[str, ...] = (
    "total_cost_usd", "average_cost_usd_per_mwh", "emissions_average_t", "emissions_marginal_t",
    "cfe_score", "renewable_share", "annual_pue", "peak_import_mw", "load_factor",
    "dr_revenue_usd",
)

#: Ranking direction of each numeric table column: True = lower is better.
LOWER_IS_BETTER: dict[str, bool] = {
    "total_cost_usd": True, "average_cost_usd_per_mwh": True, "emissions_average_t": True,
    "emissions_marginal_t": True, "cfe_score": False, "renewable_share": False,
    "annual_pue": True, "peak_import_mw": True, "load_factor": False, "dr_revenue_usd": False,
    "flexibility_value_usd": False, "bau_total_cost_usd": True, "headroom_mw": False,
}


def pareto_front(cost: Sequence[float], emissions: Sequence[float]) -> np.ndarray:
    """Mask of points no other point dominates (both minimized; NaN never on the front)."""
    c = np.asarray(cost, dtype=float)
    e = np.asarray(emissions, dtype=float)
    ok = np.isfinite(c) & np.isfinite(e)
    front = ok.copy()
    for i in np.flatnonzero(ok):
        others = ok & (np.arange(len(c)) != i)
        dominated = others & (c <= c[i]) & (e <= e[i]) & ((c < c[i]) | (e < e[i]))
        front[i] = not dominated.any()
    return front


def site_table(summaries: Sequence[SiteSummary]) -> pd.DataFrame:
    """One row per site (unranked): the table metrics, twin cost, flexibility value,
    headroom and its basis."""
    rows = []
    for s in summaries:
        row = {k: s.metrics.get(k, np.nan) for k in TABLE_METRICS}
        row["bau_total_cost_usd"] = s.baseline_metrics.get("total_cost_usd", np.nan)
        # the run's value ladder where it has one (net of work value), else twin - flexible
        row.update({k: s.metrics[k] for k in LADDER if k in s.metrics})
        row.setdefault("flexibility_value_usd",
                       row["bau_total_cost_usd"] - row["total_cost_usd"])
        row["headroom_mw"] = s.headroom_mw
        row["headroom_basis"] = s.headroom_basis
        row["scenario"] = s.scenario_name
        rows.append(row)
    table = pd.DataFrame(rows, index=pd.Index([s.label for s in summaries], name="site"))
    return table


def rank_table(table: pd.DataFrame, rank_by: str = "total_cost_usd",
               ascending: bool | None = None,
               emissions_basis: Literal["average", "marginal"] = "average") -> pd.DataFrame:
    """Sort by a metric and number the rows (1 = best); mark the cost-emissions Pareto front.

    Parameters
    ----------
    rank_by : str
        A numeric column of the table.
    ascending : bool, optional
        Default: from :data:`LOWER_IS_BETTER` (costs, emissions, PUE, peak: lower is better).
    emissions_basis : {"average", "marginal"}
        Emissions axis of the Pareto front.

    Raises
    ------
    ScenarioError
        If ``rank_by`` is not a numeric column.
    """
    numeric = [c for c in table.columns if pd.api.types.is_numeric_dtype(table[c])
               and c not in ("rank", "pareto")]
    if rank_by not in numeric:
        raise ScenarioError(f"cannot rank by {rank_by!r}; expected one of {numeric}",
                            field="rank_by")
    if ascending is None:
        ascending = LOWER_IS_BETTER.get(rank_by, True)
    out = table.drop(columns=[c for c in ("rank", "pareto") if c in table]).copy()
    em = f"emissions_{emissions_basis}_t"
    out["pareto"] = pareto_front(out["total_cost_usd"], out[em]) if len(out) else []
    out = out.sort_values(rank_by, ascending=ascending, kind="stable", na_position="last")
    out.insert(0, "rank", np.arange(1, len(out) + 1))
    out.attrs.update(rank_by=rank_by, ascending=bool(ascending), emissions_basis=emissions_basis)
    return out

