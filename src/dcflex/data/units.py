"""Physical units of input data: canonical spellings, families and conversion.

dcflex computes in MW, MWh, USD/MWh, kg CO2/MWh (= g/kWh) and degC. Data files arrive in
whatever their source publishes (Open-Meteo wind in km/h, eGRID-style factors in lb/MWh,
retail tariffs in cents/kWh, ENTSO-E prices in EUR/MWh); :func:`convert` brings them over and
refuses conversions between different quantities instead of guessing.

Constants
---------
- 1 lb = 0.45359237 kg exactly (International Yard and Pound Agreement, 1959; NIST SP 811,
  appendix B).
- 1 atm = 101 325 Pa exactly (CGPM 1954; NIST SP 811).
- 1 mile = 1609.344 m exactly (same agreement), so 1 mph = 0.44704 m/s.
- degF = degC * 9/5 + 32, K = degC + 273.15 (NIST SP 811, sec. 4.2.1.1).
- There is no fixed exchange rate: converting a price between currencies needs the caller's
  rate (``exchange_rate``, or ``eur_to_usd`` for the EUR/USD pair). Prices may be in any ISO
  4217 currency (``GBP/MWh``, ``JPY/kWh``); USD and EUR have their usual spellings.
"""

from __future__ import annotations

import re
from typing import Any, NamedTuple

import numpy as np

from dcflex.errors import DataError

LB_KG = 0.45359237
"""Kilograms per avoirdupois pound (exact, NIST SP 811 appendix B)."""


class _Unit(NamedTuple):
    family: str
    scale: float  # multiply by this to get the family's base unit
    offset: float = 0.0  # added after scaling (temperature only)
    currency: str | None = None  # price units: which currency the number is in


# Base units: W, Wh, USD/MWh (per currency), kg/MWh, degC, m/s, W/m2, fraction, Pa, deg.
_UNITS: dict[str, _Unit] = {
    "W": _Unit("power", 1.0),
    "kW": _Unit("power", 1e3),
    "MW": _Unit("power", 1e6),
    "GW": _Unit("power", 1e9),
    "Wh": _Unit("energy", 1.0),
    "kWh": _Unit("energy", 1e3),
    "MWh": _Unit("energy", 1e6),
    "GWh": _Unit("energy", 1e9),
    "USD/MWh": _Unit("price", 1.0, currency="USD"),
    "USD/kWh": _Unit("price", 1e3, currency="USD"),
    "cents/kWh": _Unit("price", 10.0, currency="USD"),
    "EUR/MWh": _Unit("price", 1.0, currency="EUR"),
    "EUR/kWh": _Unit("price", 1e3, currency="EUR"),
    "g/kWh": _Unit("carbon_intensity", 1.0),
    "kg/MWh": _Unit("carbon_intensity", 1.0),
    "t/MWh": _Unit("carbon_intensity", 1e3),
    "lb/MWh": _Unit("carbon_intensity", LB_KG),
    "degC": _Unit("temperature", 1.0),
    "K": _Unit("temperature", 1.0, -273.15),
    "degF": _Unit("temperature", 5.0 / 9.0, -32.0 * 5.0 / 9.0),
    "m/s": _Unit("speed", 1.0),
    "km/h": _Unit("speed", 1000.0 / 3600.0),
    "mph": _Unit("speed", 0.44704),
    "W/m2": _Unit("irradiance", 1.0),
    "fraction": _Unit("fraction", 1.0),
    "%": _Unit("fraction", 0.01),
    "Pa": _Unit("pressure", 1.0),
    "hPa": _Unit("pressure", 100.0),
    "mbar": _Unit("pressure", 100.0),
    "kPa": _Unit("pressure", 1e3),
    "atm": _Unit("pressure", 101325.0),
    "deg": _Unit("angle", 1.0),
}

# Other spellings seen in data files, keyed by _squash(spelling).
_ALIASES: dict[str, str] = {
    "$/mwh": "USD/MWh",
    "$/kwh": "USD/kWh",
    "usd/mwh": "USD/MWh",
    "usd/kwh": "USD/kWh",
    "cents/kwh": "cents/kWh",
    "cent/kwh": "cents/kWh",
    "¢/kwh": "cents/kWh",
    "c/kwh": "cents/kWh",
    "€/mwh": "EUR/MWh",
    "€/kwh": "EUR/kWh",
    "gco2/kwh": "g/kWh",
    "gco2eq/kwh": "g/kWh",
    "gco2e/kwh": "g/kWh",
    "gco₂/kwh": "g/kWh",
    "gco₂eq/kwh": "g/kWh",
    "kgco2/mwh": "kg/MWh",
    "kgco2eq/mwh": "kg/MWh",
    "kgco2e/mwh": "kg/MWh",
    "tco2/mwh": "t/MWh",
    "tco2eq/mwh": "t/MWh",
    "lbs/mwh": "lb/MWh",
    "lbco2/mwh": "lb/MWh",
    "lbsco2/mwh": "lb/MWh",
    "c": "degC",
    "°c": "degC",
    "degc": "degC",
    "celsius": "degC",
    "k": "K",
    "kelvin": "K",
    "f": "degF",
    "°f": "degF",
    "degf": "degF",
    "fahrenheit": "degF",
    "kmh": "km/h",
    "kph": "km/h",
    "km/hr": "km/h",
    "mi/h": "mph",
    "w/m^2": "W/m2",
    "wm-2": "W/m2",
    "w/m²": "W/m2",
    "percent": "%",
    "pct": "%",
    "frac": "fraction",
    "degrees": "deg",
    "degree": "deg",
    "°": "deg",
}


def _squash(unit: str) -> str:
    return re.sub(r"\s+", "", unit).lower()


_LOOKUP: dict[str, str] = {_squash(u): u for u in _UNITS}
_LOOKUP.update(_ALIASES)


_CURRENCY_UNIT = re.compile(r"^([A-Z]{3})/(MWh|kWh)$")


def _unit(name: str) -> _Unit:
    """The record of a canonical unit; a price in any ISO currency is built on demand."""
    if name in _UNITS:
        return _UNITS[name]
    code, per = _CURRENCY_UNIT.match(name).groups()  # type: ignore[union-attr]
    return _Unit("price", 1.0 if per == "MWh" else 1e3, currency=code)


def unit_currency(unit: str) -> str | None:
    """The ISO currency code of a price unit (``cents/kWh`` -> ``USD``), else None."""
    return _unit(normalize_unit(unit)).currency


def normalize_unit(unit: str) -> str:
    """Return the canonical spelling of a unit.

    Parameters
    ----------
    unit : str
        Any accepted spelling, case- and space-insensitive, e.g. ``"gCO2eq/kWh"``,
        ``"$/MWh"``, ``"km / h"``, ``"°C"``, ``"mw"``.

    Returns
    -------
    str
        One of the canonical units: W kW MW GW, Wh kWh MWh GWh, USD/MWh USD/kWh cents/kWh
        EUR/MWh EUR/kWh, g/kWh kg/MWh t/MWh lb/MWh, degC K degF, m/s km/h mph, W/m2,
        fraction %, Pa hPa mbar kPa atm, deg. CO2 and CO2eq intensities share ``g/kWh`` /
        ``kg/MWh`` (the number is the same; which gas basis is meant is the data set's).

    Raises
    ------
    DataError
        If the unit is not known.
    """
    if not isinstance(unit, str):
        raise DataError(f"expected a unit string, got {unit!r}")
    key = _squash(unit)
    spaced = re.sub(r"\s+", "", unit)
    if key not in _LOOKUP and _CURRENCY_UNIT.match(spaced):
        return spaced
    if key not in _LOOKUP:
        raise DataError(f"unknown unit {unit!r}; known units: {', '.join(_UNITS)}")
    return _LOOKUP[key]


def unit_family(unit: str) -> str:
    """Return the quantity a unit measures.

    Parameters
    ----------
    unit : str
        Any spelling accepted by :func:`normalize_unit`.

    Returns
    -------
    str
        One of ``power``, ``energy``, ``price``, ``carbon_intensity``, ``temperature``,
        ``speed``, ``irradiance``, ``fraction``, ``pressure``, ``angle``.
    """
    return _unit(normalize_unit(unit)).family


def units_equivalent(a: str, b: str) -> bool:
    """True if two units are the same after normalizing or differ by a factor of exactly 1.

    ``g/kWh`` and ``kg/MWh`` are equivalent; ``EUR/MWh`` and ``USD/MWh`` are not.
    """
    ua, ub = _unit(normalize_unit(a)), _unit(normalize_unit(b))
    return ua == ub


def convert(
    values: Any,
    from_unit: str,
    to_unit: str,
    *,
    field: str | None = None,
    file: Any = None,
    eur_to_usd: float | None = None,
    exchange_rate: float | None = None,
) -> Any:
    """Convert numbers from one unit to another of the same quantity.

    Parameters
    ----------
    values : float, numpy.ndarray, pandas.Series or pandas.DataFrame
        Numbers in ``from_unit``.
    from_unit, to_unit : str
        Units in any spelling :func:`normalize_unit` accepts.
    field, file : optional
        Named in the error message if the conversion is impossible.
    eur_to_usd : float, optional
        USD per EUR, for a conversion between euro and dollar prices.
    exchange_rate : float, optional
        Units of ``to_unit``'s currency per unit of ``from_unit``'s, for any pair. One of the
        two is required when the currencies differ; there is no built-in rate because it
        moves daily.

    Returns
    -------
    same type as ``values``
        Converted numbers (float). pandas objects keep index and name.

    Raises
    ------
    DataError
        If a unit is unknown, the units measure different quantities (MW -> USD/MWh), or a
        EUR <-> USD conversion lacks ``eur_to_usd``.
    """
    try:
        src_name, dst_name = normalize_unit(from_unit), normalize_unit(to_unit)
    except DataError as exc:
        raise DataError(exc.message, file=file, field=field) from None
    src, dst = _unit(src_name), _unit(dst_name)
    if src.family != dst.family:
        raise DataError(
            f"cannot convert {src_name} ({src.family}) to {dst_name} ({dst.family})",
            file=file,
            field=field,
        )
    scale_src = src.scale
    if src.currency != dst.currency:
        rate = exchange_rate
        if rate is None and eur_to_usd is not None and {src.currency, dst.currency} == {
                "EUR", "USD"}:
            rate = eur_to_usd if src.currency == "EUR" else 1.0 / eur_to_usd
        if rate is None:
            raise DataError(
                f"converting {src_name} to {dst_name} needs an exchange rate: "
                f"a rate is required (give {dst.currency.lower()}_per_"
                f"{src.currency.lower()} in the scenario's exchange_rates)",
                file=file,
                field=field,
            )
        if not np.isfinite(rate) or rate <= 0:
            raise DataError(f"exchange rate must be > 0, got {rate}", file=file, field=field)
        scale_src = scale_src * rate
    # value_in_base = v * scale + offset; result = (base - offset_dst) / scale_dst
    factor = scale_src / dst.scale
    shift = (src.offset - dst.offset) / dst.scale
    if isinstance(values, (int, float, np.integer, np.floating)):
        return float(values) * factor + shift
    if isinstance(values, (list, tuple)):
        values = np.asarray(values, dtype=float)
    return values.astype(float) * factor + shift
