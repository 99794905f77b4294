"""``dcflex simulate``: operate a scenario on forecasts in a rolling horizon.

The lead registers :func:`simulate_command` in :mod:`dcflex.cli` with
``app.command("simulate")(simulate_command)``.
"""

from __future__ import annotations

from pathlib import Path

import typer
from rich.markup import escape

from dcflex.cli.common import (
    check_output_dir,
    console,
    default_out,
    handle_errors,
    print_frame,
    writing,
)

# Metrics shown in the table (all are written to metrics.json).
SIM_HEADLINE = (
    "objective_usd", "total_cost_usd", "energy_cost_usd", "demand_cost_usd",
    "training_value_usd", "net_cost_usd", "emissions_average_t", "cfe_score", "peak_import_mw",
    "shifted_energy_mwh", "battery_discharge_mwh", "import_limit_excess_mwh",
)

# Forecasts when none are given: prices as published by the day-ahead market, everything
# else "same hour yesterday" — what an operator has without a forecasting service.
DEFAULT_FORECASTS = ("all=persistence", "price=day-ahead")


def simulation_document(result) -> dict:
    """Policy, forecasts, windows summary, value of information and timings as plain data."""
    w = result.windows
    doc = {
        "scenario": result.scenario.name,
        "policy": result.policy,
        "horizon_h": result.horizon_h,
        "replan": result.replan,
        "forecasts": result.forecasts,
        "windows": int(len(w)),
        "highs_ms_per_solve": float(w["highs_ms"].mean()) if len(w) else 0.0,
        "timings_s": result.timings_s,
        "value_of_information": (
            None if result.value_of_information is None else
            {m.name: {"value": m.value, "unit": m.unit, "description": m.description}
             for m in result.value_of_information}),
    }
    return doc


@handle_errors
def simulate_command(
    file: Path = typer.Argument(..., help="Scenario YAML file."),
    policy: str = typer.Option("mpc", "--policy", "-p", help="mpc, threshold or baseline."),
    forecast: list[str] | None = typer.Option(
        None, "--forecast", "-f",
        help="KEY=SPEC, repeatable. KEY: all, price, carbon, cfe, pv, wind, pue, demand or a "
             "series column. SPEC: perfect, persistence[:LAG_H], day-ahead[:CLEAR_HOUR], "
             "noisy:MAPE[:PHI[:SEED]], file:PATH or file:PATH#COLUMN. Default: all=persistence, "
             "price=day-ahead."),
    horizon_h: float = typer.Option(48.0, "--horizon-h", help="Look-ahead of each plan, h."),
    replan: str = typer.Option("daily", help="daily, hourly, <N>h or once."),
    replan_hour: float = typer.Option(0.0, "--replan-hour", help="Local hour of daily re-plans."),
    signal: str = typer.Option("price", help="threshold policy: price or carbon."),
    high_percentile: float = typer.Option(75.0, "--high-percentile",
                                          help="threshold policy: defer/discharge above."),
    low_percentile: float = typer.Option(25.0, "--low-percentile",
                                         help="threshold policy: charge at or below."),
    voi: bool = typer.Option(True, "--voi/--no-voi",
                             help="Also run perfect foresight and report the gap."),
    out: Path | None = typer.Option(
        None, "--out", "-o", help="Output folder (default out/simulate/<scenario name>)."),
    plots: bool = typer.Option(True, "--plots/--no-plots",
                               help="Write report.html and the PNG plots."),
) -> None:
    """Operate a scenario on forecasts, re-planning in a rolling horizon; report its metrics
    and the gap to perfect foresight."""
    import pandas as pd
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    from dcflex.results.currency import present_document, present_frame
    from dcflex.results.files import atomic_path, write_json_atomic
    from dcflex.scenario import load_scenario
    from dcflex.studies.operate.forecast import parse_forecast_options
    from dcflex.studies.operate.policies import ThresholdPolicy
    from dcflex.studies.operate.simulate import simulate

    check_output_dir(out)
    scen = load_scenario(file)
    out = out if out is not None else default_out("simulate", scen.name)
    check_output_dir(out)
    with writing(out) as folder:
        specs = parse_forecast_options(list(forecast) if forecast else list(DEFAULT_FORECASTS))
        pol: object = policy
        if policy.strip().lower() == "threshold":
            pol = ThresholdPolicy(signal=signal, high_percentile=high_percentile,
                                  low_percentile=low_percentile)
        with Progress("[progress.description]{task.description}", BarColumn(),
                      MofNCompleteColumn(), TimeRemainingColumn(), console=console,
                      transient=True) as bar:
            task = bar.add_task(escape(f"simulating {scen.name} ({policy})"), total=None)

            def progress(done: int, total: int) -> None:
                bar.update(task, completed=done, total=total)

            result = simulate(scen, pol, forecasts=specs, horizon_h=horizon_h, replan=replan,
                              replan_hour=replan_hour, value_of_information=voi,
                              progress=progress)
        table = result.comparison.loc[[m for m in SIM_HEADLINE if m in result.comparison.index]]
        print_frame(table, title=f"{scen.name}: {result.policy} on forecasts vs business-as-usual "
                    f"({result.horizon_h:g} h look-ahead, re-plan {result.replan})",
                    currency=scen.currency)
        from dcflex.cli.pipeline import print_values

        print_values(result, f"{scen.name} ({result.policy})")
        print_frame(pd.DataFrame({"forecast": list(result.forecasts.values())},
                                 index=pd.Index(list(result.forecasts), name="series")),
                    title="forecasts")
        if result.value_of_information is not None:
            print_frame(result.value_of_information.to_frame()[["value", "unit"]],
                        title="value of information (gap to perfect foresight)",
                        currency=scen.currency)
        t = result.timings_s
        n = int(t["windows"])
        highs = t["highs_solve"]
        solver = (f"HiGHS {highs:.2f} s ({1e3 * highs / max(n, 1):.2f} ms per re-solve), loop "
                  f"{t['loop']:.2f} s ({t['loop'] / highs:.2f}× HiGHS)" if highs > 0 else
                  f"loop {t['loop']:.2f} s (no LP)")
        console.print(f"{n} windows, {solver}; scenario hash {result.provenance['scenario_hash']}",
                      highlight=False)
        written = []
        if plots:
            from dcflex.results.report import write_outputs

            written = write_outputs(result, folder, png=True)
        else:
            from dcflex.results.report import metrics_document

            with atomic_path(folder / "schedule.parquet") as tmp:
                present_frame(result.schedule, scen.currency).to_parquet(tmp)
            write_json_atomic(folder / "metrics.json", metrics_document(result))
            written = [folder / "schedule.parquet", folder / "metrics.json"]
        with atomic_path(folder / "windows.csv") as tmp:
            present_frame(result.windows, scen.currency).to_csv(tmp, index=False)
        write_json_atomic(folder / "simulation.json",
                          present_document(simulation_document(result), scen.currency))
    console.print(f"wrote {len(written) + 2} files to {out}/", markup=False, highlight=False)
