"""Sweep files: parse and validate the sweep YAML, its axes and overrides, expand variants.

:func:`load_sweep` (or :func:`sweep_from_dict`) reads a sweep file into a :class:`SweepSpec`;
:func:`combinations` gives its parameter sets and :func:`expand` resolves and validates every
:class:`Variant` before anything runs. The file format is described in
:mod:`dcflex.studies.sweep`.
"""

from __future__ import annotations

import itertools
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dcflex.errors import ScenarioError
from dcflex.scenario import deep_merge, load_scenario, read_yaml_file, resolve_paths
from dcflex.scenario.yamlfile import resolve_file

SITE_AXIS = "site"
_SWEEP_KEYS = {"name", "description", "base", "overrides", "axes", "zip", "mode"}


@dataclass(frozen=True)
class Axis:
    """One swept field: a dotted scenario path (or ``site``) and its values."""

    path: str
    values: tuple[Any, ...]


@dataclass(frozen=True)
class SweepSpec:
    """A parsed sweep file.

    Attributes
    ----------
    name : str
        Sweep name (the file stem if not given).
    base_file : Path or None
        Base scenario; ``None`` only when a ``site`` axis names the scenario files.
    overrides : dict
        Nested mapping deep-merged over every variant's scenario.
    axes : tuple of Axis
        In file order; the first axis varies slowest.
    zip_groups : tuple of tuple of str
        Axes that move together; all other axes are crossed.
    source_file : Path or None
        The sweep file (for error messages).
    """

    name: str
    base_file: Path | None
    overrides: dict
    axes: tuple[Axis, ...]
    zip_groups: tuple[tuple[str, ...], ...] = ()
    source_file: Path | None = None


@dataclass(frozen=True)
class Variant:
    """One resolved scenario of a sweep.

    Attributes
    ----------
    id : str
        ``scenario_hash()`` of the resolved scenario (16 hex digits).
    label : str
        ``path=value`` of each axis, for tables.
    params : dict
        Axis path -> value as written in the sweep file (site files as given).
    scenario_file : str
        Scenario file the variant extends.
    overrides : dict
        Nested overrides merged over ``scenario_file``.
    scenario : dict
        The validated scenario as JSON-compatible data: workers rebuild it with
        :func:`~dcflex.scenario.scenario_from_dict` and need no YAML files, only the data
        files it names.
    """

    id: str
    label: str
    params: dict[str, Any]
    scenario_file: str
    overrides: dict
    scenario: dict = field(repr=False)


def _err(message: str, file: Path | None, fld: str | None = None) -> ScenarioError:
    return ScenarioError(message, file=file, field=fld)


def check_axis_paths(spec: SweepSpec, here: Path) -> None:
    """Fail early, naming the sweep file, for an axis path that is not a scenario field.

    Paths are checked against the resolved base scenario (the first site's for a ``site``
    axis): every segment must be a field, or a key of a mapping such as
    ``workload.classes``, that exists there. A section the base leaves unset (``battery:``
    absent) is accepted; the variant's validation then names what it lacks.
    """
    from dcflex.scenario import Scenario

    site_axis = next((a for a in spec.axes if a.path == SITE_AXIS), None)
    file = (here / site_axis.values[0]).resolve() if site_axis else spec.base_file
    try:
        base = load_scenario(file, spec.overrides).model_dump(mode="python")
    except ScenarioError:
        return  # the variants' own validation reports it, with their labels
    for axis in spec.axes:
        if axis.path == SITE_AXIS:
            continue
        node: Any = base
        done: list[str] = []
        for part in axis.path.split("."):
            if node is None:
                break
            if not isinstance(node, dict) or part not in node:
                where = ".".join(done) or "the scenario"
                known = sorted(node) if isinstance(node, dict) else []
                if not done:
                    known = sorted(set(Scenario.model_fields) - {"source_file"})
                raise ScenarioError(
                    f"unknown axis path {axis.path!r}: {where} has no field {part!r}"
                    + (f" (it has {', '.join(map(str, known))})" if known else ""),
                    file=spec.source_file, field=f"axes.{axis.path}")
            node = node[part]
            done.append(part)


def nested_overrides(flat: dict[str, Any]) -> dict:
    """Turn ``{"battery.energy_mwh": 8}`` into ``{"battery": {"energy_mwh": 8}}``.

    Keys without dots and nested mappings pass through; later keys merge over earlier ones.
    """
    out: dict = {}
    for key, value in flat.items():
        parts = str(key).split(".")
        if any(not p for p in parts):
            raise ValueError(f"empty segment in field path {key!r}")
        node: dict = {}
        leaf = node
        for p in parts[:-1]:
            leaf[p] = {}
            leaf = leaf[p]
        leaf[parts[-1]] = value
        out = deep_merge(out, node)
    return out


def sweep_from_dict(data: dict, file: str | Path | None = None) -> SweepSpec:
    """Validate a sweep given as a mapping (paths relative to ``file``'s folder, or the CWD).

    Raises
    ------
    ScenarioError
        Naming the sweep file and the key that is wrong.
    """
    src = Path(file).resolve() if file is not None else None
    here = src.parent if src is not None else Path.cwd()
    if not isinstance(data, dict):
        raise _err(f"expected a mapping at the top level, got {type(data).__name__}", src)
    unknown = sorted(set(data) - _SWEEP_KEYS)
    if unknown:
        raise _err(f"unknown key(s) {unknown}; expected some of {sorted(_SWEEP_KEYS)}", src,
                   unknown[0])
    raw_axes = data.get("axes") or {}
    if not isinstance(raw_axes, dict) or not raw_axes:
        raise _err("expected a mapping of field path -> list of values with at least one axis",
                   src, "axes")
    axes = []
    for path, values in raw_axes.items():
        path = str(path)
        if not isinstance(values, list) or not values:
            raise _err(f"expected a non-empty list of values, got {values!r}", src,
                       f"axes.{path}")
        if any(not p for p in path.split(".")):
            raise _err("empty segment in the field path", src, f"axes.{path}")
        if path == SITE_AXIS and not all(isinstance(v, str) for v in values):
            raise _err("the site axis lists scenario files (strings)", src, "axes.site")
        axes.append(Axis(path, tuple(values)))
    names = [a.path for a in axes]
    for a, b in itertools.combinations(names, 2):
        if b.startswith(a + ".") or a.startswith(b + "."):
            raise _err(f"axes {a!r} and {b!r} overlap (one contains the other)", src, "axes")

    mode = data.get("mode", "cross")
    if mode not in ("cross", "zip"):
        raise _err(f"expected 'cross' or 'zip', got {mode!r}", src, "mode")
    raw_zip = data.get("zip") or []
    if mode == "zip":
        if raw_zip:
            raise _err("give either 'mode: zip' (zip every axis) or 'zip' groups, not both",
                       src, "zip")
        raw_zip = [names]
    if not isinstance(raw_zip, list) or not all(isinstance(g, list) for g in raw_zip):
        raise _err("expected a list of lists of axis paths, e.g. [[battery.power_mw, "
                   "battery.energy_mwh]]", src, "zip")
    groups: list[tuple[str, ...]] = []
    seen: set[str] = set()
    length = {a.path: len(a.values) for a in axes}
    for g in raw_zip:
        g = [str(p) for p in g]
        missing = [p for p in g if p not in length]
        if missing:
            raise _err(f"{missing[0]!r} is not one of the axes {names}", src, "zip")
        if seen & set(g):
            raise _err(f"axis {sorted(seen & set(g))[0]!r} is in two zip groups", src, "zip")
        seen |= set(g)
        lengths = {p: length[p] for p in g}
        if len(set(lengths.values())) > 1:
            raise _err(f"zipped axes need equal numbers of values, got {lengths}", src, "zip")
        groups.append(tuple(g))

    base = data.get("base")
    if base is None and SITE_AXIS not in names:
        raise _err("give the base scenario file, or a 'site' axis listing scenario files",
                   src, "base")
    if base is not None and not isinstance(base, str):
        raise _err(f"expected the path of a scenario file, got {base!r}", src, "base")
    base_file = (here / base).resolve() if base is not None else None
    if base_file is not None and not base_file.exists():
        raise _err(f"base scenario file not found: {base_file}", src, "base")
    if SITE_AXIS in names:
        site_axis = next(a for a in axes if a.path == SITE_AXIS)
        for v in site_axis.values:
            if not (here / v).exists():
                raise _err(f"site scenario file not found: {(here / v).resolve()}", src,
                           "axes.site")

    raw_over = data.get("overrides") or {}
    if not isinstance(raw_over, dict):
        raise _err(f"expected a mapping of scenario fields, got {raw_over!r}", src, "overrides")
    try:
        overrides = resolve_paths(nested_overrides(raw_over), here)
    except ValueError as exc:
        raise _err(str(exc), src, "overrides") from None
    name = str(data.get("name") or (src.stem if src is not None else "sweep"))
    return SweepSpec(name, base_file, overrides, tuple(axes), tuple(groups), src)


def load_sweep(path: str | Path) -> SweepSpec:
    """Read and validate a sweep YAML file.

    Raises
    ------
    ScenarioError
        If the file is missing, not YAML, or a key is wrong.
    """
    path = resolve_file(path, "sweep")
    return sweep_from_dict(read_yaml_file(path, "sweep"), path)


def _units(spec: SweepSpec) -> list[tuple[str, ...]]:
    """The axes that move as one: each zip group, and every other axis alone (file order)."""
    group_of = {p: g for g in spec.zip_groups for p in g}
    units: list[tuple[str, ...]] = []
    for a in spec.axes:
        unit = group_of.get(a.path, (a.path,))
        if unit not in units:
            units.append(unit)
    return units


def count_variants(spec: SweepSpec) -> int:
    """How many variants :func:`combinations` gives, without making them."""
    lengths = {a.path: len(a.values) for a in spec.axes}
    return math.prod(lengths[u[0]] for u in _units(spec))


def combinations(spec: SweepSpec) -> list[dict[str, Any]]:
    """Parameter sets of a sweep: zipped groups move together, the rest are crossed.

    Returns
    -------
    list of dict
        Axis path -> value, in file order of the axes; the first axis varies slowest.
    """
    values = {a.path: a.values for a in spec.axes}
    units = _units(spec)
    per_unit = [[dict(zip(u, row, strict=True))
                 for row in zip(*(values[p] for p in u), strict=True)] for u in units]
    out = []
    for choice in itertools.product(*per_unit):
        merged: dict[str, Any] = {}
        for part in choice:
            merged.update(part)
        out.append({a.path: merged[a.path] for a in spec.axes})
    return out


def _show(value: Any) -> str:
    if isinstance(value, str) or value is None or isinstance(value, bool | int | float):
        return str(value)
    return json.dumps(value, sort_keys=True, default=str, separators=(",", ":"))


def variant_label(params: dict[str, Any]) -> str:
    """``path=value`` pairs of a parameter set (site files by their stem)."""
    parts = []
    for path, value in params.items():
        shown = Path(value).stem if path == SITE_AXIS else _show(value)
        parts.append(f"{path}={shown}")
    return ", ".join(parts)


def expand(spec: SweepSpec) -> list[Variant]:
    """Resolve and validate every variant of a sweep.

    Returns
    -------
    list of Variant
        In the order of :func:`combinations`.

    Raises
    ------
    ScenarioError
        If a variant does not validate (the message names the variant and field) or two
        variants resolve to the same scenario.
    """
    here = spec.source_file.parent if spec.source_file else Path.cwd()
    variants: list[Variant] = []
    by_id: dict[str, str] = {}
    swept = [a.path for a in spec.axes if a.path != SITE_AXIS]
    check_axis_paths(spec, here)
    for params in combinations(spec):
        file = (here / params[SITE_AXIS]).resolve() if SITE_AXIS in params else spec.base_file
        axis_over = nested_overrides({p: v for p, v in params.items() if p != SITE_AXIS})
        overrides = deep_merge(spec.overrides, axis_over)
        label = variant_label(params)
        try:
            scen = load_scenario(file, overrides)
        except ScenarioError as exc:
            from_sweep = exc.field is not None and any(
                exc.field == p or exc.field.startswith(p + ".") or p.startswith(exc.field + ".")
                for p in swept)
            raise ScenarioError(
                f"variant [{label}]: {exc.message}",
                file=spec.source_file if from_sweep else exc.file, field=exc.field,
                line=None if from_sweep else exc.line) from None
        vid = scen.scenario_hash()
        if vid in by_id:
            raise ScenarioError(
                f"variants [{by_id[vid]}] and [{label}] resolve to the same scenario (id {vid});"
                " remove the duplicate axis value", file=spec.source_file, field="axes")
        by_id[vid] = label
        variants.append(Variant(vid, label, dict(params), str(file), overrides,
                                scen.model_dump(mode="json")))
    return variants
