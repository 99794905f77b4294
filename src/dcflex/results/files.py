"""Output files written whole or not at all.

Every file dcflex writes goes through :func:`atomic_path`: the content is written to a
temporary sibling and renamed into place only when complete, so an interrupted run never
leaves a half-written file.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; move it into place only if the block succeeds.

    An interrupted or failed write leaves no half-written file behind.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # not tempfile.mkstemp: its files are private (0600), and os.replace would keep that mode;
    # open(..., "x") honours the user's umask like any other output file
    while True:
        tmp_path = path.parent / f".{path.name}.{secrets.token_hex(6)}{path.suffix}"
        try:
            with open(tmp_path, "xb"):
                break
        except FileExistsError:
            continue
    try:
        yield tmp_path
        os.replace(tmp_path, path)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


def write_text_atomic(path: str | Path, text: str) -> None:
    """Write text to ``path`` atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
