"""A year of rolling-horizon operation on the real 2023 CAISO site: speed and value of information.

Run: ``python benchmarks/simulate_year.py``. Scenario ``scenarios/sites/caiso.yaml`` (San Jose;
CAISO prices and Electricity Maps carbon from the green-dcc 2023 files, Open-Meteo weather).

Prints

1. for daily re-plans at local midnight with a 48 h look-ahead on perfect forecasts: the
   simulation's wall time divided by the summed HiGHS solve time (target <= 2.5), ms per
   re-solve, simplex iterations of warm against cold solves, and what rebuilding each window
   LP from scratch would cost instead;
2. the same for hourly re-plans over January (744 re-solves);
3. the value of information: objective and total-cost gap to the perfect-foresight run for
   MPC on perfect, persistence, day-ahead-price and noisy forecasts, and for the threshold and
   baseline policies.

"Total time" is the wall time of :func:`dcflex.studies.operate.simulate.simulate_inputs` without the
perfect-foresight reference (``value_of_information=False``): forecasts, window LP updates,
HiGHS, the real-time layer, state carry-over and the metrics. Preparing the inputs (reading the
files) is timed separately.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pandas as pd

from dcflex.data.datasets import shared_data
from dcflex.model.inputs import prepare
from dcflex.scenario import load_scenario
from dcflex.studies.operate.simulate import schedule_objective, simulate_inputs
from dcflex.studies.run import run_inputs

ROOT = Path(__file__).resolve().parents[1]


def speed(inputs, replan: str, label: str) -> None:
    t0 = time.perf_counter()
    # the loop's speed: no second simulation for the counterfactual ladder
    r = simulate_inputs(inputs, "mpc", horizon_h=48, replan=replan, value_of_information=False,
                        counterfactuals=False)
    total = time.perf_counter() - t0
    t = r.timings_s
    w = r.windows
    n = len(w)
    highs = t["highs_solve"]
    warm = w.loc[~w["new_structure"]]
    cold = w.loc[w["new_structure"]]
    print(f"\n{label}: {n} windows, {int(t['structures'])} window structures built")
    print(f"  total {total:.3f} s, HiGHS {highs:.3f} s  ->  total / HiGHS = {total / highs:.2f}"
          f"  (loop only {t['loop'] / highs:.2f}; target <= 2.5)")
    print(f"  {1e3 * highs / n:.2f} ms per re-solve (HiGHS), {1e3 * total / n:.2f} ms per window "
          f"all in; warm solves {warm['highs_ms'].mean():.2f} ms / {warm['iterations'].mean():.0f}"
          f" iterations, cold {cold['highs_ms'].mean():.2f} ms / "
          f"{cold['iterations'].mean():.0f} iterations")
    print(f"  breakdown: forecast {t['forecast']:.3f} s, plan (LP update + HiGHS) {t['plan']:.3f}"
          f" s, real-time layer {t['apply']:.3f} s, metrics {t['metrics']:.3f} s")


def rebuild_cost(inputs, n: int = 40) -> None:
    """Build each daily window LP from scratch with the core pipeline and solve it cold."""
    import dataclasses

    from dcflex.model.build import build
    from dcflex.model.solve import make_highs, run_highs

    starts = np.flatnonzero(np.asarray(inputs.local_index.hour) == 0)[:n]
    rel = inputs.params["workload"]["releases"]
    builds = solves = 0.0
    for s in starts:
        idx = inputs.index[s:s + 48]
        end = idx[-1] + pd.Timedelta(hours=1)
        params = dict(inputs.params)
        params["workload"] = dict(params["workload"], releases={
            k: v[(v["release_utc"] >= idx[0]) & (v["deadline_utc"] <= end)]
            for k, v in rel.items()})
        window = dataclasses.replace(inputs, series=inputs.series.iloc[s:s + 48], params=params)
        t0 = time.perf_counter()
        lp = build(window)
        h = make_highs(lp)
        builds += time.perf_counter() - t0
        solves += run_highs(h, lp.num_col).solve_seconds
    print(f"  rebuilding each window instead (core build + passModel): {1e3 * builds / n:.1f} ms"
          f" + {1e3 * solves / n:.2f} ms cold solve per window (n={n})")


def value_of_information(inputs) -> None:
    t0 = time.perf_counter()
    ref = run_inputs(inputs)
    t_ref = time.perf_counter() - t0
    ref_obj = schedule_objective(ref.schedule, inputs, ref.metrics)
    ref_cost = ref.metrics["total_cost_usd"]
    cases = [
        ("mpc", "perfect", None),
        ("mpc", "day-ahead price, rest perfect", {"price": "day-ahead"}),
        ("mpc", "persistence (24 h)", "persistence"),
        ("mpc", "day-ahead price, rest persistence", {"all": "persistence",
                                                      "price": "day-ahead"}),
        ("mpc", "noisy 10 % (φ 0.9, seed 1)", "noisy:0.1:0.9:1"),
        ("threshold", "perfect", None),
        ("threshold", "day-ahead price, rest persistence", {"all": "persistence",
                                                            "price": "day-ahead"}),
        ("baseline", "-", None),
    ]
    rows = []
    for policy, label, fc in cases:
        t0 = time.perf_counter()
        r = simulate_inputs(inputs, policy, forecasts=fc, horizon_h=48,
                            value_of_information=False)
        m = r.metrics
        rows.append((policy, label, r.objective - ref_obj, m["total_cost_usd"] - ref_cost,
                     100 * (m["total_cost_usd"] - ref_cost) / ref_cost,
                     m["demand_cost_usd"] - ref.metrics["demand_cost_usd"],
                     m["emissions_average_t"] - ref.metrics["emissions_average_t"],
                     time.perf_counter() - t0))
    table = pd.DataFrame(rows, columns=["policy", "forecasts", "objective gap USD",
                                        "cost gap USD", "cost gap %", "demand-charge gap USD",
                                        "emissions gap t", "time s"])
    print(f"\nValue of information against perfect foresight over the year (run: objective "
          f"{ref_obj:,.0f} USD incl. training value, total cost {ref_cost:,.0f} USD, "
          f"{t_ref:.2f} s; 48 h look-ahead, daily re-plans)")
    with pd.option_context("display.width", 160, "display.max_columns", 20,
                           "display.float_format", "{:,.1f}".format):
        print(table.to_string(index=False))


def main() -> None:
    shared_data("green-dcc", "electricity_prices", "US-CAL-CISO_electricity_prices_2023.csv")
    scen = load_scenario(ROOT / "scenarios" / "sites" / "caiso.yaml")
    t0 = time.perf_counter()
    inputs = prepare(scen)
    print(f"{scen.name}: {inputs.n_steps} hourly steps, inputs prepared in "
          f"{time.perf_counter() - t0:.2f} s")
    simulate_inputs(inputs, "mpc", replan="12h", value_of_information=False)  # warm imports
    speed(inputs, "daily", "Daily re-plans at 00:00 local, 48 h look-ahead, perfect forecasts")
    rebuild_cost(inputs)
    jan = inputs.local_index.month == 1
    import dataclasses

    params = dict(inputs.params)
    wp = dict(params["workload"])
    wp["releases"] = {k: v[v["deadline_utc"] <= inputs.index[jan][-1] + pd.Timedelta(hours=1)]
                      for k, v in wp["releases"].items()}
    params["workload"] = wp
    january = dataclasses.replace(inputs, series=inputs.series[jan], params=params)
    speed(january, "hourly", "Hourly re-plans over January, 48 h look-ahead, perfect forecasts")
    value_of_information(inputs)


if __name__ == "__main__":
    main()
