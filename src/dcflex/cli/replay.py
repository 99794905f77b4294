"""``dcflex replay EVENT``: predict a field event from the grid's request, then score it.

EVENT is a bundled name (``emerald-srp``, ``emerald-aps``: the SRP and APS events of the
Phoenix demonstration, Colangelo et al. 2025, arXiv:2507.00909) or an event YAML file. The
prediction sees the cluster, the request and the baseline rule only; the meter is read
afterwards for the scores. ``--calibration`` picks the controller parameters (the bundled
file, fitted on emerald-srp; ``none`` for the stated defaults; or a file); ``--calibrate FILE``
fits them on EVENT's own meter, writes FILE, and replays EVENT with them (labelled in-sample).
An event file without a ``measured`` section gets the prediction alone.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from dcflex.cli.common import check_output_dir, console, handle_errors, print_frame

_SUMMARY = (
    "baseline_measured_kw", "baseline_predicted_kw", "request_cut_pct", "measured_cut_pct",
    "predicted_cut_pct", "predicted_shortfall_kw", "rmse_pct", "max_error_pct",
    "flat_rmse_pct", "flat_max_error_pct",
    "reference_rmse_pct", "reference_max_error_pct", "job_rmse_pct_mean",
    "job_flat_rmse_pct_mean", "performance_rmse_pts", "naive_performance_rmse_pts",
    "deepest_cut_pct", "deepest_cut_rests_on_relaxation",
)


@handle_errors
def replay_command(
    event: Annotated[str, typer.Argument(
        help="Bundled event (emerald-srp, emerald-aps) or event YAML file.")] = "emerald-srp",
    out: Annotated[Path | None, typer.Option(
        "--out", "-o", help="Folder for <name>_power.csv, _jobs.csv, _metrics.csv, <name>.png "
             "and <name>_deepest_cut.png.")] = None,
    calibration: Annotated[str, typer.Option(
        "--calibration", "-c", help="Controller parameters: 'bundled' (fitted on emerald-srp), "
             "'none' (stated defaults) or a calibration YAML file.")] = "bundled",
    calibrate_to: Annotated[Path | None, typer.Option(
        "--calibrate", help="Fit the parameters on EVENT's meter, write them to this file and "
             "replay EVENT with them (in-sample).")] = None,
) -> None:
    """Predict a field event from the request alone, then score it against the meter."""
    from dcflex.errors import OptionError
    from dcflex.results.files import atomic_path
    from dcflex.studies.field.calibrate import calibrate
    from dcflex.studies.field.calibration import write_calibration
    from dcflex.studies.field.event_file import load_event
    from dcflex.studies.field.plots import plot_deepest_cut, plot_replay
    from dcflex.studies.field.replay import predict_event, replay

    check_output_dir(out)
    ev = load_event(event)
    if ev.spec.measured is None:
        if calibrate_to is not None:
            raise OptionError("--calibrate", f"{ev.path} has no 'measured' section to fit on")
        pred = predict_event(ev, calibration)
        print_frame(pred.jobs.drop(columns=["workload"]), title=f"{ev.name}: {pred.label}")
        console.print(f"request timing: {ev.spec.request.timing_source}", highlight=False)
        console.print(f"predicted baseline {pred.baseline_kw:.2f} kW; nothing measured to "
                      "score against", highlight=False)
        if out is not None:
            out.mkdir(parents=True, exist_ok=True)
            for suffix, frame in (("prediction", pred.frame), ("jobs", pred.jobs)):
                with atomic_path(out / f"{ev.name}_{suffix}.csv") as tmp:
                    frame.to_csv(tmp)
            console.print(f"wrote {ev.name}_prediction.csv and {ev.name}_jobs.csv to {out}")
        return
    cal = calibration
    if calibrate_to is not None:
        cal = calibrate(ev)
        write_calibration(cal, calibrate_to)
        console.print(f"wrote the calibration fitted on {ev.name} to {calibrate_to}")
    result = replay(ev, cal)
    metrics = result.metrics()
    shown = metrics.loc[[n for n in _SUMMARY if n in metrics.index], ["value", "unit"]]
    print_frame(shown, title=f"{result.name}: {result.label}")
    console.print(f"request timing: {ev.spec.request.timing_source}", highlight=False)
    print_frame(result.scores.jobs.drop(columns=["workload"]), title="jobs")
    console.print(f"deepest cut: it {result.deepest.statement}", highlight=False)
    if out is None:
        return
    out.mkdir(parents=True, exist_ok=True)
    name = result.name
    for suffix, frame in (("power", result.power_frame()), ("jobs", result.scores.jobs),
                          ("metrics", metrics)):
        with atomic_path(out / f"{name}_{suffix}.csv") as tmp:
            frame.to_csv(tmp)
    for suffix, fig in (("", plot_replay(result)), ("_deepest_cut", plot_deepest_cut(result))):
        with atomic_path(out / f"{name}{suffix}.png") as tmp:
            fig.savefig(tmp, dpi=110, bbox_inches="tight", format="png")
    console.print(f"wrote {name}_power.csv, {name}_jobs.csv, {name}_metrics.csv, {name}.png "
                  f"and {name}_deepest_cut.png to {out}")
