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

from dcflex.cli.common import (
    check_output_dir,
    console,
    default_out,
    handle_errors,
    iso_date,
    print_frame,
    solver_progress,
    writing,
)
from dcflex.results.files import write_text_atomic

# Metrics shown in the run table (all are written to metrics.json).
HEADLINE = (
    "total_cost_usd", "energy_cost_usd", "demand_cost_usd", "dr_revenue_usd", "dr_penalty_usd",
    "average_cost_usd_per_mwh", "facility_energy_mwh", "emissions_average_t",
    "emissions_market_based_t", "avoided_emissions_marginal_t", "cfe_score", "renewable_share",
    "annual_pue", "peak_import_mw", "load_factor", "curtailed_mwh", "shifted_energy_mwh",
    "battery_discharge_mwh", "training_value_usd", "net_cost_usd", "import_limit_excess_mwh",
    "site_water_m3", "wue_site_l_per_kwh", "total_water_m3",
)


def print_values(result, title: str) -> None:
    """The counterfactual ladder, the value split and the good-grid-citizen warnings."""
    from dcflex.cli.common import err_console

    if result.ladder is not None:
        print_frame(result.ladder.table(), title=f"{title}: counterfactual ladder (same tariff "
                    "and contracts)", currency=result.scenario.currency)
        print_frame(result.values.to_frame()[["value", "unit"]],
                    title="value of flexibility, net of the work value change",
                    currency=result.scenario.currency)
    for line in result.warnings:
        err_console.print(f"[yellow]warning:[/] {escape(line)}", highlight=False)


@handle_errors
def validate(
    files: list[Path] = typer.Argument(..., help="Scenario, sites, sweep or fleet YAML files."),
    data: bool = typer.Option(
        False, "--data/--no-data",
        help="Also read every data file and prepare the inputs as run does (coverage, gaps, "
             "weather physics); slower, and loads pvlib where the scenario needs it."),
) -> None:
    """Check each file before solving: schema, data files present, steps, events and
    time-of-use rates (with --data: data coverage and gaps too); one line per file."""
    from dcflex.errors import DcflexError
    from dcflex.studies.validate import validate_file

    failed = 0
    for f in files:
        try:
            with console.status(escape(f"checking {f} ...")):
                summary = validate_file(f, data)
            console.print(f"[green]ok[/] {escape(str(f))} ({escape(summary)})", highlight=False,
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
    out: Path | None = typer.Option(
        None, "--out", "-o", help="Folder for the overview plot (default out/inputs/<name>)."),
) -> None:
    """Prepare a scenario's inputs; print a summary per series and the workload's size, and
    write an overview plot."""
    from dcflex.model.components.facility import fixed_overhead_mw
    from dcflex.model.inputs import prepare
    from dcflex.model.twin import baseline_schedule
    from dcflex.physics.pue import annual_pue
    from dcflex.results import plots
    from dcflex.scenario import load_scenario

    check_output_dir(out)
    scen = load_scenario(file)
    out = out if out is not None else default_out("inputs", scen.name)
    check_output_dir(out)
    with writing(out) as folder:
        prepared = prepare(scen)
        print_frame(prepared.summary(), title=f"{scen.name}: {prepared.n_steps} steps of "
                    f"{scen.period.step} from {scen.period.start} to {scen.period.end} (local)",
                    currency=scen.currency)
        print_frame(workload_sizes(prepared), title="workload classes: servers and IT power")
        bau = baseline_schedule(prepared)
        it_mwh = bau["it_power_mw"] * prepared.step_hours
        # the fixed overhead is part of facility energy: PUE = facility / IT, step by step
        pue = bau["facility_power_mw"] / bau["it_power_mw"]
        source = ("constant facility.pue" if scen.facility.pue is not None
                  else f"{scen.facility.cooling} from weather")
        console.print(f"annual PUE {annual_pue(it_mwh, pue):.3f} "
                      f"(energy-weighted over the IT load run as demanded, fixed overhead "
                      f"{fixed_overhead_mw(prepared):.3f} MW included; {source})",
                      highlight=False)
        plots.save(plots.inputs_overview(prepared), folder / "inputs_overview.png")
    console.print(f"wrote {Path(out) / 'inputs_overview.png'}", markup=False, highlight=False)


def workload_sizes(prepared):
    """Per class: how it was sized, servers, GPUs and IT power at full load and idle."""
    import pandas as pd

    gpu = prepared.scenario.workload.gpu
    gpu_name = gpu if isinstance(gpu, str) else gpu.name
    rows = {}
    for name, cls in prepared.scenario.workload.classes.items():
        p = prepared.params["workload"]["classes"][name]
        rows[name] = {
            "kind": cls.kind,
            "sized_by": (f"servers: {cls.servers:,}" if cls.servers is not None
                         else f"it_mw: {cls.it_mw:g}"),
            "servers": p.n_servers, "gpus": p.n_gpus,
            "it_full_load_mw": p.full_mw, "it_idle_mw": p.idle_mw,
        }
    frame = pd.DataFrame.from_dict(rows, orient="index")
    frame.index.name = f"class ({gpu_name})"
    return frame


@handle_errors
def run(
    file: Path = typer.Argument(..., help="Scenario YAML file."),
    out: Path | None = typer.Option(
        None, "--out", "-o", help="Output folder (default out/run/<scenario name>)."),
    week: str | None = typer.Option(
        None, help="Local start date of the plotted week, ISO (2023-07-10); default: the week "
                   "around the highest import."),
    png: bool = typer.Option(
        False, "--png/--no-png", help="Also write the plots as PNG files (matplotlib)."),
    report: bool = typer.Option(
        True, "--plots/--no-plots",
        help="Write report.html with its figures (--no-plots: the data files only)."),
) -> None:
    """Optimize a scenario against its business-as-usual twin; write the data files and
    report.html."""
    from dcflex.results.report import write_outputs
    from dcflex.scenario import load_scenario
    from dcflex.studies.run import run as run_scenario

    check_output_dir(out)
    week = iso_date(week, "--week")
    scen = load_scenario(file)
    out = out if out is not None else default_out("run", scen.name)
    check_output_dir(out)
    check_week(week, scen)
    # the output set is claimed (locked, checked replaceable) before any work
    with writing(out) as folder:
        with solver_progress(f"solving {file}") as progress:
            result = run_scenario(scen, progress=progress)
        per_class = [m for m in result.comparison.index if m.startswith(
            ("throughput_delivered__", "work_done_gpu_hours__", "slo_misses__",
             "work_moved_share__", "work_delay_mean_h__", "work_delay_max_h__"))]
        table = result.comparison.loc[[m for m in HEADLINE if m in result.comparison.index]
                                      + per_class]
        print_frame(table, title=f"{result.scenario.name}: flexible vs business-as-usual",
                    currency=scen.currency)
        print_values(result, result.scenario.name)
        t = result.timings_s
        rung_1 = f", rung 1 {t['rung_1']:.2f} s" if "rung_1" in t else ""
        console.print(
            f"prepare {t['prepare']:.2f} s, build {t['build']:.2f} s, "
            f"HiGHS {t['highs_solve']:.2f} s, metrics {t['metrics']:.2f} s{rung_1}; scenario hash "
            f"{result.provenance['scenario_hash']}", highlight=False,
        )
        written = write_outputs(result, folder, week, png=png, report=report)
    shown = f" (open {out / 'report.html'})" if report else ""
    console.print(f"wrote {len(written)} files to {out}/{shown}", markup=False, highlight=False)


def check_week(week: str | None, scenario) -> None:
    """``--week`` must start inside the scenario's period."""
    from dcflex.errors import OptionError

    if week is not None and not (str(scenario.period.start) <= week < str(scenario.period.end)):
        raise OptionError("--week", f"{week} is outside the period {scenario.period.start} to "
                                    f"{scenario.period.end}")
