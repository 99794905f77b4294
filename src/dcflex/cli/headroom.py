"""``dcflex headroom``: curtailment-enabled headroom of a balancing authority from EIA-930 demand.

The CLI owner registers the command with ``app.command("headroom")(headroom)``. Data errors
(:class:`dcflex.errors.DataError`) propagate for the app to print.

Method: Norris et al., "Rethinking Load Growth", Nicholas Institute, Duke University, Feb 2025;
see :mod:`dcflex.studies.headroom`. Data: U.S. EIA Form 930 via Ruggles et al.
(Zenodo 10.5281/zenodo.3517196, CC BY 4.0).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from dcflex.cli.common import check_output_dir, handle_errors, writing


def parse_rates_pct(text: str) -> list[float]:
    """Parse ``"0.25,0.5,1,5"`` (percent) into fractions ``[0.0025, 0.005, 0.01, 0.05]``."""
    try:
        pct = [float(x) for x in text.split(",") if x.strip()]
    except ValueError as exc:
        raise typer.BadParameter(f"expected comma-separated percentages, got {text!r}") from exc
    if not pct or any(not 0 < p < 100 for p in pct):
        raise typer.BadParameter(f"expected percentages between 0 and 100, got {text!r}")
    return [p / 100 for p in pct]


@handle_errors
def headroom(
    file: Annotated[Path, typer.Argument(
        help="EIA-930 demand CSV, or a folder of <BA>_*.csv files (then --ba picks one).")],
    ba: Annotated[str, typer.Option(
        "--ba", help="Balancing authority: PJM, ERCO (ERCOT), CISO (CAISO), TEX.")],
    rates: Annotated[str, typer.Option(
        help="Curtailment rates in percent, comma-separated.")] = "0.25,0.5,1,5",
    tz: Annotated[str | None, typer.Option(
        help="Time zone whose months define the seasons (default: UTC, as stamped).")] = None,
    out: Annotated[Path | None, typer.Option(
        "--out", "-o", help="Folder for <BA>_headroom.csv and PNG plots.")] = None,
    column: Annotated[str, typer.Option(
        help="Demand column: demand_mw (raw) or demand_cleaned_mw (region files).")]
        = "demand_mw",
    missing: Annotated[str, typer.Option(
        help="Missing hours: interpolate-drop (interpolate gaps up to --max-gap-hours, leave "
             "longer ones out of the count), interpolate (longer gaps are an error), drop, or "
             "error.")] = "interpolate-drop",
    max_gap_hours: Annotated[float, typer.Option(
        help="Longest gap that 'interpolate' fills, hours.")] = 6.0,
    screen: Annotated[bool, typer.Option(
        "--screen/--no-screen",
        help="Set single-hour spikes and absurd values to missing before the analysis.")] = True,
) -> None:
    """Print how much constant new load the BA can add at each curtailment rate."""
    from dcflex.data.readers.eia930 import (
        fill_missing_demand,
        find_eia930_file,
        read_eia930_demand,
        screen_demand_spikes,
    )
    from dcflex.results import plots
    from dcflex.results.files import atomic_path
    from dcflex.studies.headroom import (
        headroom_table,
        plot_curtailment_events,
        plot_duration_curve,
        seasonal_thresholds,
    )

    check_output_dir(out)
    fractions = parse_rates_pct(rates)
    if tz is not None:
        try:
            ZoneInfo(tz)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise typer.BadParameter(f"unknown time zone {tz!r}", param_hint="--tz") from exc
    if missing not in ("interpolate-drop", "interpolate", "drop", "error"):
        raise typer.BadParameter(
            f"expected interpolate-drop, interpolate, drop or error, got {missing!r}",
            param_hint="--missing")

    path = find_eia930_file(file, ba)
    df = read_eia930_demand(path, column=column)
    demand = df[df.columns[0]]
    notes = [f"{df.attrs['missing_hours']} missing hours in the file"]
    if screen:
        demand, flagged = screen_demand_spikes(demand)
        notes.append(f"{len(flagged)} spike hours set to missing"
                     + (f" (first {flagged[0]})" if len(flagged) else ""))
    demand, _ = fill_missing_demand(demand, policy=missing, max_gap_hours=max_gap_hours)
    if demand.attrs.get("filled_hours"):
        notes.append(f"{demand.attrs['filled_hours']} hours interpolated")
    if demand.attrs.get("dropped_hours"):
        notes.append(f"{demand.attrs['dropped_hours']} hours dropped (not counted)")

    thresholds = seasonal_thresholds(demand, tz=tz)
    table = headroom_table(demand, fractions, thresholds)

    console = Console(emoji=False)
    console.print(f"[bold]{escape(ba)}[/bold] {escape(path.name)}: {demand.index[0]} .. "
                  f"{demand.index[-1]}, {len(demand)} hours; " + "; ".join(notes))
    console.print(
        f"thresholds: summer {thresholds['summer_mw']:,.0f} MW "
        f"({thresholds['summer_peak_time_utc']}), winter {thresholds['winter_mw']:,.0f} MW "
        f"({thresholds['winter_peak_time_utc']}); seasons in {tz or 'UTC'} months"
    )
    view = Table(title=escape(f"Curtailment-enabled headroom, {ba}"))
    for name in ("rate (%)", "headroom (GW)", "curtailed h/yr", "events", "mean event (h)",
                 "max event (h)", "kept (%)"):
        view.add_column(name, justify="right")
    for row in table.itertuples():
        view.add_row(
            f"{row.rate_pct:g}",
            f"{row.headroom_mw / 1e3:,.2f}",
            f"{row.curtailed_hours_per_year_h:,.1f}",
            f"{row.events}",
            f"{row.mean_event_duration_h:.1f}",
            f"{row.max_event_duration_h:.0f}",
            f"{row.kept_share_pct:.0f}",
        )
    console.print(view)

    if out is not None:
        figs = {f"{ba}_duration_curve.png": plot_duration_curve(
            demand, thresholds, list(table["headroom_mw"]),
            title=f"{ba} demand duration curve")}
        for row in table.itertuples():
            figs[f"{ba}_curtailment_{row.rate_pct:g}pct.png"] = plot_curtailment_events(
                demand, row.headroom_mw, thresholds,
                title=f"{ba}: {row.headroom_mw / 1e3:,.2f} GW at {row.rate_pct:g} % curtailment, "
                      f"{row.events} events",
            )
        csv = f"{ba}_headroom.csv"
        with writing(out) as folder:
            with atomic_path(folder / csv) as tmp:
                table.to_csv(tmp, index=False)
            for name, fig in figs.items():
                plots.save(fig, folder / name)
        console.print(f"wrote {out / csv} and plots to {out}", markup=False, highlight=False)
