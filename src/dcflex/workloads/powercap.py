"""Power-cap -> throughput curves as concave piecewise-linear functions.

A curve maps the power of a GPU, as a fraction ``p`` of its TDP, to the throughput of the job
on it, as a fraction ``x`` of its uncapped throughput. Its first point is ``(idle/TDP, 0)``: a
paused GPU draws idle power and does no work. Its last point is ``(1, 1)``.

Why concave: a scheduler can mix operating points across the GPUs of a job or over time
(run some GPUs at a higher cap and pause others), so any point on a chord between two measured
points is achievable. The upper concave envelope is therefore the real frontier, and a concave
curve is what an LP can use exactly, as the intersection of half-planes (:meth:`segments`).

Why measured power rather than the cap on the power axis: the cap is only an upper bound. In the
Emerald AI DVFS sweep the measured power per GPU is 0.98-1.03 x the cap at 100 W but only
0.86-0.97 x the cap at 400 W; in the Zeus traces (You et al., NSDI'23) the median ratio
``average_power / power_limit`` at the highest cap is 0.71 (V100, 250 W) and 0.68 (A40, 300 W),
and below 0.25 for input-bound jobs. Mapping caps to power would overstate the power a job
draws, so the fits below use measured power when it is available. A job whose measured power at
its highest cap is below TDP gets a flat last segment up to ``(1, 1)``: more power budget does
not make it faster (:attr:`PowerCapCurve.saturation_power_fraction` gives where it saturates).

Data
----
* ``dvfs_sweep.csv`` from the Emerald AI field demonstration (Colangelo et al., "Turning AI Data
  Centers into Grid-Interactive Assets", arXiv:2507.00909; github.com/ai-emerald/
  emerald-ai-demo-may-2025, Apache-2.0): 8 LLM workloads x caps 100, 200, 250, 300, 350, 400 W.
  The GPU model is not stated; the cap range 100-400 W is exactly the power-limit range of an
  A100 SXM (400 W TDP, 100 W minimum limit; an H100 SXM cannot be capped below 200 W), so the
  sweep is read as A100. The file has no variance column; the measurement spread used here is
  the largest difference in normalized throughput between the two runs of the same model
  (MPT-13B on 64 and on 48 GPUs) at equal cap, :func:`dvfs_replicate_spread` (0.0145).
* Zeus ``summary_power_{v100,a40}.csv`` (ml-energy/zeus, Apache-2.0): power limit, time per
  epoch and average power per (dataset, network, batch size, optimizer).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Literal

import numpy as np
import pandas as pd
from scipy.optimize import nnls

from dcflex.errors import DataError, ScenarioError
from dcflex.workloads.gpus import GpuType, gpu_type

_TOL = 1e-9

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

#: Family curves fitted by :func:`family_curves` on ``dvfs_sweep.csv`` with the catalog A100
#: (TDP 400 W, idle 60 W), rounded to 6 decimals, so that scenarios can name a family without
#: the data file. Power fraction of TDP, throughput fraction. Regenerate with
#: ``family_curves(path)[name].points()``; tests check they match the data.
FAMILY_POINTS: Mapping[str, tuple[tuple[float, float], ...]] = MappingProxyType(
    {
        "pretraining": (
            (0.150000, 0.000000),
            (0.491691, 0.629892),
            (0.612823, 0.786659),
            (0.728298, 0.866228),
            (0.955351, 1.000000),
            (1.000000, 1.000000),
        ),
        "finetuning": (
            (0.150000, 0.000000),
            (0.249961, 0.234525),
            (0.489366, 0.795944),
            (0.604931, 0.891455),
            (0.717307, 0.944169),
            (0.861262, 1.000000),
            (1.000000, 1.000000),
        ),
        "inference": (
            (0.150000, 0.000000),
            (0.244849, 0.225225),
            (0.486611, 0.780781),
            (0.604417, 0.870871),
            (0.722367, 0.930931),
            (0.832213, 0.975976),
            (0.920937, 1.000000),
            (1.000000, 1.000000),
        ),
    }
)


@dataclass(frozen=True, eq=False)
class PowerCapCurve:
    """Piecewise-linear throughput as a function of GPU power.

    Parameters
    ----------
    power_fraction : numpy.ndarray
        GPU power as a fraction of TDP, strictly increasing, first = idle fraction (>= 0),
        last = 1.
    throughput_fraction : numpy.ndarray
        Throughput as a fraction of uncapped throughput, non-decreasing, first = 0, last = 1.
    name : str
        Label (workload or family).

    Notes
    -----
    The arrays are copied and made read-only. Construction does not require concavity, so a raw
    measured curve can be held and tested with :meth:`is_concave`; :meth:`segments` and
    :meth:`from_points` require it.

    Raises
    ------
    ScenarioError
        If the arrays are malformed (the field is named).
    """

    power_fraction: np.ndarray
    throughput_fraction: np.ndarray
    name: str

    def __post_init__(self) -> None:
        p = np.array(self.power_fraction, dtype=float, copy=True).reshape(-1)
        x = np.array(self.throughput_fraction, dtype=float, copy=True).reshape(-1)
        where = f"curve {self.name!r}"
        if p.size != x.size or p.size < 2:
            raise ScenarioError(
                f"{where}: needs >= 2 points and equal lengths, got {p.size} power and "
                f"{x.size} throughput values",
                field="power_fraction",
            )
        if not (np.all(np.isfinite(p)) and np.all(np.isfinite(x))):
            raise ScenarioError(f"{where}: values must be finite", field="power_fraction")
        if np.any(np.diff(p) <= 0):
            raise ScenarioError(
                f"{where}: must be strictly increasing, got {p.tolist()}", field="power_fraction"
            )
        if p[0] < 0 or abs(p[-1] - 1.0) > _TOL:
            raise ScenarioError(
                f"{where}: must start >= 0 (idle fraction) and end at 1, got "
                f"{p[0]:.6g} .. {p[-1]:.6g}",
                field="power_fraction",
            )
        if abs(x[0]) > _TOL or abs(x[-1] - 1.0) > _TOL:
            raise ScenarioError(
                f"{where}: must start at 0 (paused) and end at 1 (full throughput), got "
                f"{x[0]:.6g} .. {x[-1]:.6g}",
                field="throughput_fraction",
            )
        if np.any(np.diff(x) < -_TOL):
            raise ScenarioError(
                f"{where}: must be non-decreasing in power, got {x.tolist()}",
                field="throughput_fraction",
            )
        p[-1], x[0], x[-1] = 1.0, 0.0, 1.0
        p.flags.writeable = False
        x.flags.writeable = False
        object.__setattr__(self, "power_fraction", p)
        object.__setattr__(self, "throughput_fraction", x)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, PowerCapCurve):
            return NotImplemented
        return (
            self.name == other.name
            and np.array_equal(self.power_fraction, other.power_fraction)
            and np.array_equal(self.throughput_fraction, other.throughput_fraction)
        )

    __hash__ = None  # type: ignore[assignment]  # arrays: equal curves need not hash alike

    @classmethod
    def from_points(cls, points: Sequence[Sequence[float]], name: str = "user") -> PowerCapCurve:
        """Build a curve from user points ``[[power_fraction, throughput_fraction], ...]``.

        Parameters
        ----------
        points : sequence of pairs
            Points in increasing power order; the first is ``(idle fraction, 0)``, the last
            ``(1, 1)``.
        name : str
            Label.

        Raises
        ------
        ScenarioError
            If the points are not pairs, not increasing, do not end at (1, 1), or are not
            concave.
        """
        try:
            arr = np.asarray(points, dtype=float)
        except (TypeError, ValueError):
            raise ScenarioError(
                f"must be a list of [power_fraction, throughput_fraction] pairs, got {points!r}",
                field="curve",
            ) from None
        if arr.ndim != 2 or arr.shape[1] != 2:
            raise ScenarioError(
                f"must be a list of [power_fraction, throughput_fraction] pairs, got shape "
                f"{arr.shape}",
                field="curve",
            )
        curve = cls(arr[:, 0], arr[:, 1], name)
        if not curve.is_concave():
            slopes = np.diff(curve.throughput_fraction) / np.diff(curve.power_fraction)
            raise ScenarioError(
                f"curve {name!r}: must be concave (segment slopes non-increasing), got slopes "
                f"{np.round(slopes, 4).tolist()}",
                field="curve",
            )
        return curve

    @property
    def idle_fraction(self) -> float:
        """Power fraction of a paused GPU (the first point)."""
        return float(self.power_fraction[0])

    @property
    def saturation_power_fraction(self) -> float:
        """Smallest power fraction at which throughput reaches 1 (the uncapped draw)."""
        return float(self.power_for_throughput(1.0))

    def points(self) -> tuple[tuple[float, float], ...]:
        """The breakpoints as ``((p, x), ...)`` tuples."""
        return tuple(
            (float(p), float(x))
            for p, x in zip(self.power_fraction, self.throughput_fraction, strict=True)
        )

    def slopes(self) -> np.ndarray:
        """Slope of each segment, throughput fraction per power fraction."""
        return np.diff(self.throughput_fraction) / np.diff(self.power_fraction)

    def is_concave(self, tol: float = _TOL) -> bool:
        """True if the segment slopes are non-increasing (within ``tol``)."""
        return bool(np.all(np.diff(self.slopes()) <= tol))

    def segments(self) -> tuple[np.ndarray, np.ndarray]:
        """Half-planes whose intersection is the hypograph of the curve.

        Returns
        -------
        slopes, intercepts : numpy.ndarray
            For ``p`` in ``[idle_fraction, 1]``: ``x <= min_k(slopes[k] * p + intercepts[k])``
            holds exactly when ``x <= throughput(p)``. The LP must also bound
            ``idle_fraction <= p <= 1``.

        Raises
        ------
        ScenarioError
            If the curve is not concave (the half-planes would cut below it).
        """
        if not self.is_concave():
            raise ScenarioError(
                f"curve {self.name!r} is not concave; fit it with fit_concave_curve first",
                field="curve",
            )
        slopes = self.slopes()
        intercepts = self.throughput_fraction[:-1] - slopes * self.power_fraction[:-1]
        return slopes, intercepts

    def throughput(self, p: float | np.ndarray) -> float | np.ndarray:
        """Throughput fraction at power fraction ``p`` (linear interpolation).

        Raises
        ------
        ScenarioError
            If ``p`` lies outside ``[idle_fraction, 1]`` (beyond 1e-9): a powered GPU cannot
            draw less than idle, and no curve is known above TDP.
        """
        arr = np.asarray(p, dtype=float)
        if np.any(arr < self.power_fraction[0] - _TOL) or np.any(arr > 1.0 + _TOL):
            raise ScenarioError(
                f"curve {self.name!r}: power fraction must lie in "
                f"[{self.power_fraction[0]:.4g}, 1], got {np.min(arr):.4g} .. {np.max(arr):.4g}",
                field="power_fraction",
            )
        out = np.interp(arr, self.power_fraction, self.throughput_fraction)
        return float(out) if out.ndim == 0 else out

    def power_for_throughput(self, x: float | np.ndarray) -> float | np.ndarray:
        """Smallest power fraction that delivers throughput fraction ``x`` (inverse curve).

        Raises
        ------
        ScenarioError
            If ``x`` lies outside ``[0, 1]``.
        """
        arr = np.asarray(x, dtype=float)
        if np.any(arr < -_TOL) or np.any(arr > 1.0 + _TOL):
            raise ScenarioError(
                f"curve {self.name!r}: throughput fraction must lie in [0, 1], got "
                f"{np.min(arr):.4g} .. {np.max(arr):.4g}",
                field="throughput_fraction",
            )
        # keep the first point of each plateau so the inverse returns the smallest power
        y = self.throughput_fraction
        keep = np.r_[True, np.diff(y) > 0]
        out = np.interp(arr, y[keep], self.power_fraction[keep])
        return float(out) if out.ndim == 0 else out


def _measurements_above_idle(power_fraction: np.ndarray, throughput: np.ndarray,
                             idle_fraction: float) -> tuple[np.ndarray, np.ndarray]:
    x = np.asarray(power_fraction, dtype=float).reshape(-1)
    y = np.asarray(throughput, dtype=float).reshape(-1)
    if np.any(x <= idle_fraction):
        raise DataError(
            f"power fractions must exceed the idle fraction {idle_fraction:.4g}, got "
            f"min {x.min():.4g}"
        )
    return x, y


def concave_fit(
    power_fraction: np.ndarray, throughput: np.ndarray, idle_fraction: float
) -> tuple[np.ndarray, np.ndarray]:
    """Least-squares concave, non-decreasing fit through ``(idle_fraction, 0)``.

    Among piecewise-linear functions with knots at ``idle_fraction`` and at the distinct
    measured powers that are concave, non-decreasing and zero at idle, the one closest to the
    measurements in the sum of squares. Parameterization: ``f(p) = sum_j d_j * min(p - p0,
    u_{j+1} - p0)`` with ``d_j >= 0`` (``d_j`` = drop of slope at knot ``u_{j+1}``): every such
    sum is concave and non-decreasing and every such function is one, so the fit is a
    non-negative least-squares problem (``scipy.optimize.nnls``).

    Parameters
    ----------
    power_fraction : array
        Measured GPU power / TDP, each > ``idle_fraction``.
    throughput : array
        Measured throughput (any unit, typically normalized).
    idle_fraction : float
        Idle power / TDP, where the fit is pinned to zero.

    Returns
    -------
    knots, values : numpy.ndarray
        Knot powers (``idle_fraction`` first) and fitted throughput there, in the unit of
        ``throughput``; evaluate between knots with ``np.interp``.
    """
    x, y = _measurements_above_idle(power_fraction, throughput, idle_fraction)
    u = np.r_[idle_fraction, np.unique(np.round(x, 9))]
    top = u[1:] - idle_fraction
    A = np.minimum((x - idle_fraction)[:, None], top[None, :])
    d, _ = nnls(A, y, maxiter=50 * A.shape[1])
    values = np.minimum((u - idle_fraction)[:, None], top[None, :]) @ d
    return u, values


def upper_concave_hull(
    power_fraction: np.ndarray, throughput: np.ndarray, idle_fraction: float
) -> tuple[np.ndarray, np.ndarray]:
    """The least concave, non-decreasing function through ``(idle_fraction, 0)`` that lies on
    or above every measurement.

    Its knots are measured points (and the idle point): the operating points a scheduler would
    use, mixing neighbours in time or across GPUs for the powers between them. Measurements
    below it are dominated: pausing part of the time and running the rest at a higher cap does
    more work for the same average power. Used where the measurements are single runs with a
    convex start (Zeus, A40: throughput climbs steeply above the lowest caps), which no concave
    curve can pass through.

    Returns
    -------
    knots, values : numpy.ndarray
        As :func:`concave_fit`.
    """
    x, y = _measurements_above_idle(power_fraction, throughput, idle_fraction)
    # the best throughput at each distinct power, then the running maximum (more power never
    # has to mean less work: the job can leave the extra budget unused)
    order = np.lexsort((-y, x))
    px, py = np.r_[idle_fraction, x[order]], np.r_[0.0, y[order]]
    first = np.r_[True, np.diff(px) > 1e-12]
    px, py = px[first], np.maximum.accumulate(py[first])
    hull: list[int] = []
    for i in range(len(px)):
        # drop the last knot while it lies on or below the chord from the one before to i
        while len(hull) >= 2:
            a, b = hull[-2], hull[-1]
            if (py[b] - py[a]) * (px[i] - px[a]) <= (py[i] - py[a]) * (px[b] - px[a]):
                hull.pop()
            else:
                break
        hull.append(i)
    return px[hull], py[hull]


def _drop_collinear(p: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    keep = [0]
    for i in range(1, len(p) - 1):
        j = keep[-1]
        s_in = (x[i] - x[j]) / (p[i] - p[j])
        s_out = (x[i + 1] - x[i]) / (p[i + 1] - p[i])
        if abs(s_in - s_out) > 1e-6 * max(1.0, abs(s_in)):
            keep.append(i)
    keep.append(len(p) - 1)
    return p[keep], x[keep]


def fit_concave_curve(
    cap_w: Sequence[float] | np.ndarray,
    throughput: Sequence[float] | np.ndarray,
    tdp_w: float,
    idle_w: float,
    name: str,
    power_w: Sequence[float] | np.ndarray | None = None,
    method: Literal["least_squares", "upper_hull"] = "least_squares",
) -> PowerCapCurve:
    """Fit a concave power-cap curve to measured throughput at several power caps.

    Steps: throughput is divided by its value at the highest cap (the mean if that cap was
    measured more than once); GPU power is the measured ``power_w`` if given, else the cap
    (``power = cap`` holds only when the cap binds, see the module notes); powers are divided by
    ``tdp_w``; the point ``(idle_w / tdp_w, 0)`` is prepended and held exactly; then
    :func:`concave_fit` (least squares over all measured points, the highest cap included).
    The fitted curve is divided by its value at the highest measured power, so that full
    throughput means the fitted uncapped throughput rather than the single noisy measurement
    at the highest cap (pinning that one point to 1 pushes its noise onto the others: on
    ``pt_mpt_13b_sm`` the largest residual would be 0.016, above the replicate spread 0.0145,
    against 0.013 this way; the rescaling factor is 0.993-1.000 on the DVFS sweep). If the
    highest measured power is below TDP, a flat segment extends the curve to ``(1, 1)``.
    Collinear knots are dropped. With ``method="upper_hull"`` the curve is
    :func:`upper_concave_hull` instead, divided by the best measured throughput: it passes
    through every measurement on the frontier and above the dominated ones.

    Parameters
    ----------
    cap_w : array
        Power cap of each measurement, W.
    throughput : array
        Throughput of each measurement, any unit (> 0).
    tdp_w, idle_w : float
        TDP and idle power of the GPU, W.
    name : str
        Label of the curve.
    power_w : array, optional
        Measured average GPU power of each measurement, W. Preferred over the cap.

    Returns
    -------
    PowerCapCurve

    Raises
    ------
    DataError
        On non-finite or non-positive values, powers at or below idle, or above TDP.
    """
    cap = np.asarray(cap_w, dtype=float).reshape(-1)
    thr = np.asarray(throughput, dtype=float).reshape(-1)
    pw = cap if power_w is None else np.asarray(power_w, dtype=float).reshape(-1)
    field = f"curve {name}"
    if not (cap.size == thr.size == pw.size) or cap.size < 1:
        raise DataError(
            f"cap_w, throughput and power_w need equal non-zero lengths, got {cap.size}, "
            f"{thr.size}, {pw.size}",
            field=field,
        )
    for label, arr in (("cap_w", cap), ("throughput", thr), ("power_w", pw)):
        if not np.all(np.isfinite(arr)) or np.any(arr <= 0):
            raise DataError(f"{label} must be finite and > 0, got {arr.tolist()}", field=field)
    if not 0 <= idle_w < tdp_w:
        raise DataError(f"need 0 <= idle_w < tdp_w, got idle {idle_w}, TDP {tdp_w}", field=field)
    if np.any(pw <= idle_w):
        raise DataError(
            f"GPU power must exceed idle ({idle_w} W) when the job runs, got min {pw.min():.4g} W",
            field=field,
        )
    if np.any(pw > tdp_w * (1 + 1e-6)):
        raise DataError(
            f"GPU power must not exceed TDP ({tdp_w} W), got max {pw.max():.4g} W", field=field
        )
    y = thr / thr[cap == cap.max()].mean()
    x = np.minimum(pw / tdp_w, 1.0)
    if method == "upper_hull":
        p, v = upper_concave_hull(x, y, idle_w / tdp_w)
    elif method == "least_squares":
        p, v = concave_fit(x, y, idle_w / tdp_w)
    else:
        raise ScenarioError(f"expected method least_squares or upper_hull, got {method!r}",
                            field="method")
    if v[-1] <= 0:
        raise DataError("concave fit gives zero throughput at the highest power", field=field)
    v = v / v[-1]
    if p[-1] < 1.0 - _TOL:
        p, v = np.r_[p, 1.0], np.r_[v, 1.0]
    p, v = _drop_collinear(p, v)
    return PowerCapCurve(p, v, name)


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


def builtin_family_points(name: str) -> tuple[tuple[float, float], ...]:
    """Points of a built-in family curve (no data file needed).

    Parameters
    ----------
    name : {"pretraining", "finetuning", "inference"}

    Returns
    -------
    tuple of (power_fraction, throughput_fraction)
        See :data:`FAMILY_POINTS` (A100, idle 60 W, fitted on the DVFS sweep).

    Raises
    ------
    KeyError
        Unknown family (message lists the known ones).
    """
    if name not in FAMILY_POINTS:
        raise KeyError(f"unknown curve family {name!r}; expected one of {sorted(FAMILY_POINTS)}")
    return FAMILY_POINTS[name]
