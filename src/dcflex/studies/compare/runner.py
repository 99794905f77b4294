"""Running a comparison: every site with its twin, in parallel processes, ranked.

:func:`compare` runs :func:`~dcflex.studies.compare.worker.run_site` for each site (in this
process, or in a ``spawn`` process pool), keeps the failures with their one-line message and
returns a :class:`Comparison`: the ranked table, the summaries and the monthly PUE.
"""

from __future__ import annotations

import concurrent.futures as cf
import multiprocessing
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import pandas as pd

from dcflex.errors import DcflexError, ScenarioError
from dcflex.scenario import Scenario
from dcflex.studies.compare.plots import plot_cost_emissions, plot_metric_bars, plot_monthly_pue
from dcflex.studies.compare.sites import SiteEntry, _as_entries, _labels
from dcflex.studies.compare.table import LOWER_IS_BETTER, rank_table, site_table
from dcflex.studies.compare.worker import SiteSummary, run_site


@dataclass
class Comparison:
    """Outcome of :func:`compare`.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per successful site, ranked (``rank`` 1 = best by ``rank_by``); ``pareto``
        marks the cost-emissions Pareto front.
    summaries : dict
        Site label -> :class:`SiteSummary`.
    failures : dict
        Site label -> one-line error message.
    monthly_pue : pandas.DataFrame
        Local months x sites, energy-weighted PUE.
    rank_by : str
    currency : str
        The sites' common reporting currency (money columns are in it).
    """

    table: pd.DataFrame
    summaries: dict[str, SiteSummary]
    failures: dict[str, str]
    monthly_pue: pd.DataFrame
    rank_by: str = "total_cost_usd"
    currency: str = "USD"

    def ranked(self, rank_by: str, ascending: bool | None = None) -> pd.DataFrame:
        """The table ranked by another metric."""
        return rank_table(self.table, rank_by, ascending)

    def write(self, out_dir: str | Path, png: bool = False) -> list[Path]:
        """Write ``compare.csv``, ``compare.parquet``, ``monthly_pue.csv``, ``failures.csv``
        (if any), ``slo_headroom_events.csv`` (if any), ``report.html`` and, if ``png``, the
        three PNG plots. Money columns are named in the reporting currency."""
        from dcflex.results.currency import present_frame
        from dcflex.results.files import atomic_path
        from dcflex.studies.compare.report import write_compare_report

        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        written: list[Path] = []
        shown = present_frame(self.table, self.currency)
        shown.attrs = dict(self.table.attrs)
        with atomic_path(out / "compare.csv") as tmp:
            shown.to_csv(tmp)
        written.append(out / "compare.csv")
        with atomic_path(out / "compare.parquet") as tmp:
            shown.to_parquet(tmp)
        written.append(out / "compare.parquet")
        with atomic_path(out / "monthly_pue.csv") as tmp:
            self.monthly_pue.to_csv(tmp)
        written.append(out / "monthly_pue.csv")
        if self.failures:
            with atomic_path(out / "failures.csv") as tmp:
                pd.Series(self.failures, name="error").rename_axis("site").to_csv(tmp)
            written.append(out / "failures.csv")
        events = [s.slo.events.assign(site=label) for label, s in self.summaries.items()
                  if s.slo is not None and len(s.slo.events)]
        if events:
            with atomic_path(out / "slo_headroom_events.csv") as tmp:
                pd.concat(events, ignore_index=True).to_csv(tmp, index=False)
            written.append(out / "slo_headroom_events.csv")
        written.append(write_compare_report(self, out / "report.html",
                                            [p.name for p in written]))
        if png and len(self.table):
            written += self.write_pngs(out)
        return written

    def write_pngs(self, out: Path) -> list[Path]:
        """The three matplotlib plots as PNG files."""
        from dcflex.results.plots import save

        # same site order (and so colours) as the other plots: the ranking
        pue = self.monthly_pue[[c for c in self.table.index if c in self.monthly_pue]]
        return [save(plot_metric_bars(self.table, currency=self.currency),
                     out / "metric_bars.png"),
                save(plot_cost_emissions(self.table, self.currency), out / "cost_emissions.png"),
                save(plot_monthly_pue(pue), out / "monthly_pue.png")]


def _message(exc: BaseException) -> str:
    if isinstance(exc, DcflexError):
        return str(exc)
    # cf.BrokenExecutor, not cf.process.BrokenProcessPool: the submodule is imported only
    # once a process pool starts, so with one process the attribute lookup itself would fail
    if isinstance(exc, cf.BrokenExecutor):
        return f"the worker process running this site died ({exc})"
    return f"unexpected {type(exc).__name__}: {exc}"


def _check_one_currency(entries: Sequence[SiteEntry]) -> None:
    """Sites must report in one currency to share a table (checked before any site runs; a
    site that does not load is left to fail in its own run)."""
    from dcflex.studies.compare.worker import _load

    currencies = set()
    for entry in entries:
        try:
            currencies.add(_load(entry).currency)
        except DcflexError:
            continue
    if len(currencies) > 1:
        raise ScenarioError(
            f"the sites report in different currencies ({', '.join(sorted(currencies))}); give "
            "every site the same 'currency:' (with exchange_rates where its inputs are in "
            "another) to compare them", field="currency")


def compare(
    scenarios: Sequence[SiteEntry | Scenario | str | Path],
    processes: int | None = None,
    *,
    rank_by: str = "total_cost_usd",
    ascending: bool | None = None,
    emissions_basis: Literal["average", "market_based"] = "average",
    progress: bool = True,
) -> Comparison:
    """Run candidate sites with their business-as-usual twins and rank them.

    Parameters
    ----------
    scenarios : sequence
        Scenario objects, scenario files, sites files (expanded) or :class:`SiteEntry`.
    processes : int, optional
        Worker processes; default ``min(number of sites, os.cpu_count())``. ``1`` runs the
        sites one after the other in this process.
    rank_by : str
        Table column to rank by (default total cost).
    ascending : bool, optional
        Default per metric (:data:`LOWER_IS_BETTER`).
    emissions_basis : {"average", "market_based"}
        Emissions axis of the Pareto front.
    progress : bool
        Show a rich progress bar on stderr.

    Returns
    -------
    Comparison
        Failed sites are in ``failures`` with their error message, not in the table.

    Raises
    ------
    ScenarioError
        If there is no site, a sites file is malformed, or ``rank_by`` is unknown.
    """
    from rich.console import Console
    from rich.markup import escape
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    err_console = Console(stderr=True)

    if rank_by not in LOWER_IS_BETTER:
        # before any site runs: a typo must not cost a year of solves per site
        raise ScenarioError(f"cannot rank by {rank_by!r}; expected one of "
                            f"{', '.join(LOWER_IS_BETTER)}", field="rank_by")
    entries = _as_entries(scenarios)
    labels = _labels(entries)
    _check_one_currency(entries)
    if processes is None:
        processes = min(len(entries), os.cpu_count() or 1)
    if processes < 1:
        raise ScenarioError(f"expected at least 1 process, got {processes}", field="processes")
    summaries: dict[str, SiteSummary] = {}
    failures: dict[str, str] = {}
    bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                   TimeElapsedColumn(), console=err_console, disable=not progress,
                   transient=False)
    with bar:
        task = bar.add_task("comparing sites", total=len(entries))

        def done(label: str, summary: SiteSummary | None, error: str | None) -> None:
            if summary is not None:
                summaries[label] = summary
            else:
                failures[label] = error or "failed"
            bar.advance(task)
            bar.update(task, description=escape(f"{label}: {'ok' if summary else 'failed'}"))

        if processes == 1:
            for entry, label in zip(entries, labels, strict=True):
                try:
                    done(label, run_site(entry, label), None)
                except Exception as exc:  # noqa: BLE001 - one site must not stop the others
                    done(label, None, _message(exc))
        else:
            ctx = multiprocessing.get_context("spawn")
            with cf.ProcessPoolExecutor(max_workers=processes, mp_context=ctx) as pool:
                futures = {pool.submit(run_site, e, label): label
                           for e, label in zip(entries, labels, strict=True)}
                for fut in cf.as_completed(futures):
                    label = futures[fut]
                    try:
                        done(label, fut.result(), None)
                    except Exception as exc:  # noqa: BLE001 - report, keep the others
                        done(label, None, _message(exc))
    ordered = [summaries[lab] for lab in labels if lab in summaries]
    currencies = sorted({s.currency for s in ordered})
    table = site_table(ordered)
    if len(table):
        table = rank_table(table, rank_by, ascending, emissions_basis)
    pue = pd.DataFrame({s.label: s.monthly_pue for s in ordered})
    pue.index.name = "month"
    return Comparison(table=table, summaries={s.label: s for s in ordered},
                      failures={lab: failures[lab] for lab in labels if lab in failures},
                      monthly_pue=pue, rank_by=rank_by,
                      currency=currencies[0] if currencies else "USD")
