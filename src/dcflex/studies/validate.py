"""Check any dcflex input file the way the command that runs it would, without solving.

``dcflex validate`` recognises four kinds of YAML file by their top-level keys
(:func:`file_kind`) and checks each as its command would before any solve:

- a scenario: the schema, that the data files it names exist, its period's steps, events
  on step boundaries and time-of-use periods that leave no hour without a rate; with
  ``--data`` also its inputs prepared on the period as ``dcflex run`` does (every data file
  read: coverage and gaps under each file's gap policy, weather physics). Without ``--data``
  the check stays light (no pvlib, matplotlib, scipy.optimize, Dask or Pyomo are imported),
  so it answers in well under a second for an editor or a pre-commit hook;
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


def check_scenario(scenario: Scenario, data: bool = False) -> int:
    """Check a scenario before any solve; return the number of steps of its period.

    Always: the data files it names exist, the period divides into steps, every event lies on
    step boundaries and time-of-use periods leave no hour without a rate. With ``data``, its
    inputs are also prepared as ``dcflex run`` prepares them (every data file read, coverage
    and gaps under each file's gap policy, weather physics), which loads what the readers and
    physics need (pvlib for TMY3 weather and PV).

    Raises
    ------
    DcflexError
        What ``dcflex run`` would raise before solving.
    """
    from dcflex.data.series import SeriesContext, check_data_files, period_index, step_hours

    check_data_files(scenario)
    if data:
        from dcflex.model.inputs import prepare

        return prepare(scenario).n_steps
    from dcflex.model.components import events, tariff

    index = period_index(scenario)
    ctx = SeriesContext(scenario, index, step_hours(scenario.period.step))
    events.prepare(scenario, ctx)
    if scenario.tariff.tou is not None:  # a rate table reads no file
        tariff.prepare(scenario, ctx)
    return len(index)


def _check_sites(path: Path, entries: list, data: bool) -> list[str]:
    from dcflex.data.series import resolve_data_path
    from dcflex.studies.compare.sites import _labels
    from dcflex.studies.compare.worker import _load

    for entry in entries:
        check_scenario(_load(entry), data)
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


def validate_file(path: str | Path, data: bool = False) -> str:
    """Check one file; return a one-line summary of what it is and what was checked.

    Raises
    ------
    DcflexError
        The first problem, naming the file and the field.
    """
    path = Path(path)
    doc = read_yaml_file(path, "dcflex")
    kind = file_kind(doc)
    if kind == "scenario":
        scen = load_scenario(path)
        steps = check_scenario(scen, data)
        return (f"scenario {scen.name}, hash {scen.scenario_hash()}, {steps:,} steps"
                + (" prepared" if data else ", data files found"))
    if kind == "sites":
        from dcflex.studies.compare import load_sites

        labels = _check_sites(path, load_sites(path)[0], data)
        return f"sites file, {len(labels)} sites checked: {', '.join(labels)}"
    if kind == "sweep":
        from dcflex.studies.sweep import expand, load_sweep

        spec = load_sweep(path)
        variants = expand(spec)
        for v in variants:
            check_scenario(scenario_from_dict(v.scenario, file=v.scenario_file), data)
        return f"sweep file {spec.name}, {len(variants)} variants checked"
    load_fleet = _fleet_loader()
    if load_fleet is not None:
        load_fleet(path)
        return f"fleet file, {len(doc['sites'])} sites (read by dcflex.studies.fleet)"
    sites = doc["sites"]
    if not isinstance(sites, list) or not sites:
        raise ScenarioError("expected a non-empty 'sites' list", file=path, field="sites")
    from dcflex.studies.compare.sites import _entry_from_item

    entries = [_entry_from_item(item, path.parent.resolve(), path, i)
               for i, item in enumerate(sites)]
    labels = _check_sites(path, entries, data)
    return (f"fleet file, {len(labels)} sites checked: {', '.join(labels)} (its coupling "
            "is checked by the fleet command)")
