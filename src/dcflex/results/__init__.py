"""Results: metrics with units, plots and report files built from solved schedules.

Layer 5. May import every layer below (errors, scenario, data, physics, workloads, model);
never studies or the CLI. Plotting imports matplotlib on first use only.
"""
