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

Sites files (``sites.yaml``)::

    rank_by: total_cost_usd          # optional
    sites:
      - caiso.yaml                   # a scenario file, relative to this file
      - scenario: ercot.yaml
        label: Dallas                # optional row name (default: the scenario's name)
        overrides: {grid: {import_limit_mw: 20}}          # optional, deep-merged
        grid_demand: {file: "data:eia930-cleaned-demand", ba: ERCO, rate_pct: 0.5,
                      gap_policy: error}                  # optional: SLO-aware headroom

Scripts that call :func:`compare` with more than one process must guard their entry point
with ``if __name__ == "__main__":`` (the spawn start method imports the main module).
"""

from __future__ import annotations

import concurrent.futures as cf
import multiprocessing
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from dcflex.errors import DcflexError, ScenarioError
from dcflex.scenario import Scenario

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

#: Metrics drawn as bars by :func:`plot_metric_bars`.
BAR_METRICS: tuple[str, ...] = (
    "total_cost_usd", "average_cost_usd_per_mwh", "emissions_average_t", "cfe_score",
    "renewable_share", "annual_pue", "peak_import_mw", "load_factor",
    "flexibility_value_usd", "headroom_mw",
)


# --------------------------------------------------------------------------- site entries


@dataclass(frozen=True)
class GridDemand:
    """Where a site's balancing-authority demand is, for the SLO-aware headroom.

    Attributes
    ----------
    file : str
        EIA-930 CSV or folder (``data:<path>`` allowed), read by
        :func:`dcflex.studies.slo_headroom.read_grid_demand`.
    ba : str
        Balancing authority code or name (CISO, ERCO, PJM, ...).
    rate : float
        Curtailment rate the grid allows, fraction (default 0.5 %, Duke report).
    column : str
        ``demand_mw`` (raw) or ``demand_cleaned_mw``.
    gap_policy : {"error", "interpolate", "ffill"}
        Site steps with no demand data (e.g. PJM's 25 missing hours of 5-6 Nov 2023).
    """

    file: str
    ba: str
    rate: float = 0.005
    column: str = "demand_mw"
    gap_policy: Literal["error", "interpolate", "ffill"] = "error"


@dataclass(frozen=True)
class SiteEntry:
    """One candidate site: a scenario (object or file), options and an optional grid."""

    scenario: Scenario | str | Path
    label: str | None = None
    overrides: dict[str, Any] | None = None
    grid_demand: GridDemand | None = None


def _entry_from_item(item: Any, base: Path, file: Path, i: int) -> SiteEntry:
    where = f"sites[{i}]"
    if isinstance(item, str):
        return SiteEntry(scenario=str((base / item).resolve()))
    if not isinstance(item, dict) or "scenario" not in item:
        raise ScenarioError("expected a scenario file name or a mapping with 'scenario'",
                            file=file, field=where)
    unknown = set(item) - {"scenario", "label", "overrides", "grid_demand"}
    if unknown:
        raise ScenarioError(f"unknown keys {sorted(unknown)}; expected scenario, label, "
                            "overrides, grid_demand", file=file, field=where)
    gd = item.get("grid_demand")
    demand = None
    if gd is not None:
        if not isinstance(gd, dict) or not {"file", "ba"} <= set(gd):
            raise ScenarioError("expected a mapping with 'file' and 'ba'", file=file,
                                field=f"{where}.grid_demand")
        here = f"{where}.grid_demand"
        extra = set(gd) - {"file", "ba", "rate_pct", "column", "gap_policy"}
        if extra:
            raise ScenarioError(f"unknown keys {sorted(extra)}; expected file, ba, rate_pct, "
                                "column, gap_policy", file=file, field=here)
        rate_pct = gd.get("rate_pct", 0.5)
        if isinstance(rate_pct, bool) or not isinstance(rate_pct, int | float) \
                or not 0 < rate_pct < 100:
            raise ScenarioError(f"expected a curtailment rate in percent, 0 < rate_pct < 100, "
                                f"got {rate_pct!r}", file=file, field=f"{here}.rate_pct")
        gap_policy = gd.get("gap_policy", "error")
        if gap_policy not in ("error", "interpolate", "ffill"):
            raise ScenarioError(f"expected error, interpolate or ffill, got {gap_policy!r}",
                                file=file, field=f"{here}.gap_policy")
        path = str(gd["file"])
        if not path.startswith("data:") and not Path(path).is_absolute():
            path = str((base / path).resolve())
        demand = GridDemand(file=path, ba=str(gd["ba"]), rate=float(rate_pct) / 100,
                            column=str(gd.get("column", "demand_mw")), gap_policy=gap_policy)
    overrides = item.get("overrides")
    if overrides is not None and not isinstance(overrides, dict):
        raise ScenarioError("expected a mapping of scenario fields", file=file,
                            field=f"{where}.overrides")
    return SiteEntry(scenario=str((base / str(item["scenario"])).resolve()),
                     label=item.get("label"), overrides=overrides, grid_demand=demand)


def load_sites(path: str | Path) -> tuple[list[SiteEntry], dict[str, Any]]:
    """Read a sites file: the list of sites and the file's options (``rank_by``).

    Raises
    ------
    ScenarioError
        If the file is missing, not YAML, or not a mapping with a ``sites`` list.
    """
    from dcflex.scenario import read_yaml_file

    path = Path(path).resolve()
    data = read_yaml_file(path, "sites")
    if not isinstance(data, dict) or not isinstance(data.get("sites"), list) \
            or not data["sites"]:
        raise ScenarioError("expected a mapping with a non-empty 'sites' list", file=path,
                            field="sites")
    unknown = set(data) - {"sites", "rank_by", "description"}
    if unknown:
        raise ScenarioError(f"unknown keys {sorted(unknown)}; expected sites, rank_by, "
                            "description", file=path)
    entries = [_entry_from_item(item, path.parent, path, i)
               for i, item in enumerate(data["sites"])]
    options = {k: data[k] for k in ("rank_by",) if k in data}
    return entries, options


def is_sites_file(path: str | Path) -> bool:
    """True if a YAML file is a sites list (has a top-level ``sites`` key)."""
    import yaml

    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):
        return False
    return isinstance(data, dict) and "sites" in data


# --------------------------------------------------------------------------- one site


@dataclass
class SiteSummary:
    """What :func:`compare` keeps of one site's run (small enough to cross processes).

    Attributes
    ----------
    label : str
        Row name in the table.
    scenario_name, scenario_hash : str
    metrics, baseline_metrics : dict
        Flexible and business-as-usual metric values (units in :mod:`dcflex.results.metrics`).
    comparison : pandas.DataFrame
        Flexible vs baseline per metric (:func:`dcflex.results.metrics.compare_metrics`).
    monthly_pue : pandas.Series
        Energy-weighted PUE of each local month (facility energy / IT energy), flexible run.
    headroom_mw : float
        The table's headroom, MW.
    headroom_basis : {"slo", "interconnection"}
    slo : SloHeadroomResult or None
        Full SLO-aware headroom result when computed.
    timings_s : dict
        Run and headroom wall times, s.
    provenance : dict
    """

    label: str
    scenario_name: str
    scenario_hash: str
    metrics: dict[str, float]
    baseline_metrics: dict[str, float]
    comparison: pd.DataFrame
    monthly_pue: pd.Series
    headroom_mw: float
    headroom_basis: str
    slo: Any = None
    timings_s: dict[str, float] = field(default_factory=dict)
    provenance: dict[str, str] = field(default_factory=dict)


def monthly_pue(schedule: pd.DataFrame, timezone: str) -> pd.Series:
    """Energy-weighted PUE per local calendar month: Σ facility power / Σ IT power."""
    local = schedule.index.tz_convert(timezone).tz_localize(None).to_period("M")
    grouped = schedule[["facility_power_mw", "it_power_mw"]].groupby(local).sum()
    pue = grouped["facility_power_mw"] / grouped["it_power_mw"].where(grouped["it_power_mw"] > 0)
    pue.index = pue.index.astype(str)
    pue.index.name = "month"
    return pue.rename("pue")


def _merge(base: Any, over: Any) -> Any:
    """Mappings merge key by key, anything else replaces (as ``extends`` does)."""
    if isinstance(base, dict) and isinstance(over, dict):
        return {**base, **{k: _merge(base[k], v) if k in base else v for k, v in over.items()}}
    return over


def _load(entry: SiteEntry) -> Scenario:
    from dcflex.scenario import load_scenario

    scen = entry.scenario
    if isinstance(scen, Scenario):
        if entry.overrides:
            from dcflex.scenario import scenario_from_dict

            data = _merge(scen.model_dump(mode="json"), entry.overrides)
            return scenario_from_dict(data, file=scen.source_file)
        return scen
    return load_scenario(scen, overrides=entry.overrides)


def run_site(entry: SiteEntry, label: str) -> SiteSummary:
    """Run one site and its twin, and its headroom; the worker of :func:`compare`.

    Raises
    ------
    DcflexError
        Whatever the site's run raises (bad file, bad field, infeasible).
    """
    from dcflex.studies.run import run

    t0 = time.perf_counter()
    scenario = _load(entry)
    result = run(scenario)
    t_run = time.perf_counter() - t0
    m = result.metrics.as_dict()
    b = result.baseline_metrics.as_dict()
    slo = None
    if entry.grid_demand is not None:
        from dcflex.studies.slo_headroom import read_grid_demand, slo_headroom

        gd = entry.grid_demand
        demand = read_grid_demand(gd.file, gd.ba, column=gd.column)
        slo = slo_headroom(result.inputs, demand, rate=gd.rate, gap_policy=gd.gap_policy)
        headroom, basis = slo.headroom_mw, "slo"
    else:
        limit = float(result.inputs.series["import_limit_mw"].min())
        headroom, basis = limit - m["peak_import_mw"], "interconnection"
    return SiteSummary(
        label=label,
        scenario_name=scenario.name,
        scenario_hash=result.provenance.get("scenario_hash", scenario.scenario_hash()),
        metrics=m,
        baseline_metrics=b,
        comparison=result.comparison,
        monthly_pue=monthly_pue(result.schedule, scenario.site.timezone),
        headroom_mw=float(headroom),
        headroom_basis=basis,
        slo=slo,
        timings_s={"run": t_run, "total": time.perf_counter() - t0},
        provenance=result.provenance,
    )


# --------------------------------------------------------------------------- the table


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
        row["flexibility_value_usd"] = row["bau_total_cost_usd"] - row["total_cost_usd"]
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
    """

    table: pd.DataFrame
    summaries: dict[str, SiteSummary]
    failures: dict[str, str]
    monthly_pue: pd.DataFrame
    rank_by: str = "total_cost_usd"

    def ranked(self, rank_by: str, ascending: bool | None = None) -> pd.DataFrame:
        """The table ranked by another metric."""
        return rank_table(self.table, rank_by, ascending)

    def write(self, out_dir: str | Path) -> list[Path]:
        """Write ``compare.csv``, ``compare.parquet``, ``monthly_pue.csv``, ``failures.csv``
        (if any), ``slo_headroom_events.csv`` (if any) and the three PNG plots."""
        from dcflex.results.files import atomic_path
        from dcflex.results.plots import save

        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        written: list[Path] = []
        with atomic_path(out / "compare.csv") as tmp:
            self.table.to_csv(tmp)
        written.append(out / "compare.csv")
        with atomic_path(out / "compare.parquet") as tmp:
            self.table.to_parquet(tmp)
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
        if len(self.table):
            written.append(save(plot_metric_bars(self.table), out / "metric_bars.png"))
            written.append(save(plot_cost_emissions(self.table), out / "cost_emissions.png"))
            # same site order (and so colours) as the other plots: the ranking
            pue = self.monthly_pue[[c for c in self.table.index if c in self.monthly_pue]]
            written.append(save(plot_monthly_pue(pue), out / "monthly_pue.png"))
        return written


def _labels(entries: Sequence[SiteEntry]) -> list[str]:
    """Row names: the entry's label, else the scenario's name or file stem; made unique."""
    names: list[str] = []
    for e in entries:
        if e.label:
            name = str(e.label)
        elif isinstance(e.scenario, Scenario):
            name = e.scenario.name
        else:
            name = _name_in_file(Path(e.scenario))
        base, k = name, 2
        while name in names:
            name = f"{base} #{k}"
            k += 1
        names.append(name)
    return names


def _name_in_file(path: Path) -> str:
    """A scenario file's ``name`` field without validating it (so broken sites keep a name)."""
    import yaml

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        if isinstance(data, dict) and isinstance(data.get("name"), str):
            return data["name"]
    except (OSError, yaml.YAMLError):
        pass
    return path.stem


def _as_entries(scenarios: Sequence[SiteEntry | Scenario | str | Path]) -> list[SiteEntry]:
    entries: list[SiteEntry] = []
    for s in scenarios:
        if isinstance(s, SiteEntry):
            entries.append(s)
        elif isinstance(s, Scenario):
            entries.append(SiteEntry(scenario=s))
        elif isinstance(s, str | Path):
            if is_sites_file(s):
                entries.extend(load_sites(s)[0])
            else:
                entries.append(SiteEntry(scenario=str(Path(s).resolve())))
        else:
            raise ScenarioError(f"expected a Scenario, a scenario or sites file, or a SiteEntry; "
                                f"got {type(s).__name__}")
    if not entries:
        raise ScenarioError("expected at least one site to compare")
    return entries


def _message(exc: BaseException) -> str:
    if isinstance(exc, DcflexError):
        return str(exc)
    if isinstance(exc, cf.process.BrokenProcessPool):
        return f"the worker process running this site died ({exc})"
    return f"unexpected {type(exc).__name__}: {exc}"


def compare(
    scenarios: Sequence[SiteEntry | Scenario | str | Path],
    processes: int | None = None,
    *,
    rank_by: str = "total_cost_usd",
    ascending: bool | None = None,
    emissions_basis: Literal["average", "marginal"] = "average",
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
    emissions_basis : {"average", "marginal"}
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
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    err_console = Console(stderr=True)

    if rank_by not in LOWER_IS_BETTER:
        # before any site runs: a typo must not cost a year of solves per site
        raise ScenarioError(f"cannot rank by {rank_by!r}; expected one of "
                            f"{', '.join(LOWER_IS_BETTER)}", field="rank_by")
    entries = _as_entries(scenarios)
    labels = _labels(entries)
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
            bar.update(task, description=f"{label}: {'ok' if summary else 'failed'}")

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
    table = site_table(ordered)
    if len(table):
        table = rank_table(table, rank_by, ascending, emissions_basis)
    pue = pd.DataFrame({s.label: s.monthly_pue for s in ordered})
    pue.index.name = "month"
    return Comparison(table=table, summaries={s.label: s for s in ordered},
                      failures={lab: failures[lab] for lab in labels if lab in failures},
                      monthly_pue=pue, rank_by=rank_by)


# --------------------------------------------------------------------------- plots


def plot_metric_bars(table: pd.DataFrame, metrics: Sequence[str] = BAR_METRICS) -> Figure:
    """One small bar chart per metric, one bar per site (in rank order)."""
    shown = [m for m in metrics if m in table and table[m].notna().any()]
    ncols = 5 if len(shown) > 4 else max(len(shown), 1)
    nrows = max(1, -(-len(shown) // ncols))
    fig = Figure(figsize=(3.2 * ncols, 2.9 * nrows), layout="constrained")
    axes = np.atleast_1d(fig.subplots(nrows, ncols)).ravel()
    colors = [f"C{i}" for i in range(len(table))]
    for ax, m in zip(axes, shown, strict=False):
        ax.bar(range(len(table)), table[m].to_numpy(dtype=float), color=colors)
        ax.set_title(m, fontsize=9)
        ax.set_xticks(range(len(table)))
        ax.set_xticklabels([str(i) for i in table.index], rotation=30, ha="right", fontsize=7)
        ax.tick_params(axis="y", labelsize=7)
        ax.grid(axis="y", alpha=0.3)
    for ax in axes[len(shown):]:
        ax.set_visible(False)
    fig.suptitle(f"sites ranked by {table.attrs.get('rank_by', 'total_cost_usd')}")
    return fig


def plot_cost_emissions(table: pd.DataFrame) -> Figure:
    """Total cost vs emissions per site, the Pareto front joined and circled."""
    basis = table.attrs.get("emissions_basis", "average")
    em_col = f"emissions_{basis}_t"
    fig = Figure(figsize=(6.4, 4.6), layout="constrained")
    ax = fig.subplots()
    x = table[em_col].to_numpy(dtype=float)
    y = table["total_cost_usd"].to_numpy(dtype=float) / 1e6
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
    ax.set_xlabel(f"emissions, {basis} basis (t CO2)")
    ax.set_ylabel("total cost (million USD)")
    ax.grid(alpha=0.3)
    return fig


def plot_monthly_pue(monthly: pd.DataFrame) -> Figure:
    """Energy-weighted PUE of each local month, one line per site."""
    fig = Figure(figsize=(7.5, 4.2), layout="constrained")
    ax = fig.subplots()
    for i, col in enumerate(monthly.columns):
        ax.plot(range(len(monthly)), monthly[col].to_numpy(dtype=float), marker="o", ms=3,
                color=f"C{i}", label=str(col))
    ax.set_xticks(range(len(monthly)))
    ax.set_xticklabels([str(m) for m in monthly.index], rotation=45, ha="right", fontsize=7)
    ax.set_ylabel("PUE (facility / IT energy)")
    ax.set_title("monthly PUE")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return fig
