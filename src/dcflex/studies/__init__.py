"""Studies that compose the pipeline: one run, site comparison, sweeps, headroom, operations.

Layer 6. May import every layer below; never the CLI.

- :mod:`~dcflex.studies.run`: one scenario, perfect foresight, with its business-as-usual twin.
- :mod:`~dcflex.studies.compare`: candidate sites side by side, ranked.
- :mod:`~dcflex.studies.sweep`: many variants on Dask, in an atomic resumable store.
- :mod:`~dcflex.studies.headroom`, :mod:`~dcflex.studies.slo_headroom`: how much flexible
  load a balancing authority could connect (Duke method, and per site with its SLOs).
- :mod:`~dcflex.studies.operate`: rolling-horizon operation on forecasts.
- :mod:`~dcflex.studies.field`: replay of field demonstrations of GPU-cluster power control.
"""
