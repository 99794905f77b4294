"""The package version (layer 0: imported by results to stamp provenance)."""

__version__ = "0.1.0"
