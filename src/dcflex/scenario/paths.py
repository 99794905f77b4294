"""Data-file paths named in scenarios: made absolute on loading, relative for hashing.

Every ``file:`` value and every entry of a ``files:`` list is a path relative to the scenario
file that names it; ``data:`` and ``pvlib:`` references are left as they are.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

_PATH_KEYS = ("file",)
_PATH_LIST_KEYS = ("files",)


def _map_paths(data: Any, change: Callable[[str], str]) -> Any:
    """``data`` with ``change`` applied to every ``file:`` value and ``files:`` list entry."""
    if isinstance(data, dict):
        out = {}
        for key, value in data.items():
            if key in _PATH_KEYS and isinstance(value, str):
                out[key] = change(value)
            elif key in _PATH_LIST_KEYS and isinstance(value, list):
                out[key] = [change(v) if isinstance(v, str) else v for v in value]
            else:
                out[key] = _map_paths(value, change)
        return out
    if isinstance(data, list):
        return [_map_paths(v, change) for v in data]
    return data


def relative_paths(data: Any, base_dir: Path) -> Any:
    """``data`` with every absolute ``file``/``files`` path under ``base_dir`` made relative."""
    def rel(value: str) -> str:
        p = Path(value)
        return p.relative_to(base_dir).as_posix() if p.is_relative_to(base_dir) else value

    return _map_paths(data, rel)


def resolve_paths(data: Any, base_dir: Path) -> Any:
    """Make every ``file:`` (and ``files:`` list) value absolute, relative to the file that
    names it.

    ``data:`` and ``pvlib:`` references stay as they are (see :mod:`dcflex.model.inputs`).
    """
    def absolute(value: str) -> str:
        if value.startswith(("pvlib:", "data:")):
            return value
        p = Path(value).expanduser()
        if p.is_absolute():
            return str(p)
        try:
            return str((base_dir / p).resolve())
        except (RuntimeError, OSError):
            # a loop of symbolic links: keep the path; reading the file reports the loop
            return os.path.abspath(base_dir / p)

    return _map_paths(data, absolute)
