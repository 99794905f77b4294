"""GPU workload data: GPU catalog, power-cap curves, job classes from real traces, generators.

Layer 3. May import :mod:`dcflex.errors`, :mod:`dcflex.scenario` and :mod:`dcflex.data`.

- :mod:`~dcflex.workloads.gpus`: GPU types and fleet power.
- :mod:`~dcflex.workloads.powercap`: power-cap → throughput curves and built-in families;
  :mod:`~dcflex.workloads.concave` holds the concave fitting maths on plain arrays.
- :mod:`~dcflex.workloads.dvfs_sweep`, :mod:`~dcflex.workloads.zeus`: curves from the Emerald
  DVFS sweep and the Zeus measurements.
- :mod:`~dcflex.workloads.traces`: Philly batch releases and the Azure LLM inference shape;
  :mod:`~dcflex.workloads.synthetic`: seeded generators calibrated to them.
- :mod:`~dcflex.workloads.arrivals`: when batch work arrives over the day (the Philly
  submission profile).
- :mod:`~dcflex.workloads.batch`: release windows, the first-come queue an inflexible
  cluster runs batch work in, and which arrival each GPU-hour of a schedule belongs to.
"""
