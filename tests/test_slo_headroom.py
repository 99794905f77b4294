"""SLO-aware headroom: hand-solved sites on synthetic grids, block vs full period, real ERCOT."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import typer
import yaml
from typer.testing import CliRunner

from dcflex.cli.compare import slo_headroom_command
from dcflex.errors import DataError, InfeasibleError
from dcflex.model.inputs import prepare
from dcflex.model.twin import baseline_schedule
from dcflex.scenario import scenario_from_dict
from dcflex.studies.run import run_inputs
from dcflex.studies.slo_headroom import (
    curtailment_rate_at,
    event_blocks,
    firm_size_factor,
    rate_limit_size_factor,
    read_grid_demand,
    slo_headroom,
    with_import_caps,
)

TZ = "America/New_York"
PUE = 1.2
THRESHOLD_MW = 12_000.0
BASE_MW = 10_000.0
# Room under the threshold at 17:00 local on each day of the period, MW.
SPIKE_ROOM_MW = {10: 50.0, 11: 40.0, 12: 60.0, 13: 45.0}

INFERENCE = {"kind": "inference", "servers": 100,
             "utilization": {"generator": "diurnal", "mean": 0.5, "daily_amplitude": 0.4,
                             "peak_hour": 14}}
TRAINING = {"kind": "training", "servers": 200, "min_throughput": 0.9}


def _site_dict(classes: dict, start: str = "2023-07-10", end: str = "2023-07-14",
               **extra) -> dict:
    return {
        "name": "synthetic",
        "site": {"name": "x", "latitude_deg": 35.0, "longitude_deg": -80.0, "timezone": TZ},
        "period": {"start": start, "end": end},
        "workload": {"gpu": "H100", "classes": classes},
        "facility": {"pue": PUE},
        "grid": {"import_limit_mw": 10},
        "tariff": {"energy_price_usd_per_mwh": 50},
        "carbon": {"average_kg_per_mwh": 300},
        **extra,
    }


def _site(classes: dict, **kw):
    return scenario_from_dict(_site_dict(classes, **kw))


@pytest.fixture(scope="module")
def grid_demand() -> pd.Series:
    """Flat 10 GW with one spike hour per day at 17:00 local; threshold 12 GW."""
    idx = pd.date_range("2023-07-08", "2023-07-25", freq="h", tz="UTC", name="time_utc")
    d = pd.Series(BASE_MW, index=idx, name="demand_mw")
    local = idx.tz_convert(TZ)
    for day, room in SPIKE_ROOM_MW.items():
        d[(local.hour == 17) & (local.day == day)] = THRESHOLD_MW - room
    # the record's summer peak, after the site's period
    d[(local.hour == 17) & (local.day == 20)] = THRESHOLD_MW
    return d


def _room(inputs, demand: pd.Series) -> np.ndarray:
    return THRESHOLD_MW - demand.reindex(inputs.index).to_numpy()


def _feasible_with_caps(inputs, room: np.ndarray, size_factor: float) -> bool:
    """Independent check through the public pipeline: the year's caps g_t / s as import caps."""
    limit = inputs.series["import_limit_mw"].to_numpy()
    caps = np.where(room / size_factor < limit, room / size_factor, np.inf)
    scen = with_import_caps(inputs.scenario, inputs.index, caps, inputs.step_hours)
    try:
        run_inputs(prepare(scen))
    except InfeasibleError:
        return False
    return True


# --------------------------------------------------------------------------- closed forms


def test_firm_and_rate_limit_sizes_by_hand():
    # flat unit load 1 MW over 96 steps; one step with 50 MW of room, the rest 2000 MW
    p = np.ones(96)
    g = np.full(96, 2000.0)
    g[40] = 50.0
    assert firm_size_factor(p, g) == 50.0
    # for 50 < s < 2000 only step 40 is curtailed: rate = (1 - 50 / s) / 96
    # rate 0.5 %: 1 - 50 / s = 0.48  ->  s = 50 / 0.52
    s = rate_limit_size_factor(p, g, 0.005)
    assert s == pytest.approx(50 / 0.52, rel=1e-10)
    assert curtailment_rate_at(s, p, g) == pytest.approx(0.005, rel=1e-10)
    # a step that draws nothing never limits the firm size
    p2 = p.copy()
    p2[40] = 0.0
    assert firm_size_factor(p2, g) == 2000.0


def test_event_blocks_widen_align_and_merge():
    capped = np.zeros(200, bool)
    capped[[50, 51, 60, 150]] = True
    # margin 10 steps, windows of 24: [50, 62) -> [40, 72) -> [24, 72); [150, 151) -> [140,
    # 161) -> [120, 168)
    assert event_blocks(capped, 10, 24, 200) == [(24, 72), (120, 168)]
    # a wide margin merges them and stops at the period's end
    assert event_blocks(capped, 60, 24, 200) == [(0, 200)]


# --------------------------------------------------------------------------- the two tiers


def test_must_serve_inference_gets_zero_extra_headroom(grid_demand):
    """Only non-degradable inference: any curtailment hour needs import below business as
    usual, which must-serve load cannot give; the answer is the firm (no-curtailment) size."""
    scen = _site({"chat": INFERENCE})
    inputs = prepare(scen)
    res = slo_headroom(inputs, grid_demand, rate=0.05, thresholds=THRESHOLD_MW)

    unit = PUE * inputs.series["inference_demand_mw__chat"].to_numpy()  # business as usual
    room = _room(inputs, grid_demand)
    s_firm = float(np.min(room / unit))
    assert res.unit_peak_import_mw == pytest.approx(unit.max(), rel=1e-12)
    assert res.firm_size_factor == pytest.approx(s_firm, rel=1e-12)
    assert res.firm_mw == pytest.approx(s_firm * unit.max(), rel=1e-12)
    assert res.headroom_mw == res.firm_mw
    assert res.extra_mw == 0.0
    assert res.limited_by == "firm"
    assert res.curtailed_hours_h == 0.0 and len(res.events) == 0
    assert "must-serve" in res.explanation and "no headroom beyond firm" in res.explanation
    assert "below the must-serve load" in res.reason
    # the bisection's verdicts, checked again from scratch
    assert _feasible_with_caps(inputs, room, s_firm)
    assert not _feasible_with_caps(inputs, room, s_firm * (1 + res.rtol))


def test_deferrable_training_gets_more_headroom_by_hand(grid_demand):
    """Inference plus training with a 90 % daily throughput floor: in the one spike hour a day
    training can pause (idle power), so one copy of the site needs only
    PUE (inference_t + training idle) there; the headroom is the spike room over that."""
    scen = _site({"chat": INFERENCE, "pretrain": TRAINING})
    inputs = prepare(scen)
    res = slo_headroom(inputs, grid_demand, rate=0.05, thresholds=THRESHOLD_MW)

    cp = inputs.params["workload"]["classes"]["pretrain"]
    inf = inputs.series["inference_demand_mw__chat"].to_numpy()
    room = _room(inputs, grid_demand)
    spikes = room < 100
    s_star = float(np.min(room[spikes] / (PUE * (inf[spikes] + cp.idle_mw))))
    peak = float(np.max(PUE * (inf + cp.uncapped_mw)))
    hand_mw = s_star * peak
    # pausing one hour of 24 keeps throughput at 23/24 >= 0.9, and the base hours (2000 MW of
    # room) stay far above s* x 10 MW, so only the spike hours bind
    assert 2000 / s_star > 10
    assert hand_mw * (1 - res.rtol) <= res.headroom_mw <= hand_mw * (1 + 1e-9)
    assert res.limited_by == "slo"
    firm = float(np.min(room / (PUE * (inf + cp.uncapped_mw)))) * peak
    assert res.firm_mw == pytest.approx(firm, rel=1e-12)
    assert res.extra_mw > 0.4 * res.firm_mw
    # the must-serve twin of this grid gets less: flexibility is what buys the difference
    only_inference = slo_headroom(_site({"chat": INFERENCE}), grid_demand, rate=0.05,
                                  thresholds=THRESHOLD_MW)
    assert res.headroom_mw > 1.4 * only_inference.headroom_mw
    # every event at the answer is a spike hour, 1 h long, and the site absorbs them
    assert len(res.events) == len(SPIKE_ROOM_MW)
    assert (res.events["duration_h"] == 1.0).all()
    assert set(res.events["start_local"].dt.hour) == {17}
    assert "training" in res.explanation and "adds" in res.explanation
    assert _feasible_with_caps(inputs, room, res.size_factor)
    assert not _feasible_with_caps(inputs, room, s_star * 1.01)


def test_rate_limit_binds_when_work_can_wait(grid_demand):
    """Batch work with a 24 h deadline absorbs any curtailment up to a low rate limit."""
    # 18,000 of the 19,200 GPU-hours a day the class can run: business as usual runs from
    # midnight to 22:30, through the spike hour; the flexible schedule has 1.5 h to spare
    batch = {"kind": "batch", "servers": 100, "gpu_hours_per_day": 18000, "deadline_h": 24,
             "arrivals": "midnight"}
    scen = _site({"batch": batch})
    res = slo_headroom(scen, grid_demand, rate=0.002, thresholds=THRESHOLD_MW)
    assert res.limited_by == "rate"
    assert res.headroom_mw == res.rate_limit_mw
    assert res.curtailment_rate_fraction == pytest.approx(0.002, rel=1e-8)
    assert res.headroom_mw > res.firm_mw
    assert "up to the grid's rate limit" in res.explanation


def test_event_blocks_agree_with_full_period():
    """Blocks around the capped steps give the same size as optimizing the whole period."""
    classes = {
        "chat": INFERENCE,
        "pretrain": TRAINING,
        # released at midnight: this case is sized so that the SLO, not the rate, binds
        "batch": {"kind": "batch", "servers": 80, "gpu_hours_per_day": 6000, "deadline_h": 12,
                  "arrivals": "midnight"},
    }
    scen = _site(classes, start="2023-07-05", end="2023-07-19",
                 battery={"power_mw": 0.5, "energy_mwh": 2.0})
    idx = pd.date_range("2023-07-04", "2023-07-20", freq="h", tz="UTC")
    d = pd.Series(BASE_MW, index=idx)
    local = idx.tz_convert(TZ)
    for day, hours, room in ((6, (16, 17, 18), 45.0), (12, (17,), 40.0), (16, (15, 16), 55.0)):
        d[(local.day == day) & np.isin(local.hour, hours)] = THRESHOLD_MW - room
    blocks = slo_headroom(scen, d, rate=0.01, thresholds=THRESHOLD_MW)
    full = slo_headroom(scen, d, rate=0.01, thresholds=THRESHOLD_MW, full_period=True)
    assert blocks.n_blocks == 3 and full.n_blocks == 1
    assert blocks.limited_by == full.limited_by == "slo"
    assert blocks.headroom_mw == pytest.approx(full.headroom_mw, rel=blocks.rtol)


# --------------------------------------------------------------------------- data handling


def test_demand_of_another_year_is_refused(grid_demand):
    scen = _site({"chat": INFERENCE}, start="2024-07-10", end="2024-07-12")
    with pytest.raises(DataError, match="scenario's year"):
        slo_headroom(scen, grid_demand, thresholds=THRESHOLD_MW)


def test_ercot_2023_peak_hour_limits_the_dallas_site():
    """Real data: ERCOT's 2023 peak (85,432 MW, EIA stamp 2023-08-10 23:00 UTC = hour ending
    18:00 CDT) sits 112 MW under the 2020-2024 summer record (85,544 MW, Aug 2024)."""
    from dcflex.data.datasets import shared_data

    demand = read_grid_demand(shared_data("eia930-cleaned-demand", "ERCO_raw_2020-2024.csv"),
                              "ERCO")
    # hour-ending stamps moved to hour start
    assert demand.loc[pd.Timestamp("2023-08-10 22:00", tz="UTC")] == 85_432.0
    scen = Path(__file__).resolve().parents[1] / "scenarios" / "sites" / "ercot.yaml"
    res = slo_headroom(scen, demand, rate=0.005)
    assert res.thresholds["summer_mw"] == 85_544.0
    assert res.firm_mw < res.headroom_mw < res.rate_limit_mw
    assert res.limited_by == "slo"
    # the answer is held by that hour, 17:00-18:00 CDT, inside the first of the events; the
    # non-GPU power that follows the GPUs (dcflex.workloads.gpus) lets the site shed enough to
    # absorb nine more late-August afternoon events before it
    assert len(res.events) == 10
    peak = pd.Timestamp("2023-08-10 17:00", tz="America/Chicago")
    assert res.events["start_local"].iloc[0] <= peak <= res.events["end_local"].iloc[0]
    # the site's import there is capped at 112 MW / s: size = 112 MW / (least import per copy)
    assert res.size_factor * res.unit_peak_import_mw == pytest.approx(res.headroom_mw)
    assert "2023-08-10 17:00" in res.reason


# --------------------------------------------------------------------------- CLI


def test_cli_slo_headroom(tmp_path, grid_demand):
    scen_file = tmp_path / "site.yaml"
    scen_file.write_text(yaml.safe_dump(_site_dict({"chat": INFERENCE, "pretrain": TRAINING})))
    # EIA-930 layout, hour-ending stamps (so each value is written one hour later)
    csv = tmp_path / "TEST_raw.csv"
    stamps = (grid_demand.index + pd.Timedelta(hours=1)).strftime("%Y-%m-%d %H:%M:%S")
    pd.DataFrame({"date_time": stamps, "demand (MW)": grid_demand.to_numpy()}).to_csv(
        csv, index=False)
    app = typer.Typer()
    app.command()(slo_headroom_command)
    out = tmp_path / "out"
    # the record holds only July: thresholds need both seasons
    bad = CliRunner().invoke(app, [str(scen_file), str(csv), "--ba", "TEST"])
    assert bad.exit_code == 2
    assert "expected demand in winter" in bad.output
    assert "Traceback" not in bad.output
    wrong_rate = CliRunner().invoke(app, [str(scen_file), str(csv), "--ba", "TEST",
                                          "--rate", "0"])
    assert wrong_rate.exit_code == 2
    # a record with a winter month too
    winter_idx = pd.date_range("2023-01-01", "2023-01-10", freq="h", tz="UTC")
    winter = pd.Series(9_000.0, index=winter_idx)
    both = pd.concat([winter, grid_demand])
    stamps = (both.index + pd.Timedelta(hours=1)).strftime("%Y-%m-%d %H:%M:%S")
    pd.DataFrame({"date_time": stamps, "demand (MW)": both.to_numpy()}).to_csv(csv, index=False)
    ok = CliRunner().invoke(app, [str(scen_file), str(csv), "--ba", "TEST", "--rate", "5",
                                  "--gap-policy", "interpolate", "--out", str(out)])
    assert ok.exit_code == 0, ok.output
    assert "SLO-aware headroom" in ok.output
    doc = json.loads((out / "slo_headroom.json").read_text())
    # summer threshold = the record's summer peak, 12 GW: the grid of the tests above
    expected = slo_headroom(scen_file, grid_demand, rate=0.05, thresholds=THRESHOLD_MW)
    assert doc["thresholds"]["summer_mw"] == THRESHOLD_MW
    assert doc["limited_by"] == "slo"
    assert doc["headroom_mw"] == pytest.approx(expected.headroom_mw, rel=1e-12)
    events = pd.read_csv(out / "slo_headroom_events.csv")
    assert len(events) == len(expected.events)


def test_baseline_import_is_the_unit_load(grid_demand):
    """The per-hour load the grid sees is the business-as-usual twin's import."""
    scen = _site({"chat": INFERENCE, "pretrain": TRAINING})
    inputs = prepare(scen)
    res = slo_headroom(inputs, grid_demand, rate=0.05, thresholds=THRESHOLD_MW)
    unit = baseline_schedule(inputs)["grid_import_mw"].to_numpy()
    room = _room(inputs, grid_demand)
    assert res.curtailment_rate_fraction == pytest.approx(
        curtailment_rate_at(res.size_factor, unit, room), rel=1e-12)
    shed = np.minimum(res.size_factor * unit,
                      np.maximum(0, res.size_factor * unit - room))
    assert res.curtailed_energy_mwh == pytest.approx(shed.sum(), rel=1e-12)
