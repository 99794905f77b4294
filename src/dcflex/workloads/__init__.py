"""GPU workload data: GPU catalog, power-cap curves, job classes from real traces, generators.

Modules: :mod:`~dcflex.workloads.gpus` (GPU types, fleet power), :mod:`~dcflex.workloads.powercap`
(power-cap -> throughput curves), :mod:`~dcflex.workloads.traces` (Philly batch releases, Azure
LLM inference shape), :mod:`~dcflex.workloads.synthetic` (seeded generators calibrated to them).
"""
