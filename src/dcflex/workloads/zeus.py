"""Power-cap curves from the Zeus GPU power traces (You et al., NSDI'23).

Data
----
Zeus ``summary_power_{v100,a40}.csv`` (ml-energy/zeus, Apache-2.0): power limit, time per
epoch and average power per (dataset, network, batch size, optimizer), one run per cap. The
power axis is the measured ``average_power``, for the reasons in :mod:`dcflex.workloads.powercap`.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType

import pandas as pd

from dcflex.errors import DataError, ScenarioError
from dcflex.workloads.gpus import GpuType
from dcflex.workloads.powercap import PowerCapCurve, fit_concave_curve

#: GPUs of the Zeus traces. V100: PCIe, 250 W TDP (NVIDIA V100 data sheet; the trace caps span
#: 100-250 W, the PCIe card's power-limit range). A40: 300 W TDP (NVIDIA A40 data sheet).
#: Idle: typical nvidia-smi idle draw (not in the data sheets), an assumption: 25 W, 30 W.
ZEUS_GPUS: Mapping[str, GpuType] = MappingProxyType(
    {
        "v100": GpuType("V100-PCIe", 250.0, 25.0, 8, 0.0),
        "a40": GpuType("A40", 300.0, 30.0, 8, 0.0),
    }
)


def read_zeus(path: str | Path) -> pd.DataFrame:
    """Read a Zeus ``summary_power_*.csv`` trace.

    Returns
    -------
    pandas.DataFrame
        ``dataset, network, batch_size, optimizer, power_limit`` (W), ``time_per_epoch`` (s),
        ``average_power`` (W).

    Raises
    ------
    DataError
        Missing column, non-positive or non-finite number.
    """
    path = Path(path)
    df = pd.read_csv(path)
    need = [
        "dataset",
        "network",
        "batch_size",
        "optimizer",
        "power_limit",
        "time_per_epoch",
        "average_power",
    ]
    missing = [c for c in need if c not in df.columns]
    if missing:
        raise DataError(f"expected columns {need}, missing {missing}", file=path, field=missing[0])
    df = df[need].copy()
    for c in ("power_limit", "time_per_epoch", "average_power"):
        v = pd.to_numeric(df[c], errors="coerce")
        if v.isna().any() or (v <= 0).any():
            raise DataError("expected positive numbers", file=path, field=c)
        df[c] = v.astype(float)
    return df


def curves_from_zeus(path: str | Path, gpu: str = "v100") -> dict[str, PowerCapCurve]:
    """Concave power-cap curves from a Zeus trace.

    Throughput = 1 / ``time_per_epoch``; power axis = measured ``average_power`` / TDP. The
    curve is the upper concave hull of each configuration's measurements
    (:func:`upper_concave_hull`): one run per cap gives no spread to fit within, and on the
    A40 throughput rises convexly above the lowest caps, so a least-squares concave curve
    misses measured points by up to 0.23 of full throughput on the A40 (median configuration
    0.14) and 0.18 on the V100, where the hull meets every frontier point exactly. One curve
    per configuration; the key is ``"{network}/bs{batch_size}"``, extended with
    ``"/{dataset}/{optimizer}"`` where one (network, batch size) was run with several datasets
    or optimizers (BERT on SQuAD and Sentiment140; ShuffleNet-v2 with Adadelta and Adam on V100).

    Parameters
    ----------
    path : path
        ``zeus-gpu-power/summary_power_v100.csv`` or ``..._a40.csv``.
    gpu : {"v100", "a40"}
        GPU of the trace (:data:`ZEUS_GPUS`).

    Returns
    -------
    dict of str to PowerCapCurve
    """
    if gpu not in ZEUS_GPUS:
        raise ScenarioError(f"expected one of {sorted(ZEUS_GPUS)}, got {gpu!r}", field="gpu")
    g = ZEUS_GPUS[gpu]
    df = read_zeus(path)
    cfg = ["network", "batch_size", "dataset", "optimizer"]
    n_cfg = df.groupby(["network", "batch_size"])[["dataset", "optimizer"]].nunique()
    shared = set(n_cfg.index[(n_cfg > 1).any(axis=1)])
    curves: dict[str, PowerCapCurve] = {}
    for (net, bs, ds, opt), grp in df.groupby(cfg, sort=True):
        key = f"{net}/bs{bs}" + (f"/{ds}/{opt}" if (net, bs) in shared else "")
        curves[key] = fit_concave_curve(
            grp["power_limit"],
            1.0 / grp["time_per_epoch"],
            g.tdp_w,
            g.idle_w,
            key,
            power_w=grp["average_power"],
            method="upper_hull",
        )
    return curves

