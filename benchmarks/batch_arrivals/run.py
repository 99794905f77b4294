"""Benchmark: batch work arriving through the day (issue 19) — LP size, solve time, savings.

1. LP size and HiGHS time on ``scenarios/sites/caiso.yaml`` and ``scenarios/example.yaml``
   (a year at 1 h, 250 batch servers, 24,000 GPU-h a day due in 24 h), for:
   * ``midnight`` — the former release: one block at each local midnight (per release);
   * ``philly, per release`` — an arrival every hour, each with its own 24-step window;
   * ``philly, cumulative`` — the same arrivals in the cumulative form dcflex now uses.
2. The independent check case (``check_case.yaml``: 40 MW must-serve + 960 MWh/day of
   batch IT work on 80 MW of servers, CAISO 2023, 15 $/kW-month): optimum and twin with the
   midnight block and with Philly-shaped hourly arrivals, the same work run flat, both
   savings figures, and the twin's peak against the flat peak plus the profile's amplitude.

Times are one run on a shared machine: read them as ratios within this run.

Run: ``.venv/bin/python benchmarks/batch_arrivals/run.py``
"""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
SITES = (ROOT / "scenarios" / "sites" / "caiso.yaml", ROOT / "scenarios" / "example.yaml")


def arrivals(kind: str, deadline_h: float = 24.0) -> dict:
    return {"workload": {"classes": {"batch": {"arrivals": kind, "deadline_h": deadline_h}}}}


def lp_size(path: Path, kind: str, per_release: bool) -> dict:
    from dcflex.model.build import build
    from dcflex.model.components.workload_batch import PER_RELEASE_KEY
    from dcflex.model.inputs import prepare
    from dcflex.model.solve import solve_lp
    from dcflex.scenario import load_scenario

    inputs = prepare(load_scenario(path, overrides=arrivals(kind)))
    if per_release:
        wp = {**inputs.params["workload"], PER_RELEASE_KEY: True}
        inputs = dataclasses.replace(inputs, params={**inputs.params, "workload": wp})
    t0 = time.perf_counter()
    lp = build(inputs)
    t_build = time.perf_counter() - t0
    sol = solve_lp(lp)
    return {"cols": lp.num_col, "rows": lp.num_row, "nnz": lp.A.nnz, "build_s": t_build,
            "highs_s": sol.solve_seconds, "objective": sol.objective}


def check_case() -> None:
    from dcflex.scenario import load_scenario
    from dcflex.studies.run import run
    from dcflex.workloads.arrivals import PHILLY_HOURLY_PROFILE

    path = HERE / "check_case.yaml"
    res = {k: run(load_scenario(path, overrides=arrivals(*a))) for k, a in (
        ("midnight", ("midnight",)), ("philly", ("philly",)), ("flat", ("flat", 0.0)))}
    print("\nindependent check case (USD over 364 days)")
    for k, r in res.items():
        print(f"  {k:9s} optimum {r.metrics['total_cost_usd']:>15,.2f}   twin "
              f"{r.baseline_metrics['total_cost_usd']:>15,.2f}   twin facility peak "
              f"{r.baseline_metrics['peak_facility_mw']:7.2f} MW")
    flat = res["flat"].metrics["total_cost_usd"]
    for k in ("midnight", "philly"):
        r = res[k]
        opt, twin = r.metrics["total_cost_usd"], r.baseline_metrics["total_cost_usd"]
        print(f"  {k}: saving vs its queue twin {twin - opt:,.0f} USD ({(twin - opt) / twin:.2%})"
              f", vs the flat profile {flat - opt:,.0f} USD ({(flat - opt) / flat:.2%})")
    profile = np.asarray(PHILLY_HOURLY_PROFILE) / np.mean(PHILLY_HOURLY_PROFILE)
    amplitude_mw = (profile.max() - 1) * 40.0 * 1.25
    print(f"  philly twin peak {res['philly'].baseline_metrics['peak_facility_mw']:.4f} MW <= "
          f"flat peak {res['flat'].baseline_metrics['peak_facility_mw']:.4f} MW + diurnal "
          f"amplitude {amplitude_mw:.4f} MW")
    m = res["philly"].comparison
    for name in ("work_moved_share__batch", "work_delay_mean_h__batch",
                 "work_delay_max_h__batch", "shifted_energy_mwh"):
        print(f"  {name:26s} flexible {m.loc[name, 'flexible']:10.4f}  twin "
              f"{m.loc[name, 'baseline']:10.4f} {m.loc[name, 'unit']}")


def main() -> None:
    print(f"{'scenario':14s} {'form':22s} {'cols':>9s} {'rows':>9s} {'nnz':>10s} "
          f"{'build s':>8s} {'HiGHS s':>8s} {'objective':>18s}")
    for path in SITES:
        for kind, per_release, label in (("midnight", True, "midnight (before)"),
                                         ("philly", True, "philly, per release"),
                                         ("philly", False, "philly, cumulative")):
            s = lp_size(path, kind, per_release)
            print(f"{path.stem:14s} {label:22s} {s['cols']:9,d} {s['rows']:9,d} "
                  f"{s['nnz']:10,d} {s['build_s']:8.2f} {s['highs_s']:8.2f} "
                  f"{s['objective']:18,.2f}", flush=True)
    check_case()


if __name__ == "__main__":
    main()
