"""GPU catalog and server power: GPU power plus a non-GPU part that follows load.

Server power model (per server, W)::

    P = P_ng,idle + (P_ng,full - P_ng,idle) * load + P_ns + n_gpu * P_gpu
    P_gpu = u * f * TDP + (1 - u) * P_gpu,idle,   load = (P_gpu - P_gpu,idle) / (TDP - P_gpu,idle)

``P_ng`` is the non-GPU power (CPUs, memory, NICs, NVSwitch, fans, power-supply losses): an
idle part plus a part proportional to the GPUs' load (fans and CPUs work harder when the GPUs
do). ``P_ns = network_storage_fraction * P_max`` is the server's share of the network fabric
and storage, drawn constantly. Everything is affine in GPU power, so it stays linear in the
model.

Sources and calibration
-----------------------
* GPU TDP: NVIDIA A100 Tensor Core GPU data sheet (A100 80GB SXM: 400 W); NVIDIA H100 Tensor
  Core GPU data sheet (H100 SXM: up to 700 W); NVIDIA H200 data sheet (H200 SXM: up to
  700 W); NVIDIA DGX B200 / HGX B200 data sheets (B200: 1,000 W per GPU).
* Rated system power: DGX A100 6.5 kW, DGX H100 / H200 about 10.2 kW, DGX B200 about 14.3 kW
  maximum (NVIDIA data sheets). Measured 8xH100 nodes draw far less:
  Latif et al., "Single-Node Power Demand During AI Training: Measurements on an 8-GPU
  NVIDIA H100 System", IEEE Access 13 (2025) 61740-61747 (arXiv:2412.08602): maximum
  observed 8.4 kW, 18 % below the rated 10.2 kW, "even with GPUs near full utilization";
  Newkirk et al., "Empirically-Calibrated H100 Node Power Models for Reducing Uncertainty in
  AI Training Energy Estimation", arXiv:2506.14551 (2025): computationally intensive
  training runs at 76 % of the 10.2 kW rating (7.75 kW).
* H100 non-GPU power at full load: 8,400 - 8 x 700 = 2,800 W (Latif et al.'s maximum with
  the GPUs taken at TDP). H200 uses the same chassis and GPU power: 2,800 W.
* A100 and B200: no measured 8-GPU node figure could be checked for this catalog, so their
  rated non-GPU power (6,500 - 3,200 = 3,300 W; 14,300 - 8,000 = 6,300 W) is scaled by the
  H100 ratio of measured to rated non-GPU power, 2,800 / 4,600 = 0.609: 2,009 W and
  3,835 W. This transfer is an assumption; replace it with a measurement when you have one.
* Idle non-GPU power: ``IDLE_NON_GPU_FRACTION`` = 0.5 of the full non-GPU power is an
  assumption (no published idle figure was found): memory, NICs, NVSwitch and the BMC stay
  powered, CPUs idle and fans slow down.
* GPU idle power: NVIDIA data sheets do not state it; the values are typical ``nvidia-smi``
  readings of an idle GPU with the driver loaded (10-15 % of TDP), assumptions.
* Network and storage: ``NETWORK_STORAGE_FRACTION`` = 0.05 of the servers' full power for
  catalog GPUs is an assumption (back-end fabric switches, optics and storage of a training
  cluster; no published measured share was found); a user-defined GPU spec states its own
  (default 0).

Check (``tests/test_gpus.py``): with the power-cap curve of pre-training (saturating at
95.5 % of TDP, :data:`dcflex.workloads.powercap.FAMILY_POINTS`) an uncapped H100 training
server draws 8.08 kW, within 5 % of Newkirk et al.'s 7.75 kW; the old rated-overhead model
drew 9.95 kW (+28 %).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from types import MappingProxyType
from typing import Any

import numpy as np

from dcflex.errors import ScenarioError

W_PER_MW = 1e6


#: Idle non-GPU power as a fraction of the full non-GPU power (assumption, module docstring).
IDLE_NON_GPU_FRACTION = 0.5
#: Network and storage power of catalog GPU servers, fraction of server full power (assumption).
NETWORK_STORAGE_FRACTION = 0.05
#: Measured / rated non-GPU power of an 8xH100 node: 2,800 / 4,600 W (module docstring).
_MEASURED_OVER_RATED_NON_GPU = 2_800.0 / 4_600.0


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
        Non-GPU power per server with every GPU at TDP (CPUs, memory, NICs, switches, fans,
        power-supply losses), W.
    server_overhead_idle_w : float, optional
        Non-GPU power per server with every GPU idle, W, at most ``server_overhead_w``;
        default ``IDLE_NON_GPU_FRACTION * server_overhead_w``.
    network_storage_fraction : float
        Network fabric and storage power per server as a fraction of ``server_max_w``,
        drawn constantly (default 0).

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
    server_overhead_idle_w: float | None = None
    network_storage_fraction: float = 0.0

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.strip():
            raise ScenarioError(f"must be a non-empty string, got {self.name!r}", field="gpu.name")
        if self.server_overhead_idle_w is None and _is_number(self.server_overhead_w):
            object.__setattr__(self, "server_overhead_idle_w",
                               IDLE_NON_GPU_FRACTION * float(self.server_overhead_w))
        for fld in ("tdp_w", "idle_w", "server_overhead_w", "server_overhead_idle_w",
                    "network_storage_fraction"):
            value = getattr(self, fld)
            if not _is_number(value):
                raise ScenarioError(f"must be a number, got {value!r}", field=f"gpu.{fld}")
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
        if not 0 <= self.server_overhead_idle_w <= self.server_overhead_w:
            raise ScenarioError(
                f"must be >= 0 W and at most server_overhead_w ({self.server_overhead_w} W), "
                f"got {self.server_overhead_idle_w}", field="gpu.server_overhead_idle_w")
        if not 0 <= self.network_storage_fraction < 1:
            raise ScenarioError(f"must be in [0, 1), got {self.network_storage_fraction}",
                                field="gpu.network_storage_fraction")
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
        """Server power with every GPU at TDP (without network and storage), W."""
        return self.server_overhead_w + self.gpus_per_server * self.tdp_w

    @property
    def network_storage_w(self) -> float:
        """Constant network and storage power per server, W."""
        return self.network_storage_fraction * self.server_max_w

    def server_power_w(self, gpu_power_w: float | np.ndarray) -> float | np.ndarray:
        """Server power (with its network and storage share) at a mean GPU power, W."""
        load = (np.asarray(gpu_power_w, dtype=float) - self.idle_w) / (self.tdp_w - self.idle_w)
        non_gpu = (self.server_overhead_idle_w
                   + (self.server_overhead_w - self.server_overhead_idle_w) * load)
        out = non_gpu + self.network_storage_w + self.gpus_per_server * np.asarray(gpu_power_w)
        return float(out) if np.ndim(out) == 0 else out


def _is_number(value: object) -> bool:
    return not isinstance(value, bool) and isinstance(value, int | float | np.floating)


def _dgx(name: str, tdp_w: float, idle_w: float, non_gpu_full_w: float) -> GpuType:
    return GpuType(name=name, tdp_w=tdp_w, idle_w=idle_w, gpus_per_server=8,
                   server_overhead_w=non_gpu_full_w,
                   network_storage_fraction=NETWORK_STORAGE_FRACTION)


#: Built-in GPU types (module docstring gives sources). Non-GPU power at full load: H100 and
#: H200 2,800 W (measured); A100 3,300 x 0.609 = 2,009 W and B200 6,300 x 0.609 = 3,835 W
#: (rated, scaled by the H100 measured/rated ratio).
GPU_CATALOG: Mapping[str, GpuType] = MappingProxyType(
    {
        "A100": _dgx("A100", 400.0, 60.0, (6_500.0 - 3_200.0) * _MEASURED_OVER_RATED_NON_GPU),
        "H100": _dgx("H100", 700.0, 70.0, 8_400.0 - 5_600.0),
        "H200": _dgx("H200", 700.0, 75.0, 8_400.0 - 5_600.0),
        "B200": _dgx("B200", 1_000.0, 140.0, (14_300.0 - 8_000.0) * _MEASURED_OVER_RATED_NON_GPU),
    }
)


def gpu_type(name_or_spec: str | Mapping[str, Any] | GpuType) -> GpuType:
    """Return a GPU type from the catalog by name, or build one from a user-defined spec.

    Parameters
    ----------
    name_or_spec : str, mapping or GpuType
        A catalog name (case-insensitive: ``"A100"``, ``"H100"``, ``"H200"``, ``"B200"``), a
        mapping with the keys ``name, tdp_w, idle_w, server_overhead_w`` and optionally
        ``gpus_per_server`` (default 8, as in DGX/HGX servers), ``server_overhead_idle_w``
        and ``network_storage_fraction``, or a ``GpuType``.

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
    spec = {"gpus_per_server": 8, **{k: v for k, v in name_or_spec.items() if v is not None}}
    missing = sorted(allowed - set(spec) - {"server_overhead_idle_w", "network_storage_fraction"})
    if missing:
        raise ScenarioError(f"missing required key(s) {missing}", field=f"gpu.{missing[0]}")
    return GpuType(**spec)


def servers_for_it_mw(it_mw: float, gpu: GpuType) -> int:
    """Whole servers whose full-load power fits in ``it_mw``.

    Full load is every GPU at TDP plus the non-GPU part at full load and the server's share
    of network and storage (``server_max_w + network_storage_w``). Rounded down, so the fleet
    never draws more than the stated IT capacity (50 MW of 8×H100 servers at 8.82 kW each is
    5,668 servers, 49.99 MW).

    Raises
    ------
    ScenarioError
        If not even one server fits.
    """
    per_server_w = gpu.server_max_w + gpu.network_storage_w
    n = int(np.floor(it_mw * W_PER_MW / per_server_w + 1e-9))
    if n < 1:
        raise ScenarioError(f"{it_mw:g} MW holds no whole {gpu.name} server "
                            f"({per_server_w / 1e3:g} kW at full load)", field="it_mw")
    return n


def fleet_power_mw(
    gpu: GpuType,
    n_servers: float,
    gpu_power_fraction: float | np.ndarray = 1.0,
    utilization: float | np.ndarray = 1.0,
) -> float | np.ndarray:
    """Electric power of a fleet of GPU servers with their network and storage share, MW.

    ``P = n_servers * server_power_w(u * f * TDP + (1 - u) * idle)`` (module docstring).

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
        Fraction of GPUs active, 0..1; the others are idle.

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
    power_mw = n_servers * np.asarray(gpu.server_power_w(gpu_w)) / W_PER_MW
    return float(power_mw) if np.ndim(power_mw) == 0 else power_mw
