"""Locate the public reference data sets used by tests, benchmarks and notebooks.

The data are not shipped with the package. They are found in the folder named by the
``DCFLEX_DATA`` environment variable, or else in ``../shared/data`` relative to the project
root (the checkout this module lives in).
"""

from __future__ import annotations

import os
from pathlib import Path

from dcflex.errors import DataError

_PROJECT_ROOT = Path(__file__).resolve().parents[3]


def shared_data_dir() -> Path:
    """Return the folder of the reference data sets.

    Returns
    -------
    pathlib.Path
        ``$DCFLEX_DATA`` if set, else ``<project root>/../shared/data``.
    """
    env = os.environ.get("DCFLEX_DATA")
    if env:
        return Path(env).expanduser().resolve()
    return (_PROJECT_ROOT.parent / "shared" / "data").resolve()


def shared_data(*parts: str) -> Path:
    """Return the path of one reference data file, failing loudly if it is absent.

    Parameters
    ----------
    *parts : str
        Path components below the data folder, e.g. ``("green-dcc", "weather", "x.json")``.

    Raises
    ------
    DataError
        If the file does not exist (tests must fail, not skip, when data is missing).
    """
    path = shared_data_dir().joinpath(*parts)
    if not path.exists():
        raise DataError(
            f"reference data file not found (set DCFLEX_DATA to the data folder; "
            f"looked in {shared_data_dir()})",
            file=path,
        )
    return path
