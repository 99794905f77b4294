"""Replays of measured field events: rebuild the cluster, fit the event, compare model and meter.

``emerald-srp``: the Salt River Project peak event of the Emerald AI / NVIDIA / Oracle / EPRI
field demonstration in Phoenix, Arizona, 3 May 2025 (Colangelo et al., "Turning AI Data
Centers into Grid-Interactive Assets", arXiv:2507.00909; data github.com/ai-emerald/
emerald-ai-demo-may-2025 at 34403ae, Apache-2.0, staged under ``emerald-demo/``).

How the replay is built (every number from the files unless listed as an assumption)
------------------------------------------------------------------------------------
* Job mix: the six jobs of ``SRP_exp_performance.csv``. A job id is ``<workload>-<run id>``
  (``pt_mpt_13b_sm-gnn16mkt``); the workload part names a row group of ``dvfs_sweep.csv``,
  which gives the job's GPU count (total GPU power / power per GPU) and its power-cap curve
  (:func:`~dcflex.workloads.dvfs_sweep.curves_from_dvfs_sweep`, measured power on the axis). The
  two ``infer_llama_8b_48g`` runs share one sweep row group. GPUs add up to 256, the cluster
  size of the paper.
* Tiers: the ``Flexibility`` label ``Flex N`` ->
:data:`~dcflex.studies.field.event_response.FLEX_TIERS`
  (0.9, 0.75, 0.5). Weights = tiers, as the demonstration's weighted performance
  (``Fig2_data.xlsx``: weight = flexibility / 3.9).
* GPU: A100 (catalog TDP 400 W, idle 60 W). The paper names NVIDIA A100 GPUs, and the sweep's
  caps span exactly the A100 SXM power-limit range 100-400 W.
* What the meter reads: the measured pre-event power (93.3 kW) is within 2 % of the sum of the
  jobs' measured GPU power at the 400 W cap in the sweep (94.8 kW), while the catalog DGX A100
  server overhead (3.3 kW per 8 GPUs) would add 106 kW. So the ``total`` column is GPU power
  and the server share is 0; the remaining difference is a constant calibration offset
  (``overhead_kw`` = measured - modeled baseline, -1.6 kW).
* Event: a trapezoid (start, ramp-down, hold level and length, ramp-up) fitted to the 1-min
  power by least squares (:func:`~dcflex.studies.field.event_response.fit_event_trajectory`); the
  pre-event level is the baseline.
* Tier window: the whole file span (14:40-21:19 local, 400 min). ``Performance`` is "fraction
  of baseline throughput over the experiment" (emerald-demo SOURCE.txt); the replay checks this
  reading: the power implied by the measured performances over the file span
  (:func:`performance_implied_power`) lands within 1 kW of the measured hold level, whereas
  averaging over the event alone would imply a hold near 74 kW.
* Assumption: 5 min of lost work per full restart after a pause (checkpoint reload of a 7-13B
  LLM Foundry run; not measured in the demonstration).
* Dates: the power file stamps 2025-05-04, but ``Fig2_data.xlsx`` (same values) and the press
  give 2025-05-03 for the SRP trial; the replay moves the timestamps to 2025-05-03.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.dates import DateFormatter
from matplotlib.figure import Figure

from dcflex.data.datasets import shared_data
from dcflex.errors import DataError, ScenarioError
from dcflex.studies.field.event_response import (
    FLEX_TIERS,
    Cluster,
    EventPlan,
    EventTrajectory,
    Job,
    deepest_cut,
    fit_event_trajectory,
    plan_event,
    window_mask,
)
from dcflex.workloads.dvfs_sweep import curves_from_dvfs_sweep, read_dvfs_sweep
from dcflex.workloads.gpus import GpuType, gpu_type

#: Time zone of the Phoenix data center (Arizona keeps UTC-07:00 all year).
SITE_TZ = "America/Phoenix"
#: Date of the SRP trial (Fig2_data.xlsx, press), see the module notes.
SRP_TRIAL_DATE = "2025-05-03"
#: Assumed work lost per full restart after a pause, minutes (see the module notes).
DEFAULT_RESTART_COST_MIN = 5.0


# --------------------------------------------------------------------------- readers


def read_cluster_power(path: str | Path, trial_date: str | None = SRP_TRIAL_DATE) -> pd.Series:
    """Read a 1-min cluster power file (``SRP_total_power.csv``: ``timestamp``, ``total`` in W).

    Parameters
    ----------
    path : path
        CSV with a tz-aware ``timestamp`` column and the cluster power ``total`` in W.
    trial_date : str, optional
        Local date the measurements belong to; timestamps are moved by whole days so the first
        one falls on it (the SRP file stamps 2025-05-04 for the 2025-05-03 trial). None keeps
        the file's dates.

    Returns
    -------
    pandas.Series
        ``cluster_power_kw``, kW, on a UTC index named ``time_utc``.

    Raises
    ------
    DataError
        Missing columns, naive or irregular timestamps, non-numeric or non-positive power.
    """
    path = Path(path)
    df = pd.read_csv(path)
    for col in ("timestamp", "total"):
        if col not in df.columns:
            raise DataError(f"expected columns ['timestamp', 'total'], found {list(df.columns)}",
                            file=path, field=col)
    try:
        ts = pd.DatetimeIndex(pd.to_datetime(df["timestamp"], format="ISO8601"))
    except (ValueError, TypeError) as exc:
        raise DataError(f"unreadable timestamps ({exc})", file=path, field="timestamp") from None
    if ts.tz is None:
        raise DataError("timestamps must carry a UTC offset (e.g. -07:00), found naive times",
                        file=path, field="timestamp")
    if len(ts) < 2 or not (ts[1:] - ts[:-1] == pd.Timedelta(minutes=1)).all():
        raise DataError("expected regular 1-min timestamps", file=path, field="timestamp")
    watts = pd.to_numeric(df["total"], errors="coerce").to_numpy(dtype=float)
    bad = ~np.isfinite(watts) | (watts <= 0)
    if bad.any():
        raise DataError(f"expected positive power in W, {int(bad.sum())} bad rows (first row "
                        f"{int(np.flatnonzero(bad)[0]) + 2})", file=path, field="total")
    if trial_date is not None:
        shift = pd.Timestamp(trial_date) - pd.Timestamp(ts[0].date())
        ts = ts + pd.Timedelta(days=shift.days)
    idx = ts.tz_convert("UTC").rename("time_utc")
    return pd.Series(watts / 1e3, index=idx, name="cluster_power_kw")


def read_job_performance(path: str | Path) -> tuple[pd.DataFrame, float]:
    """Read ``SRP_exp_performance.csv``: measured performance and Flex tier of each job.

    Returns
    -------
    jobs : pandas.DataFrame
        Index ``job`` (id, stripped); columns ``workload`` (id up to the last ``-``),
        ``measured_performance`` (fraction of baseline throughput over the experiment),
        ``flex`` (int), ``min_throughput`` (tier floor, :data:`FLEX_TIERS`).
    weighted_performance : float
        The file's "Weighted Performance" row.

    Raises
    ------
    DataError
        Missing columns or summary row, unknown Flex label, non-numeric performance.
    """
    path = Path(path)
    df = pd.read_csv(path)
    need = ["Model", "Performance", "Flexibility"]
    missing = [c for c in need if c not in df.columns]
    if missing:
        raise DataError(f"expected columns {need}, missing {missing}", file=path,
                        field=missing[0])
    model = df["Model"].astype(str).str.strip()
    summary = model == "Weighted Performance"
    if summary.sum() != 1:
        raise DataError("expected one 'Weighted Performance' row", file=path, field="Model")
    weighted = float(pd.to_numeric(df.loc[summary, "Performance"]).iloc[0])
    jobs = df.loc[~summary].copy()
    jobs["job"] = model[~summary]
    perf = pd.to_numeric(jobs["Performance"], errors="coerce")
    if perf.isna().any() or (perf < 0).any() or (perf > 1 + 1e-9).any():
        raise DataError("expected performance fractions in [0, 1]", file=path,
                        field="Performance")
    label = jobs["Flexibility"].astype(str).str.strip()
    flex = label.str.extract(r"^Flex\s*(\d+)$")[0]
    if flex.isna().any() or not flex.astype(int).isin(list(FLEX_TIERS)).all():
        bad = label[flex.isna() | ~flex.fillna(-1).astype(int).isin(list(FLEX_TIERS))]
        raise DataError(f"expected Flex labels 'Flex 0'..'Flex 3', found {bad.tolist()}",
                        file=path, field="Flexibility")
    out = pd.DataFrame({
        "workload": jobs["job"].str.rsplit("-", n=1).str[0].to_numpy(),
        "measured_performance": perf.to_numpy(dtype=float),
        "flex": flex.astype(int).to_numpy(),
    }, index=pd.Index(jobs["job"].to_numpy(), name="job"))
    out["min_throughput"] = out["flex"].map(FLEX_TIERS).astype(float)
    return out, weighted


def srp_jobs(sweep_path: str | Path, performance_path: str | Path, gpu: str | GpuType = "A100",
             restart_cost_min: float = DEFAULT_RESTART_COST_MIN) -> tuple[list[Job], pd.DataFrame]:
    """Jobs of the SRP trial: GPU counts and curves from the DVFS sweep, tiers from the results.

    Returns
    -------
    jobs : list of Job
    table : pandas.DataFrame
        :func:`read_job_performance` plus ``n_gpus`` and ``saturation_power_w`` (uncapped
        GPU power of the job in the sweep).

    Raises
    ------
    DataError
        If a job's workload is not in the sweep.
    """
    g = gpu_type(gpu)
    table, _ = read_job_performance(performance_path)
    sweep = read_dvfs_sweep(sweep_path)
    curves = curves_from_dvfs_sweep(sweep_path, g)
    n_gpus = sweep.groupby("workload")["n_gpus"].agg(["min", "max"])
    unknown = sorted(set(table["workload"]) - set(curves))
    if unknown:
        raise DataError(f"workload(s) {unknown} of the job list are not in the DVFS sweep "
                        f"(has {sorted(curves)})", file=sweep_path, field="Workload")
    if (n_gpus["min"] != n_gpus["max"]).any():
        raise DataError("GPU count varies across caps of one workload", file=sweep_path,
                        field="total GPU power")
    table["n_gpus"] = table["workload"].map(n_gpus["min"]).astype(int)
    jobs = [
        Job(name=str(name), n_gpus=int(row.n_gpus), curve=curves[row.workload],
            min_throughput=float(row.min_throughput), restart_cost_min=restart_cost_min)
        for name, row in table.iterrows()
    ]
    table["saturation_power_w"] = [j.saturation_fraction * g.tdp_w for j in jobs]
    return jobs, table


def calibrate_cluster(jobs: list[Job], gpu: str | GpuType, measured_baseline_kw: float,
                      server_share_w: float = 0.0) -> Cluster:
    """Cluster whose uncapped power equals the measured baseline (constant offset ``overhead_kw``).

    Parameters
    ----------
    jobs : list of Job
    gpu : str or GpuType
    measured_baseline_kw : float
        Measured cluster power before the event, kW.
    server_share_w : float
        Non-GPU power per GPU inside the metered boundary, W.
    """
    g = gpu_type(gpu)
    raw = Cluster(tuple(jobs), g, server_share_w=server_share_w)
    return Cluster(tuple(jobs), g, server_share_w=server_share_w,
                   overhead_kw=float(measured_baseline_kw) - raw.baseline_kw())


def performance_implied_power(cluster: Cluster, trajectory: EventTrajectory,
                              performance: dict[str, float], index: pd.DatetimeIndex,
                              window: np.ndarray | None = None) -> pd.Series:
    """Cluster power implied by measured per-job performance (an open-loop cross-check).

    Each job's throughput is assumed to follow the event's shape: ``x_j(t) = 1 - d_j g(t)`` with
    ``g`` = 0 before, 1 in the hold, linear on the ramps, 0 after; ``d_j`` is set so the mean of
    ``x_j`` over ``window`` equals the measured performance. Power = smallest power that
    delivers ``x_j`` on the job's curve. No optimizer and no power data (beyond the baseline
    offset and the event shape) enter, so agreement with the meter tests the curves, GPU
    counts and the averaging window.

    Raises
    ------
    DataError
        If a job is missing from ``performance``, or its performance would need throughput
        below 0 in the hold (not possible over this window).
    """
    idx = pd.DatetimeIndex(index)
    w = np.ones(len(idx), dtype=bool) if window is None else np.asarray(window, dtype=bool)
    g = trajectory.shape(idx)
    if g[w].mean() <= 0:
        raise DataError("the event does not overlap the averaging window", field="window")
    power = np.full(len(idx), cluster.static_kw)
    for job in cluster.jobs:
        if job.name not in performance:
            raise DataError(f"no measured performance for job {job.name!r}", field="performance")
        d = (1.0 - performance[job.name]) / g[w].mean()
        if d > 1 + 1e-9:
            raise DataError(f"job {job.name!r}: performance {performance[job.name]:.4g} needs "
                            f"throughput {1 - d:.3g} < 0 in the hold", field="performance")
        x = np.clip(1.0 - d * g, 0.0, 1.0)
        power += cluster.job_power_kw(job, job.curve.power_for_throughput(x))
    return pd.Series(power, index=idx, name="implied_power_kw")


# --------------------------------------------------------------------------- the replay


@dataclass
class ReplayResult:
    """Everything a replay computes (UTC indexes; see :func:`plot_replay` for local time)."""

    name: str
    measured_kw: pd.Series
    fitted_kw: pd.Series
    trajectory: EventTrajectory
    cluster: Cluster
    plan: EventPlan
    implied_kw: pd.Series
    deepest: dict[str, EventPlan]
    jobs: pd.DataFrame
    metrics: pd.DataFrame
    tz: str = SITE_TZ
    extras: dict[str, object] = field(default_factory=dict)

    def metric(self, name: str) -> float:
        """Value of one metric by name."""
        return float(self.metrics.loc[name, "value"])

    def power_frame(self) -> pd.DataFrame:
        """Per minute: measured, target, modeled and implied power (kW) and the per-job plan."""
        plan = self.plan.schedule
        out = pd.DataFrame({
            "measured_kw": self.measured_kw,
            "fitted_kw": self.fitted_kw,
            "target_kw": plan["target_kw"],
            "modeled_kw": plan["cluster_power_kw"],
            "implied_kw": self.implied_kw,
        })
        job_cols = [c for c in plan.columns if "__" in c]
        return pd.concat([out, plan[job_cols]], axis=1)


def _error_stats(model: np.ndarray, measured: np.ndarray, base: float) -> tuple[float, float]:
    err = model - measured
    return (float(np.sqrt(np.mean(err ** 2)) / base * 100.0),
            float(np.max(np.abs(err)) / base * 100.0))


def replay_emerald_srp(data_dir: str | Path | None = None,
                       restart_cost_min: float = DEFAULT_RESTART_COST_MIN,
                       window_h: float = 3.0) -> ReplayResult:
    """Replay the SRP event of the Phoenix demonstration (3 May 2025).

    Parameters
    ----------
    data_dir : path, optional
        Folder with ``SRP_total_power.csv``, ``SRP_exp_performance.csv`` and ``dvfs_sweep.csv``
        (default: ``emerald-demo`` in the reference data, :func:`dcflex.data.datasets.shared_data`).
    restart_cost_min : float
        Work lost per full restart, minutes (assumption, see the module notes).
    window_h : float
        Length of the sustained-cut window for the deepest-cut figures, h (the paper's claim
        is a 25 % cut for 3 hours); it starts at the fitted hold start.

    Returns
    -------
    ReplayResult
        ``metrics`` (index ``name``; ``value``, ``unit``, ``description``) includes
        ``rmse_event_pct`` and ``max_error_event_pct`` (modeled vs measured over the event,
        % of the measured baseline), ``plan_min_cut_hold_pct``, ``deepest_cut_pct`` (tiers over
        the experiment) and ``deepest_cut_event_tiers_pct`` (tiers over the cut window).
    """
    if data_dir is None:
        power_path = shared_data("emerald-demo", "SRP_total_power.csv")
        perf_path = shared_data("emerald-demo", "SRP_exp_performance.csv")
        sweep_path = shared_data("emerald-demo", "dvfs_sweep.csv")
    else:
        folder = Path(data_dir)
        power_path, perf_path, sweep_path = (folder / n for n in (
            "SRP_total_power.csv", "SRP_exp_performance.csv", "dvfs_sweep.csv"))
        for p in (power_path, perf_path, sweep_path):
            if not p.exists():
                raise DataError("replay input not found", file=p)
    measured = read_cluster_power(power_path)
    trajectory, fitted = fit_event_trajectory(measured)
    fitted = fitted.rename("fitted_kw")
    gpu = gpu_type("A100")
    jobs, table = srp_jobs(sweep_path, perf_path, gpu, restart_cost_min)
    _, file_weighted = read_job_performance(perf_path)
    uncalibrated = Cluster(tuple(jobs), gpu).baseline_kw()
    cluster = calibrate_cluster(jobs, gpu, trajectory.baseline_kw)
    index = measured.index
    base = trajectory.baseline_kw

    plan = plan_event(cluster, trajectory.target_kw(index))
    event = trajectory.mask(index)
    hold = trajectory.hold_mask(index)
    modeled = plan.schedule["cluster_power_kw"].to_numpy()
    rmse, max_err = _error_stats(modeled[event], measured.to_numpy()[event], base)
    rmse_all, _ = _error_stats(modeled, measured.to_numpy(), base)
    perf = table["measured_performance"].to_dict()
    implied = performance_implied_power(cluster, trajectory, perf, index)
    rmse_imp, max_imp = _error_stats(implied.to_numpy()[event], measured.to_numpy()[event], base)

    cut_window = window_mask(index, trajectory.hold_start,
                             trajectory.hold_start + pd.Timedelta(hours=window_h))
    deep = {
        "experiment": deepest_cut(cluster, index, cut_window),
        "event": deepest_cut(cluster, index, cut_window, tier_mask=cut_window),
    }

    weights = cluster.weights()
    jobs_out = table[["workload", "n_gpus", "flex", "min_throughput",
                      "saturation_power_w", "measured_performance"]].copy()
    jobs_out["weight"] = jobs_out.index.map(weights)
    jobs_out["modeled_performance"] = plan.jobs["avg_throughput"]
    jobs_out["modeled_hold_power_w_per_gpu"] = [
        plan.schedule[f"gpu_power_fraction__{j}"].to_numpy()[hold].mean() * gpu.tdp_w
        for j in jobs_out.index
    ]
    jobs_out["modeled_restarts"] = plan.jobs["restarts"]
    jobs_out["deepest_cut_performance"] = deep["experiment"].jobs["avg_throughput"]
    measured_weighted = float((jobs_out["weight"] * jobs_out["measured_performance"]).sum())

    tz_start = trajectory.start.tz_convert(SITE_TZ)
    rows = [
        ("baseline_measured_kw", base, "kW", "Fitted pre-event level of the metered power"),
        ("baseline_model_sweep_kw", uncalibrated, "kW",
         "Sum of the jobs' uncapped GPU power in the DVFS sweep"),
        ("catalog_server_overhead_kw", cluster.n_gpus / gpu.gpus_per_server
         * gpu.server_overhead_w / 1e3, "kW",
         "DGX A100 non-GPU power the meter would add if it read whole servers (it does not)"),
        ("overhead_kw", cluster.overhead_kw, "kW", "Calibration offset: measured - sweep baseline"),
        ("n_gpus", cluster.n_gpus, "GPU", "GPUs of the job mix"),
        ("event_start_local_h", tz_start.hour + tz_start.minute / 60, "h",
         f"Fitted ramp-down start, local time ({tz_start:%H:%M})"),
        ("ramp_down_min", trajectory.ramp_down_min, "min", "Fitted ramp-down"),
        ("hold_min", trajectory.hold_min, "min", "Fitted hold"),
        ("ramp_up_min", trajectory.ramp_up_min, "min", "Fitted ramp-up"),
        ("hold_kw", trajectory.hold_kw, "kW", "Fitted hold level"),
        ("measured_cut_pct", trajectory.cut_fraction * 100, "%", "Fitted hold below baseline"),
        ("rmse_event_pct", rmse, "% of baseline",
         "RMSE of modeled vs measured 1-min power over the event"),
        ("max_error_event_pct", max_err, "% of baseline",
         "Largest |modeled - measured| over the event"),
        ("rmse_all_pct", rmse_all, "% of baseline", "RMSE over the whole file span"),
        ("implied_rmse_event_pct", rmse_imp, "% of baseline",
         "RMSE over the event of the power implied by the measured job performance"),
        ("implied_max_error_event_pct", max_imp, "% of baseline",
         "Largest error over the event of the performance-implied power"),
        ("implied_hold_kw", float(implied.to_numpy()[hold].mean()), "kW",
         "Mean performance-implied power in the hold"),
        ("measured_hold_kw", float(measured.to_numpy()[hold].mean()), "kW",
         "Mean measured power in the hold"),
        ("plan_min_cut_hold_pct", float(plan.schedule["cut_fraction"].to_numpy()[hold].min()
                                        * 100), "%", "Smallest cut of the plan in the hold"),
        ("plan_max_shortfall_kw", plan.max_shortfall_kw, "kW", "Largest plan power above target"),
        ("plan_weighted_performance", plan.weighted_performance, "fraction",
         "Tier-weighted mean job performance of the plan over the experiment"),
        ("measured_weighted_performance", measured_weighted, "fraction",
         "Tier-weighted measured job performance (Fig2_data.xlsx method)"),
        ("file_weighted_performance", file_weighted, "fraction",
         "'Weighted Performance' row of SRP_exp_performance.csv"),
        ("deepest_cut_pct", deep["experiment"].cut_fraction * 100, "%",
         f"Deepest cut held {window_h:g} h from the hold start, tiers over the experiment"),
        ("deepest_cut_event_tiers_pct", deep["event"].cut_fraction * 100, "%",
         f"Deepest cut held {window_h:g} h, tiers over those {window_h:g} h only"),
    ]
    metrics = pd.DataFrame(rows, columns=["name", "value", "unit", "description"])
    metrics = metrics.set_index("name")
    return ReplayResult(
        name="emerald-srp", measured_kw=measured, fitted_kw=fitted, trajectory=trajectory,
        cluster=cluster, plan=plan, implied_kw=implied, deepest=deep, jobs=jobs_out,
        metrics=metrics, extras={"cut_window": cut_window},
    )


#: Replays by name (``dcflex replay <name>``).
REPLAYS: dict[str, Callable[[], ReplayResult]] = {"emerald-srp": replay_emerald_srp}


def replay(name: str) -> ReplayResult:
    """Run a named replay (:data:`REPLAYS`).

    Raises
    ------
    ScenarioError
        Unknown name (the message lists the known ones).
    """
    if name not in REPLAYS:
        raise ScenarioError(f"unknown replay {name!r}; expected one of {sorted(REPLAYS)}",
                            field="replay")
    return REPLAYS[name]()


def plot_replay(result: ReplayResult) -> Figure:
    """Measured vs modeled cluster power (top) and per-job performance (bottom), local time."""
    fig = Figure(figsize=(11, 7.5))
    gs = fig.add_gridspec(2, 2, height_ratios=[1.4, 1], width_ratios=[1.5, 1])
    ax = fig.add_subplot(gs[0, :])
    t = result.measured_kw.index.tz_convert(result.tz).tz_localize(None)
    traj = result.trajectory
    ev_a = traj.start.tz_convert(result.tz).tz_localize(None)
    ev_b = traj.end.tz_convert(result.tz).tz_localize(None)
    ax.axvspan(ev_a, ev_b, color="#f2b701", alpha=0.12, lw=0, label="event (fitted)")
    ax.plot(t, result.measured_kw.to_numpy(), color="#444444", lw=1.0, label="measured")
    ax.plot(t, result.fitted_kw.to_numpy(), color="#7f3c8d", lw=1.0, ls="--",
            label="fitted target")
    ax.plot(t, result.plan.schedule["cluster_power_kw"].to_numpy(), color="#3969ac", lw=1.6,
            label="modeled plan (LP)")
    ax.plot(t, result.implied_kw.to_numpy(), color="#e73f74", lw=1.2, ls=":",
            label="implied by measured job performance")
    ax.set_ylabel("cluster power [kW]")
    ax.set_title(
        f"{result.name}: RMSE {result.metric('rmse_event_pct'):.2f} % of baseline over the "
        f"event (max {result.metric('max_error_event_pct'):.1f} %); hold cut "
        f"{result.metric('measured_cut_pct'):.1f} %", fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="lower left", ncols=2)
    ax2 = fig.add_subplot(gs[1, 0], sharex=ax)
    for col in [c for c in result.plan.schedule.columns if c.startswith("throughput__")]:
        ax2.plot(t, result.plan.schedule[col].to_numpy(), lw=1.2,
                 label=col.removeprefix("throughput__"))
    ax2.set_ylabel("planned throughput\n[fraction]")
    ax2.set_ylim(-0.02, 1.05)
    ax2.grid(alpha=0.3)
    ax2.legend(fontsize=6, loc="lower left")
    ax2.set_xlabel(f"local time ({result.tz})")
    ax2.xaxis.set_major_formatter(DateFormatter("%H:%M"))
    ax3 = fig.add_subplot(gs[1, 1])
    jobs = result.jobs
    pos = np.arange(len(jobs))
    ax3.barh(pos - 0.2, jobs["measured_performance"], height=0.4, color="#444444",
             label="measured")
    ax3.barh(pos + 0.2, jobs["modeled_performance"], height=0.4, color="#3969ac",
             label="modeled")
    ax3.scatter(jobs["min_throughput"], pos, marker="|", s=200, color="#e73f74", zorder=3,
                label="tier floor")
    ax3.set_yticks(pos, [f"{j.split('-')[0]} (Flex {f})"
                         for j, f in zip(jobs.index, jobs["flex"], strict=True)], fontsize=7)
    ax3.set_xlim(0.4, 1.02)
    ax3.set_xlabel("performance over the experiment [fraction]")
    ax3.legend(fontsize=7, loc="lower center", bbox_to_anchor=(0.5, 1.0), ncols=3,
               frameon=False)
    ax3.grid(alpha=0.3, axis="x")
    fig.tight_layout()
    return fig
