"""Philly batch releases, Azure LLM inference shape and the seeded generators calibrated to them."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from dcflex.data.datasets import shared_data
from dcflex.errors import ScenarioError
from dcflex.workloads.synthetic import (
    AZURE_MINUTE_CV,
    AZURE_MINUTE_PEAK_TO_MEAN,
    PHILLY_JOB_MODEL,
    fit_job_size_model,
    synthetic_batch_releases,
    synthetic_inference_profile,
)
from dcflex.workloads.traces import (
    batch_releases_from_jobs,
    burst_stats,
    diurnal_weekly_factor,
    inference_shape,
    read_azure_llm,
    read_philly,
    token_rate_per_minute,
)


@pytest.fixture(scope="module")
def jobs():
    return read_philly(shared_data("philly-via-adaptdl", "philly.csv"))


@pytest.fixture(scope="module")
def azure():
    code = read_azure_llm(
        shared_data("azure-llm-inference-2023", "AzureLLMInferenceTrace_code.csv")
    )
    conv = read_azure_llm(
        shared_data("azure-llm-inference-2023", "AzureLLMInferenceTrace_conv.csv")
    )
    return code, conv


def test_philly_matches_source_txt(jobs):
    assert len(jobs) == 82247
    counts = jobs["num_gpus"].value_counts().to_dict()
    for g, n in {1: 76627, 2: 1818, 4: 1870, 8: 1643, 16: 199, 32: 67}.items():
        assert counts[g] == n
    assert jobs["num_gpus"].max() == 128
    assert jobs["duration_h"].median() * 3600 == pytest.approx(1144.0)
    assert str(jobs["submit_utc"].dt.tz) == "UTC"
    assert jobs["submit_utc"].min() >= pd.Timestamp("2017-09-04", tz="UTC")
    assert jobs["submit_utc"].max() < pd.Timestamp("2017-12-23", tz="UTC")
    np.testing.assert_allclose(jobs["gpu_hours"], jobs["duration_h"] * jobs["num_gpus"])


@pytest.mark.parametrize("step", ["1D", "6h"])
def test_releases_conserve_gpu_hours(jobs, step):
    rel = batch_releases_from_jobs(jobs, step=step, slack_factor=2.0)
    assert rel["gpu_hours"].sum() == pytest.approx(jobs["gpu_hours"].sum(), rel=1e-12)
    assert rel["num_jobs"].sum() == len(jobs)
    td = pd.Timedelta(step)
    assert (rel["release_utc"] == rel["release_utc"].dt.floor(td)).all()
    assert rel["release_utc"].is_monotonic_increasing and rel["release_utc"].is_unique
    # every job is released at or after its submission, less than one step later
    release_of_job = jobs["submit_utc"].dt.ceil(td)
    assert ((release_of_job - jobs["submit_utc"]) < td).all()
    window_h = (rel["deadline_utc"] - rel["release_utc"]) / pd.Timedelta(hours=1)
    need_h = 2.0 * rel["longest_job_h"]
    assert (window_h >= need_h - 1e-9).all()
    assert (window_h < np.maximum(need_h, 0) + td / pd.Timedelta(hours=1) + 1e-9).all()
    assert ((window_h / (td / pd.Timedelta(hours=1))) % 1 == 0).all()


def test_releases_scaled_to_fleet(jobs):
    rel = batch_releases_from_jobs(jobs, step="1D", scale_to_gpus=1000)
    # releases run 2017-09-05 .. 2017-12-23 (110 daily steps = 2,640 h): 1,000 GPUs busy on
    # average -> 2,640,000 GPU-h
    assert rel["release_utc"].iloc[0] == pd.Timestamp("2017-09-05", tz="UTC")
    assert rel["release_utc"].iloc[-1] == pd.Timestamp("2017-12-23", tz="UTC")
    assert rel["gpu_hours"].sum() == pytest.approx(2_640_000.0, rel=1e-12)
    assert rel.attrs["scale_factor"] == pytest.approx(2_640_000.0 / jobs["gpu_hours"].sum())


def test_max_window_caps_deadlines(jobs):
    rel = batch_releases_from_jobs(jobs, max_window="7D")
    assert (rel["deadline_utc"] - rel["release_utc"]).max() == pd.Timedelta("7D")
    with pytest.raises(ScenarioError):
        batch_releases_from_jobs(jobs, slack_factor=0.5)


def test_azure_counts_and_burstiness(azure):
    code, conv = azure
    assert len(code) == 8819
    assert len(conv) == 19366
    assert code["arrival_utc"].min() >= pd.Timestamp("2023-11-16 18:15", tz="UTC")
    assert conv["arrival_utc"].max() < pd.Timestamp("2023-11-16 19:15", tz="UTC")
    s_code = burst_stats(token_rate_per_minute(code))
    s_conv = burst_stats(token_rate_per_minute(conv))
    s_both = burst_stats(token_rate_per_minute(code, conv))
    # coding traffic is far burstier than conversation traffic
    assert s_code.cv > 3 * s_conv.cv
    assert s_both.minutes == 56
    assert s_both.cv == pytest.approx(AZURE_MINUTE_CV, abs=1e-4)
    assert s_both.peak_to_mean == pytest.approx(AZURE_MINUTE_PEAK_TO_MEAN, abs=1e-4)


def test_inference_shape_minute_burstiness_from_trace(azure):
    rate = token_rate_per_minute(*azure)
    idx = pd.date_range("2023-03-06", periods=7 * 24 * 60, freq="1min", tz="UTC")
    shape = inference_shape(idx, rate, tz="America/Los_Angeles", seed=1)
    assert shape.mean() == pytest.approx(1.0, abs=1e-12)
    assert shape.index.name == "time_utc"
    assert (shape > 0).all()
    # divided by the cycle, each hour carries the trace's own within-hour statistics
    burst = shape / diurnal_weekly_factor(idx, "America/Los_Angeles")
    by_hour = burst.groupby(burst.index.floor("1h"))
    cv = by_hour.agg(lambda x: x.std(ddof=0) / x.mean())
    assert cv.median() == pytest.approx(AZURE_MINUTE_CV, abs=0.03)
    p2m = by_hour.agg(lambda x: x.max() / x.mean())
    assert p2m.median() == pytest.approx(AZURE_MINUTE_PEAK_TO_MEAN, abs=0.1)
    # reproducible by seed
    assert shape.equals(inference_shape(idx, rate, tz="America/Los_Angeles", seed=1))
    assert not shape.equals(inference_shape(idx, rate, tz="America/Los_Angeles", seed=2))


def test_inference_shape_hourly_is_the_cycle(azure):
    rate = token_rate_per_minute(*azure)
    idx = pd.date_range("2023-01-02", periods=4 * 7 * 24, freq="1h", tz="UTC")  # Monday, 4 weeks
    shape = inference_shape(idx, rate, tz="America/Chicago")
    assert shape.mean() == pytest.approx(1.0, abs=1e-12)
    cycle = diurnal_weekly_factor(idx, "America/Chicago")
    np.testing.assert_allclose(shape, cycle / cycle.mean())
    local = shape.tz_convert("America/Chicago")
    weekday = local[local.index.day_of_week < 5]
    weekend = local[local.index.day_of_week >= 5]
    assert weekend.mean() / weekday.mean() == pytest.approx(0.8, abs=1e-9)
    peak_hour = weekday.groupby(weekday.index.hour).mean().idxmax()
    assert peak_hour in (13, 14)  # 14:00 local peak, step midpoints at :30
    # peak/trough of the daily harmonic = 1.3 / 0.7 on weekdays (within sampling at :30)
    daily = weekday.groupby(weekday.index.hour).mean()
    assert daily.max() / daily.min() == pytest.approx(1.3 / 0.7, rel=0.01)


def test_philly_job_model_constants_refit(jobs):
    fit = fit_job_size_model(jobs)
    assert fit.log_duration_mean == pytest.approx(PHILLY_JOB_MODEL.log_duration_mean, abs=1e-6)
    assert fit.log_duration_std == pytest.approx(PHILLY_JOB_MODEL.log_duration_std, abs=1e-4)
    assert fit.max_duration_h == pytest.approx(PHILLY_JOB_MODEL.max_duration_h)
    assert fit.gpu_count_pmf == pytest.approx(dict(PHILLY_JOB_MODEL.gpu_count_pmf))


def test_synthetic_batch_releases():
    idx = pd.date_range("2023-01-01", periods=60 * 24, freq="1h", tz="UTC")
    rel = synthetic_batch_releases(idx, gpu_hours_per_day=5000.0, seed=7)
    assert len(rel) == 60
    assert rel["gpu_hours"].sum() == pytest.approx(5000.0 * 60, rel=1e-12)
    assert (rel["release_utc"] == rel["release_utc"].dt.floor("1D")).all()
    assert rel["gpu_hours"].std() > 0  # day-to-day variation survives the rescaling
    assert (rel["max_job_gpus"] <= 128).all()
    window = (rel["deadline_utc"] - rel["release_utc"]) / pd.Timedelta("1D")
    assert (window >= 2.0 * rel["longest_job_h"] / 24 - 1e-9).all()
    # jobs per day ~ Poisson(5000 / E[size]); E[size] = exp(mu + s^2/2) * E[GPUs] ~ 3.3 GPU-h
    m = PHILLY_JOB_MODEL
    e_gpus = sum(k * v for k, v in m.gpu_count_pmf.items())
    lam = 5000.0 / (np.exp(m.log_duration_mean + m.log_duration_std**2 / 2) * e_gpus)
    assert rel["num_jobs"].mean() == pytest.approx(lam, rel=0.02)
    same = synthetic_batch_releases(idx, gpu_hours_per_day=5000.0, seed=7)
    pd.testing.assert_frame_equal(rel, same)
    other = synthetic_batch_releases(idx, gpu_hours_per_day=5000.0, seed=8)
    assert not np.allclose(other["gpu_hours"], rel["gpu_hours"])


def test_synthetic_inference_profile():
    idx = pd.date_range("2023-01-01", periods=8760, freq="1h", tz="UTC")
    p = synthetic_inference_profile(idx, mean_mw=40.0, peak_to_mean=1.6, seed=3, tz="US/Central")
    assert p.name == "inference_power_mw"
    assert p.mean() == pytest.approx(40.0, rel=1e-12)
    assert p.max() / p.mean() == pytest.approx(1.6, rel=1e-12)
    assert (p > 0).all()
    assert p.equals(synthetic_inference_profile(idx, 40.0, 1.6, seed=3, tz="US/Central"))
    assert not p.equals(synthetic_inference_profile(idx, 40.0, 1.6, seed=4, tz="US/Central"))
    with pytest.raises(ScenarioError, match="largest feasible"):
        synthetic_inference_profile(idx, 40.0, 50.0, seed=3)
