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

Modules
-------
The least-squares concave fit and the upper concave hull are in :mod:`dcflex.workloads.concave`
(re-exported here); the data readers and fits per source in :mod:`dcflex.workloads.dvfs_sweep`
(Emerald AI DVFS sweep, workload families, source of :data:`FAMILY_POINTS`) and
:mod:`dcflex.workloads.zeus` (Zeus traces).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Literal

import numpy as np

from dcflex.errors import DataError, ScenarioError
from dcflex.workloads.concave import _drop_collinear, concave_fit, upper_concave_hull

__all__ = [
    "FAMILY_POINTS",
    "PowerCapCurve",
    "builtin_family_points",
    "concave_fit",
    "fit_concave_curve",
    "upper_concave_hull",
]

_TOL = 1e-9

#: Family curves fitted by :func:`~dcflex.workloads.dvfs_sweep.family_curves` on
#: ``dvfs_sweep.csv`` with the catalog A100 (TDP 400 W, idle 60 W), rounded to 6 decimals, so
#: that scenarios can name a family without the data file. Power fraction of TDP, throughput
#: fraction. Regenerate with ``family_curves(path)[name].points()``; tests check they match the
#: data.
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
