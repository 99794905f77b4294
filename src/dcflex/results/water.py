"""Water and facility-physics metrics of a schedule.

Site water per step = ``site_water_l_per_kwh_it`` (cooling physics, L per kWh of IT energy)
x IT energy of the step: L/kWh x MWh = m3. Source water = the grid electricity imported x
``grid_water_l_per_mwh`` (if the scenario gives it). Site WUE = site water / IT energy and
source WUE = (site + source water) / IT energy, both L/kWh (The Green Grid, WP#35, 2011).
With a constant ``facility.pue`` the cooling is not modeled: site water metrics are NaN.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from dcflex.model.components.facility import fixed_overhead_mw
from dcflex.model.prepared import Inputs

__all__ = ["hourly_water_m3", "water_metrics"]

Row = tuple[str, float, str, str]


def hourly_water_m3(schedule: pd.DataFrame, inputs: Inputs) -> pd.DataFrame:
    """Site, source and total water per step, m3 (columns NaN where not modeled)."""
    s, dt = inputs.series, inputs.step_hours
    it_mwh = schedule["it_power_mw"].to_numpy() * dt
    nan = np.full(len(schedule), np.nan)
    site = (s["site_water_l_per_kwh_it"].to_numpy() * it_mwh
            if "site_water_l_per_kwh_it" in s else nan)
    source = nan
    if "grid_water_l_per_mwh" in s:
        imp = schedule["grid_import_mw"].to_numpy() if "grid_import_mw" in schedule else 0.0
        source = s["grid_water_l_per_mwh"].to_numpy() * imp * dt / 1000.0
    return pd.DataFrame({"site_water_m3": site, "source_water_m3": source,
                         "total_water_m3": site + source}, index=schedule.index)


def water_metrics(schedule: pd.DataFrame, inputs: Inputs) -> list[Row]:
    """Water, economizer, fixed-overhead and battery-window metrics: (name, value, unit, text)."""
    water = hourly_water_m3(schedule, inputs)
    it_mwh = float(schedule["it_power_mw"].sum() * inputs.step_hours)
    site = float(water["site_water_m3"].sum(min_count=1))
    source = float(water["source_water_m3"].sum(min_count=1))

    def per_it(m3: float) -> float:  # m3 per MWh = L per kWh
        return m3 / it_mwh if it_mwh > 0 else np.nan

    rows: list[Row] = [
        ("site_water_m3", site, "m3",
         "Site water: cooling-tower/evaporative make-up (evaporation + blowdown) and "
         "humidification (NaN with a constant facility.pue: cooling not modeled)"),
        ("wue_site_l_per_kwh", per_it(site), "L/kWh", "Site water / IT energy (site WUE)"),
        ("source_water_m3", source, "m3",
         "Water consumed generating the imported grid electricity (facility.water."
         "grid_l_per_mwh; NaN if not given)"),
        ("total_water_m3", site + source, "m3", "Site plus source water"),
        ("wue_source_l_per_kwh", per_it(site + source), "L/kWh",
         "(Site + source water) / IT energy (source WUE)"),
        ("fixed_overhead_mw", fixed_overhead_mw(inputs), "MW",
         "Non-IT power that does not follow IT load (UPS no-load, lighting, controls)"),
    ]
    if "economizer_fraction" in inputs.series:
        econ = inputs.series["economizer_fraction"].to_numpy()
        rows.append(("economizer_hours", float((econ > 0).sum() * inputs.step_hours), "h",
                     "Hours in which free cooling carries part of the air-path heat"))
    bat = inputs.scenario.battery
    if bat is not None:
        rows.append(("battery_usable_mwh", bat.usable_mwh, "MWh",
                     "Usable battery energy: nameplate x (soc_max - soc_min)"))
    return rows
