"""The model: prepared inputs, component blocks, the LP assembly, HiGHS, the Pyomo view.

Layer 4. May import :mod:`dcflex.errors`, :mod:`dcflex.scenario`, :mod:`dcflex.data`,
:mod:`dcflex.physics` and :mod:`dcflex.workloads`; never results, studies or the CLI.

Read top to bottom: :mod:`~dcflex.model.inputs` (``prepare``: one UTC-indexed frame and
static parameters) → :mod:`~dcflex.model.components` (one module per physical or contractual
thing, each adding its block) → :mod:`~dcflex.model.lp` (variable blocks, sparse rows) →
:mod:`~dcflex.model.build` → :mod:`~dcflex.model.solve` (highspy) or
:mod:`~dcflex.model.pyomo_view`. :mod:`~dcflex.model.twin` is the business-as-usual dispatch
rule (numpy, no LP) that demand-response baselines and diagnosis refer to, and
:mod:`~dcflex.model.diagnose` explains an infeasible scenario.
"""
