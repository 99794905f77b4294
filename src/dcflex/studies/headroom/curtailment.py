"""Curtailment of a constant new load above the threshold: per step, as a rate, as events.

In each step the load ``L`` is curtailed by ``c_t = min(L, max(0, D_t + L - T))`` MW; the rate
is the curtailed energy over the energy the load would have used.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from dcflex.errors import ScenarioError
from dcflex.studies.headroom.thresholds import Thresholds, _check_demand, step_hours, threshold_mw


def _gaps_mw(demand: pd.Series, thresholds: Thresholds) -> np.ndarray:
    """Room below the threshold each hour, max(T - D, 0), MW."""
    gap = threshold_mw(demand.index, thresholds) - demand.to_numpy(dtype=float)
    return np.maximum(gap, 0.0)


def _check_load(load_mw: float) -> float:
    load = float(load_mw)
    if not np.isfinite(load) or load <= 0:
        raise ScenarioError(f"expected a new load > 0 MW, got {load_mw}", field="load_mw")
    return load


def curtailment_mw(demand: pd.Series, load_mw: float, thresholds: Thresholds) -> pd.Series:
    """Curtailment of a constant new load, ``min(L, max(0, D + L - T))``, MW.

    Parameters
    ----------
    demand : pandas.Series
        Existing demand, MW (tz-aware index, no NaN).
    load_mw : float
        New constant load ``L``, MW, > 0.
    thresholds : dict or float
        From :func:`seasonal_thresholds`, or one threshold in MW.

    Returns
    -------
    pandas.Series
        ``curtailment_mw`` on the demand's index; between 0 and ``load_mw``.
    """
    _check_demand(demand)
    load = _check_load(load_mw)
    # written via the gap so that an hour exactly at the edge gives exactly 0
    curt = np.minimum(load, np.maximum(0.0, load - _gaps_mw(demand, thresholds)))
    return pd.Series(curt, index=demand.index, name="curtailment_mw")


def curtailment_rate(demand: pd.Series, load_mw: float, thresholds: Thresholds) -> float:
    """Curtailed energy over the energy a constant load would use, as a fraction.

    ``sum(c_t * dt) / (L * H)`` with ``dt`` the step length (h) and ``H = n_rows * dt`` the hours
    of valid data (Duke report's curtailment rate, over the whole record).
    """
    curt = curtailment_mw(demand, load_mw, thresholds)
    dt = step_hours(demand.index)
    return float(curt.sum() * dt / (float(load_mw) * len(curt) * dt))


def curtailment_events(curtailment: pd.Series, tol_mw: float = 0.0) -> pd.DataFrame:
    """Runs of consecutive curtailed steps.

    Parameters
    ----------
    curtailment : pandas.Series
        ``curtailment_mw`` from :func:`curtailment_mw`.
    tol_mw : float
        A step counts as curtailed when its curtailment exceeds this, MW.

    Returns
    -------
    pandas.DataFrame
        One row per event: ``start_utc``, ``end_utc`` (last curtailed step), ``duration_h``,
        ``max_curtailment_mw``, ``energy_mwh``.
    """
    idx = curtailment.index
    dt = step_hours(idx)
    on = curtailment.to_numpy() > tol_mw
    contiguous = np.concatenate(([False], np.diff(idx.as_unit("ns").asi8) == round(dt * 3.6e12)))
    starts = on & ~(np.concatenate(([False], on[:-1])) & contiguous)
    event_id = np.cumsum(starts)[on] - 1
    vals = curtailment.to_numpy()[on]
    times = idx[on]
    if vals.size == 0:
        return pd.DataFrame(columns=["start_utc", "end_utc", "duration_h",
                                     "max_curtailment_mw", "energy_mwh"])
    grouped = pd.DataFrame({"e": event_id, "t": times, "c": vals}).groupby("e")
    return pd.DataFrame({
        "start_utc": grouped["t"].min(),
        "end_utc": grouped["t"].max(),
        "duration_h": grouped["c"].size() * dt,
        "max_curtailment_mw": grouped["c"].max(),
        "energy_mwh": grouped["c"].sum() * dt,
    }).reset_index(drop=True)
