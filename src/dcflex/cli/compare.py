"""``dcflex compare`` and ``dcflex slo-headroom``.

The CLI owner registers them with ``app.command("compare")(compare_command)`` and
``app.command("slo-headroom")(slo_headroom_command)``. Errors print as one line
(:func:`dcflex.cli.common.handle_errors`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from dcflex.cli.common import (
    check_output_dir,
    console,
    default_out,
    err_console,
    handle_errors,
    print_frame,
    writing,
)

#: Columns of the printed compare table (every column is in compare.csv).
SHOWN = (
    "rank", "total_cost_usd", "average_cost_usd_per_mwh", "emissions_average_t",
    "emissions_market_based_t", "cfe_score", "renewable_share", "annual_pue", "site_water_m3",
    "wue_site_l_per_kwh", "total_water_m3", "peak_import_mw", "load_factor", "dr_revenue_usd",
    "flexibility_value_usd", "battery_value_usd", "workload_flexibility_value_usd",
    "work_value_change_usd", "headroom_mw", "headroom_basis", "pareto",
)


def _gap_policy(value: str) -> str:
    if value not in ("error", "interpolate", "ffill"):
        raise typer.BadParameter(f"expected error, interpolate or ffill, got {value!r}",
                                 param_hint="--gap-policy")
    return value


@handle_errors
def compare_command(
    files: Annotated[list[Path], typer.Argument(
        help="Scenario files to compare, or sites files (a 'sites:' list) to expand.")],
    out: Annotated[Path | None, typer.Option(
        "--out", "-o", help="Folder for report.html, compare.csv/.parquet and monthly_pue.csv "
                            "(default out/compare/<first file's name>).")] = None,
    processes: Annotated[int | None, typer.Option(
        help="Worker processes (default: one per site, at most the CPU count).")] = None,
    rank_by: Annotated[str | None, typer.Option(
        help="Metric to rank by (default: the sites file's rank_by, else total_cost_usd).")]
        = None,
    emissions_basis: Annotated[str, typer.Option(
        help="Emissions axis of the Pareto front: average (location-based) or "
             "market_based.")] = "average",
    progress: Annotated[bool, typer.Option(
        "--progress/--no-progress", help="Show a progress bar.")] = True,
    png: Annotated[bool, typer.Option(
        "--png/--no-png", help="Also write the plots as PNG files (matplotlib).")] = False,
) -> None:
    """Run candidate sites with their business-as-usual twins and print a ranked table.

    A site that fails is reported in red and the others still finish; the command then exits
    with code 2 after writing the outputs of the rest.
    """
    from dcflex.studies.compare import compare, is_sites_file, load_sites

    out = out if out is not None else default_out("compare", files[0].stem if files else "sites")
    check_output_dir(out)
    if emissions_basis not in ("average", "market_based"):
        why = (" (marginal emissions are reported only as avoided against each site's "
               "twin, never as a tonnage to rank)" if emissions_basis == "marginal" else "")
        raise typer.BadParameter(f"expected average or market_based, got {emissions_basis!r}"
                                 f"{why}", param_hint="--emissions-basis")
    if rank_by is None:
        for f in files:
            if is_sites_file(f):
                rank_by = load_sites(f)[1].get("rank_by")
                break
    rank_by = rank_by or "total_cost_usd"
    with writing(out) as folder:
        result = compare(list(files), processes, rank_by=rank_by,
                         emissions_basis=emissions_basis,  # type: ignore[arg-type]
                         progress=progress)
        if len(result.table):
            from dcflex.studies.compare.report import ranking_view

            shown = result.table[[c for c in SHOWN if c in result.table]]
            shown.attrs = dict(result.table.attrs)
            print_frame(ranking_view(shown),
                        title=f"{len(result.table)} sites ranked by {rank_by}",
                        currency=result.currency)
            bases = sorted(set(result.table["headroom_basis"]))
            console.print(
                "headroom_mw: " + "; ".join({
                    "slo": "slo = SLO-aware headroom of the site's balancing authority (MW of "
                           "the largest data center of this design the grid connects)",
                    "interconnection": "interconnection = import limit - flexible peak import "
                                       "(MW of the site's own connection left unused)",
                }[b] for b in bases), highlight=False)
            for s in result.summaries.values():
                if s.slo is not None:
                    console.print(s.slo.explanation, highlight=False, markup=False)
            for label, s in result.summaries.items():
                for line in s.warnings:
                    err_console.print(f"[yellow]warning:[/] {escape(label)}: {escape(line)}",
                                      highlight=False)
        for label, message in result.failures.items():
            err_console.print(f"[bold red]failed:[/] {escape(label)}: {escape(message)}",
                              highlight=False, soft_wrap=True)
        written = result.write(folder, png=png)
    console.print(f"wrote {len(written)} files to {out}/ (open {out / 'report.html'})",
                  markup=False, highlight=False)
    if result.failures:
        raise typer.Exit(2)


@handle_errors
def slo_headroom_command(
    scenario: Annotated[Path, typer.Argument(help="Scenario YAML file of the site.")],
    demand: Annotated[Path, typer.Argument(
        help="EIA-930 demand CSV, or a folder of <BA>_*.csv files (then --ba picks one).")],
    ba: Annotated[str, typer.Option(
        "--ba", help="Balancing authority: PJM, ERCO (ERCOT), CISO (CAISO), TEX.")],
    rate: Annotated[float, typer.Option(
        help="Curtailment rate the grid allows, percent.")] = 0.5,
    column: Annotated[str, typer.Option(
        help="Demand column: demand_mw (raw) or demand_cleaned_mw.")] = "demand_mw",
    gap_policy: Annotated[str, typer.Option(
        help="Site steps without demand data: error, interpolate or ffill.")] = "error",
    tz: Annotated[str | None, typer.Option(
        help="Time zone whose months define the seasons (default: UTC).")] = None,
    rtol: Annotated[float, typer.Option(
        help="Relative tolerance of the bisection on size, percent.")] = 1.0,
    full_period: Annotated[bool, typer.Option(
        "--full-period/--event-blocks",
        help="Optimize the whole period at each size (slow) instead of the event blocks.")]
        = False,
    out: Annotated[Path | None, typer.Option(
        "--out", "-o", help="Folder for slo_headroom.json and slo_headroom_events.csv.")]
        = None,
) -> None:
    """Largest data center of this design the grid connects when the site absorbs every
    curtailment hour within its workload tiers and deadlines."""
    if not 0 < rate < 100:
        raise typer.BadParameter(f"expected a percentage between 0 and 100, got {rate}",
                                 param_hint="--rate")
    check_output_dir(out)
    with writing(out) as folder:
        _slo_headroom(scenario, demand, ba, rate, column, gap_policy, tz, rtol, full_period,
                      folder)
    if out is not None:
        console.print(f"wrote slo_headroom.json and slo_headroom_events.csv to {out}/",
                      markup=False, highlight=False)


def _slo_headroom(scenario: Path, demand: Path, ba: str, rate: float, column: str,
                  gap_policy: str, tz: str | None, rtol: float, full_period: bool,
                  out: Path | None) -> None:
    """The body of :func:`slo_headroom_command`, writing into ``out`` if given."""
    from dcflex.studies.slo_headroom import read_grid_demand, slo_headroom

    series = read_grid_demand(demand, ba, column=column)
    with console.status(f"bisecting the size of {escape(str(scenario))} ..."):
        res = slo_headroom(scenario, series, rate=rate / 100, tz=tz, rtol=rtol / 100,
                           full_period=full_period,
                           gap_policy=_gap_policy(gap_policy))  # type: ignore[arg-type]
    console.print(
        f"{ba}: {series.attrs.get('screened_hours', 0)} spike hours screened, "
        f"{series.attrs.get('dropped_hours', 0)} missing hours dropped from the record; "
        f"{res.demand_filled_steps} site steps filled; thresholds summer "
        f"{res.thresholds['summer_mw']:,.0f} MW, winter {res.thresholds['winter_mw']:,.0f} MW",
        highlight=False, markup=False)
    summary = res.summary().drop("site").to_frame(name="value")
    print_frame(summary, title=f"SLO-aware headroom, {res.site}")
    console.print(res.explanation, highlight=False, markup=False)
    if len(res.events):
        cols = ["start_local", "end_local", "duration_h", "max_curtailment_mw", "energy_mwh"]
        print_frame(res.events[cols].head(20),
                    title=f"curtailment events at {res.headroom_mw:,.0f} MW (first 20)")
    if out is not None:
        from dcflex.results.files import atomic_path, write_json_atomic

        doc = {**res.summary().to_dict(), "reason": res.reason, "explanation": res.explanation,
               "thresholds": {k: str(v) if not isinstance(v, int | float) else v
                              for k, v in res.thresholds.items()}}
        write_json_atomic(out / "slo_headroom.json", doc)
        with atomic_path(out / "slo_headroom_events.csv") as tmp:
            res.events.to_csv(tmp, index=False)
