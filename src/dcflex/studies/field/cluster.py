"""Jobs, SLO tiers and the GPU cluster of the event-response LP.

A :class:`Job` holds GPUs for the whole horizon and carries a concave power-cap curve, an SLO
tier (minimum average throughput, :data:`FLEX_TIERS` of the Phoenix demonstration), an
objective weight and a restart cost; a :class:`Cluster` is the jobs on one GPU type plus the
metered power around them (server share per GPU, constant overhead), in kW. The LP over them is
:func:`dcflex.studies.field.event_response.plan_event`; :func:`pause_only_job` is a job under a
controller that pauses or resizes it but never caps it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from types import MappingProxyType

import numpy as np

from dcflex.errors import ScenarioError
from dcflex.workloads.gpus import GpuType
from dcflex.workloads.powercap import PowerCapCurve

W_PER_KW = 1e3

#: Minimum average throughput of each Flex tier of the Phoenix demonstration (Colangelo et al.
#: 2025, arXiv:2507.00909: Flex 0/1/2/3 tolerate 0/10/25/50 % throughput reduction; emerald-demo
#: Fig2_data.xlsx "Performance Data": Flexibility 0.9, 0.75, 0.5 for Flex 1, 2, 3).
FLEX_TIERS: Mapping[int, float] = MappingProxyType({0: 1.0, 1: 0.9, 2: 0.75, 3: 0.5})

#: Lowest power limit of an A100 SXM, W (``nvidia-smi -q``: "Min Power Limit 100 W"; the DVFS
#: sweep's lowest cap, emerald-demo dvfs_sweep.csv). Below it GPUs must pause.
A100_MIN_POWER_LIMIT_W = 100.0


@dataclass(frozen=True)
class Job:
    """One job (or job class) of the cluster.

    Parameters
    ----------
    name : str
        Unique label; schedule columns are ``<quantity>__<name>``.
    n_gpus : int
        GPUs the job holds for the whole horizon (> 0).
    curve : PowerCapCurve
        Concave power-cap curve (power axis: fraction of TDP of the cluster's GPU).
    min_throughput : float
        SLO tier: minimum average throughput fraction over the tier window, 0..1.
    weight : float, optional
        Objective weight (>= 0). Default ``min_throughput`` (the demonstration's weighting).
    restart_cost_min : float
        Minutes of full-throughput work lost per full restart after a pause (>= 0).
    min_cap_w : float
        Lowest power cap of a running GPU, W (A100: 100 W).
    """

    name: str
    n_gpus: int
    curve: PowerCapCurve
    min_throughput: float = 0.0
    weight: float | None = None
    restart_cost_min: float = 0.0
    min_cap_w: float = A100_MIN_POWER_LIMIT_W

    def __post_init__(self) -> None:
        where = f"job {self.name!r}"
        if not isinstance(self.name, str) or not self.name.strip():
            raise ScenarioError(f"must be a non-empty string, got {self.name!r}", field="job.name")
        if isinstance(self.n_gpus, bool) or not isinstance(self.n_gpus, int | np.integer) \
                or self.n_gpus < 1:
            raise ScenarioError(f"{where}: must be an integer >= 1, got {self.n_gpus!r}",
                                field="job.n_gpus")
        if not isinstance(self.curve, PowerCapCurve) or not self.curve.is_concave():
            raise ScenarioError(f"{where}: needs a concave PowerCapCurve", field="job.curve")
        if not 0.0 <= self.min_throughput <= 1.0:
            raise ScenarioError(f"{where}: must lie in [0, 1], got {self.min_throughput}",
                                field="job.min_throughput")
        if self.weight is not None and not (np.isfinite(self.weight) and self.weight >= 0):
            raise ScenarioError(f"{where}: must be finite and >= 0, got {self.weight}",
                                field="job.weight")
        if not (np.isfinite(self.restart_cost_min) and self.restart_cost_min >= 0):
            raise ScenarioError(f"{where}: must be >= 0 min, got {self.restart_cost_min}",
                                field="job.restart_cost_min")
        if not (np.isfinite(self.min_cap_w) and self.min_cap_w >= 0):
            raise ScenarioError(f"{where}: must be >= 0 W, got {self.min_cap_w}",
                                field="job.min_cap_w")

    @property
    def objective_weight(self) -> float:
        """Weight before normalization (``weight`` or the tier)."""
        return float(self.min_throughput if self.weight is None else self.weight)

    @property
    def saturation_fraction(self) -> float:
        """Power fraction of the uncapped job (where its curve reaches 1)."""
        return float(self.curve.saturation_power_fraction)


@dataclass(frozen=True)
class Cluster:
    """Jobs on one GPU type and the metered power around them.

    Parameters
    ----------
    jobs : sequence of Job
        Distinct names.
    gpu : GpuType
        TDP and idle power of every GPU; each job curve must start at this idle fraction.
    server_share_w : float
        Non-GPU power per GPU inside the metered boundary, W (catalog: server overhead /
        GPUs per server; 0 if the meter reads GPU board power only).
    overhead_kw : float
        Constant term, kW. A replay sets it to measured minus modeled baseline, so it can be
        negative (a calibration offset rather than a physical load).
    """

    jobs: tuple[Job, ...]
    gpu: GpuType
    server_share_w: float = 0.0
    overhead_kw: float = 0.0

    def __post_init__(self) -> None:
        jobs = tuple(self.jobs)
        object.__setattr__(self, "jobs", jobs)
        if not jobs:
            raise ScenarioError("needs at least one job", field="cluster.jobs")
        names = [j.name for j in jobs]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise ScenarioError(f"job names must be unique, repeated: {dup}", field="cluster.jobs")
        idle = self.gpu.idle_fraction
        for j in jobs:
            if abs(j.curve.idle_fraction - idle) > 1e-9:
                raise ScenarioError(
                    f"job {j.name!r}: curve starts at power fraction {j.curve.idle_fraction:.6g}"
                    f" but the GPU's idle fraction is {idle:.6g} (fit the curve for this GPU)",
                    field="job.curve",
                )
            if j.min_cap_w > self.gpu.tdp_w:
                raise ScenarioError(
                    f"job {j.name!r}: min_cap_w {j.min_cap_w} W exceeds TDP {self.gpu.tdp_w} W",
                    field="job.min_cap_w",
                )
        if not (np.isfinite(self.server_share_w) and self.server_share_w >= 0):
            raise ScenarioError(f"must be >= 0 W, got {self.server_share_w}",
                                field="cluster.server_share_w")
        if not np.isfinite(self.overhead_kw):
            raise ScenarioError(f"must be finite, got {self.overhead_kw}",
                                field="cluster.overhead_kw")

    @property
    def n_gpus(self) -> int:
        return int(sum(j.n_gpus for j in self.jobs))

    @property
    def static_kw(self) -> float:
        """Power that no decision changes: server share of every GPU plus overhead, kW."""
        return self.n_gpus * self.server_share_w / W_PER_KW + self.overhead_kw

    def job_power_kw(self, job: Job, gpu_power_fraction: float | np.ndarray) -> np.ndarray:
        """GPU power of one job at a mean power fraction, kW (server share not included)."""
        return job.n_gpus * np.asarray(gpu_power_fraction, dtype=float) * self.gpu.tdp_w / W_PER_KW

    def baseline_kw(self) -> float:
        """Cluster power with every job uncapped (at its saturation power), kW."""
        return float(self.static_kw + sum(
            float(self.job_power_kw(j, j.saturation_fraction)) for j in self.jobs))

    def floor_kw(self) -> float:
        """Cluster power with every GPU idle (every job paused), kW."""
        return float(self.static_kw + self.n_gpus * self.gpu.idle_w / W_PER_KW)

    def weights(self) -> dict[str, float]:
        """Objective weights normalized to sum 1.

        A job of weight 0 (tier 0 by default) gets 0.1 % of the largest weight, so its work
        still counts for something and the LP never idles it for nothing; equal weights if
        every weight is 0.
        """
        w = np.array([j.objective_weight for j in self.jobs])
        w = np.ones_like(w) if w.max() <= 0 else np.maximum(w, 1e-3 * w.max())
        return {j.name: float(v) for j, v in zip(self.jobs, w / w.sum(), strict=True)}


def pause_only_job(job: Job, tdp_w: float) -> Job:
    """The job under a controller that only pauses or resizes it, never caps it.

    Its GPUs run uncapped (at the curve's saturation power) or are paused, so a job running a
    share ``r`` of its GPUs draws its paused power plus ``r`` x the difference to its
    uncapped power, and delivers ``r`` x its throughput: the curve becomes the straight line
    from ``(idle, 0)`` to ``(saturation, 1)``, flat beyond, and the lowest power of a running
    GPU is its saturation power. Under the event-response LP a job's marginal loss per kW is
    then constant, so the LP drains the job of least tier weight per kW to its tier floor
    before touching the next, instead of spreading moderate caps over every job (it holds
    each at a share of its GPUs; in which order over time they pause is left open). This is
    the orchestrator's "checkpoint --stop" and "start ... gpus" without its "power_cap"
    (github.com/ai-emerald/emerald-ai-demo-may-2025, orchestrator_commands.py at 34403ae).
    ``tdp_w`` is the GPU's TDP, W (the curve's power axis is a fraction of it).
    """
    idle, sat = job.curve.idle_fraction, job.saturation_fraction
    points = [(idle, 0.0), (sat, 1.0)] + ([(1.0, 1.0)] if sat < 1.0 else [])
    curve = PowerCapCurve.from_points(points, name=f"{job.curve.name} (pause only)")
    return replace(job, curve=curve, min_cap_w=sat * tdp_w)
