"""Benchmark: peak memory of a 15-minute year, dcflex against HiGHS reading the same LP.

Two whole processes, each measured by its peak resident set size (``ru_maxrss`` of the
child):

* ``dcflex run scenarios/sites/caiso.yaml`` at a 15-minute step (35,040 steps), writing its
  outputs to a temporary folder;
* a process that reads the same LP from an MPS file (written beforehand by dcflex's builder
  through HiGHS) and solves it with highspy — the least a solve of this LP can cost.

Prints both peaks and their ratio (issue 11 target: <= 1.3).

Run: ``.venv/bin/python benchmarks/memory_15min.py``.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "scenarios" / "sites" / "caiso.yaml"
BIN = Path(sys.executable).parent

WRITE_MPS = """
import sys
from dcflex.model.build import build
from dcflex.model.inputs import prepare
from dcflex.model.solve import make_highs
from dcflex.scenario import load_scenario
scen = load_scenario(sys.argv[1], overrides={"period": {"step": "15min"}})
make_highs(build(prepare(scen))).writeModel(sys.argv[2])
"""

SOLVE_MPS = """
import sys, highspy
h = highspy.Highs()
h.setOptionValue("output_flag", False)
h.readModel(sys.argv[1])
h.run()
print("objective", h.getInfo().objective_function_value)
"""


def peak_mb(cmd: list[str], cwd: Path) -> tuple[float, str]:
    """Peak RSS of one child process, MB, and its standard output.

    ``RUSAGE_CHILDREN`` is the maximum over all children waited for so far, so every
    measured command runs in its own intermediate Python process.
    """
    probe = ("import resource, subprocess, sys\n"
             "out = subprocess.run(sys.argv[1:], capture_output=True, text=True, check=True)\n"
             "print(out.stdout, end='')\n"
             "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)\n")
    out = subprocess.run([sys.executable, "-c", probe, *cmd], capture_output=True, text=True,
                         check=True, cwd=cwd)
    lines = out.stdout.strip().splitlines()
    return float(lines[-1]), "\n".join(lines[:-1])


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        mps = Path(tmp) / "caiso_15min.mps"
        subprocess.run([sys.executable, "-c", WRITE_MPS, str(SCENARIO), str(mps)], check=True)
        run_override = Path(tmp) / "caiso_15min.yaml"
        run_override.write_text(f"extends: {SCENARIO}\nperiod: {{step: 15min}}\n")
        dcflex_mb, _ = peak_mb([str(BIN / "dcflex"), "run", str(run_override), "-o",
                                str(Path(tmp) / "out")], ROOT)
        mps_mb, objective = peak_mb([sys.executable, "-c", SOLVE_MPS, str(mps)], ROOT)
    print("15-minute CAISO year (35,040 steps), peak resident memory of the whole process")
    print(f"  dcflex run                     {dcflex_mb:8.0f} MB")
    objective_usd = float(objective.split()[-1])
    print(f"  highspy reading the MPS file   {mps_mb:8.0f} MB  (objective {objective_usd:,.0f})")
    print(f"  ratio                          {dcflex_mb / mps_mb:8.2f}  (target <= 1.3)")


if __name__ == "__main__":
    main()
