"""Words for names: what plots, legends and report tables call each column and metric.

Column and metric names carry their unit (``pv_used_mw``); people read "solar used [MW]".
:func:`label` gives the words (falling back to the name with spaces) and
:func:`label_with_unit` adds the unit in the reporting currency.
"""

from __future__ import annotations

from dcflex.results.currency import present_unit
from dcflex.results.format import unit_from_name

#: Human words for the names that appear in plots and tables (without units).
LABELS: dict[str, str] = {
    "pv_used_mw": "solar used",
    "wind_used_mw": "wind used",
    "ppa_used_mw": "PPA energy used",
    "battery_discharge_mw": "battery discharging",
    "battery_charge_mw": "battery charging",
    "grid_import_mw": "grid import",
    "grid_export_mw": "grid export",
    "facility_power_mw": "facility load",
    "it_power_mw": "IT load",
    "battery_soc_mwh": "battery state of charge",
    "energy_price_usd_per_mwh": "energy price",
    "carbon_avg_kg_per_mwh": "grid carbon intensity (average)",
    "carbon_marginal_kg_per_mwh": "grid carbon intensity (marginal)",
    "total_cost_usd": "total cost",
    "average_cost_usd_per_mwh": "average cost per facility MWh",
    "energy_cost_usd": "energy charges",
    "export_revenue_usd": "export revenue",
    "demand_cost_usd": "demand charges",
    "fixed_cost_usd": "fixed charges",
    "ppa_cost_usd": "PPA cost",
    "battery_wear_cost_usd": "battery wear",
    "dr_revenue_usd": "demand-response payments",
    "dr_penalty_usd": "demand-response penalties",
    "degradation_penalty_usd": "unserved-inference penalty",
    "carbon_cost_usd": "carbon cost",
    "emissions_average_t": "emissions (average intensity)",
    "emissions_marginal_t": "emissions (marginal intensity)",
    "cfe_score": "hourly CFE score",
    "renewable_share": "renewable share",
    "clean_share": "clean share",
    "annual_pue": "annual PUE",
    "peak_import_mw": "peak import",
    "peak_facility_mw": "peak facility load",
    "load_factor": "load factor",
    "flexibility_value_usd": "value of flexibility",
    "battery_value_usd": "value of the battery",
    "workload_flexibility_value_usd": "value of workload flexibility",
    "work_value_change_usd": "change in value of work delivered",
    "bau_total_cost_usd": "business-as-usual total cost",
    "headroom_mw": "headroom",
    "energy_usd": "energy",
    "demand_usd": "demand",
    "fixed_usd": "fixed",
    "ppa_usd": "PPA",
    "export_credit_usd": "export credit",
    "dr_usd": "demand response",
    "battery_wear_usd": "battery wear",
    "degradation_usd": "unserved inference",
    "carbon_usd": "carbon price",
    "total_usd": "total",
}


def label(name: str) -> str:
    """Words for a name: ``pv_used_mw`` -> ``solar used``."""
    if name in LABELS:
        return LABELS[name]
    base, _, cls = name.partition("__")
    words = LABELS.get(base, base.replace("_", " "))
    return f"{words} ({cls})" if cls else words


def label_with_unit(name: str, currency: str = "USD", unit: str | None = None) -> str:
    """Words and unit: ``total_cost_usd`` -> ``total cost [EUR]`` when reporting in EUR."""
    unit = unit if unit is not None else unit_from_name(name)
    if not unit or unit in ("-", "count"):
        return label(name)
    return f"{label(name)} [{present_unit(unit, currency)}]"
