"""Hostile YAML: bounded work, duplicate keys and invalid values, each one line with a line number.

The billion-laughs file runs in a real process under an address-space limit: before the caps,
walking it for line numbers expanded 10⁹ strings (24 GB) until the kernel killed the process.
"""

from __future__ import annotations

import resource
import subprocess

import pytest
import yaml
from robust_base import DCFLEX, HANG_S, base, write
from typer.testing import CliRunner

from dcflex.cli import app
from dcflex.errors import ScenarioError
from dcflex.scenario import load_scenario, read_yaml_file
from dcflex.scenario.yamlfile import MAX_BYTES, MAX_DEPTH, MAX_NODES

runner = CliRunner()

# Nine strings, then nine levels that each repeat the previous anchor nine times: 9^9 ≈ 387 M
# strings once expanded, from 700 bytes of text.
LAUGHS = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n' + "".join(
    f"{b}: &{b} [{', '.join([f'*{a}'] * 9)}]\n"
    for a, b in zip("abcdefgh", "bcdefghi", strict=True))


def _limit_memory() -> None:
    # 3 GB of address space: ample for Python with pandas and HiGHS loaded, far below what
    # the expanded document needs
    resource.setrlimit(resource.RLIMIT_AS, (3 * 2**30, 3 * 2**30))


@pytest.mark.parametrize("command", ["validate", "run"])
def test_billion_laughs_is_refused_in_bounded_memory(tmp_path, command):
    path = write(tmp_path, LAUGHS + "name: x\n", "laughs.yaml")
    args = [command, str(path)] + (["-o", str(tmp_path / "out")] if command == "run" else [])
    proc = subprocess.run([DCFLEX, *args], capture_output=True, text=True, timeout=HANG_S,
                          preexec_fn=_limit_memory)
    assert proc.returncode == 2, proc.stderr
    text = proc.stdout + proc.stderr
    assert "Traceback" not in text and "MemoryError" not in text
    # the line where the expansion passes the cap: the 'f' level has 9^6 = 531,441 values
    assert f"{path}:6: aliases expand this document to more than {MAX_NODES:,} values" in text


def test_billion_laughs_in_a_sweep_or_sites_file(tmp_path):
    scen = write(tmp_path, base())
    sweep = write(tmp_path, f"base: {scen.name}\n" + LAUGHS
                  + "axes:\n  battery.power_mw: [1, 2]\n", "sweep.yaml")
    sites = write(tmp_path, f"sites: [{scen.name}]\n" + LAUGHS, "sites.yaml")
    for args in (["sweep", str(sweep), "-o", str(tmp_path / "store")],
                 ["compare", str(sites), "--processes", "1", "--no-progress"]):
        result = runner.invoke(app, args)
        assert result.exit_code == 2, result.output
        assert "aliases expand this document" in result.output
        assert "Traceback" not in result.output


def test_aliases_of_ordinary_size_still_work(tmp_path):
    d = base()
    text = yaml.safe_dump(d, sort_keys=False).replace(
        "grid:\n", "x-limits: &limits {import_limit_mw: 2.5, export_limit_mw: 0.5}\ngrid:\n", 1)
    text = text.replace("grid:\n  import_limit_mw: 2.5\n  export_limit_mw: 0.5\n",
                        "grid: *limits\n")
    data = read_yaml_file(write(tmp_path, text))
    assert data["grid"] == {"import_limit_mw": 2.5, "export_limit_mw": 0.5}


def test_merge_keys_override_without_counting_as_duplicates(tmp_path):
    path = write(tmp_path, "b: &b {x: 1, y: 2}\nv: {<<: *b, x: 3}\n")
    assert read_yaml_file(path)["v"] == {"x": 3, "y": 2}


def test_deep_nesting_is_refused_before_python_recursion(tmp_path):
    # 5,000 levels: PyYAML's composer recurses per level and would die in a RecursionError
    path = write(tmp_path, "name: " + "[" * 5000 + "]" * 5000 + "\n")
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    assert str(info.value) == f"{path}:1: nested more than {MAX_DEPTH} levels deep"


def test_recursive_alias_is_refused(tmp_path):
    path = write(tmp_path, "name: x\nloop: &a [1, *a]\n")
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    assert info.value.line == 2 and "refers to the anchor it is inside" in info.value.message


def test_duplicate_key_names_both_lines(tmp_path):
    d = base()
    text = yaml.safe_dump(d, sort_keys=False).replace(
        "  import_limit_mw: 2.5\n", "  import_limit_mw: 2.5\n  import_limit_mw: 25\n", 1)
    path = write(tmp_path, text)
    first = text.splitlines().index("  import_limit_mw: 2.5") + 1
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    assert info.value.line == first + 1
    assert info.value.message == (f"duplicate key 'import_limit_mw' (first given on line "
                                  f"{first}); each key may appear once")


@pytest.mark.parametrize("value", ["2023-02-30", "2023-13-01", "2023-04-31 10:00:00"])
def test_invalid_calendar_date_is_one_line(tmp_path, value):
    text = yaml.safe_dump(base(), sort_keys=False).replace("2023-03-13 15:00", value, 1)
    text = text.replace("'" + value + "'", value)  # unquoted: YAML's timestamp constructor
    path = write(tmp_path, text)
    line = next(i for i, t in enumerate(text.splitlines(), 1) if value in t)
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert f"{path}:{line}: '{value}' is not a valid date or time" in result.output


def test_oversized_file_is_not_read_whole(tmp_path):
    path = tmp_path / "big.yaml"
    path.write_text("name: x\n" + "# padding\n" * (MAX_BYTES // 10 + 1))
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    assert "too large for a scenario file" in info.value.message
