"""The package's layers: imports go only downward, with no cycles, and the CLI starts light.

The layers are declared in ``dcflex/__init__.py``; this test walks every module's imports with
``ast`` (those inside functions too, not those under ``if TYPE_CHECKING:``, which never run)
and fails on an import that goes up a layer, sideways between sibling packages of one layer,
or round in a circle.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import dcflex

PACKAGE_DIR = Path(dcflex.__file__).parent

#: Lowest layer first. A module may import its own package and any package of a lower layer.
LAYERS: dict[str, int] = {
    "dcflex.errors": 0,
    "dcflex.version": 0,
    "dcflex.scenario": 1,
    "dcflex.data": 2,
    "dcflex.physics": 3,
    "dcflex.workloads": 3,
    "dcflex.model": 4,
    "dcflex.results": 5,
    "dcflex.studies": 6,
    "dcflex.cli": 7,
    "dcflex": 8,  # the facade: nothing inside the package may import it
}


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE_DIR.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def layer_of(module: str) -> tuple[str, int]:
    """The package (longest declared prefix) a module belongs to, and its layer."""
    best = max((p for p in LAYERS if module == p or module.startswith(p + ".")), key=len)
    return best, LAYERS[best]


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def imports_of(path: Path, module: str) -> set[str]:
    """Every dcflex module imported by a file (``from a import b`` counts a.b if it is one)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.split(".")[0] == "dcflex")
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                target = f"{base}.{node.module}" if node.module else base
            else:
                target = node.module or ""
            if target.split(".")[0] == "dcflex":
                found.add(target)
                for alias in node.names:
                    if (sub := f"{target}.{alias.name}") in ALL_MODULES:
                        found.add(sub)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return found


ALL_FILES = {module_name(p): p for p in sorted(PACKAGE_DIR.rglob("*.py"))}
ALL_MODULES = set(ALL_FILES)
GRAPH = {m: imports_of(p, m) & ALL_MODULES - {m} for m, p in ALL_FILES.items()}


def test_every_module_belongs_to_a_declared_layer():
    assert "dcflex.model.lp" in ALL_MODULES and len(ALL_MODULES) > 50
    for module in ALL_MODULES:
        assert layer_of(module)[0] in LAYERS


def test_imports_go_only_downward():
    bad = []
    for module, targets in GRAPH.items():
        package, rank = layer_of(module)
        for target in targets:
            t_package, t_rank = layer_of(target)
            if t_rank > rank or (t_rank == rank and t_package != package):
                bad.append(f"{module} (layer {rank}) imports {target} (layer {t_rank})")
    assert not bad, "\n".join(sorted(bad))


def test_no_import_cycles():
    """Depth-first search for a back edge in the module graph."""
    state: dict[str, int] = {}
    stack: list[str] = []
    cycles: list[str] = []

    def visit(module: str) -> None:
        state[module] = 1
        stack.append(module)
        for target in sorted(GRAPH[module]):
            if state.get(target) == 1:
                cycles.append(" -> ".join([*stack[stack.index(target):], target]))
            elif target not in state:
                visit(target)
        stack.pop()
        state[module] = 2

    for module in sorted(GRAPH):
        if module not in state:
            visit(module)
    assert not cycles, "\n".join(cycles)


def test_the_checker_sees_an_upward_import(tmp_path):
    """The walker is not blind: a function-level import of the CLI from the model is found,
    one under TYPE_CHECKING is not."""
    src = tmp_path / "probe.py"
    src.write_text("from typing import TYPE_CHECKING\n"
                   "if TYPE_CHECKING:\n    from dcflex.studies.run import run\n"
                   "def f():\n    from dcflex.cli.common import console\n")
    found = imports_of(src, "dcflex.model.probe")
    assert found == {"dcflex.cli.common"}
    assert layer_of("dcflex.cli.common")[1] > layer_of("dcflex.model.probe")[1]


def test_components_do_not_import_the_preparing_module():
    for module, targets in GRAPH.items():
        if module.startswith("dcflex.model.components"):
            assert "dcflex.model.inputs" not in targets, module
    assert "dcflex.model.components" in GRAPH["dcflex.model.inputs"]


HEAVY = ("matplotlib", "scipy.optimize", "pvlib", "dask", "distributed", "pyomo")


def _modules_loaded_by(args: list[str]) -> set[str]:
    code = (
        "import sys\n"
        "from dcflex.cli import app\n"
        "try:\n"
        f"    app({args!r}, standalone_mode=False)\n"
        "except SystemExit:\n"
        "    pass\n"
        f"print('HEAVY:', *[m for m in {HEAVY!r} if m in sys.modules])\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=PACKAGE_DIR.parents[1])
    marker = [line for line in out.stdout.splitlines() if line.startswith("HEAVY:")]
    assert len(marker) == 1, out.stdout + out.stderr
    return set(marker[0].split()[1:])


@pytest.mark.parametrize("args", [["--help"], ["validate", "scenarios/example.yaml",
                                              "scenarios/sites/caiso.yaml"]])
def test_help_and_validate_stay_light(args):
    loaded = _modules_loaded_by(args)
    assert not loaded, f"dcflex {' '.join(args)} imported {sorted(loaded)}"


def test_validate_with_data_prepares_without_plotting_or_solving_libraries():
    """validate --data prepares the inputs as run does (pvlib for weather and PV), but loads
    no plotting, cluster or modelling library; the probe sees pvlib when it is loaded."""
    loaded = _modules_loaded_by(["validate", "--data", "scenarios/example.yaml",
                                 "scenarios/sites/caiso.yaml"])
    assert not loaded & {"matplotlib", "dask", "distributed", "pyomo"}, sorted(loaded)
    assert "pvlib" in loaded  # it did prepare the weather-driven inputs


def test_run_writes_its_report_without_matplotlib(tmp_path):
    """The default run path (data files + report.html) never imports matplotlib: its import
    and PNG rendering cost more than the solve of a year (issue 11's whole-process budget)."""
    out = tmp_path / "o"
    loaded = _modules_loaded_by(["run", "scenarios/example.yaml", "-o", str(out)])
    assert (out / "report.html").stat().st_size > 100_000
    assert "matplotlib" not in loaded and "pyomo" not in loaded, sorted(loaded)


def test_run_does_load_what_it_needs():
    """The probe can see heavy imports: importing the plots module pulls in matplotlib."""
    code = ("import sys\nfrom dcflex.results import plots\nplots.save\n"
            "print('matplotlib' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "True"
