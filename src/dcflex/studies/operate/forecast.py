"""Forecasts of the uncertain input series, as a rolling-horizon operator would have them.

A forecast is issued at the start of a step ``s`` (the values of steps ``< s`` are observed) and
covers the ``horizon`` steps ``s .. s + horizon - 1``. Methods, chosen per series:

``perfect``
    The actual values (hindsight; the reference for the value of information).
``persistence``
    The value one lag earlier (24 h: "same hour yesterday", 168 h: "same hour last week"),
    repeated: the target ``t`` gets the most recent ``t - k·lag`` that is observed at issue.
    The lag is counted in steps of the UTC index, so for the day after a daylight-saving
    change "same hour yesterday" is one local hour off (two days a year).
``day-ahead``
    Values are published for the next local day at a clearing hour. The default, 13:00 local,
    is when CAISO publishes its day-ahead market results (bids close at 10:00 Pacific the day
    before; CAISO Business Practice Manual for Market Operations, day-ahead market timeline —
    not checked against the current manual here: set ``clear_hour`` for your market). Targets
    up to the end of the last published day get the actual value; later targets fall back to
    persistence of that day.
``noisy``
    Actual × (1 + e), e an AR(1) sequence along the lead time (new draw per issue), Gaussian
    with σ = MAPE·√(π/2), so that E|e| — the mean absolute percentage error — is the stated
    MAPE (for e ~ N(0, σ²), E|e| = σ·√(2/π)). Seeded: the same seed gives the same forecasts.
``file``
    A user forecast file (CSV or Parquet): columns ``time_utc`` (target), optionally
    ``issued_utc``, and a value column in the unit of the series in
    :class:`~dcflex.model.inputs.Inputs`.
    With ``issued_utc``, each issue uses the latest forecast issued at or before it. Prices
    are market prices, as in the tariff's price file: the tariff's ``adder_usd_per_mwh`` is
    added to the energy price forecast. One file column given for the ``price`` group fills
    the energy, wholesale and export price forecasts.

Forecasts are clipped to the physical range of the series (no negative PV, PUE >= 1,
fractions in 0..1, inference demand between idle and full power); clipping a noisy forecast
changes its error statistics slightly near those limits.

Before one lag of history exists (the first day of a run), persistence and the day-ahead
fallback read the same hour in the first lag of the period: this leaks at most one lag of
actual values at the very start.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.signal import lfilter

from dcflex.errors import DataError, ScenarioError
from dcflex.model.prepared import Inputs

METHODS = ("perfect", "persistence", "day-ahead", "noisy", "file")

# Groups of series a user can name instead of columns. Series not listed here (import limit,
# PPA profile) are contractual and known in advance: always perfect.
GROUPS: dict[str, tuple[str, ...]] = {
    "price": ("energy_price_usd_per_mwh", "wholesale_price_usd_per_mwh",
              "export_price_usd_per_mwh"),
    "carbon": ("carbon_avg_kg_per_mwh", "carbon_marginal_kg_per_mwh"),
    "cfe": ("grid_cfe_fraction",),
    "pv": ("pv_available_mw",),
    "wind": ("wind_available_mw",),
    "pue": ("pue",),
    "demand": (),  # inference_demand_mw__<class>, filled from the inputs
}
DEMAND_PREFIX = "inference_demand_mw__"


@dataclass(frozen=True)
class ForecastSpec:
    """How one series is forecast.

    Parameters
    ----------
    method : {"perfect", "persistence", "day-ahead", "noisy", "file"}
    lag_h : float
        Persistence lag, h (24 = same hour yesterday, 168 = last week); also the fallback of
        ``day-ahead`` beyond the last published day.
    clear_hour : float
        ``day-ahead``: local hour at which the next day's values are published (default 13,
        the CAISO day-ahead publication time, see the module docstring).
    mape : float
        ``noisy``: mean absolute percentage error as a fraction (0.1 = 10 %).
    autocorrelation : float
        ``noisy``: lag-one autocorrelation of the error along the lead time, 0 <= φ < 1.
    seed : int, optional
        ``noisy``: seed; the scenario's seed if omitted. Each series draws from its own stream
        (seed and series name), each issue from its own substream (its step).
    file, column : str, optional
        ``file``: the forecast file and its value column (the series name if omitted).
    """

    method: str = "perfect"
    lag_h: float = 24.0
    clear_hour: float = 13.0
    mape: float = 0.1
    autocorrelation: float = 0.9
    seed: int | None = None
    file: str | None = None
    column: str | None = None

    def __post_init__(self) -> None:
        if self.method not in METHODS:
            raise ScenarioError(f"unknown forecast method {self.method!r}; expected one of "
                                f"{', '.join(METHODS)}", field="forecast")
        if self.lag_h <= 0:
            raise ScenarioError(f"persistence lag must be > 0 h, got {self.lag_h}",
                                field="forecast.lag_h")
        if not 0 <= self.clear_hour < 24:
            raise ScenarioError(f"clear_hour must be in [0, 24), got {self.clear_hour}",
                                field="forecast.clear_hour")
        if self.mape < 0:
            raise ScenarioError(f"mape must be >= 0, got {self.mape}", field="forecast.mape")
        if not 0 <= self.autocorrelation < 1:
            raise ScenarioError(f"autocorrelation must be in [0, 1), got {self.autocorrelation}",
                                field="forecast.autocorrelation")
        if self.method == "file" and not self.file:
            raise ScenarioError("method 'file' needs a file", field="forecast.file")

    def describe(self) -> str:
        """Short text, e.g. ``noisy (MAPE 10%, φ 0.9)``."""
        if self.method == "persistence":
            return f"persistence ({self.lag_h:g} h)"
        if self.method == "day-ahead":
            return f"day-ahead (published {self.clear_hour:g}:00 local, then {self.lag_h:g} h " \
                   f"persistence)"
        if self.method == "noisy":
            return f"noisy (MAPE {100 * self.mape:g}%, φ {self.autocorrelation:g})"
        if self.method == "file":
            return f"file {self.file}" + (f" [{self.column}]" if self.column else "")
        return self.method


def parse_forecast(text: str) -> ForecastSpec:
    """Parse a compact forecast text.

    ``perfect``, ``persistence[:LAG_H]`` (also ``persistence:week``), ``day-ahead[:CLEAR_HOUR]``,
    ``noisy:MAPE[:PHI[:SEED]]`` (MAPE as a fraction or with ``%``), ``file:PATH[#COLUMN]``.
    """
    text = text.strip()
    method, _, rest = text.partition(":")
    method = method.strip().lower().replace("_", "-")
    try:
        if method == "perfect" and not rest:
            return ForecastSpec("perfect")
        if method == "persistence":
            lag = {"": 24.0, "day": 24.0, "week": 168.0}.get(rest.strip())
            return ForecastSpec("persistence", lag_h=lag if lag is not None else float(rest))
        if method in ("day-ahead", "dayahead"):
            return ForecastSpec("day-ahead", clear_hour=float(rest) if rest else 13.0)
        if method == "noisy":
            parts = rest.split(":") if rest else []
            if not parts:
                raise ValueError("noisy needs a MAPE, e.g. noisy:0.1")
            m = parts[0].strip()
            mape = float(m[:-1]) / 100 if m.endswith("%") else float(m)
            phi = float(parts[1]) if len(parts) > 1 else 0.9
            seed = int(parts[2]) if len(parts) > 2 else None
            return ForecastSpec("noisy", mape=mape, autocorrelation=phi, seed=seed)
        if method == "file" and rest:
            path, _, col = rest.partition("#")
            return ForecastSpec("file", file=path, column=col or None)
    except ValueError as exc:
        raise ScenarioError(f"cannot read forecast {text!r}: {exc}", field="forecast") from None
    raise ScenarioError(
        f"cannot read forecast {text!r}; expected perfect, persistence[:LAG_H], "
        f"day-ahead[:CLEAR_HOUR], noisy:MAPE[:PHI[:SEED]] or file:PATH[#COLUMN]",
        field="forecast")


def parse_forecast_options(items: list[str] | tuple[str, ...]) -> dict[str, ForecastSpec]:
    """Parse ``KEY=SPEC`` items (``KEY``: ``all``, a group or a column; bare SPEC = ``all``)."""
    out: dict[str, ForecastSpec] = {}
    for item in items:
        for part in item.split(","):
            if not part.strip():
                continue
            key, eq, spec = part.partition("=")
            if not eq:
                key, spec = "all", part
            out[key.strip()] = parse_forecast(spec)
    return out


def forecast_columns(inputs: Inputs) -> list[str]:
    """Columns of ``inputs.series`` that are forecast (all other series are known ahead)."""
    cols = [c for g, names in GROUPS.items() for c in names if c in inputs.series]
    cols += [c for c in inputs.series if c.startswith(DEMAND_PREFIX)]
    return cols


def _group_columns(group: str, inputs: Inputs) -> list[str]:
    if group == "demand":
        return [c for c in inputs.series if c.startswith(DEMAND_PREFIX)]
    return [c for c in GROUPS[group] if c in inputs.series]


def resolve_forecasts(
    forecasts: Mapping[str, ForecastSpec | str] | ForecastSpec | str | None,
    inputs: Inputs,
) -> dict[str, ForecastSpec]:
    """Forecast spec of every forecast column: ``all`` < group < column, default ``perfect``.

    Parameters
    ----------
    forecasts : mapping, ForecastSpec, str or None
        Keys ``all``, a group (``price``, ``carbon``, ``cfe``, ``pv``, ``wind``, ``pue``,
        ``demand``) or a column of ``inputs.series``; values specs or compact texts
        (:func:`parse_forecast`). A single spec applies to all series.

    Raises
    ------
    ScenarioError
        For an unknown key, or a group or column the scenario does not have.
    """
    cols = forecast_columns(inputs)
    if forecasts is None:
        forecasts = {}
    elif isinstance(forecasts, ForecastSpec | str):
        forecasts = {"all": forecasts}
    specs = {k: parse_forecast(v) if isinstance(v, str) else v for k, v in forecasts.items()}
    out = {c: ForecastSpec("perfect") for c in cols}
    if "all" in specs:
        out = {c: specs["all"] for c in cols}
    for key, spec in specs.items():
        if key in GROUPS:
            group_cols = _group_columns(key, inputs)
            if not group_cols:
                raise ScenarioError(
                    f"forecast group {key!r} names no series of this scenario (it has no "
                    f"{key} input); forecast series are {', '.join(cols)}", field="forecast")
            for c in group_cols:
                out[c] = spec
    for key, spec in specs.items():
        if key == "all" or key in GROUPS:
            continue
        if key not in out:
            raise ScenarioError(
                f"unknown forecast series {key!r}; expected all, a group "
                f"({', '.join(GROUPS)}) or one of {', '.join(cols)}", field="forecast")
        out[key] = spec
    return out


def series_bounds(inputs: Inputs) -> dict[str, tuple[float, float]]:
    """Physical range of each forecast column (forecasts are clipped to it)."""
    bounds: dict[str, tuple[float, float]] = {}
    for c in forecast_columns(inputs):
        if c.startswith(DEMAND_PREFIX):
            cp = inputs.params["workload"]["classes"][c[len(DEMAND_PREFIX):]]
            bounds[c] = (cp.idle_mw, cp.full_mw)
        elif c == "pue":
            bounds[c] = (1.0, np.inf)
        elif c == "grid_cfe_fraction":
            bounds[c] = (0.0, 1.0)
        elif c.endswith("_usd_per_mwh"):
            bounds[c] = (-np.inf, np.inf)
        else:
            bounds[c] = (0.0, np.inf)
    return bounds


def ar1_errors(n_issues: int, horizon: int, mape: float, autocorrelation: float,
               seed: int, name: str, issue_steps: np.ndarray | None = None) -> np.ndarray:
    """Relative forecast errors, one AR(1) row per issue, stationary N(0, σ²), σ = MAPE·√(π/2).

    Parameters
    ----------
    n_issues, horizon : int
        Rows (issues) and columns (lead times).
    mape : float
        Target E|e| (fraction).
    autocorrelation : float
        φ, the lag-one autocorrelation along the lead time.
    seed : int
        Seed; the stream of each row is ``(seed, crc32(name), issue step)``, so a row does not
        depend on which other rows are drawn.
    name : str
        Series name.
    issue_steps : numpy.ndarray, optional
        Step of each issue (0..n-1 if omitted).

    Returns
    -------
    numpy.ndarray
        Shape (n_issues, horizon).
    """
    steps = np.arange(n_issues) if issue_steps is None else np.asarray(issue_steps)
    sigma = mape * math.sqrt(math.pi / 2)
    phi = autocorrelation
    key = zlib.crc32(name.encode())
    eps = np.empty((n_issues, horizon))
    for i, s in enumerate(steps):
        eps[i] = np.random.default_rng([int(seed), key, int(s)]).standard_normal(horizon)
    drive = eps * (sigma * math.sqrt(1 - phi * phi))
    drive[:, 0] = eps[:, 0] * sigma  # first lead drawn from the stationary law
    return lfilter([1.0], [1.0, -phi], drive, axis=1)


def known_end_steps(index: pd.DatetimeIndex, starts: np.ndarray, clear_hour: float,
                    timezone: str) -> np.ndarray:
    """First step not yet published at each issue (day-ahead market semantics).

    At local time ``τ`` on day ``d``, values through the end of day ``d`` are published, and
    through the end of ``d + 1`` once ``τ`` is at or past ``clear_hour``.
    """
    issue = index[starts].tz_convert(timezone)
    hours = issue.hour + issue.minute / 60
    day = issue.normalize().tz_localize(None)
    extra = np.where(hours >= clear_hour, 2, 1)
    end_local = day + pd.to_timedelta(extra, unit="D")
    end_utc = end_local.tz_localize(timezone, nonexistent="shift_forward",
                                    ambiguous=False).tz_convert("UTC")
    return np.maximum(index.searchsorted(end_utc), starts)


def _repeat_from(t: np.ndarray, known_end: np.ndarray, lag: int) -> np.ndarray:
    """Source step of persistence: the latest ``t - k·lag`` (k >= 1) before ``known_end``."""
    k = np.maximum(1, np.ceil((t - known_end[:, None] + 1) / lag)).astype(np.int64)
    src = t - k * lag
    return np.where(src < 0, np.mod(src, lag), src)


@dataclass
class FileForecast:
    """Forecasts read from a file, aligned to the inputs' index (issues × steps, NaN = none)."""

    issued: pd.DatetimeIndex | None
    values: np.ndarray
    file: str
    column: str

    def rows(self, index: pd.DatetimeIndex, starts: np.ndarray, horizon: int) -> np.ndarray:
        T = len(index)
        t = np.minimum(starts[:, None] + np.arange(horizon)[None, :], T - 1)
        if self.issued is None:
            out = self.values[0][t]
        else:
            latest = self.issued.searchsorted(index[starts], side="right") - 1
            out = np.full(t.shape, np.nan)
            for i, j in enumerate(latest):
                for k in range(j, -1, -1):  # newest issue first, older ones fill its gaps
                    row = out[i]
                    gap = np.isnan(row)
                    if not gap.any():
                        break
                    row[gap] = self.values[k][t[i][gap]]
        valid_len = np.minimum(horizon, T - starts)
        for i in range(len(starts)):
            bad = np.isnan(out[i, : valid_len[i]])
            if bad.any():
                first = index[t[i][np.argmax(bad)]]
                raise DataError(
                    f"no forecast for {first} issued at or before {index[starts[i]]}",
                    file=self.file, field=self.column)
        return out


def read_forecast_file(path: str | Path, column: str, index: pd.DatetimeIndex) -> FileForecast:
    """Read a forecast file (CSV or Parquet, see the module docstring) onto ``index``.

    Raises
    ------
    DataError
        If the file, its ``time_utc`` column or the value column is missing, or a time is not
        a step of the index.
    """
    from dcflex.data.series import resolve_data_path

    p = resolve_data_path(str(path))
    frame = pd.read_parquet(p) if p.suffix in (".parquet", ".pq") else pd.read_csv(p)
    for needed in ("time_utc", column):
        if needed not in frame:
            raise DataError(f"expected a column {needed!r}, found {list(frame.columns)}",
                            file=p, field=column)
    try:
        times = pd.to_datetime(frame["time_utc"], utc=True)
        issued = (pd.to_datetime(frame["issued_utc"], utc=True)
                  if "issued_utc" in frame else None)
    except (ValueError, TypeError) as exc:
        raise DataError(f"cannot parse a time stamp ({exc}); expected ISO 8601 times",
                        file=p, field="time_utc/issued_utc") from None
    try:
        vals = pd.to_numeric(frame[column]).to_numpy(dtype=float)
    except (ValueError, TypeError) as exc:
        raise DataError(f"expected numbers, {exc}", file=p, field=column) from None
    pos = index.get_indexer(pd.DatetimeIndex(times))
    if (pos < 0).any():
        first = times[pos < 0].iloc[0]
        raise DataError(f"time {first} is not a step of the scenario period", file=p,
                        field="time_utc")
    if issued is None:
        row = np.full(len(index), np.nan)
        row[pos] = vals
        return FileForecast(None, row[None, :], str(p), column)
    issues = pd.DatetimeIndex(sorted(set(issued)))
    table = np.full((len(issues), len(index)), np.nan)
    table[issues.get_indexer(pd.DatetimeIndex(issued)), pos] = vals
    return FileForecast(issues, table, str(p), column)


@dataclass
class Forecaster:
    """Forecasts of every forecast column for a set of issue steps.

    Parameters
    ----------
    inputs : Inputs
        Actual series (the truth forecasts are made of).
    specs : dict
        Forecast spec per column (:func:`resolve_forecasts`).
    horizon : int
        Look-ahead, steps.
    """

    inputs: Inputs
    specs: dict[str, ForecastSpec]
    horizon: int
    _files: dict[str, FileForecast] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._actual = {c: self.inputs.series[c].to_numpy(dtype=float) for c in self.specs}
        self._bounds = series_bounds(self.inputs)
        for c, spec in self.specs.items():
            if spec.method == "file":
                ff = read_forecast_file(spec.file, spec.column or c, self.inputs.index)
                if c == "energy_price_usd_per_mwh":
                    # a price forecast file holds market prices, like the tariff's price file
                    ff.values = ff.values + self.inputs.scenario.tariff.adder_usd_per_mwh
                self._files[c] = ff

    @property
    def all_perfect(self) -> bool:
        return all(s.method == "perfect" for s in self.specs.values())

    def rows(self, column: str, starts: np.ndarray) -> np.ndarray:
        """Forecasts of ``column`` issued at each of ``starts``: shape (len(starts), horizon).

        Targets past the end of the period repeat the last step (callers cut them off).
        """
        starts = np.asarray(starts, dtype=np.int64)
        spec = self.specs[column]
        actual = self._actual[column]
        inputs = self.inputs
        T, H, dt = len(actual), self.horizon, inputs.step_hours
        t = np.minimum(starts[:, None] + np.arange(H)[None, :], T - 1)
        lag = max(1, int(round(spec.lag_h / dt)))
        if spec.method == "perfect":
            out = actual[t]
        elif spec.method == "persistence":
            out = actual[_repeat_from(t, starts, lag)]
        elif spec.method == "day-ahead":
            ke = known_end_steps(inputs.index, starts, spec.clear_hour,
                                 inputs.scenario.site.timezone)
            out = np.where(t < ke[:, None], actual[t], actual[_repeat_from(t, ke, lag)])
        elif spec.method == "noisy":
            seed = inputs.scenario.seed if spec.seed is None else spec.seed
            err = ar1_errors(len(starts), H, spec.mape, spec.autocorrelation, seed, column,
                             starts)
            out = actual[t] * (1.0 + err)
        else:
            out = self._files[column].rows(inputs.index, starts, H)
        lo, hi = self._bounds.get(column, (-np.inf, np.inf))
        if spec.method != "perfect" and (np.isfinite(lo) or np.isfinite(hi)):
            out = np.clip(out, lo, hi)
        return out

    def window(self, starts: np.ndarray) -> dict[str, np.ndarray]:
        """All columns' forecasts for ``starts`` (shape (len(starts), horizon) each)."""
        return {c: self.rows(c, starts) for c in self.specs}


def forecast_frame(inputs: Inputs, forecasts, issued: str | pd.Timestamp,
                   horizon_h: float = 48.0) -> pd.DataFrame:
    """The forecasts issued at one time, as a frame on the target steps (for inspection).

    Parameters
    ----------
    inputs : Inputs
    forecasts : mapping, ForecastSpec, str or None
        As for :func:`resolve_forecasts`.
    issued : str or Timestamp
        Issue time (UTC if naive); must be a step of the period.
    horizon_h : float
        Look-ahead, h.
    """
    ts = pd.Timestamp(issued)
    ts = ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")
    s = inputs.index.get_indexer([ts])[0]
    if s < 0:
        raise ScenarioError(f"issue time {ts} is not a step of the period", field="forecast")
    H = min(int(round(horizon_h / inputs.step_hours)), inputs.n_steps - s)
    fc = Forecaster(inputs, resolve_forecasts(forecasts, inputs), H)
    rows = fc.window(np.array([s]))
    return pd.DataFrame({c: v[0] for c, v in rows.items()}, index=inputs.index[s:s + H])
