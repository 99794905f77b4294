"""Errors that dcflex raises for bad input and impossible requirements.

Every error names where the problem is (file, line, field) and what was expected, so the
CLI can print one line and exit non-zero instead of a traceback.
"""

from __future__ import annotations

from pathlib import Path


class DcflexError(Exception):
    """Base class of every error dcflex raises on purpose."""

    exit_code = 2


class DcflexWarning(UserWarning):
    """Something in the input has no effect or was adjusted; the run goes on (the CLI prints
    it as a note)."""


class ScenarioError(DcflexError):
    """A scenario file is malformed or a field has a wrong value.

    Parameters
    ----------
    message : str
        What was expected and what was found, e.g. ``"must be > 0, got -5"``.
    file : path, optional
        Scenario file the problem is in.
    field : str, optional
        Dotted field path, e.g. ``"battery.energy_mwh"``.
    line : int, optional
        1-based line number in ``file`` where YAML gives it.
    """

    def __init__(
        self,
        message: str,
        file: str | Path | None = None,
        field: str | None = None,
        line: int | None = None,
    ) -> None:
        self.message = message
        self.file = str(file) if file is not None else None
        self.field = field
        self.line = line
        super().__init__(self.__str__())

    def __reduce__(self) -> tuple:
        # keep file, field and line when the error crosses a process boundary (compare, sweep)
        return (type(self), (self.message, self.file, self.field, self.line))

    def __str__(self) -> str:
        where = ""
        if self.file:
            where = self.file + (f":{self.line}" if self.line else "")
        if self.field:
            where = f"{where} {self.field}" if where else self.field
        return f"{where}: {self.message}" if where else self.message


class DataError(DcflexError):
    """A data file or series is unusable: missing, wrong column, gaps, NaN, bad units or time zone.

    Parameters
    ----------
    message : str
        What was expected and what was found.
    file : path, optional
        The data file.
    field : str, optional
        Column, series name or scenario field the data is for.
    """

    def __init__(
        self, message: str, file: str | Path | None = None, field: str | None = None
    ) -> None:
        self.message = message
        self.file = str(file) if file is not None else None
        self.field = field
        super().__init__(self.__str__())

    def __reduce__(self) -> tuple:
        return (type(self), (self.message, self.file, self.field))

    def __str__(self) -> str:
        parts = [p for p in (self.file, self.field) if p]
        where = " ".join(parts)
        return f"{where}: {self.message}" if where else self.message


class InfeasibleError(DcflexError):
    """The requirements of a scenario cannot all be met.

    Parameters
    ----------
    diagnosis : list of str
        One sentence per collision found, each naming the requirement and the limit it hits.
    """

    exit_code = 3

    def __init__(self, diagnosis: list[str]) -> None:
        self.diagnosis = list(diagnosis)
        text = "; ".join(self.diagnosis) or "no schedule meets every requirement"
        super().__init__(f"infeasible scenario: {text}")

    def __reduce__(self) -> tuple:
        return (type(self), (self.diagnosis,))


class SolverError(DcflexError):
    """The solver failed for a reason other than infeasibility (numerical trouble, time limit)."""

    exit_code = 4


class OptionError(DcflexError):
    """A command-line option has a value the command cannot use.

    Parameters
    ----------
    option : str
        The option as typed, e.g. ``"--week"``.
    message : str
        What was expected and what was found.
    """

    def __init__(self, option: str, message: str) -> None:
        self.option = option
        self.message = message
        super().__init__(f"{option}: {message}")

    def __reduce__(self) -> tuple:
        return (type(self), (self.option, self.message))
