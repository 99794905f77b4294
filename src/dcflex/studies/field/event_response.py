"""Event response of a GPU cluster: track a target power trajectory with the least weighted loss.

A small job-level linear program at minute resolution, separate from the site model (a cluster
of a few jobs for a few hours) but assembled with :class:`dcflex.model.lp.ModelBuilder` and solved
by :func:`dcflex.model.solve.solve_lp` on the same HiGHS path.

Model (per job ``j`` and step ``t``)
-----------------------------------
* ``y_j[t]`` -- mean GPU power of the job as a fraction of TDP, in ``[idle/TDP, sat_j]``;
  ``sat_j`` is the power at which the job's power-cap curve reaches full throughput (its
  uncapped draw: more power budget does not make it faster, so an uncapped job draws ``sat_j``).
* ``x_j[t] <= f_j(y_j[t])`` -- throughput as a fraction of uncapped throughput, below the concave
  power-cap curve (its hypograph, one row per segment of
  :meth:`~dcflex.workloads.powercap.PowerCapCurve.segments`). The curve starts at
  ``(idle/TDP, 0)``: a paused GPU draws idle power and does no work, so pausing is part of the
  curve's domain.
* ``r_j[t]`` -- running share of the job's GPUs. A running GPU cannot be capped below the GPU's
  minimum power limit ``q_min`` (100 W on an A100), so ``y >= idle + r (q_min - idle)``: to draw
  less, part of the job must pause. ``x <= r``: paused GPUs do no work.
* ``u_j[t] >= r_j[t] - r_j[t-1]`` -- resumed share (restarts); the job runs before the horizon
  (``r_j[-1] = 1``). Each full restart loses ``restart_cost_min`` minutes of full-throughput work
  (checkpoint reload, warm-up), deducted from the job's delivered throughput. This is the LP
  relaxation of a discrete decision: resuming half of a job costs half a restart. A real
  controller restarts a job or not; the relaxation can under-count restarts.
* cluster power ``P[t] = sum_j gpus_j (server_share + y_j[t] TDP) + overhead`` (kW);
  tracking ``P[t] - s[t] <= target[t]`` with a shortfall ``s >= 0`` penalized far above any
  throughput, so an unreachable target yields the deepest feasible cut instead of an
  infeasible LP.
* SLO tiers: ``(sum_{t in W} x_j[t] - restart loss) / |W| >= tier_j`` over the tier window
  ``W`` (the event, or the whole experiment). Tiers of the Phoenix demonstration (Colangelo et
  al. 2025, arXiv:2507.00909; emerald-demo ``Fig2_data.xlsx`` sheet "Performance Data"): Flex 1
  = 0.9, Flex 2 = 0.75, Flex 3 = 0.5 (Flex 0 = 1.0, no reduction).

Objective: weighted throughput loss ``sum_j w_j (1 - mean_t net x_j[t])`` with weights
normalized to sum 1; by default ``w_j = tier_j``, as in the demonstration's "Weight based on
bucket" (= tier / sum of tiers), so a lower tier is cheaper to cut. A tiny penalty on
``|y[t] - y[t-1]|`` picks, among equally good plans, the one with the fewest cap changes (an LP
over a flat target is otherwise degenerate in time). The model uses kW, not MW: a 256-GPU
cluster draws about 0.1 MW and kW keeps the coefficients near 1; every name carries its unit.

The objective is carried in the builder's ``cost_usd`` ledger slot (the ledgers are a fixed
tuple in :mod:`dcflex.model.lp`); here it is weighted throughput loss times the number of steps
(dimensionless), not money.

The jobs and the cluster are described in :mod:`dcflex.studies.field.cluster`, the target
trajectory and step windows in :mod:`dcflex.studies.field.trajectory`; their public names are
re-exported here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import scipy.sparse as sp

from dcflex.errors import DataError
from dcflex.model.lp import LinearProgram, ModelBuilder, VarBlock
from dcflex.model.solve import Solution, make_highs, run_highs, solve_lp
from dcflex.studies.field.cluster import A100_MIN_POWER_LIMIT_W, FLEX_TIERS, W_PER_KW, Cluster, Job
from dcflex.studies.field.trajectory import (
    EventTrajectory,
    _regular_index,
    fit_event_trajectory,
    window_mask,
)

__all__ = [
    "A100_MIN_POWER_LIMIT_W",
    "FLEX_TIERS",
    "W_PER_KW",
    "Cluster",
    "EventPlan",
    "EventTrajectory",
    "Job",
    "deepest_cut",
    "fit_event_trajectory",
    "plan_event",
    "window_mask",
]


@dataclass
class EventPlan:
    """Result of :func:`plan_event` or :func:`deepest_cut`.

    Attributes
    ----------
    schedule : pandas.DataFrame
        Per step (UTC index ``time_utc``): ``target_kw``, ``cluster_power_kw``,
        ``shortfall_kw``, ``cut_fraction`` (1 - power / baseline) and per job
        ``gpu_power_fraction__<j>``, ``throughput__<j>`` (gross), ``running_share__<j>``,
        ``restarts__<j>`` (resumed share), ``job_power_kw__<j>`` (GPU power).
    jobs : pandas.DataFrame
        Per job: ``n_gpus``, ``min_throughput``, ``weight`` (normalized), ``avg_throughput``
        (net of restart losses, over the tier window), ``restarts`` (sum of resumed shares),
        ``floor_met``.
    baseline_kw : float
        Cluster power with every job uncapped, kW.
    weighted_loss : float
        Objective: sum of weight x (1 - mean net throughput over the horizon).
    weighted_performance : float
        Sum of weight x net average throughput over the tier window.
    max_shortfall_kw : float
        Largest excess of power above the target, kW (0 when the target is met).
    tier_steps : int
        Steps of the tier window.
    solution : Solution
        HiGHS facts of the (last) solve.
    cut_kw : float or None
        Sustained cut below the baseline (``deepest_cut`` only), kW.
    """

    schedule: pd.DataFrame
    jobs: pd.DataFrame
    baseline_kw: float
    weighted_loss: float
    weighted_performance: float
    max_shortfall_kw: float
    tier_steps: int
    solution: Solution
    cut_kw: float | None = None
    lp: LinearProgram | None = field(default=None, repr=False)

    @property
    def cut_fraction(self) -> float | None:
        """Sustained cut as a fraction of the baseline (``deepest_cut`` only)."""
        return None if self.cut_kw is None else self.cut_kw / self.baseline_kw

    def tier_floors_hold(self, tol: float = 1e-6) -> bool:
        """True if every job's net average throughput is at or above its floor (within tol)."""
        return bool((self.jobs["avg_throughput"] >= self.jobs["min_throughput"] - tol).all())

def _build(cluster: Cluster, index: pd.DatetimeIndex, tier_mask: np.ndarray,
           smoothing: float) -> tuple[ModelBuilder, VarBlock, float]:
    """Variables and constraints shared by the tracking and deepest-cut models."""
    T = len(index)
    step_h = (index[1] - index[0]) / pd.Timedelta(hours=1) if T > 1 else 1 / 60
    step_min = step_h * 60.0
    b = ModelBuilder(index=index, step_hours=step_h)
    gpu = cluster.gpu
    idle = gpu.idle_fraction
    weights = cluster.weights()
    # first differences; row 0 compares with the state before the horizon (handled in rhs)
    D = sp.diags([np.ones(T), -np.ones(T - 1)], [0, -1], shape=(T, T), format="csr")
    D1 = D[1:]
    W = tier_mask.astype(float)
    n_w = float(tier_mask.sum())
    # The objective is scaled by T (weighted loss in job-steps) so that reduced costs sit far
    # above HiGHS's 1e-7 tolerances. Tie-breakers: cap changes (``smoothing``) and restarts
    # (1e-3 of a step of the least-weighted job's work, so ``u`` is the positive change of
    # ``r`` even when restarts are free); both far below any throughput change.
    w_min = min(w for w in weights.values() if w > 0)
    eps = smoothing * w_min
    power_terms = []
    for job in cluster.jobs:
        n = job.name
        sat = job.saturation_fraction
        y = b.add_variables(f"gpu_power_fraction__{n}", lb=idle, ub=sat, unit="fraction")
        x = b.add_variables(f"throughput__{n}", lb=0.0, ub=1.0, unit="fraction")
        r = b.add_variables(f"running_share__{n}", lb=0.0, ub=1.0, unit="fraction")
        u = b.add_variables(f"restarts__{n}", lb=0.0, unit="fraction")
        slopes, intercepts = job.curve.segments()
        for k, (s, c) in enumerate(zip(slopes, intercepts, strict=True)):
            if s == 0 and c >= 1:  # the flat segment above saturation never binds
                continue
            b.add_constraints(f"curve__{n}__{k}", [(x, 1.0), (y, -s)], ub=c)
        b.add_constraints(f"work_needs_running__{n}", [(x, 1.0), (r, -1.0)], ub=0.0)
        q_min = min(job.min_cap_w / gpu.tdp_w, sat)
        if q_min > idle:
            # y >= r q_min + (1 - r) idle: running GPUs draw at least the minimum cap
            b.add_constraints(f"running_power__{n}", [(y, 1.0), (r, -(q_min - idle))], lb=idle)
        rhs = np.zeros(T)
        rhs[0] = -1.0  # running before the horizon: u[0] >= r[0] - 1
        b.add_constraints(f"restart_def__{n}", [(u, 1.0), (r, -D)], lb=rhs)
        loss_steps = job.restart_cost_min / step_min
        if job.min_throughput > 0:
            row = sp.csr_matrix(W[None, :])
            b.add_constraints(f"tier__{n}", [(x, row), (u, -loss_steps * row)],
                              lb=job.min_throughput * n_w, n_rows=1)
        w = weights[n]
        b.add_objective("cost_usd", x, -w)
        b.add_objective("cost_usd", u, w * loss_steps + 1e-3 * w_min)
        b.add_constant("cost_usd", w * T)
        if T > 1 and eps > 0:
            d = b.add_variables(f"cap_change__{n}", lb=0.0, size=T - 1, unit="fraction")
            b.add_constraints(f"cap_change_up__{n}", [(d, 1.0), (y, -D1)], lb=0.0)
            b.add_constraints(f"cap_change_down__{n}", [(d, 1.0), (y, D1)], lb=0.0)
            b.add_objective("cost_usd", d, eps)
        power_terms.append((y, -job.n_gpus * gpu.tdp_w / W_PER_KW))
    p = b.add_variables("cluster_power_kw", lb=-np.inf, ub=np.inf, unit="kW")
    b.add_constraints("cluster_power_def", [(p, 1.0)] + power_terms,
                      lb=cluster.static_kw, ub=cluster.static_kw)
    # value of 1 kW for one step at the best margin: caps the shortfall penalty from below
    margin = max(
        weights[j.name] * float(np.max(j.curve.slopes()))
        / (j.n_gpus * gpu.tdp_w / W_PER_KW) for j in cluster.jobs
    )
    return b, p, max(margin, 1e-12)


def _results(cluster: Cluster, lp: LinearProgram, sol: Solution, index: pd.DatetimeIndex,
             target: np.ndarray, tier_mask: np.ndarray, short_name: str | None,
             cut_kw: float | None) -> EventPlan:
    T = len(index)
    step_min = lp.step_hours * 60.0
    base = cluster.baseline_kw()
    weights = cluster.weights()
    cols: dict[str, np.ndarray] = {}
    power = lp.values(sol.x, "cluster_power_kw").copy()
    short = np.zeros(T)
    if short_name is not None:
        short[np.isfinite(target)] = lp.values(sol.x, short_name)
    cols["target_kw"] = target
    cols["cluster_power_kw"] = power
    cols["shortfall_kw"] = np.maximum(short, 0.0)
    cols["cut_fraction"] = 1.0 - power / base
    rows = []
    n_w = int(tier_mask.sum())
    wperf = 0.0
    loss = 0.0
    for job in cluster.jobs:
        n = job.name
        y = lp.values(sol.x, f"gpu_power_fraction__{n}")
        x = lp.values(sol.x, f"throughput__{n}")
        u = lp.values(sol.x, f"restarts__{n}")
        cols[f"gpu_power_fraction__{n}"] = y
        cols[f"throughput__{n}"] = x
        cols[f"running_share__{n}"] = lp.values(sol.x, f"running_share__{n}")
        cols[f"restarts__{n}"] = u
        cols[f"job_power_kw__{n}"] = cluster.job_power_kw(job, y)
        loss_steps = job.restart_cost_min / step_min
        net_w = (x[tier_mask].sum() - loss_steps * u[tier_mask].sum()) / max(n_w, 1)
        net_all = (x.sum() - loss_steps * u.sum()) / T
        wperf += weights[n] * net_w
        loss += weights[n] * (1.0 - net_all)
        rows.append({
            "job": n, "n_gpus": job.n_gpus, "min_throughput": job.min_throughput,
            "weight": weights[n], "avg_throughput": net_w, "restarts": float(u.sum()),
            "floor_met": bool(net_w >= job.min_throughput - 1e-6),
        })
    schedule = pd.DataFrame(cols, index=index)
    jobs = pd.DataFrame(rows).set_index("job")
    return EventPlan(
        schedule=schedule, jobs=jobs, baseline_kw=base, weighted_loss=float(loss),
        weighted_performance=float(wperf), max_shortfall_kw=float(cols["shortfall_kw"].max()),
        tier_steps=n_w, solution=sol, cut_kw=cut_kw, lp=lp,
    )


def _utc_index(index: pd.DatetimeIndex) -> pd.DatetimeIndex:
    idx = _regular_index(index)
    if len(idx) < 2:
        raise DataError(f"need >= 2 time steps, got {len(idx)}", field="index")
    return idx.tz_convert("UTC").rename("time_utc")


def _tier_mask(index: pd.DatetimeIndex, tier_mask) -> np.ndarray:
    if tier_mask is None:
        return np.ones(len(index), dtype=bool)
    m = np.asarray(tier_mask, dtype=bool)
    if m.shape != (len(index),):
        raise DataError(f"tier mask needs {len(index)} values, got {m.shape}", field="tier_mask")
    if not m.any():
        raise DataError("tier window contains no step", field="tier_mask")
    return m


def plan_event(cluster: Cluster, target_kw: pd.Series, tier_mask: Sequence[bool] | None = None,
               shortfall_penalty: float | None = None, smoothing: float = 1e-3) -> EventPlan:
    """Plan that tracks a target power trajectory with the least weighted throughput loss.

    Parameters
    ----------
    cluster : Cluster
        Jobs, GPU and metered static power.
    target_kw : pandas.Series
        Cap on cluster power per step, kW, on a regular tz-aware index (1-min steps for an
        event response); ``inf`` = no cap. See :meth:`EventTrajectory.target_kw`.
    tier_mask : sequence of bool, optional
        Steps over which each job's average throughput must reach its tier (default: all).
    shortfall_penalty : float, optional
        Cost of 1 kW above the target for one step, in the LP's objective unit (weighted
        throughput loss x steps: a weight-1 job losing its whole work for one step costs 1).
        Default: 1e4 x the largest value of 1 kW to any job in one step, so the LP meets the
        target whenever the tiers allow and otherwise minimizes the total excess (the deepest
        feasible cut).
    smoothing : float
        Relative weight of the tie-breaking penalty on cap changes (0 disables it).

    Returns
    -------
    EventPlan

    Raises
    ------
    DataError
        Irregular or naive index, NaN or negative target, wrong mask length.
    """
    index = _utc_index(target_kw.index)
    target = pd.to_numeric(target_kw, errors="coerce").to_numpy(dtype=float)
    if np.any(np.isnan(target)) or np.any(target < 0):
        raise DataError("target must be >= 0 kW (inf = no cap), found NaN or negative values",
                        field="target_kw")
    mask = _tier_mask(index, tier_mask)
    b, p, margin = _build(cluster, index, mask, smoothing)
    capped = np.flatnonzero(np.isfinite(target))
    short_name = None
    if capped.size:
        penalty = 1e4 * margin if shortfall_penalty is None else float(shortfall_penalty)
        s = b.add_variables("shortfall_kw", lb=0.0, size=capped.size, unit="kW")
        pick = sp.csr_matrix((np.ones(capped.size), (np.arange(capped.size), capped)),
                             shape=(capped.size, len(index)))
        b.add_constraints("track_target", [(p, pick), (s, -1.0)], ub=target[capped])
        b.add_objective("cost_usd", s, penalty)
        short_name = "shortfall_kw"
    lp = b.build({"cost_usd": 1.0})
    sol = solve_lp(lp)
    return _results(cluster, lp, sol, index, target, mask, short_name, None)


def deepest_cut(cluster: Cluster, index: pd.DatetimeIndex, event_mask: Sequence[bool],
                tier_mask: Sequence[bool] | None = None, smoothing: float = 1e-3) -> EventPlan:
    """Deepest cut below the baseline that the cluster can hold over an event with every tier met.

    One extra variable ``c`` (kW) with ``P[t] + c <= baseline`` in every event step; maximize
    ``c``. Solved lexicographically: first with a small tie-breaking weight on the throughput
    loss (0.001, which steers the simplex away from the degenerate plateau: 2-3x fewer
    iterations here), then warm on the same HiGHS object with the cut alone, so ``c`` is the
    exact maximum. The plan returned is :func:`plan_event` for the target ``baseline - c`` in
    the event, i.e. the least weighted loss at the deepest cut.

    Parameters
    ----------
    cluster : Cluster
    index : pandas.DatetimeIndex
        Regular tz-aware steps of the horizon.
    event_mask : sequence of bool
        Steps in which the cut must hold.
    tier_mask : sequence of bool, optional
        Tier averaging window (default: the whole horizon).
    smoothing : float
        As in :func:`plan_event` (used in the returned plan).

    Returns
    -------
    EventPlan
        ``cut_kw`` and ``cut_fraction`` set; ``target_kw`` = baseline - cut in the event.
    """
    idx = _utc_index(index)
    ev = np.asarray(event_mask, dtype=bool)
    if ev.shape != (len(idx),) or not ev.any():
        raise DataError(f"event mask needs {len(idx)} values with at least one True",
                        field="event_mask")
    mask = _tier_mask(idx, tier_mask)
    b, p, _ = _build(cluster, idx, mask, smoothing=0.0)
    base = cluster.baseline_kw()
    c = b.add_variables("cut_kw", lb=0.0, ub=base, size=1, unit="kW")
    steps = np.flatnonzero(ev)
    pick = sp.csr_matrix((np.ones(steps.size), (np.arange(steps.size), steps)),
                         shape=(steps.size, len(idx)))
    b.add_constraints("hold_cut", [(p, pick), (c, np.ones((steps.size, 1)))], ub=base)
    lp = b.build({"cost_usd": 1.0})
    cols = np.arange(lp.num_col, dtype=np.int32)
    only_cut = np.where(cols == c.start, -1.0 / base, 0.0)
    h = make_highs(lp)
    h.changeColsCost(lp.num_col, cols, 1e-3 / len(idx) * lp.c + only_cut)
    run_highs(h, lp.num_col)
    h.changeColsCost(lp.num_col, cols, only_cut)
    cut = float(run_highs(h, lp.num_col).x[c.start])
    # a hair of slack so round-off in the second LP does not show as shortfall
    target = pd.Series(np.where(ev, base - cut + 1e-7 * base, np.inf), index=idx)
    plan = plan_event(cluster, target, tier_mask=mask, smoothing=smoothing)
    plan.cut_kw = cut
    return plan
