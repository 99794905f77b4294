"""Build the LP of a site from its prepared inputs.

The components add their blocks in pipeline order (:data:`dcflex.model.components.COMPONENTS`);
the scenario's objective decides how the ledgers are weighted.
"""

from __future__ import annotations

from dcflex.errors import ScenarioError
from dcflex.model.components import COMPONENTS
from dcflex.model.lp import LinearProgram, ModelBuilder, ModelValueError
from dcflex.model.prepared import Inputs

# Tie-break weight of cost when minimizing emissions: USD count 1e-4 t each, so that among
# equally clean schedules the cheaper one is chosen without moving the emissions optimum.
CARBON_TIE_BREAK = 1e-4


def objective_weights(inputs: Inputs) -> dict[str, float]:
    """Weights of the ledgers for the scenario's objective."""
    opt = inputs.scenario.optimization
    emissions = f"emissions_{'avg' if opt.emissions_basis == 'average' else 'marginal'}_t"
    if opt.objective == "carbon":
        return {emissions: 1.0, "cost_usd": CARBON_TIE_BREAK, "value_usd": -CARBON_TIE_BREAK,
                "tie_break": CARBON_TIE_BREAK}
    weight = inputs.scenario.carbon.price_usd_per_t
    if opt.objective == "weighted":
        weight += opt.carbon_weight_usd_per_t
    return {"cost_usd": 1.0, "value_usd": -1.0, emissions: weight, "tie_break": 1.0}


def build(inputs: Inputs) -> LinearProgram:
    """Assemble the LP of ``inputs``: every component's block, then the power balance.

    Raises
    ------
    ScenarioError
        If a component hands the LP a value HiGHS cannot take (NaN, ±inf, beyond its limits),
        naming the scenario section of that component.
    """
    builder = ModelBuilder(inputs.index, inputs.step_hours,
                           source_file=inputs.scenario.source_file)
    try:
        for component in COMPONENTS:
            # each component is named after the scenario section it models
            builder.source = component.NAME
            component.add_block(builder, inputs)
        builder.source = "optimization"
        return builder.build(objective_weights(inputs))
    except ModelValueError as exc:
        raise ScenarioError(exc.detail, file=inputs.scenario.source_file,
                            field=exc.source) from None
