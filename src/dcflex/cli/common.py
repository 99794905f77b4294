"""Shared pieces of the command line: one-line errors, atomic output files, tables.

Every command body runs inside :func:`handle_errors`: a :class:`~dcflex.errors.DcflexError`
becomes one red line on stderr and the error's exit code (2 bad input, 3 infeasible,
4 solver failure), never a traceback. Ctrl-C prints one line and exits with 130 (128 +
SIGINT, the shell convention); an unexpected exception prints one line naming its type and
where it arose, exit 1 (``DCFLEX_TRACEBACK=1`` shows the traceback instead).
"""

from __future__ import annotations

import contextlib
import math
import os
import traceback
import warnings
from collections.abc import Callable, Iterator
from functools import wraps
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from typer.exceptions import TyperException

if TYPE_CHECKING:
    import pandas as pd

from dcflex.errors import DcflexError, DcflexWarning, InfeasibleError, OptionError

F = TypeVar("F", bound=Callable[..., Any])

# emoji codes off: ":100:" in "file.yaml:100: ..." must stay a line number
console = Console(emoji=False)
err_console = Console(stderr=True, emoji=False)


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
            _finite_options(kwargs)
            with warnings.catch_warnings():
                warnings.showwarning = note
                return func(*args, **kwargs)
        except (typer.Exit, typer.Abort, TyperException):
            raise  # usage errors and exits: Typer prints and exits as it should
        except KeyboardInterrupt:
            err_console.print("[bold red]interrupted[/] (Ctrl-C); nothing was written",
                              highlight=False)
            raise typer.Exit(130) from None
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
        except RuntimeError as exc:
            # pathlib's resolve() reports a loop of symbolic links this way before Python 3.13
            if not str(exc).startswith("Symlink loop"):
                return _internal_error(exc)
            err_console.print(f"[bold red]error:[/] {escape(str(exc))}: a loop of symbolic "
                              "links", highlight=False, soft_wrap=True)
            raise typer.Exit(2) from None
        except MemoryError:
            err_console.print("[bold red]error:[/] out of memory (a smaller period, a coarser "
                              "step or fewer variants needs less)", highlight=False)
            raise typer.Exit(2) from None
        except Exception as exc:
            return _internal_error(exc)

    return wrapper  # type: ignore[return-value]


def _internal_error(exc: Exception) -> None:
    """One line for an exception dcflex did not expect (a bug), exit 1; or the traceback if
    ``DCFLEX_TRACEBACK`` is set."""
    if os.environ.get("DCFLEX_TRACEBACK"):
        raise exc
    err_console.print(f"[bold red]internal error:[/] {escape(_origin(exc))}; this is a bug in "
                      "dcflex, please report it (DCFLEX_TRACEBACK=1 shows the traceback)",
                      highlight=False, soft_wrap=True)
    raise typer.Exit(1) from None


def _finite_options(kwargs: dict[str, Any]) -> None:
    """Refuse ``nan``/``inf`` in number options (click's float type accepts them)."""
    from dcflex.errors import OptionError

    for name, value in kwargs.items():
        if isinstance(value, float) and not math.isfinite(value):
            raise OptionError(f"--{name.replace('_', '-')}",
                              f"expected a finite number, got {value}")


def _origin(exc: BaseException) -> str:
    """``ValueError in dcflex/x/y.py:42``: the type and the innermost dcflex frame, not the
    message (which may quote a data file)."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__)
              if f"{os.sep}dcflex{os.sep}" in f.filename]
    where = ""
    if frames:
        path = frames[-1].filename
        where = f" in {path[path.rfind(os.sep + 'dcflex' + os.sep) + 1:]}:{frames[-1].lineno}"
    return f"{type(exc).__name__}{where}"


@contextlib.contextmanager
def writing(out: Path | None, option: str = "--out") -> Iterator[Path | None]:
    """The folder a command writes its outputs into, replacing ``out`` as one set at the end
    (:func:`dcflex.results.files.output_set`); None if ``out`` is None."""
    if out is None:
        yield None
        return
    from dcflex.results.files import output_set

    with output_set(out, option) as folder:
        yield folder


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
            console.print(title, highlight=False, soft_wrap=True, markup=False)
        fmt = {c: float_format.format for c in frame.columns if frame[c].dtype.kind == "f"}
        console.print(frame.to_string(formatters=fmt, na_rep="–"), highlight=False,
                      soft_wrap=True, markup=False)
        return
    # names come from scenarios: escaped, so a site called "[/bold]" is shown, not parsed
    table = Table(title=escape(title) if title else None, show_lines=False)
    table.add_column(escape(str(frame.index.name or "")), style="bold")
    for col in frame.columns:
        table.add_column(escape(str(col)), justify="right")
    for idx, row in frame.iterrows():
        cells = []
        for v in row:
            if isinstance(v, float):
                cells.append(float_format.format(v) if pd.notna(v) else "–")
            else:
                cells.append(escape(str(v)))
        table.add_row(escape(str(idx)), *cells)
    console.print(table)
