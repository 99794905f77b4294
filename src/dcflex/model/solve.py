"""Solve an assembled :class:`~dcflex.model.lp.LinearProgram` with HiGHS through highspy.

The matrix goes to HiGHS in one ``passModel`` call from the CSC arrays (measured on this
project's LP: 16 ms at 35,040 steps against 42 ms for ``addVars``/``addRows``). The return
status of every call is checked: with a wrongly sized array ``passModel`` fails without
raising and a "solve" would report objective 0.

Before that call every array (costs, column and row bounds, matrix values) is checked for
values HiGHS cannot take — a NaN cost is accepted silently and can keep the simplex spinning
for ever — and the message names the block and the scenario section that added it.

A solve runs in a helper thread (HiGHS releases the GIL) while the main thread waits, so
Ctrl-C reaches Python during a solve: HiGHS's simplex/IPM interrupt callback then stops it
within one iteration check and :class:`KeyboardInterrupt` is raised once it has stopped.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import os
import re
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass

import highspy
import numpy as np

from dcflex.errors import InfeasibleError, ScenarioError, SolverError
from dcflex.model.lp import LinearProgram, array_problem, limit_of


@dataclass
class Solution:
    """Primal values and solver facts of one solve.

    Attributes
    ----------
    x : numpy.ndarray
        Column values.
    objective : float
        Objective value including the constant offset.
    status : str
        HiGHS model status text.
    solve_seconds : float
        HiGHS's own run time for this solve, s (difference of its cumulative clock).
    iterations : int
        Simplex iterations of this solve.
    """

    x: np.ndarray
    objective: float
    status: str
    solve_seconds: float
    iterations: int


def _check(status: highspy.HighsStatus, what: str) -> None:
    if status == highspy.HighsStatus.kError:
        raise SolverError(f"HiGHS {what} failed")


#: Models at least this large hand freed heap back before HiGHS solves (a 15-minute year has
#: about a million nonzeros; below this size the garbage collection would cost more time
#: than the memory is worth).
TRIM_ABOVE_NONZEROS = 200_000


def release_freed_memory() -> None:
    """Return freed heap pages to the operating system before HiGHS allocates its own.

    Building the LP leaves some 50 MB of freed but still mapped heap behind at a 15-minute
    year (many mid-sized temporary arrays); glibc keeps it for reuse, so it would count in the
    process's peak on top of HiGHS's solve memory. ``malloc_trim`` hands it back (glibc only;
    elsewhere this does nothing).
    """
    gc.collect()
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)


def new_highs() -> highspy.Highs:
    """A ``Highs`` object with logging off.

    HiGHS prints its banner from C++ when a process makes its first ``Highs`` object, before
    any option can be set; file descriptor 1 is pointed at /dev/null for that moment so that
    tables printed by the CLI stay clean.
    """
    sys.stdout.flush()
    saved = os.dup(1)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 1)
        h = highspy.Highs()
    finally:
        os.dup2(saved, 1)
        os.close(saved)
        os.close(devnull)
    h.setOptionValue("output_flag", False)
    return h


def _where(lp: LinearProgram, col: int | None = None, row: int | None = None
           ) -> tuple[str, str]:
    """(block description, scenario source) of a column or a row of ``lp``."""
    blocks = lp.blocks.values() if col is not None else lp.row_blocks.values()
    i = col if col is not None else row
    for b in blocks:
        if b.start <= i < b.start + b.size:
            step = i - b.start
            at = (f" at {lp.index[step]:%Y-%m-%d %H:%M} UTC"
                  if getattr(b, "per_step", b.size == len(lp.index)) and step < len(lp.index)
                  else f" (entry {step})" if b.size > 1 else "")
            return f"{b.name}{at}", b.source
    return f"{'column' if col is not None else 'row'} {i}", ""


def check_lp(lp: LinearProgram) -> None:
    """Check every array of ``lp`` before it goes to HiGHS.

    Raises
    ------
    ScenarioError
        Naming the scenario section whose component added the first value that is NaN, ±inf
        where that means nothing, or beyond HiGHS's limits
        (:func:`dcflex.model.lp.array_problem`).
    """
    A = lp.A
    checks = [("cost", lp.c, "col"), ("lower bound", lp.col_lb, "col"),
              ("upper bound", lp.col_ub, "col"), ("lower bound", lp.row_lb, "row"),
              ("upper bound", lp.row_ub, "row"), ("coefficient", A.data, "nz")]
    for kind, values, axis in checks:
        found = array_problem(values, kind)
        if found is None:
            continue
        k, value = found
        if axis == "col":
            what, source = _where(lp, col=k)
        elif axis == "row":
            what, source = _where(lp, row=k)
        else:
            col = int(np.searchsorted(A.indptr, k, side="right") - 1)
            row_what, source = _where(lp, row=int(A.indices[k]))
            what = f"{_where(lp, col=col)[0]} in {row_what}"
        raise ScenarioError(f"{kind} of {what} is {value:g}; expected a finite number of at "
                            f"most {limit_of(kind):g} in size (check the values and units of "
                            "this section)", file=lp.source_file, field=source or None)
    if not np.isfinite(lp.offset):
        raise ScenarioError(f"constant cost is {lp.offset:g}; expected a finite number",
                            file=lp.source_file)


def make_highs(lp: LinearProgram, time_limit_s: float | None = None,
               threads: int | None = None) -> highspy.Highs:
    """Create a silent ``Highs`` object holding ``lp`` (for one-off or repeated solves).

    Raises
    ------
    ScenarioError
        If an array of ``lp`` holds a value HiGHS cannot take (:func:`check_lp`).
    """
    check_lp(lp)
    if lp.A.nnz > TRIM_ABOVE_NONZEROS:
        release_freed_memory()
    h = new_highs()
    if time_limit_s is not None:
        h.setOptionValue("time_limit", float(time_limit_s))
    if threads is not None:
        h.setOptionValue("threads", int(threads))
    A = lp.A
    status = h.passModel(
        int(lp.num_col),
        int(lp.num_row),
        int(A.nnz),
        int(highspy.MatrixFormat.kColwise),
        int(highspy.ObjSense.kMinimize),
        float(lp.offset),
        np.ascontiguousarray(lp.c, dtype=np.float64),
        np.ascontiguousarray(lp.col_lb, dtype=np.float64),
        np.ascontiguousarray(lp.col_ub, dtype=np.float64),
        np.ascontiguousarray(lp.row_lb, dtype=np.float64),
        np.ascontiguousarray(lp.row_ub, dtype=np.float64),
        np.ascontiguousarray(A.indptr, dtype=np.int32),
        np.ascontiguousarray(A.indices, dtype=np.int32),
        np.ascontiguousarray(A.data, dtype=np.float64),
        np.zeros(int(lp.num_col), dtype=np.int32),  # all continuous
    )
    _check(status, "passModel")
    return h


def run_interruptible(h: highspy.Highs) -> highspy.HighsStatus:
    """``h.run()``, stoppable with Ctrl-C.

    In the main thread the solve runs in highspy's solver thread while this thread waits in
    short, interruptible steps; on :class:`KeyboardInterrupt` the solve is cancelled through
    HiGHS's interrupt callbacks (``kCallbackSimplexInterrupt``, ``kCallbackIpmInterrupt``),
    awaited, and the interrupt re-raised. Elsewhere (worker threads, where no signal arrives)
    it is a plain ``run``.

    Raises
    ------
    KeyboardInterrupt
        After HiGHS has stopped, if Ctrl-C (SIGINT) arrived during the solve.
    """
    if threading.current_thread() is not threading.main_thread():
        return h.run()
    h.HandleUserInterrupt = True  # registers the interrupt callbacks that honour cancelSolve
    h.startSolve()
    try:
        while True:
            done, status = h.wait(0.1)
            if done:
                return status
    except KeyboardInterrupt:
        h.cancelSolve()
        while True:
            try:
                if h.wait(0.1)[0]:
                    break
            except KeyboardInterrupt:
                raise KeyboardInterrupt from None  # a second Ctrl-C: stop waiting
        raise


def run_highs(h: highspy.Highs, n_cols: int) -> Solution:
    """Run (or re-run, warm) a ``Highs`` object and collect the solution.

    Raises
    ------
    InfeasibleError
        If HiGHS proves the model infeasible (callers replace it with a diagnosis).
    SolverError
        For unboundedness, time limits and numerical failures.
    """
    t0 = h.getRunTime()
    it0 = h.getInfo().simplex_iteration_count
    _check(run_interruptible(h), "run")
    status = h.getModelStatus()
    text = h.modelStatusToString(status)
    # presolve may stop at "unbounded or infeasible"; every dcflex LP is bounded (each variable
    # has finite bounds through the power balance and the import limit), so it is infeasible
    if status in (highspy.HighsModelStatus.kInfeasible,
                  highspy.HighsModelStatus.kUnboundedOrInfeasible):
        raise InfeasibleError([])
    if status == highspy.HighsModelStatus.kTimeLimit:
        limit = h.getOptionValue("time_limit")
        limit = limit[1] if isinstance(limit, tuple) else limit  # (status, value) in highspy 1.16
        raise SolverError(f"HiGHS reached its time limit ({limit:g} s, "
                          "optimization.time_limit_s) before an optimum")
    if status != highspy.HighsModelStatus.kOptimal:
        raise SolverError(f"HiGHS stopped without an optimum: {text}")
    sol = h.getSolution()
    info = h.getInfo()
    x = np.asarray(sol.col_value, dtype=float)
    if len(x) != n_cols:
        raise SolverError(f"HiGHS returned {len(x)} values for {n_cols} columns")
    return Solution(
        x=x,
        objective=float(info.objective_function_value),
        status=text,
        solve_seconds=float(h.getRunTime() - t0),
        iterations=int(info.simplex_iteration_count - max(it0, 0)),
    )


#: A progress line of HiGHS's simplex log: iteration count, objective, infeasibilities, time.
_ITERATION_LINE = re.compile(r"^\s*(\d+)\s+\S+\s+(?:Ph1|Ph2|Pr|Du)\b")


def watch_progress(h: highspy.Highs, progress: Callable[[int], None]) -> None:
    """Call ``progress(iterations)`` at each simplex progress line HiGHS logs.

    HiGHS writes a progress line when simplex starts and then every few seconds, so a short
    solve costs nothing and a long one reports its iterations; the log goes to the callback,
    never to the console.
    """
    h.setOptionValue("output_flag", True)
    h.setOptionValue("log_to_console", False)

    def on_log(event) -> None:
        match = _ITERATION_LINE.match(event.message)
        if match:
            progress(int(match.group(1)))

    h.cbLogging.subscribe(on_log)


def solve_lp(lp: LinearProgram, time_limit_s: float | None = None,
             progress: Callable[[int], None] | None = None) -> Solution:
    """Solve ``lp`` with HiGHS (dual simplex, the default; 3.5× faster than IPM here).

    ``progress``, if given, is called with the simplex iteration count as HiGHS logs it
    (:func:`watch_progress`).
    """
    h = make_highs(lp, time_limit_s)
    if progress is not None:
        watch_progress(h, progress)
    return run_highs(h, lp.num_col)
