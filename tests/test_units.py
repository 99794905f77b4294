"""Unit normalization and conversion: hand-computed factors and refusals."""

import numpy as np
import pandas as pd
import pytest

from dcflex.data.units import convert, normalize_unit, unit_family, units_equivalent
from dcflex.errors import DataError


@pytest.mark.parametrize(
    ("spelling", "canonical"),
    [
        ("mw", "MW"),
        (" kWh ", "kWh"),
        ("$/MWh", "USD/MWh"),
        ("usd / mwh", "USD/MWh"),
        ("gCO₂eq/kWh", "g/kWh"),
        ("gCO2/kWh", "g/kWh"),
        ("lbs/MWh", "lb/MWh"),
        ("°C", "degC"),
        ("C", "degC"),
        ("km / h", "km/h"),
        ("W/m^2", "W/m2"),
        ("percent", "%"),
    ],
)
def test_normalize_unit_spellings(spelling, canonical):
    assert normalize_unit(spelling) == canonical


def test_unknown_unit_is_an_error():
    with pytest.raises(DataError, match="unknown unit 'furlongs'"):
        normalize_unit("furlongs")


def test_unit_family():
    assert unit_family("GWh") == "energy"
    assert unit_family("cents/kWh") == "price"
    assert unit_family("t/MWh") == "carbon_intensity"
    assert unit_family("mph") == "speed"


@pytest.mark.parametrize(
    ("value", "src", "dst", "expected"),
    [
        (1.0, "GW", "MW", 1000.0),
        (2500.0, "kW", "MW", 2.5),
        (3.0, "MWh", "kWh", 3000.0),
        (0.05, "USD/kWh", "USD/MWh", 50.0),
        (7.5, "cents/kWh", "$/MWh", 75.0),
        (400.0, "gCO2/kWh", "kg/MWh", 400.0),
        (0.4, "t/MWh", "kg/MWh", 400.0),
        (1000.0, "lbs/MWh", "kg/MWh", 453.59237),
        (100.0, "degC", "degF", 212.0),
        (32.0, "degF", "degC", 0.0),
        (0.0, "degC", "K", 273.15),
        (36.0, "km/h", "m/s", 10.0),
        (10.0, "mph", "m/s", 4.4704),
        (45.0, "%", "fraction", 0.45),
    ],
)
def test_convert_known_factors(value, src, dst, expected):
    assert convert(value, src, dst) == pytest.approx(expected, rel=1e-12, abs=1e-12)


def test_convert_keeps_pandas_and_numpy_types():
    s = pd.Series([1.0, 2.0], index=pd.date_range("2023-01-01", periods=2, freq="h"), name="p")
    out = convert(s, "kW", "MW")
    assert isinstance(out, pd.Series)
    assert out.name == "p" and out.index.equals(s.index)
    np.testing.assert_allclose(out.to_numpy(), [0.001, 0.002])
    arr = convert(np.array([1, 2]), "MWh", "GWh")
    assert isinstance(arr, np.ndarray)
    np.testing.assert_allclose(arr, [0.001, 0.002])


def test_incompatible_units_name_field_file_and_units():
    with pytest.raises(DataError) as err:
        convert(1.0, "MW", "USD/MWh", field="grid.price", file="prices.csv")
    text = str(err.value)
    assert "prices.csv" in text and "grid.price" in text
    assert "MW" in text and "USD/MWh" in text


def test_eur_needs_an_explicit_rate():
    with pytest.raises(DataError, match="rate is required"):
        convert(50.0, "EUR/MWh", "USD/MWh")
    assert convert(50.0, "EUR/MWh", "USD/MWh", eur_to_usd=1.1) == pytest.approx(55.0)
    assert convert(55.0, "USD/MWh", "EUR/MWh", eur_to_usd=1.1) == pytest.approx(50.0)
    assert convert(50.0, "EUR/MWh", "EUR/MWh") == 50.0


def test_equivalence_is_factor_one_within_a_family():
    assert units_equivalent("g/kWh", "kg/MWh")
    assert not units_equivalent("EUR/MWh", "USD/MWh")
    assert not units_equivalent("kW", "MW")
