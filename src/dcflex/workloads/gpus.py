"""GPU catalog and fleet power arithmetic.

A server of ``gpus_per_server`` GPUs draws its non-GPU overhead (CPUs, memory, NICs, NVSwitch,
fans, power-supply losses) plus the power of each GPU. Active GPUs draw a fraction of their
TDP set by the power cap; idle GPUs draw idle power.

Sources
-------
* GPU TDP: NVIDIA A100 Tensor Core GPU data sheet (A100 80GB SXM: 400 W); NVIDIA H100 Tensor
  Core GPU data sheet (H100 SXM: up to 700 W); NVIDIA H200 Tensor Core GPU data sheet (H200 SXM:
  up to 700 W); NVIDIA DGX B200 / HGX B200 data sheets (B200: 1,000 W per GPU).
* System maximum power: NVIDIA DGX A100 data sheet (6.5 kW max), DGX H100 and DGX H200 data
  sheets (~10.2 kW max), DGX B200 data sheet (~14.3 kW max). Server overhead =
  system maximum - 8 x GPU TDP, so it is the overhead at full load; it is counted for every
  powered server, whatever its GPUs do (an upper bound when the GPUs are idle).
* Idle power: NVIDIA data sheets do not state it. The values are typical ``nvidia-smi``
  readings of an idle GPU with the driver loaded (persistence mode on, no process), roughly
  10-15 % of TDP. They are assumptions to be replaced by fleet measurements when known.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from types import MappingProxyType
from typing import Any

import numpy as np

from dcflex.errors import ScenarioError

W_PER_MW = 1e6


@dataclass(frozen=True)
class GpuType:
    """One GPU model as deployed in servers.

    Parameters
    ----------
    name : str
        Identifier, e.g. ``"H100"``.
    tdp_w : float
        Thermal design power (maximum board power) per GPU, W.
    idle_w : float
        Power of an idle GPU (powered, no work), W. ``0 <= idle_w < tdp_w``.
    gpus_per_server : int
        GPUs per server (8 for DGX/HGX systems).
    server_overhead_w : float
        Non-GPU power per server (CPUs, memory, NICs, switches, fans), W, always drawn.

    Raises
    ------
    ScenarioError
        If a value is out of range; the error names the field (``gpu.<field>``).
    """

    name: str
    tdp_w: float
    idle_w: float
    gpus_per_server: int
    server_overhead_w: float

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.strip():
            raise ScenarioError(f"must be a non-empty string, got {self.name!r}", field="gpu.name")
        for fld in ("tdp_w", "idle_w", "server_overhead_w"):
            value = getattr(self, fld)
            if isinstance(value, bool) or not isinstance(value, int | float | np.floating):
                raise ScenarioError(f"must be a number (W), got {value!r}", field=f"gpu.{fld}")
            if not np.isfinite(value):
                raise ScenarioError(f"must be finite, got {value!r}", field=f"gpu.{fld}")
        if self.tdp_w <= 0:
            raise ScenarioError(f"must be > 0 W, got {self.tdp_w}", field="gpu.tdp_w")
        if not 0 <= self.idle_w < self.tdp_w:
            raise ScenarioError(
                f"must be >= 0 W and below tdp_w ({self.tdp_w} W), got {self.idle_w}",
                field="gpu.idle_w",
            )
        if self.server_overhead_w < 0:
            raise ScenarioError(
                f"must be >= 0 W, got {self.server_overhead_w}", field="gpu.server_overhead_w"
            )
        gps = self.gpus_per_server
        if isinstance(gps, bool) or not isinstance(gps, int | np.integer) or gps < 1:
            raise ScenarioError(
                f"must be an integer >= 1, got {gps!r}", field="gpu.gpus_per_server"
            )

    @property
    def idle_fraction(self) -> float:
        """Idle power as a fraction of TDP (the power fraction of a paused GPU)."""
        return self.idle_w / self.tdp_w

    @property
    def server_max_w(self) -> float:
        """Server power with every GPU at TDP, W."""
        return self.server_overhead_w + self.gpus_per_server * self.tdp_w


def _dgx(name: str, tdp_w: float, idle_w: float, system_max_w: float) -> GpuType:
    return GpuType(
        name=name,
        tdp_w=tdp_w,
        idle_w=idle_w,
        gpus_per_server=8,
        server_overhead_w=system_max_w - 8 * tdp_w,
    )


#: Built-in GPU types (see the module docstring for sources). Overheads: A100 6,500 - 3,200 =
#: 3,300 W; H100 and H200 10,200 - 5,600 = 4,600 W; B200 14,300 - 8,000 = 6,300 W.
GPU_CATALOG: Mapping[str, GpuType] = MappingProxyType(
    {
        "A100": _dgx("A100", tdp_w=400.0, idle_w=60.0, system_max_w=6_500.0),
        "H100": _dgx("H100", tdp_w=700.0, idle_w=70.0, system_max_w=10_200.0),
        "H200": _dgx("H200", tdp_w=700.0, idle_w=75.0, system_max_w=10_200.0),
        "B200": _dgx("B200", tdp_w=1_000.0, idle_w=140.0, system_max_w=14_300.0),
    }
)


def gpu_type(name_or_spec: str | Mapping[str, Any] | GpuType) -> GpuType:
    """Return a GPU type from the catalog by name, or build one from a user-defined spec.

    Parameters
    ----------
    name_or_spec : str, mapping or GpuType
        A catalog name (case-insensitive: ``"A100"``, ``"H100"``, ``"H200"``, ``"B200"``), a
        mapping with the keys ``name, tdp_w, idle_w, server_overhead_w`` and optionally
        ``gpus_per_server`` (default 8, as in DGX/HGX servers), or a ``GpuType``.

    Returns
    -------
    GpuType

    Raises
    ------
    ScenarioError
        Unknown name, missing or unknown key, or a value out of range (the field is named).
    """
    if isinstance(name_or_spec, GpuType):
        return name_or_spec
    if isinstance(name_or_spec, str):
        key = name_or_spec.strip().upper()
        if key not in GPU_CATALOG:
            raise ScenarioError(
                f"unknown GPU type {name_or_spec!r}; expected one of {sorted(GPU_CATALOG)} "
                "or a mapping with name, tdp_w, idle_w, server_overhead_w",
                field="gpu",
            )
        return GPU_CATALOG[key]
    if not isinstance(name_or_spec, Mapping):
        raise ScenarioError(
            f"expected a GPU name or a mapping, got {type(name_or_spec).__name__}", field="gpu"
        )
    allowed = {f.name for f in fields(GpuType)}
    unknown = sorted(set(name_or_spec) - allowed)
    if unknown:
        raise ScenarioError(
            f"unknown key(s) {unknown}; allowed: {sorted(allowed)}", field=f"gpu.{unknown[0]}"
        )
    spec = {"gpus_per_server": 8, **name_or_spec}
    missing = sorted(allowed - set(spec))
    if missing:
        raise ScenarioError(f"missing required key(s) {missing}", field=f"gpu.{missing[0]}")
    return GpuType(**spec)


def servers_for_it_mw(it_mw: float, gpu: GpuType) -> int:
    """Whole servers whose full-load power fits in ``it_mw``: ``floor(it_mw / server_max_w)``.

    Rounded down, so the fleet never draws more than the stated IT capacity (50 MW of H100
    servers at 10.2 kW each is 4,901 servers, 49.99 MW).

    Raises
    ------
    ScenarioError
        If not even one server fits.
    """
    n = int(np.floor(it_mw * W_PER_MW / gpu.server_max_w + 1e-9))
    if n < 1:
        raise ScenarioError(f"{it_mw:g} MW holds no whole {gpu.name} server "
                            f"({gpu.server_max_w / 1e3:g} kW at full load)", field="it_mw")
    return n


def fleet_power_mw(
    gpu: GpuType,
    n_servers: float,
    gpu_power_fraction: float | np.ndarray = 1.0,
    utilization: float | np.ndarray = 1.0,
) -> float | np.ndarray:
    """Electric power of a fleet of GPU servers, MW.

    ``P = n_servers * (overhead + gpus_per_server * (u * f * TDP + (1 - u) * idle))``

    Parameters
    ----------
    gpu : GpuType
        GPU type of every server.
    n_servers : float
        Number of powered servers (>= 0).
    gpu_power_fraction : float or array
        Power of an active GPU as a fraction of TDP (its power cap, or the measured draw),
        between ``gpu.idle_fraction`` and 1.
    utilization : float or array
        Fraction of GPUs active, 0..1; the others are idle. Server overhead is counted always.

    Returns
    -------
    float or numpy.ndarray
        Fleet power, MW (array if either fraction is an array).

    Raises
    ------
    ScenarioError
        If ``n_servers`` is negative or a fraction is outside its range.
    """
    if not np.isfinite(n_servers) or n_servers < 0:
        raise ScenarioError(f"must be >= 0, got {n_servers}", field="n_servers")
    f = np.asarray(gpu_power_fraction, dtype=float)
    u = np.asarray(utilization, dtype=float)
    lo = gpu.idle_fraction
    if not np.all(np.isfinite(f)) or np.any(f < lo - 1e-12) or np.any(f > 1 + 1e-12):
        raise ScenarioError(
            f"must lie in [idle/TDP = {lo:.4g}, 1], got min {np.min(f):.4g}, max {np.max(f):.4g}",
            field="gpu_power_fraction",
        )
    if not np.all(np.isfinite(u)) or np.any(u < 0) or np.any(u > 1):
        raise ScenarioError(
            f"must lie in [0, 1], got min {np.min(u):.4g}, max {np.max(u):.4g}",
            field="utilization",
        )
    gpu_w = u * f * gpu.tdp_w + (1.0 - u) * gpu.idle_w
    server_w = gpu.server_overhead_w + gpu.gpus_per_server * gpu_w
    power_mw = n_servers * server_w / W_PER_MW
    return float(power_mw) if np.ndim(power_mw) == 0 else power_mw
