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


def slug(text: str) -> str:
    """``text`` as a file or folder name: runs of anything but letters, digits, ``_.-`` become
    ``_``."""
    import re

    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text).strip("_") or "unnamed"


def default_out(command: str, name: str) -> Path:
    """The output folder of a command when ``--out`` is not given: ``out/<command>/<name>``
    (so ``run`` and ``simulate`` of one scenario never overwrite each other's files)."""
    return Path("out") / command / slug(name)


def iso_date(value: str | None, option: str) -> str | None:
    """Check an option holds an ISO date (``YYYY-MM-DD``); anything else is one error line
    (``09/01/2023`` is a different day in the US and in Europe, so it is never guessed)."""
    import re
    from datetime import date

    if value is None:
        return None
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()):
        try:
            date.fromisoformat(value.strip())
            return value.strip()
        except ValueError:
            pass
    raise OptionError(option, f"expected an ISO date YYYY-MM-DD such as 2023-07-10, got "
                              f"{value!r}")


@contextlib.contextmanager
def solver_progress(what: str) -> Iterator[Callable[[int], None]]:
    """Show ``what`` with the elapsed time while the block runs, and HiGHS's simplex
    iterations as it reports them (every few seconds of a long solve); yield the callback
    to pass as ``progress=`` (:func:`dcflex.studies.run.run`)."""
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
                  console=err_console, transient=True) as bar:
        task = bar.add_task(escape(what), total=None)

        def progress(iterations: int) -> None:
            bar.update(task, description=escape(f"{what}: HiGHS simplex iteration "
                                                f"{iterations:,}"))

        yield progress


def print_frame(frame: pd.DataFrame, title: str | None = None,
                units: dict[str, str | None] | None = None, currency: str = "USD") -> None:
    """Print a DataFrame with human numbers (:mod:`dcflex.results.format`), in as many
    blocks of columns as it takes to fit the console's width.

    A rich table on a terminal, plain aligned text otherwise (piped output and logs). Money
    names and units are shown in ``currency`` (:mod:`dcflex.results.currency`).
    """
    from dcflex.results.currency import present_frame
    from dcflex.results.format import format_frame

    text = present_frame(format_frame(frame, units), currency)
    index_name = str(text.index.name or "")
    labels = [str(i) for i in text.index]
    width = max(console.width, 40)
    for block in _column_blocks(text, labels, index_name, width):
        if console.is_terminal:
            # names come from scenarios: escaped, so a site called "[/bold]" is shown as text
            table = Table(title=escape(title) if title else None, show_lines=False)
            table.add_column(escape(index_name), style="bold")
            for col in block:
                table.add_column(escape(str(col)), justify="left" if col == "unit" else "right")
            for label, row in zip(labels, text[block].itertuples(index=False), strict=True):
                table.add_row(escape(label), *(escape(c) for c in row))
            console.print(table)
        else:
            if title:
                console.print(title, highlight=False, soft_wrap=True, markup=False)
            console.print(_plain(text[block], labels, index_name), highlight=False,
                          soft_wrap=True, markup=False)
        title = None  # on the first block only


def _column_blocks(text: pd.DataFrame, labels: list[str], index_name: str, width: int
                   ) -> list[list[str]]:
    """Split the columns into consecutive blocks whose rows fit ``width`` characters (each
    block repeats the index; a rich table adds about 3 characters per column)."""
    first = max([len(index_name), *map(len, labels)]) + 4
    blocks: list[list[str]] = [[]]
    used = first
    for col in text.columns:
        w = max([len(str(col)), *map(len, text[col])]) + 3
        if blocks[-1] and used + w > width:
            blocks.append([])
            used = first
        blocks[-1].append(col)
        used += w
    return blocks


def _plain(text: pd.DataFrame, labels: list[str], index_name: str) -> str:
    widths = [max([len(index_name), *map(len, labels)])]
    widths += [max([len(str(c)), *map(len, text[c])]) for c in text.columns]
    header = [index_name.ljust(widths[0])] + [
        (str(c).ljust if c == "unit" else str(c).rjust)(w)
        for c, w in zip(text.columns, widths[1:], strict=True)]
    lines = ["  ".join(header).rstrip()]
    for label, row in zip(labels, text.itertuples(index=False), strict=True):
        cells = [label.ljust(widths[0])] + [
            (v.ljust if c == "unit" else v.rjust)(w)
            for c, v, w in zip(text.columns, row, widths[1:], strict=True)]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)
