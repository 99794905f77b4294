"""Power-cap curves from the Emerald AI DVFS sweep, per workload and per workload family.

Data
----
``dvfs_sweep.csv`` from the Emerald AI field demonstration (Colangelo et al., "Turning AI Data
Centers into Grid-Interactive Assets", arXiv:2507.00909; github.com/ai-emerald/
emerald-ai-demo-may-2025, Apache-2.0): 8 LLM workloads x caps 100, 200, 250, 300, 350, 400 W.
The GPU model is not stated; the cap range 100-400 W is exactly the power-limit range of an
A100 SXM (400 W TDP, 100 W minimum limit; an H100 SXM cannot be capped below 200 W), so the
sweep is read as A100. The file has no variance column; the measurement spread used here is
the largest difference in normalized throughput between the two runs of the same model
(MPT-13B on 64 and on 48 GPUs) at equal cap, :func:`dvfs_replicate_spread` (0.0145).

The workload families (:data:`DVFS_WORKLOAD_FAMILIES`) group the sweep's workloads; their fitted
curves (:func:`family_curves`) are stored as :data:`~dcflex.workloads.powercap.FAMILY_POINTS`.
The power axis is measured power per GPU, for the reasons in :mod:`dcflex.workloads.powercap`.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType

import pandas as pd

from dcflex.errors import DataError
from dcflex.workloads.gpus import GpuType, gpu_type
from dcflex.workloads.powercap import PowerCapCurve, fit_concave_curve

#: Family of each workload of the DVFS sweep, from the workload name prefix (``pt_`` =
#: pre-training with LLM Foundry MPT models, ``ft_`` = fine-tuning Llama-3-8B, ``infer_`` =
#: Llama-3-8B inference; per emerald-demo SOURCE.txt).
DVFS_WORKLOAD_FAMILIES: Mapping[str, str] = MappingProxyType(
    {
        "pt_mpt_13b_lg": "pretraining",
        "pt_mpt_13b_sm": "pretraining",
        "pt_mpt_7b_fast": "pretraining",
        "ft_llama_8b_dolly": "finetuning",
        "ft_llama_8b_p3": "finetuning",
        "infer_llama_8b": "inference",
        "infer_llama_8b_32g": "inference",
        "infer_llama_8b_48g": "inference",
    }
)


def read_dvfs_sweep(path: str | Path) -> pd.DataFrame:
    """Read the Emerald AI DVFS sweep (``emerald-demo/dvfs_sweep.csv``).

    Parameters
    ----------
    path : path
        The CSV file.

    Returns
    -------
    pandas.DataFrame
        One row per (workload, cap): ``workload``, ``cap_w`` (power cap per GPU, W),
        ``throughput`` (job-specific unit), ``total_gpu_power_w`` (W, all GPUs of the job),
        ``normalized_throughput`` (vs the 400 W cap), ``power_per_gpu_w`` (measured, W),
        ``n_gpus`` (= total / per GPU, rounded).

    Raises
    ------
    DataError
        Missing column, non-numeric or non-positive value.
    """
    path = Path(path)
    df = pd.read_csv(path)
    cols = {
        "Workload": "workload",
        "GPU power cap": "cap_w",
        "throughput": "throughput",
        "total GPU power": "total_gpu_power_w",
        "normalized throughput": "normalized_throughput",
        "power per GPU": "power_per_gpu_w",
    }
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise DataError(
            f"expected columns {list(cols)}, missing {missing}", file=path, field=missing[0]
        )
    df = df[list(cols)].rename(columns=cols)
    num = df.columns.drop("workload")
    vals = df[num].apply(pd.to_numeric, errors="coerce")
    bad = vals.isna().any(axis=1) | (vals <= 0).any(axis=1)
    if bad.any():
        raise DataError(
            f"expected positive numbers, found bad values in rows {bad[bad].index.tolist()[:5]}",
            file=path,
        )
    df[num] = vals
    df["workload"] = df["workload"].astype(str).str.strip()
    df["n_gpus"] = (df["total_gpu_power_w"] / df["power_per_gpu_w"]).round().astype(int)
    return df


def _sweep_gpu(gpu: str | Mapping | GpuType) -> GpuType:
    return gpu_type(gpu)


def curves_from_dvfs_sweep(
    path: str | Path, gpu: str | Mapping | GpuType = "A100"
) -> dict[str, PowerCapCurve]:
    """Concave power-cap curve of each workload of the DVFS sweep.

    Parameters
    ----------
    path : path
        ``emerald-demo/dvfs_sweep.csv``.
    gpu : str, mapping or GpuType
        GPU the sweep ran on (A100 per the module notes); gives TDP and idle power.

    Returns
    -------
    dict of str to PowerCapCurve
        Keyed by workload name; power axis = measured power per GPU / TDP.
    """
    g = _sweep_gpu(gpu)
    sweep = read_dvfs_sweep(path)
    return {
        w: fit_concave_curve(
            grp["cap_w"], grp["throughput"], g.tdp_w, g.idle_w, w, power_w=grp["power_per_gpu_w"]
        )
        for w, grp in sweep.groupby("workload", sort=False)
    }


def family_points_from_sweep(
    sweep: pd.DataFrame, families: Mapping[str, str] = DVFS_WORKLOAD_FAMILIES
) -> pd.DataFrame:
    """Per family and cap: mean measured power and normalized throughput, and their spread.

    Parameters
    ----------
    sweep : pandas.DataFrame
        Output of :func:`read_dvfs_sweep`.
    families : mapping
        Workload name -> family name.

    Returns
    -------
    pandas.DataFrame
        ``family, cap_w, power_per_gpu_w, normalized_throughput`` (means over the member
        workloads, each workload weighted equally), ``throughput_min``, ``throughput_max``.

    Raises
    ------
    DataError
        If a workload of the sweep has no family.
    """
    unknown = sorted(set(sweep["workload"]) - set(families))
    if unknown:
        raise DataError(f"no family for workload(s) {unknown}", field="workload")
    df = sweep.assign(family=sweep["workload"].map(families))
    out = df.groupby(["family", "cap_w"], sort=True).agg(
        power_per_gpu_w=("power_per_gpu_w", "mean"),
        normalized_throughput=("normalized_throughput", "mean"),
        throughput_min=("normalized_throughput", "min"),
        throughput_max=("normalized_throughput", "max"),
    )
    return out.reset_index()


def family_curves(
    path: str | Path,
    gpu: str | Mapping | GpuType = "A100",
    families: Mapping[str, str] = DVFS_WORKLOAD_FAMILIES,
) -> dict[str, PowerCapCurve]:
    """Concave power-cap curves of the workload families of the DVFS sweep.

    Each family curve is fitted (:func:`fit_concave_curve`) to the per-cap means of its
    members' measured power per GPU and normalized throughput (:func:`family_points_from_sweep`).
    Families (:data:`DVFS_WORKLOAD_FAMILIES`): ``pretraining`` = pt_mpt_13b_lg, pt_mpt_13b_sm,
    pt_mpt_7b_fast; ``finetuning`` = ft_llama_8b_dolly, ft_llama_8b_p3; ``inference`` =
    infer_llama_8b, infer_llama_8b_32g, infer_llama_8b_48g (the three inference rows of the
    file carry identical normalized throughput, so that family rests on one measurement).

    Parameters
    ----------
    path : path
        ``emerald-demo/dvfs_sweep.csv``.
    gpu : str, mapping or GpuType
        GPU the sweep ran on (A100).
    families : mapping
        Workload -> family.

    Returns
    -------
    dict of str to PowerCapCurve
    """
    g = _sweep_gpu(gpu)
    pts = family_points_from_sweep(read_dvfs_sweep(path), families)
    return {
        fam: fit_concave_curve(
            grp["cap_w"],
            grp["normalized_throughput"],
            g.tdp_w,
            g.idle_w,
            fam,
            power_w=grp["power_per_gpu_w"],
        )
        for fam, grp in pts.groupby("family", sort=False)
    }


def dvfs_replicate_spread(sweep: pd.DataFrame) -> float:
    """Measurement spread of the DVFS sweep, as a throughput fraction.

    The file gives no variance. The two MPT-13B pre-training runs (``pt_mpt_13b_lg`` on 64 GPUs,
    ``pt_mpt_13b_sm`` on 48) are the only pair of independent runs of one model; the largest
    difference of their normalized throughputs at equal cap is taken as the spread. (The three
    inference rows are identical and so say nothing about noise.)

    Returns
    -------
    float
        Max |difference| of normalized throughput over the caps.
    """
    wide = sweep.pivot(index="cap_w", columns="workload", values="normalized_throughput")
    for w in ("pt_mpt_13b_lg", "pt_mpt_13b_sm"):
        if w not in wide.columns:
            raise DataError(f"replicate workload {w!r} not in the sweep", field="workload")
    return float((wide["pt_mpt_13b_lg"] - wide["pt_mpt_13b_sm"]).abs().max())

