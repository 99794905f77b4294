"""Numbers people read: fixed decimals per unit, separators, k/M/G, no exponents, tables
that fit the terminal, money named in the reporting currency."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from test_cli import small_scenario
from typer.testing import CliRunner

from dcflex.cli import app
from dcflex.cli.common import _column_blocks
from dcflex.results.currency import present_document, present_frame, present_name
from dcflex.results.format import format_frame, format_number, unit_from_name

EXPONENT = re.compile(r"\d[eE][+-]?\d")
UNITS = ["USD", "EUR", "USD/MWh", "EUR/MWh", "MW", "MWh", "t CO2", "kg/MWh", "fraction", "-",
         "h", "GPU-h", "windows", "%", None, "unknown-unit"]


@given(st.floats(min_value=1e-3, max_value=1e12), st.sampled_from(UNITS), st.booleans())
def test_no_exponent_for_any_metric_between_1e_minus_3_and_1e12(value, unit, negative):
    text = format_number(-value if negative else value, unit)
    assert not EXPONENT.search(text), text
    assert "e+" not in text and "e-" not in text


@pytest.mark.parametrize("value, unit, expected", [
    (48_771_234.5, "USD", "48.77 M"),       # millions with M, two decimals
    (1.2e12, "USD", "1,200.00 G"),
    (971_264.4, "USD", "971,264"),          # money in whole units below a million
    (-125_034.2, "EUR", "-125,034"),
    (58.194, "USD/MWh", "58.19"),           # prices to the cent
    (7.105e-15, "MWh", "0"),                # LP noise below 0.05 MWh is zero, not 7.105e-15
    (-3.313e-07, "-", "0"),                 # PUE change of -3e-7 is zero, never "-0"
    (-0.0004, "fraction", "0"),
    (0.4461, "fraction", "0.446"),
    (123_456.78, "MWh", "123,456.8"),
    (10.544, "MW", "10.54"),
    (8_760_000.0, "GPU-h", "8.76 M"),
    (float("nan"), "USD", "–"),
    (3, None, "3"),
    (np.int64(12_000), None, "12,000"),
    (True, None, "yes"),
    (0.000123, None, "0.000123"),           # no unit: significant digits, still no exponent
])
def test_format_by_unit(value, unit, expected):
    assert format_number(value, unit) == expected


def test_units_from_names():
    assert unit_from_name("total_cost_usd") == "USD"
    assert unit_from_name("average_cost_usd_per_mwh") == "USD/MWh"
    assert unit_from_name("peak_import_mw") == "MW"
    assert unit_from_name("shifted_energy_mwh") == "MWh"
    assert unit_from_name("emissions_average_t") == "t CO2"
    assert unit_from_name("cfe_score") == "fraction"
    assert unit_from_name("annual_pue") == "-"
    assert unit_from_name("throughput_delivered__pretrain") == "fraction"
    assert unit_from_name("variant_id") is None


def test_a_metrics_table_uses_each_rows_unit():
    frame = pd.DataFrame({"flexible": [4.877e7, 7.1e-15, 0.4461], "baseline": [5e7, 0.0, 0.4],
                          "unit": ["USD", "MWh", "fraction"]},
                         index=["total_cost_usd", "shifted_energy_mwh", "cfe_score"])
    text = format_frame(frame)
    assert text.loc["total_cost_usd"].tolist() == ["48.77 M", "50.00 M", "USD"]
    assert text.loc["shifted_energy_mwh", "flexible"] == "0"
    assert text.loc["cfe_score", "flexible"] == "0.446"


def test_money_is_named_in_the_reporting_currency():
    assert present_name("total_cost_usd", "EUR") == "total_cost_eur"
    assert present_name("energy_price_usd_per_mwh", "EUR") == "energy_price_eur_per_mwh"
    assert present_name("usd_total", "GBP") == "gbp_total"
    assert present_name("busdriver_mw", "EUR") == "busdriver_mw"  # a token, not a substring
    frame = pd.DataFrame({"value": [1.0], "unit": ["USD/MWh"]}, index=["price_usd_per_mwh"])
    shown = present_frame(frame, "EUR")
    assert shown.index.tolist() == ["price_eur_per_mwh"] and shown["unit"].tolist() == [
        "EUR/MWh"]
    doc = present_document({"total_cost_usd": {"value": 2.0, "unit": "USD"}}, "EUR")
    assert doc == {"total_cost_eur": {"value": 2.0, "unit": "EUR"}}
    assert present_frame(frame, "USD") is frame


def test_wide_tables_are_split_into_blocks_that_fit():
    text = pd.DataFrame({f"metric_number_{i}": ["123,456.7"] * 3 for i in range(12)},
                        index=["a", "b", "c"])
    blocks = _column_blocks(text, ["a", "b", "c"], "site", width=80)
    assert sum(len(b) for b in blocks) == 12 and len(blocks) > 1
    for block in blocks:  # index column + each column with its padding fits
        assert 1 + 4 + sum(len(c) + 3 for c in block) <= 80


def test_cli_tables_have_no_exponents_and_fit_the_width(tmp_path):
    out = tmp_path / "o"
    result = CliRunner().invoke(app, ["run", small_scenario(tmp_path), "-o", str(out)],
                                terminal_width=100)
    assert result.exit_code == 0, result.output
    # the scenario hash is hexadecimal ("...220e6bd..."), not a number
    shown = re.sub(r"hash [0-9a-f]{16}", "hash", result.output)
    assert not EXPONENT.search(shown), result.output
    table = result.output.split("flexible vs business-as-usual", 1)[1]
    assert max(len(line) for line in table.splitlines()) <= 100
    assert re.search(r"total_cost_usd\s+[\d,.]+( M)?\s", table)
