"""Rule-based policy: defer work and discharge the battery when the forecast signal is high."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dcflex.model.components.facility import fixed_overhead_mw
from dcflex.studies.operate.policies.base import (
    Decisions,
    Plant,
    State,
    Window,
    _active_releases,
    edf_allocate,
    must_run_gpus,
)


@dataclass
class ThresholdPolicy:
    """Rule-based operation on the window's forecast.

    Steps whose forecast signal (price, or carbon intensity of the objective's basis) lies
    above the ``high_percentile`` of the look-ahead window defer batch work (only what is
    needed to still meet deadlines, with the arrivals of the look-ahead, runs), cap training
    at the power that just meets its SLO floor (idle if there is none) when
    ``throttle_training``, and discharge the battery (not beyond the site's own import).
    Steps at or below the ``low_percentile`` charge it (within the import limit). Otherwise
    work runs as soon as released at full power. In the last window the battery is not
    discharged below its initial charge.
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
                    want = must_run_gpus(rem, b.release_step, b.end_step, s + k, b.n_gpus, dt,
                                         known_until=s + window.length)
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
            fac = window.series(plant, "pue")[:n] * it + fixed_overhead_mw(plant.inputs)
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
