"""Operating policies for the rolling-horizon simulation: baseline, threshold and MPC.

A policy sees, at each re-plan, the site (:class:`Plant`: static parameters and the series
known in advance), the state carried from the steps already operated (:class:`State`) and the
forecasts of the look-ahead window (:class:`Window`); it returns decisions for the steps until
the next re-plan (:class:`Decisions`). :func:`dcflex.studies.operate.simulate.simulate` applies
them to the
actual series; every policy goes through the same application and accounting.

``mpc`` builds the window LP from the core components once per window *structure* and then
only changes costs, bounds, right-hand sides and the PUE / grid-CFE coefficients of the same
``highspy.Highs`` object, which keeps its basis (warm start). The structure of a window is its
length, the alignment of training SLO windows and the step ranges of batch releases inside
it; for daily re-plans a handful of structures recur all year.

What the window LP carries over, and what it approximates (stated because it moves answers):

* battery: the initial state of charge is the one reached; each window ends with at least the
  scenario's initial charge (the core's end condition; conservative for inner windows).
* batch: each release's remaining GPU-hours. A release whose deadline lies beyond the window
  must do at least its pro-rata share inside (remaining × visible steps / steps left to its
  deadline) and may do all of it.
* training SLO: throughput already delivered in the current SLO window counts; an SLO window
  reaching beyond the look-ahead needs its pro-rata share of what is left (at least what
  could not be done afterwards at full speed).
* demand charges: each billing month's peak column has the peak already reached as lower
  bound, so a later window neither pays it again nor plans below it; months that start inside
  the window start at zero (exact, not an approximation).
* hourly CFE target: the surplus or deficit so far is spread pro-rata over the rest of the
  period.
* demand response: events are known in advance; the business-as-usual reference import of a
  ``reduce_to_fraction`` event is the one computed from actual data.
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import scipy.sparse as sp

from dcflex.errors import InfeasibleError
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
    overhead_mw: float
    gpu_tdp_mw: float
    slopes: np.ndarray
    intercepts: np.ndarray
    min_throughput: float
    window_steps: int
    n_gpus: int
    value_usd_per_gpu_hour: float
    uncapped_mw: float  # power of uncapped running (where the curve saturates)

    def throughput(self, power_mw: np.ndarray) -> np.ndarray:
        """Throughput fraction at class power (the power-cap curve), 0..1."""
        y = (np.asarray(power_mw, dtype=float) - self.overhead_mw) / self.gpu_tdp_mw
        x = np.min(self.slopes[:, None] * y[None, :] + self.intercepts[:, None], axis=0)
        return np.clip(x, 0.0, 1.0)

    def power_for(self, throughput: float) -> float:
        """Least class power delivering ``throughput`` (inverse of the concave curve), MW."""
        if throughput <= 0:
            return self.idle_mw
        pos = self.slopes > 1e-12
        y = float(np.max((throughput - self.intercepts[pos]) / self.slopes[pos]))
        return float(np.clip(self.overhead_mw + y * self.gpu_tdp_mw, self.idle_mw,
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
    reduction_ub_mw: np.ndarray  # business-as-usual import where paid, else 0
    reduction_row_ub_mw: np.ndarray  # same, inf where not paid
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
    """Collect what the simulation needs from prepared inputs (actual series)."""
    from dcflex.model.build import objective_weights
    from dcflex.model.components.events import event_windows, import_cap_series
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
                name, cp.idle_mw, cp.full_mw, cp.overhead_mw, cp.gpu_tdp_mw, s, c,
                cls.min_throughput, max(1, int(round(cls.window_h / dt))), cp.n_gpus,
                cls.value_usd_per_gpu_hour, cp.uncapped_mw))
        else:
            rel = wp["releases"][name]
            win = np.array(release_windows(rel, inputs.index), dtype=np.int64).reshape(-1, 2)
            batch.append(BatchSpec(name, cp.n_gpus, cp.idle_mw,
                                   (cp.gpu_tdp_mw - cp.gpu_idle_mw) / cp.n_gpus,
                                   win[:, 0], win[:, 1],
                                   rel["gpu_hours"].to_numpy(dtype=float)))
    cap = np.minimum(inputs.series["import_limit_mw"].to_numpy(dtype=float),
                     import_cap_series(inputs))
    layers: list[DrLayer] = []
    free: list[np.ndarray] = []  # steps used per layer
    for w in event_windows(inputs, bau_import_mw):
        if len(w.steps) == 0:
            continue
        if w.penalty_usd_per_mwh is None:
            cap[w.steps] = np.minimum(cap[w.steps], w.cap_mw)
        if w.penalty_usd_per_mwh is None and w.payment_usd_per_mwh <= 0:
            continue
        k = next((i for i, used in enumerate(free) if not used[w.steps].any()), None)
        if k is None:
            layers.append(DrLayer(np.full(T, np.inf), np.zeros(T), np.zeros(T),
                                  np.full(T, np.inf), np.zeros(T)))
            free.append(np.zeros(T, dtype=bool))
            k = len(layers) - 1
        free[k][w.steps] = True
        lay = layers[k]
        if w.penalty_usd_per_mwh is not None:
            lay.cap_mw[w.steps] = w.cap_mw
            lay.penalty_usd_per_mwh[w.steps] = w.penalty_usd_per_mwh
        if w.payment_usd_per_mwh > 0:
            lay.reduction_ub_mw[w.steps] = bau_import_mw[w.steps]
            lay.reduction_row_ub_mw[w.steps] = bau_import_mw[w.steps]
            lay.payment_usd_per_mwh[w.steps] = w.payment_usd_per_mwh
    local = inputs.local_index
    month_of_step, months = billing_months(local)
    charges = [(c.rate_usd_per_mw_month, demand_charge_mask(c, local))
               for c in scen.tariff.demand_charges]
    actual = {c: inputs.series[c].to_numpy(dtype=float) for c in inputs.series}
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
    battery (see :mod:`dcflex.studies.operate.simulate`).
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
                  n_gpus: int, dt: float) -> float:
    """GPUs needed at step ``t`` so that released work can still meet every deadline running
    flat out afterwards (earliest-deadline-first latest start), 0..n_gpus."""
    act = np.flatnonzero((release <= t) & (end > t) & (rem > 1e-12))
    if len(act) == 0:
        return 0.0
    order = act[np.argsort(end[act], kind="stable")]
    cum = np.cumsum(rem[order])
    after = (end[order] - t - 1) * n_gpus * dt  # capacity after this step up to each deadline
    need = float(np.max(cum - after)) / dt
    return float(np.clip(need, 0.0, n_gpus))


def _active_releases(b: BatchSpec, start: int, stop: int) -> np.ndarray:
    return np.flatnonzero((b.release_step < stop) & (b.end_step > start))


class BaselinePolicy:
    """Business-as-usual: inference as demanded, training at full power, batch as soon as
    released (earliest deadline first), battery idle. Needs no forecast; equal to
    :func:`dcflex.model.twin.baseline_schedule` when run through the simulation."""

    name = "baseline"

    def plan(self, plant: Plant, state: State, window: Window) -> Decisions:
        s, n, dt = window.start, window.n_apply, plant.dt
        batch = {}
        for b in plant.batch:
            ids = _active_releases(b, s, s + n)
            rem = state.batch_remaining_gpu_hours[b.name].copy()
            g = np.zeros((len(ids), n))
            for k in range(n):
                g[:, k] = edf_allocate(rem, b.release_step, b.end_step, ids, s + k, b.n_gpus, dt)
            batch[b.name] = (ids, g)
        return Decisions(np.zeros(n), np.zeros(n),
                         {t.name: np.full(n, t.uncapped_mw) for t in plant.training}, batch)


@dataclass
class ThresholdPolicy:
    """Rule-based operation on the window's forecast.

    Steps whose forecast signal (price, or carbon intensity of the objective's basis) lies
    above the ``high_percentile`` of the look-ahead window defer batch work (only what is
    needed to still meet deadlines runs), cap training at the power that just meets its SLO
    floor (idle if there is none) when ``throttle_training``, and discharge the battery (not
    beyond the site's own import). Steps at or below the ``low_percentile`` charge it (within
    the import limit). Otherwise work runs as soon as released at full power. In the last
    window the battery is not discharged below its initial charge.
    """

    signal: str = "price"
    high_percentile: float = 75.0
    low_percentile: float = 25.0
    throttle_training: bool = True
    name: str = "threshold"

    def __post_init__(self) -> None:
        from dcflex.errors import ScenarioError

        if self.signal not in ("price", "carbon"):
            raise ScenarioError(f"threshold signal must be 'price' or 'carbon', got "
                                f"{self.signal!r}", field="policy.signal")
        if not 0 <= self.low_percentile <= self.high_percentile <= 100:
            raise ScenarioError("percentiles must satisfy 0 <= low <= high <= 100, got "
                                f"{self.low_percentile}, {self.high_percentile}",
                                field="policy.percentile")

    def _signal(self, plant: Plant, window: Window) -> np.ndarray:
        if self.signal == "price":
            return window.series(plant, "energy_price_usd_per_mwh")
        basis = plant.scenario.optimization.emissions_basis
        col = "carbon_avg_kg_per_mwh" if basis == "average" else "carbon_marginal_kg_per_mwh"
        return window.series(plant, col)

    def plan(self, plant: Plant, state: State, window: Window) -> Decisions:
        s, n, dt = window.start, window.n_apply, plant.dt
        sig = self._signal(plant, window)
        hi_thr = np.percentile(sig, self.high_percentile)
        lo_thr = np.percentile(sig, self.low_percentile)
        high = sig[:n] > hi_thr
        low = sig[:n] <= lo_thr
        training = {}
        for t in plant.training:
            floor = t.power_for(t.min_throughput) if self.throttle_training else t.uncapped_mw
            training[t.name] = np.where(high, floor, t.uncapped_mw)
        batch, it = {}, np.zeros(n)
        for b in plant.batch:
            ids = _active_releases(b, s, s + n)
            rem = state.batch_remaining_gpu_hours[b.name].copy()
            g = np.zeros((len(ids), n))
            for k in range(n):
                want = b.n_gpus
                if high[k]:
                    want = must_run_gpus(rem, b.release_step, b.end_step, s + k, b.n_gpus, dt)
                g[:, k] = edf_allocate(rem, b.release_step, b.end_step, ids, s + k, want, dt)
            batch[b.name] = (ids, g)
            it += b.idle_mw + b.per_gpu_mw * g.sum(axis=0)
        for t in plant.training:
            it += training[t.name]
        for c in plant.inference:
            it += window.series(plant, f"inference_demand_mw__{c.name}")[:n]
        ch, dis = np.zeros(n), np.zeros(n)
        bat = plant.battery
        if bat is not None:
            fac = window.series(plant, "pue")[:n] * it + plant.scenario.facility.fixed_overhead_mw
            onsite = sum((window.series(plant, c)[:n] for c in
                          ("pv_available_mw", "wind_available_mw", "ppa_contracted_mw")
                          if c in plant.actual), np.zeros(n))
            net = fac - onsite
            cap = plant.import_cap_mw[s:s + n]
            last = s + window.length >= plant.n_steps
            soc = state.soc_mwh
            lo = bat.soc_min_fraction * bat.energy_mwh
            soc_floor = max(lo, plant.e0) if last else lo
            hi = bat.soc_max_fraction * bat.energy_mwh
            for k in range(n):
                if high[k]:
                    d = min(bat.power_mw, max(0.0, net[k]),
                            max(0.0, soc - soc_floor) * bat.discharge_efficiency / dt)
                    dis[k] = d
                    soc -= d * dt / bat.discharge_efficiency
                elif low[k]:
                    c = min(bat.power_mw, max(0.0, cap[k] - max(net[k], 0.0)),
                            max(0.0, hi - soc) / (bat.charge_efficiency * dt))
                    ch[k] = c
                    soc += c * dt * bat.charge_efficiency
        return Decisions(ch, dis, training, batch)


# ----------------------------------------------------------------------------- MPC


# Matrix coefficients that are input series: (row block, column block, sign, series). Row t of
# the block has ``sign × series[t]`` in column t of the column block.
COUPLED = (
    ("facility_power_def", "it_power_mw", -1.0, "pue"),
    ("cfe_matched_le_clean", "grid_import_mw", -1.0, "grid_cfe_fraction"),
    ("cfe_matched_le_clean", "grid_export_mw", 1.0, "grid_cfe_fraction"),
)


@dataclass
class _Coupled:
    rows: np.ndarray
    cols: np.ndarray
    sign: float
    series: str
    now: np.ndarray


@dataclass
class _Template:
    """One window structure: its LP on a ``Highs`` object and where to write each update."""

    lp: object
    h: object
    length: int
    slo_rows: dict[str, list[tuple[int, int, int]]]  # class -> (SLO window k, r0, r1)
    batch_slots: dict[str, list[tuple[int, int]]]
    cost_idx: np.ndarray
    cost_const: np.ndarray
    colb_idx: np.ndarray
    rowb_idx: np.ndarray
    coupled: list[_Coupled]
    batch_gather: dict[str, np.ndarray]
    uses: int = 0


def _probe(series: pd.DataFrame) -> pd.DataFrame:
    """Series altered everywhere (positive values stay positive, fractions move), to find
    what the LP reads from them."""
    return series * 0.75 + 0.125


def _template_scenario(scenario):
    """The scenario with the parts the simulation models itself removed from the core build:
    training SLO rows (re-added per window alignment), demand charges (re-added per billing
    month with the peak reached so far) and events (re-added as per-step bounds)."""
    from dcflex.scenario import Events

    classes = {
        name: cls.model_copy(update={"min_throughput": 0.0}) if cls.kind == "training" else cls
        for name, cls in scenario.workload.classes.items()
    }
    return scenario.model_copy(update={
        "workload": scenario.workload.model_copy(update={"classes": classes}),
        "tariff": scenario.tariff.model_copy(update={"demand_charges": []}),
        "events": Events(),
    })


class MpcPolicy:
    """Model-predictive control: solve the window LP on forecasts, apply the first interval.

    Parameters
    ----------
    month_slots : int
        Billing months a window can touch (peak columns per demand charge).
    """

    name = "mpc"

    def __init__(self, plant: Plant, month_slots: int, threads: int | None = None) -> None:
        self.plant = plant
        self.month_slots = max(1, int(month_slots))
        self.threads = threads
        self._templates: dict[tuple, _Template] = {}
        self._scenario = _template_scenario(plant.scenario)
        w = plant.weights
        self._w_cost = w.get("cost_usd", 0.0)
        self._w_avg = w.get("emissions_avg_t", 0.0)
        self._w_marg = w.get("emissions_marginal_t", 0.0)
        self.templates_built = 0
        self.last_lp = None  # the LP structure and Highs object of the last plan (inspection)
        self.last_highs = None

    # -- structure -----------------------------------------------------------------------

    def _slo_rows(self, t: TrainingSpec, s: int, L: int) -> list[tuple[int, int, int]]:
        w = t.window_steps
        rows = []
        for k in range(s // w, (s + L - 1) // w + 1):
            rows.append((k, max(k * w, s) - s, min((k + 1) * w, s + L) - s))
        return rows

    def _batch_slots(self, b: BatchSpec, s: int, L: int) -> tuple[np.ndarray, list]:
        ids = _active_releases(b, s, s + L)
        ra = np.maximum(b.release_step[ids], s) - s
        rb = np.minimum(b.end_step[ids], s + L) - s
        order = np.lexsort((ids, rb, ra))
        ids, ra, rb = ids[order], ra[order], rb[order]
        return ids, list(zip(ra.tolist(), rb.tolist(), strict=True))

    def _assemble(self, s: int, L: int, slots: dict[str, list], slo: dict[str, list],
                  series: pd.DataFrame):
        """The window LP: the core components on a template of the window, plus the SLO,
        billing-month peak and demand-response blocks the simulation re-adds."""
        from dcflex.model.components import COMPONENTS
        from dcflex.model.lp import ModelBuilder

        plant = self.plant
        inputs = plant.inputs
        idx = inputs.index[s:s + L]
        core_step = (idx[1] - idx[0]) if L > 1 else pd.Timedelta(hours=1)
        wp = dict(inputs.params["workload"])
        wp["releases"] = {
            name: pd.DataFrame({
                "release_utc": pd.DatetimeIndex([idx[a] for a, _ in sl], tz="UTC"),
                "deadline_utc": pd.DatetimeIndex([idx[b - 1] + core_step for _, b in sl],
                                                 tz="UTC"),
                "gpu_hours": np.zeros(len(sl)),
            })
            for name, sl in slots.items()
        }
        params = dict(inputs.params)
        params["workload"] = wp
        tin = dataclasses.replace(inputs, series=series, scenario=self._scenario, params=params)
        builder = ModelBuilder(idx, inputs.step_hours)
        for component in COMPONENTS:
            component.add_block(builder, tin)
        imp = builder.var("grid_import_mw")
        for t in plant.training:
            if t.name not in slo:
                continue
            rows = slo[t.name]
            r = np.concatenate([np.full(r1 - r0, i) for i, (_, r0, r1) in enumerate(rows)])
            c = np.concatenate([np.arange(r0, r1) for _, r0, r1 in rows])
            M = sp.csr_matrix((np.ones(len(c)), (r, c)), shape=(len(rows), L))
            builder.add_constraints(f"sim_slo__{t.name}",
                                    [(builder.var(f"training_throughput__{t.name}"), M)], lb=0.0)
        S = self.month_slots
        for i, (rate, _) in enumerate(plant.demand_charges):
            peak = builder.add_variables(f"sim_peak_mw__{i}", lb=0.0, size=S)
            pick = sp.vstack([sp.identity(L, format="csr")] * S, format="csr")
            spread = sp.kron(sp.identity(S, format="csr"), np.ones((L, 1)), format="csr")
            builder.add_constraints(f"sim_peak_def__{i}", [(imp, pick), (peak, -spread)],
                                    ub=np.inf, n_rows=S * L)
            builder.add_objective("cost_usd", peak, rate)
        dt = inputs.step_hours
        for k, lay in enumerate(plant.dr_layers):
            short = builder.add_variables(f"sim_dr_shortfall_mw__{k}", lb=0.0, ub=0.0)
            builder.add_constraints(f"sim_dr_cap__{k}", [(imp, 1.0), (short, -1.0)], ub=np.inf)
            builder.add_objective("cost_usd", short, lay.penalty_usd_per_mwh[s:s + L] * dt)
            red = builder.add_variables(f"sim_dr_reduction_mw__{k}", lb=0.0, ub=0.0)
            builder.add_constraints(f"sim_dr_reduction__{k}", [(red, 1.0), (imp, 1.0)],
                                    ub=np.inf)
            builder.add_objective("cost_usd", red, -lay.payment_usd_per_mwh[s:s + L] * dt)
        return builder.build(plant.weights)

    def _build(self, s: int, L: int, slots: dict[str, list], slo: dict[str, list]
               ) -> _Template:
        from dcflex.model.solve import make_highs

        plant = self.plant
        inputs = plant.inputs
        series = inputs.series.iloc[s:s + L]
        lp = self._assemble(s, L, slots, slo, series)
        h = make_highs(lp, threads=self.threads)
        B, R = lp.blocks, lp.row_blocks
        cost = [B["grid_import_mw"].cols]
        for name in ("grid_export_mw", "ppa_used_mw"):
            if name in B:
                cost.append(B[name].cols)
        for k, _ in enumerate(plant.dr_layers):
            cost += [B[f"sim_dr_shortfall_mw__{k}"].cols, B[f"sim_dr_reduction_mw__{k}"].cols]
        colb = [B[f"inference_it_mw__{c.name}"].cols for c in plant.inference]
        for name in ("pv_used_mw", "wind_used_mw", "ppa_used_mw"):
            if name in B:
                colb.append(B[name].cols)
        colb.append(B["grid_import_mw"].cols)
        if "battery_soc_mwh" in B:
            colb.append(B["battery_soc_mwh"].cols[-1:])
        for i, _ in enumerate(plant.demand_charges):
            colb.append(B[f"sim_peak_mw__{i}"].cols)
        for k, _ in enumerate(plant.dr_layers):
            colb += [B[f"sim_dr_shortfall_mw__{k}"].cols, B[f"sim_dr_reduction_mw__{k}"].cols]
        rowb = [np.zeros(0, np.int64)]
        if "battery_soc_dynamics" in R:
            rowb.append(np.array([R["battery_soc_dynamics"].start]))
        names = [f"batch_work__{b.name}" for b in plant.batch]
        names += [f"sim_slo__{t.name}" for t in plant.training if t.name in slo]
        names += [f"sim_peak_def__{i}" for i, _ in enumerate(plant.demand_charges)]
        for k, _ in enumerate(plant.dr_layers):
            names += [f"sim_dr_cap__{k}", f"sim_dr_reduction__{k}"]
        for nm in names:
            rowb.append(np.arange(R[nm].start, R[nm].start + R[nm].size))
        if "cfe_target" in R:
            rowb.append(np.array([R["cfe_target"].start]))
        gather = {}
        for b in plant.batch:
            g = np.full((len(slots[b.name]), L), -1, dtype=np.int64)
            off = B[f"batch_gpus__{b.name}"].start
            for j, (a, e) in enumerate(slots[b.name]):
                g[j, a:e] = np.arange(off, off + e - a)
                off += e - a
            gather[b.name] = g
        coupled = []
        for row_name, col_name, sign, col in COUPLED:
            if row_name in R and col_name in B:
                coupled.append(_Coupled(
                    np.arange(R[row_name].start, R[row_name].start + L), B[col_name].cols, sign,
                    col, series[col].to_numpy().copy()))

        def cat(parts):
            return np.ascontiguousarray(np.concatenate(parts), dtype=np.int32)

        cost_idx, colb_idx, rowb_idx = cat(cost), cat(colb), cat(rowb)
        if self.templates_built == 0:  # every structure comes from the same component code
            self._check_coverage(lp, self._assemble(s, L, slots, slo, _probe(series)),
                                 cost_idx, colb_idx, rowb_idx, coupled)
        self.templates_built += 1
        # what the core put on these columns beyond the series-dependent part (tie-breaks,
        # wear costs) stays; only the series-dependent part is rewritten per window
        sl = slice(s, s + L)
        const = lp.c[cost_idx] - self._cost_values(plant, lambda c: plant.actual[c][sl], sl, B)
        return _Template(lp, h, L, slo, slots, cost_idx, const, colb_idx, rowb_idx, coupled,
                         gather)

    @staticmethod
    def _check_coverage(lp, probe, cost_idx, colb_idx, rowb_idx, coupled) -> None:
        """Fail loudly if the window LP depends on an input series somewhere the per-window
        update does not write (a component changed): compare the LP built on the window's
        series with one built on altered series."""
        from dcflex.errors import SolverError

        def names(idx, blocks) -> str:
            out = {b.name for b in blocks.values() for i in idx[:20]
                   if b.start <= i < b.start + b.size}
            return ", ".join(sorted(out))

        problems = []
        for what, a, b, covered, blocks in (
            ("cost", lp.c, probe.c, cost_idx, lp.blocks),
            ("column bound", np.r_[lp.col_lb, lp.col_ub], np.r_[probe.col_lb, probe.col_ub],
             np.r_[colb_idx, colb_idx + lp.num_col], lp.blocks),
            ("row bound", np.r_[lp.row_lb, lp.row_ub], np.r_[probe.row_lb, probe.row_ub],
             np.r_[rowb_idx, rowb_idx + lp.num_row], lp.row_blocks),
        ):
            differs = np.flatnonzero(~np.isclose(a, b, rtol=0, atol=0, equal_nan=True))
            left = np.setdiff1d(differs, covered)
            if len(left):
                n = lp.num_col if blocks is lp.blocks else lp.num_row
                problems.append(f"{what} of {names(left % n, blocks)}")
        diff = (lp.A - probe.A).tocoo()
        nz = np.abs(diff.data) > 0
        known = set()
        for cp in coupled:
            known.update(zip(cp.rows.tolist(), cp.cols.tolist(), strict=True))
        rows = [r for r, c in zip(diff.row[nz].tolist(), diff.col[nz].tolist(), strict=True)
                if (r, c) not in known]
        if rows:
            problems.append(f"matrix rows of {names(np.array(rows), lp.row_blocks)}")
        if problems:
            raise SolverError(
                "the simulation does not know how these parts of the window LP depend on the "
                "input series: " + "; ".join(problems)
                + " (update dcflex.studies.operate.policies.MpcPolicy)")

    # -- per window ----------------------------------------------------------------------

    def plan(self, plant: Plant, state: State, window: Window) -> Decisions:
        from dcflex.model.solve import run_highs

        s, L = window.start, window.length
        slots, ids_of = {}, {}
        for b in plant.batch:
            ids_of[b.name], slots[b.name] = self._batch_slots(b, s, L)
        slo = {t.name: self._slo_rows(t, s, L) for t in plant.training if t.min_throughput > 0}
        key = (L, tuple((t.name, s % t.window_steps) for t in plant.training if t.name in slo),
               tuple((name, tuple(v)) for name, v in slots.items()))
        tpl = self._templates.get(key)
        new = tpl is None
        if new:
            tpl = self._templates[key] = self._build(s, L, slots, slo)
        self._update(tpl, plant, state, window, ids_of)
        h = tpl.h
        try:
            sol = run_highs(h, tpl.lp.num_col)
        except InfeasibleError:
            when = plant.inputs.index[s].tz_convert(plant.scenario.site.timezone)
            raise InfeasibleError([
                f"window from {when} ({L} steps): no plan meets the limits from the state "
                f"reached (battery {state.soc_mwh:.4g} MWh, backlog "
                + ", ".join(f"{b.name} {state.backlog_gpu_hours(plant, b.name):.6g} GPU-h"
                            for b in plant.batch) + ")"
            ]) from None
        tpl.uses += 1
        self.last_lp, self.last_highs = tpl.lp, tpl.h
        return self._decisions(tpl, sol, plant, window, ids_of, new)

    def _cost_values(self, plant: Plant, get, sl: slice, B) -> np.ndarray:
        """Series-dependent part of the costs of ``cost_idx`` (energy, carbon, export, PPA,
        demand-response), in the order of ``cost_idx``."""
        dt = plant.dt
        price = get("energy_price_usd_per_mwh")
        c_imp = self._w_cost * price * dt
        if self._w_avg:
            c_imp = c_imp + self._w_avg * get("carbon_avg_kg_per_mwh") * dt / 1e3
        if self._w_marg:
            c_imp = c_imp + self._w_marg * get("carbon_marginal_kg_per_mwh") * dt / 1e3
        cost = [c_imp]
        if "grid_export_mw" in B:
            cost.append(-self._w_cost * get("export_price_usd_per_mwh") * dt)
        if "ppa_used_mw" in B:
            cost.append(self._w_cost * get("wholesale_price_usd_per_mwh") * dt)
        for lay in plant.dr_layers:
            cost.append(self._w_cost * lay.penalty_usd_per_mwh[sl] * dt)
            cost.append(-self._w_cost * lay.payment_usd_per_mwh[sl] * dt)
        return np.concatenate(cost)

    def _update(self, tpl: _Template, plant: Plant, state: State, window: Window,
                ids_of: dict[str, np.ndarray]) -> None:
        s, L, dt = window.start, window.length, plant.dt
        sl = slice(s, s + L)
        h = tpl.h
        B = tpl.lp.blocks
        get = window.forecast.get
        cost_v = tpl.cost_const + self._cost_values(
            plant, lambda c: get(c) if c in window.forecast else plant.actual[c][sl], sl, B)
        h.changeColsCost(len(tpl.cost_idx), tpl.cost_idx, cost_v)

        lbs, ubs = [], []
        for c in plant.inference:
            d = window.series(plant, f"inference_demand_mw__{c.name}")
            lbs.append(c.idle_mw + (1 - c.degradable_share) * (d - c.idle_mw))
            ubs.append(d)
        for name, col in (("pv_used_mw", "pv_available_mw"), ("wind_used_mw",
                                                              "wind_available_mw"),
                          ("ppa_used_mw", "ppa_contracted_mw")):
            if name in B:
                lbs.append(np.zeros(L))
                ubs.append(window.series(plant, col))
        lbs.append(np.zeros(L))
        ubs.append(plant.import_cap_mw[sl])
        bat = plant.battery
        if bat is not None:
            soc_lb = bat.soc_min_fraction * bat.energy_mwh
            reach = state.soc_mwh + bat.charge_efficiency * bat.power_mw * dt * L
            lbs.append(np.array([min(max(soc_lb, plant.e0), reach)]))
            ubs.append(np.array([bat.soc_max_fraction * bat.energy_mwh]))
        S = self.month_slots
        m0 = plant.month_of_step[s]
        month_rel = plant.month_of_step[sl] - m0
        months = m0 + np.arange(S)
        for i, _ in enumerate(plant.demand_charges):
            have = months < plant.n_months
            lb = np.zeros(S)
            lb[have] = state.peaks_mw[i, months[have]]
            lbs.append(lb)
            ubs.append(np.full(S, np.inf))
        for lay in plant.dr_layers:
            lbs += [np.zeros(L), np.zeros(L)]
            ubs += [np.where(np.isfinite(lay.cap_mw[sl]), np.inf, 0.0),
                    lay.reduction_ub_mw[sl]]
        h.changeColsBounds(len(tpl.colb_idx), tpl.colb_idx, np.concatenate(lbs),
                           np.concatenate(ubs))

        rl, ru = [], []
        if bat is not None:
            rl.append(np.array([state.soc_mwh]))
            ru.append(np.array([state.soc_mwh]))
        for b in plant.batch:
            ids = ids_of[b.name]
            rem = state.batch_remaining_gpu_hours[b.name][ids]
            first = np.maximum(b.release_step[ids], s)
            left = b.end_step[ids] - first
            visible = np.minimum(b.end_step[ids], s + L) - first
            inside = b.end_step[ids] <= s + L
            rl.append(np.where(inside, rem, rem * visible / np.maximum(left, 1)))
            ru.append(rem)
        for t in plant.training:
            if t.name not in tpl.slo_rows:
                continue
            rows = tpl.slo_rows[t.name]
            k = np.array([r[0] for r in rows]) + (s // t.window_steps - rows[0][0])
            w = t.window_steps
            start_k = np.maximum(k * w, s)
            end_k = np.minimum((k + 1) * w, plant.n_steps)
            length_k = end_k - k * w
            need = np.maximum(0.0, t.min_throughput * length_k - state.slo_delivered[t.name][k])
            visible = np.minimum(end_k, s + L) - start_k
            left = end_k - start_k
            share = np.maximum(need * visible / np.maximum(left, 1), need - (left - visible))
            req = np.where(end_k <= s + L, need, share)
            rl.append(np.minimum(req, visible - 1e-9))  # a shortfall becomes an SLO miss
            ru.append(np.full(len(rows), np.inf))
        for _, mask in plant.demand_charges:
            active = (month_rel[None, :] == np.arange(S)[:, None]) & mask[sl][None, :]
            rl.append(np.full(S * L, -np.inf))
            ru.append(np.where(active, 0.0, np.inf).ravel())
        for lay in plant.dr_layers:
            rl += [np.full(L, -np.inf), np.full(L, -np.inf)]
            ru += [lay.cap_mw[sl], lay.reduction_row_ub_mw[sl]]
        if "cfe_target" in tpl.lp.row_blocks:
            rl.append(np.array([-state.cfe_surplus_mw_steps * L / (plant.n_steps - s)]))
            ru.append(np.array([np.inf]))
        if len(tpl.rowb_idx):
            h.changeRowsBounds(len(tpl.rowb_idx), tpl.rowb_idx, np.concatenate(rl),
                               np.concatenate(ru))
        for cp in tpl.coupled:
            v = window.series(plant, cp.series)
            changed = np.flatnonzero(v != cp.now)
            for j in changed:
                h.changeCoeff(int(cp.rows[j]), int(cp.cols[j]), cp.sign * float(v[j]))
            cp.now[changed] = v[changed]

    def _decisions(self, tpl: _Template, sol, plant: Plant, window: Window,
                   ids_of: dict[str, np.ndarray], new: bool) -> Decisions:
        x = sol.x
        B = tpl.lp.blocks
        n = window.n_apply

        def first(name: str) -> np.ndarray:
            b = B[name]
            return x[b.start:b.start + n]

        if "battery_charge_mw" in B:
            ch, dis = first("battery_charge_mw"), first("battery_discharge_mw")
        else:
            ch = dis = np.zeros(n)
        training = {t.name: first(f"training_it_mw__{t.name}") for t in plant.training}
        batch = {}
        for b in plant.batch:
            g_idx = tpl.batch_gather[b.name][:, :n]
            g = np.where(g_idx >= 0, x[np.maximum(g_idx, 0)], 0.0)
            batch[b.name] = (ids_of[b.name], np.maximum(g, 0.0))
        shed = {}
        for c in plant.inference:
            if c.degradable_share > 0:
                d = window.series(plant, f"inference_demand_mw__{c.name}")[:n]
                dyn = d - c.idle_mw
                served = first(f"inference_it_mw__{c.name}")
                shed[c.name] = np.where(dyn > 1e-12, (d - served) / np.where(dyn > 1e-12, dyn, 1),
                                        0.0)
        onsite = {}
        for name, col in (("pv_used_mw", "pv_available_mw"), ("wind_used_mw",
                                                              "wind_available_mw"),
                          ("ppa_used_mw", "ppa_contracted_mw")):
            if name in B:
                onsite[col] = first(name)
        return Decisions(ch.copy(), dis.copy(), training, batch, shed, onsite,
                         first("grid_import_mw").copy(), sol.solve_seconds, sol.iterations,
                         sol.objective - tpl.lp.offset, new)


def timed_plan(policy, plant: Plant, state: State, window: Window) -> tuple[Decisions, float]:
    """Run a policy's plan and return it with its wall time, s."""
    t0 = time.perf_counter()
    dec = policy.plan(plant, state, window)
    return dec, time.perf_counter() - t0
