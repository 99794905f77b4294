"""The block shortcut of the SLO-aware headroom, and the feasibility check at a size.

Runs of capped steps, widened by the longest batch deadline or training window and aligned
to the training windows, are optimized on their own (:func:`event_blocks`,
:func:`slice_inputs`); ``full_period=True`` makes the whole period one block. The checker
solves each block with its import caps and remembers, per block, the sizes proven feasible
and infeasible.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pandas as pd

from dcflex.errors import InfeasibleError
from dcflex.model.inputs import Inputs
from dcflex.scenario import Events, ImportCap, Scenario


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    padded = np.concatenate(([False], mask, [False])).astype(np.int8)
    edges = np.flatnonzero(np.diff(padded))
    return list(zip(edges[::2].tolist(), edges[1::2].tolist(), strict=True))


def _margin_steps(inputs: Inputs) -> tuple[int, int]:
    """(margin, alignment) in steps: longest batch window or training window; lcm of windows."""
    dt = inputs.step_hours
    margin_h = 0.0
    align = 1
    wp = inputs.params.get("workload", {})
    for name, cls in inputs.scenario.workload.classes.items():
        if cls.kind == "training":
            w = max(1, int(round(cls.window_h / dt)))
            margin_h = max(margin_h, cls.window_h)
            align = math.lcm(align, w)
        elif cls.kind == "batch":
            rel = wp.get("releases", {}).get(name)
            if rel is not None and len(rel):
                span = (rel["deadline_utc"] - rel["release_utc"]).max() / pd.Timedelta(hours=1)
                margin_h = max(margin_h, float(span))
    return int(math.ceil(margin_h / dt - 1e-9)), align


def event_blocks(capped: np.ndarray, margin: int, align: int, n_steps: int
                 ) -> list[tuple[int, int]]:
    """Step ranges ``[a, b)`` to optimize: runs of capped steps widened by ``margin`` steps on
    each side, snapped outward to multiples of ``align`` (training windows), merged."""
    blocks: list[tuple[int, int]] = []
    for a, b in _runs(np.asarray(capped, dtype=bool)):
        lo = max(0, ((a - margin) // align) * align)
        hi = min(n_steps, -(-(b + margin) // align) * align)
        if blocks and lo <= blocks[-1][1]:
            blocks[-1] = (blocks[-1][0], max(blocks[-1][1], hi))
        else:
            blocks.append((lo, hi))
    return blocks


def slice_inputs(inputs: Inputs, a: int, b: int) -> Inputs:
    """Inputs of steps ``[a, b)``: the same series values, batch releases that lie inside."""
    index = inputs.index
    start = index[a]
    end = index[b - 1] + pd.Timedelta(hours=inputs.step_hours)
    params = dict(inputs.params)
    wp = params.get("workload")
    if wp is not None and wp.get("releases"):
        releases = {}
        for name, rel in wp["releases"].items():
            inside = (rel["release_utc"] >= start) & (rel["deadline_utc"] <= end)
            releases[name] = rel[inside].reset_index(drop=True)
        params["workload"] = {**wp, "releases": releases}
    return dataclasses.replace(inputs, series=inputs.series.iloc[a:b], params=params)


def with_import_caps(scenario: Scenario, index: pd.DatetimeIndex, caps_mw: np.ndarray,
                     step_hours: float) -> Scenario:
    """Scenario plus one hard ``events.import_caps`` entry per finite cap (UTC-aware times)."""
    step = pd.Timedelta(hours=step_hours)
    new = [ImportCap(start=t.to_pydatetime(), end=(t + step).to_pydatetime(), cap_mw=float(c))
           for t, c in zip(index, caps_mw, strict=True) if np.isfinite(c)]
    events = Events(demand_response=list(scenario.events.demand_response),
                    import_caps=[*scenario.events.import_caps, *new])
    return scenario.model_copy(update={"events": events})


# --------------------------------------------------------------------------- feasibility


class _Checker:
    """Feasibility of the site at a size factor, block by block, with monotone memory."""

    def __init__(self, inputs: Inputs, room: np.ndarray, blocks: list[tuple[int, int]],
                 limit: np.ndarray) -> None:
        self.inputs = inputs
        self.room = room
        self.blocks = blocks
        self.limit = limit
        self.ok_up_to = [0.0] * len(blocks)  # largest size known feasible per block
        self.fails_from = [math.inf] * len(blocks)  # smallest size known infeasible per block
        self.reasons: dict[int, str] = {}
        self.n_solves = 0
        self._sliced = [slice_inputs(inputs, a, b) for a, b in blocks]

    def caps(self, s: float, a: int, b: int) -> np.ndarray:
        cap = self.room[a:b] / s
        return np.where(cap < self.limit[a:b], cap, np.inf)

    def feasible(self, s: float) -> tuple[bool, str]:
        from dcflex.studies.run import run_inputs

        order = sorted(range(len(self.blocks)), key=lambda k: float(
            np.min(self.room[self.blocks[k][0]:self.blocks[k][1]])))
        for k in order:
            if s >= self.fails_from[k]:
                return False, self.reasons[k]
        for k in order:
            if s <= self.ok_up_to[k]:
                continue
            a, b = self.blocks[k]
            sub = self._sliced[k]
            caps = self.caps(s, a, b)
            scen = with_import_caps(sub.scenario, sub.index, caps, sub.step_hours)
            self.n_solves += 1
            try:
                run_inputs(dataclasses.replace(sub, scenario=scen), counterfactuals=False)
            except InfeasibleError as exc:
                self.fails_from[k] = min(self.fails_from[k], s)
                self.reasons[k] = "; ".join(exc.diagnosis)
                return False, self.reasons[k]
            self.ok_up_to[k] = max(self.ok_up_to[k], s)
        return True, ""
