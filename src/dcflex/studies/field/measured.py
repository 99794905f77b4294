"""Readers of what was measured in a field event: meter, per-job power, performance, references.

Everything here is for scoring (and for the calibration event); the prediction never calls
these readers, except :func:`read_pre_notice` for the ``pre_notice_mean`` baseline rule, which
returns only the minutes before notice.

Formats: a CSV or an Excel sheet with a time column of tz-aware ISO timestamps (naive
timestamps are refused: the zone of a meter must be stated) and power columns in W or kW.
``emerald-demo`` files (Colangelo et al. 2025, github.com/ai-emerald/emerald-ai-demo-may-2025):
``SRP_total_power.csv`` (1-min, the file stamps 2025-05-04 for the 2025-05-03 trial, so the
event file asks to move the timestamps onto the request date), ``Fig345_data.xlsx`` sheet
``Fig5`` (per-job and total 1-min power of the APS event, and "APS Simulator projected total
power" at irregular change points), ``SRP_exp_performance.csv`` (job performance over the
experiment and Flex label).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from dcflex.errors import DataError
from dcflex.studies.field.cluster import FLEX_TIERS
from dcflex.studies.field.event_file import (
    Event,
    MeasuredSpec,
    RequestSpec,
    TraceSpec,
    local_time,
    resolve_data_path,
)

W_PER_KW = 1e3


@dataclass
class Measured:
    """What the meter and the files say about one event (UTC indexes, kW).

    Attributes
    ----------
    total_kw : pandas.Series
        Metered cluster power, 1-min.
    jobs_kw : pandas.DataFrame
        Metered power per job (columns = job names; may be empty).
    reference_kw : pandas.Series or None
        Another party's prediction of total power, mean over each 1-min step.
    reference_label : str or None
    performance : pandas.DataFrame or None
        Per job: ``measured_performance``, ``flex`` (from the file, for a cross-check).
    performance_span : tuple of Timestamp or None
        Span the performance was averaged over.
    baseline_kw : float
        Mean metered power over the event file's baseline window: what the scores are relative
        to and the level the flat reference is drawn from.
    baseline_mask : numpy.ndarray
        Steps of that window.
    """

    total_kw: pd.Series
    jobs_kw: pd.DataFrame
    reference_kw: pd.Series | None
    reference_label: str | None
    performance: pd.DataFrame | None
    performance_span: tuple[pd.Timestamp, pd.Timestamp] | None
    baseline_kw: float
    baseline_mask: np.ndarray


def _read_table(path: Path, sheet: str | None, header_row: int) -> pd.DataFrame:
    if not path.exists():
        raise DataError("measured data file not found", file=path)
    try:
        if sheet is None:
            return pd.read_csv(path, header=header_row)
        return pd.read_excel(path, sheet_name=sheet, header=header_row)
    except ValueError as exc:  # unknown sheet, unreadable workbook
        raise DataError(f"cannot read {'sheet ' + repr(sheet) if sheet else 'table'}: {exc}",
                        file=path) from None


def _column(df: pd.DataFrame, name: str, path: Path) -> pd.Series:
    if name not in df.columns:
        raise DataError(f"no column {name!r}; found {[str(c) for c in df.columns]}", file=path,
                        field=name)
    return df[name]


def _timestamps(raw: pd.Series, path: Path, col: str) -> pd.DatetimeIndex:
    try:
        ts = pd.DatetimeIndex(pd.to_datetime(raw.astype(str).str.strip(), format="ISO8601"))
    except (ValueError, TypeError) as exc:
        raise DataError(f"unreadable timestamps ({exc})", file=path, field=col) from None
    if ts.tz is None:
        raise DataError("timestamps must carry a UTC offset (e.g. -07:00), found naive times",
                        file=path, field=col)
    return ts


def _shift_days(ts: pd.DatetimeIndex, request: RequestSpec) -> pd.DatetimeIndex:
    """Move timestamps by whole days so the first falls on the request date (local)."""
    first = ts[0].tz_convert(request.timezone).date()
    return ts + pd.Timedelta(days=(request.date - first).days)


def _power_series(df: pd.DataFrame, time_col: str, col: str, unit: str, path: Path,
                  request: RequestSpec, shift: bool) -> pd.Series:
    """One power column on its own timestamps, kW, UTC; rows without a value dropped."""
    pair = pd.DataFrame({"t": _column(df, time_col, path), "v": _column(df, col, path)})
    pair = pair.dropna(how="all")
    if pair["t"].isna().any():
        raise DataError("rows with a value but no timestamp", file=path, field=time_col)
    values = pd.to_numeric(pair["v"], errors="coerce").to_numpy(float)
    bad = ~np.isfinite(values) | (values < 0)
    if bad.any():
        raise DataError(f"expected power >= 0 in {unit}, {int(bad.sum())} bad rows (first data "
                        f"row {int(np.flatnonzero(bad)[0]) + 1})", file=path, field=col)
    ts = _timestamps(pair["t"], path, time_col)
    if shift:
        ts = _shift_days(ts, request)
    scale = 1.0 / W_PER_KW if unit == "W" else 1.0
    return pd.Series(values * scale, index=ts.tz_convert("UTC").rename("time_utc"), name=col)


def _regular_minutes(s: pd.Series, path: Path) -> pd.Series:
    if len(s) < 2 or not ((s.index[1:] - s.index[:-1]) == pd.Timedelta(minutes=1)).all():
        raise DataError("expected regular 1-min timestamps", file=path, field=str(s.name))
    return s


def steps_to_minutes(steps: pd.Series, index: pd.DatetimeIndex) -> pd.Series:
    """Mean over each 1-min step of a step function (each value holds until the next time).

    NaN for steps before the first change point.
    """
    steps = steps.sort_index()
    t = steps.index.as_unit("ns").asi8
    ns = index.as_unit("ns").asi8
    edges = np.r_[ns, ns[-1] + pd.Timedelta(minutes=1).value]
    # integral of the step function at each edge, by piecewise-constant accumulation
    cum = np.r_[0.0, np.cumsum(steps.to_numpy()[:-1] * np.diff(t))]
    pos = np.searchsorted(t, edges, side="right") - 1
    valid = pos >= 0
    integral = np.where(valid, cum[np.maximum(pos, 0)]
                        + steps.to_numpy()[np.maximum(pos, 0)] * (edges - t[np.maximum(pos, 0)]),
                        np.nan)
    means = np.diff(integral) / np.diff(edges)
    means[~valid[:-1]] = np.nan
    return pd.Series(means, index=index, name=steps.name)


def read_job_performance(path: str | Path) -> pd.DataFrame:
    """Read ``SRP_exp_performance.csv``: measured performance and Flex tier of each job.

    Returns
    -------
    pandas.DataFrame
        Index ``job`` (id, stripped of the file's trailing spaces); ``measured_performance``
        (fraction of baseline throughput over the experiment), ``flex`` (int). The file's
        "Weighted Performance" row is in ``attrs["weighted_performance"]``.

    Raises
    ------
    DataError
        Missing columns or summary row, unknown Flex label, non-numeric performance.
    """
    path = Path(path)
    if not path.exists():
        raise DataError("performance file not found", file=path)
    df = pd.read_csv(path)
    need = ["Model", "Performance", "Flexibility"]
    missing = [c for c in need if c not in df.columns]
    if missing:
        raise DataError(f"expected columns {need}, missing {missing}", file=path,
                        field=missing[0])
    model = df["Model"].astype(str).str.strip()
    summary = model == "Weighted Performance"
    if summary.sum() != 1:
        raise DataError("expected one 'Weighted Performance' row", file=path, field="Model")
    perf = pd.to_numeric(df.loc[~summary, "Performance"], errors="coerce")
    if perf.isna().any() or (perf < 0).any() or (perf > 1 + 1e-9).any():
        raise DataError("expected performance fractions in [0, 1]", file=path,
                        field="Performance")
    label = df.loc[~summary, "Flexibility"].astype(str).str.strip()
    flex = label.str.extract(r"^Flex\s*(\d+)$")[0]
    known = flex.notna() & flex.fillna(-1).astype(int).isin(list(FLEX_TIERS))
    if not known.all():
        raise DataError(f"expected Flex labels 'Flex 0'..'Flex 3', found "
                        f"{label[~known].tolist()}", file=path, field="Flexibility")
    out = pd.DataFrame({"measured_performance": perf.to_numpy(float),
                        "flex": flex.astype(int).to_numpy()},
                       index=pd.Index(model[~summary].to_numpy(), name="job"))
    out.attrs["weighted_performance"] = float(
        pd.to_numeric(df.loc[summary, "Performance"]).iloc[0])
    return out


def read_measured(event: Event, index: pd.DatetimeIndex) -> Measured:
    """Read the ``measured`` section of an event on the prediction's 1-min index.

    Raises
    ------
    DataError
        No ``measured`` section, unreadable files, or a meter that does not cover the index.
    """
    spec: MeasuredSpec | None = event.spec.measured
    if spec is None:
        raise DataError("the event file has no 'measured' section to score against",
                        file=event.path, field="measured")
    req = event.spec.request
    path = event.resolve(spec.file)
    df = _read_table(path, spec.sheet, spec.header_row)

    def series(col: str) -> pd.Series:
        s = _power_series(df, spec.time_column, col, spec.unit, path, req,
                          spec.shift_to_request_date)
        s = _regular_minutes(s, path)
        missing = index.difference(s.index)
        if len(missing):
            raise DataError(f"the meter does not cover the predicted horizon: "
                            f"{len(missing)} minutes missing, first {missing[0]}", file=path,
                            field=col)
        return s.reindex(index)

    total = series(spec.total_column).rename("measured_kw")
    jobs = pd.DataFrame({job: series(col) for job, col in spec.job_columns.items()},
                        index=index)
    ref = label = None
    if spec.reference is not None:
        r = spec.reference
        raw = _power_series(df, r.time_column, r.column, spec.unit, path, req,
                            spec.shift_to_request_date)
        ref = (steps_to_minutes(raw, index) if r.kind == "steps"
               else raw.reindex(index)).rename("reference_kw")
        label = r.label
    perf = span = None
    if spec.performance is not None:
        perf = read_job_performance(event.resolve(spec.performance.file))
        span = (local_time(req, spec.performance.span.start),
                local_time(req, spec.performance.span.end))
    a = local_time(req, spec.baseline_window.start)
    b = local_time(req, spec.baseline_window.end)
    inside = np.asarray((index >= a) & (index < b))
    if not inside.any():
        raise DataError("the baseline window holds no metered minute", file=event.path,
                        field="measured.baseline_window")
    return Measured(total, jobs, ref, label, perf, span, float(total[inside].mean()), inside)


def read_pre_notice(trace: TraceSpec, relative_to: Path, request: RequestSpec,
                    notice: pd.Timestamp, minutes: int) -> float:
    """Mean metered power over the ``minutes`` before notice, kW (nothing at or after notice).

    Raises
    ------
    DataError
        If the file does not hold every one of those minutes.
    """
    path = resolve_data_path(trace.file, relative_to)
    df = _read_table(path, trace.sheet, trace.header_row)
    s = _power_series(df, trace.time_column, trace.column, trace.unit, path, request,
                      trace.shift_to_request_date)
    before = s[s.index < notice]
    want = pd.date_range(notice - pd.Timedelta(minutes=minutes), notice, freq="min",
                         inclusive="left").tz_convert("UTC")
    missing = want.difference(before.index)
    if len(missing):
        raise DataError(f"telemetry lacks {len(missing)} of the {minutes} minutes before notice "
                        f"({notice})", file=path, field=trace.column)
    return float(before.reindex(want).mean())
