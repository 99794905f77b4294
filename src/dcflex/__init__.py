"""dcflex: simulator for power-flexible AI data centers.

The pipeline ``load_scenario → prepare → build → solve → metrics`` is public; ``run`` wraps
it for one scenario and its business-as-usual twin.
"""

from dcflex.build import build
from dcflex.inputs import Inputs, prepare
from dcflex.run import Result, run
from dcflex.scenario import Scenario, load_scenario

__version__ = "0.1.0"

__all__ = ["Inputs", "Result", "Scenario", "build", "load_scenario", "prepare", "run"]
