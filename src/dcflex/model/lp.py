"""Assembly of the linear program: named variable blocks and sparse constraint blocks.

Each component adds its blocks to a :class:`ModelBuilder`; :meth:`ModelBuilder.build` stacks
them into one :class:`LinearProgram` (CSC matrix, bounds, costs) that :mod:`dcflex.model.solve`
hands to HiGHS and :func:`dcflex.model.pyomo_view.to_pyomo` renders as a Pyomo model. This layer has
no algebra of its own: a block is an offset and a length, a constraint block is a list of
(variable block, coefficient matrix) pairs and row bounds.

The site's power balance is the one constraint every component touches; components register
their terms with :meth:`ModelBuilder.add_balance_term` and the builder writes the rows last,
so adding a component never edits the others.

Objective terms go to named ledgers (``cost_usd``, ``emissions_avg_t``, ``value_usd``, ...);
the objective chosen in the scenario combines them. ``tie_break`` holds tiny preferences that
only choose among schedules of equal cost (it is never reported as a cost).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import scipy.sparse as sp

LEDGERS = ("cost_usd", "emissions_avg_t", "emissions_marginal_t", "value_usd", "tie_break")

# What HiGHS accepts (HiGHS 1.16 option defaults, https://ergo-code.github.io/HiGHS/stable/
# options/definitions/): bounds at or beyond ``infinite_bound`` (1e20) count as infinite, and
# ``passModel`` fails on matrix values at or beyond ``large_matrix_value`` (1e15). A NaN
# anywhere is accepted silently and can keep the simplex spinning for ever. Well below those
# limits, finite values of 1e19 (a battery of 1e20 MWh) already end the simplex in status
# "Unknown" or an error: with HiGHS's feasibility tolerance of 1e-7, values beyond LP_LIMIT
# leave too few significant digits. The largest values of real sites are near 1e7 (USD per
# MW-month of a peak, GPU-hours per release).
HIGHS_INFINITY = 1e20
#: Largest finite cost or bound dcflex hands to HiGHS.
LP_LIMIT = 1e12
#: Largest matrix coefficient dcflex hands to HiGHS (coefficients are unit conversions and
#: efficiencies, near 1; a server count or a GPU count at most ~1e6).
COEFFICIENT_LIMIT = 1e9


def array_problem(values: np.ndarray, kind: str) -> tuple[int, float] | None:
    """(position, value) of the first entry HiGHS cannot take as a ``kind``, or None.

    ``kind`` is ``"cost"`` (finite, at most :data:`LP_LIMIT` in size), ``"lower bound"`` (at
    most :data:`LP_LIMIT` in size, or -inf, i.e. at or below -:data:`HIGHS_INFINITY`),
    ``"upper bound"`` (at most :data:`LP_LIMIT` in size, or +inf) or ``"coefficient"``
    (finite, at most :data:`COEFFICIENT_LIMIT` in size).
    """
    v = np.asarray(values, dtype=float)
    with np.errstate(invalid="ignore"):
        small = np.abs(v) <= LP_LIMIT
        if kind == "cost":
            good = small
        elif kind == "lower bound":
            good = small | (v <= -HIGHS_INFINITY)
        elif kind == "upper bound":
            good = small | (v >= HIGHS_INFINITY)
        elif kind == "coefficient":
            good = np.abs(v) <= COEFFICIENT_LIMIT
        else:
            raise ValueError(f"unknown kind {kind!r}")
    where = np.flatnonzero(~good)
    return (int(where[0]), float(v[where[0]])) if len(where) else None


def limit_of(kind: str) -> float:
    """The size limit :func:`array_problem` applies to ``kind``."""
    return COEFFICIENT_LIMIT if kind == "coefficient" else LP_LIMIT


class ModelValueError(ValueError):
    """A value on its way into the LP that HiGHS cannot take (NaN, ±inf, or beyond its limits).

    Attributes
    ----------
    source : str
        Scenario field (or section) whose component added the value, e.g. ``"tariff"``.
    detail : str
        What the value is and where, e.g. ``"cost of grid_import_mw is nan at 2023-07-01
        05:00 UTC"``.
    """

    def __init__(self, source: str, detail: str) -> None:
        self.source = source
        self.detail = detail
        super().__init__(f"{source}: {detail}")


@dataclass(frozen=True)
class VarBlock:
    """A named array of variables: columns ``start .. start + size - 1`` of the LP.

    Attributes
    ----------
    name : str
        Unique name, carrying the unit (``grid_import_mw``).
    start : int
        First column.
    size : int
        Number of variables.
    per_step : bool
        True if the block has one variable per time step (becomes a schedule column).
    unit : str
        Unit of the variables.
    """

    name: str
    start: int
    size: int
    per_step: bool
    unit: str
    source: str = ""

    @property
    def cols(self) -> np.ndarray:
        return np.arange(self.start, self.start + self.size, dtype=np.int64)


@dataclass(frozen=True)
class RowBlock:
    """A named group of constraint rows ``start .. start + size - 1``.

    ``source`` is the scenario section (or field) whose component added the rows.
    """

    name: str
    start: int
    size: int
    source: str = ""


@dataclass
class LinearProgram:
    """The assembled LP: minimize c·x + offset s.t. row_lb <= A x <= row_ub, col_lb <= x <= col_ub.

    Attributes
    ----------
    ledgers : dict of str to numpy.ndarray
        Per-ledger cost vectors (``cost_usd`` etc.) and ``ledger_offsets`` constants, so a
        solution can be priced term by term.
    """

    c: np.ndarray
    offset: float
    A: sp.csc_matrix
    col_lb: np.ndarray
    col_ub: np.ndarray
    row_lb: np.ndarray
    row_ub: np.ndarray
    blocks: dict[str, VarBlock]
    row_blocks: dict[str, RowBlock]
    ledgers: dict[str, np.ndarray]
    ledger_offsets: dict[str, float]
    index: pd.DatetimeIndex
    step_hours: float
    source_file: str | None = None

    @property
    def num_col(self) -> int:
        return len(self.c)

    @property
    def num_row(self) -> int:
        return self.A.shape[0]

    def values(self, x: np.ndarray, name: str) -> np.ndarray:
        """Slice the values of block ``name`` out of a full solution vector."""
        b = self.blocks[name]
        return x[b.start : b.start + b.size]


def _as_matrix(coef: float | np.ndarray | sp.spmatrix, n_rows: int, size: int) -> sp.spmatrix:
    """Turn a scalar, a 1-D array (diagonal) or a matrix into an (n_rows × size) sparse matrix."""
    if sp.issparse(coef):
        m = coef
    elif np.isscalar(coef):
        if n_rows != size:
            raise ValueError(f"scalar coefficient needs n_rows == size, got {n_rows} and {size}")
        m = sp.identity(size, format="coo") * float(coef)
    else:
        arr = np.asarray(coef, dtype=float)
        if arr.ndim == 1:
            if n_rows != size or len(arr) != size:
                raise ValueError("diagonal coefficient needs n_rows == size == len(coef)")
            m = sp.diags(arr, format="coo")
        else:
            m = sp.coo_matrix(arr)
    if m.shape != (n_rows, size):
        raise ValueError(f"coefficient shape {m.shape} != ({n_rows}, {size})")
    return m


@dataclass
class ModelBuilder:
    """Collects variable blocks, constraint blocks, balance terms and objective terms.

    Parameters
    ----------
    index : pandas.DatetimeIndex
        UTC time steps of the model.
    step_hours : float
        Step length, h (energy = power × step_hours).
    source : str
        Scenario section (or field) of the component adding blocks now; :func:`build` sets it
        before each component, and every value added is checked and blamed on it.
    source_file : str, optional
        Scenario file, for messages.
    """

    index: pd.DatetimeIndex
    step_hours: float
    source: str = "model"
    source_file: str | None = None
    _blocks: dict[str, VarBlock] = field(default_factory=dict)
    _lb: list[np.ndarray] = field(default_factory=list)
    _ub: list[np.ndarray] = field(default_factory=list)
    _n_cols: int = 0
    _rows: list[tuple[str, int, list[tuple[VarBlock, sp.spmatrix]], np.ndarray, np.ndarray]] = (
        field(default_factory=list)
    )
    _balance: list[tuple[VarBlock, float | np.ndarray]] = field(default_factory=list)
    _ledger_terms: dict[str, list[tuple[VarBlock, np.ndarray]]] = field(default_factory=dict)
    _ledger_offsets: dict[str, float] = field(default_factory=dict)
    _row_sources: dict[str, str] = field(default_factory=dict)

    @property
    def n_steps(self) -> int:
        return len(self.index)

    def _check(self, values: np.ndarray, kind: str, what: str, per_step: bool) -> None:
        """Raise :class:`ModelValueError` if HiGHS cannot take ``values`` as ``kind``."""
        found = array_problem(values, kind)
        if found is None:
            return
        i, value = found
        where = (f" at {self.index[i]:%Y-%m-%d %H:%M} UTC" if per_step and i < len(self.index)
                 else f" (entry {i})" if np.size(values) > 1 else "")
        raise ModelValueError(self.source, f"{kind} of {what} is {value:g}{where}; expected a "
                              f"finite number of at most {limit_of(kind):g} in size (check the "
                              "values and units of this section)")

    def add_variables(
        self,
        name: str,
        lb: float | np.ndarray = 0.0,
        ub: float | np.ndarray = np.inf,
        size: int | None = None,
        unit: str = "MW",
    ) -> VarBlock:
        """Add a block of ``size`` variables (one per step if ``size`` is None)."""
        if name in self._blocks:
            raise ValueError(f"variable block {name!r} exists already")
        per_step = size is None
        n = self.n_steps if size is None else int(size)
        lb_arr = np.broadcast_to(np.asarray(lb, dtype=float), (n,)).copy()
        ub_arr = np.broadcast_to(np.asarray(ub, dtype=float), (n,)).copy()
        self._check(lb_arr, "lower bound", name, per_step)
        self._check(ub_arr, "upper bound", name, per_step)
        block = VarBlock(name, self._n_cols, n, per_step, unit, self.source)
        self._blocks[name] = block
        self._lb.append(lb_arr)
        self._ub.append(ub_arr)
        self._n_cols += n
        return block

    def var(self, name: str) -> VarBlock:
        """Return a block added earlier (components look up each other's blocks by name)."""
        return self._blocks[name]

    def has_var(self, name: str) -> bool:
        return name in self._blocks

    def blocks(self) -> dict[str, VarBlock]:
        return dict(self._blocks)

    def set_bounds(self, block: VarBlock, lb: np.ndarray | None = None,
                   ub: np.ndarray | None = None) -> None:
        """Tighten the bounds of a block (e.g. an event capping import)."""
        i = list(self._blocks).index(block.name)
        if lb is not None:
            lb = np.broadcast_to(np.asarray(lb, dtype=float), (block.size,))
            self._check(lb, "lower bound", block.name, block.per_step)
            self._lb[i] = np.maximum(self._lb[i], lb)
        if ub is not None:
            ub = np.broadcast_to(np.asarray(ub, dtype=float), (block.size,))
            self._check(ub, "upper bound", block.name, block.per_step)
            self._ub[i] = np.minimum(self._ub[i], ub)

    def bounds(self, block: VarBlock) -> tuple[np.ndarray, np.ndarray]:
        i = list(self._blocks).index(block.name)
        return self._lb[i], self._ub[i]

    def add_constraints(
        self,
        name: str,
        terms: Sequence[tuple[VarBlock, object]],
        lb: float | np.ndarray = -np.inf,
        ub: float | np.ndarray = np.inf,
        n_rows: int | None = None,
    ) -> None:
        """Add rows ``lb <= Σ coef_i @ x_i <= ub``.

        Parameters
        ----------
        terms : sequence of (VarBlock, coefficient)
            Coefficient: a scalar or 1-D array (diagonal, one row per variable) or an
            (n_rows × block.size) matrix.
        n_rows : int, optional
            Row count; inferred from the first term if omitted.
        """
        if n_rows is None:
            block, coef = terms[0]
            n_rows = coef.shape[0] if (sp.issparse(coef) or np.ndim(coef) == 2) else block.size
        mats = [(b, _as_matrix(c, n_rows, b.size)) for b, c in terms]
        lb_arr = np.broadcast_to(np.asarray(lb, dtype=float), (n_rows,)).copy()
        ub_arr = np.broadcast_to(np.asarray(ub, dtype=float), (n_rows,)).copy()
        if any(r[0] == name for r in self._rows):
            raise ValueError(f"constraint block {name!r} exists already")
        per_step = n_rows == self.n_steps
        for b, m in mats:
            values = m.data if m.format in ("coo", "csr", "csc") else m.tocoo().data
            self._check(values, "coefficient", f"{b.name} in {name}", False)
        self._check(lb_arr, "lower bound", name, per_step)
        self._check(ub_arr, "upper bound", name, per_step)
        self._row_sources[name] = self.source
        self._rows.append((name, n_rows, mats, lb_arr, ub_arr))

    def add_balance_term(self, block: VarBlock, sign: float | np.ndarray) -> None:
        """Register a per-step power flow into (+) or out of (-) the site bus, MW."""
        self._check(np.atleast_1d(np.asarray(sign, dtype=float)), "coefficient",
                    f"{block.name} in power_balance", block.per_step)
        self._balance.append((block, sign))

    def add_objective(self, ledger: str, block: VarBlock, coef: float | np.ndarray) -> None:
        """Add ``coef · x_block`` to a ledger (``cost_usd``, ``emissions_*_t``, ``value_usd``)."""
        if ledger not in LEDGERS:
            raise ValueError(f"unknown ledger {ledger!r}; expected one of {LEDGERS}")
        arr = np.broadcast_to(np.asarray(coef, dtype=float), (block.size,)).copy()
        self._check(arr, "cost", f"{block.name} in {ledger}", block.per_step)
        self._ledger_terms.setdefault(ledger, []).append((block, arr))

    def add_constant(self, ledger: str, amount: float) -> None:
        """Add a constant amount to a ledger (fixed charges, penalties' reference terms)."""
        self._check(np.array([amount], dtype=float), "cost", f"constant of {ledger}", False)
        self._ledger_offsets[ledger] = self._ledger_offsets.get(ledger, 0.0) + float(amount)

    def build(self, weights: dict[str, float]) -> LinearProgram:
        """Stack all blocks into one LP.

        Parameters
        ----------
        weights : dict
            Objective weight of each ledger, e.g. ``{"cost_usd": 1, "value_usd": -1}``.
        """
        n = self._n_cols
        T = self.n_steps
        rows = list(self._rows)
        if self._balance:
            rows.append(
                ("power_balance", T, [(b, _as_matrix(s, T, b.size)) for b, s in self._balance],
                 np.zeros(T), np.zeros(T))
            )
        row_blocks: dict[str, RowBlock] = {}
        data, ri, ci = [], [], []
        lbs, ubs = [], []
        r0 = 0
        for name, n_rows, mats, lb, ub in rows:
            row_blocks[name] = RowBlock(name, r0, n_rows, self._row_sources.get(name, ""))
            for block, m in mats:
                m = m.tocoo()
                data.append(m.data)
                ri.append(m.row.astype(np.int64) + r0)
                ci.append(m.col.astype(np.int64) + block.start)
            lbs.append(lb)
            ubs.append(ub)
            r0 += n_rows
        if data:
            A = sp.csc_matrix(
                (np.concatenate(data), (np.concatenate(ri), np.concatenate(ci))), shape=(r0, n)
            )
        else:
            A = sp.csc_matrix((0, n))
        A.sum_duplicates()
        A.eliminate_zeros()
        ledgers = {}
        for ledger in LEDGERS:
            vec = np.zeros(n)
            for block, coef in self._ledger_terms.get(ledger, []):
                vec[block.start : block.start + block.size] += coef
            ledgers[ledger] = vec
        c = np.zeros(n)
        offset = 0.0
        for ledger, w in weights.items():
            c += w * ledgers[ledger]
            offset += w * self._ledger_offsets.get(ledger, 0.0)
        return LinearProgram(
            c=c,
            offset=offset,
            A=A,
            col_lb=np.concatenate(self._lb) if self._lb else np.zeros(0),
            col_ub=np.concatenate(self._ub) if self._ub else np.zeros(0),
            row_lb=np.concatenate(lbs) if lbs else np.zeros(0),
            row_ub=np.concatenate(ubs) if ubs else np.zeros(0),
            blocks=dict(self._blocks),
            row_blocks=row_blocks,
            ledgers=ledgers,
            ledger_offsets={k: self._ledger_offsets.get(k, 0.0) for k in LEDGERS},
            index=self.index,
            step_hours=self.step_hours,
            source_file=self.source_file,
        )
