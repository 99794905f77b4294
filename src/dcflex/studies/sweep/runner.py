"""Running a sweep: the per-variant task, the Dask client (local cluster or scheduler
address), submission, progress and the :class:`SweepOutcome`.

:func:`run_sweep` submits every variant without a result to Dask; each task
(:func:`run_variant`) writes its own files to the store, so an interrupted sweep resumes.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import socket
import threading
import time
import traceback
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from dcflex.errors import DcflexError, ScenarioError
from dcflex.results.files import atomic_path, write_text_atomic
from dcflex.scenario import scenario_from_dict
from dcflex.studies.sweep.spec import SweepSpec, Variant, expand, load_sweep
from dcflex.studies.sweep.store import (
    _json,
    _paths,
    consolidate,
    done_ids,
    remove_partial_files,
    write_manifest,
)

if TYPE_CHECKING:  # pragma: no cover
    from distributed import Client


def check_scheduler_address(scheduler: str) -> None:
    """Raise a one-line error for an address that is not ``scheme://host[:port]``."""
    if "://" not in scheduler or not scheduler.split("://", 1)[1]:
        raise DcflexError(f"--scheduler: expected an address such as tcp://host:8786, got "
                          f"{scheduler!r}")


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
        doc = {**record, "params": variant.params, "currency": scen.currency,
               "metrics": result.metrics.as_dict(),
               "values": result.values.as_dict(),
               "units": {m.name: m.unit for m in (*result.metrics, *result.values)},
               "warnings": list(result.warnings),
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
    with dask.config.set(LOCAL_CLUSTER_CONFIG):
        with _ctrl_c_ignored():
            cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                                   dashboard_address=None, silence_logs=logging.CRITICAL)
        with cluster, Client(cluster) as client:
            yield client


@contextlib.contextmanager
def _ctrl_c_ignored() -> Iterator[None]:
    """Ignore SIGINT while worker processes start: they inherit it through fork and exec.

    Ctrl-C in a terminal signals the whole foreground process group; without this every
    worker would print a traceback while the main process shuts the cluster down in order
    (it alone handles the interrupt, see ``dcflex sweep``).
    """
    if threading.current_thread() is not threading.main_thread():
        yield  # signal handlers can only be set from the main thread
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


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
        Result folder (see the :mod:`dcflex.studies.sweep` docstring for its layout).
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
