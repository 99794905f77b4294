"""Business-as-usual policy: run everything as soon as possible, battery idle."""

from __future__ import annotations

import numpy as np

from dcflex.studies.operate.policies.base import (
    Decisions,
    Plant,
    State,
    Window,
    _active_releases,
    edf_allocate,
)


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
