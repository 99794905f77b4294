"""Output files written whole or not at all, one file or one folder at a time.

:func:`atomic_path` writes one file: the content goes to a temporary sibling that is renamed
into place only when complete, so an interrupted run never leaves a half-written file.

:func:`output_set` does the same for a command's whole output folder, so a folder never mixes
the files of two runs: the command writes into a temporary sibling folder, which replaces the
target in one rename (``renameat2(RENAME_EXCHANGE)`` on Linux, ``renamex_np(RENAME_SWAP)`` on
macOS, both atomic; elsewhere two renames). A lock file next to the target refuses a second
writer at once; a writer killed mid-run (SIGKILL, power loss) leaves only hidden temporaries,
which the next writer of the same target removes. A folder is replaced only if it is empty
or holds exactly what an earlier output set wrote (listed in its ``.dcflex-output.json``):
dcflex never deletes files it did not write.

:func:`write_json_atomic` writes strict JSON (RFC 8259): NaN and ±inf become ``null``.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import fcntl
import json
import math
import os
import secrets
import shutil
import sys
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

from dcflex.errors import OptionError

#: Name of the file listing what an output set wrote (inside the output folder).
MARKER = ".dcflex-output.json"


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


def strict_json_value(value: Any) -> Any:
    """``value`` with NaN/±inf as None, numpy scalars as Python numbers, dates as ISO text."""
    if isinstance(value, dict):
        return {str(k): strict_json_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [strict_json_value(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, str | bytes):  # numpy scalar
        value = value.item()
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, date | datetime):
        return value.isoformat()
    if value is None or isinstance(value, str | int):
        return value
    return str(value)


def strict_json(doc: Any, indent: int | None = 2) -> str:
    """``doc`` as strict JSON: missing and non-finite numbers are ``null``, never ``NaN``."""
    return json.dumps(strict_json_value(doc), indent=indent, allow_nan=False)


def write_json_atomic(path: str | Path, doc: Any, indent: int | None = 2) -> None:
    """Write ``doc`` to ``path`` atomically as strict JSON (:func:`strict_json`)."""
    write_text_atomic(path, strict_json(doc, indent))


def _swap(new: Path, target: Path) -> None:
    """Put folder ``new`` at ``target`` in one step; the old ``target`` ends up at ``new``."""
    libc = ctypes.CDLL(None, use_errno=True)
    src, dst = os.fsencode(new), os.fsencode(target)
    if sys.platform.startswith("linux") and hasattr(libc, "renameat2"):
        at_fdcwd, rename_exchange = -100, 2  # <fcntl.h>, <linux/fs.h>
        result = libc.renameat2(at_fdcwd, src, at_fdcwd, dst, rename_exchange)
    elif sys.platform == "darwin" and hasattr(libc, "renamex_np"):
        rename_swap = 2  # <stdio.h>
        result = libc.renamex_np(src, dst, rename_swap)
    else:
        raise OSError(errno.ENOSYS, "no atomic folder exchange on this platform")
    if result != 0:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err), str(target))


def _replace_folder(new: Path, target: Path) -> None:
    """Move the finished folder ``new`` to ``target``, removing the output set it replaces."""
    if not target.exists():
        os.rename(new, target)
        return
    try:
        _swap(new, target)
        old = new
    except OSError:
        # a file system without the exchange: two renames, with the old set kept under a
        # hidden name in between, so a crash there leaves it for the next run to clean
        old = new.with_name(new.name.replace(".tmp-", ".old-"))
        os.rename(target, old)
        os.rename(new, target)
    shutil.rmtree(old, ignore_errors=True)


def _foreign_entry(target: Path) -> str | None:
    """An entry of ``target`` that no earlier output set wrote, or None."""
    if not target.is_dir():
        return None
    entries = sorted(os.listdir(target))
    listed: set[str] = set()
    if MARKER in entries:
        try:
            doc = json.loads((target / MARKER).read_text(encoding="utf-8"))
            listed = {str(f) for f in doc.get("files", [])}
        except (OSError, ValueError, AttributeError):
            return MARKER
    return next((e for e in entries if e != MARKER and e not in listed), None)


@contextlib.contextmanager
def _locked(lock: Path, target: Path, option: str) -> Iterator[None]:
    """Hold an exclusive lock on ``lock`` (flock: released by the kernel if the process dies)."""
    while True:
        fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 32).decode("ascii", "replace").strip()
            os.close(fd)
            who = f" (pid {holder})" if holder.isdigit() else ""
            raise OptionError(option, f"another dcflex process{who} is writing {target}; wait "
                                      "for it to finish or choose another folder") from None
        # the previous holder may have removed the file between our open and our lock
        try:
            same = os.path.samestat(os.fstat(fd), os.stat(lock))
        except FileNotFoundError:
            same = False
        if same:
            break
        os.close(fd)
    try:
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        yield
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(lock)
        os.close(fd)


def _remove_stale(parent: Path, name: str) -> list[Path]:
    """Remove the temporaries that killed writers of ``parent/name`` left (under the lock)."""
    removed = []
    for entry in os.listdir(parent):
        if entry.startswith((f".{name}.tmp-", f".{name}.old-")):
            shutil.rmtree(parent / entry, ignore_errors=True)
            removed.append(parent / entry)
    return removed


def _check_replaceable(target: Path, option: str) -> None:
    if target.exists() and not target.is_dir():
        raise OptionError(option, f"expected a folder, but {target} is a file")
    foreign = _foreign_entry(target)
    if foreign is not None:
        raise OptionError(option, f"{target} holds {foreign!r}, which dcflex did not write "
                                  "there; dcflex replaces its output folder as a whole, so "
                                  "give a new or empty folder (or one dcflex wrote)")


@contextlib.contextmanager
def output_set(target: str | Path, option: str = "--out") -> Iterator[Path]:
    """Write a whole output folder: yield an empty temporary folder that replaces ``target``
    in one rename if the block succeeds, and is removed if it does not.

    Parameters
    ----------
    target : path
        The output folder.
    option : str
        Command-line option that named it, for messages.

    Raises
    ------
    OptionError
        If another process is writing ``target`` (checked at once, before any work), or if
        ``target`` holds files no dcflex output set wrote.
    """
    # through symbolic links: the folder a link points to is replaced, the link stays
    target = Path(os.path.realpath(target))
    if target.parent == target:
        raise OptionError(option, f"cannot replace {target} (a file system root)")
    parent, name = target.parent, target.name
    parent.mkdir(parents=True, exist_ok=True)
    with _locked(parent / f".{name}.lock", target, option):
        _remove_stale(parent, name)
        _check_replaceable(target, option)
        tmp = parent / f".{name}.tmp-{secrets.token_hex(6)}"
        tmp.mkdir()
        try:
            yield tmp
            files = sorted(os.listdir(tmp))
            write_json_atomic(tmp / MARKER, {"written_by": "dcflex", "files": files})
            _check_replaceable(target, option)  # a file may have been added meanwhile
            _replace_folder(tmp, target)
        finally:
            if tmp.exists():
                shutil.rmtree(tmp, ignore_errors=True)
