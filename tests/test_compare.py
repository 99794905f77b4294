"""compare(): three real 2023 sites (CAISO, ERCOT, PJM) in parallel, a broken one, ranking,
Pareto front, outputs, sites files and the CLI."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import typer
import yaml
from typer.testing import CliRunner

from dcflex.cli.compare import compare_command
from dcflex.data.datasets import shared_data
from dcflex.errors import ScenarioError
from dcflex.studies.compare import (
    SiteEntry,
    compare,
    load_sites,
    monthly_pue,
    pareto_front,
    rank_table,
)

SITES = Path(__file__).resolve().parents[1] / "scenarios" / "sites"
REAL = ("caiso-sanjose-2023", "ercot-dallas-2023", "pjm-philadelphia-2023")


@pytest.fixture(scope="module")
def broken_price_file(tmp_path_factory) -> Path:
    """The PJM 2023 price file with one cell spoiled (2023-02-11 15:00 UTC)."""
    src = shared_data("green-dcc", "electricity_prices", "US-MIDA-PJM_electricity_prices_2023.csv")
    lines = src.read_text().splitlines()
    cells = lines[1000].split(",")
    cells[2] = "#REF!"
    lines[1000] = ",".join(cells)
    path = tmp_path_factory.mktemp("broken") / "US-MIDA-PJM_prices_broken.csv"
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture(scope="module")
def real(broken_price_file):
    """The shipped sites file (SLO-aware headroom on EIA-930 demand) plus a broken PJM site,
    on two worker processes."""
    broken = SiteEntry(scenario=str(SITES / "pjm.yaml"), label="pjm-broken-prices",
                       overrides={"tariff": {"energy_price_usd_per_mwh": {
                           "file": str(broken_price_file)}}})
    return compare([SITES / "sites.yaml", broken], processes=2, progress=False)


def test_broken_site_fails_clearly_and_the_others_finish(real, broken_price_file):
    assert list(real.failures) == ["pjm-broken-prices"]
    message = real.failures["pjm-broken-prices"]
    assert str(broken_price_file) in message
    assert "#REF!" in message and "expected numbers" in message
    assert sorted(real.table.index) == sorted(REAL)
    assert set(real.summaries) == set(REAL)


def test_ranking_follows_the_metrics(real):
    t = real.table
    assert list(t["rank"]) == [1, 2, 3]
    assert t["total_cost_usd"].is_monotonic_increasing
    # the other metrics rank in their own direction
    by_cfe = real.ranked("cfe_score")
    assert by_cfe["cfe_score"].is_monotonic_decreasing and list(by_cfe["rank"]) == [1, 2, 3]
    by_pue = real.ranked("annual_pue")
    assert by_pue["annual_pue"].is_monotonic_increasing
    by_headroom = real.ranked("headroom_mw")
    assert by_headroom["headroom_mw"].is_monotonic_decreasing
    # SOURCE.txt 2023 means: PJM-DOM prices 35.7 USD/MWh (lowest; CISO 61.5, ERCO 55.9) and
    # CISO carbon 194 kg/MWh (lowest; ERCO 317, PJM 322)
    assert t.index[0] == "pjm-philadelphia-2023"
    assert t["emissions_average_t"].idxmin() == "caiso-sanjose-2023"
    assert t["cfe_score"].idxmax() == "caiso-sanjose-2023"
    # hot, humid Dallas evaporates the most water per kWh of IT
    assert t["wue_site_l_per_kwh"].idxmax() == "ercot-dallas-2023"


def test_table_bookkeeping(real):
    t = real.table
    for label, s in real.summaries.items():
        row = t.loc[label]
        assert row["total_cost_usd"] == s.metrics["total_cost_usd"]
        # the value is net of the training value given up: twin's net cost minus the site's
        assert row["flexibility_value_usd"] == pytest.approx(
            s.baseline_metrics["net_cost_usd"] - s.metrics["net_cost_usd"], rel=1e-12)
        assert row["flexibility_value_usd"] == pytest.approx(
            row["battery_value_usd"] + row["workload_flexibility_value_usd"], abs=1e-6)
        # the flexible optimum is never worse than business-as-usual, nor than the battery alone
        assert row["flexibility_value_usd"] >= 0 and row["workload_flexibility_value_usd"] >= 0
        assert row["peak_import_mw"] <= 15.0 + 1e-6  # the sites' interconnection
        assert 0 < row["load_factor"] <= 1 and 0 <= row["cfe_score"] <= 1
        # no marginal intensity in these scenarios: NaN, not zero
        assert np.isnan(row["avoided_emissions_marginal_t"])
        # water: cooling towers (water economizer) in the published 1.0-2.3 L/kWh band; no
        # grid source water given, so no total
        assert row["site_water_m3"] == s.metrics["site_water_m3"] > 0
        assert 1.0 < row["wue_site_l_per_kwh"] < 2.3
        assert row["wue_site_l_per_kwh"] == pytest.approx(
            row["site_water_m3"] / s.metrics["it_energy_mwh"], rel=1e-12)
        assert np.isnan(row["total_water_m3"])
        assert row["headroom_basis"] == "slo"
        assert row["headroom_mw"] == s.slo.headroom_mw
        assert s.slo.firm_mw <= s.slo.headroom_mw <= s.slo.rate_limit_mw * (1 + 1e-12)
    # the ERCOT site is held by one hour 112 MW under the 2020-2024 record (17:00 CDT on
    # 10 Aug 2023), the smallest headroom of the three
    ercot = real.summaries["ercot-dallas-2023"].slo
    assert "2023-08-10 17:00" in ercot.reason
    assert real.table["headroom_mw"].idxmin() == "ercot-dallas-2023"
    assert real.summaries["ercot-dallas-2023"].slo.limited_by == "slo"


def test_pareto_front_by_hand(real):
    # a cheaper-but-dirtier and a cleaner-but-costlier site are both on the front; a site
    # worse in both is not; ties in one axis are decided by the other
    mask = pareto_front([1, 2, 3, 2, 1], [5, 3, 4, 3, 6])
    assert mask.tolist() == [True, True, False, True, False]
    assert not pareto_front([1.0, np.nan], [1.0, 0.5])[1]
    t = real.table
    expected = pareto_front(t["total_cost_usd"], t["emissions_average_t"])
    assert t["pareto"].tolist() == expected.tolist()
    # PJM is cheapest, CAISO cleanest: both always on the front
    assert t.loc["pjm-philadelphia-2023", "pareto"] and t.loc["caiso-sanjose-2023", "pareto"]


def test_monthly_pue_follows_the_seasons(real):
    pue = real.monthly_pue
    assert list(pue.columns) == list(real.summaries)
    assert len(pue) == 12 and (pue >= 1).all().all()
    for site in pue.columns:
        assert pue.loc["2023-07", site] > pue.loc["2023-01", site]
    # Dallas' summer is the hottest of the three
    assert pue.loc["2023-07"].idxmax() == "ercot-dallas-2023"


def test_outputs_written(real, tmp_path):
    written = real.write(tmp_path, png=True)
    names = {p.name for p in written}
    assert {"compare.csv", "compare.parquet", "monthly_pue.csv", "failures.csv",
            "slo_headroom_events.csv", "metric_bars.png", "cost_emissions.png",
            "monthly_pue.png", "report.html"} <= names
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    for site in real.table.index:
        assert site in html
    assert "pjm-broken-prices" in html  # the failed site is reported
    back = pd.read_parquet(tmp_path / "compare.parquet")
    pd.testing.assert_frame_equal(back, real.table, check_freq=False)
    csv = pd.read_csv(tmp_path / "compare.csv", index_col="site")
    assert csv["total_cost_usd"].to_numpy() == pytest.approx(
        real.table["total_cost_usd"].to_numpy(), rel=1e-12)
    for png in ("metric_bars.png", "cost_emissions.png", "monthly_pue.png"):
        assert (tmp_path / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    fails = pd.read_csv(tmp_path / "failures.csv")
    assert fails["site"].tolist() == ["pjm-broken-prices"]


# --------------------------------------------------------------------------- small sites


def _small(name: str, price: float, limit: float = 10.0, days: int = 3) -> dict:
    return {
        "name": name,
        "site": {"name": name, "latitude_deg": 35.0, "longitude_deg": -80.0,
                 "timezone": "America/New_York"},
        "period": {"start": "2023-07-01", "end": f"2023-07-{1 + days:02d}"},
        "workload": {"gpu": "H100", "classes": {
            "chat": {"kind": "inference", "servers": 100, "utilization": 0.5},
            "batch": {"kind": "batch", "servers": 100, "gpu_hours_per_day": 9600,
                      "deadline_h": 24}}},
        "facility": {"pue": 1.2},
        "grid": {"import_limit_mw": limit},
        "tariff": {"energy_price_usd_per_mwh": {"generator": "diurnal", "mean": price,
                                                "daily_amplitude": 0.5, "peak_hour": 18},
                   "demand_charges": [{"rate_usd_per_mw_month": 5000}]},
        "carbon": {"average_kg_per_mwh": 300},
    }


@pytest.fixture
def small_files(tmp_path) -> list[Path]:
    files = []
    for name, price, limit in (("dear", 80.0, 10.0), ("cheap", 30.0, 10.0),
                               ("too-small-grid", 50.0, 0.5)):
        f = tmp_path / f"{name}.yaml"
        f.write_text(yaml.safe_dump(_small(name, price, limit)))
        files.append(f)
    return files


@pytest.mark.parametrize("processes", [1, 2])
def test_run_and_interconnection_headroom(small_files, processes):
    """In one process and across worker processes: an infeasible site's diagnosis must arrive
    whole (errors survive pickling), not as its characters."""
    res = compare(small_files, processes=processes, progress=False)
    assert list(res.table.index) == ["cheap", "dear"]
    # must-serve inference plus idle batch servers need more than 0.5 MW
    assert "infeasible" in res.failures["too-small-grid"]
    assert "interconnection limit 0.5 MW" in res.failures["too-small-grid"]
    for label, s in res.summaries.items():
        row = res.table.loc[label]
        assert row["headroom_basis"] == "interconnection"
        assert row["headroom_mw"] == pytest.approx(10.0 - s.metrics["peak_import_mw"])
        assert s.slo is None
    # constant PUE: every month at 1.2
    assert res.monthly_pue.to_numpy() == pytest.approx(1.2)


def test_monthly_pue_is_energy_weighted():
    idx = pd.date_range("2023-02-01 03:00", periods=4, freq="h", tz="UTC")
    sched = pd.DataFrame({"facility_power_mw": [2.0, 4.0, 3.0, 3.0],
                          "it_power_mw": [1.0, 2.0, 2.0, 2.0]}, index=idx)
    # 1 Feb 03:00 and 04:00 UTC are still January in New York (UTC-5); 05:00 is February
    got = monthly_pue(sched, "America/New_York")
    assert got.to_dict() == {"2023-01": pytest.approx(6 / 3), "2023-02": pytest.approx(6 / 4)}


def test_sites_file_and_bad_rank(tmp_path, small_files):
    sites = tmp_path / "sites.yaml"
    sites.write_text(yaml.safe_dump({
        "rank_by": "peak_import_mw",
        "sites": [small_files[0].name,
                  {"scenario": small_files[1].name, "label": "Cheap site",
                   "overrides": {"grid": {"import_limit_mw": 12}}}]}))
    entries, options = load_sites(sites)
    assert options == {"rank_by": "peak_import_mw"}
    assert entries[1].label == "Cheap site" and entries[0].scenario == str(small_files[0])
    res = compare([sites], processes=1, progress=False)
    assert res.table.loc["Cheap site", "headroom_mw"] == pytest.approx(
        12.0 - res.summaries["Cheap site"].metrics["peak_import_mw"])
    with pytest.raises(ScenarioError, match="cannot rank by 'colour'"):
        rank_table(res.table, "colour")
    bad = tmp_path / "bad_sites.yaml"
    bad.write_text("sites: []\n")
    with pytest.raises(ScenarioError, match="non-empty 'sites' list"):
        load_sites(bad)
    bad.write_text(yaml.safe_dump({"sites": [{"scenario": "a.yaml", "grid": 1}]}))
    with pytest.raises(ScenarioError, match=r"unknown keys \['grid'\]"):
        load_sites(bad)
    # the grid's curtailment rate is in percent, as in 'dcflex headroom --rates'
    for rate, field in (("abc", "rate_pct"), (150, "rate_pct"), (0.5, None)):
        bad.write_text(yaml.safe_dump({"sites": [{"scenario": "a.yaml", "grid_demand": {
            "file": "x.csv", "ba": "PJM", "rate_pct": rate}}]}))
        if field is None:
            assert load_sites(bad)[0][0].grid_demand.rate == pytest.approx(0.005)
            continue
        with pytest.raises(ScenarioError) as info:
            load_sites(bad)
        assert info.value.field == f"sites[0].grid_demand.{field}"
        assert info.value.file == str(bad)
    # an unknown ranking metric stops before any site runs
    with pytest.raises(ScenarioError, match="cannot rank by 'colour'"):
        compare([tmp_path / "does_not_exist.yaml"], processes=1, progress=False,
                rank_by="colour")


def test_cli_compare(tmp_path, small_files):
    app = typer.Typer()
    app.command()(compare_command)
    out = tmp_path / "out"
    result = CliRunner().invoke(app, [*map(str, small_files), "--processes", "1",
                                      "--no-progress", "--out", str(out)])
    # one site failed: reported, the others written, exit code 2
    assert result.exit_code == 2
    assert "too-small-grid" in result.output and "Traceback" not in result.output
    assert "ranked by total_cost_usd" in result.output
    assert "site_water_m3" in result.output and "wue_site_l_per_kwh" in result.output
    table = pd.read_csv(out / "compare.csv", index_col="site")
    assert list(table.index) == ["cheap", "dear"]
    # constant PUE: the cooling, and so its water, is not modeled
    assert table["site_water_m3"].isna().all()
    ok = CliRunner().invoke(app, [*map(str, small_files[:2]), "--processes", "1",
                                  "--no-progress", "--rank-by", "colour"])
    assert ok.exit_code == 2 and "cannot rank by 'colour'" in ok.output
