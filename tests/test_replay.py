"""Field replay as prediction, on the real files of the Phoenix demonstration (emerald-demo).

Facts checked against the data (emerald-demo SOURCE.txt and the files): SRP job GPUs 32 + 32 +
2 x 48 + 48 + 48 = 256; APS sheet Fig5's total is the sum of its six job columns; SRP tier-
weighted measured performance 0.90788 (Fig2_data.xlsx, weights = tier / 3.9).

Scores are RMSE of 1-min cluster power over the request window plus ramps, in % of the
metered baseline. The acceptance of issue 14 asked APS <= 6 %; predicted from the request with
the SRP calibration it scores 8.94 % (flat line 11.21 %, Emerald's own simulator 3.75 %), and
the tests below assert that figure and what blocks 6 %: more than half of its squared error
is the 20 ramp-down minutes, where the meter fell to its hold within 6 min of the plan's first
command and then overshot; the hold itself was 37.6 % for 91 min and 31.2 % for 91 min, which
no flat aim reaches (4.7 % RMSE for the best constant chosen on APS itself); only with the
level and the ramp timing both fitted on APS's own meter does the model reach 5.6 %.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import nbformat
import numpy as np
import pandas as pd
import pytest
import typer
from jupyter_client.kernelspec import NoSuchKernel
from jupyter_client.manager import KernelManager
from nbclient import NotebookClient
from typer.testing import CliRunner

from dcflex.cli.replay import replay_command
from dcflex.data.datasets import shared_data
from dcflex.studies.field.calibrate import calibrate
from dcflex.studies.field.calibration import PARAMETERS, bundled_calibration
from dcflex.studies.field.event_file import bundled_path, load_event
from dcflex.studies.field.plots import plot_deepest_cut, plot_pair
from dcflex.studies.field.replay import replay
from dcflex.studies.field.request import span_mask
from dcflex.studies.field.score import error_stats

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "phoenix_replay.ipynb"
SRP_CSV = "shared:emerald-demo/SRP_total_power.csv"


@pytest.fixture(scope="module")
def cal_aps():
    return calibrate(load_event("emerald-aps"))


@pytest.fixture(scope="module")
def timed():
    """Controller timing fitted too, on each event: {event: calibration} (sensitivity only)."""
    return {n: calibrate(load_event(n), fit_timing_too=True) for n in ("emerald-srp",
                                                                        "emerald-aps")}


@pytest.fixture(scope="module")
def srp_in():
    return replay("emerald-srp")  # bundled calibration = fitted on SRP: in-sample


@pytest.fixture(scope="module")
def srp_oos(cal_aps):
    return replay("emerald-srp", cal_aps)


@pytest.fixture(scope="module")
def aps():
    return replay("emerald-aps")  # calibrated on SRP: out of sample


@pytest.fixture(scope="module")
def aps_stated():
    return replay("emerald-aps", "none")


def _event_copy(tmp_path: Path, name: str = "ev.yaml", event: str = "emerald-srp",
                **repl: str) -> Path:
    text = bundled_path(event).read_text()
    for old, new in repl.items():
        assert old in text, old
        text = text.replace(old, new)
    path = tmp_path / name
    path.write_text(text)
    return path


def _srp_csv_plus(tmp_path: Path, kw: float, before: str | None = None,
                  after: str | None = None) -> Path:
    """SRP power file with ``kw`` added (optionally only before/after a local time)."""
    df = pd.read_csv(shared_data("emerald-demo", "SRP_total_power.csv"))
    local = pd.to_datetime(df["timestamp"], format="ISO8601").dt.strftime("%H:%M")
    sel = np.ones(len(df), bool)
    if before:
        sel &= (local < before).to_numpy()
    if after:
        sel &= (local >= after).to_numpy()
    df.loc[sel, "total"] += kw * 1e3
    path = tmp_path / f"srp_plus_{kw:g}_{before}_{after}.csv"
    df.to_csv(path, index=False)
    return path


def test_bundled_events_carry_the_papers_request():
    for name in ("emerald-srp", "emerald-aps"):
        spec = load_event(name).spec
        (w,) = spec.request.windows
        assert w.cut_fraction == 0.25
        assert spec.baseline.rule == "sweep" and spec.cluster.restart_cost_min == 0
    srp, aps = load_event("emerald-srp").spec.request, load_event("emerald-aps").spec.request
    assert (srp.windows[0].start, srp.windows[0].end, srp.ramp_down_min, srp.ramp_up_min) == (
        "16:15", "19:15", 15, 15)
    assert "issue 14" in srp.timing_source
    assert (aps.windows[0].start, aps.windows[0].end, aps.ramp_down_min, aps.ramp_up_min) == (
        "18:00", "21:02", 20, 18)
    assert "ex-ante plan" in aps.timing_source and "nothing from the meter" in aps.timing_source
    assert sum(j.n_gpus for j in load_event("emerald-srp").spec.cluster.jobs) == 256
    assert sum(j.n_gpus for j in load_event("emerald-aps").spec.cluster.jobs) == 240
    text = bundled_path("emerald-aps").read_text()
    assert "NOT in the retrievable paper text" in text and "Tiers: NOT in the paper" in text


def test_aps_request_timing_is_the_change_times_of_emeralds_ex_ante_plan():
    """The APS clock times are the plan's change times, to the minute (never its levels)."""
    sheet = pd.read_excel(shared_data("emerald-demo", "Fig345_data.xlsx"), sheet_name="Fig5",
                          header=1, usecols="J:K").dropna()
    t = pd.to_datetime(sheet.iloc[:, 0].astype(str), format="ISO8601")
    kw = sheet.iloc[:, 1].to_numpy()
    changes = t[1:][np.diff(kw) != 0].dt.tz_localize(None)
    clock = lambda ts: ts.strftime("%H:%M")  # noqa: E731
    ramp_start = changes.iloc[0].floor("min")
    hold_start = changes[changes < pd.Timestamp("2025-05-01 19:00")].iloc[-1].ceil("min")
    release = changes[changes > pd.Timestamp("2025-05-01 20:00")].iloc[0].floor("min")
    back = changes.iloc[-1].ceil("min")
    req = load_event("emerald-aps").spec.request
    (w,) = req.windows
    assert (clock(hold_start), clock(release)) == (w.start, w.end) == ("18:00", "21:02")
    assert (hold_start - ramp_start) / pd.Timedelta(minutes=1) == req.ramp_down_min == 20
    assert (back - release) / pd.Timedelta(minutes=1) == req.ramp_up_min == 18
    assert clock(ramp_start) == "17:40" and clock(back) == "21:20"


def test_aps_meter_is_the_sum_of_its_jobs(aps):
    # why the event files count a paused job's GPUs as 0 W
    diff = aps.measured.jobs_kw.sum(axis=1) - aps.measured.total_kw
    assert diff.abs().max() < 1e-9
    assert len(aps.measured.jobs_kw.columns) == 6


def test_prediction_never_reads_the_meter(tmp_path, srp_in):
    """10 kW more on the meter: same prediction byte for byte, different scores."""
    plus = _srp_csv_plus(tmp_path, 10.0)
    r = replay(load_event(_event_copy(tmp_path, **{SRP_CSV: str(plus)})))
    assert r.prediction.frame.to_csv() == srp_in.prediction.frame.to_csv()
    assert r.prediction.jobs.to_csv() == srp_in.prediction.jobs.to_csv()
    assert r.metric("baseline_measured_kw") == pytest.approx(
        srp_in.metric("baseline_measured_kw") + 10.0)
    assert r.metric("rmse_pct") != pytest.approx(srp_in.metric("rmse_pct"), rel=1e-3)


def test_aps_prediction_never_reads_the_workbook(tmp_path, aps):
    """10 kW more on every metered column and on the plan: same prediction, other scores."""
    import openpyxl

    wb = openpyxl.load_workbook(shared_data("emerald-demo", "Fig345_data.xlsx"))
    ws = wb["Fig5"]
    for row in ws.iter_rows(min_row=3, min_col=2, max_col=11):
        for cell in row:
            if cell.column_letter not in ("I", "J") and isinstance(cell.value, float):
                cell.value += 10_000.0
    book = tmp_path / "fig345_plus_10kw.xlsx"
    wb.save(book)
    path = _event_copy(tmp_path, "aps.yaml", "emerald-aps",
                       **{"file: shared:emerald-demo/Fig345_data.xlsx": f"file: {book}"})
    r = replay(load_event(path))
    assert r.prediction.frame.to_csv() == aps.prediction.frame.to_csv()
    assert r.metric("baseline_measured_kw") == pytest.approx(
        aps.metric("baseline_measured_kw") + 10.0)
    assert r.metric("reference_rmse_pct") != pytest.approx(aps.metric("reference_rmse_pct"))
    assert r.metric("rmse_pct") != pytest.approx(aps.metric("rmse_pct"), rel=1e-3)


def test_pre_notice_baseline_reads_only_before_notice(tmp_path, srp_in):
    def predicted_baseline(csv: Path) -> tuple[float, str]:
        path = _event_copy(tmp_path, f"{csv.stem}.yaml", **{
            "  rule: sweep": f"  rule: pre_notice_mean\n  minutes: 60\n  telemetry: "
                             f"{{file: {csv}, time_column: timestamp, column: total, "
                             f"shift_to_request_date: true}}"})
        r = replay(load_event(path), "none")
        return r.prediction.baseline_kw, r.prediction.frame.to_csv()

    base, frame = predicted_baseline(_srp_csv_plus(tmp_path, 0.0))
    # the 60 min before the ramp-down (notice unknown -> the ramp start, 16:00) are the
    # scorer's baseline window 15:00-16:00 too
    assert base == pytest.approx(srp_in.metric("baseline_measured_kw"))
    after, frame_after = predicted_baseline(_srp_csv_plus(tmp_path, 10.0, after="16:00"))
    assert after == base and frame_after == frame
    before, _ = predicted_baseline(_srp_csv_plus(tmp_path, 10.0, before="16:00"))
    assert before == pytest.approx(base + 10.0)


def test_bundled_calibration_is_what_calibrating_on_srp_gives():
    fresh = calibrate(load_event("emerald-srp"))
    shipped = bundled_calibration()
    assert shipped.calibrated_on == fresh.calibrated_on == "emerald-srp"
    for name in ("meter_scale", "cut_margin"):
        assert getattr(shipped, name) == pytest.approx(getattr(fresh, name), rel=1e-12)
    assert (shipped.tier_window, shipped.job_control) == (fresh.tier_window, fresh.job_control)
    # SRP's per-job performance picks whole jobs in tier order over spreading caps
    assert (shipped.job_control, shipped.tier_window) == ("pause_only", "request")
    assert "pause_only, tiers over the request window and ramps: 9.5" in shipped.how["job_control"]
    assert "cap_and_pause, tiers over the request window and ramps: 11.7" in \
        shipped.how["job_control"]
    assert all(shipped.source_of(n) == fresh.source_of(n) for n in PARAMETERS)
    # 93.10 kW metered / 94.84 kW in the sweep; SRP held 31.0 % where 25 % was asked
    assert shipped.meter_scale == pytest.approx(93.10 / 94.84, abs=2e-4)
    assert shipped.cut_margin == pytest.approx(0.310 - 0.25, abs=1e-3)


def test_srp_out_of_sample_beats_the_flat_line(srp_oos, srp_in):
    """SRP predicted from the request with parameters calibrated on APS: 7.02 % vs 8.55 %.

    With nothing calibrated it does not (9.71 %): the request says 25 % and SRP held 31 %,
    the sweep reads 1.9 % above the meter, and the meter held 17 min past issue 14's window.
    """
    m = srp_oos.metrics()["value"]
    stated = replay("emerald-srp", "none")
    print(f"\nSRP calibrated on APS: RMSE {m['rmse_pct']:.2f} % (flat {m['flat_rmse_pct']:.2f} "
          f"%); in-sample {srp_in.metric('rmse_pct'):.2f} %; stated "
          f"{stated.metric('rmse_pct'):.2f} %")
    assert not srp_oos.in_sample and srp_in.in_sample
    assert m["rmse_pct"] < m["flat_rmse_pct"]
    assert m["rmse_pct"] == pytest.approx(7.02, abs=0.05)
    assert m["flat_rmse_pct"] == pytest.approx(8.55, abs=0.05)
    assert stated.metric("rmse_pct") > m["flat_rmse_pct"]
    assert m["max_error_pct"] >= m["rmse_pct"]
    assert "predicted from the request" in srp_oos.label and "emerald-aps" in srp_oos.label


def test_aps_predicted_with_srp_calibration(aps, aps_stated):
    """Out of sample, below the flat line; 8.94 %, not the 6 % issue 14 hoped for."""
    m = aps.metrics()["value"]
    print(f"\nAPS calibrated on SRP: RMSE {m['rmse_pct']:.2f} %, flat {m['flat_rmse_pct']:.2f} %, "
          f"Emerald {m['reference_rmse_pct']:.2f} %; stated defaults "
          f"{aps_stated.metric('rmse_pct'):.2f} %")
    assert not aps.in_sample and "calibrated on emerald-srp" in aps.label
    assert m["rmse_pct"] < m["flat_rmse_pct"]
    assert m["rmse_pct"] < aps_stated.metric("rmse_pct")
    assert m["rmse_pct"] == pytest.approx(8.94, abs=0.05)
    assert m["flat_rmse_pct"] == pytest.approx(11.21, abs=0.05)
    assert m["reference_rmse_pct"] == pytest.approx(3.75, abs=0.05)  # Emerald's plan is better
    # SRP's compliance buffer carries over, short of APS's: 31.4 % predicted, 34.4 % metered
    assert m["predicted_cut_pct"] == pytest.approx(31.4, abs=0.05)
    assert m["measured_cut_pct"] == pytest.approx(34.4, abs=0.05)


def _span(r, start: str, end: str) -> np.ndarray:
    """Steps of ``[start, end)`` local on the event's date."""
    t = r.scores.frame.index.tz_convert(r.tz)
    day = r.event.spec.request.date.isoformat()
    return span_mask(t, pd.Timestamp(f"{day} {start}", tz=r.tz),
                     pd.Timestamp(f"{day} {end}", tz=r.tz))


def test_what_keeps_aps_above_6pct(aps, timed):
    """Where the 8.94 % comes from, and what it would take to reach 6 %."""
    f = aps.scores.frame
    meas = f["measured_kw"].to_numpy()
    err2 = (f["predicted_kw"].to_numpy() - meas) ** 2
    base = aps.metric("baseline_measured_kw")
    scored = np.isfinite(f["flat_reference_kw"].to_numpy())
    phases = {"ramp-down": ("17:40", "18:00"), "hold": ("18:00", "21:02"),
              "ramp-up": ("21:02", "21:20")}
    share, rmse = {}, {}
    for name, (a, b) in phases.items():
        m = _span(aps, a, b)
        share[name] = err2[m].sum() / err2[scored].sum() * 100
        rmse[name] = np.sqrt(err2[m].mean()) / base * 100
    print("\n" + ", ".join(f"{k} {rmse[k]:.1f} % ({share[k]:.0f} % of the squared error)"
                           for k in phases))
    assert sum(share.values()) == pytest.approx(100.0)
    # the plan ramps over 20 min; the meter reached its hold level within 6 and overshot
    assert share["ramp-down"] > 50 and rmse["ramp-down"] > 20
    local = f.index.tz_convert(aps.tz).strftime("%H:%M")
    assert meas[local == "17:46"].item() < 0.66 * base
    assert meas[local == "17:56"].item() == pytest.approx(38.8, abs=0.05)
    # the hold was two levels (the 7B job paused, then swapped for an inference job): no flat
    # aim reaches them, not even the best constant chosen on APS's own meter
    cut = {k: (1 - meas[_span(aps, a, b)].mean() / base) * 100
           for k, (a, b) in {"first": ("18:00", "19:31"), "second": ("19:31", "21:02")}.items()}
    assert cut["first"] == pytest.approx(37.6, abs=0.1)
    assert cut["second"] == pytest.approx(31.2, abs=0.1)
    best_constant = meas[_span(aps, "18:00", "21:02")].std() / base * 100
    assert 4.5 < best_constant < rmse["hold"]
    # level and timing both fitted on APS itself (in-sample) are what it would take
    own = replay("emerald-aps", timed["emerald-aps"])
    assert own.in_sample and own.metric("rmse_pct") < 6.0 < aps.metric("rmse_pct")


def test_timing_does_not_carry_over_in_both_directions(aps, srp_oos, timed):
    """Controller timing fitted on one event, used on the other: no variant helps both ways.

    The full timing fitted on SRP (delays too) makes APS worse. The ramp lengths alone help
    one direction and hurt the other (SRP's clock time is issue 14's reading, APS's the
    operator's plan), so none is kept.
    """
    srp_t, aps_t = timed["emerald-srp"], timed["emerald-aps"]
    assert srp_t.response_delay_min > 0  # SRP's meter fell after issue 14's ramp start
    assert replay("emerald-aps", srp_t).metric("rmse_pct") > aps.metric("rmse_pct")
    for lengths in (("ramp_down_min",), ("ramp_up_min",), ("ramp_down_min", "ramp_up_min")):
        to_aps = aps.prediction.calibration.calibrated(
            "emerald-srp", **{k: (getattr(srp_t, k), "") for k in lengths})
        to_srp = srp_oos.prediction.calibration.calibrated(
            "emerald-aps", **{k: (getattr(aps_t, k), "") for k in lengths})
        helps_aps = replay("emerald-aps", to_aps).metric("rmse_pct") < aps.metric("rmse_pct")
        helps_srp = replay("emerald-srp", to_srp).metric("rmse_pct") < srp_oos.metric("rmse_pct")
        assert helps_aps != helps_srp, lengths


def test_emeralds_projection_scores_about_4_6pct_over_the_issues_span(aps):
    f = aps.scores.frame
    t = f.index.tz_convert(aps.tz)
    span = span_mask(t, pd.Timestamp("2025-05-01 17:40", tz=aps.tz),
                     pd.Timestamp("2025-05-01 21:30", tz=aps.tz))
    rmse, _ = error_stats(f["reference_kw"].to_numpy(), f["measured_kw"].to_numpy(), span,
                          aps.metric("baseline_measured_kw"))
    assert 3.0 < rmse < 4.7


def test_bookkeeping_of_the_predicted_plan(aps):
    f = aps.prediction.frame
    jobs = [c for c in f.columns if c.startswith("job_power_kw__")]
    np.testing.assert_allclose(f[jobs].sum(axis=1), f["predicted_kw"], rtol=1e-9)
    aim = f["controller_target_kw"].to_numpy()
    capped = np.isfinite(aim)
    assert np.all(f["predicted_kw"].to_numpy()[capped] <= aim[capped] + 1e-6)
    assert aps.prediction.plan.tier_floors_hold()
    cal = aps.prediction.calibration
    # inside the window the plan sits at the aim: 25 % + the margin below the predicted baseline
    level = (1 - aps.metric("predicted_cut_pct") / 100) * aps.metric("baseline_measured_kw") \
        / aps.prediction.baseline_kw
    assert 1 - level == pytest.approx(0.25 + cal.cut_margin, abs=1e-6)


def test_per_job_scores_and_performance(aps, srp_in):
    jobs = aps.scores.jobs
    assert jobs["rmse_pct"].notna().sum() == 6 and (jobs["flat_rmse_pct"] > 0).all()
    sj = srp_in.scores.jobs
    assert (sj["file_flex"] == sj["flex"]).all()  # tiers in the event file = the results file
    assert srp_in.metric("measured_weighted_performance") == pytest.approx(0.90788, abs=5e-5)
    assert sj["predicted_performance"].between(0, 1).all()
    # whole jobs in tier order: the prediction beats cutting every job by the request fraction
    # on SRP's performance (in-sample: it chose job_control) and, out of sample, a flat cut
    # of each APS job's own metered power
    assert srp_in.metric("performance_rmse_pts") < srp_in.metric("naive_performance_rmse_pts")
    assert aps.metric("job_rmse_pct_mean") < aps.metric("job_flat_rmse_pct_mean")
    # the prediction keeps every tier over its tier window
    assert (srp_in.prediction.jobs["tier_throughput"]
            >= srp_in.prediction.jobs["min_throughput"] - 1e-6).all()


def test_deepest_cut_states_whether_it_rests_on_the_restart_relaxation(tmp_path, srp_in):
    dc = srp_in.deepest
    assert dc.plan.tier_floors_hold() and dc.cut_fraction >= 0.25
    assert not dc.rests_on_relaxation and "does not rest" in dc.statement
    fig = plot_deepest_cut(srp_in)
    assert "relaxation" in fig.axes[0].get_title()
    costly = replay(load_event(_event_copy(tmp_path, **{"restart_cost_min: 0":
                                                          "restart_cost_min: 30"})))
    dc30 = costly.deepest
    u = np.concatenate([dc30.plan.schedule[f"restarts__{j.name}"].to_numpy()
                        for j in costly.prediction.cluster.jobs])
    fractional = bool(np.any((u > 1e-6) & (u < 1 - 1e-6)))
    assert dc30.rests_on_relaxation == fractional
    assert ("rests on" in dc30.statement) == fractional
    assert dc30.cut_fraction <= dc.cut_fraction + 1e-6  # restarts that cost can only hurt


def test_side_by_side_figure_has_both_events_and_job_panels(srp_in, aps):
    fig = plot_pair(srp_in, aps)
    titles = [ax.get_title() for ax in fig.axes]
    assert any("emerald-srp" in t and "IN-SAMPLE" in t for t in titles)
    assert any("emerald-aps" in t and "predicted from the request" in t for t in titles)
    assert len(fig.axes) == 2 + 6 + 6


def test_cli_replay_writes_tables_and_plots(tmp_path):
    app = typer.Typer()
    app.command("replay")(replay_command)
    app.command("noop")(lambda: None)  # two commands keep the command name on the line
    runner = CliRunner()
    result = runner.invoke(app, ["replay", "emerald-aps", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "predicted from the request" in result.output and "rmse_pct" in result.output
    assert "request timing: operator's ex-ante plan" in " ".join(result.output.split())
    metrics = pd.read_csv(tmp_path / "emerald-aps_metrics.csv", index_col="name")
    assert metrics.loc["rmse_pct", "value"] < metrics.loc["flat_rmse_pct", "value"]
    power = pd.read_csv(tmp_path / "emerald-aps_power.csv")
    assert len(power) == 400 and {"measured_kw", "predicted_kw", "reference_kw"} <= set(power)
    for png in ("emerald-aps.png", "emerald-aps_deepest_cut.png"):
        assert (tmp_path / png).stat().st_size > 10_000
    cal = tmp_path / "cal.yaml"
    fitted = runner.invoke(app, ["replay", "emerald-srp", "--calibrate", str(cal)])
    assert fitted.exit_code == 0 and "IN-SAMPLE" in fitted.output and cal.exists()
    bad = runner.invoke(app, ["replay", "nowhere"])
    assert bad.exit_code == 2 and "unknown event" in bad.output
    bad_cal = runner.invoke(app, ["replay", "emerald-srp", "-c", str(tmp_path / "no.yaml")])
    assert bad_cal.exit_code == 2 and "not found" in bad_cal.output


def test_cli_predicts_an_event_without_a_meter_and_notes_an_unreachable_request(tmp_path):
    """A request deeper than the tiers allow: the prediction says so and holds the deepest cut."""
    text = bundled_path("emerald-srp").read_text()
    text = text.replace("cut_fraction: 0.25}", "cut_fraction: 0.8}")
    text = text[:text.index("measured:   # for scoring only")]
    path = tmp_path / "no_meter.yaml"
    path.write_text(text)
    app = typer.Typer()
    app.command("replay")(replay_command)
    app.command("noop")(lambda: None)
    result = CliRunner().invoke(app, ["replay", str(path), "-c", "none", "-o", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "do not allow" in result.output and "nothing measured" in result.output
    pred = pd.read_csv(tmp_path / "emerald-srp_prediction.csv")
    aim = pred["controller_target_kw"].to_numpy()
    window = np.isfinite(aim) & (aim < 0.3 * pred["predicted_kw"].max())
    # tiers keep the cluster above the 80 % cut: it sits above the aim in the window
    assert (pred["predicted_kw"].to_numpy()[window] > aim[window] + 1.0).all()
    fitted = CliRunner().invoke(app, ["replay", str(path), "--calibrate", str(tmp_path / "c.y")])
    assert fitted.exit_code == 2 and "no 'measured' section" in fitted.output


def _python3_kernel_is_this_python(monkeypatch, tmp_path) -> None:
    """Make kernel "python3" start this interpreter (which has dcflex installed)."""
    def resolved():
        try:
            return KernelManager(kernel_name="python3").format_kernel_cmd()[0]
        except NoSuchKernel:
            return None

    if resolved() != sys.executable:
        spec = tmp_path / "jupyter" / "kernels" / "python3"
        spec.mkdir(parents=True)
        (spec / "kernel.json").write_text(json.dumps({
            "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
            "display_name": "Python 3", "language": "python"}))
        monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
    assert os.path.abspath(resolved()) == os.path.abspath(sys.executable)


def test_notebook_runs_clean(tmp_path, monkeypatch):
    nb = nbformat.read(NOTEBOOK, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert not any(c.get("outputs") for c in code), "commit the notebook with cleared outputs"
    _python3_kernel_is_this_python(monkeypatch, tmp_path)
    NotebookClient(nb, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    outputs = [o for c in code for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    text = "".join(o.get("text", "") for o in outputs if o.get("output_type") == "stream")
    assert "predicted from the request" in text and "calibrated on emerald-srp" in text
    images = [o for o in outputs if "image/png" in o.get("data", {})]
    assert len(images) >= 2
