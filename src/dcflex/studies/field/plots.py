"""Figures of a replay: predicted vs metered power with both references, per-job panels, and
the deepest cut (which says whether it rests on the LP relaxation of restarts).

Every title carries the prediction's label ("predicted from the request; calibrated on ...").
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.dates import DateFormatter
from matplotlib.figure import Figure

from dcflex.studies.field.replay import ReplayResult
from dcflex.studies.field.request import scoring_span

_MEASURED, _PREDICTED, _FLAT, _REF, _TARGET = "#444444", "#3969ac", "#f2b701", "#7f3c8d", "#999999"


def _local(index: pd.DatetimeIndex, tz: str) -> pd.DatetimeIndex:
    return index.tz_convert(tz).tz_localize(None)


def _short(job: str) -> str:
    return job.rsplit("-", 1)[0]


def _shade(ax: Axes, result: ReplayResult) -> None:
    a, b = scoring_span(result.prediction.request)
    ax.axvspan(a.tz_convert(result.tz).tz_localize(None), b.tz_convert(result.tz).tz_localize(None),
               color=_FLAT, alpha=0.10, lw=0, label="request window + ramps (scored)")


def draw_total(ax: Axes, result: ReplayResult) -> None:
    """Metered and predicted cluster power, the flat reference, and another party's if any."""
    f = result.scores.frame
    t = _local(f.index, result.tz)
    m = result.metrics()["value"]
    _shade(ax, result)
    ax.plot(t, f["measured_kw"], color=_MEASURED, lw=1.0, label="metered")
    ax.plot(t, f["request_target_kw"].where(np.isfinite(f["request_target_kw"])),
            color=_TARGET, lw=0.8, ls="--", label="request (predicted baseline)")
    ax.plot(t, f["flat_reference_kw"], color=_FLAT, lw=1.6,
            label=f"flat line at request target: RMSE {m['flat_rmse_pct']:.1f} %")
    if "reference_kw" in f:
        ax.plot(t, f["reference_kw"], color=_REF, lw=1.1, ls=":",
                label=f"{result.measured.reference_label}: RMSE {m['reference_rmse_pct']:.1f} %")
    ax.plot(t, f["predicted_kw"], color=_PREDICTED, lw=1.6,
            label=f"predicted: RMSE {m['rmse_pct']:.1f} %, max {m['max_error_pct']:.0f} %")
    ax.set_ylabel("cluster power [kW]")
    ax.set_title(f"{result.name}: {result.label}\nRMSE in % of the metered baseline "
                 f"({m['baseline_measured_kw']:.1f} kW) over the request window + ramps",
                 fontsize=9)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="lower left")
    ax.xaxis.set_major_formatter(DateFormatter("%H:%M"))


def draw_jobs(axes: list[Axes], result: ReplayResult) -> None:
    """One panel per job: predicted power, metered power where the data has it."""
    f = result.power_frame()
    t = _local(f.index, result.tz)
    jobs = result.scores.jobs
    for ax, job in zip(axes, result.prediction.jobs.index, strict=False):
        ax.plot(t, f[f"job_power_kw__{job}"], color=_PREDICTED, lw=1.2, label="predicted")
        title = f"{_short(job)} ({jobs.loc[job, 'n_gpus']} GPUs, Flex {jobs.loc[job, 'flex']})"
        if f"measured_kw__{job}" in f:
            ax.plot(t, f[f"measured_kw__{job}"], color=_MEASURED, lw=0.9, label="metered")
            title += (f"\nRMSE {jobs.loc[job, 'rmse_pct']:.0f} % of its baseline "
                      f"(flat {jobs.loc[job, 'flat_rmse_pct']:.0f} %)")
        if "measured_performance" in jobs:
            title += (f"\nperformance predicted {jobs.loc[job, 'predicted_performance']:.2f}, "
                      f"measured {jobs.loc[job, 'measured_performance']:.2f}")
        ax.set_title(title, fontsize=7)
        ax.set_ylabel("job power [kW]", fontsize=7)
        ax.set_ylim(bottom=0)
        ax.tick_params(labelsize=6)
        ax.grid(alpha=0.3)
        ax.xaxis.set_major_formatter(DateFormatter("%H:%M"))
    if axes:
        axes[0].legend(fontsize=6, loc="lower left")


def _column(fig: Figure, gs, col: int, width: int, result: ReplayResult) -> None:
    n = len(result.prediction.jobs)
    ax = fig.add_subplot(gs[0, col:col + width])
    draw_total(ax, result)
    job_axes = [fig.add_subplot(gs[1 + i // width, col + i % width]) for i in range(n)]
    draw_jobs(job_axes, result)


def plot_replay(result: ReplayResult) -> Figure:
    """Total power (top) and one panel per job (below), local time."""
    n = len(result.prediction.jobs)
    rows = (n + 1) // 2
    fig = Figure(figsize=(11, 4 + 2.1 * rows))
    gs = fig.add_gridspec(1 + rows, 2, height_ratios=[2.2] + [1] * rows)
    _column(fig, gs, 0, 2, result)
    fig.tight_layout()
    return fig


def plot_pair(left: ReplayResult, right: ReplayResult) -> Figure:
    """Two replays side by side (e.g. calibration on SRP, prediction on APS), per-job panels."""
    n = max(len(left.prediction.jobs), len(right.prediction.jobs))
    rows = (n + 1) // 2
    fig = Figure(figsize=(16, 4.5 + 2.1 * rows))
    gs = fig.add_gridspec(1 + rows, 4, height_ratios=[2.4] + [1] * rows)
    _column(fig, gs, 0, 2, left)
    _column(fig, gs, 2, 2, right)
    fig.tight_layout()
    return fig


def plot_deepest_cut(result: ReplayResult) -> Figure:
    """Deepest cut the tiers allow: per-job power stacked, and whether it rests on the LP
    relaxation of restarts."""
    dc = result.deepest
    pred = result.prediction
    sched = dc.plan.schedule
    t = _local(sched.index, result.tz)
    scale = pred.meter_scale
    fig = Figure(figsize=(11, 4.8))
    ax = fig.add_subplot(1, 1, 1)
    stack = [sched[f"job_power_kw__{j.name}"].to_numpy() * scale for j in pred.cluster.jobs]
    ax.stackplot(t, *stack, labels=[_short(j.name) for j in pred.cluster.jobs], alpha=0.8)
    ax.axhline(pred.baseline_kw, color=_MEASURED, lw=1, ls="--", label="predicted baseline")
    ax.axhline(pred.baseline_kw * (1 - dc.cut_fraction), color="#e73f74", lw=1.2,
               label=f"deepest sustained level ({dc.cut_fraction:.1%} below)")
    tiers = "the request window + ramps" if pred.calibration.tier_window == "request" \
        else "the whole horizon"
    ax.set_title(f"{result.name}: deepest cut over the request window with every Flex tier met "
                 f"(tiers averaged over {tiers}): {dc.cut_fraction:.1%}\nIt {dc.statement}. "
                 f"{pred.label}", fontsize=8)
    ax.set_ylabel("metered job power, stacked [kW]")
    ax.set_xlabel(f"local time ({result.tz})")
    ax.xaxis.set_major_formatter(DateFormatter("%H:%M"))
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="upper center", ncols=4)
    fig.tight_layout()
    return fig
