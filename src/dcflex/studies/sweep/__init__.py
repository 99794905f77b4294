"""Scenario sweeps: many variants of one scenario, run on local processes or a Dask cluster.

A sweep file names a base scenario, overrides applied to every variant and the axes to vary::

    base: example.yaml                  # relative to the sweep file
    overrides:                          # applied to every variant (dotted or nested keys)
      period: {start: 2023-07-20, end: 2023-08-03}
    axes:
      battery.power_mw: [1, 2, 4]
      battery.energy_mwh: [4, 8, 16]
      workload.classes.batch.gpu_hours_per_day: [12000, 24000, 36000]
    zip:                                # axes that move together (equal lengths)
      - [battery.power_mw, battery.energy_mwh]

Axes not in a ``zip`` group are crossed (``mode: zip`` zips every axis instead), so the file
above gives 3 × 3 = 9 variants. An axis path addresses a scenario field (dotted; workload
classes are a mapping, hence ``workload.classes.batch.gpu_hours_per_day``); a value may be a
number, a string, a mapping or ``null`` (``battery: [null, {power_mw: 2, energy_mwh: 8}]``
compares no battery with one). The axis ``site`` takes scenario files instead: each variant
is ``load_scenario(site_file, overrides)``.

Every variant is validated before anything runs; its id is the
:meth:`~dcflex.scenario.Scenario.scenario_hash` of the resolved scenario, so the same physics
gets the same id in every sweep.

The store holds one file per variant, each written atomically by the task that ran it::

    store/sweep.json                    manifest: variants, ids, parameters
    store/schedules/<id>.parquet        flexible schedule of the variant
    store/results/<id>.json             metrics (written after the schedule: "done")
    store/failures/<id>.json            error of a failed variant
    store/metrics.parquet               one row per variant, rebuilt from results/

A variant is done when its result file exists, so a resumed sweep runs exactly the variants
without one; a worker lost mid-task loses at most an unwritten file, and Dask reruns the task.
A task run twice (lost worker after its write) replaces its own file with the same numbers:
never two rows for one variant.

The package holds four modules:

- :mod:`~dcflex.studies.sweep.spec`: the sweep file: parsing and validation, axes,
  overrides, expansion into validated variants.
- :mod:`~dcflex.studies.sweep.store`: the atomic, resumable record store, the manifest and
  the consolidated metrics table.
- :mod:`~dcflex.studies.sweep.runner`: the per-variant task, the Dask client (local cluster
  or scheduler address), submission and progress; :func:`sweep` and :func:`run_sweep`.
- :mod:`~dcflex.studies.sweep.report`: ``report.html`` and the PNG plots of
  ``dcflex sweep-report``.
"""

from dcflex.studies.sweep.report import (
    axis_columns,
    plot_cost_vs_emissions,
    plot_metric_vs_axis,
    store_currency,
    write_sweep_report,
)
from dcflex.studies.sweep.runner import (
    LOCAL_CLUSTER_CONFIG,
    SweepOutcome,
    check_scheduler_address,
    dask_client,
    default_workers,
    run_sweep,
    run_variant,
    sweep,
)
from dcflex.studies.sweep.spec import (
    SITE_AXIS,
    Axis,
    SweepSpec,
    Variant,
    check_axis_paths,
    combinations,
    count_variants,
    expand,
    load_sweep,
    nested_overrides,
    sweep_from_dict,
    variant_label,
)
from dcflex.studies.sweep.store import (
    BAU_PREFIX,
    ID_COLUMNS,
    MANIFEST,
    METRICS_TABLE,
    consolidate,
    done_ids,
    read_manifest,
    remove_partial_files,
    write_manifest,
)

__all__ = [
    "BAU_PREFIX",
    "ID_COLUMNS",
    "LOCAL_CLUSTER_CONFIG",
    "MANIFEST",
    "METRICS_TABLE",
    "SITE_AXIS",
    "Axis",
    "SweepOutcome",
    "SweepSpec",
    "Variant",
    "axis_columns",
    "check_axis_paths",
    "check_scheduler_address",
    "combinations",
    "consolidate",
    "count_variants",
    "dask_client",
    "default_workers",
    "done_ids",
    "expand",
    "load_sweep",
    "nested_overrides",
    "plot_cost_vs_emissions",
    "plot_metric_vs_axis",
    "read_manifest",
    "remove_partial_files",
    "run_sweep",
    "run_variant",
    "sweep",
    "store_currency",
    "sweep_from_dict",
    "variant_label",
    "write_manifest",
    "write_sweep_report",
]
