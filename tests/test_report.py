"""The monthly bill adds up to the period's metrics; report.html is self-contained and holds
its tables and figures; the data files sit beside it."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from conftest import base_dict
from reports import parse_report

from dcflex.results.bill import monthly_bill
from dcflex.results.report import write_outputs
from dcflex.scenario import scenario_from_dict
from dcflex.studies.run import run

# bill line -> the metric it adds up to, and its sign (credits are negative on the bill)
RECONCILE = {
    "energy_usd": ("energy_cost_usd", 1), "demand_usd": ("demand_cost_usd", 1),
    "fixed_usd": ("fixed_cost_usd", 1), "ppa_usd": ("ppa_cost_usd", 1),
    "export_credit_usd": ("export_revenue_usd", -1),
    "battery_wear_usd": ("battery_wear_cost_usd", 1),
    "degradation_usd": ("degradation_penalty_usd", 1), "carbon_usd": ("carbon_cost_usd", 1),
    "total_usd": ("total_cost_usd", 1),
}


@pytest.fixture(scope="module")
def result():
    """Eleven days across a month boundary with every bill line: demand charges (one with a
    weekday evening window), a fixed charge, a PPA, export, a battery, degradable inference,
    a carbon price and a demand-response call on 1 February."""
    gpu = base_dict()["workload"]["gpu"]
    d = base_dict(
        workload={"gpu": gpu, "classes": {
            "chat": {"kind": "inference", "servers": 2, "degradable_share": 0.2,
                     "degradation_penalty_usd_per_mwh": 60.0,
                     "utilization": {"generator": "diurnal", "mean": 0.6,
                                     "daily_amplitude": 0.4, "seed": 4}},
            "batch": {"kind": "batch", "servers": 2, "gpu_hours_per_day": 20}}},
        tariff={"energy_price_usd_per_mwh": {"generator": "diurnal", "mean": 50,
                                             "daily_amplitude": 0.6, "noise_std": 5,
                                             "seed": 5},
                "adder_usd_per_mwh": 5,
                "demand_charges": [{"rate_usd_per_mw_month": 1000},
                                   {"rate_usd_per_mw_month": 2000, "hours": [16, 21],
                                    "weekdays_only": True}],
                "fixed_usd_per_month": 3100},
        grid={"import_limit_mw": 10.0, "export_limit_mw": 0.5,
              "export_price_usd_per_mwh": 150.0},
        ppa={"kind": "physical", "profile_mw": 0.5, "price_usd_per_mwh": 30.0},
        battery={"power_mw": 1.0, "energy_mwh": 4.0, "cycle_cost_usd_per_mwh": 5.0},
        carbon={"average_kg_per_mwh": 400.0, "price_usd_per_t": 20.0},
        events={"demand_response": [{"start": "2023-02-01 15:00", "end": "2023-02-01 18:00",
                                     "reduce_to_fraction": 0.7, "payment_usd_per_mwh": 200,
                                     "shortfall_penalty_usd_per_mwh": 1000}]},
    )
    d["period"] = {"start": "2023-01-25", "end": "2023-02-05", "step": "1h"}
    return run(scenario_from_dict(d))


@pytest.mark.parametrize("which", ["flexible", "baseline"])
def test_the_months_add_up_to_the_period(result, which):
    schedule = result.schedule if which == "flexible" else result.baseline
    metrics = result.metrics if which == "flexible" else result.baseline_metrics
    # the twin cannot flex, so it is not enrolled in the demand-response programme
    bill = monthly_bill(schedule, result.inputs, result.baseline["grid_import_mw"].to_numpy(),
                        enrolled=None if which == "flexible" else False)
    assert list(bill.index) == ["2023-01", "2023-02"]
    for line, (metric, sign) in RECONCILE.items():
        assert bill[line].sum() == pytest.approx(sign * metrics[metric], rel=1e-9, abs=1e-6), line
    dr = metrics["dr_penalty_usd"] - metrics["dr_revenue_usd"]
    assert bill["dr_usd"].sum() == pytest.approx(dr, abs=1e-6)
    assert bill.loc["2023-01", "dr_usd"] == 0  # the call is on 1 February
    if which == "flexible":  # every line nonzero somewhere: the case exercises them all
        assert (bill.abs().sum() > 0).all(), bill.abs().sum().to_dict()


def test_fixed_and_demand_charges_by_hand(result):
    """Fixed: 3,100 a month prorated by days in the period: 25-31 January is 7 of 31 days
    (700.00), 1-4 February 4 of 28 days (442.86). Demand: 1,000 x the month's highest import
    plus 2,000 x its highest import on weekday evenings (16-21 h UTC)."""
    bill = monthly_bill(result.schedule, result.inputs, result.baseline["grid_import_mw"]
                        .to_numpy())
    assert bill.loc["2023-01", "fixed_usd"] == pytest.approx(700.0)
    assert bill.loc["2023-02", "fixed_usd"] == pytest.approx(3100 * 4 / 28)
    imp = result.schedule["grid_import_mw"]
    for month in ("2023-01", "2023-02"):
        m = imp[imp.index.strftime("%Y-%m") == month]
        evening = m[(m.index.hour >= 16) & (m.index.hour < 21) & (m.index.day_of_week < 5)]
        assert bill.loc[month, "demand_usd"] == pytest.approx(
            1000 * m.max() + 2000 * evening.max(), rel=1e-12)


def test_report_is_self_contained_with_tables_figures_and_files(result, tmp_path):
    written = write_outputs(result, tmp_path)
    names = {p.name for p in written}
    assert {"report.html", "schedule.parquet", "schedule.csv", "baseline.parquet",
            "baseline.csv", "metrics.json", "comparison.csv", "monthly_bill.csv"} == names
    page = parse_report(tmp_path / "report.html")
    # nothing is fetched: no script or stylesheet by reference, no URL with a scheme or host,
    # no CSS url(); the only references are the data files beside the report
    assert not page.scripts_with_src
    assert not any(tag == "link" for tag, _, _ in page.references)
    assert not any("url(" in css for css in page.styles)
    links = {value for _, _, value in page.references}
    assert links == names - {"report.html"}
    assert not any(":" in v or v.startswith("//") for v in links)
    # tables: headline, the ladder's rungs and values, cost breakdown, monthly bill, energy
    assert len(page.tables) >= 6
    header = page.tables[0][0]
    assert header == ["metric", "flexible", "baseline", "change", "unit"]
    assert any(row[0] == "total_cost_usd" for row in page.tables[0])
    assert [r[0][:3] for r in page.tables[1][1:]] == ["(0)", "(1)", "(2)"]
    assert {r[0] for r in page.tables[2][1:]} >= {"battery_value_usd", "flexibility_value_usd"}
    month_rows = [r[0] for r in page.tables[4][1:]]
    assert month_rows == ["2023-01", "2023-02"]
    # figures: JSON a browser can draw, titled, with axis titles carrying units
    assert len(page.figures) == 6
    for fig in page.figures:
        assert fig["layout"]["title"]["text"] and fig["data"]
        lay = fig["layout"]
        titles = [lay[k]["title"]["text"] for k in lay if k.startswith(("xaxis", "yaxis"))
                  and "title" in lay[k]]
        titles += [t["colorbar"]["title"]["text"] for t in fig["data"] if "colorbar" in t]
        assert any("[" in t or t == "MWh" for t in titles), titles  # a unit on some axis
    week = page.figures[2]["layout"]["title"]["text"]
    assert "week around the highest grid import" in week and "2023-" in week


def test_week_title_says_what_was_chosen(result, tmp_path):
    write_outputs(result, tmp_path, week_start="2023-01-28")
    page = parse_report(tmp_path / "report.html")
    title = page.figures[2]["layout"]["title"]["text"]
    assert "chosen with --week, 2023-01-28 to 2023-02-03" in title


def test_csv_copies_hold_the_parquet_numbers(result, tmp_path):
    write_outputs(result, tmp_path)
    parquet = pd.read_parquet(tmp_path / "schedule.parquet")
    csv = pd.read_csv(tmp_path / "schedule.csv")
    assert list(csv.columns) == ["time_utc", *parquet.columns]
    assert csv["time_utc"].iloc[0] == "2023-01-25T00:00Z"
    np.testing.assert_allclose(csv["grid_import_mw"], parquet["grid_import_mw"], rtol=1e-12)
    doc = json.loads((tmp_path / "metrics.json").read_text())
    assert doc["currency"] == "USD" and doc["exchange_rates"] is None
    bill = pd.read_csv(tmp_path / "monthly_bill.csv", index_col="month")
    assert bill["flexible__total_usd"].sum() == pytest.approx(result.metrics["total_cost_usd"])
