"""Data in: readers of real data files, time-series alignment, units, data-set paths, generators.

Layer 2. May import :mod:`dcflex.errors` and :mod:`dcflex.scenario` only.

- :mod:`~dcflex.data.readers`: one reader per file format, each returning a UTC-indexed frame
  whose columns carry their unit.
- :mod:`~dcflex.data.timeseries`: regular UTC indexes, resampling, gap policies, DST and
  typical-year mapping.
- :mod:`~dcflex.data.units`: unit names and conversions.
- :mod:`~dcflex.data.datasets`: where the public reference data sets are (``DCFLEX_DATA``).
- :mod:`~dcflex.data.generators`: seeded synthetic series with stated statistics.
- :mod:`~dcflex.data.series`: resolves a scenario's series fields (number, file, generator)
  onto the period's index.
"""
