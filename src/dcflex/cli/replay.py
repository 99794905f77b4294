"""``dcflex replay <name>``: rebuild a measured field event and compare model and meter.

The CLI owner registers the command with ``app.command("replay")(replay_command)``. Replays:
:data:`dcflex.studies.field.replay.REPLAYS` (``emerald-srp``: the SRP peak event of the Phoenix
demonstration, 3 May 2025, Colangelo et al. 2025, arXiv:2507.00909).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from dcflex.cli.common import check_output_dir, console, handle_errors, print_frame

_SUMMARY = (
    "baseline_measured_kw", "hold_kw", "measured_cut_pct", "hold_min", "rmse_event_pct",
    "max_error_event_pct", "implied_rmse_event_pct", "plan_min_cut_hold_pct",
    "plan_weighted_performance", "measured_weighted_performance", "deepest_cut_pct",
    "deepest_cut_event_tiers_pct",
)


@handle_errors
def replay_command(
    name: Annotated[str, typer.Argument(help="Replay to run: emerald-srp.")] = "emerald-srp",
    out: Annotated[Path | None, typer.Option(
        "--out", "-o", help="Folder for <name>_power.csv, <name>_jobs.csv, <name>_metrics.csv and "
             "<name>.png.")] = None,
) -> None:
    """Replay a field event: modeled vs measured cluster power and per-job performance."""
    from dcflex.results.files import atomic_path
    from dcflex.studies.field.replay import plot_replay, replay

    check_output_dir(out)
    result = replay(name)
    metrics = result.metrics.loc[list(_SUMMARY), ["value", "unit"]]
    print_frame(metrics, title=f"{name}: modeled vs measured")
    jobs = result.jobs[["n_gpus", "flex", "min_throughput", "measured_performance",
                        "modeled_performance", "modeled_hold_power_w_per_gpu"]]
    print_frame(jobs, title="jobs: performance over the experiment (fraction of baseline)")
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        for suffix, frame in (("power", result.power_frame()), ("jobs", result.jobs),
                              ("metrics", result.metrics)):
            with atomic_path(out / f"{name}_{suffix}.csv") as tmp:
                frame.to_csv(tmp)
        fig = plot_replay(result)
        with atomic_path(out / f"{name}.png") as tmp:
            fig.savefig(tmp, dpi=110, bbox_inches="tight", format="png")
        console.print(f"wrote {name}_power.csv, {name}_jobs.csv, {name}_metrics.csv and "
                      f"{name}.png to {out}")
