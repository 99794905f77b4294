"""The business-as-usual twin: the same site run inflexibly.

Every class runs as demanded: inference at its demand, training uncapped at full throughput
(drawing the power where its power-cap curve saturates), batch work in a queue — each arrival
starts on arrival, up to the class's GPUs, and work that does not fit waits for free GPUs,
first in, first out (:func:`dcflex.workloads.batch.batch_queue` states the rule) — and the
battery idle. On-site supply serves the load first (PV, then wind, then a direct-line PPA),
the rest is imported; surplus is exported up to the export limit when the export price is
positive, else curtailed. A virtual or physical PPA does not change the import; its
generation is matched to it. The twin does not respond to events: a site that cannot flex is
not enrolled in demand-response programmes, so it earns no payment and pays no penalty (it
may break a hard cap, which is reported). Its tariff, contracts and import limits are those
of the flexible site. Computed directly with numpy — there is nothing to optimize — and
priced by the same metrics as the flexible schedule.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from dcflex.model.components.facility import facility_power_mw
from dcflex.model.components.ppa import counted_mw as ppa_counted_mw
from dcflex.model.components.ppa import deliverable_mw as ppa_deliverable_mw
from dcflex.model.prepared import Inputs
from dcflex.workloads.batch import batch_queue, release_windows


def baseline_schedule(inputs: Inputs) -> pd.DataFrame:
    """Schedule of the business-as-usual twin, with the flexible schedule's column names.

    Returns
    -------
    pandas.DataFrame
        Per-step MW columns (``it_power_mw``, ``facility_power_mw``, ``grid_import_mw``, ...),
        ``battery_soc_mwh`` and per-class columns.
    """

    s = inputs.series
    scen = inputs.scenario
    T, dt = inputs.n_steps, inputs.step_hours
    cols: dict[str, np.ndarray] = {}
    it = np.zeros(T)
    params = inputs.params["workload"]
    for name, cls in scen.workload.classes.items():
        cp = params["classes"][name]
        if cls.kind == "inference":
            p = s[f"inference_demand_mw__{name}"].to_numpy()
            cols[f"inference_it_mw__{name}"] = p
        elif cls.kind == "training":
            p = np.full(T, cp.uncapped_mw)
            cols[f"training_it_mw__{name}"] = p
            cols[f"training_throughput__{name}"] = np.ones(T)
        else:
            rel = params["releases"][name]
            g = batch_queue(rel, release_windows(rel, inputs.index), cp.n_gpus, T, dt, name,
                            scen.site.timezone)
            p = cp.idle_mw + cp.per_gpu_mw * g
            cols[f"batch_it_mw__{name}"] = p
        it = it + p
    cols["it_power_mw"] = it
    fac = facility_power_mw(inputs, it)
    cols["facility_power_mw"] = fac
    remaining = fac.copy()
    onsite = {c: s[c].to_numpy() for c in ("pv_available_mw", "wind_available_mw") if c in s}
    if scen.ppa is not None and scen.ppa.kind == "direct_line":
        onsite["ppa_deliverable_mw"] = ppa_deliverable_mw(inputs)
    for avail_col, used_col in (("pv_available_mw", "pv_used_mw"),
                                ("wind_available_mw", "wind_used_mw"),
                                ("ppa_deliverable_mw", "ppa_used_mw")):
        if avail_col in onsite:
            used = np.minimum(onsite[avail_col], remaining)
            cols[used_col] = used
            remaining = remaining - used
    surplus = np.zeros(T)
    for avail_col, used_col in (("pv_available_mw", "pv_used_mw"),
                                ("wind_available_mw", "wind_used_mw")):
        if avail_col in s:
            surplus += s[avail_col].to_numpy() - cols[used_col]
    cols["grid_import_mw"] = remaining
    if scen.grid.export_limit_mw > 0:
        pays = s["export_price_usd_per_mwh"].to_numpy() > 0
        exp = np.where(pays, np.minimum(surplus, scen.grid.export_limit_mw), 0.0)
        cols["grid_export_mw"] = exp
        # exported energy is taken from on-site supply that was otherwise curtailed
        take = exp.copy()
        for used_col, avail_col in (("pv_used_mw", "pv_available_mw"),
                                    ("wind_used_mw", "wind_available_mw")):
            if used_col in cols:
                extra = np.minimum(take, s[avail_col].to_numpy() - cols[used_col])
                cols[used_col] = cols[used_col] + extra
                take = take - extra
    if scen.ppa is not None and scen.ppa.kind != "direct_line":
        cols["ppa_used_mw"] = ppa_counted_mw(inputs, remaining, cols.get("grid_export_mw", 0.0))
    if scen.battery is not None:
        b = scen.battery
        cols["battery_charge_mw"] = np.zeros(T)
        cols["battery_discharge_mw"] = np.zeros(T)
        cols["battery_soc_mwh"] = np.full(T, b.soc_initial_fraction * b.energy_mwh)
    return pd.DataFrame(cols, index=inputs.index)
