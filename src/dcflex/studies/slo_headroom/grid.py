"""The grid side of the SLO-aware headroom: BA demand, room under the threshold, sizes.

Reads and aligns the balancing authority's demand onto the site's steps, computes the room
``g_t = max(T_t - D_t, 0)`` under the threshold and, for a site load ``s P_t``, the firm size
(no curtailment) and the size whose curtailment rate meets the grid's limit.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from dcflex.errors import DataError, ScenarioError
from dcflex.studies.headroom import Thresholds, threshold_mw


def read_grid_demand(
    file: str | Path,
    ba: str,
    *,
    column: str = "demand_mw",
    screen: bool = True,
    stamp: Literal["end", "start"] = "end",
) -> pd.Series:
    """BA hourly demand from an EIA-930 file of the Ruggles et al. export, ready for
    :func:`slo_headroom`.

    Reads with :func:`dcflex.data.readers.eia930.read_eia930_demand`, sets single-hour spikes and
    absurd
    values to missing (:func:`dcflex.data.readers.eia930.screen_demand_spikes`, if ``screen``),
    drops the
    missing hours (:func:`dcflex.data.readers.eia930.fill_missing_demand` with policy ``"drop"``:
    they
    then count neither in the thresholds nor as curtailment; what happens on the site's steps
    is :func:`slo_headroom`'s ``gap_policy``), and restamps each hour by its start.

    Parameters
    ----------
    file : path
        CSV file or folder of ``<BA>_*.csv`` files; ``data:<path>`` resolves under the
        reference data folder (:func:`dcflex.data.datasets.shared_data_dir`).
    ba : str
        EIA-930 code or common name (CISO/CAISO, ERCO/ERCOT, PJM, TEX).
    column : str
        ``demand_mw`` (raw) or ``demand_cleaned_mw`` (region files).
    screen : bool
        Screen spikes first (default True).
    stamp : {"end", "start"}
        What the file's time stamps mark. EIA's Form 930 files stamp each hour at its end
        ("UTC Time at End of Hour"); we read the Ruggles et al. export as keeping EIA's stamps
        (an assumption: its documentation gives the zone, UTC, not the convention). dcflex
        steps are stamped at their start, so ``"end"`` (default) moves every stamp one hour
        back; ``"start"`` leaves them.

    Returns
    -------
    pandas.Series
        ``demand_mw``, MW, UTC index stamped by hour start, no NaN. ``attrs``:
        ``screened_hours``, ``dropped_hours``, ``source_file``, ``ba``.
    """
    from dcflex.data.readers.eia930 import (
        fill_missing_demand,
        find_eia930_file,
        read_eia930_demand,
        screen_demand_spikes,
    )

    text = str(file)
    if text.startswith("data:"):
        from dcflex.data.series import resolve_data_path

        file = resolve_data_path(text)  # confined to the reference data folder
    if stamp not in ("end", "start"):
        raise ScenarioError(f"expected stamp 'end' or 'start', got {stamp!r}", field="stamp")
    path = find_eia930_file(file, ba)
    frame = read_eia930_demand(path, column=column)
    demand = frame[frame.columns[0]]
    screened = 0
    if screen:
        demand, flagged = screen_demand_spikes(demand)
        screened = len(flagged)
    demand, _ = fill_missing_demand(demand, policy="drop")
    if stamp == "end":
        demand.index = demand.index - pd.Timedelta(hours=1)
    demand.index.name = "time_utc"
    demand = demand.rename("demand_mw")
    demand.attrs.update(screened_hours=screened, source_file=str(path), ba=ba)
    return demand


def align_demand_mw(demand_mw: pd.Series, index: pd.DatetimeIndex,
                    gap_policy: Literal["error", "interpolate", "ffill"] = "error") -> pd.Series:
    """BA demand on the site's steps, MW.

    Parameters
    ----------
    demand_mw : pandas.Series
        BA demand, MW, tz-aware index; each value covers ``[t, t + step)`` (shift hour-ending
        stamps first, see :func:`read_grid_demand`). NaN rows are ignored.
    index : pandas.DatetimeIndex
        The site's UTC steps; the demand must cover them (it is averaged or repeated onto them).
    gap_policy : {"error", "interpolate", "ffill"}
        Steps without demand data: raise (default) or fill (the count is in
        ``attrs["filled_steps"]``).

    Raises
    ------
    DataError
        If the demand does not cover the site's period (naming both spans), or has gaps and
        ``gap_policy`` is ``"error"``.
    """
    from dcflex.data.timeseries import align_to_index

    if not isinstance(demand_mw, pd.Series) or not isinstance(demand_mw.index, pd.DatetimeIndex):
        raise DataError("expected BA demand as a pandas Series on a DatetimeIndex, MW",
                        field="demand_mw")
    clean = demand_mw.dropna()
    if clean.empty:
        raise DataError("expected BA demand values, found none", field="demand_mw")
    if clean.index[-1] < index[0] or clean.index[0] > index[-1]:
        raise DataError(
            f"BA demand covers {clean.index[0]} .. {clean.index[-1]} but the site's period is "
            f"{index[0]} .. {index[-1]} (UTC); give demand of the scenario's year",
            field="demand_mw",
        )
    aligned, filled = align_to_index(clean, index, how="mean", gap_policy=gap_policy,
                                     field="demand_mw")
    aligned = aligned.rename("demand_mw")
    aligned.attrs["filled_steps"] = int(filled)
    return aligned


def grid_room_mw(demand_on_index_mw: pd.Series, thresholds: Thresholds) -> pd.Series:
    """Room under the threshold in each step, ``max(T_t - D_t, 0)``, MW.

    ``demand_on_index_mw`` is the BA demand on the site's steps (:func:`align_demand_mw`).
    """
    index = demand_on_index_mw.index
    room = np.maximum(threshold_mw(index, thresholds) - demand_on_index_mw.to_numpy(), 0.0)
    return pd.Series(room, index=index, name="grid_room_mw")


def firm_size_factor(unit_import_mw: np.ndarray, room_mw: np.ndarray) -> float:
    """Largest size factor with no curtailment: ``min over P_t > 0 of g_t / P_t``."""
    p = np.asarray(unit_import_mw, dtype=float)
    g = np.asarray(room_mw, dtype=float)
    on = p > 1e-12
    if not on.any():
        raise ScenarioError("expected a site that imports power in business as usual, found "
                            "zero import in every step", field="grid")
    return float(np.min(g[on] / p[on]))


def curtailment_rate_at(size_factor: float, unit_import_mw: np.ndarray,
                        room_mw: np.ndarray) -> float:
    """Curtailed share of the site's energy at a size factor (per-hour site load).

    ``sum_t min(P_t, max(0, P_t - g_t / s)) / sum_t P_t`` (regular steps, so the step length
    cancels).
    """
    p = np.asarray(unit_import_mw, dtype=float)
    if size_factor <= 0:
        return 0.0
    shed = np.minimum(p, np.maximum(0.0, p - np.asarray(room_mw, dtype=float) / size_factor))
    return float(shed.sum() / p.sum())


def rate_limit_size_factor(unit_import_mw: np.ndarray, room_mw: np.ndarray,
                           rate: float) -> float:
    """Largest size factor whose curtailment rate equals ``rate`` (brentq on a monotone rate).

    The rate is continuous and nondecreasing in the size factor, 0 up to the firm size and
    tending to 1 as the size grows, so the root is bracketed by doubling.
    """
    from scipy.optimize import brentq

    rate = float(rate)
    if not 0.0 < rate < 1.0:
        raise ScenarioError(f"expected a curtailment rate as a fraction in (0, 1), got {rate}",
                            field="rate")
    lo = firm_size_factor(unit_import_mw, room_mw)

    def f(s: float) -> float:
        return curtailment_rate_at(s, unit_import_mw, room_mw) - rate

    hi = max(lo, 1e-9) * 2.0
    while f(hi) < 0:
        hi *= 2.0
    if lo <= 0 and f(0.0) >= 0:
        return 0.0
    return float(brentq(f, lo, hi, xtol=1e-12 * hi, rtol=1e-12, maxiter=500))

