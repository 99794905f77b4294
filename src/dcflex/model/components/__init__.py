"""Components of a site, in pipeline order.

Each module has ``NAME``, ``prepare(scenario, ctx) -> Prepared`` (the series it derives) and
``add_block(builder, inputs)`` (its variables, constraints and objective terms). Blocks are
added in this order, so a component can look up the blocks of those before it by name.
"""

from dcflex.model.components import (
    battery,
    carbon,
    events,
    facility,
    grid,
    ppa,
    solar,
    tariff,
    wind,
    workload,
)

COMPONENTS = (workload, facility, solar, wind, battery, grid, ppa, tariff, carbon, events)

__all__ = ["COMPONENTS"]
