"""What a user writes: the scenario schema and its YAML loader.

Layer 1, just above :mod:`dcflex.errors`. Imports nothing else of dcflex, so any layer may
describe its inputs in these terms.
"""

from dcflex.scenario.schema import *  # noqa: F401,F403
