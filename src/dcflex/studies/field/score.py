"""Score a prediction against the meter, beside the naive references.

Only here do prediction and measurement meet. Errors are over the request window plus its
ramps (:func:`~dcflex.studies.field.request.scoring_mask`), in % of the measured baseline
(the mean metered power over the event file's baseline window, i.e. the programme's "average
base load"). Every error is shown next to

* the flat line at the request target: the window's level drawn from the measured baseline,
  flat over the window and its ramps (for per-job power: each job cut by the same fraction
  from its own measured baseline; for performance: each job's throughput at that fraction of
  its uncapped power over the same span);
* another party's prediction where the event file has one (Emerald's simulator for APS).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from dcflex.errors import DataError
from dcflex.studies.field.measured import Measured
from dcflex.studies.field.predict import Prediction
from dcflex.studies.field.request import (
    flat_reference_kw,
    scoring_mask,
    scoring_span,
    sustained_mask,
)
from dcflex.studies.field.trajectory import fit_event_trajectory


@dataclass
class Scores:
    """Metrics (index ``name``: value, unit, description), per-job table and per-minute frame."""

    metrics: pd.DataFrame
    jobs: pd.DataFrame
    frame: pd.DataFrame

    def metric(self, name: str) -> float:
        return float(self.metrics.loc[name, "value"])


def error_stats(predicted: np.ndarray, measured: np.ndarray, mask: np.ndarray,
                base_kw: float) -> tuple[float, float]:
    """(RMSE, max |error|) over ``mask``, in % of ``base_kw``."""
    mask = np.asarray(mask, dtype=bool)
    if not mask.any():
        raise DataError("no step to score", field="window")
    err = np.asarray(predicted, float)[mask] - np.asarray(measured, float)[mask]
    if not np.all(np.isfinite(err)):
        raise DataError("prediction or reference has gaps in the scored window", field="window")
    return (float(np.sqrt(np.mean(err ** 2)) / base_kw * 100.0),
            float(np.max(np.abs(err)) / base_kw * 100.0))


def _request_cut(prediction: Prediction, base_kw: float, mask: np.ndarray) -> float:
    flat = flat_reference_kw(prediction.request, prediction.index, base_kw)
    return float(1.0 - np.nanmean(flat[mask]) / base_kw)


def _measured_shape(measured: Measured, prediction: Prediction) -> tuple[float, float]:
    """Minutes the meter's fitted ramp-down start and ramp-up end lie after the request's."""
    traj, _ = fit_event_trajectory(measured.total_kw)
    start, end = scoring_span(prediction.request)
    return ((traj.start - start) / pd.Timedelta(minutes=1),
            (traj.end - end) / pd.Timedelta(minutes=1))


def _job_power(prediction: Prediction, measured: Measured, mask: np.ndarray,
               base_mask: np.ndarray, cut: float) -> pd.DataFrame:
    rows = {}
    for job in measured.jobs_kw.columns:
        meas = measured.jobs_kw[job].to_numpy()
        base = float(meas[base_mask].mean())
        if base <= 0:
            raise DataError(f"job {job!r} draws no power in the baseline window",
                            field="measured.job_columns")
        pred = prediction.frame[f"job_power_kw__{job}"].to_numpy()
        rmse, mx = error_stats(pred, meas, mask, base)
        frmse, fmx = error_stats(np.full(len(meas), (1 - cut) * base), meas, mask, base)
        rows[job] = {"measured_baseline_kw": base, "rmse_pct": rmse, "max_error_pct": mx,
                     "flat_rmse_pct": frmse, "flat_max_error_pct": fmx,
                     "measured_window_kw": float(meas[mask].mean()),
                     "predicted_window_kw": float(pred[mask].mean())}
    return pd.DataFrame.from_dict(rows, orient="index")


def _performance(prediction: Prediction, measured: Measured, cut: float,
                 n_scored: int) -> pd.DataFrame:
    start, end = measured.performance_span
    pred = prediction.performance(start, end)
    span_min = (end - start) / pd.Timedelta(minutes=1)
    naive = {}
    for job in prediction.cluster.jobs:
        x = float(job.curve.throughput((1 - cut) * job.saturation_fraction))
        naive[job.name] = 1.0 - (1.0 - x) * n_scored / span_min
    perf = measured.performance
    missing = sorted(set(pred.index) - set(perf.index))
    if missing:
        raise DataError(f"no measured performance for job(s) {missing}",
                        field="measured.performance")
    out = pd.DataFrame({"measured_performance": perf["measured_performance"].reindex(pred.index),
                        "predicted_performance": pred,
                        "naive_performance": pd.Series(naive)})
    out["file_flex"] = perf["flex"].reindex(pred.index)
    return out


def score(prediction: Prediction, measured: Measured) -> Scores:
    """Score a prediction (see the module notes).

    Returns
    -------
    Scores
        ``metrics`` rows: ``rmse_pct``, ``max_error_pct`` (prediction), ``flat_rmse_pct``,
        ``flat_max_error_pct``, ``reference_rmse_pct``, ``reference_max_error_pct`` (if the
        event has another prediction), cuts, baselines, and per-job and performance summaries
        where the event has them.
    """
    idx = prediction.index
    req = prediction.request
    base = measured.baseline_kw
    mask = scoring_mask(req, idx)
    window = sustained_mask(req, idx)
    meas = measured.total_kw.to_numpy()
    pred = prediction.frame["predicted_kw"].to_numpy()
    flat = flat_reference_kw(req, idx, base)
    cut = _request_cut(prediction, base, mask)
    start, end = scoring_span(req)
    span = (f"{start.tz_convert(req.timezone):%H:%M}-{end.tz_convert(req.timezone):%H:%M} "
            f"local (request window plus ramps)")
    rows: list[tuple[str, float, str, str]] = [
        ("baseline_measured_kw", base, "kW", "Mean metered power over the baseline window"),
        ("baseline_predicted_kw", prediction.baseline_kw, "kW",
         f"Baseline the prediction used (rule {prediction.baseline_rule})"),
        ("baseline_error_pct", (prediction.baseline_kw / base - 1) * 100, "%",
         "Predicted baseline vs measured"),
        ("request_cut_pct", cut * 100, "% of baseline", "Reduction the request asks for"),
        ("measured_cut_pct", (1 - meas[window].mean() / base) * 100, "% of baseline",
         "Mean metered reduction inside the request windows"),
        ("predicted_cut_pct", (1 - pred[window].mean() / base) * 100, "% of baseline",
         "Mean predicted reduction inside the request windows"),
        ("predicted_shortfall_kw", prediction.plan.max_shortfall_kw * prediction.meter_scale,
         "kW", "Largest predicted power above the controller's aim (0: the tiers allow it)"),
    ]
    rmse, mx = error_stats(pred, meas, mask, base)
    frmse, fmx = error_stats(flat, meas, mask, base)
    rows += [
        ("rmse_pct", rmse, "% of baseline", f"Prediction: RMSE of 1-min power over {span}"),
        ("max_error_pct", mx, "% of baseline", f"Prediction: largest error over {span}"),
        ("flat_rmse_pct", frmse, "% of baseline",
         "Flat line at the request target: RMSE over the same span"),
        ("flat_max_error_pct", fmx, "% of baseline", "Flat line: largest error"),
    ]
    frame = pd.DataFrame({"measured_kw": meas, "predicted_kw": pred,
                          "request_target_kw": prediction.frame["request_target_kw"],
                          "flat_reference_kw": flat}, index=idx)
    if measured.reference_kw is not None:
        ref = measured.reference_kw.to_numpy()
        rrmse, rmx = error_stats(ref, meas, mask, base)
        rows += [("reference_rmse_pct", rrmse, "% of baseline",
                  f"{measured.reference_label}: RMSE over the same span (1-min means)"),
                 ("reference_max_error_pct", rmx, "% of baseline",
                  f"{measured.reference_label}: largest error")]
        frame["reference_kw"] = ref
    hrmse, _ = error_stats(pred, meas, np.ones(len(idx), bool), base)
    rows.append(("rmse_horizon_pct", hrmse, "% of baseline",
                 "Prediction: RMSE over the whole predicted horizon"))
    delay, release = _measured_shape(measured, prediction)
    rows += [("measured_ramp_start_vs_request_min", delay, "min",
              "Meter's ramp-down start minus the request's (trapezoid fitted to the meter; "
              "descriptive, not used by the prediction)"),
             ("measured_ramp_end_vs_request_min", release, "min",
              "Meter's ramp-up end minus the request's (same fit)")]
    jobs = prediction.jobs[["workload", "n_gpus", "flex", "min_throughput",
                            "window_power_w_per_gpu"]].copy()
    if len(measured.jobs_kw.columns):
        jp = _job_power(prediction, measured, mask, measured.baseline_mask, cut)
        jobs = jobs.join(jp)
        for job in measured.jobs_kw.columns:
            frame[f"measured_kw__{job}"] = measured.jobs_kw[job].to_numpy()
        rows += [("job_rmse_pct_mean", float(jp["rmse_pct"].mean()), "% of job baseline",
                  "Per-job power: RMSE over the span, mean over jobs"),
                 ("job_flat_rmse_pct_mean", float(jp["flat_rmse_pct"].mean()),
                  "% of job baseline", "Per-job flat line at the request target: same")]
    if measured.performance is not None:
        perf = _performance(prediction, measured, cut, int(mask.sum()))
        jobs = jobs.join(perf)
        w = prediction.jobs["weight"]
        err = (perf["predicted_performance"] - perf["measured_performance"]) * 100
        nerr = (perf["naive_performance"] - perf["measured_performance"]) * 100
        rows += [
            ("performance_rmse_pts", float(np.sqrt((err ** 2).mean())), "points",
             "Per-job performance, predicted vs measured: RMSE in percentage points"),
            ("naive_performance_rmse_pts", float(np.sqrt((nerr ** 2).mean())), "points",
             "Each job cut by the request fraction over the span: same"),
            ("predicted_weighted_performance", float((w * perf["predicted_performance"]).sum()),
             "fraction", "Tier-weighted predicted performance (weights = tier / sum of tiers)"),
            ("measured_weighted_performance", float((w * perf["measured_performance"]).sum()),
             "fraction", "Tier-weighted measured performance (same weights)"),
        ]
    metrics = pd.DataFrame(rows, columns=["name", "value", "unit", "description"])
    return Scores(metrics.set_index("name"), jobs, frame)

