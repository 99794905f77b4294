"""The README's commands and its Python API example, run as written.

Every ``dcflex ...`` line of the README's shell blocks runs through ``bash`` (so globs
expand as in a user's shell) from a fresh folder laid out like a checkout next to the data
sets: ``scenarios/`` of this project and ``../shared/data`` pointing at the real data. Each
must exit 0 and write what the README says it writes. The Python block runs in the same
folder. (``make demo`` and ``make test``, the README's first block, are what CI runs.)
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from dcflex.data.datasets import shared_data_dir

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", README, flags=re.S)


def commands() -> list[str]:
    """``dcflex`` lines of the shell blocks, without their trailing comments."""
    lines = [line.split("  #")[0].strip() for b in blocks("sh") for line in b.splitlines()]
    return [line for line in lines if line.startswith("dcflex ")]


@pytest.fixture(scope="module")
def checkout(tmp_path_factory) -> Path:
    """A working folder as a user has it: the project's scenarios, the data sets beside."""
    top = tmp_path_factory.mktemp("readme")
    (top / "proj").mkdir()
    (top / "shared").mkdir()
    (top / "proj" / "scenarios").symlink_to(ROOT / "scenarios")
    (top / "shared" / "data").symlink_to(shared_data_dir())
    return top / "proj"


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env["DCFLEX_DATA"] = str(shared_data_dir())
    env.setdefault("COLUMNS", "120")
    return env


def test_the_readme_lists_the_commands_it_promises():
    names = {c.split()[1] for c in commands()}
    assert {"validate", "schema", "inputs", "run", "compare", "headroom", "slo-headroom",
            "simulate", "sweep", "sweep-report", "replay"} <= names


#: What each command writes, relative to the working folder (default output folders).
WRITES = {
    "dcflex schema": ["scenario.schema.json"],
    "dcflex inputs scenarios/example.yaml": ["out/inputs/greensboro-example/inputs_overview.png"],
    "dcflex run scenarios/example.yaml": ["out/run/greensboro-example/report.html",
                                          "out/run/greensboro-example/schedule.csv"],
    "dcflex run scenarios/sites/de_lu.yaml": ["out/run/de-lu-frankfurt-2023/report.html"],
    "dcflex compare": ["out/compare/sites/report.html"],
    "dcflex simulate": ["out/simulate/greensboro-example/simulation.json"],
    "dcflex sweep ": ["out/sweep/greensboro-battery-batch/metrics.parquet"],
    "dcflex sweep-report": ["out/sweep/greensboro-battery-batch/report/report.html"],
    "dcflex replay": ["out/replay/emerald-srp.png"],
}


def test_every_readme_command_runs_as_written(checkout):
    ran = []
    for command in commands():
        done = subprocess.run(["bash", "-c", command], cwd=checkout, env=_env(),
                              capture_output=True, text=True, timeout=900)
        assert done.returncode == 0, f"{command}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
        assert "Traceback" not in done.stderr, command
        for prefix, paths in WRITES.items():
            if command.startswith(prefix):
                for p in paths:
                    assert (checkout / p).stat().st_size > 0, (command, p)
        ran.append(command)
    assert len(ran) == len(commands()) >= 12
    de_lu = (checkout / "out/run/de-lu-frankfurt-2023/comparison.csv").read_text()
    assert "total_cost_eur" in de_lu  # the euro site reports in euros


def test_the_python_example_runs(checkout):
    (code,) = blocks("python")
    done = subprocess.run([sys.executable, "-c", code], cwd=checkout, env=_env(),
                          capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    assert (checkout / "out" / "api" / "report.html").exists()
