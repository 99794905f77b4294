"""A Pyomo view of an assembled LP, for researchers who extend the model in notebooks.

``to_pyomo(lp)`` renders the same :class:`~dcflex.model.lp.LinearProgram` as a Pyomo
``ConcreteModel``: one indexed ``Var`` per variable block (``m.grid_import_mw[t]``), one
indexed ``Constraint`` per row block, one ``Objective``. Add constraints to it and solve with
any Pyomo solver; :func:`solution_from_pyomo` turns the solved model back into the column
vector that :func:`dcflex.studies.run.schedule_from_solution` reads, so both paths give the same
``Result``.

Pyomo orders its columns by first appearance in constraints, so compare it with the direct
model by objective and named values, never by column position.
"""

from __future__ import annotations

import logging
import time

import numpy as np
import pyomo.environ as pyo
from pyomo.common.log import LoggingIntercept
from pyomo.core.expr.numeric_expr import LinearExpression

from dcflex.errors import InfeasibleError, ScenarioError, SolverError
from dcflex.model.lp import LinearProgram
from dcflex.model.solve import Solution, check_lp


def _bound(v: float) -> float | None:
    return None if not np.isfinite(v) else float(v)


def to_pyomo(lp: LinearProgram) -> pyo.ConcreteModel:
    """Render ``lp`` as a Pyomo model with named, indexed components per block."""
    m = pyo.ConcreteModel(name="dcflex")
    columns: list = [None] * lp.num_col
    for name, block in lp.blocks.items():
        lb = lp.col_lb[block.start : block.start + block.size]
        ub = lp.col_ub[block.start : block.start + block.size]

        def bounds(_m, i, lb=lb, ub=ub):
            return (_bound(lb[i]), _bound(ub[i]))

        var = pyo.Var(range(block.size), bounds=bounds, within=pyo.Reals)
        setattr(m, name, var)
        for i in range(block.size):
            columns[block.start + i] = var[i]
    A = lp.A.tocsr()
    for name, rb in lp.row_blocks.items():
        rows = range(rb.start, rb.start + rb.size)

        def rule(_m, k, rows=rows):
            r = rows[k]
            lo, hi = A.indptr[r], A.indptr[r + 1]
            expr = LinearExpression(
                constant=0.0,
                linear_coefs=A.data[lo:hi].tolist(),
                linear_vars=[columns[j] for j in A.indices[lo:hi]],
            )
            lb, ub = _bound(lp.row_lb[r]), _bound(lp.row_ub[r])
            if lb is not None and ub is not None and lb == ub:
                return expr == lb
            return (lb, expr, ub)

        setattr(m, f"c_{name}", pyo.Constraint(range(rb.size), rule=rule))
    nz = np.flatnonzero(lp.c)
    m.objective = pyo.Objective(
        expr=LinearExpression(
            constant=float(lp.offset),
            linear_coefs=lp.c[nz].tolist(),
            linear_vars=[columns[j] for j in nz],
        ),
        sense=pyo.minimize,
    )
    m._dcflex_columns = columns
    return m


def solution_from_pyomo(m: pyo.ConcreteModel, lp: LinearProgram) -> np.ndarray:
    """Column vector of a solved Pyomo view, in the direct model's column order."""
    x = np.empty(lp.num_col)
    for name, block in lp.blocks.items():
        var = getattr(m, name)
        x[block.start : block.start + block.size] = [
            pyo.value(var[i], exception=False) or 0.0 for i in range(block.size)
        ]
    return x


def solve_with_pyomo(lp: LinearProgram, solver: str = "appsi_highs",
                     time_limit_s: float | None = None) -> Solution:
    """Solve the Pyomo view of ``lp`` with a Pyomo solver by name.

    Raises
    ------
    InfeasibleError
        If the solver reports infeasibility.
    ScenarioError
        If the solver is not available (naming ``optimization.solver``), or ``lp`` holds a
        value no solver can take.
    SolverError
        If the solver stops without an optimum.
    """
    check_lp(lp)
    m = to_pyomo(lp)
    # Pyomo logs a warning with a traceback for a solver name it cannot create; the message
    # below says the same in one line
    with LoggingIntercept(level=logging.ERROR):
        opt = pyo.SolverFactory(solver)
        available = opt is not None and opt.available(exception_flag=False)
    if not available:
        raise ScenarioError(f"Pyomo solver {solver!r} is not available on this machine "
                            "(expected 'highs' or an installed Pyomo solver such as "
                            "'appsi_highs')", file=lp.source_file, field="optimization.solver")
    if time_limit_s is not None and "highs" in solver:
        opt.config.time_limit = time_limit_s
    t0 = time.perf_counter()
    res = opt.solve(m, load_solutions=False)
    elapsed = time.perf_counter() - t0
    term = res.solver.termination_condition
    if term == pyo.TerminationCondition.infeasible:
        raise InfeasibleError([])
    if term != pyo.TerminationCondition.optimal:
        raise SolverError(f"Pyomo solver {solver!r} stopped without an optimum: {term}")
    m.solutions.load_from(res)
    x = solution_from_pyomo(m, lp)
    return Solution(x=x, objective=float(pyo.value(m.objective)), status=str(term),
                    solve_seconds=elapsed, iterations=0)
