"""Workload component: GPU fleet → IT power, for inference, training and batch classes.

Classes (each on its own dedicated servers):

* inference — must-serve; IT power follows GPU utilization. A ``degradable_share`` of the
  dynamic power may be shed at a penalty per MWh not served.
* training — GPU power fraction ``y`` per step between idle and 1 (power capping; idle =
  paused); throughput ``x <= f(y)`` with ``f`` the concave piecewise-linear power-cap curve,
  written as one row per segment (the hypograph). The SLO tier is a floor on the average of
  ``x`` over each window; every delivered unit of throughput has a value (USD per GPU-hour).
  Pausing and resuming cost nothing here (a restart cost would need integer variables, or
  an LP relaxation of them, on every hourly step); the minute-level event planner
  (:mod:`dcflex.studies.field.event_response`) charges restarts, and the SLO floor bounds how much
  pausing
  a window can hold.
* batch — GPU-hours that arrive at times with deadlines. ``g_j[t]`` GPUs run release ``j``
  in step ``t`` inside its window; Σ_t g_j[t] Δt = W_j exactly (shifting moves work, it does
  not delete it) and Σ_j g_j[t] <= GPUs of the class. The releases and the block live in
  :mod:`~dcflex.model.components.workload_batch` (a cumulative form, exact and much smaller,
  when deadlines follow arrivals).

Server power = non-GPU power (an idle part plus a part following the GPUs' load) + network and
storage share (constant) + GPU power; idle GPUs draw idle power (:mod:`dcflex.workloads.gpus`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp

from dcflex.data.series import SeriesContext
from dcflex.errors import ScenarioError
from dcflex.model.components.workload_batch import add_batch_work, releases_frame
from dcflex.model.lp import ModelBuilder
from dcflex.model.prepared import Inputs, Prepared
from dcflex.scenario import BatchClass, InferenceClass, Scenario, TrainingClass
from dcflex.workloads.gpus import servers_for_it_mw
from dcflex.workloads.powercap import upper_concave_hull

NAME = "workload"
W_TO_MW = 1e-6

# Family used when a training class names no curve: the concave fit of the pre-training
# workloads of the Emerald AI / NVIDIA DVFS sweep (Colangelo et al. 2025, arXiv:2507.00909),
# see :data:`dcflex.workloads.powercap.FAMILY_POINTS`. The fits were made on A100s (400 W);
# on another GPU type the curve is kept in fractions of TDP and re-anchored at that GPU's
# idle fraction (:func:`curve_for_gpu`) — an assumption, since DVFS behaviour differs by chip.
DEFAULT_CURVE_FAMILY = "pretraining"


@dataclass(frozen=True)
class ClassParams:
    """Static power parameters of one workload class (MW unless noted).

    Class power is affine in the GPUs' power fraction ``y`` (of TDP):
    ``P = power_intercept_mw + power_slope_mw * y`` between ``idle_mw`` (every GPU idle) and
    ``full_mw`` (every GPU at TDP): the non-GPU part follows the GPUs' load
    (:mod:`dcflex.workloads.gpus`), network and storage are constant.
    """

    name: str
    kind: str
    n_servers: int
    n_gpus: int
    overhead_idle_mw: float
    overhead_full_mw: float
    gpu_idle_mw: float
    gpu_tdp_mw: float
    curve: tuple[tuple[float, float], ...] | None = None

    @property
    def idle_mw(self) -> float:
        """Class power with every GPU idle, MW."""
        return self.overhead_idle_mw + self.gpu_idle_mw

    @property
    def full_mw(self) -> float:
        """Class power with every GPU at TDP, MW."""
        return self.overhead_full_mw + self.gpu_tdp_mw

    @property
    def per_gpu_mw(self) -> float:
        """Class power added by one GPU going from idle to TDP (with its non-GPU share), MW."""
        return (self.full_mw - self.idle_mw) / self.n_gpus

    @property
    def power_slope_mw(self) -> float:
        """Class power per unit of GPU power fraction, MW."""
        return (self.full_mw - self.idle_mw) / (1.0 - self.gpu_idle_mw / self.gpu_tdp_mw)

    @property
    def power_intercept_mw(self) -> float:
        """Class power extrapolated to GPU power fraction 0, MW."""
        return self.full_mw - self.power_slope_mw

    @property
    def uncapped_mw(self) -> float:
        """Class power of uncapped training, MW: GPUs draw the least power that gives full
        throughput (measured uncapped draw is below TDP; the fitted curves saturate there)."""
        if self.curve is None:
            return self.full_mw
        saturation = min(p for p, x in self.curve if x >= 1.0 - 1e-9)
        return self.power_intercept_mw + self.power_slope_mw * saturation


def curve_for_gpu(points: Sequence[Sequence[float]], idle_fraction: float
                  ) -> tuple[tuple[float, float], ...]:
    """Anchor a curve at this GPU's idle fraction (paused: idle power, no work); keep it concave.

    Parameters
    ----------
    points : sequence of (power fraction of TDP, throughput fraction)
    idle_fraction : float
        Idle power / TDP of the fleet's GPU.
    """
    pts = np.array([(float(p), float(x)) for p, x in points if p > idle_fraction + 1e-9])
    p, x = upper_concave_hull(pts[:, 0], pts[:, 1], idle_fraction)
    return tuple(zip(p.tolist(), x.tolist(), strict=True))


def curve_segments(curve: Sequence[Sequence[float]]) -> tuple[np.ndarray, np.ndarray]:
    """Slopes and intercepts of the segments: x <= slope_k · y + intercept_k for all k."""
    p = np.array([c[0] for c in curve])
    x = np.array([c[1] for c in curve])
    slopes = np.diff(x) / np.diff(p)
    intercepts = x[:-1] - slopes * p[:-1]
    return slopes, intercepts


def _gpu(scenario: Scenario):
    from dataclasses import replace

    from dcflex.workloads.gpus import gpu_type

    spec = scenario.workload.gpu
    try:
        gpu = gpu_type(spec if isinstance(spec, str) else spec.model_dump())
    except ScenarioError:
        raise
    except (KeyError, ValueError) as exc:
        raise ScenarioError(str(exc), file=scenario.source_file, field="workload.gpu") from None
    share = scenario.workload.network_storage_fraction
    return gpu if share is None else replace(gpu, network_storage_fraction=share)


def design_it_mw(scenario: Scenario) -> float:
    """IT power of the whole fleet with every GPU at TDP (network and storage included), MW."""
    gpu = _gpu(scenario)
    per_server = gpu.server_max_w + gpu.network_storage_w
    servers = sum(c.servers if c.servers is not None else servers_for_it_mw(c.it_mw, gpu)
                  for c in scenario.workload.classes.values())
    return servers * per_server * W_TO_MW


def _resolve_curve(cls: TrainingClass, name: str, scenario: Scenario):
    if isinstance(cls.curve, str):
        from dcflex.workloads.powercap import builtin_family_points

        family = DEFAULT_CURVE_FAMILY if cls.curve == "default" else cls.curve
        try:
            return builtin_family_points(family)
        except KeyError as exc:
            raise ScenarioError(
                str(exc), file=scenario.source_file, field=f"workload.classes.{name}.curve"
            ) from None
    pts = sorted(cls.curve)
    field = f"workload.classes.{name}.curve"
    if abs(pts[-1][0] - 1) > 1e-9 or abs(pts[-1][1] - 1) > 1e-9:
        raise ScenarioError(f"must end at [1, 1], got {list(pts[-1])}",
                            file=scenario.source_file, field=field)
    slopes, _ = curve_segments(pts)
    if np.any(np.diff(slopes) > 1e-9) or np.any(slopes < 0):
        raise ScenarioError("must be increasing and concave (slopes non-increasing)",
                            file=scenario.source_file, field=field)
    return tuple(pts)


def inference_utilization(cls: InferenceClass, name: str, ctx: SeriesContext) -> pd.Series:
    """GPU utilization per step (fraction) from a series, the Azure trace or the generator.

    Trace and generator shapes have mean 1; they are scaled to the mean utilization and
    clipped at full utilization (a clipped peak is reported in the series' maximum).
    """
    field = f"workload.classes.{name}"
    if cls.utilization is not None:
        return ctx.resolve(cls.utilization, f"{field}.utilization", "fraction", lo=0.0, hi=1.0)
    if cls.azure_trace is not None:
        from dcflex.data.series import resolve_data_path
        from dcflex.workloads.traces import inference_shape, read_azure_llm, token_rate_per_minute

        tr = cls.azure_trace
        rate = token_rate_per_minute(*[read_azure_llm(resolve_data_path(f)) for f in tr.files])
        shape = inference_shape(ctx.index, rate, ctx.timezone, seed=tr.seed)
        util = tr.mean_utilization * shape
    else:
        from dcflex.workloads.synthetic import synthetic_inference_profile

        syn = cls.synthetic
        util = synthetic_inference_profile(ctx.index, syn.mean_utilization, syn.peak_to_mean,
                                           syn.seed, tz=ctx.timezone)
    return util.clip(upper=1.0).rename(f"{field}.utilization")


def _servers(it_mw: float, gpu, name: str, ctx: SeriesContext) -> int:
    """Servers of a class sized in IT MW (:func:`~dcflex.workloads.gpus.servers_for_it_mw`)."""
    try:
        return servers_for_it_mw(it_mw, gpu)
    except ScenarioError as exc:
        raise ScenarioError(exc.message, file=ctx.file,
                            field=f"workload.classes.{name}.it_mw") from None


def prepare(scenario: Scenario, ctx: SeriesContext) -> Prepared:
    """IT demand series of inference classes and the static parameters of every class."""
    gpu = _gpu(scenario)
    out = Prepared(params={"classes": {}, "releases": {}})
    for name, cls in scenario.workload.classes.items():
        n_servers = cls.servers if cls.servers is not None else _servers(cls.it_mw, gpu, name,
                                                                         ctx)
        n_gpus = n_servers * gpu.gpus_per_server
        curve = None
        if isinstance(cls, TrainingClass):
            steps = cls.window_h / ctx.step_hours
            if abs(steps - round(steps)) > 1e-9:
                raise ScenarioError(
                    f"the SLO window must be a whole number of {scenario.period.step} steps, "
                    f"got {cls.window_h:g} h", file=ctx.file,
                    field=f"workload.classes.{name}.window_h")
            # every curve ends at (1, 1) (validated), above any GPU's idle fraction
            curve = curve_for_gpu(_resolve_curve(cls, name, scenario), gpu.idle_w / gpu.tdp_w)
        params = ClassParams(
            name=name,
            kind=cls.kind,
            n_servers=n_servers,
            n_gpus=n_gpus,
            overhead_idle_mw=n_servers * (gpu.server_overhead_idle_w
                                            + gpu.network_storage_w) * W_TO_MW,
            overhead_full_mw=n_servers * (gpu.server_overhead_w
                                            + gpu.network_storage_w) * W_TO_MW,
            gpu_idle_mw=n_gpus * gpu.idle_w * W_TO_MW,
            gpu_tdp_mw=n_gpus * gpu.tdp_w * W_TO_MW,
            curve=curve,
        )
        out.params["classes"][name] = params
        if isinstance(cls, InferenceClass):
            util = inference_utilization(cls, name, ctx)
            demand = params.idle_mw + (params.full_mw - params.idle_mw) * util
            out.series[f"inference_demand_mw__{name}"] = (demand, "MW")
        elif isinstance(cls, BatchClass):
            out.params["releases"][name] = releases_frame(cls, name, ctx, n_gpus)
    return out


def add_block(builder: ModelBuilder, inputs: Inputs) -> None:
    """Add per-class IT power variables, their constraints and the ``it_power_mw`` total."""
    T, dt = builder.n_steps, builder.step_hours
    scenario = inputs.scenario
    p = inputs.params[NAME]
    class_vars = []
    for name, cls in scenario.workload.classes.items():
        cp: ClassParams = p["classes"][name]
        if isinstance(cls, InferenceClass):
            demand = inputs.series[f"inference_demand_mw__{name}"].to_numpy()
            dyn = demand - cp.idle_mw
            lb = cp.idle_mw + (1 - cls.degradable_share) * dyn
            v = builder.add_variables(f"inference_it_mw__{name}", lb=lb, ub=demand)
            if cls.degradable_share > 0:
                pen = cls.degradation_penalty_usd_per_mwh * dt
                builder.add_objective("cost_usd", v, -pen)
                builder.add_constant("cost_usd", pen * float(demand.sum()))
            class_vars.append(v)
        elif isinstance(cls, TrainingClass):
            v = builder.add_variables(f"training_it_mw__{name}", lb=cp.idle_mw, ub=cp.full_mw)
            x = builder.add_variables(f"training_throughput__{name}", lb=0.0, ub=1.0,
                                      unit="fraction")
            slopes, intercepts = curve_segments(cp.curve)
            # y = (p - a) / b ; x - s y <= c  <=>  x - (s/b) p <= c - s a / b
            b, a = cp.power_slope_mw, cp.power_intercept_mw
            for k, (s, c) in enumerate(zip(slopes, intercepts, strict=True)):
                builder.add_constraints(
                    f"training_curve__{name}__{k}", [(x, 1.0), (v, -s / b)],
                    ub=c - s * a / b,
                )
            w = max(1, int(round(cls.window_h / dt)))
            starts = np.arange(0, T, w)
            if cls.min_throughput > 0:
                rows = np.repeat(np.arange(len(starts)), np.diff(np.append(starts, T)))
                M = sp.csr_matrix((np.ones(T), (rows, np.arange(T))), shape=(len(starts), T))
                lengths = np.diff(np.append(starts, T))
                builder.add_constraints(f"training_slo__{name}", [(x, M)],
                                        lb=cls.min_throughput * lengths)
            builder.add_objective("value_usd", x, cls.value_usd_per_gpu_hour * cp.n_gpus * dt)
            class_vars.append(v)
        else:
            g, per_step = add_batch_work(builder, inputs, name, cp.n_gpus)
            v = builder.add_variables(f"batch_it_mw__{name}", lb=cp.idle_mw, ub=cp.full_mw)
            # class power = idle + (full - idle) per running GPU; running GPUs <= class GPUs
            builder.add_constraints(f"batch_power__{name}",
                                    [(v, 1.0), (g, -cp.per_gpu_mw * per_step)],
                                    lb=cp.idle_mw, ub=cp.idle_mw)
            class_vars.append(v)
    it = builder.add_variables("it_power_mw", lb=0.0)
    builder.add_constraints("it_power_sum", [(it, 1.0)] + [(v, -1.0) for v in class_vars],
                            lb=0.0, ub=0.0)
