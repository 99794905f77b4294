"""Resolve a scenario's series fields onto the period's regular UTC index.

A series field is a number, a data file (``{file, format, column, unit, tz}``) or a seeded
generator. :class:`SeriesContext` turns each into a float series on the index, in the unit
the model wants, applying the file's gap policy and counting what it filled; components call
it from their ``prepare``.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from dcflex.data.generators import generate_series
from dcflex.errors import DataError, ScenarioError
from dcflex.scenario import FileSeries, GeneratedSeries, Scenario


def step_hours(step: str) -> float:
    """Length of a step such as '15min' in hours."""
    return pd.Timedelta(step) / pd.Timedelta(hours=1)


def period_index(scenario: Scenario) -> pd.DatetimeIndex:
    """Regular UTC index of the period: local midnight of start to local midnight of end.

    Where clocks jump forward at midnight (America/Havana, America/Santiago, ...) the local
    day begins at the first instant that exists (01:00); where they fall back to a second
    midnight, it begins at the first of the two.
    """
    tz = scenario.site.timezone

    def midnight(day) -> pd.Timestamp:
        return pd.Timestamp(day).tz_localize(tz, ambiguous=True, nonexistent="shift_forward"
                                             ).tz_convert("UTC")

    start, end = midnight(scenario.period.start), midnight(scenario.period.end)
    step = pd.Timedelta(scenario.period.step)
    span = end - start
    if span % step != pd.Timedelta(0):
        raise ScenarioError(
            f"step {scenario.period.step} does not divide the period of {span}",
            file=scenario.source_file, field="period.step",
        )
    return pd.date_range(start, end, freq=step, inclusive="left", name="time_utc")


@dataclass
class SeriesContext:
    """Resolves series specs of one scenario onto its index (used by components' ``prepare``)."""

    scenario: Scenario
    index: pd.DatetimeIndex
    step_hours: float
    filled: dict[str, int] = field(default_factory=dict)
    _weather: pd.DataFrame | None = None

    @property
    def timezone(self) -> str:
        return self.scenario.site.timezone

    @property
    def file(self) -> str | None:
        return self.scenario.source_file

    def resolve(
        self,
        spec: float | FileSeries | GeneratedSeries,
        field_name: str,
        unit: str,
        how: str = "mean",
        lo: float | None = None,
        hi: float | None = None,
    ) -> pd.Series:
        """Return ``spec`` as a float series on the index, in ``unit``.

        Parameters
        ----------
        spec : float, FileSeries or GeneratedSeries
        field_name : str
            Dotted scenario field, for messages and the filled-steps record.
        unit : str
            Unit the model wants.
        how : {"mean", "sum"}
            Aggregation when resampling (power/prices/intensities are averaged).
        lo, hi : float, optional
            Plausible range; values outside it are reported as a unit or data error.
        """
        if isinstance(spec, int | float):
            s = pd.Series(float(spec), index=self.index)
            src = self.file
        elif isinstance(spec, GeneratedSeries):
            s = generate_series(spec, self.index, self.timezone)
            src = self.file
        else:
            s = self._read_file(spec, field_name, unit, how)
            src = spec.file
        values = s.to_numpy(dtype=float)
        if not np.all(np.isfinite(values)):
            bad = s.index[~np.isfinite(values)][:3]
            raise DataError(
                f"non-finite values at {', '.join(str(t) for t in bad)}", file=src, field=field_name
            )
        if lo is not None and values.min() < lo - 1e-9:
            raise DataError(
                f"values must be >= {lo} {unit}, got minimum {values.min():.6g} "
                f"(wrong unit or scale?)", file=src, field=field_name,
            )
        if hi is not None and values.max() > hi + 1e-9:
            raise DataError(
                f"values must be <= {hi} {unit}, got maximum {values.max():.6g} "
                f"(wrong unit or scale?)", file=src, field=field_name,
            )
        return s.rename(field_name)

    def _read_file(self, spec: FileSeries, field_name: str, unit: str, how: str) -> pd.Series:
        from dcflex.data.readers import read_series
        from dcflex.data.timeseries import align_to_index
        from dcflex.data.units import convert

        path = resolve_data_path(spec.file)
        options = {"year": spec.year} if spec.year is not None else {}
        if spec.time_column is not None:
            options["time_column"] = spec.time_column
        try:
            raw, native_unit = read_series(
                path, spec.format, column=spec.column, tz=spec.tz, unit=spec.unit, **options
            )
        except DataError as exc:
            # name the scenario field too, so the user knows which entry points at the file
            where = field_name if not exc.field or exc.field == field_name else (
                f"{field_name} (column {exc.field})")
            raise DataError(exc.message, file=exc.file or path, field=where) from None
        target, rate = self._money(unit, native_unit, field_name, path)
        raw = convert(raw, native_unit, target, field=field_name, file=str(path),
                      exchange_rate=rate) * spec.scale
        aligned, n_filled = align_to_index(
            raw, self.index, how=how, gap_policy=spec.gap_policy, file=str(path), field=field_name
        )
        if n_filled:
            self.filled[field_name] = n_filled
        return aligned

    def _money(self, unit: str, native_unit: str, field_name: str, path: Path
               ) -> tuple[str, float | None]:
        """The unit to convert a file to and the exchange rate it takes.

        Money inside dcflex is in the scenario's reporting currency (``USD`` in the units the
        components ask for means that currency, :mod:`dcflex.scenario.currency`); a file's
        prices are in the currency of its own unit.
        """
        from dcflex.data.units import normalize_unit, unit_currency

        try:
            wanted, have = unit_currency(unit), unit_currency(native_unit)
        except DataError:
            return unit, None  # not a known unit: convert() says so
        if wanted is None:
            return unit, None
        currency = self.scenario.currency
        target = normalize_unit(unit).replace(wanted, currency, 1)
        if have is None or have == currency:
            return target, None
        rates = self.scenario.exchange_rates
        rate = None if rates is None else rates.rate(have, currency)
        if rate is None:
            raise DataError(
                f"the file's prices are in {have} but the scenario reports in {currency}: give "
                f"exchange_rates with {currency.lower()}_per_{have.lower()} (and its date and "
                f"source)", file=path, field=field_name)
        return target, rate

    def weather(self) -> pd.DataFrame | None:
        """The scenario's weather file on the index (columns with units), or None."""
        if self._weather is not None:
            return self._weather
        src = self.scenario.weather.source
        if src is None:
            return None
        from dcflex.data.readers import FORMATS
        from dcflex.data.timeseries import align_to_index, map_typical_year

        path = resolve_data_path(src.file)
        if src.format not in FORMATS:
            raise ScenarioError(
                f"unknown weather format {src.format!r}; expected one of {sorted(FORMATS)}",
                file=self.file, field="weather.source.format",
            )
        reader = FORMATS[src.format]
        frame = reader(path) if src.tz is None else reader(path, tz=src.tz)
        out = {}
        years = sorted(set(self.index.tz_convert(self.timezone).year))
        for col in frame.columns:
            s = frame[col].astype(float)
            if self.scenario.weather.typical_year:
                s = pd.concat([map_typical_year(s, y, self.timezone) for y in years])
                s = s[~s.index.duplicated()].sort_index()
            aligned, n = align_to_index(
                s, self.index, how="mean", gap_policy=src.gap_policy, file=str(path),
                field=f"weather.{col}",
            )
            if n:
                self.filled[col] = n
            out[col] = aligned
        self._weather = pd.DataFrame(out, index=self.index)
        return self._weather


def resolve_data_path(file: str) -> Path:
    """Resolve a data file reference.

    ``pvlib:NAME`` is a file bundled with pvlib (``pvlib/data``); ``data:PATH`` is a file of
    the reference data sets (``$DCFLEX_DATA`` or ``../shared/data``, see
    :func:`dcflex.data.datasets.shared_data_dir`); other paths were made absolute by the loader.
    A ``pvlib:`` or ``data:`` reference must stay inside its folder: ``..``, absolute paths and
    symbolic links that lead out of it are errors.

    Raises
    ------
    DataError
        If the file does not exist, leaves its folder or is a loop of symbolic links.
    """
    if file.startswith("pvlib:"):
        # locate pvlib without importing it (half a second): validate only checks files
        spec = importlib.util.find_spec("pvlib")
        if spec is None or spec.origin is None:
            raise DataError("pvlib is not installed", file=file)
        path = _inside(Path(spec.origin).parent / "data", file, "pvlib's bundled data folder")
    elif file.startswith("data:"):
        from dcflex.data.datasets import shared_data_dir

        path = _inside(shared_data_dir(), file, "the reference data folder ($DCFLEX_DATA)")
    else:
        path = Path(file)
    try:
        exists = path.exists()
    except OSError:  # a name too long for the file system, for one
        exists = False
    if not exists:
        if path.is_symlink():
            raise DataError("data file is a broken or looping symbolic link", file=path)
        raise DataError("data file not found", file=path)
    return path


def _inside(root: Path, reference: str, what: str) -> Path:
    """The file ``reference`` (``prefix:relative/path``) names under ``root``, if inside it."""
    relative = reference.split(":", 1)[1]
    try:
        base = root.resolve()
        path = (base / relative).resolve()
    except (RuntimeError, OSError):  # pathlib raises RuntimeError for loops before 3.13
        raise DataError("data file is a loop of symbolic links", file=reference) from None
    if Path(relative).is_absolute() or not path.is_relative_to(base):
        raise DataError(f"expected a path inside {what}; '..', absolute paths and links out "
                        "of it are not allowed", file=reference)
    return path


def check_data_files(scenario: Scenario) -> int:
    """Check that every data file a scenario names exists, without reading it.

    Returns
    -------
    int
        How many file references were checked.

    Raises
    ------
    DataError
        Naming the first missing file and the scenario field that refers to it.
    """
    checked = 0

    def walk(node: Any, field: str) -> None:
        nonlocal checked
        if isinstance(node, dict):
            for key, value in node.items():
                here = f"{field}.{key}" if field else key
                if key == "file" and isinstance(value, str):
                    refs = [value]
                elif key == "files" and isinstance(value, list):
                    refs = [v for v in value if isinstance(v, str)]
                else:
                    walk(value, here)
                    continue
                for ref in refs:
                    try:
                        resolve_data_path(ref)
                    except DataError as exc:
                        raise DataError(exc.message, file=exc.file, field=field) from None
                    checked += 1
        elif isinstance(node, list):
            for i, item in enumerate(node):
                walk(item, f"{field}[{i}]")

    walk(scenario.model_dump(mode="json", exclude={"source_file"}), "")
    return checked
