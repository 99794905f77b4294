"""What the HTML report adds to ``dcflex run`` on the whole-process benchmark case.

Runs ``benchmarks/whole_process/case.yaml`` (a year at 1 h, 100 MW, battery, demand charge)
and times, in one run each:

- the whole process, ``dcflex run case.yaml`` as a user types it, against the plain highspy
  script of the same LP (``whole_process/plain_highspy.py``; issue 11's 1.5x budget);
- inside a process: importing the report's modules (measured in a fresh interpreter that
  has already imported the solve path), the monthly bills, ``report.html`` the first time
  (importing jinja2, compiling the template, figures as JSON, plotly.js inlined, written) and
  again, and the data files (Parquet, their CSV copies, metrics.json, comparison.csv,
  monthly_bill.csv); the report's cost is the import, the bills and the first report;
- for reference, the four PNG plots of ``--png`` (matplotlib import and rendering), which
  the default run no longer draws.

Prints one JSON document of seconds and ratios. Wall-clock numbers on a shared machine vary
between runs; the ratios are the measurement.

    .venv/bin/python benchmarks/report_cost.py
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
CASE = HERE / "whole_process" / "case.yaml"
PLAIN = HERE / "whole_process" / "plain_highspy.py"
DCFLEX = Path(sys.executable).parent / "dcflex"


def wall(cmd: list[str], repeats: int = 3) -> float:
    """Median wall time of a command, s (pairs alternate with the other command's runs)."""
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def import_seconds(module: str, after: str) -> float:
    """Time to import ``module`` in a fresh interpreter that already imported ``after``."""
    code = (f"import time, {after}\nt = time.perf_counter()\nimport {module}\n"
            "print(time.perf_counter() - t)")
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True,
                         text=True)
    return float(out.stdout.strip())


def main() -> None:
    from dcflex.results.report import bills, run_report, write_outputs, write_pngs
    from dcflex.studies.run import run

    result = run(CASE)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        t0 = time.perf_counter()
        pair = bills(result)
        t_bills = time.perf_counter() - t0
        t0 = time.perf_counter()  # cold, as in a `dcflex run` process: imports jinja2 too
        run_report(result, out / "cold.html", None, pair)
        t_report = time.perf_counter() - t0
        t0 = time.perf_counter()
        run_report(result, out / "warm.html", None, pair)
        t_report_warm = time.perf_counter() - t0
        t0 = time.perf_counter()
        write_outputs(result, out / "all")
        t_outputs = time.perf_counter() - t0
        report_bytes = (out / "all" / "report.html").stat().st_size
    t_import_report = import_seconds("dcflex.results.report", "dcflex.studies.run")
    t_import_mpl = import_seconds("dcflex.results.plots", "dcflex.results.report")
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        write_pngs(result, Path(tmp))
        t_png = time.perf_counter() - t0

    with tempfile.TemporaryDirectory() as tmp:
        t_dcflex = wall([str(DCFLEX), "run", str(CASE), "-o", tmp])
    t_plain = wall([sys.executable, str(PLAIN)])
    added = t_import_report + t_bills + t_report
    print(json.dumps({
        "dcflex_run_whole_process_s": round(t_dcflex, 3),
        "plain_highspy_whole_process_s": round(t_plain, 3),
        "ratio_dcflex_to_plain": round(t_dcflex / t_plain, 3),
        "highs_solve_s": round(result.timings_s["highs_solve"], 3),
        "report": {
            "import_report_modules_s": round(t_import_report, 3),
            "monthly_bills_s": round(t_bills, 3),
            "report_html_first_incl_jinja2_import_s": round(t_report, 3),
            "report_html_again_s": round(t_report_warm, 3),
            "report_html_mb": round(report_bytes / 1e6, 2),
            "added_by_the_report_s": round(added, 3),
            "share_of_whole_process": round(added / t_dcflex, 3),
        },
        "all_outputs_s": round(t_outputs, 3),
        "data_files_s": round(t_outputs - t_bills - t_report_warm, 3),
        "not_drawn_by_default": {"import_matplotlib_s": round(t_import_mpl, 3),
                                 "four_png_plots_incl_import_s": round(t_png, 3)},
    }, indent=1))


if __name__ == "__main__":
    main()
