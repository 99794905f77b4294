"""Predict a cluster's power in a grid event from the request alone.

:func:`predict` takes the cluster, the request, the baseline rule and the horizon of an event
file (:meth:`~dcflex.studies.field.event_file.EventFile.predictor_inputs`) and a
:class:`~dcflex.studies.field.calibration.Calibration`; it is never given the meter. Steps:

1. Jobs: each job's power-cap curve from the DVFS sweep rows of its workload (measured power
   per GPU on the axis, :func:`~dcflex.workloads.dvfs_sweep.curves_from_dvfs_sweep`), with the
   curve starting at the power the meter counts for a paused GPU (``paused_gpu_metered_w``),
   the lowest cap of the sweep as the lowest cap of a running GPU, the Flex tier as the floor
   of the job's average throughput. With the calibration's ``job_control = pause_only`` the
   curve is the straight line from paused to uncapped and a running GPU is never capped
   (:func:`~dcflex.studies.field.cluster.pause_only_job`): the controller pauses or resizes
   jobs, and the LP then drains them in order of tier weight per kW instead of spreading
   caps.
2. Baseline: ``sweep`` -- every job uncapped, i.e. at the power where its curve saturates,
   times the calibrated ``meter_scale``; ``pre_notice_mean`` -- the mean metered power over
   the minutes before notice (read by :func:`~dcflex.studies.field.measured.read_pre_notice`,
   which returns nothing at or after notice).
3. The controller's aim: the request's trapezoid from that baseline, deeper by ``cut_margin``,
   with the stated dynamics (:func:`~dcflex.studies.field.request.request_target_kw`).
4. The controller: :func:`~dcflex.studies.field.event_response.plan_event`, the LP that meets
   the aim with the least tier-weighted throughput loss, tiers averaged over the tier window.
   It decides which jobs are capped, at which power, and which are (partly) paused. Every
   job's power is then scaled by the meter scale.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd

from dcflex.errors import DataError, DcflexWarning, ScenarioError
from dcflex.studies.field.calibration import Calibration
from dcflex.studies.field.cluster import FLEX_TIERS, Cluster, Job, pause_only_job
from dcflex.studies.field.event_file import (
    BaselineSpec,
    ClusterSpec,
    HorizonSpec,
    RequestSpec,
    resolve_data_path,
)
from dcflex.studies.field.event_response import EventPlan, deepest_cut, plan_event
from dcflex.studies.field.measured import read_pre_notice
from dcflex.studies.field.request import (
    PROGRAMME,
    minute_index,
    request_target_kw,
    scoring_mask,
    scoring_span,
    sustained_mask,
)
from dcflex.workloads.dvfs_sweep import curves_from_dvfs_sweep, read_dvfs_sweep
from dcflex.workloads.gpus import gpu_type

#: Label every prediction carries.
PREDICTED_FROM_REQUEST = "predicted from the request"


@dataclass
class Prediction:
    """Predicted cluster and job power, per minute, and what it rests on.

    Attributes
    ----------
    frame : pandas.DataFrame
        UTC index ``time_utc``: ``request_target_kw`` (the request from the predicted
        baseline), ``controller_target_kw`` (the controller's aim), ``predicted_kw`` (metered
        cluster power) and per job ``job_power_kw__<j>`` (metered), ``throughput__<j>``,
        ``running_share__<j>``, ``restarts__<j>``.
    jobs : pandas.DataFrame
        Per job: workload, n_gpus, flex, min_throughput, weight, saturation_power_w,
        min_cap_w, tier_throughput (net average over the tier window),
        window_power_w_per_gpu (mean GPU power in the request windows, sweep units).
    baseline_kw : float
        Predicted metered baseline, kW.
    baseline_sweep_kw : float
        The jobs' uncapped power in the sweep, kW.
    meter_scale : float
        Metered / sweep power used (the calibrated scale, or baseline / sweep baseline under
        the pre-notice rule).
    cluster : Cluster
        The jobs as the controller model uses them (``job_control`` applied).
    all_knobs : Cluster
        The same jobs with every knob, DVFS caps and pauses: what the cluster could do, the
        basis of :func:`deepest_cut_of` whatever the controller model.
    label : str
        "predicted from the request; <what was calibrated>".
    """

    event: str
    request: RequestSpec
    calibration: Calibration
    baseline_rule: str
    frame: pd.DataFrame
    jobs: pd.DataFrame
    baseline_kw: float
    baseline_sweep_kw: float
    meter_scale: float
    cluster: Cluster
    all_knobs: Cluster
    plan: EventPlan
    tier_mask: np.ndarray
    label: str

    @property
    def index(self) -> pd.DatetimeIndex:
        return self.frame.index

    def performance(self, start: pd.Timestamp, end: pd.Timestamp) -> pd.Series:
        """Predicted net average throughput of each job over ``[start, end)``.

        Minutes of the span outside the horizon count as full throughput (no event there);
        restarts inside it cost ``restart_cost_min`` of full-throughput work each.
        """
        idx = self.index
        inside = np.asarray((idx >= start) & (idx < end))
        total_min = (end - start) / pd.Timedelta(minutes=1)
        if total_min <= 0:
            raise DataError(f"empty span {start} - {end}", field="span")
        out = {}
        for job in self.cluster.jobs:
            x = self.frame[f"throughput__{job.name}"].to_numpy()[inside]
            u = self.frame[f"restarts__{job.name}"].to_numpy()[inside]
            work = x.sum() - job.restart_cost_min * u.sum() + (total_min - inside.sum())
            out[job.name] = work / total_min
        return pd.Series(out, name="predicted_performance")


def build_cluster(spec: ClusterSpec, relative_to: Path, job_control: str = "cap_and_pause",
                  ) -> tuple[Cluster, pd.DataFrame]:
    """Jobs on the GPU type as the meter sees it, with curves from the DVFS sweep.

    The GPU's idle power is replaced by ``paused_gpu_metered_w``: the LP's paused GPU draws
    what the meter counts for it. The lowest cap of each workload's sweep rows is the lowest
    power of a running GPU of that job (below it, GPUs must pause). ``job_control``
    ``pause_only`` turns every job into :func:`pause_only_job`.

    Raises
    ------
    DataError
        Missing sweep file, or a job whose workload is not in the sweep.
    """
    gpu = replace(gpu_type(spec.gpu), idle_w=float(spec.paused_gpu_metered_w))
    path = resolve_data_path(spec.dvfs_sweep, relative_to)
    if not path.exists():
        raise DataError("DVFS sweep file not found", file=path, field="cluster.dvfs_sweep")
    sweep = read_dvfs_sweep(path)
    curves = curves_from_dvfs_sweep(path, gpu)
    lowest_cap = sweep.groupby("workload")["cap_w"].min()
    unknown = sorted({j.workload for j in spec.jobs} - set(curves))
    if unknown:
        raise DataError(f"workload(s) {unknown} of the event's jobs are not in the DVFS sweep "
                        f"(it has {sorted(curves)})", file=path, field="cluster.jobs.workload")
    jobs = [Job(name=j.name, n_gpus=j.n_gpus, curve=curves[j.workload],
                min_throughput=FLEX_TIERS[j.flex], restart_cost_min=spec.restart_cost_min,
                min_cap_w=float(lowest_cap[j.workload])) for j in spec.jobs]
    if job_control == "pause_only":
        jobs = [pause_only_job(job, gpu.tdp_w) for job in jobs]
    cluster = Cluster(tuple(jobs), gpu)
    weights = cluster.weights()
    table = pd.DataFrame({
        "workload": [j.workload for j in spec.jobs],
        "n_gpus": [j.n_gpus for j in spec.jobs],
        "flex": [j.flex for j in spec.jobs],
        "min_throughput": [job.min_throughput for job in jobs],
        "weight": [weights[job.name] for job in jobs],
        "saturation_power_w": [job.saturation_fraction * gpu.tdp_w for job in jobs],
        "min_cap_w": [job.min_cap_w for job in jobs],
    }, index=pd.Index([j.name for j in spec.jobs], name="job"))
    return cluster, table


def _baseline(baseline: BaselineSpec, request: RequestSpec, sweep_kw: float,
              calibration: Calibration, relative_to: Path) -> tuple[float, float]:
    """(metered baseline kW, meter scale)."""
    if baseline.rule == "sweep":
        return sweep_kw * calibration.meter_scale, calibration.meter_scale
    ramp_start, _ = scoring_span(request)
    notice = ramp_start - pd.Timedelta(minutes=request.notice_min or 0)
    kw = read_pre_notice(baseline.telemetry, relative_to, request, notice, baseline.minutes)
    return kw, kw / sweep_kw


def predict(cluster_spec: ClusterSpec, request: RequestSpec, baseline: BaselineSpec,
            horizon: HorizonSpec, calibration: Calibration, relative_to: Path,
            event: str = "event") -> Prediction:
    """Predict cluster and job power per minute from the request (see the module notes).

    Parameters
    ----------
    cluster_spec, request, baseline, horizon
        The event file's sections other than ``measured``.
    calibration : Calibration
        Controller parameters (stated defaults or calibrated on another event).
    relative_to : path
        The event file, for its relative data paths.
    event : str
        Name for labels.

    Returns
    -------
    Prediction

    Raises
    ------
    ScenarioError
        If the request's windows and ramps do not lie inside the horizon.
    """
    cluster, table = build_cluster(cluster_spec, relative_to, calibration.job_control)
    all_knobs = (cluster if calibration.job_control == "cap_and_pause"
                 else build_cluster(cluster_spec, relative_to)[0])
    index = minute_index(request, horizon)
    first, last = scoring_span(request)
    if first < index[0] or last > index[-1] + pd.Timedelta(minutes=1):
        raise ScenarioError(
            f"the request with its ramps ({first:%H:%M}-{last:%H:%M}) must lie inside the "
            f"horizon ({horizon.start}-{horizon.end})", file=relative_to, field="horizon")
    sweep_kw = cluster.baseline_kw()
    base_kw, scale = _baseline(baseline, request, sweep_kw, calibration, relative_to)
    req_target = request_target_kw(request, index, base_kw, PROGRAMME)
    aim = request_target_kw(request, index, base_kw, calibration.dynamics)
    tier_mask = (scoring_mask(request, index) if calibration.tier_window == "request"
                 else np.ones(len(index), dtype=bool))
    plan = plan_event(cluster, pd.Series(aim / scale, index=index), tier_mask=tier_mask)
    if plan.max_shortfall_kw > 1e-6:
        warnings.warn(f"{event}: the tiers do not allow the controller's aim; the prediction "
                      f"stays up to {plan.max_shortfall_kw * scale:.3g} kW above it (the deepest "
                      f"cut the tiers allow)", DcflexWarning, stacklevel=2)
    sched = plan.schedule
    cols = {"request_target_kw": req_target, "controller_target_kw": aim,
            "predicted_kw": sched["cluster_power_kw"].to_numpy() * scale}
    for job in cluster.jobs:
        n = job.name
        cols[f"job_power_kw__{n}"] = sched[f"job_power_kw__{n}"].to_numpy() * scale
        for q in ("throughput", "running_share", "restarts"):
            cols[f"{q}__{n}"] = sched[f"{q}__{n}"].to_numpy()
    frame = pd.DataFrame(cols, index=index)
    window = sustained_mask(request, index)
    table["tier_throughput"] = plan.jobs["avg_throughput"]
    table["window_power_w_per_gpu"] = [
        float(sched[f"gpu_power_fraction__{j.name}"].to_numpy()[window].mean()
              * cluster.gpu.tdp_w) if window.any() else np.nan for j in cluster.jobs]
    return Prediction(
        event=event, request=request, calibration=calibration, baseline_rule=baseline.rule,
        frame=frame, jobs=table, baseline_kw=float(base_kw), baseline_sweep_kw=float(sweep_kw),
        meter_scale=float(scale), cluster=cluster, all_knobs=all_knobs, plan=plan,
        tier_mask=tier_mask,
        label=f"{PREDICTED_FROM_REQUEST}; {calibration.label}")


@dataclass
class DeepestCut:
    """The deepest cut the tiers allow over the request windows.

    Attributes
    ----------
    plan : EventPlan
        Least weighted loss at that cut.
    cut_fraction : float
        Sustained cut over every request window, fraction of the baseline.
    rests_on_relaxation : bool
        Whether the depth depends on the LP relaxation of restarts (a resumed fraction of a
        job charged a fraction of a restart).
    statement : str
        The sentence the figure and the tables print.
    """

    plan: EventPlan
    cut_fraction: float
    rests_on_relaxation: bool
    statement: str


def deepest_cut_of(prediction: Prediction) -> DeepestCut:
    """Deepest cut held over the request windows with every tier met (same tier window).

    Computed with every knob (:attr:`Prediction.all_knobs`: DVFS caps and pauses), whatever
    controller model the prediction used: it is what the cluster could have done.
    """
    window = sustained_mask(prediction.request, prediction.index)
    jobs = prediction.all_knobs.jobs
    plan = deepest_cut(prediction.all_knobs, prediction.index, window,
                       tier_mask=prediction.tier_mask)
    cost = max(j.restart_cost_min for j in jobs)
    u = np.concatenate([plan.schedule[f"restarts__{j.name}"].to_numpy() for j in jobs])
    fractional = bool(np.any((u > 1e-6) & (u < 1 - 1e-6)))
    if cost == 0:
        relaxed = False
        statement = ("does not rest on the LP relaxation of restarts: restarts cost nothing "
                     "(checkpointing overhead negligible, Colangelo et al. 2025)")
    elif fractional:
        relaxed = True
        statement = (f"rests on the LP relaxation of restarts: it resumes fractions of jobs, "
                     f"each charged a fraction of {cost:g} min")
    else:
        relaxed = False
        statement = (f"does not rest on the LP relaxation of restarts: every restart is whole "
                     f"({cost:g} min each)")
    return DeepestCut(plan, float(plan.cut_fraction), relaxed, statement)
