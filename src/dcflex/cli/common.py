"""Shared pieces of the command line: one-line errors, atomic output files, tables.

Every command body runs inside :func:`handle_errors`: a :class:`~dcflex.errors.DcflexError`
becomes one red line on stderr and the error's exit code (2 bad input, 3 infeasible,
4 solver failure), never a traceback.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

if TYPE_CHECKING:
    import pandas as pd

from dcflex.errors import DcflexError, DcflexWarning, InfeasibleError, OptionError

F = TypeVar("F", bound=Callable[..., Any])

console = Console()
err_console = Console(stderr=True)


def handle_errors(func: F) -> F:
    """Run a command; print a :class:`DcflexError` as one line and exit with its code."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        def note(message: Warning | str, category: type[Warning], *rest: Any, **kw: Any
                 ) -> None:
            label = "note" if issubclass(category, DcflexWarning) else "warning"
            err_console.print(f"[yellow]{label}:[/] {escape(str(message))}", highlight=False,
                              soft_wrap=True)

        try:
            with warnings.catch_warnings():
                warnings.showwarning = note
                return func(*args, **kwargs)
        except InfeasibleError as exc:
            err_console.print(f"[bold red]infeasible:[/] {escape('; '.join(exc.diagnosis))}",
                              highlight=False, soft_wrap=True)
            raise typer.Exit(exc.exit_code) from None
        except DcflexError as exc:
            err_console.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False,
                              soft_wrap=True)
            raise typer.Exit(exc.exit_code) from None
        except OSError as exc:
            # the file system refused (a folder where a file was expected, an output path
            # that is a file, no permission): its message names the path
            what = exc.strerror or str(exc)
            where = f"{exc.filename}: " if exc.filename else ""
            err_console.print(f"[bold red]error:[/] {escape(where + what)}", highlight=False,
                              soft_wrap=True)
            raise typer.Exit(2) from None

    return wrapper  # type: ignore[return-value]


def check_output_dir(out: str | Path | None, option: str = "--out") -> None:
    """Fail before any work if ``out`` exists and is not a folder (or cannot be created)."""
    if out is None:
        return
    path = Path(out)
    blocker = next((p for p in (path, *path.parents) if p.exists()), None)
    if blocker is not None and not blocker.is_dir():
        raise OptionError(option, f"expected a folder, but {blocker} is a file")
    if blocker is not None and not os.access(blocker, os.W_OK):
        raise OptionError(option, f"cannot write under {blocker} (no permission)")


def print_frame(frame: pd.DataFrame, title: str | None = None, float_format: str = "{:,.4g}"
                ) -> None:
    """Print a DataFrame as a rich table, or as plain text when output is not a terminal
    (so piped output and logs keep every column whole)."""
    import pandas as pd

    if not console.is_terminal:
        if title:
            console.print(title, highlight=False, soft_wrap=True)
        fmt = {c: float_format.format for c in frame.columns if frame[c].dtype.kind == "f"}
        console.print(frame.to_string(formatters=fmt, na_rep="–"), highlight=False,
                      soft_wrap=True, markup=False)
        return
    table = Table(title=title, show_lines=False)
    table.add_column(str(frame.index.name or ""), style="bold")
    for col in frame.columns:
        table.add_column(str(col), justify="right")
    for idx, row in frame.iterrows():
        cells = []
        for v in row:
            if isinstance(v, float):
                cells.append(float_format.format(v) if pd.notna(v) else "–")
            else:
                cells.append(str(v))
        table.add_row(str(idx), *cells)
    console.print(table)
