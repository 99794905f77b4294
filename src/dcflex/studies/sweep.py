"""Scenario sweeps: many variants of one scenario, run on local processes or a Dask cluster.

A sweep file names a base scenario, overrides applied to every variant and the axes to vary::

    base: example.yaml                  # relative to the sweep file
    overrides:                          # applied to every variant (dotted or nested keys)
      period: {start: 2023-07-20, end: 2023-08-03}
    axes:
      battery.power_mw: [1, 2, 4]
      battery.energy_mwh: [4, 8, 16]
      workload.classes.batch.gpu_hours_per_day: [12000, 24000, 36000]
    zip:                                # axes that move together (equal lengths)
      - [battery.power_mw, battery.energy_mwh]

Axes not in a ``zip`` group are crossed (``mode: zip`` zips every axis instead), so the file
above gives 3 × 3 = 9 variants. An axis path addresses a scenario field (dotted; workload
classes are a mapping, hence ``workload.classes.batch.gpu_hours_per_day``); a value may be a
number, a string, a mapping or ``null`` (``battery: [null, {power_mw: 2, energy_mwh: 8}]``
compares no battery with one). The axis ``site`` takes scenario files instead: each variant
is ``load_scenario(site_file, overrides)``.

Every variant is validated before anything runs; its id is the
:meth:`~dcflex.scenario.Scenario.scenario_hash` of the resolved scenario, so the same physics
gets the same id in every sweep.

The store holds one file per variant, each written atomically by the task that ran it::

    store/sweep.json                    manifest: variants, ids, parameters
    store/schedules/<id>.parquet        flexible schedule of the variant
    store/results/<id>.json             metrics (written after the schedule: "done")
    store/failures/<id>.json            error of a failed variant
    store/metrics.parquet               one row per variant, rebuilt from results/

A variant is done when its result file exists, so a resumed sweep runs exactly the variants
without one; a worker lost mid-task loses at most an unwritten file, and Dask reruns the task.
A task run twice (lost worker after its write) replaces its own file with the same numbers:
never two rows for one variant.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import logging
import os
import socket
import threading
import time
import traceback
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from dcflex.errors import DataError, DcflexError, ScenarioError
from dcflex.results.files import atomic_path, write_text_atomic
from dcflex.scenario import (
    deep_merge,
    load_scenario,
    read_yaml_file,
    resolve_paths,
    scenario_from_dict,
)

if TYPE_CHECKING:  # pragma: no cover
    from distributed import Client
    from matplotlib.figure import Figure

SITE_AXIS = "site"
MANIFEST = "sweep.json"
METRICS_TABLE = "metrics.parquet"
BAU_PREFIX = "bau__"
# Columns of the metrics table that are not parameters or metrics.
ID_COLUMNS = ("variant_id", "variant", "status", "error", "elapsed_s")
_SWEEP_KEYS = {"name", "description", "base", "overrides", "axes", "zip", "mode"}


# --------------------------------------------------------------------------- sweep files


@dataclass(frozen=True)
class Axis:
    """One swept field: a dotted scenario path (or ``site``) and its values."""

    path: str
    values: tuple[Any, ...]


@dataclass(frozen=True)
class SweepSpec:
    """A parsed sweep file.

    Attributes
    ----------
    name : str
        Sweep name (the file stem if not given).
    base_file : Path or None
        Base scenario; ``None`` only when a ``site`` axis names the scenario files.
    overrides : dict
        Nested mapping deep-merged over every variant's scenario.
    axes : tuple of Axis
        In file order; the first axis varies slowest.
    zip_groups : tuple of tuple of str
        Axes that move together; all other axes are crossed.
    source_file : Path or None
        The sweep file (for error messages).
    """

    name: str
    base_file: Path | None
    overrides: dict
    axes: tuple[Axis, ...]
    zip_groups: tuple[tuple[str, ...], ...] = ()
    source_file: Path | None = None


@dataclass(frozen=True)
class Variant:
    """One resolved scenario of a sweep.

    Attributes
    ----------
    id : str
        ``scenario_hash()`` of the resolved scenario (16 hex digits).
    label : str
        ``path=value`` of each axis, for tables.
    params : dict
        Axis path -> value as written in the sweep file (site files as given).
    scenario_file : str
        Scenario file the variant extends.
    overrides : dict
        Nested overrides merged over ``scenario_file``.
    scenario : dict
        The validated scenario as JSON-compatible data: workers rebuild it with
        :func:`~dcflex.scenario.scenario_from_dict` and need no YAML files, only the data
        files it names.
    """

    id: str
    label: str
    params: dict[str, Any]
    scenario_file: str
    overrides: dict
    scenario: dict = field(repr=False)


def _err(message: str, file: Path | None, fld: str | None = None) -> ScenarioError:
    return ScenarioError(message, file=file, field=fld)


def check_scheduler_address(scheduler: str) -> None:
    """Raise a one-line error for an address that is not ``scheme://host[:port]``."""
    if "://" not in scheduler or not scheduler.split("://", 1)[1]:
        raise DcflexError(f"--scheduler: expected an address such as tcp://host:8786, got "
                          f"{scheduler!r}")


def check_axis_paths(spec: SweepSpec, here: Path) -> None:
    """Fail early, naming the sweep file, for an axis path that is not a scenario field.

    Paths are checked against the resolved base scenario (the first site's for a ``site``
    axis): every segment must be a field, or a key of a mapping such as
    ``workload.classes``, that exists there. A section the base leaves unset (``battery:``
    absent) is accepted; the variant's validation then names what it lacks.
    """
    from dcflex.scenario import Scenario

    site_axis = next((a for a in spec.axes if a.path == SITE_AXIS), None)
    file = (here / site_axis.values[0]).resolve() if site_axis else spec.base_file
    try:
        base = load_scenario(file, spec.overrides).model_dump(mode="python")
    except ScenarioError:
        return  # the variants' own validation reports it, with their labels
    for axis in spec.axes:
        if axis.path == SITE_AXIS:
            continue
        node: Any = base
        done: list[str] = []
        for part in axis.path.split("."):
            if node is None:
                break
            if not isinstance(node, dict) or part not in node:
                where = ".".join(done) or "the scenario"
                known = sorted(node) if isinstance(node, dict) else []
                if not done:
                    known = sorted(set(Scenario.model_fields) - {"source_file"})
                raise ScenarioError(
                    f"unknown axis path {axis.path!r}: {where} has no field {part!r}"
                    + (f" (it has {', '.join(map(str, known))})" if known else ""),
                    file=spec.source_file, field=f"axes.{axis.path}")
            node = node[part]
            done.append(part)


def nested_overrides(flat: dict[str, Any]) -> dict:
    """Turn ``{"battery.energy_mwh": 8}`` into ``{"battery": {"energy_mwh": 8}}``.

    Keys without dots and nested mappings pass through; later keys merge over earlier ones.
    """
    out: dict = {}
    for key, value in flat.items():
        parts = str(key).split(".")
        if any(not p for p in parts):
            raise ValueError(f"empty segment in field path {key!r}")
        node: dict = {}
        leaf = node
        for p in parts[:-1]:
            leaf[p] = {}
            leaf = leaf[p]
        leaf[parts[-1]] = value
        out = deep_merge(out, node)
    return out


def sweep_from_dict(data: dict, file: str | Path | None = None) -> SweepSpec:
    """Validate a sweep given as a mapping (paths relative to ``file``'s folder, or the CWD).

    Raises
    ------
    ScenarioError
        Naming the sweep file and the key that is wrong.
    """
    src = Path(file).resolve() if file is not None else None
    here = src.parent if src is not None else Path.cwd()
    if not isinstance(data, dict):
        raise _err(f"expected a mapping at the top level, got {type(data).__name__}", src)
    unknown = sorted(set(data) - _SWEEP_KEYS)
    if unknown:
        raise _err(f"unknown key(s) {unknown}; expected some of {sorted(_SWEEP_KEYS)}", src,
                   unknown[0])
    raw_axes = data.get("axes") or {}
    if not isinstance(raw_axes, dict) or not raw_axes:
        raise _err("expected a mapping of field path -> list of values with at least one axis",
                   src, "axes")
    axes = []
    for path, values in raw_axes.items():
        path = str(path)
        if not isinstance(values, list) or not values:
            raise _err(f"expected a non-empty list of values, got {values!r}", src,
                       f"axes.{path}")
        if any(not p for p in path.split(".")):
            raise _err("empty segment in the field path", src, f"axes.{path}")
        if path == SITE_AXIS and not all(isinstance(v, str) for v in values):
            raise _err("the site axis lists scenario files (strings)", src, "axes.site")
        axes.append(Axis(path, tuple(values)))
    names = [a.path for a in axes]
    for a, b in itertools.combinations(names, 2):
        if b.startswith(a + ".") or a.startswith(b + "."):
            raise _err(f"axes {a!r} and {b!r} overlap (one contains the other)", src, "axes")

    mode = data.get("mode", "cross")
    if mode not in ("cross", "zip"):
        raise _err(f"expected 'cross' or 'zip', got {mode!r}", src, "mode")
    raw_zip = data.get("zip") or []
    if mode == "zip":
        if raw_zip:
            raise _err("give either 'mode: zip' (zip every axis) or 'zip' groups, not both",
                       src, "zip")
        raw_zip = [names]
    if not isinstance(raw_zip, list) or not all(isinstance(g, list) for g in raw_zip):
        raise _err("expected a list of lists of axis paths, e.g. [[battery.power_mw, "
                   "battery.energy_mwh]]", src, "zip")
    groups: list[tuple[str, ...]] = []
    seen: set[str] = set()
    length = {a.path: len(a.values) for a in axes}
    for g in raw_zip:
        g = [str(p) for p in g]
        missing = [p for p in g if p not in length]
        if missing:
            raise _err(f"{missing[0]!r} is not one of the axes {names}", src, "zip")
        if seen & set(g):
            raise _err(f"axis {sorted(seen & set(g))[0]!r} is in two zip groups", src, "zip")
        seen |= set(g)
        lengths = {p: length[p] for p in g}
        if len(set(lengths.values())) > 1:
            raise _err(f"zipped axes need equal numbers of values, got {lengths}", src, "zip")
        groups.append(tuple(g))

    base = data.get("base")
    if base is None and SITE_AXIS not in names:
        raise _err("give the base scenario file, or a 'site' axis listing scenario files",
                   src, "base")
    if base is not None and not isinstance(base, str):
        raise _err(f"expected the path of a scenario file, got {base!r}", src, "base")
    base_file = (here / base).resolve() if base is not None else None
    if base_file is not None and not base_file.exists():
        raise _err(f"base scenario file not found: {base_file}", src, "base")
    if SITE_AXIS in names:
        site_axis = next(a for a in axes if a.path == SITE_AXIS)
        for v in site_axis.values:
            if not (here / v).exists():
                raise _err(f"site scenario file not found: {(here / v).resolve()}", src,
                           "axes.site")

    raw_over = data.get("overrides") or {}
    if not isinstance(raw_over, dict):
        raise _err(f"expected a mapping of scenario fields, got {raw_over!r}", src, "overrides")
    try:
        overrides = resolve_paths(nested_overrides(raw_over), here)
    except ValueError as exc:
        raise _err(str(exc), src, "overrides") from None
    name = str(data.get("name") or (src.stem if src is not None else "sweep"))
    return SweepSpec(name, base_file, overrides, tuple(axes), tuple(groups), src)


def load_sweep(path: str | Path) -> SweepSpec:
    """Read and validate a sweep YAML file.

    Raises
    ------
    ScenarioError
        If the file is missing, not YAML, or a key is wrong.
    """
    path = Path(path).resolve()
    return sweep_from_dict(read_yaml_file(path, "sweep"), path)


def combinations(spec: SweepSpec) -> list[dict[str, Any]]:
    """Parameter sets of a sweep: zipped groups move together, the rest are crossed.

    Returns
    -------
    list of dict
        Axis path -> value, in file order of the axes; the first axis varies slowest.
    """
    values = {a.path: a.values for a in spec.axes}
    group_of = {p: g for g in spec.zip_groups for p in g}
    units: list[tuple[str, ...]] = []
    for a in spec.axes:
        unit = group_of.get(a.path, (a.path,))
        if unit not in units:
            units.append(unit)
    per_unit = [[dict(zip(u, row, strict=True))
                 for row in zip(*(values[p] for p in u), strict=True)] for u in units]
    out = []
    for choice in itertools.product(*per_unit):
        merged: dict[str, Any] = {}
        for part in choice:
            merged.update(part)
        out.append({a.path: merged[a.path] for a in spec.axes})
    return out


def _show(value: Any) -> str:
    if isinstance(value, str) or value is None or isinstance(value, bool | int | float):
        return str(value)
    return json.dumps(value, sort_keys=True, default=str, separators=(",", ":"))


def variant_label(params: dict[str, Any]) -> str:
    """``path=value`` pairs of a parameter set (site files by their stem)."""
    parts = []
    for path, value in params.items():
        shown = Path(value).stem if path == SITE_AXIS else _show(value)
        parts.append(f"{path}={shown}")
    return ", ".join(parts)


def expand(spec: SweepSpec) -> list[Variant]:
    """Resolve and validate every variant of a sweep.

    Returns
    -------
    list of Variant
        In the order of :func:`combinations`.

    Raises
    ------
    ScenarioError
        If a variant does not validate (the message names the variant and field) or two
        variants resolve to the same scenario.
    """
    here = spec.source_file.parent if spec.source_file else Path.cwd()
    variants: list[Variant] = []
    by_id: dict[str, str] = {}
    swept = [a.path for a in spec.axes if a.path != SITE_AXIS]
    check_axis_paths(spec, here)
    for params in combinations(spec):
        file = (here / params[SITE_AXIS]).resolve() if SITE_AXIS in params else spec.base_file
        axis_over = nested_overrides({p: v for p, v in params.items() if p != SITE_AXIS})
        overrides = deep_merge(spec.overrides, axis_over)
        label = variant_label(params)
        try:
            scen = load_scenario(file, overrides)
        except ScenarioError as exc:
            from_sweep = exc.field is not None and any(
                exc.field == p or exc.field.startswith(p + ".") or p.startswith(exc.field + ".")
                for p in swept)
            raise ScenarioError(
                f"variant [{label}]: {exc.message}",
                file=spec.source_file if from_sweep else exc.file, field=exc.field,
                line=None if from_sweep else exc.line) from None
        vid = scen.scenario_hash()
        if vid in by_id:
            raise ScenarioError(
                f"variants [{by_id[vid]}] and [{label}] resolve to the same scenario (id {vid});"
                " remove the duplicate axis value", file=spec.source_file, field="axes")
        by_id[vid] = label
        variants.append(Variant(vid, label, dict(params), str(file), overrides,
                                scen.model_dump(mode="json")))
    return variants


# --------------------------------------------------------------------------- the store


def _paths(store: Path, vid: str) -> tuple[Path, Path, Path]:
    return (store / "schedules" / f"{vid}.parquet", store / "results" / f"{vid}.json",
            store / "failures" / f"{vid}.json")


def _json(doc: dict) -> str:
    return json.dumps(doc, indent=1, default=_json_default)


def _json_default(obj: Any) -> Any:
    if isinstance(obj, date | datetime):
        return obj.isoformat()
    if hasattr(obj, "item"):  # numpy scalars
        return obj.item()
    return str(obj)


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


# Per-thread flag: has this thread pinned HiGHS yet (see _pin_highs_threads).
_HIGHS_THREAD_STATE = threading.local()


def _pin_highs_threads() -> None:
    """Hold HiGHS to one thread in the calling thread.

    HiGHS keeps one task scheduler per calling thread, sized at that thread's first ``run``
    from the ``threads`` option (default: half the cores) and shared by every later ``Highs``
    object run from it (HiGHS pull request #818). Solving a one-column LP with ``threads=1``
    first keeps N single-threaded worker processes on N cores from oversubscribing them
    (checked with psutil: no extra HiGHS thread appears in later default solves).
    """
    if getattr(_HIGHS_THREAD_STATE, "pinned", False):
        return
    from dcflex.model.solve import new_highs

    h = new_highs()
    h.setOptionValue("threads", 1)
    h.addVar(0.0, 1.0)
    h.run()
    _HIGHS_THREAD_STATE.pinned = True


def run_variant(variant: Variant, store: str | Path, session: str = "") -> dict:
    """Run one variant and write its schedule and result atomically (the task of a sweep).

    Errors of the variant (bad data, infeasible, solver failure, or a bug) are caught and
    written to ``failures/<id>.json`` so the other variants go on.

    Parameters
    ----------
    variant : Variant
    store : path
        Store folder; must be the same path on every worker (a shared file system when the
        cluster spans machines).
    session : str
        Id of the sweep run, recorded in the result.

    Returns
    -------
    dict
        ``{"id", "label", "status": "done" | "failed", "error", "elapsed_s", "pid", "host",
        "session"}`` (the result file holds the metrics; the record stays small).
    """
    from dcflex.studies.run import run

    t0 = time.perf_counter()
    store = Path(store)
    sched_path, result_path, fail_path = _paths(store, variant.id)
    record = {"id": variant.id, "label": variant.label, "status": "done", "error": None,
              "pid": os.getpid(), "host": socket.gethostname(), "session": session}
    try:
        _pin_highs_threads()
        scen = scenario_from_dict(variant.scenario, file=variant.scenario_file)
        if scen.scenario_hash() != variant.id:
            raise ScenarioError(
                f"resolves to hash {scen.scenario_hash()} on this worker, expected {variant.id}"
                " (different dcflex versions on client and worker?)",
                file=variant.scenario_file)
        result = run(scen)
        with atomic_path(sched_path) as tmp:
            result.schedule.to_parquet(tmp)
        record["elapsed_s"] = time.perf_counter() - t0
        doc = {**record, "params": variant.params,
               "metrics": result.metrics.as_dict(),
               "units": {m.name: m.unit for m in result.metrics},
               "baseline_metrics": result.baseline_metrics.as_dict(),
               "timings_s": result.timings_s, "provenance": result.provenance,
               "finished_utc": datetime.now(UTC).isoformat()}
        write_text_atomic(result_path, _json(doc))
        fail_path.unlink(missing_ok=True)
    except Exception as exc:  # every failure of one variant is reported, none stops the sweep
        record.update(status="failed", error=f"{type(exc).__name__}: {exc}",
                      elapsed_s=time.perf_counter() - t0)
        doc = {**record, "params": variant.params,
               "finished_utc": datetime.now(UTC).isoformat()}
        if not isinstance(exc, DcflexError):
            doc["traceback"] = traceback.format_exc()
        write_text_atomic(fail_path, _json(doc))
    return record


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
    return _read_json(path)


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
    flexible metrics by name and the business-as-usual metrics prefixed ``bau__``.

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
            row.update(status="done", elapsed_s=doc.get("elapsed_s", float("nan")))
            row.update(doc["metrics"])
            row.update({BAU_PREFIX + k: x for k, x in doc["baseline_metrics"].items()})
        elif fail_path.exists():
            doc = _read_json(fail_path)
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


# --------------------------------------------------------------------------- running


def default_workers() -> int:
    """Worker processes for a local cluster: the cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not on Linux
        return max(1, os.cpu_count() or 1)


# Dask settings of the local cluster. Its defaults serve interactive work (a statistical
# profiler sampling every 10 ms, event-loop health checks every 20 ms); on long CPU-bound
# tasks those wake-ups compete with the task for the GIL and the cores. Measured on this
# project's 24-variant, 90-day sweep on 2 cores: parallel efficiency 0.83 with the defaults,
# 0.90 with these (plain multiprocessing: 0.95). Workers of an existing cluster take the same
# keys from their own configuration, e.g. DASK_DISTRIBUTED__WORKER__PROFILE__ENABLED=False.
LOCAL_CLUSTER_CONFIG = {
    "distributed.worker.profile.enabled": False,
    "distributed.admin.tick.interval": "500ms",
    "distributed.admin.tick.limit": "30s",
    "distributed.admin.system-monitor.interval": "5s",
    "distributed.admin.system-monitor.gil.enabled": False,
    "distributed.worker.memory.monitor-interval": "1s",
}


@contextlib.contextmanager
def dask_client(workers: int | None = None, scheduler: str | None = None,
                timeout_s: float = 30.0) -> Iterator[Client]:
    """A Dask client: on an existing cluster (``scheduler`` address) or a new local one.

    The local cluster has ``workers`` processes (default: one per core) of one thread each,
    no dashboard (so it starts offline and never collides with a busy port) and
    :data:`LOCAL_CLUSTER_CONFIG`.

    Raises
    ------
    DcflexError
        If the scheduler cannot be reached.
    """
    import dask
    from distributed import Client, LocalCluster

    if scheduler is not None:
        check_scheduler_address(scheduler)
        try:
            client = Client(scheduler, timeout=timeout_s)
        except (OSError, TimeoutError, ValueError) as exc:
            raise DcflexError(f"cannot reach the Dask scheduler at {scheduler}: {exc}"
                              ) from None
        with client:
            yield client
        return
    n = workers if workers is not None else default_workers()
    if n < 1:
        raise DcflexError(f"--workers must be at least 1, got {n}")
    with dask.config.set(LOCAL_CLUSTER_CONFIG), \
            LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                         dashboard_address=None, silence_logs=logging.ERROR) as cluster, \
            Client(cluster) as client:
        yield client


class _Progress:
    """Rich progress bar: done / failed / remaining and an ETA (or nothing if disabled)."""

    def __init__(self, total: int, enabled: bool, description: str) -> None:
        self.done = self.failed = 0
        self.total = total
        self._bar = None
        if enabled:
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                Progress,
                TextColumn,
                TimeElapsedColumn,
                TimeRemainingColumn,
            )

            self._bar = Progress(
                TextColumn("{task.description}"), BarColumn(),
                TextColumn("[green]{task.fields[done]} done[/] [red]{task.fields[failed]}"
                           " failed[/] {task.fields[remaining]} remaining"),
                TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn(),
                console=Console())
            self._task = self._bar.add_task(description, total=total, done=0, failed=0,
                                            remaining=total)
            self._bar.start()

    def update(self, status: str) -> None:
        if status == "done":
            self.done += 1
        else:
            self.failed += 1
        if self._bar is not None:
            finished = self.done + self.failed
            self._bar.update(self._task, completed=finished, done=self.done,
                             failed=self.failed, remaining=self.total - finished)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.stop()


@dataclass
class SweepOutcome:
    """What one call of :func:`run_sweep` did.

    Attributes
    ----------
    table : pandas.DataFrame
        The consolidated metrics table (all variants of the sweep).
    ran : list of str
        Ids submitted in this call (the variants without a result at its start).
    skipped : list of str
        Ids already done in the store (reused on ``resume``).
    failed : dict
        Id -> error text of the variants that failed in this call.
    elapsed_s : float
        Wall time of the runs (cluster start excluded when a client is given), s.
    records : list of dict
        What each task returned, in completion order.
    """

    table: pd.DataFrame
    ran: list[str]
    skipped: list[str]
    failed: dict[str, str]
    elapsed_s: float
    records: list[dict] = field(default_factory=list)

    @property
    def n_done(self) -> int:
        return int((self.table["status"] == "done").sum())


def run_sweep(spec: SweepSpec, store: str | Path, *, variants: list[Variant] | None = None,
              client: Client | None = None, workers: int | None = None,
              scheduler: str | None = None, resume: bool = False, progress: bool = False,
              on_result: Callable[[dict], None] | None = None,
              retries: int = 1) -> SweepOutcome:
    """Run every variant of a sweep that has no result in ``store`` yet, on Dask.

    Parameters
    ----------
    spec : SweepSpec
    store : path
        Result folder (see the module docstring for its layout).
    variants : list of Variant, optional
        ``expand(spec)`` if not given.
    client : distributed.Client, optional
        Use this client; otherwise one is made from ``scheduler`` or a local cluster of
        ``workers`` processes (:func:`dask_client`).
    resume : bool
        Reuse the results already in ``store`` and run only the missing (and failed)
        variants. Without it a store holding results is an error, so two sweeps never mix.
    progress : bool
        Show a progress bar (done / failed / remaining, ETA).
    on_result : callable, optional
        Called in this process with each task's record as it completes.
    retries : int
        Dask retries of a task whose function raised outside the variant (a worker that
        dies is rerun by the scheduler up to ``distributed.scheduler.allowed-failures``
        times, default 3).

    Returns
    -------
    SweepOutcome

    Raises
    ------
    DcflexError
        If ``store`` holds results and ``resume`` is false.
    """
    store = Path(store)
    if variants is None:
        variants = expand(spec)
    have = done_ids(store)
    if have and not resume:
        ours = len(have & {v.id for v in variants})
        raise DcflexError(
            f"{store} already holds {len(have)} variant results ({ours} of this sweep); "
            "pass --resume to keep them and run only the rest, or choose a new folder")
    store.mkdir(parents=True, exist_ok=True)
    write_manifest(store, spec, variants)
    skipped = [v.id for v in variants if v.id in have]
    todo = [v for v in variants if v.id not in have]
    records: list[dict] = []
    failed: dict[str, str] = {}
    t0 = time.perf_counter()
    if todo:
        with contextlib.ExitStack() as stack:
            if client is None:
                client = stack.enter_context(dask_client(workers, scheduler))
            records, failed = _submit_all(client, todo, store, progress, on_result, retries,
                                          spec.name)
    elapsed = time.perf_counter() - t0
    _check_visible(store, records)
    remove_partial_files(store)
    table = consolidate(store)
    return SweepOutcome(table, [v.id for v in todo], skipped, failed, elapsed, records)


def sweep(sweep_file: str | Path | SweepSpec, store: str | Path, *,
          client: Client | None = None, workers: int | None = None,
          scheduler: str | None = None, resume: bool = False,
          progress: bool = False) -> SweepOutcome:
    """Load, expand and run a sweep file (:func:`load_sweep`, :func:`expand`, :func:`run_sweep`).

    Examples
    --------
    >>> out = sweep("scenarios/sweep_example.yaml", "out/sweep", workers=2)  # doctest: +SKIP
    >>> out.table[["battery.energy_mwh", "total_cost_usd"]]  # doctest: +SKIP
    """
    spec = sweep_file if isinstance(sweep_file, SweepSpec) else load_sweep(sweep_file)
    return run_sweep(spec, store, client=client, workers=workers, scheduler=scheduler,
                     resume=resume, progress=progress)


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


def _check_visible(store: Path, records: list[dict], wait_s: float = 10.0) -> None:
    """Fail loudly if results that workers report as written are not in the client's store
    (workers on other machines writing to a folder the client does not share)."""
    deadline = time.monotonic() + wait_s
    while True:
        unseen = [r for r in records if r["status"] == "done" and r["id"] not in done_ids(store)]
        if not unseen:
            return
        if time.monotonic() > deadline:
            raise DcflexError(
                f"{len(unseen)} results that workers wrote under {store} (e.g. on host "
                f"{unseen[0]['host']}) are not visible here: on a multi-machine cluster the "
                "store must be on a file system the client and every worker share, at the "
                "same path")
        time.sleep(0.5)


def _submit_all(client: Client, todo: list[Variant], store: Path, progress: bool,
                on_result: Callable[[dict], None] | None, retries: int, name: str
                ) -> tuple[list[dict], dict[str, str]]:
    from distributed import as_completed

    session = uuid.uuid4().hex[:8]
    by_key = {}
    futures = []
    for v in todo:
        # The session in the key keeps a rerun on the same cluster from reusing a cached result.
        fut = client.submit(run_variant, v, str(store), session, key=f"dcflex-{v.id}-{session}",
                            pure=False, retries=retries)
        by_key[fut.key] = v
        futures.append(fut)
    bar = _Progress(len(todo), progress, f"sweep {name}")
    records: list[dict] = []
    failed: dict[str, str] = {}
    try:
        for fut in as_completed(futures):
            v = by_key[fut.key]
            try:
                rec = fut.result()
            except Exception as exc:  # KilledWorker after repeated worker deaths, and the like
                rec = {"id": v.id, "label": v.label, "status": "failed",
                       "error": f"{type(exc).__name__}: {exc}", "elapsed_s": float("nan"),
                       "pid": None, "host": None, "session": session}
                if v.id not in done_ids(store):
                    write_text_atomic(_paths(store, v.id)[2],
                                      _json({**rec, "params": v.params}))
            fut.release()
            records.append(rec)
            if rec["status"] != "done":
                failed[v.id] = rec["error"]
            bar.update(rec["status"])
            if on_result is not None:
                on_result(rec)
    except BaseException:
        # Interrupted: stop what has not started; finished variants are on disk already.
        client.cancel(futures)
        consolidate(store)
        raise
    finally:
        bar.close()
    return records, failed


# --------------------------------------------------------------------------- report plots


def axis_columns(table: pd.DataFrame, manifest: dict) -> list[str]:
    """The swept axes present in a metrics table."""
    return [a for a in manifest["axes"] if a in table.columns]


def _positions(col: pd.Series) -> tuple[pd.Series, list[str] | None]:
    """Numeric axis values as they are; other values as category positions 0, 1, ..."""
    if pd.api.types.is_numeric_dtype(col):
        return col.astype(float), None
    cats = list(dict.fromkeys(str(x) for x in col))
    return col.astype(str).map({c: i for i, c in enumerate(cats)}).astype(float), cats


def plot_metric_vs_axis(table: pd.DataFrame, axis: str, metrics: list[str]) -> Figure:
    """One panel per metric against one swept axis: every done variant as a point and the
    mean over the other axes as a line."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    done = table[table["status"] == "done"]
    fig, axs = plt.subplots(1, len(metrics), figsize=(4.2 * len(metrics), 3.4), squeeze=False)
    x, cats = _positions(done[axis])
    for ax, metric in zip(axs[0], metrics, strict=True):
        y = done[metric].astype(float)
        ax.scatter(x, y, s=18, alpha=0.6, color="#3969ac")
        mean = y.groupby(x).mean().sort_index()
        ax.plot(mean.index, mean.to_numpy(), color="#e73f74", lw=1.5, label="mean")
        ax.set_xlabel(axis, fontsize=8)
        ax.set_ylabel(metric, fontsize=8)
        if cats is not None:
            ax.set_xticks(range(len(cats)), [c[:18] for c in cats], rotation=30, fontsize=7,
                          ha="right")
        ax.grid(alpha=0.3)
        ax.tick_params(labelsize=8)
    axs[0, 0].legend(fontsize=7)
    fig.suptitle(f"metrics vs {axis} ({len(done)} variants)", fontsize=10)
    fig.tight_layout()
    return fig


def plot_cost_vs_emissions(table: pd.DataFrame, color_by: str,
                           cost: str = "total_cost_usd",
                           emissions: str = "emissions_average_t") -> Figure:
    """Cost against emissions of every done variant, coloured by one axis."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    done = table[table["status"] == "done"]
    fig, ax = plt.subplots(figsize=(6.4, 4.6))
    c, cats = _positions(done[color_by])
    if cats is None:
        sc = ax.scatter(done[emissions], done[cost], c=c, cmap="viridis", s=30)
        fig.colorbar(sc, ax=ax, label=color_by)
    else:
        cmap = plt.get_cmap("tab10")
        for i, cat in enumerate(cats):
            sel = (c == i).to_numpy()
            ax.scatter(done[emissions][sel], done[cost][sel], s=30, color=cmap(i % 10),
                       label=cat[:30])
        ax.legend(title=color_by, fontsize=7, title_fontsize=8)
    ax.set_xlabel(emissions)
    ax.set_ylabel(cost)
    ax.grid(alpha=0.3)
    ax.set_title(f"cost vs emissions, coloured by {color_by}", fontsize=10)
    fig.tight_layout()
    return fig
