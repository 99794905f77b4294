"""The sweep store: one atomically written file per variant, resumable, read back as a table.

:func:`done_ids` tells which variants have a result (what a resumed sweep skips);
:func:`write_manifest` and :func:`read_manifest` handle ``sweep.json``; :func:`consolidate`
rebuilds the metrics table from the per-variant files. The layout is described in
:mod:`dcflex.studies.sweep`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

from dcflex.errors import DataError
from dcflex.results.files import atomic_path, strict_json, write_text_atomic
from dcflex.studies.sweep.spec import SweepSpec, Variant, _show

MANIFEST = "sweep.json"
METRICS_TABLE = "metrics.parquet"
BAU_PREFIX = "bau__"
# Columns of the metrics table that are not parameters or metrics.
ID_COLUMNS = ("variant_id", "variant", "status", "error", "elapsed_s")


def _paths(store: Path, vid: str) -> tuple[Path, Path, Path]:
    return (store / "schedules" / f"{vid}.parquet", store / "results" / f"{vid}.json",
            store / "failures" / f"{vid}.json")


def _json(doc: dict) -> str:
    # strict JSON: a missing or non-finite metric is null, never a bare NaN
    return strict_json(doc, indent=1)


def _read_json(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise DataError(f"unreadable sweep record ({exc}); delete it to rerun the variant",
                        file=path) from None


def done_ids(store: str | Path) -> set[str]:
    """Ids of the variants with a result file (and their schedule) in ``store``."""
    store = Path(store)
    folder = store / "results"
    if not folder.is_dir():
        return set()
    out = set()
    for p in folder.glob("*.json"):
        if p.name.startswith("."):
            continue  # a temporary file of an interrupted atomic write
        if (store / "schedules" / f"{p.stem}.parquet").exists():
            out.add(p.stem)
    return out


def write_manifest(store: str | Path, spec: SweepSpec, variants: list[Variant]) -> Path:
    """Write ``sweep.json``: the sweep's axes and its variants (id, label, parameters)."""
    store = Path(store)
    doc = {
        "name": spec.name,
        "sweep_file": str(spec.source_file) if spec.source_file else None,
        "axes": [a.path for a in spec.axes],
        "variants": [{"id": v.id, "label": v.label, "params": v.params,
                      "scenario_file": v.scenario_file} for v in variants],
    }
    path = store / MANIFEST
    write_text_atomic(path, _json(doc))
    return path


def read_manifest(store: str | Path) -> dict:
    """The ``sweep.json`` of a store."""
    path = Path(store) / MANIFEST
    if not path.exists():
        raise DataError(f"no {MANIFEST} here: not a sweep store (run 'dcflex sweep' first)",
                        file=Path(store))
    doc = _read_json(path)
    problem = _manifest_problem(doc)
    if problem:
        raise DataError(f"not a sweep manifest: {problem} (written by 'dcflex sweep'; run it "
                        "again to rebuild the store)", file=path)
    return doc


def _manifest_problem(doc: Any) -> str | None:
    """What is wrong with the structure of a manifest, or None."""
    if not isinstance(doc, dict):
        return f"expected a mapping, found a {type(doc).__name__}"
    for key, kind in (("name", str), ("axes", list), ("variants", list)):
        if not isinstance(doc.get(key), kind):
            return f"'{key}' is missing or not a {kind.__name__}"
    if not all(isinstance(a, str) for a in doc["axes"]):
        return "'axes' holds something other than field paths"
    for i, v in enumerate(doc["variants"]):
        if not (isinstance(v, dict) and isinstance(v.get("id"), str)
                and isinstance(v.get("label"), str) and isinstance(v.get("params"), dict)):
            return f"variant {i} lacks an id, label or params"
    return None


def _param_column(values: list[Any]) -> list[Any]:
    """One Parquet-friendly column: numbers stay numbers, anything else becomes text."""
    numeric = all(v is None or (isinstance(v, int | float) and not isinstance(v, bool))
                  for v in values)
    if numeric:
        return [float("nan") if v is None else v for v in values]
    return [None if v is None else _show(v) for v in values]


def consolidate(store: str | Path, write: bool = True) -> pd.DataFrame:
    """Rebuild the metrics table of a store from its per-variant files.

    One row per variant of the manifest, in sweep order: ``variant_id``, ``variant``,
    ``status`` (done / failed / missing), ``error``, ``elapsed_s``, one column per axis, the
    flexible metrics and the value split (``battery_value_usd``, ...) by name and the
    business-as-usual metrics prefixed ``bau__``.

    Parameters
    ----------
    store : path
    write : bool
        Also write ``metrics.parquet`` (atomically).
    """
    store = Path(store)
    manifest = read_manifest(store)
    axes = manifest["axes"]
    done = done_ids(store)
    rows = []
    for v in manifest["variants"]:
        _, result_path, fail_path = _paths(store, v["id"])
        row: dict[str, Any] = {"variant_id": v["id"], "variant": v["label"],
                               "status": "missing", "error": None, "elapsed_s": float("nan")}
        if v["id"] in done:
            doc = _read_json(result_path)
            if not (isinstance(doc, dict) and isinstance(doc.get("metrics"), dict)
                    and isinstance(doc.get("baseline_metrics"), dict)):
                raise DataError("not a sweep result: 'metrics' or 'baseline_metrics' is missing;"
                                " delete it to rerun the variant", file=result_path)
            row.update(status="done", elapsed_s=doc.get("elapsed_s", float("nan")))
            row.update(doc["metrics"])
            row.update(doc.get("values", {}))
            row.update({BAU_PREFIX + k: x for k, x in doc["baseline_metrics"].items()})
        elif fail_path.exists():
            doc = _read_json(fail_path)
            doc = doc if isinstance(doc, dict) else {}
            row.update(status="failed", error=doc.get("error"),
                       elapsed_s=doc.get("elapsed_s", float("nan")))
        row["_params"] = v["params"]
        rows.append(row)
    table = pd.DataFrame([{k: x for k, x in r.items() if k != "_params"} for r in rows])
    for i, axis in enumerate(axes):
        table.insert(len(ID_COLUMNS) + i, axis,
                     _param_column([r["_params"].get(axis) for r in rows]))
    table["error"] = table["error"].astype(object)
    if write:
        with atomic_path(store / METRICS_TABLE) as tmp:
            table.to_parquet(tmp, index=False)
    return table


def remove_partial_files(store: str | Path) -> list[Path]:
    """Delete the temporary files of atomic writes that never finished (a worker killed while
    writing). Call only when no task writes to ``store``; returns the paths removed."""
    removed = []
    for sub in ("schedules", "results", "failures"):
        folder = Path(store) / sub
        if folder.is_dir():
            for p in folder.glob(".*"):
                p.unlink(missing_ok=True)
                removed.append(p)
    return removed

