"""dcflex: simulator for power-flexible AI data centers."""

__version__ = "0.1.0"
