"""Candidate sites for :func:`~dcflex.studies.compare.compare`: sites files and site entries.

A site is a :class:`SiteEntry`: a scenario (object or file) with an optional row label,
overrides and the grid demand of its balancing authority (:class:`GridDemand`). A sites file
lists them (``sites.yaml``)::

    rank_by: total_cost_usd          # optional
    sites:
      - caiso.yaml                   # a scenario file, relative to this file
      - scenario: ercot.yaml
        label: Dallas                # optional row name (default: the scenario's name)
        overrides: {grid: {import_limit_mw: 20}}          # optional, deep-merged
        grid_demand: {file: "data:eia930-cleaned-demand", ba: ERCO, rate_pct: 0.5,
                      gap_policy: error}                  # optional: SLO-aware headroom

Relative paths are resolved against the sites file. The private helpers here turn what
:func:`~dcflex.studies.compare.compare` is given into entries and unique row names.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from dcflex.errors import ScenarioError
from dcflex.scenario import Scenario


@dataclass(frozen=True)
class GridDemand:
    """Where a site's balancing-authority demand is, for the SLO-aware headroom.

    Attributes
    ----------
    file : str
        EIA-930 CSV or folder (``data:<path>`` allowed), read by
        :func:`dcflex.studies.slo_headroom.read_grid_demand`.
    ba : str
        Balancing authority code or name (CISO, ERCO, PJM, ...).
    rate : float
        Curtailment rate the grid allows, fraction (default 0.5 %, Duke report).
    column : str
        ``demand_mw`` (raw) or ``demand_cleaned_mw``.
    gap_policy : {"error", "interpolate", "ffill"}
        Site steps with no demand data (e.g. PJM's 25 missing hours of 5-6 Nov 2023).
    """

    file: str
    ba: str
    rate: float = 0.005
    column: str = "demand_mw"
    gap_policy: Literal["error", "interpolate", "ffill"] = "error"


@dataclass(frozen=True)
class SiteEntry:
    """One candidate site: a scenario (object or file), options and an optional grid."""

    scenario: Scenario | str | Path
    label: str | None = None
    overrides: dict[str, Any] | None = None
    grid_demand: GridDemand | None = None


def _entry_from_item(item: Any, base: Path, file: Path, i: int) -> SiteEntry:
    where = f"sites[{i}]"
    if isinstance(item, str):
        return SiteEntry(scenario=str((base / item).resolve()))
    if not isinstance(item, dict) or "scenario" not in item:
        raise ScenarioError("expected a scenario file name or a mapping with 'scenario'",
                            file=file, field=where)
    unknown = set(item) - {"scenario", "label", "overrides", "grid_demand"}
    if unknown:
        raise ScenarioError(f"unknown keys {sorted(unknown)}; expected scenario, label, "
                            "overrides, grid_demand", file=file, field=where)
    gd = item.get("grid_demand")
    demand = None
    if gd is not None:
        if not isinstance(gd, dict) or not {"file", "ba"} <= set(gd):
            raise ScenarioError("expected a mapping with 'file' and 'ba'", file=file,
                                field=f"{where}.grid_demand")
        here = f"{where}.grid_demand"
        extra = set(gd) - {"file", "ba", "rate_pct", "column", "gap_policy"}
        if extra:
            raise ScenarioError(f"unknown keys {sorted(extra)}; expected file, ba, rate_pct, "
                                "column, gap_policy", file=file, field=here)
        rate_pct = gd.get("rate_pct", 0.5)
        if isinstance(rate_pct, bool) or not isinstance(rate_pct, int | float) \
                or not 0 < rate_pct < 100:
            raise ScenarioError(f"expected a curtailment rate in percent, 0 < rate_pct < 100, "
                                f"got {rate_pct!r}", file=file, field=f"{here}.rate_pct")
        gap_policy = gd.get("gap_policy", "error")
        if gap_policy not in ("error", "interpolate", "ffill"):
            raise ScenarioError(f"expected error, interpolate or ffill, got {gap_policy!r}",
                                file=file, field=f"{here}.gap_policy")
        path = str(gd["file"])
        if not path.startswith("data:") and not Path(path).is_absolute():
            path = str((base / path).resolve())
        demand = GridDemand(file=path, ba=str(gd["ba"]), rate=float(rate_pct) / 100,
                            column=str(gd.get("column", "demand_mw")), gap_policy=gap_policy)
    overrides = item.get("overrides")
    if overrides is not None and not isinstance(overrides, dict):
        raise ScenarioError("expected a mapping of scenario fields", file=file,
                            field=f"{where}.overrides")
    return SiteEntry(scenario=str((base / str(item["scenario"])).resolve()),
                     label=item.get("label"), overrides=overrides, grid_demand=demand)


def load_sites(path: str | Path) -> tuple[list[SiteEntry], dict[str, Any]]:
    """Read a sites file: the list of sites and the file's options (``rank_by``).

    Raises
    ------
    ScenarioError
        If the file is missing, not YAML, or not a mapping with a ``sites`` list.
    """
    from dcflex.scenario import read_yaml_file
    from dcflex.scenario.yamlfile import resolve_file

    path = resolve_file(path, "sites")
    data = read_yaml_file(path, "sites")
    if not isinstance(data, dict) or not isinstance(data.get("sites"), list) \
            or not data["sites"]:
        raise ScenarioError("expected a mapping with a non-empty 'sites' list", file=path,
                            field="sites")
    unknown = set(data) - {"sites", "rank_by", "description"}
    if unknown:
        raise ScenarioError(f"unknown keys {sorted(unknown)}; expected sites, rank_by, "
                            "description", file=path)
    entries = [_entry_from_item(item, path.parent, path, i)
               for i, item in enumerate(data["sites"])]
    options = {k: data[k] for k in ("rank_by",) if k in data}
    return entries, options


def is_sites_file(path: str | Path) -> bool:
    """True if a YAML file is a sites list (has a top-level ``sites`` key)."""
    from dcflex.scenario import read_yaml_file

    try:
        data = read_yaml_file(path, "sites")
    except ScenarioError:
        return False  # the scenario loader reports what is wrong with it
    return isinstance(data, dict) and "sites" in data


def _labels(entries: Sequence[SiteEntry]) -> list[str]:
    """Row names: the entry's label, else the scenario's name or file stem; made unique."""
    names: list[str] = []
    for e in entries:
        if e.label:
            name = str(e.label)
        elif isinstance(e.scenario, Scenario):
            name = e.scenario.name
        else:
            name = _name_in_file(Path(e.scenario))
        base, k = name, 2
        while name in names:
            name = f"{base} #{k}"
            k += 1
        names.append(name)
    return names


def _name_in_file(path: Path) -> str:
    """A scenario file's ``name`` field without validating it (so broken sites keep a name)."""
    from dcflex.scenario import read_yaml_file

    try:
        data = read_yaml_file(path)
        if isinstance(data, dict) and isinstance(data.get("name"), str):
            return data["name"]
    except ScenarioError:
        pass
    return path.stem


def _as_entries(scenarios: Sequence[SiteEntry | Scenario | str | Path]) -> list[SiteEntry]:
    entries: list[SiteEntry] = []
    for s in scenarios:
        if isinstance(s, SiteEntry):
            entries.append(s)
        elif isinstance(s, Scenario):
            entries.append(SiteEntry(scenario=s))
        elif isinstance(s, str | Path):
            if is_sites_file(s):
                entries.extend(load_sites(s)[0])
            else:
                entries.append(SiteEntry(scenario=str(Path(s).resolve())))
        else:
            raise ScenarioError(f"expected a Scenario, a scenario or sites file, or a SiteEntry; "
                                f"got {type(s).__name__}")
    if not entries:
        raise ScenarioError("expected at least one site to compare")
    return entries

