"""Parallel efficiency of ``dcflex sweep`` on a local Dask cluster.

Run: ``python benchmarks/sweep_efficiency.py [--days 90] [--workers 2]``.

The sweep: the bundled Greensboro example (scenarios/example.yaml) over ``--days`` days from
1 March 2023, 4 battery sizes (4-hour batteries, power and energy zipped) × 3 daily batch
loads × 2 demand-charge rates = 24 variants. Each variant is run

* serially, one after another in this process (``run_variant``, the same task function that
  also writes the schedule and result files), after one warm-up run, and
* in parallel on a ``LocalCluster`` of ``--workers`` single-threaded worker processes, after
  every worker has run the warm-up variant once (imports and pvlib's weather file are loaded
  in each process once, not per variant).

Parallel efficiency = serial time / (workers × parallel time); cluster start-up is timed
separately and not included. The two stores must hold identical metrics. BLAS and HiGHS are
held to one thread in both, so the serial run does not borrow the second core.

On a shared machine other processes take cycles, and they hurt the parallel run (which
needs every core) more than the serial one (which needs one). Each serial/parallel pair is
therefore repeated (``--repeat``) and the headline is the median over the serial/parallel
pairs (each pair run back to back); the CPU time the other processes of the machine used
during each parallel run (from /proc/stat, minus this benchmark's own processes) is printed
next to it.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from datetime import date, timedelta  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

from dcflex.studies.sweep import (  # noqa: E402
    SweepSpec,
    Variant,
    consolidate,
    dask_client,
    expand,
    run_sweep,
    run_variant,
    sweep_from_dict,
    write_manifest,
)

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"


def make_sweep(days: int) -> SweepSpec:
    start = date(2023, 3, 1)
    return sweep_from_dict({
        "name": f"efficiency-{days}d",
        "base": str(SCENARIOS / "example.yaml"),
        # spring: the example's July demand-response call lies outside, so it is dropped
        "overrides": {"period": {"start": start.isoformat(),
                                 "end": (start + timedelta(days=days)).isoformat()},
                      "events": {"demand_response": []}},
        "axes": {
            "battery.power_mw": [1, 2, 3, 4],
            "battery.energy_mwh": [4, 8, 12, 16],
            "workload.classes.batch.gpu_hours_per_day": [12000, 24000, 36000],
            "tariff.demand_charges": [[{"rate_usd_per_mw_month": r}] for r in (4000, 8000)],
        },
        "zip": [["battery.power_mw", "battery.energy_mwh"]],
    })


def warm_variant(days: int) -> Variant:
    """A variant outside the sweep (no battery), to load imports and weather once."""
    spec = make_sweep(days)
    return expand(sweep_from_dict({"base": str(spec.base_file), "overrides": spec.overrides,
                                   "axes": {"battery": [None]}}))[0]


def _warm_worker(variant: Variant, store: str) -> int:
    run_variant(variant, store)
    return os.getpid()


def _process_cpu_s() -> float:
    t = os.times()
    return t.user + t.system


def machine_busy_s() -> float:
    """CPU time used by every process of the machine so far, summed over cores, s
    (/proc/stat: user + nice + system + irq + softirq)."""
    with open("/proc/stat", encoding="ascii") as f:
        fields = [int(x) for x in f.readline().split()[1:]]
    user, nice, system, _idle, _iowait, irq, softirq = fields[:7]
    return (user + nice + system + irq + softirq) / os.sysconf("SC_CLK_TCK")


def our_cpu_s(client) -> float:
    """CPU time of this process and of every Dask worker process, s."""
    return _process_cpu_s() + sum(client.run(_process_cpu_s).values())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=90, help="Days per variant.")
    parser.add_argument("--workers", type=int, default=2, help="Worker processes.")
    parser.add_argument("--repeat", type=int, default=4, help="Serial/parallel pairs timed.")
    args = parser.parse_args()

    spec = make_sweep(args.days)
    variants = expand(spec)
    warm = warm_variant(args.days)
    load = os.getloadavg()[0]
    print(f"{len(variants)} variants of {args.days} days hourly; {os.cpu_count()} cores; "
          f"load average {load:.2f} at start")

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tempfile.mkdtemp(dir=tmp))
        t0 = time.perf_counter()
        with dask_client(workers=args.workers) as client:
            startup = time.perf_counter() - t0
            pids = client.run(_warm_worker, warm, str(tmp / "warm"))
            assert len(set(pids.values())) == args.workers
            run_variant(warm, tmp / "warm")
            serial, parallel, per_variant, same, others = [], [], [], [], []
            for rep in range(args.repeat):
                # Serial and parallel alternate so that load from other processes on a shared
                # machine falls on both alike; the workers sit idle during the serial runs.
                t0 = time.perf_counter()
                for v in variants:
                    t1 = time.perf_counter()
                    rec = run_variant(v, tmp / f"serial{rep}")
                    per_variant.append(time.perf_counter() - t1)
                    if rec["status"] != "done":
                        raise SystemExit(f"variant {v.label} failed: {rec['error']}")
                serial.append(time.perf_counter() - t0)
                busy0, ours0 = machine_busy_s(), our_cpu_s(client)
                t0 = time.perf_counter()
                outcome = run_sweep(spec, tmp / f"parallel{rep}", variants=variants,
                                    client=client)
                parallel.append(time.perf_counter() - t0)
                # CPU that processes outside this benchmark took from the cores meanwhile.
                others.append(max(0.0, (machine_busy_s() - busy0)
                                  - (our_cpu_s(client) - ours0)))
                if outcome.failed:
                    raise SystemExit(f"failed in parallel: {outcome.failed}")
                write_manifest(tmp / f"serial{rep}", spec, variants)
                serial_table = consolidate(tmp / f"serial{rep}", write=False)
                cols = [c for c in outcome.table.columns
                        if c.endswith(("_usd", "_t", "_mwh", "_mw"))]
                same.append(np.allclose(serial_table[cols].to_numpy(float),
                                        outcome.table[cols].to_numpy(float),
                                        rtol=1e-12, atol=1e-9, equal_nan=True))
                print(f"  repeat {rep + 1}: serial {serial[-1]:6.2f} s, parallel "
                      f"{parallel[-1]:6.2f} s, efficiency "
                      f"{serial[-1] / (args.workers * parallel[-1]):.3f}; other processes "
                      f"took {others[-1]:.2f} core-s meanwhile, efficiency on the rest "
                      f"{serial[-1] / (args.workers * parallel[-1] - others[-1]):.3f}")

    paired = np.array(serial) / (args.workers * np.array(parallel))
    best = min(serial) / (args.workers * min(parallel))
    print(f"serial   {min(serial):7.2f} s best of {args.repeat} "
          f"({np.mean(per_variant):.3f} s per variant, min {min(per_variant):.3f}, "
          f"max {max(per_variant):.3f})")
    print(f"parallel {min(parallel):7.2f} s best of {args.repeat} on {args.workers} workers "
          f"(cluster start-up {startup:.2f} s, not included)")
    # the headline pairs each parallel run with the serial run just before it (same machine
    # conditions); best-of-each is shown too but mixes repeats
    print(f"parallel efficiency = serial / ({args.workers} × parallel), median of "
          f"{args.repeat} paired repeats = {np.median(paired):.3f}  (target >= 0.85; "
          f"range {paired.min():.3f}-{paired.max():.3f}; best serial / best parallel "
          f"{best:.3f})")
    k = int(np.argmin(parallel))
    print(f"on the CPU left by other processes in that parallel run ({others[k]:.2f} core-s"
          f" taken): serial / ({args.workers} × parallel − taken) = "
          f"{min(serial) / (args.workers * parallel[k] - others[k]):.3f}")
    print(f"metrics identical serial vs parallel: {all(same)}")
    print(f"load average at end {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
