"""Fuzz the CLI with mutated scenarios: no traceback, exit 0/2/3, bounded time, finite metrics.

Hypothesis mutates a small valid scenario (:mod:`robust_base`: one week, every component):
numbers become NaN, ±inf, huge, tiny, negative, booleans or text, or are scaled to values that
pass validation and reach the model; keys are dropped or written twice; event times move into
the hour that daylight saving time skips or repeats. The fixed attack list
of the robustness audit (issue 18) runs next to it. Every case goes through ``dcflex run``:
in this process for speed (with an alarm as hang detector) and, for a sample, in a real
process under a timeout.

The contract checked for every case:

* no traceback and no "internal error";
* exit code 0, 2 (bad input) or 3 (infeasible, with a diagnosis);
* a non-zero exit prints exactly one error line (notes about the input may precede it);
* a scenario that still holds a NaN or ±inf after the mutations never exits 0;
* an exit-0 run wrote a strict-JSON ``metrics.json`` whose every number is finite;
* a time bound: :data:`HANG_S` per case (a hang detector, not a performance assertion).
"""

from __future__ import annotations

import copy
import math
import signal
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from robust_base import (
    HANG_S,
    all_finite,
    base,
    dcflex,
    metric_values,
    strict_json,
    write,
)
from typer.testing import CliRunner

from dcflex.cli import app

runner = CliRunner()


class Hang(BaseException):
    """Raised by the alarm: a case ran past the time bound (BaseException, so that the CLI's
    own error handling cannot turn it into an ordinary exit)."""


def _leaves(node: Any, path: tuple = ()) -> Iterator[tuple]:
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _leaves(v, (*path, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _leaves(v, (*path, i))
    else:
        yield path


def _get(node: Any, path: tuple) -> Any:
    for k in path:
        node = node[k]
    return node


def _keys(node: Any, path: tuple = ()) -> Iterator[tuple]:
    if isinstance(node, dict):
        for k, v in node.items():
            yield (*path, k)
            yield from _keys(v, (*path, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _keys(v, (*path, i))


# every leaf but the solver's time limit: a limit too short to solve in ends in exit 4 ("the
# solver stopped"), which is that field's documented meaning (tested in test_robust_numbers)
LEAVES = sorted((p for p in _leaves(base()) if p != ("optimization", "time_limit_s")), key=str)
KEYS = sorted(_keys(base()), key=str)
NUMBERS = [p for p in LEAVES if isinstance(_get(base(), p), int | float)
           and not isinstance(_get(base(), p), bool)]
VALUES = [math.nan, math.inf, -math.inf, 1e300, -1e300, 1e20, 1e-300, -1.0, 0, -7,
          True, False, "abc", "", 10**30, 2**53 + 1, [], {}, None]
# local times the clock skips (New York, 12 March 2023) or shows twice (5 November 2023)
DST_TIMES = ["2023-03-12 02:00", "2023-03-12 02:30", "2023-03-12 02:59", "2023-11-05 01:30"]

value_mutation = st.tuples(st.just("set"), st.sampled_from(LEAVES), st.sampled_from(VALUES))
drop_mutation = st.tuples(st.just("drop"), st.sampled_from(KEYS), st.none())
dst_mutation = st.tuples(st.just("dst"), st.sampled_from([("events", "demand_response", 0,
                                                           "start"),
                                                          ("events", "import_caps", 0, "end")]),
                         st.sampled_from(DST_TIMES))
# plausible values too, which pass validation and reach the model: a number scaled
scale_mutation = st.tuples(st.just("scale"), st.sampled_from(NUMBERS),
                           st.sampled_from([0, 1e-3, 0.5, 2, 1e3, 1e6, -1]))
mutation = st.one_of(value_mutation, value_mutation, scale_mutation, drop_mutation,
                     dst_mutation)


def _apply(data: dict, kind: str, path: tuple, value: Any) -> None:
    node: Any = data
    for k in path[:-1]:
        try:
            node = node[k]
        except (KeyError, IndexError, TypeError):
            return  # an earlier mutation removed or replaced this branch
        if not isinstance(node, dict | list):
            return
    last = path[-1]
    if isinstance(node, dict) and kind != "set" and last not in node:
        return
    if isinstance(node, list) and (not isinstance(last, int) or last >= len(node)):
        return
    if kind == "drop":
        del node[last]
    elif kind == "scale":
        old = node[last] if not isinstance(node, dict) or last in node else None
        if isinstance(old, int | float) and not isinstance(old, bool):
            node[last] = type(old)(old * value)
    else:
        node[last] = value


def _non_finite(node: Any) -> bool:
    if isinstance(node, float):
        return not math.isfinite(node)
    if isinstance(node, dict):
        return any(_non_finite(v) for v in node.values())
    if isinstance(node, list):
        return any(_non_finite(v) for v in node)
    return False


def _yaml(data: dict, duplicate: int | None) -> str:
    text = yaml.safe_dump(data, sort_keys=False, default_flow_style=False, allow_unicode=True)
    if duplicate is None:
        return text
    # write one scalar key twice, with another value: YAML 1.2 forbids it, PyYAML kept the last
    lines = text.splitlines()
    scalars = [i for i, ln in enumerate(lines)
               if ":" in ln and not ln.rstrip().endswith(":") and not ln.lstrip().startswith("-")]
    if not scalars:
        return text
    i = scalars[duplicate % len(scalars)]
    key = lines[i].split(":", 1)[0]
    lines.insert(i + 1, f"{key}: 12345")
    return "\n".join(lines) + "\n"


def _alarm(signum: int, frame: Any) -> None:
    raise Hang(f"a case ran longer than {HANG_S} s")


def check_contract(folder: Path, data: dict | str, expect_error: bool = False) -> int:
    """Run ``dcflex run`` in this process on one scenario and check the contract."""
    path = write(folder, data)
    out = folder / "out"
    previous = signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(HANG_S)
    try:
        result = runner.invoke(app, ["run", str(path), "-o", str(out), "--no-plots"])
    except Hang:
        pytest.fail(f"hang: dcflex run did not finish in {HANG_S} s on\n{path.read_text()}")
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    text = result.output
    context = f"exit {result.exit_code}:\n{text}\n--- scenario ---\n{path.read_text()}"
    assert "Traceback" not in text and "internal error" not in text, context
    assert result.exit_code in (0, 2, 3), context
    if result.exit_code:
        errors = [ln for ln in text.splitlines() if ln.strip()
                  and not ln.startswith(("note:", "warning:"))]
        assert len(errors) == 1 and errors[0].startswith(("error:", "infeasible:")), context
    else:
        assert not expect_error, context
        doc = strict_json(out / "metrics.json")
        assert all_finite(metric_values(doc)), context
    return result.exit_code


@settings(max_examples=300, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(mutations=st.lists(mutation, min_size=1, max_size=3),
       duplicate=st.one_of(st.none(), st.none(), st.none(), st.integers(0, 200)))
def test_mutated_scenarios_keep_the_contract(mutations, duplicate):
    data = base()
    for kind, path, value in mutations:
        _apply(data, kind, path, copy.deepcopy(value))
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        text = _yaml(data, duplicate)
        code = check_contract(folder, text, expect_error=_non_finite(data))
        event(f"exit {code}")  # pytest --hypothesis-show-statistics shows the mix
        if duplicate is not None and text != _yaml(data, None):
            assert code == 2


# ------------------------------------------------------------------ the fixed attack list

LAUGHS = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n' + "".join(
    f"{b}: &{b} [{', '.join([f'*{a}'] * 9)}]\n"
    for a, b in zip("abcdefgh", "bcdefghi", strict=True))


def _with(**changes: Any) -> dict:
    """The base scenario with dotted fields changed (None deletes)."""
    data = base()
    for dotted, value in changes.items():
        _apply(data, "drop" if value is None else "set",
               tuple(int(k) if k.isdigit() else k for k in dotted.split("__")), value)
    return data


def _text(data: dict, old: str, new: str) -> str:
    return yaml.safe_dump(data, sort_keys=False).replace(old, new, 1)


PVLIB_WEATHER = {"source": {"file": "pvlib:723170TYA.CSV", "format": "tmy3"},
                 "typical_year": True}


def _pv(**solar: Any) -> dict:
    """Solar from pvlib's weather model (the path np.nan_to_num once zeroed)."""
    data = _with(weather=PVLIB_WEATHER)
    data["solar"] = {"capacity_mw_dc": 0.5, **solar}
    return data


# (id, scenario, exit codes allowed): each attack of the audit that got a traceback, a hang or
# a silent wrong number; all but the last two must now be refused (exit 2)
ATTACKS = [
    ("nan-cost-hang", _text(base(), "adder_usd_per_mwh: 12.0", "adder_usd_per_mwh: .nan"), {2}),
    ("nan-altitude", _text(_pv(), "altitude_m: 270.0", "altitude_m: .nan"), {2}),
    ("inf-pv-capacity", _text(_pv(), "capacity_mw_dc: 0.5", "capacity_mw_dc: .inf"), {2}),
    ("tiny-dc-ac-ratio", _pv(dc_ac_ratio=1e-300), {2}),
    ("inf-fixed-charge", _with(tariff__fixed_usd_per_month=math.inf), {2}),
    ("nan-curve-point", _with(workload__classes__train__curve=[[0.5, math.nan], [1.0, 1.0]]),
     {2}),
    ("bool-import-limit", _with(grid__import_limit_mw=True), {2}),
    ("duplicate-key", _text(base(), "import_limit_mw: 2.5\n",
                            "import_limit_mw: 2.5\n  import_limit_mw: 250\n"), {2}),
    ("empty-demand-window", _with(tariff__demand_charges__0__hours=[7, 7]), {2}),
    ("billion-laughs", LAUGHS + yaml.safe_dump(base(), sort_keys=False), {2}),
    ("invalid-date", _text(base(), "2023-03-13 15:00", "2023-02-30 15:00:00"), {2}),
    ("dr-in-dst-gap", _with(events__demand_response__0__start="2023-03-12 02:30"), {2}),
    ("seed-minus-one", _with(seed=-1), {2}),
    ("inf-window", _with(workload__classes__train__window_h=math.inf), {2}),
    ("empty-releases", _with(workload__classes__batch__gpu_hours_per_day=None,
                             workload__classes__batch__releases=[]), {2}),
    ("period-end-9999", _with(period__end="9999-12-31"), {2}),
    ("one-second-year", _with(period={"start": "2023-01-01", "end": "2024-01-01",
                                      "step": "1s"}), {2}),
    ("unknown-solver", _with(optimization__solver="no_such_solver"), {2}),
    ("data-prefix-escape", _with(weather={"source": {"file": "data:../../../etc/passwd",
                                                     "format": "tmy3"}}), {2}),
    ("import-limit-below-load", _with(grid__import_limit_mw=0.01), {3}),
    ("havana-midnight", _with(site__timezone="America/Havana", events={},
                              period={"start": "2023-03-11", "end": "2023-03-14"}), {0}),
]


@pytest.mark.parametrize(("data", "codes"), [a[1:] for a in ATTACKS], ids=[a[0] for a in ATTACKS])
def test_fixed_attacks(tmp_path, data, codes):
    assert check_contract(tmp_path, data) in codes


# a sample through a real process: the command a user types, under a real timeout
@pytest.mark.parametrize("attack", ["nan-cost-hang", "billion-laughs", "inf-pv-capacity",
                                    "havana-midnight"])
def test_fixed_attacks_in_a_real_process(tmp_path, attack):
    data, codes = next(a[1:] for a in ATTACKS if a[0] == attack)
    out = tmp_path / "out"
    proc = dcflex("run", str(write(tmp_path, data)), "-o", str(out), "--no-plots")
    text = proc.stdout + proc.stderr
    assert proc.returncode in codes, text
    assert "Traceback" not in text and "internal error" not in text
    if proc.returncode == 0:
        assert all_finite(metric_values(strict_json(out / "metrics.json")))
    else:
        assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr
