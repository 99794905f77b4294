"""Currencies of a scenario: the reporting currency, exchange rates, money spelled in any.

A scenario reports in one currency (``currency: EUR``, an ISO 4217 code; default ``USD``).
Every money input is converted to it when the scenario is loaded:

- a money field says its currency in its name: ``adder_eur_per_mwh: 12`` is 12 EUR/MWh,
  ``adder_usd_per_mwh: 12`` is 12 USD/MWh (the token between underscores is the ISO code);
- a data file's prices are in the file's unit (``EUR/MWh`` for ENTSO-E, ``USD/MWh`` for
  green-dcc, or the ``unit:`` given), converted when the series is read;
- an amount in another currency than the reporting one needs a rate from
  ``exchange_rates``, inline or from a rate table file, always with its date and source::

      currency: EUR
      exchange_rates: {rates: {usd_per_eur: 1.07764}, date: 2023-12-31,
                       source: "fixed rate green-dcc applied to its 2023 DE-LU prices"}
      exchange_rates: {file: rates_2023.csv}   # columns pair, rate, date, source

``usd_per_eur: 1.07764`` reads "1 EUR = 1.07764 USD"; the inverse direction is derived. One
rate per pair for the whole period: a scenario is priced as if the rate held throughout (the
rate's date says which day's rate that is).

Inside dcflex every money value is then in the reporting currency and keeps the internal
name with ``usd`` (see :mod:`dcflex.results.currency`, which names outputs in the reporting
currency again).
"""

from __future__ import annotations

import csv
import datetime as dt
import re
import typing
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, model_validator

from dcflex.errors import ScenarioError
from dcflex.scenario.dates import IsoDate
from dcflex.scenario.series import StrictModel

CODE = re.compile(r"^[A-Z]{3}$")
_PAIR = re.compile(r"^([a-z]{3})_per_([a-z]{3})$")
#: Fields of a generator scaled by an exchange rate (the others are relative or unitless).
GENERATOR_MONEY_FIELDS = ("mean", "noise_std", "minimum", "maximum")
RATE_COLUMNS = ("pair", "rate", "date", "source")


class ExchangeRates(StrictModel):
    """Exchange rates of a scenario, inline or from a rate table file, with date and source."""

    file: str | None = Field(
        None, description="Rate table CSV with columns pair, rate, date, source (one row per "
                          "pair, e.g. usd_per_eur,1.0813,2023-12-29,ECB reference rate).")
    rates: dict[str, float] = Field(
        default_factory=dict,
        description="Rates by pair '<to>_per_<from>': usd_per_eur: 1.0813 means 1 EUR = "
                    "1.0813 USD.")
    date: IsoDate | None = Field(None, description="Date the rates are quoted for (ISO).")
    source: str | None = Field(None, description="Where the rates come from.")

    @model_validator(mode="after")
    def _complete(self) -> ExchangeRates:
        if self.file is not None:
            rates, when, source = read_rate_table(self.file)
            for pair, value in rates.items():
                if pair in self.rates and abs(self.rates[pair] - value) > 1e-12 * value:
                    raise ValueError(f"rate {pair} is {self.rates[pair]} inline but {value} "
                                     f"in {self.file}")
            object.__setattr__(self, "rates", {**self.rates, **rates})
            if self.date is None:
                object.__setattr__(self, "date", when)
            if self.source is None:
                object.__setattr__(self, "source", source)
        for pair, value in self.rates.items():
            if not _PAIR.match(pair):
                raise ValueError(f"rate name {pair!r}: expected '<to>_per_<from>' with ISO "
                                 "codes, e.g. usd_per_eur")
            if not value > 0 or value == float("inf"):
                raise ValueError(f"rate {pair} must be a positive number, got {value}")
        if not self.rates:
            raise ValueError("give rates (e.g. usd_per_eur: 1.0813) or a rate table file")
        if self.date is None or not self.source:
            raise ValueError("state the rates' date and source (exchange_rates.date, "
                             "exchange_rates.source)")
        return self

    def rate(self, from_currency: str, to_currency: str) -> float | None:
        """Units of ``to_currency`` per unit of ``from_currency``, or None if not given."""
        if from_currency == to_currency:
            return 1.0
        direct = self.rates.get(f"{to_currency.lower()}_per_{from_currency.lower()}")
        if direct is not None:
            return direct
        inverse = self.rates.get(f"{from_currency.lower()}_per_{to_currency.lower()}")
        return None if inverse is None else 1.0 / inverse

    def describe(self) -> str:
        """The rates in words, e.g. ``1 EUR = 1.07764 USD (2023-12-31; source ...)``."""
        parts = []
        for pair, value in self.rates.items():
            to, frm = _PAIR.match(pair).groups()  # type: ignore[union-attr]
            parts.append(f"1 {frm.upper()} = {value:g} {to.upper()}")
        return f"{', '.join(parts)} ({self.date}; {self.source})"


def read_rate_table(path: str | Path) -> tuple[dict[str, float], dt.date, str]:
    """Read a rate table CSV: columns ``pair, rate, date, source``, one row per pair.

    Returns
    -------
    rates, date, source
        Rates by pair, the latest date of the rows, the distinct sources joined by "; ".

    Raises
    ------
    ValueError
        Naming the file and the row (pydantic turns it into one line naming the field).
    """
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"rate table not found: {path}")
    with open(path, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    if not rows or set(RATE_COLUMNS) - set(rows[0]):
        raise ValueError(f"{path}: expected a CSV with columns {', '.join(RATE_COLUMNS)}")
    rates: dict[str, float] = {}
    dates, sources = [], []
    for i, row in enumerate(rows, start=2):
        try:
            rates[row["pair"].strip()] = float(row["rate"])
            dates.append(dt.date.fromisoformat(row["date"].strip()))
        except (TypeError, ValueError):
            raise ValueError(f"{path} line {i}: expected a number rate and an ISO date "
                             f"(YYYY-MM-DD), got {row['rate']!r}, {row['date']!r}") from None
        if row["source"] and row["source"].strip() not in sources:
            sources.append(row["source"].strip())
    return rates, max(dates), "; ".join(sources)


class Spelled:
    """A money value written in another currency than the internal name's (``_eur_``)."""

    __slots__ = ("currency", "value")

    def __init__(self, value: Any, currency: str) -> None:
        self.value = value
        self.currency = currency


def money_fields(model: type[BaseModel]) -> frozenset[str]:
    """Names of every money field of a model and the models it holds (token ``usd``)."""
    found: set[str] = set()
    seen: set[type] = set()

    def visit(tp: Any) -> None:
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            if tp in seen:
                return
            seen.add(tp)
            for name, info in tp.model_fields.items():
                if re.search(r"(?:^|_)usd(?:_|$)", name):
                    found.add(name)
                visit(info.annotation)
            return
        for arg in typing.get_args(tp):
            visit(arg)

    visit(model)
    return frozenset(found)


def _spelled_as(key: str, fields: frozenset[str]) -> tuple[str, str] | None:
    """(internal name, currency) of a key written with another currency code, if it is one."""
    for m in re.finditer(r"(?:^|_)([a-z]{3})(?=_|$)", key):
        code = m.group(1)
        if code == "usd":
            continue
        start = m.start(1)
        internal = key[:start] + "usd" + key[start + 3:]
        if internal in fields:
            return internal, code.upper()
    return None


def spell_money(data: Any, fields: frozenset[str], file: Any = None,
                path: tuple = ()) -> tuple[Any, dict[tuple, tuple]]:
    """Rename money keys written in another currency to their internal names, wrapping the
    value in :class:`Spelled`; return the data and {internal path: written path}.

    Raises
    ------
    ScenarioError
        If one mapping gives the same amount in two currencies.
    """
    renamed: dict[tuple, tuple] = {}
    if isinstance(data, dict):
        out: dict = {}
        for key, value in data.items():
            spelled = _spelled_as(key, fields) if isinstance(key, str) else None
            name = spelled[0] if spelled else key
            value, inner = spell_money(value, fields, file, (*path, key))
            renamed.update({(*path, name, *k[len(path) + 1:]): v for k, v in inner.items()})
            if name in out:
                raise ScenarioError(f"the same amount is given twice, as {name} and {key}; "
                                    "keep one", file=file, field=".".join(map(str, path)))
            out[name] = Spelled(value, spelled[1]) if spelled else value
            if spelled:
                renamed[(*path, name)] = (*path, key)
        return out, renamed
    if isinstance(data, list):
        items = []
        for i, v in enumerate(data):
            item, inner = spell_money(v, fields, file, (*path, i))
            items.append(item)
            renamed.update(inner)
        return items, renamed
    return data, renamed


def _walk_money(data: Any, fields: frozenset[str], path: tuple = ()
                ) -> Iterator[tuple[dict, str, tuple]]:
    """Every (mapping, key, path) whose key is a money field."""
    if isinstance(data, dict):
        for key, value in data.items():
            if key in fields:
                yield data, key, (*path, key)
            inner = value.value if isinstance(value, Spelled) else value
            yield from _walk_money(inner, fields, (*path, key))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            yield from _walk_money(v, fields, (*path, i))


def _scale(value: Any, factor: float) -> Any:
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return value * factor
    if isinstance(value, dict) and "generator" in value:
        return {k: (_scale(v, factor) if k in GENERATOR_MONEY_FIELDS else v)
                for k, v in value.items()}
    return value  # a file keeps its own unit (converted when read), "wholesale", ...


def to_reporting_currency(data: dict, fields: frozenset[str], file: Any = None) -> dict:
    """Convert every money value of a merged raw scenario to its reporting currency, in place.

    Values under internal names (``_usd_``) are in USD; :class:`Spelled` values are in their
    currency. Data files are left to the reader (their unit says their currency).

    Raises
    ------
    ScenarioError
        For a malformed ``currency`` or ``exchange_rates``, or an amount whose currency has
        no rate to the reporting currency.
    """
    currency = data.get("currency", "USD")
    if not isinstance(currency, str) or not CODE.match(currency):
        raise ScenarioError(f"expected an ISO 4217 code such as USD or EUR, got {currency!r}",
                            file=file, field="currency")
    rates = None
    for mapping, key, path in list(_walk_money(data, fields)):
        value = mapping[key]
        source = value.currency if isinstance(value, Spelled) else "USD"
        inner = value.value if isinstance(value, Spelled) else value
        if source != currency:
            if isinstance(inner, dict) and "file" in inner:
                mapping[key] = inner
                continue
            if rates is None:
                rates = parse_rates(data.get("exchange_rates"), file)
            factor = None if rates is None else rates.rate(source, currency)
            if factor is None:
                where = ".".join(map(str, path[:-1] + (path[-1].replace("usd",
                                                                     source.lower(), 1),)))
                raise ScenarioError(
                    f"the amount is in {source} but the scenario reports in {currency}: give "
                    f"exchange_rates with {currency.lower()}_per_{source.lower()} (and its "
                    f"date and source), or write it in {currency}", file=file, field=where)
            inner = _scale(inner, factor)
        mapping[key] = inner
    return data


def parse_rates(spec: Any, file: Any = None) -> ExchangeRates | None:
    """The scenario's ``exchange_rates`` validated, or None if it has none."""
    if spec is None:
        return None
    from pydantic import ValidationError

    try:
        return ExchangeRates.model_validate(spec)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = ".".join(str(p) for p in ("exchange_rates", *err["loc"]))
        raise ScenarioError(err["msg"].replace("Value error, ", ""), file=file,
                            field=loc) from None
