"""dcflex: simulator for power-flexible AI data centers.

The pipeline ``load_scenario → prepare → build → solve → metrics`` is public. Wrappers compose
it: ``run`` (one scenario, perfect foresight, with its business-as-usual twin), ``simulate``
(rolling horizon on forecasts), ``compare`` (candidate sites side by side) and ``sweep``
(many variants on Dask).

The package is layered; each layer imports only those below it (a test walks the imports):

==========  ===========================================================================
layer       packages
==========  ===========================================================================
0           :mod:`dcflex.errors`, :mod:`dcflex.version`
1           :mod:`dcflex.scenario` — what a user writes: schema and YAML loader
2           :mod:`dcflex.data` — readers, time series, units, data-set paths, generators
3           :mod:`dcflex.physics`, :mod:`dcflex.workloads` — weather to PUE and supply; GPUs
4           :mod:`dcflex.model` — inputs, components, LP assembly, HiGHS, Pyomo view
5           :mod:`dcflex.results` — metrics, plots, reports
6           :mod:`dcflex.studies` — run, compare, sweep, headroom, operate, field
7           :mod:`dcflex.cli` — the ``dcflex`` command, one module per command group
==========  ===========================================================================

Every name below is imported on first use, so ``import dcflex`` costs almost nothing.
"""

from __future__ import annotations

import importlib
from typing import Any

from dcflex.version import __version__

_LAZY = {
    "Scenario": "dcflex.scenario",
    "load_scenario": "dcflex.scenario",
    "Inputs": "dcflex.model.inputs",
    "prepare": "dcflex.model.inputs",
    "build": "dcflex.model.build",
    "Result": "dcflex.results.result",
    "run": "dcflex.studies.run",
    "compare": "dcflex.studies.compare",
    "simulate": "dcflex.studies.operate.simulate",
    "sweep": "dcflex.studies.sweep",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'dcflex' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *_LAZY])


__all__ = ["Inputs", "Result", "Scenario", "__version__", "build", "compare", "load_scenario",
           "prepare", "run", "simulate", "sweep"]
