"""``dcflex validate``, ``schema``, ``inputs`` and ``run``: the pipeline on one scenario.

Every import beyond typer and the shared CLI pieces happens inside the command that needs
it, so ``dcflex --help`` and ``dcflex validate`` load neither pandas' plotting nor matplotlib,
scipy.optimize, pvlib, dask or pyomo.
"""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.markup import escape

from dcflex.cli.common import check_output_dir, console, handle_errors, print_frame, writing
from dcflex.results.files import write_text_atomic

# Metrics shown in the run table (all are written to metrics.json).
HEADLINE = (
    "total_cost_usd", "energy_cost_usd", "demand_cost_usd", "dr_revenue_usd",
    "average_cost_usd_per_mwh", "facility_energy_mwh", "emissions_average_t",
    "emissions_marginal_t", "cfe_score", "renewable_share", "annual_pue", "peak_import_mw",
    "load_factor", "curtailed_mwh", "shifted_energy_mwh", "battery_discharge_mwh",
    "training_value_usd", "import_limit_excess_mwh",
)


@handle_errors
def validate(files: list[Path] = typer.Argument(..., help="Scenario YAML files.")) -> None:
    """Check scenario files and that the data files they name exist; one line per file."""
    from dcflex.data.series import check_data_files
    from dcflex.errors import DcflexError
    from dcflex.scenario import load_scenario

    failed = 0
    for f in files:
        try:
            s = load_scenario(f)
            n_files = check_data_files(s)
            console.print(f"[green]ok[/] {escape(str(f))} ({escape(s.name)}, hash "
                          f"{s.scenario_hash()}, {n_files} data files found)", highlight=False,
                          soft_wrap=True)
        except DcflexError as exc:
            failed += 1
            console.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False,
                          soft_wrap=True)
    if failed:
        raise typer.Exit(2)


@handle_errors
def schema(out: Path | None = typer.Option(None, "--out", "-o", help="Write to this file.")
           ) -> None:
    """Print the JSON Schema of scenario files (for editor autocompletion)."""
    from dcflex.scenario import scenario_json_schema

    text = json.dumps(scenario_json_schema(), indent=2)
    if out is None:
        typer.echo(text)
    else:
        write_text_atomic(out, text)
        console.print(f"wrote {out}", markup=False, highlight=False)


@handle_errors
def inputs(
    file: Path = typer.Argument(..., help="Scenario YAML file."),
    out: Path = typer.Option(Path("out"), "--out", "-o", help="Folder for the overview plot."),
) -> None:
    """Prepare a scenario's inputs; print a summary per series and write an overview plot."""
    from dcflex.model.inputs import prepare
    from dcflex.model.twin import baseline_schedule
    from dcflex.physics.pue import annual_pue
    from dcflex.results import plots
    from dcflex.scenario import load_scenario

    check_output_dir(out)
    with writing(out) as folder:
        scen = load_scenario(file)
        prepared = prepare(scen)
        print_frame(prepared.summary(), title=f"{scen.name}: {prepared.n_steps} steps of "
                    f"{scen.period.step} from {scen.period.start} to {scen.period.end} (local)")
        it_mwh = baseline_schedule(prepared)["it_power_mw"] * prepared.step_hours
        source = ("constant facility.pue" if scen.facility.pue is not None
                  else f"{scen.facility.cooling} from weather")
        console.print(f"annual PUE {annual_pue(it_mwh, prepared.series['pue']):.3f} "
                      f"(energy-weighted over the IT load run as demanded; {source})",
                      highlight=False)
        plots.save(plots.inputs_overview(prepared), folder / "inputs_overview.png")
    console.print(f"wrote {Path(out) / 'inputs_overview.png'}", markup=False, highlight=False)


@handle_errors
def run(
    file: Path = typer.Argument(..., help="Scenario YAML file."),
    out: Path = typer.Option(Path("out"), "--out", "-o", help="Output folder."),
    week: str | None = typer.Option(None, help="Local start date of the plotted week."),
    plots: bool = typer.Option(True, "--plots/--no-plots", help="Write the PNG plots."),
) -> None:
    """Optimize a scenario against its business-as-usual twin and write results."""
    import pandas as pd

    from dcflex.errors import OptionError
    from dcflex.results.report import write_outputs
    from dcflex.studies.run import run as run_scenario

    check_output_dir(out)
    if week is not None:
        try:
            pd.Timestamp(week)
        except ValueError:
            raise OptionError("--week", f"expected a local date such as 2023-07-10, got "
                                        f"{week!r}") from None
    with writing(out) as folder:
        with console.status(f"solving {escape(str(file))} ..."):
            result = run_scenario(file)
        per_class = [m for m in result.comparison.index if m.startswith(
            ("throughput_delivered__", "work_done_gpu_hours__", "slo_misses__"))]
        table = result.comparison.loc[[m for m in HEADLINE if m in result.comparison.index]
                                      + per_class]
        print_frame(table, title=f"{result.scenario.name}: flexible vs business-as-usual")
        t = result.timings_s
        console.print(
            f"prepare {t['prepare']:.2f} s, build {t['build']:.2f} s, HiGHS "
            f"{t['highs_solve']:.2f} s, metrics {t['metrics']:.2f} s; scenario hash "
            f"{result.provenance['scenario_hash']}", highlight=False,
        )
        written = write_outputs(result, folder, week, plots=plots)
    console.print(f"wrote {len(written)} files to {out}/", markup=False, highlight=False)
