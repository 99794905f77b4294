"""Concave, non-decreasing piecewise-linear fits to power -> throughput measurements.

Two fits through the idle point ``(idle_fraction, 0)``, on arrays of power fraction and
throughput: :func:`concave_fit` (least squares, non-negative least squares over the slope drops)
and :func:`upper_concave_hull` (the frontier of single runs). They return knots and values;
:func:`dcflex.workloads.powercap.fit_concave_curve` turns them into a
:class:`~dcflex.workloads.powercap.PowerCapCurve`.
"""

from __future__ import annotations

import numpy as np

from dcflex.errors import DataError


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
    # scipy.optimize costs 0.2 s to import; only user curves and data fits reach this line
    from scipy.optimize import nnls

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

