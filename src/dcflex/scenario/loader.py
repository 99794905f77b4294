"""Loading scenario files: ``extends`` chains, path resolution and one-line error messages.

``extends: base.yaml`` loads another scenario first and deep-merges this file over it, so
variants of a site are short files. Paths are resolved against the file that names them
before merging. A pydantic validation error becomes one :class:`~dcflex.errors.ScenarioError`
naming the file, line, field path and what was expected.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from dcflex.errors import ScenarioError
from dcflex.scenario.currency import Spelled, money_fields, spell_money, to_reporting_currency
from dcflex.scenario.paths import resolve_paths
from dcflex.scenario.schema import Scenario
from dcflex.scenario.yamlfile import parse_with_lines, read_text, resolve_file


def _form(mapping: dict) -> tuple:
    """What kind of thing a mapping is: a file series, a generator of a given kind, a workload
    class of a given kind. Mappings of different forms share almost no fields."""
    return ("file" in mapping, mapping.get("generator"), mapping.get("kind"))


def deep_merge(base: Any, over: Any) -> Any:
    """Merge ``over`` into ``base``: mappings merge key by key, everything else replaces.

    A mapping of another form replaces the base's instead of merging into it, so a variant can
    turn a generated price series into a file series, or a training class into a batch class,
    without inheriting fields the new form does not have.
    """
    if isinstance(base, Spelled) and isinstance(over, Spelled) and (
            base.currency == over.currency):
        return Spelled(deep_merge(base.value, over.value), over.currency)
    if isinstance(base, dict) and isinstance(over, dict) and _form(base) != _form(over) and (
            "file" in over or "generator" in over or "kind" in over):
        return over
    if isinstance(base, dict) and isinstance(over, dict):
        merged = dict(base)
        for key, value in over.items():
            merged[key] = deep_merge(base[key], value) if key in base else value
        return merged
    return over


@functools.cache
def _money_fields() -> frozenset[str]:
    return money_fields(Scenario)


def _load_raw(path: Path, seen: tuple[Path, ...]) -> tuple[dict, dict[tuple, tuple[str, int]]]:
    """Load one file and the files it extends; return (data, {path: (file, line)}).

    Money keys written in another currency (``adder_eur_per_mwh``) get their internal names
    here, per file, so that a variant overrides its base's amount whatever the spelling; the
    line map keeps both spellings.
    """
    if path in seen:
        chain = " -> ".join(str(p) for p in (*seen, path))
        raise ScenarioError(f"circular 'extends' chain: {chain}", file=path, field="extends")
    text = read_text(path, "scenario")
    data, lines = parse_with_lines(text, str(path))
    if data is None:
        raise ScenarioError("scenario file is empty", file=path)
    if not isinstance(data, dict):
        raise ScenarioError(
            f"expected a mapping of fields at the top level, got {type(data).__name__}", file=path
        )
    data, renamed = spell_money(data, _money_fields(), file=path)
    where = {k: (str(path), v) for k, v in lines.items()}
    where.update({new: where[old] for new, old in renamed.items() if old in where})
    data = resolve_paths(data, path.parent)
    parent = data.pop("extends", None)
    if parent is None:
        return data, where
    if not isinstance(parent, str):
        raise ScenarioError(
            "must be the path of another scenario file", file=path, field="extends",
            line=lines.get(("extends",)),
        )
    parent_path = resolve_file(path.parent / parent, "extended scenario")
    if not parent_path.exists():
        raise ScenarioError(
            f"extended scenario file not found: {parent_path}",
            file=path, field="extends", line=lines.get(("extends",)),
        )
    base, base_where = _load_raw(parent_path, (*seen, path))
    return deep_merge(base, data), {**base_where, **where}


def _format_loc(loc: tuple) -> str:
    parts: list[str] = []
    for item in loc:
        if isinstance(item, int):
            parts.append(f"[{item}]")
        else:
            parts.append(("." if parts else "") + str(item))
    return "".join(parts)


_UNION_TAGS = {"inference", "training", "batch", "number", "file", "generator", "float", "str",
               "FileSeries", "GeneratedSeries", "GpuSpec", "literal['wholesale']",
               "arrival_name", "arrival_profile"}


def _is_tag(item: Any) -> bool:
    """A union branch's tag: a known one, or the repr of a generic type (``list[...]``)."""
    return isinstance(item, str) and (item in _UNION_TAGS or "[" in item)


def _clean_loc(loc: tuple, data: Any) -> tuple:
    """Drop pydantic's union-branch tags from an error location, keeping field names.

    Pydantic puts the tag of the union branch it tried (``inference``, ``generator``, ...)
    into the location; at most one tag stands between two levels of the data.
    """
    out: list = []
    node = data
    tag_skipped = False
    for i, item in enumerate(loc):
        deeper = i + 1 < len(loc)
        in_dict = isinstance(node, dict) and item in node
        if in_dict and deeper and _is_tag(item) and not tag_skipped and not isinstance(
            node[item], dict | list
        ):
            # a scalar cannot hold the rest of the path: this is a tag, not the key
            in_dict = False
        in_list = isinstance(node, list) and isinstance(item, int) and item < len(node)
        if in_dict or in_list:
            out.append(item)
            node = node[item]
            tag_skipped = False
        elif _is_tag(item) and not tag_skipped:
            tag_skipped = True
        else:
            out.append(item)
            node = None
            tag_skipped = True
    return tuple(out)


def scenario_from_dict(data: dict, file: str | Path | None = None,
                       lines: dict[tuple, tuple[str, int]] | None = None) -> Scenario:
    """Validate a scenario given as a mapping.

    Parameters
    ----------
    data : dict
        Scenario fields (paths in ``file:`` keys must already be absolute or relative to the
        working directory).
    file : path, optional
        Name used in error messages.
    lines : dict, optional
        Map from field path to (file, line) for error messages.

    Raises
    ------
    ScenarioError
        Naming the file, line, field path and what was expected.
    """
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        err = _pick_error(exc.errors())
        # StrictModel's number checks run on the whole section and say which field in ctx
        inner = (err.get("ctx") or {}).get("loc", ()) if err.get("type") in _SECTION_ERRORS \
            else ()
        loc = _clean_loc((*err["loc"], *inner), data)
        field = _format_loc(loc) or None
        where_file, line = str(file) if file else None, None
        if lines:
            probe = loc
            while probe and probe not in lines:
                probe = probe[:-1]
            if probe in lines:
                where_file, line = lines[probe]
        message = _describe(err)
        raise ScenarioError(message, file=where_file, field=field, line=line) from None


# Errors raised for a whole model that name the field in their context (series.field_error).
_SECTION_ERRORS = ("dcflex_field",)


def _pick_error(errors: list[dict]) -> dict:
    """Choose the most telling error among pydantic's (union branches produce many)."""

    def rank(e: dict) -> tuple:
        typ = e.get("type", "")
        union_noise = any(
            isinstance(p, str) and p in ("float", "FileSeries", "GeneratedSeries", "str")
            for p in e["loc"]
        )
        return (typ == "extra_forbidden", not union_noise, len(e["loc"]))

    return max(errors, key=rank)


def _describe(err: dict) -> str:
    typ = err.get("type", "")
    got = err.get("input")
    if typ in _SECTION_ERRORS:
        return err["ctx"]["message"]
    if typ == "too_short":
        ctx = err.get("ctx", {})
        n = ctx.get('min_length')
        return f"expected at least {n} item{'' if n == 1 else 's'}, got {ctx.get('actual_length')}"
    if typ == "extra_forbidden":
        return "unknown field (check the spelling; 'dcflex schema' lists the fields)"
    if typ == "missing":
        return "required field is missing"
    msg = err.get("msg", "invalid value")
    msg = msg.replace("Value error, ", "")
    if typ in ("greater_than", "greater_than_equal", "less_than", "less_than_equal"):
        msg = msg.replace("Input should be ", "must be ")
    elif msg.startswith("Input should be "):
        msg = "expected " + msg[len("Input should be "):]
    if got is not None and not isinstance(got, dict | list):
        msg = f"{msg}, got {got!r}"
    return msg


def load_scenario(path: str | Path, overrides: dict | None = None) -> Scenario:
    """Load and validate a scenario YAML file (following ``extends``).

    Parameters
    ----------
    path : path
        The scenario file.
    overrides : dict, optional
        Nested mapping deep-merged over the file's content (used by sweeps).

    Returns
    -------
    Scenario

    Raises
    ------
    ScenarioError
        With file, line, field path and what was expected.
    """
    path = resolve_file(path, "scenario")
    data, lines = _load_raw(path, ())
    if overrides:
        data = deep_merge(data, spell_money(overrides, _money_fields(), file=path)[0])
    data = to_reporting_currency(data, _money_fields(), file=path)
    data["source_file"] = str(path)
    return scenario_from_dict(data, file=path, lines=lines)

