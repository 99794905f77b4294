"""What a user writes: the scenario schema and its YAML loader.

Layer 1, just above :mod:`dcflex.errors`. Imports nothing else of dcflex, so any layer may
describe its inputs in these terms.

The pydantic models of a scenario file, one module per topic: :mod:`~dcflex.scenario.strict`
(the strict base model: finite numbers, no booleans for numbers), :mod:`~dcflex.scenario.series`
(time series fields), :mod:`~dcflex.scenario.localtime` (wall times a DST change skips or
repeats), :mod:`~dcflex.scenario.site` (site, period,
optimization), :mod:`~dcflex.scenario.workload`, :mod:`~dcflex.scenario.facility` (facility,
weather), :mod:`~dcflex.scenario.grid` (grid, tariff, carbon), :mod:`~dcflex.scenario.supply`
(solar, wind, PPA, battery), :mod:`~dcflex.scenario.events` and the root
:mod:`~dcflex.scenario.schema`. Reading files: :mod:`~dcflex.scenario.yamlfile` (YAML with
line numbers), :mod:`~dcflex.scenario.paths` (data-file paths) and
:mod:`~dcflex.scenario.loader` (``extends`` merging, validation, error messages).
"""

from dcflex.scenario.events import DemandResponseEvent, Events, ImportCap
from dcflex.scenario.facility import Facility, Weather
from dcflex.scenario.grid import (
    Carbon,
    DemandCharge,
    Grid,
    LocalHour,
    Month,
    Tariff,
    TouPeriod,
)
from dcflex.scenario.loader import deep_merge, load_scenario, scenario_from_dict
from dcflex.scenario.paths import resolve_paths
from dcflex.scenario.schema import Scenario, scenario_json_schema
from dcflex.scenario.series import FileSeries, GeneratedSeries, SeriesSpec
from dcflex.scenario.site import Optimization, Period, Site
from dcflex.scenario.supply import Battery, Ppa, Solar, Wind
from dcflex.scenario.workload import (
    BatchArrivalProfile,
    BatchClass,
    BatchRelease,
    BatchSynthetic,
    BatchTrace,
    GpuSpec,
    InferenceClass,
    InferenceSynthetic,
    InferenceTrace,
    TrainingClass,
    Workload,
    WorkloadClass,
)
from dcflex.scenario.yamlfile import read_yaml_file

__all__ = [
    # root model and JSON Schema
    "Scenario",
    "scenario_json_schema",
    # time series fields
    "FileSeries",
    "GeneratedSeries",
    "SeriesSpec",
    # sections
    "Site",
    "Period",
    "Optimization",
    "GpuSpec",
    "InferenceTrace",
    "InferenceSynthetic",
    "InferenceClass",
    "TrainingClass",
    "BatchRelease",
    "BatchTrace",
    "BatchSynthetic",
    "BatchArrivalProfile",
    "BatchClass",
    "WorkloadClass",
    "Workload",
    "Facility",
    "Weather",
    "Grid",
    "LocalHour",
    "Month",
    "TouPeriod",
    "DemandCharge",
    "Tariff",
    "Carbon",
    "Solar",
    "Wind",
    "Ppa",
    "Battery",
    "DemandResponseEvent",
    "ImportCap",
    "Events",
    # reading and loading
    "read_yaml_file",
    "resolve_paths",
    "deep_merge",
    "scenario_from_dict",
    "load_scenario",
]
