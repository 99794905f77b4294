"""``compare([sites])``: candidate sites side by side, one ranked metrics table.

Every site runs with its business-as-usual twin (:func:`dcflex.studies.run.run`), in parallel local
processes (``concurrent.futures.ProcessPoolExecutor`` with the ``spawn`` start method, so it
behaves the same on Linux, macOS and Windows and never forks a process that holds solver
threads). A site that fails — a broken data file, a bad field, an infeasible requirement — is
reported with its one-line error and the others still finish.

The table has one row per site: total cost and cost per MWh of facility energy, emissions on
the average and the marginal basis (NaN where the site gives no marginal signal), hourly CFE
score, renewable share, energy-weighted annual PUE, peak import, load factor, demand-response
revenue, the value of flexibility (business-as-usual total cost minus flexible total cost) and
a headroom in MW, ranked by one metric (default total cost, lowest first). Sites on the
cost-emissions Pareto front (no other site is at most as costly and at most as emitting, and
better in one) are marked.

Headroom column (``headroom_basis`` says which one a row holds):

- ``"slo"``: when the site names the demand of its balancing authority (a ``grid_demand``
  entry in a sites file, or :class:`SiteEntry`), the SLO-aware headroom of
  :func:`dcflex.studies.slo_headroom.slo_headroom`: the largest data center of this design the grid
  connects with every curtailment hour absorbed by the site's workload;
- ``"interconnection"``: otherwise, the interconnection capacity the flexible schedule leaves
  unused at its peak, ``import_limit_mw - peak import`` (MW; the site's own connection, not
  the grid's).

Sites files (``sites.yaml``) list the candidates; their format is in
:mod:`~dcflex.studies.compare.sites`.

Scripts that call :func:`compare` with more than one process must guard their entry point
with ``if __name__ == "__main__":`` (the spawn start method imports the main module).

Modules
-------
:mod:`~dcflex.studies.compare.sites`
    Sites files and site entries: parsing, validation, row names.
:mod:`~dcflex.studies.compare.worker`
    One site: its run, its twin and its headroom, kept as a :class:`SiteSummary`.
:mod:`~dcflex.studies.compare.table`
    The metrics table, the ranking and the cost-emissions Pareto front.
:mod:`~dcflex.studies.compare.runner`
    :func:`compare`: the sites in parallel processes, failures reported, :class:`Comparison`.
:mod:`~dcflex.studies.compare.plots`
    Metric bars, cost vs emissions, monthly PUE.
"""

from __future__ import annotations

from dcflex.studies.compare.plots import (
    BAR_METRICS,
    plot_cost_emissions,
    plot_metric_bars,
    plot_monthly_pue,
)
from dcflex.studies.compare.runner import Comparison, compare
from dcflex.studies.compare.sites import GridDemand, SiteEntry, is_sites_file, load_sites
from dcflex.studies.compare.table import (
    LOWER_IS_BETTER,
    TABLE_METRICS,
    pareto_front,
    rank_table,
    site_table,
)
from dcflex.studies.compare.worker import SiteSummary, monthly_pue, run_site

__all__ = [
    "BAR_METRICS",
    "LOWER_IS_BETTER",
    "TABLE_METRICS",
    "Comparison",
    "GridDemand",
    "SiteEntry",
    "SiteSummary",
    "compare",
    "is_sites_file",
    "load_sites",
    "monthly_pue",
    "pareto_front",
    "plot_cost_emissions",
    "plot_metric_bars",
    "plot_monthly_pue",
    "rank_table",
    "run_site",
    "site_table",
]
