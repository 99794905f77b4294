"""Check any dcflex input file the way the command that runs it would, without solving.

``dcflex validate`` recognises four kinds of YAML file by their top-level keys
(:func:`file_kind`) and checks each as its command would before any solve:

- a scenario: the schema, the data files it names, and its inputs prepared on the period
  (data coverage and gaps under each file's gap policy, time-of-use periods that leave an
  hour without a rate, events on step boundaries — what ``dcflex run`` checks first);
- a sites file (``sites:`` with ``rank_by``/``description``): every site as a scenario, with
  its overrides, and the grid-demand file each names;
- a sweep file (``base:`` and ``axes:``): the axis paths and every variant as a scenario;
- a fleet file (``sites:`` with anything else, e.g. the links that couple the sites): read by
  ``dcflex.studies.fleet.load_fleet`` when that module is present, each of its sites checked
  as a scenario otherwise.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any, Literal

from dcflex.errors import ScenarioError
from dcflex.scenario import Scenario, load_scenario, read_yaml_file, scenario_from_dict

Kind = Literal["scenario", "sites", "sweep", "fleet"]
SITES_KEYS = frozenset({"sites", "rank_by", "description"})


def file_kind(data: Any) -> Kind:
    """What a parsed dcflex YAML file is, from its top-level keys."""
    if isinstance(data, dict) and "sites" in data:
        return "sites" if set(data) <= SITES_KEYS else "fleet"
    if isinstance(data, dict) and "base" in data and "axes" in data:
        return "sweep"
    return "scenario"


def check_scenario(scenario: Scenario) -> int:
    """Prepare a scenario's inputs (reading every data file); return the number of steps.

    Raises
    ------
    DcflexError
        What ``dcflex run`` would raise before solving.
    """
    from dcflex.data.series import check_data_files
    from dcflex.model.inputs import prepare

    check_data_files(scenario)
    return prepare(scenario).n_steps


def _check_sites(path: Path, entries: list) -> list[str]:
    from dcflex.data.series import resolve_data_path
    from dcflex.studies.compare.sites import _labels
    from dcflex.studies.compare.worker import _load

    for entry in entries:
        check_scenario(_load(entry))
        if entry.grid_demand is not None:
            resolve_data_path(entry.grid_demand.file)
    return _labels(entries)


def _fleet_loader() -> Any:
    """``dcflex.studies.fleet.load_fleet`` if the fleet study is installed, else None."""
    try:
        module = importlib.import_module("dcflex.studies.fleet")
    except ImportError:
        return None
    return getattr(module, "load_fleet", None)


def validate_file(path: str | Path) -> str:
    """Check one file; return a one-line summary of what it is and what was checked.

    Raises
    ------
    DcflexError
        The first problem, naming the file and the field.
    """
    path = Path(path)
    data = read_yaml_file(path, "dcflex")
    kind = file_kind(data)
    if kind == "scenario":
        scen = load_scenario(path)
        steps = check_scenario(scen)
        return (f"scenario {scen.name}, hash {scen.scenario_hash()}, {steps:,} steps "
                "prepared")
    if kind == "sites":
        from dcflex.studies.compare import load_sites

        labels = _check_sites(path, load_sites(path)[0])
        return f"sites file, {len(labels)} sites prepared: {', '.join(labels)}"
    if kind == "sweep":
        from dcflex.studies.sweep import expand, load_sweep

        spec = load_sweep(path)
        variants = expand(spec)
        for v in variants:
            check_scenario(scenario_from_dict(v.scenario, file=v.scenario_file))
        return f"sweep file {spec.name}, {len(variants)} variants prepared"
    load_fleet = _fleet_loader()
    if load_fleet is not None:
        load_fleet(path)
        return f"fleet file, {len(data['sites'])} sites (read by dcflex.studies.fleet)"
    sites = data["sites"]
    if not isinstance(sites, list) or not sites:
        raise ScenarioError("expected a non-empty 'sites' list", file=path, field="sites")
    from dcflex.studies.compare.sites import _entry_from_item

    entries = [_entry_from_item(item, path.parent.resolve(), path, i)
               for i, item in enumerate(sites)]
    labels = _check_sites(path, entries)
    return (f"fleet file, {len(labels)} sites prepared: {', '.join(labels)} (its coupling "
            "is checked by the fleet command)")
