"""Reporting currencies: the DE-LU 2023 site in EUR and in USD at a stated rate, money keys
spelled in any currency, ENTSO-E euro prices, rates with date and source, and outputs named
in the reporting currency."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
import yaml
from conftest import base_dict
from typer.testing import CliRunner

from dcflex.cli import app
from dcflex.data.datasets import shared_data
from dcflex.errors import DataError, ScenarioError
from dcflex.model.inputs import prepare
from dcflex.results.report import write_outputs
from dcflex.scenario import load_scenario
from dcflex.studies.compare import compare
from dcflex.studies.run import run

SITES = Path(__file__).resolve().parents[1] / "scenarios" / "sites"
GREEN_DCC_USD_PER_EUR = 1.07764  # green-dcc SOURCE.txt: its fixed DE-LU conversion
MONEY = ("total_cost_usd", "energy_cost_usd", "demand_cost_usd", "battery_wear_cost_usd",
         "training_value_usd")
RATES = {"rates": {"usd_per_eur": 1.25}, "date": "2023-12-29", "source": "a test rate"}


@pytest.fixture(scope="module")
def de_lu():
    """The DE-LU 2023 site (green-dcc prices, Electricity Maps carbon, Open-Meteo weather),
    a whole year in EUR and in USD."""
    return run(SITES / "de_lu.yaml"), run(SITES / "de_lu_usd.yaml")


def test_de_lu_runs_in_eur_and_in_usd_at_the_stated_rate(de_lu):
    eur, usd = de_lu
    assert eur.scenario.currency == "EUR" and usd.scenario.currency == "USD"
    assert "1 EUR = 1.07764 USD" in eur.scenario.exchange_rates.describe()
    # the file's USD prices come back to euros at the file's own rate
    raw = pd.read_csv(shared_data("green-dcc", "electricity_prices",
                                  "DE-LU_electricity_prices_2023.csv"))
    eur_price = eur.inputs.series["wholesale_price_usd_per_mwh"]
    usd_price = usd.inputs.series["wholesale_price_usd_per_mwh"]
    pd.testing.assert_series_equal(eur_price * GREEN_DCC_USD_PER_EUR, usd_price, rtol=1e-12)
    assert usd_price.max() == pytest.approx(raw["Price (USD/MWh)"].max())
    # every amount is the same money: USD = EUR x 1.07764, for the twin exactly and for the
    # optimum to the solver's tolerance; energy and emissions do not depend on the currency
    for m in MONEY:
        assert usd.baseline_metrics[m] == pytest.approx(
            GREEN_DCC_USD_PER_EUR * eur.baseline_metrics[m], rel=1e-12), m
        assert usd.metrics[m] == pytest.approx(GREEN_DCC_USD_PER_EUR * eur.metrics[m],
                                               rel=1e-6), m
    assert usd.metrics["facility_energy_mwh"] == pytest.approx(
        eur.metrics["facility_energy_mwh"], rel=1e-6)
    assert eur.metrics["total_cost_usd"] <= eur.baseline_metrics["total_cost_usd"]
    # euro amounts of the scenario arrive converted in the USD run
    assert usd.scenario.tariff.adder_usd_per_mwh == pytest.approx(14 * GREEN_DCC_USD_PER_EUR)
    assert eur.scenario.tariff.adder_usd_per_mwh == 14


def test_outputs_are_named_in_the_reporting_currency(de_lu, tmp_path):
    eur, _ = de_lu
    write_outputs(eur, tmp_path)
    doc = json.loads((tmp_path / "metrics.json").read_text())
    assert doc["currency"] == "EUR" and "1.07764" in doc["exchange_rates"]
    assert doc["flexible"]["total_cost_eur"]["unit"] == "EUR"
    assert doc["flexible"]["average_cost_eur_per_mwh"]["unit"] == "EUR/MWh"
    assert not any("usd" in k for k in doc["flexible"])
    comparison = pd.read_csv(tmp_path / "comparison.csv", index_col="metric")
    assert comparison.loc["total_cost_eur", "unit"] == "EUR"
    schedule = pd.read_parquet(tmp_path / "schedule.parquet")
    assert "energy_price_eur_per_mwh" in schedule and "energy_price_usd_per_mwh" not in schedule
    bill = pd.read_csv(tmp_path / "monthly_bill.csv")
    assert "flexible__total_eur" in bill.columns
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "total_cost_eur" in html and "price [EUR/MWh]" in html


def _write(tmp_path, d: dict, name: str = "s.yaml") -> Path:
    if not d.get("workload", {}).get("classes") and "extends" not in d:
        d["workload"]["classes"] = {"serve": {"kind": "inference", "servers": 2,
                                              "utilization": 0.5}}
    tmp_path.mkdir(parents=True, exist_ok=True)
    path = tmp_path / name
    path.write_text(yaml.safe_dump(d))
    return path


def test_money_keys_say_their_currency_and_are_converted(tmp_path):
    d = base_dict(tariff={"energy_price_eur_per_mwh": {"generator": "diurnal", "mean": 40,
                                                        "noise_std": 4, "minimum": -8,
                                                        "seed": 1},
                          "adder_usd_per_mwh": 12.5,
                          "demand_charges": [{"rate_eur_per_mw_month": 8000}]})
    d["exchange_rates"] = RATES
    s = load_scenario(_write(tmp_path, d))  # reports in USD: euro amounts x 1.25
    assert s.tariff.demand_charges[0].rate_usd_per_mw_month == pytest.approx(10000)
    assert s.tariff.adder_usd_per_mwh == 12.5
    gen = s.tariff.energy_price_usd_per_mwh
    assert (gen.mean, gen.noise_std, gen.minimum) == pytest.approx((50, 5, -10))
    d["currency"] = "EUR"  # now the dollar adder is converted: 12.5 / 1.25
    s = load_scenario(_write(tmp_path, d))
    assert s.tariff.adder_usd_per_mwh == pytest.approx(10.0)
    assert s.tariff.demand_charges[0].rate_usd_per_mw_month == 8000


def test_a_variant_overrides_its_base_in_another_spelling(tmp_path):
    base = base_dict(tariff={"energy_price_usd_per_mwh": 50.0, "adder_usd_per_mwh": 15.0})
    _write(tmp_path, base, "base.yaml")
    variant = {"extends": "base.yaml", "currency": "EUR", "exchange_rates": RATES,
               "tariff": {"adder_eur_per_mwh": 7.0}}
    s = load_scenario(_write(tmp_path, variant, "v.yaml"))
    assert s.tariff.adder_usd_per_mwh == 7.0  # the variant's euros, not the base's dollars
    assert s.tariff.energy_price_usd_per_mwh == pytest.approx(40.0)  # 50 USD / 1.25


def test_missing_rate_and_double_amount_are_one_line_each(tmp_path):
    d = base_dict()
    d["currency"] = "EUR"
    with pytest.raises(ScenarioError, match="tariff.energy_price_usd_per_mwh: the amount is in "
                                            "USD but the scenario reports in EUR: give "
                                            "exchange_rates with eur_per_usd"):
        load_scenario(_write(tmp_path, d))
    d = base_dict(tariff={"energy_price_usd_per_mwh": 50.0, "adder_usd_per_mwh": 1.0,
                          "adder_eur_per_mwh": 1.0})
    with pytest.raises(ScenarioError, match="the same amount is given twice"):
        load_scenario(_write(tmp_path, d))
    d = base_dict()
    d["exchange_rates"] = {"rates": {"usd_per_eur": 1.1}}
    with pytest.raises(ScenarioError, match="state the rates' date and source"):
        load_scenario(_write(tmp_path, d))
    d["exchange_rates"] = {**RATES, "date": "29/12/2023"}
    with pytest.raises(ScenarioError, match="expected an ISO date"):
        load_scenario(_write(tmp_path, d))
    d["currency"] = "euro"
    with pytest.raises(ScenarioError, match="ISO 4217"):
        load_scenario(_write(tmp_path, d))


def test_a_rate_table_file_with_date_and_source(tmp_path):
    (tmp_path / "rates.csv").write_text(
        "pair,rate,date,source\nusd_per_eur,1.0813,2023-12-29,ECB reference rate\n"
        "gbp_per_eur,0.8698,2023-12-29,ECB reference rate\n")
    d = base_dict(tariff={"energy_price_gbp_per_mwh": 43.49})
    d["currency"], d["exchange_rates"] = "EUR", {"file": "rates.csv"}
    s = load_scenario(_write(tmp_path, d))
    assert s.tariff.energy_price_usd_per_mwh == pytest.approx(43.49 / 0.8698)
    assert s.exchange_rates.rate("USD", "EUR") == pytest.approx(1 / 1.0813)
    assert s.exchange_rates.describe().endswith("(2023-12-29; ECB reference rate)")
    (tmp_path / "rates.csv").write_text("pair,rate,date,source\nusd_per_eur,x,2023,ECB\n")
    with pytest.raises(ScenarioError, match="line 2: expected a number rate and an ISO date"):
        load_scenario(_write(tmp_path, d))


def _entsoe(tmp_path, currency: str, rates: dict | None) -> Path:
    d = base_dict(tariff={"energy_price_usd_per_mwh": {
        "file": str(shared_data("entsoe-dayahead-tscv", "elec_price_2019_2020_wide.csv")),
        "format": "entsoe", "column": "DE"}})
    d["period"] = {"start": "2020-06-01", "end": "2020-06-08", "step": "1h"}
    d["currency"] = currency
    if rates:
        d["exchange_rates"] = rates
    return _write(tmp_path, d)


def test_entsoe_euro_prices_run_in_eur_and_convert_to_usd(tmp_path):
    raw = pd.read_csv(shared_data("entsoe-dayahead-tscv", "elec_price_2019_2020_wide.csv"),
                      parse_dates=["time"]).set_index("time")["DE"]
    week = raw.loc["2020-06-01":"2020-06-07 23:00"].to_numpy()
    eur = prepare(load_scenario(_entsoe(tmp_path, "EUR", None)))
    assert eur.series["wholesale_price_usd_per_mwh"].to_numpy() == pytest.approx(week)
    usd = prepare(load_scenario(_entsoe(tmp_path, "USD", RATES)))
    assert usd.series["wholesale_price_usd_per_mwh"].to_numpy() == pytest.approx(week * 1.25)
    with pytest.raises(DataError, match="the file's prices are in EUR but the scenario reports "
                                        "in USD: give exchange_rates with usd_per_eur"):
        prepare(load_scenario(_entsoe(tmp_path, "USD", None)))


def test_cli_run_tables_in_euros(tmp_path):
    result = CliRunner().invoke(app, ["run", str(_entsoe(tmp_path, "EUR", None)), "-o",
                                      str(tmp_path / "o")])
    assert result.exit_code == 0, result.output
    assert "total_cost_eur" in result.output and "total_cost_usd" not in result.output
    assert " EUR/MWh" in result.output


def test_sites_in_two_currencies_are_not_compared(tmp_path):
    with pytest.raises(ScenarioError, match="different currencies \\(EUR, USD\\)"):
        compare([_entsoe(tmp_path, "EUR", None), SITES / "caiso.yaml"], processes=1,
                progress=False)
