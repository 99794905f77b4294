"""dcflex: simulator for power-flexible AI data centers.

The pipeline ``load_scenario → prepare → build → solve → metrics`` is public. Wrappers compose
it: ``run`` (one scenario, perfect foresight, with its business-as-usual twin), ``simulate``
(rolling horizon on forecasts), ``compare`` (candidate sites side by side) and ``sweep``
(many variants on Dask).
"""

from typing import Any

from dcflex.build import build
from dcflex.inputs import Inputs, prepare
from dcflex.run import Result, run
from dcflex.scenario import Scenario, load_scenario

# The wrappers pull in scipy.signal and dask.distributed; import them on first use so that
# `import dcflex` and every CLI command stay quick.
_LAZY = {"compare": "dcflex.compare", "simulate": "dcflex.simulate", "sweep": "dcflex.sweep"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'dcflex' has no attribute {name!r}")


__version__ = "0.1.0"

__all__ = ["Inputs", "Result", "Scenario", "build", "compare", "load_scenario", "prepare",
           "run", "simulate", "sweep"]
