"""Building blocks of the MPC window LP that do not depend on the policy's state.

The window structure (:class:`_Template`: the LP on a ``highspy.Highs`` object and where each
per-window update writes), the matrix coefficients that are input series (:data:`COUPLED`), the
scenario the core components are built from (:func:`_template_scenario`) and the check that the
per-window update covers every place the LP reads an input series (:func:`_check_coverage`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

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
    month with the peak reached so far), events and the cap at the twin's monthly peak
    (re-added as per-step bounds), and a virtual or physical PPA (not on-site supply: the
    stitched schedule is matched to it afterwards)."""
    from dcflex.scenario import Events

    classes = {
        name: cls.model_copy(update={"min_throughput": 0.0}) if cls.kind == "training" else cls
        for name, cls in scenario.workload.classes.items()
    }
    return scenario.model_copy(update={
        "workload": scenario.workload.model_copy(update={"classes": classes}),
        "tariff": scenario.tariff.model_copy(update={"demand_charges": []}),
        "events": Events(),
        "grid": scenario.grid.model_copy(update={"peak_not_above_baseline": False}),
        "ppa": scenario.ppa if scenario.ppa is None or scenario.ppa.kind == "direct_line"
        else None,
    })


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
