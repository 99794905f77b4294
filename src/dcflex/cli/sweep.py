"""``dcflex sweep`` and ``dcflex sweep-report``: run a scenario sweep on Dask and report it.

The CLI owner registers the commands with ``app.command("sweep")(sweep_command)`` and
``app.command("sweep-report")(sweep_report_command)``.

By default ``dcflex sweep`` starts a local Dask cluster of one single-threaded worker process
per core. To use several machines, start a scheduler and workers there and pass its address::

    host-a$ dask scheduler                                   # listens on tcp://host-a:8786
    host-b$ dask worker tcp://host-a:8786 --nworkers auto --nthreads 1
    host-c$ dask worker tcp://host-a:8786 --nworkers auto --nthreads 1
    anywhere$ dcflex sweep sweep.yaml --scheduler tcp://host-a:8786 --out /shared/store

Every worker needs the same dcflex version and must see the store folder and the data files
the scenarios name at the same paths (a shared file system; ``data:`` paths resolve under each
worker's ``$DCFLEX_DATA``), because each task writes its own result files.
"""

from __future__ import annotations

from pathlib import Path

import typer
from rich.markup import escape

from dcflex.cli.common import (
    check_output_dir,
    console,
    default_out,
    err_console,
    handle_errors,
    print_frame,
    slug,
)
from dcflex.errors import DataError

#: Sweeps with more variants than this run only with ``--yes`` (a typo in an axis can
#: multiply a sweep a thousandfold).
MAX_VARIANTS = 1_000

# Metrics shown in the sweep tables.
TABLE_METRICS = ("total_cost_usd", "emissions_average_t", "cfe_score", "peak_import_mw",
                 "shifted_energy_mwh", "flexibility_value_usd", "battery_value_usd",
                 "workload_flexibility_value_usd", "work_value_change_usd", "annual_pue",
                 "site_water_m3", "wue_site_l_per_kwh")


def _summary(table, axes: list[str], metrics: tuple[str, ...] | list[str]):
    cols = [c for c in (*axes, "status", *metrics) if c in table.columns]
    return table.set_index("variant_id")[cols]


def _print_failures(table) -> None:
    failed = table[table["status"] == "failed"]
    for _, row in failed.iterrows():
        err_console.print(f"[bold red]failed[/] {row['variant_id']} "
                          f"{escape('[' + row['variant'] + ']')}: {escape(str(row['error']))}",
                          highlight=False, soft_wrap=True)


@handle_errors
def sweep_command(
    file: Path = typer.Argument(..., help="Sweep YAML file (base scenario + axes)."),
    out: Path | None = typer.Option(
        None, "--out", "-o", help="Store folder (default: out/sweep/<sweep name>)."),
    workers: int | None = typer.Option(
        None, "--workers", "-w", help="Worker processes of the local cluster (default: cores)."),
    scheduler: str | None = typer.Option(
        None, "--scheduler", help="Address of an existing Dask scheduler, tcp://host:8786."),
    resume: bool = typer.Option(
        False, "--resume", help="Keep the results in the store; run only missing/failed ones."),
    progress: bool = typer.Option(True, "--progress/--no-progress", help="Show a progress bar."),
    yes: bool = typer.Option(
        False, "--yes", help=f"Run a sweep of more than {MAX_VARIANTS:,} variants."),
) -> None:
    """Run every variant of a sweep (local processes, or a Dask cluster) into a result store.

    Exit code 1 if some variants failed (each is listed with its error), 130 if interrupted.
    """
    from dcflex.errors import OptionError
    from dcflex.studies.sweep import (
        check_scheduler_address,
        count_variants,
        expand,
        load_sweep,
        run_sweep,
    )

    if workers is not None and scheduler is not None:
        raise typer.BadParameter("--workers sizes the local cluster; an existing cluster "
                                 "(--scheduler) has its own workers", param_hint="--workers")
    check_output_dir(out)
    if scheduler is not None:
        check_scheduler_address(scheduler)
    spec = load_sweep(file)
    n = count_variants(spec)
    if n > MAX_VARIANTS and not yes:
        # before expanding: validating 2.56 M variants alone takes hours
        raise OptionError("--yes", f"{file} makes {n:,} variants, more than {MAX_VARIANTS:,}; "
                                   "pass --yes to run them all")
    variants = expand(spec)
    store = out if out is not None else default_out("sweep", spec.name)
    check_output_dir(store)
    where = scheduler or (f"a local cluster of {workers} worker processes" if workers
                          else "a local cluster of one worker process per core")
    console.print(escape(f"{spec.name}: {len(variants)} variants → {store} on {where}"),
                  highlight=False)
    try:
        outcome = run_sweep(spec, store, variants=variants, workers=workers,
                            scheduler=scheduler, resume=resume, progress=progress)
    except KeyboardInterrupt:
        from dcflex.studies.sweep import done_ids

        n = len(done_ids(store) & {v.id for v in variants})
        err_console.print(f"interrupted: {n} of {len(variants)} variants done; run again with "
                          "--resume to finish the rest", highlight=False)
        raise typer.Exit(130) from None
    table = outcome.table
    from dcflex.studies.sweep import store_currency

    print_frame(_summary(table, [a.path for a in spec.axes], TABLE_METRICS),
                title=f"{spec.name}: {outcome.n_done} of {len(table)} variants done",
                currency=store_currency(store))
    console.print(f"ran {len(outcome.ran)} (reused {len(outcome.skipped)}) in "
                  f"{outcome.elapsed_s:.1f} s; wrote {store / 'metrics.parquet'}",
                  highlight=False, markup=False)
    _print_failures(table)
    if (table["status"] != "done").any():
        raise typer.Exit(1)


@handle_errors
def sweep_report_command(
    store: Path = typer.Argument(..., help="Store folder written by 'dcflex sweep'."),
    out: Path | None = typer.Option(
        None, "--out", "-o", help="Folder for report.html and metrics.csv (default: "
                                  "<store>/report)."),
    metric: list[str] = typer.Option(
        ["total_cost_usd", "emissions_average_t", "peak_import_mw"], "--metric", "-m",
        help="Metric to plot against each axis (repeat for several)."),
    color_by: str | None = typer.Option(
        None, "--color-by", help="Axis colouring the cost-vs-emissions plot (default: first)."),
    png: bool = typer.Option(
        False, "--png/--no-png", help="Also write the plots as PNG files (matplotlib)."),
) -> None:
    """Print a sweep's metrics table; write report.html (metric vs each axis, cost vs
    emissions, the variants) and metrics.csv."""
    from dcflex.cli.common import writing
    from dcflex.studies.sweep import (
        BAU_PREFIX,
        ID_COLUMNS,
        axis_columns,
        consolidate,
        read_manifest,
        store_currency,
        write_sweep_report,
    )

    manifest = read_manifest(store)
    table = consolidate(store)
    currency = store_currency(store)
    axes = axis_columns(table, manifest)
    metrics = list(metric)
    done = table[table["status"] == "done"]
    unknown = [m for m in metrics if m not in table.columns]
    if unknown and not done.empty:
        known = [c for c in table.columns
                 if c not in (*ID_COLUMNS, *axes) and not c.startswith(BAU_PREFIX)]
        raise DataError(f"unknown metric {unknown[0]!r}; expected one of {known}",
                        file=store / "metrics.parquet", field="--metric")
    if color_by is not None and color_by not in axes:
        raise DataError(f"--color-by expects a swept axis {axes}, got {color_by!r}",
                        file=store / "sweep.json", field="--color-by")
    print_frame(_summary(table, axes, tuple(dict.fromkeys([*metrics, *TABLE_METRICS]))),
                title=f"{manifest['name']}: {len(done)} of {len(table)} variants done",
                currency=currency)
    _print_failures(table)
    folder = out if out is not None else store / "report"
    check_output_dir(folder)
    if done.empty:
        metrics = []
    with writing(folder) as target:
        written = write_sweep_report(table, manifest, axes, metrics, target, color_by, currency)
        if png and not done.empty:
            written += _write_pngs(table, axes, metrics, target, color_by, currency)
    console.print(f"wrote {len(written)} files to {folder}/ (open {folder / 'report.html'})",
                  markup=False, highlight=False)


def _write_pngs(table, axes: list[str], metrics: list[str], folder: Path,
                color_by: str | None, currency: str) -> list[Path]:
    from dcflex.results import plots
    from dcflex.studies.sweep import plot_cost_vs_emissions, plot_metric_vs_axis

    written = [plots.save(plot_metric_vs_axis(table, axis, metrics, currency),
                          folder / f"metrics_vs_{slug(axis)}.png") for axis in axes]
    if {"total_cost_usd", "emissions_average_t"} <= set(table.columns) and axes:
        written.append(plots.save(plot_cost_vs_emissions(table, color_by or axes[0],
                                                         currency=currency),
                                  folder / "cost_vs_emissions.png"))
    return written
