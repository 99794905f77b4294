"""Benchmark: dcflex as a whole process against a plain highspy script on the same LP.

What a user waits for, start to finish, measured as whole processes in one run:

* ``dcflex run case.yaml -o DIR`` — the command line, from interpreter start to the last
  output file (scenario check, data reading, twin, LP, HiGHS, metrics, outputs);
* ``python plain_highspy.py`` — the same LP written by hand (pandas reads the prices, scipy
  builds the matrix, highspy solves), the peer a user would otherwise write.

The two alternate, pair by pair, so that machine load affects both alike; the headline is the
median over pairs of the per-pair ratio. The optimum of both is checked equal to 1e-6
(relative). It also times ``dcflex --help`` against ``python -c "import pandas"``, again
alternating.

Case (issue 11): 100 MW must-serve facility, 50 MW / 200 MWh battery, a monthly demand charge,
CAISO 2023 day-ahead prices (green-dcc file from ``$DCFLEX_DATA`` or ../shared/data), one
year at 1 h in Pacific time (8,736 steps).

Run: ``.venv/bin/python benchmarks/whole_process/run.py [pairs]`` (default 7 pairs).
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent


def timed(cmd: list[str]) -> tuple[float, str]:
    """Wall time of one whole process, s, and its standard output."""
    t0 = time.perf_counter()
    out = subprocess.run(cmd, capture_output=True, text=True, check=True)
    return time.perf_counter() - t0, out.stdout


def alternate(a: list[str], b: list[str], pairs: int) -> tuple[list[float], list[float],
                                                                 str, str]:
    """Run ``a`` and ``b`` alternately ``pairs`` times (after one warm-up each)."""
    timed(a)
    timed(b)
    ta, tb = [], []
    for _ in range(pairs):
        t, out_a = timed(a)
        ta.append(t)
        t, out_b = timed(b)
        tb.append(t)
    return ta, tb, out_a, out_b


def main() -> None:
    pairs = int(sys.argv[1]) if len(sys.argv) > 1 else 7
    with tempfile.TemporaryDirectory() as tmp:
        out_dir = Path(tmp) / "out"
        dcflex_cmd = [str(BIN / "dcflex"), "run", str(HERE / "case.yaml"), "-o", str(out_dir)]
        plain_cmd = [sys.executable, str(HERE / "plain_highspy.py")]
        t_dcflex, t_plain, _, plain_out = alternate(dcflex_cmd, plain_cmd, pairs)
        doc = json.loads((out_dir / "metrics.json").read_text())
        dcflex_usd = doc["flexible"]["total_cost_usd"]["value"]
    plain_usd = json.loads(plain_out.strip().splitlines()[-1])["objective_usd"]
    same = abs(dcflex_usd - plain_usd) <= 1e-6 * abs(plain_usd)
    ratios = [d / p for d, p in zip(t_dcflex, t_plain, strict=True)]

    t_help, t_pandas, _, _ = alternate([str(BIN / "dcflex"), "--help"],
                                       [sys.executable, "-c", "import pandas"], pairs)
    help_ratios = [h / p for h, p in zip(t_help, t_pandas, strict=True)]

    print(f"whole process, {pairs} alternating pairs (median s; ratio = median of per-pair "
          "ratios)")
    print(f"  dcflex run case.yaml -o DIR   {statistics.median(t_dcflex):6.2f} s")
    print(f"  plain highspy script          {statistics.median(t_plain):6.2f} s")
    print(f"  ratio                         {statistics.median(ratios):6.2f}  (target <= 1.5; "
          f"range {min(ratios):.2f}-{max(ratios):.2f})")
    print(f"  same optimum: {same} (dcflex total cost {dcflex_usd:,.2f} USD, "
          f"script objective {plain_usd:,.2f} USD)")
    print(f"  dcflex --help                 {statistics.median(t_help):6.3f} s")
    print(f"  python -c 'import pandas'     {statistics.median(t_pandas):6.3f} s")
    print(f"  ratio                         {statistics.median(help_ratios):6.2f}  "
          "(target < 1)")
    if not same:
        sys.exit("the two optima differ")


if __name__ == "__main__":
    main()
