"""Write a run's results to a folder: schedules, metrics and plots, each file atomically."""

from __future__ import annotations

from pathlib import Path

from dcflex.results.files import atomic_path, write_json_atomic
from dcflex.results.metrics import monthly_peaks
from dcflex.results.result import Result


def metrics_document(result: Result) -> dict:
    """Metrics of the flexible run and its twin, with units, timings and provenance."""

    def block(metrics) -> dict:
        return {m.name: {"value": m.value, "unit": m.unit, "description": m.description}
                for m in metrics}

    return {
        "scenario": result.scenario.name,
        "flexible": block(result.metrics),
        "baseline": block(result.baseline_metrics),
        "timings_s": result.timings_s,
        "provenance": result.provenance,
    }


def write_outputs(result: Result, out_dir: str | Path, week_start: str | None = None,
                  plots: bool = True) -> list[Path]:
    """Write ``schedule.parquet``, ``baseline.parquet``, ``metrics.json``, ``comparison.csv``
    and (unless ``plots`` is False) the PNG plots to ``out_dir``; return the paths written."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for name, frame in (("schedule.parquet", result.schedule),
                        ("baseline.parquet", result.baseline)):
        with atomic_path(out / name) as tmp:
            frame.to_parquet(tmp)
        written.append(out / name)
    write_json_atomic(out / "metrics.json", metrics_document(result))
    written.append(out / "metrics.json")
    with atomic_path(out / "comparison.csv") as tmp:
        result.comparison.to_csv(tmp)
    written.append(out / "comparison.csv")
    if plots:
        written += _write_plots(result, out, week_start)
    return written


def _write_plots(result: Result, out: Path, week_start: str | None) -> list[Path]:
    from dcflex.results import plots

    tz = result.scenario.site.timezone
    figs = {
        "dispatch_week.png": plots.dispatch_week(result.schedule, result.baseline, tz, week_start),
        "price_carbon_load.png": plots.price_carbon_load(result.schedule, result.baseline, tz,
                                                         week_start),
        "monthly_peaks.png": plots.monthly_peaks_plot(
            monthly_peaks(result.schedule, result.inputs),
            monthly_peaks(result.baseline, result.inputs)),
    }
    if "battery_soc_mwh" in result.schedule:
        figs["battery_soc.png"] = plots.battery_soc(result.schedule, tz)
    return [plots.save(fig, out / name) for name, fig in figs.items()]
