"""Shared types of the operating policies: the site, the state, the window and the decisions.

:class:`Plant` is the static description of the site (parameters and the series known in
advance, as numpy arrays over the period), :class:`State` what the steps already operated leave
behind, :class:`Window` one re-plan with its forecasts and :class:`Decisions` what a policy
returns for the steps until the next re-plan. A policy is any object with
``plan(plant, state, window) -> Decisions``; the earliest-deadline-first helpers here are
shared by the rule-based policies.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from dcflex.model.prepared import Inputs

# ----------------------------------------------------------------------------- plain data


@dataclass(frozen=True)
class InferenceSpec:
    name: str
    idle_mw: float
    full_mw: float
    degradable_share: float


@dataclass(frozen=True)
class TrainingSpec:
    name: str
    idle_mw: float
    full_mw: float
    power_intercept_mw: float  # class power = intercept + slope x GPU power fraction
    power_slope_mw: float
    slopes: np.ndarray
    intercepts: np.ndarray
    min_throughput: float
    window_steps: int
    n_gpus: int
    value_usd_per_gpu_hour: float
    uncapped_mw: float  # power of uncapped running (where the curve saturates)

    def throughput(self, power_mw: np.ndarray) -> np.ndarray:
        """Throughput fraction at class power (the power-cap curve), 0..1."""
        y = (np.asarray(power_mw, dtype=float) - self.power_intercept_mw) / self.power_slope_mw
        x = np.min(self.slopes[:, None] * y[None, :] + self.intercepts[:, None], axis=0)
        return np.clip(x, 0.0, 1.0)

    def power_for(self, throughput: float) -> float:
        """Least class power delivering ``throughput`` (inverse of the concave curve), MW."""
        if throughput <= 0:
            return self.idle_mw
        pos = self.slopes > 1e-12
        y = float(np.max((throughput - self.intercepts[pos]) / self.slopes[pos]))
        return float(np.clip(self.power_intercept_mw + y * self.power_slope_mw, self.idle_mw,
                             self.full_mw))


@dataclass(frozen=True)
class BatchSpec:
    name: str
    n_gpus: int
    idle_mw: float
    per_gpu_mw: float
    release_step: np.ndarray  # first step each release may run
    end_step: np.ndarray  # first step it may no longer run (deadline)
    gpu_hours: np.ndarray


@dataclass(frozen=True)
class DrLayer:
    """Demand-response events that do not overlap, as per-step arrays over the period."""

    cap_mw: np.ndarray  # soft cap (inf outside soft events)
    penalty_usd_per_mwh: np.ndarray
    cbl_mw: np.ndarray  # customer baseline (on the twin's import) where paid, inf elsewhere
    payment_usd_per_mwh: np.ndarray


@dataclass
class Plant:
    """Static description of the site for the simulation, as numpy arrays over the period."""

    inputs: Inputs
    weights: dict[str, float]
    actual: dict[str, np.ndarray]
    inference: list[InferenceSpec]
    training: list[TrainingSpec]
    batch: list[BatchSpec]
    import_cap_mw: np.ndarray
    month_of_step: np.ndarray
    n_months: int
    demand_charges: list[tuple[float, np.ndarray]]
    dr_layers: list[DrLayer]
    bau_import_mw: np.ndarray

    @property
    def n_steps(self) -> int:
        return self.inputs.n_steps

    @property
    def dt(self) -> float:
        return self.inputs.step_hours

    @property
    def scenario(self):
        return self.inputs.scenario

    @property
    def battery(self):
        return self.inputs.scenario.battery

    @property
    def e0(self) -> float:
        b = self.battery
        return 0.0 if b is None else b.soc_initial_fraction * b.energy_mwh


def make_plant(inputs: Inputs, bau_import_mw: np.ndarray) -> Plant:
    """Collect what the simulation needs from prepared inputs (actual series).

    Demand-response events are planned against the customer baseline evaluated on the
    business-as-usual import (the site's own baseline days are partly in the future of a
    window); the stitched schedule is settled against its own baseline by the metrics. A site
    that cannot flex is not enrolled: only hard caps apply to it.
    """
    from dcflex.model.build import objective_weights
    from dcflex.model.components.events import can_flex, event_windows, import_cap_series
    from dcflex.model.components.tariff import billing_months, demand_charge_mask
    from dcflex.model.components.workload import curve_segments
    from dcflex.workloads.batch import release_windows

    scen = inputs.scenario
    T, dt = inputs.n_steps, inputs.step_hours
    wp = inputs.params["workload"]
    inference, training, batch = [], [], []
    for name, cls in scen.workload.classes.items():
        cp = wp["classes"][name]
        if cls.kind == "inference":
            inference.append(InferenceSpec(name, cp.idle_mw, cp.full_mw, cls.degradable_share))
        elif cls.kind == "training":
            s, c = curve_segments(cp.curve)
            training.append(TrainingSpec(
                name, cp.idle_mw, cp.full_mw, cp.power_intercept_mw, cp.power_slope_mw, s, c,
                cls.min_throughput, max(1, int(round(cls.window_h / dt))), cp.n_gpus,
                cls.value_usd_per_gpu_hour, cp.uncapped_mw))
        else:
            rel = wp["releases"][name]
            win = np.array(release_windows(rel, inputs.index), dtype=np.int64).reshape(-1, 2)
            batch.append(BatchSpec(name, cp.n_gpus, cp.idle_mw, cp.per_gpu_mw,
                                   win[:, 0], win[:, 1],
                                   rel["gpu_hours"].to_numpy(dtype=float)))
    cap = np.minimum(inputs.series["import_limit_mw"].to_numpy(dtype=float),
                     import_cap_series(inputs))
    if scen.grid.peak_not_above_baseline:
        from dcflex.model.components.grid import twin_monthly_peak_mw

        cap = np.minimum(cap, twin_monthly_peak_mw(inputs))
    layers: list[DrLayer] = []
    free: list[np.ndarray] = []  # steps used per layer
    enrolled = can_flex(scen)
    for w in event_windows(inputs, bau_import_mw):
        if len(w.steps) == 0:
            continue
        w_cap = w.cap_mw(bau_import_mw)
        cbl = w.baseline.of(bau_import_mw)
        if w.penalty_usd_per_mwh is None:
            cap[w.steps] = np.minimum(cap[w.steps], w_cap)
        if not enrolled or (w.penalty_usd_per_mwh is None and w.payment_usd_per_mwh <= 0):
            continue
        k = next((i for i, used in enumerate(free) if not used[w.steps].any()), None)
        if k is None:
            layers.append(DrLayer(np.full(T, np.inf), np.zeros(T), np.full(T, np.inf),
                                  np.zeros(T)))
            free.append(np.zeros(T, dtype=bool))
            k = len(layers) - 1
        free[k][w.steps] = True
        lay = layers[k]
        if w.penalty_usd_per_mwh is not None:
            lay.cap_mw[w.steps] = w_cap
            lay.penalty_usd_per_mwh[w.steps] = w.penalty_usd_per_mwh
        if w.payment_usd_per_mwh > 0:
            lay.cbl_mw[w.steps] = cbl
            lay.payment_usd_per_mwh[w.steps] = w.payment_usd_per_mwh
    local = inputs.local_index
    month_of_step, months = billing_months(local)
    charges = [(c.rate_usd_per_mw_month, demand_charge_mask(c, local))
               for c in scen.tariff.demand_charges]
    actual = {c: inputs.series[c].to_numpy(dtype=float) for c in inputs.series}
    if scen.ppa is not None:
        # on-site supply of the simulation: what a direct line delivers at the site; a virtual
        # or physical PPA supplies nothing behind the meter
        from dcflex.model.components.ppa import deliverable_mw

        if scen.ppa.kind == "direct_line":
            actual["ppa_contracted_mw"] = deliverable_mw(inputs)
        else:
            actual.pop("ppa_contracted_mw")
    return Plant(inputs, objective_weights(inputs), actual, inference, training, batch, cap,
                 np.asarray(month_of_step), len(months), charges, layers,
                 np.asarray(bau_import_mw, dtype=float))


@dataclass
class State:
    """What the operated steps leave behind for the next window.

    Attributes
    ----------
    step : int
        First step not yet operated.
    soc_mwh : float
        Battery state of charge, MWh.
    batch_remaining_gpu_hours : dict
        Per batch class, remaining work of each release, GPU-h.
    slo_delivered : dict
        Per training class, Σ throughput (fraction × steps) delivered in each SLO window.
    peaks_mw : numpy.ndarray
        (demand charge, billing month) peak import reached so far, MW.
    cfe_surplus_mw_steps : float
        Σ (matched clean supply − target × facility power) so far, MW·steps.
    """

    step: int
    soc_mwh: float
    batch_remaining_gpu_hours: dict[str, np.ndarray]
    slo_delivered: dict[str, np.ndarray]
    peaks_mw: np.ndarray
    cfe_surplus_mw_steps: float = 0.0

    @classmethod
    def initial(cls, plant: Plant) -> State:
        T = plant.n_steps
        return cls(
            step=0,
            soc_mwh=plant.e0,
            batch_remaining_gpu_hours={b.name: b.gpu_hours.copy() for b in plant.batch},
            slo_delivered={t.name: np.zeros(-(-T // t.window_steps)) for t in plant.training},
            peaks_mw=np.zeros((len(plant.demand_charges), plant.n_months)),
        )

    def backlog_gpu_hours(self, plant: Plant, name: str) -> float:
        """Work released before the current step and not done yet, GPU-h."""
        b = next(b for b in plant.batch if b.name == name)
        released = b.release_step < self.step
        return float(self.batch_remaining_gpu_hours[name][released].sum())


@dataclass
class Window:
    """One re-plan: steps ``start .. start + length - 1`` planned, the first ``n_apply`` applied.

    ``forecast`` maps every forecast column to its values over the window (issued at
    ``start``); series known in advance are read from ``Plant.actual``.
    """

    number: int
    start: int
    n_apply: int
    length: int
    forecast: dict[str, np.ndarray]

    def series(self, plant: Plant, column: str) -> np.ndarray:
        if column in self.forecast:
            return self.forecast[column]
        return plant.actual[column][self.start:self.start + self.length]


@dataclass
class Decisions:
    """Decisions for the ``n`` steps until the next re-plan (MW unless noted).

    ``batch_gpus`` maps a class to (release ids, GPUs running per release and step).
    ``inference_shed`` is the fraction of dynamic inference power shed (0..degradable share).
    ``onsite_use_mw`` optionally caps the on-site supply used (a plan that curtails on purpose,
    e.g. at negative prices); absent means use what is there. ``import_plan_mw``, if given,
    is the planned import: the real-time layer then guards the billing month's peak with the
    battery (see :mod:`dcflex.studies.operate.realtime`).
    """

    battery_charge_mw: np.ndarray
    battery_discharge_mw: np.ndarray
    training_power_mw: dict[str, np.ndarray]
    batch_gpus: dict[str, tuple[np.ndarray, np.ndarray]]
    inference_shed: dict[str, np.ndarray] = field(default_factory=dict)
    onsite_use_mw: dict[str, np.ndarray] = field(default_factory=dict)
    import_plan_mw: np.ndarray | None = None
    solve_seconds: float = 0.0
    iterations: int = 0
    planned_objective: float = float("nan")  # of the whole window, without constant terms
    new_structure: bool = False


# ----------------------------------------------------------------------------- heuristics


def edf_allocate(rem: np.ndarray, release: np.ndarray, end: np.ndarray, ids: np.ndarray,
                 t: int, gpus: float, dt: float) -> np.ndarray:
    """GPUs given to each release in ``ids`` at step ``t``: earliest deadline first, ``gpus``
    in total, no more than a release's remaining work. Updates ``rem`` in place."""
    out = np.zeros(len(ids))
    order = np.argsort(end[ids], kind="stable")
    free = gpus
    for k in order:
        j = ids[k]
        if free <= 0:
            break
        if release[j] > t or end[j] <= t or rem[j] <= 1e-12:
            continue
        g = min(free, rem[j] / dt)
        out[k] = g
        rem[j] -= g * dt
        free -= g
    return out


def must_run_gpus(rem: np.ndarray, release: np.ndarray, end: np.ndarray, t: int,
                  n_gpus: int, dt: float, known_until: int | None = None) -> float:
    """GPUs needed at step ``t`` so that released work can still meet every deadline running
    flat out afterwards (earliest-deadline-first latest start), 0..n_gpus.

    ``known_until``: work arriving before this step is counted too (arrivals known in the
    look-ahead compete for the same GPUs before their deadlines); default: released work."""
    seen = t + 1 if known_until is None else max(t + 1, known_until)
    act = np.flatnonzero((release < seen) & (end > t) & (rem > 1e-12))
    if len(act) == 0:
        return 0.0
    order = act[np.argsort(end[act], kind="stable")]
    cum = np.cumsum(rem[order])
    after = (end[order] - t - 1) * n_gpus * dt  # capacity after this step up to each deadline
    need = float(np.max(cum - after)) / dt
    return float(np.clip(need, 0.0, n_gpus))


def _active_releases(b: BatchSpec, start: int, stop: int) -> np.ndarray:
    return np.flatnonzero((b.release_step < stop) & (b.end_step > start))


def timed_plan(policy, plant: Plant, state: State, window: Window) -> tuple[Decisions, float]:
    """Run a policy's plan and return it with its wall time, s."""
    t0 = time.perf_counter()
    dec = policy.plan(plant, state, window)
    return dec, time.perf_counter() - t0
