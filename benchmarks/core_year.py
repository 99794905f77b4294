"""Benchmark: a year of one site at 1 h and 15 min, dcflex end to end vs HiGHS alone.

For each step length, in one process and one run:
  * dcflex total = prepare + baseline twin + build + HiGHS handoff and solve + schedule +
    metrics (``dcflex.studies.run``), wall clock;
  * HiGHS alone = HiGHS's own run time (``Highs.getRunTime``) solving the very same LP,
    passed to a fresh ``Highs`` object;
and prints the ratio and the process's peak resident memory.

Data: real 2023 CAISO prices, Electricity Maps carbon and Open-Meteo weather through
``scenarios/sites/caiso.yaml`` (``$DCFLEX_DATA`` or ../shared/data).

Run: ``.venv/bin/python benchmarks/core_year.py`` (each step length in its own subprocess so
peak memory is per configuration).
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "scenarios" / "sites" / "caiso.yaml"
REPEATS = 2


def measure(step: str) -> dict:
    from dcflex.model.solve import make_highs
    from dcflex.scenario import load_scenario
    from dcflex.studies.run import run

    scen = load_scenario(SCENARIO, overrides={"period": {"step": step}})
    # warm imports (pvlib, pyarrow, highspy) so they are not billed to either side
    small = load_scenario(SCENARIO, overrides={"period": {"start": "2023-06-01",
                                                          "end": "2023-06-02"},
                                               "events": {"demand_response": []}})
    run(small)

    from dcflex.model.build import build
    from dcflex.model.inputs import prepare

    lp = build(prepare(scen))
    totals, highs_alone, in_run = [], [], []
    for _ in range(REPEATS):  # alternate the two so machine load affects both alike
        h = make_highs(lp)
        r0 = h.getRunTime()
        h.run()
        highs_alone.append(h.getRunTime() - r0)
        t0 = time.perf_counter()
        result = run(scen)
        totals.append(time.perf_counter() - t0)
        in_run.append(result.timings_s["highs_solve"])
    total, alone = min(totals), min(highs_alone)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "step": step,
        "steps": result.inputs.n_steps,
        "columns": lp.num_col,
        "rows": lp.num_row,
        "nonzeros": int(lp.A.nnz),
        "dcflex_total_s": total,
        "highs_alone_s": alone,
        "ratio": total / alone,
        "ratio_same_solve": min(t / r for t, r in zip(totals, in_run, strict=True)),
        # the counterfactual ladder's rung 1 (a warm re-solve) is part of the total
        "rung_1_s": result.timings_s.get("rung_1", 0.0),
        "ratio_without_rung_1": (total - result.timings_s.get("rung_1", 0.0)) / alone,
        "stages_s": result.timings_s,
        "peak_rss_mb": peak_mb,
        "objective_match": abs(h.getInfo().objective_function_value - result.objective)
        <= 1e-6 * max(1.0, abs(result.objective)),
    }


def main() -> None:
    if len(sys.argv) > 1:
        print(json.dumps(measure(sys.argv[1])))
        return
    print("dcflex end to end vs HiGHS alone on the same LP (best of "
          f"{REPEATS}; 'own' = total / HiGHS time inside the same dcflex run)")
    print("'w/o r1' = the ratio without rung 1 of the counterfactual ladder (a warm re-solve "
          "with the workload fixed)")
    print(f"{'step':>6} {'steps':>6} {'cols':>8} {'rows':>8} {'dcflex s':>9} {'HiGHS s':>8} "
          f"{'ratio':>6} {'own':>6} {'w/o r1':>6} {'peak MB':>8}  stages (s)")
    for step in ("1h", "15min"):
        out = subprocess.run([sys.executable, __file__, step], capture_output=True, text=True,
                             check=True)
        m = json.loads(out.stdout.strip().splitlines()[-1])
        stages = ", ".join(f"{k} {v:.3f}" for k, v in m["stages_s"].items())
        print(f"{m['step']:>6} {m['steps']:>6} {m['columns']:>8} {m['rows']:>8} "
              f"{m['dcflex_total_s']:>9.2f} {m['highs_alone_s']:>8.2f} {m['ratio']:>6.3f} "
              f"{m['ratio_same_solve']:>6.3f} {m['ratio_without_rung_1']:>6.3f} "
              f"{m['peak_rss_mb']:>8.0f}  {stages}; same optimum: {m['objective_match']}")


if __name__ == "__main__":
    main()
