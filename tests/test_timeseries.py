"""Alignment helpers on hand-made series with hand-computed answers."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dcflex.data.timeseries import (
    align_to_index,
    check_index,
    map_typical_year,
    regular_index,
    to_utc,
)
from dcflex.errors import DataError


def _hourly(values, start="2023-01-01 00:00", tz="UTC"):
    idx = pd.date_range(start, periods=len(values), freq="h", tz=tz)
    return pd.Series(np.asarray(values, dtype=float), index=idx)


# ---------------------------------------------------------------- to_utc


def test_naive_without_tz_is_an_error():
    s = pd.Series([1.0], index=pd.DatetimeIndex(["2023-01-01 00:00"]))
    with pytest.raises(DataError, match="time zone not given"):
        to_utc(s, None, file="a.csv", field="x")


def test_local_standard_and_daylight_times_convert():
    s = pd.Series([1.0, 2.0], index=pd.DatetimeIndex(["2023-01-15 12:00", "2023-07-15 12:00"]))
    out = to_utc(s, "America/New_York")
    assert list(out.index.hour) == [17, 16]  # EST = UTC-5, EDT = UTC-4
    assert str(out.index.tz) == "UTC" and out.index.name == "time_utc"


def test_spring_forward_gap_names_first_bad_time():
    idx = pd.date_range("2023-03-12 00:00", "2023-03-12 04:00", freq="h")  # has 02:00
    s = pd.Series(np.arange(len(idx), dtype=float), index=idx)
    with pytest.raises(DataError, match="2023-03-12 02:00:00 does not exist"):
        to_utc(s, "America/New_York", file="f.csv")


def test_fall_back_repeated_hour_in_order_is_inferred():
    idx = pd.DatetimeIndex(
        ["2023-11-05 00:00", "2023-11-05 01:00", "2023-11-05 01:00", "2023-11-05 02:00"]
    )
    out = to_utc(pd.Series([1.0, 2.0, 3.0, 4.0], index=idx), "America/New_York")
    assert list(out.index.strftime("%H")) == ["04", "05", "06", "07"]


def test_fall_back_hour_given_once_is_ambiguous():
    idx = pd.DatetimeIndex(["2023-11-05 00:00", "2023-11-05 01:00", "2023-11-05 02:00"])
    with pytest.raises(DataError, match="2023-11-05 01:00:00 is ambiguous"):
        to_utc(pd.Series([1.0, 2.0, 3.0], index=idx), "America/New_York")


def test_aware_index_is_converted_not_relocalized():
    s = _hourly([1.0, 2.0], tz="Europe/Berlin")
    out = to_utc(s, "America/Chicago")  # tz ignored: the stamps carry their offset
    assert out.index[0] == pd.Timestamp("2022-12-31 23:00", tz="UTC")


# ---------------------------------------------------------------- check_index


def test_duplicate_timestamp_is_named():
    idx = pd.DatetimeIndex(["2023-01-01 00:00", "2023-01-01 01:00", "2023-01-01 01:00"], tz="UTC")
    with pytest.raises(DataError, match="duplicated time stamp 2023-01-01 01:00:00"):
        check_index(pd.Series([1.0, 2.0, 3.0], index=idx), file="f.csv", field="x")


def test_unsorted_index_is_an_error():
    idx = pd.DatetimeIndex(["2023-01-01 01:00", "2023-01-01 00:00"], tz="UTC")
    with pytest.raises(DataError, match="not in increasing order"):
        check_index(pd.Series([1.0, 2.0], index=idx))


# ---------------------------------------------------------------- regular_index


def test_regular_index_local_day_in_utc():
    idx = regular_index("2023-07-01", "2023-07-02", "15min", "America/Los_Angeles")
    assert len(idx) == 96
    assert idx[0] == pd.Timestamp("2023-07-01 07:00", tz="UTC")
    assert idx[-1] == pd.Timestamp("2023-07-02 06:45", tz="UTC")


def test_regular_index_dst_day_has_23_hours():
    idx = regular_index("2023-03-12", "2023-03-13", "1h", "America/New_York")
    assert len(idx) == 23


def test_step_not_dividing_period_is_an_error():
    with pytest.raises(DataError, match="does not divide"):
        regular_index("2023-01-01 00:00", "2023-01-01 01:00", "25min", "UTC")


# ---------------------------------------------------------------- align_to_index


def test_downsample_mean_and_sum():
    src = pd.Series(
        [1.0, 2.0, 3.0, 6.0, 10.0, 10.0, 10.0, 10.0],
        index=pd.date_range("2023-01-01", periods=8, freq="15min", tz="UTC"),
    )
    target = regular_index("2023-01-01 00:00", "2023-01-01 02:00", "1h", "UTC")
    mean, n = align_to_index(src, target, how="mean", gap_policy="error")
    assert n == 0
    np.testing.assert_allclose(mean.to_numpy(), [3.0, 10.0])
    total, _ = align_to_index(src, target, how="sum", gap_policy="error")
    np.testing.assert_allclose(total.to_numpy(), [12.0, 40.0])


def test_upsample_mean_repeats_and_sum_splits():
    src = _hourly([40.0, 80.0])
    target = regular_index("2023-01-01 00:00", "2023-01-01 02:00", "15min", "UTC")
    price, _ = align_to_index(src, target, how="mean", gap_policy="error")
    np.testing.assert_allclose(price.to_numpy(), [40.0] * 4 + [80.0] * 4)
    energy, _ = align_to_index(src, target, how="sum", gap_policy="error")
    np.testing.assert_allclose(energy.to_numpy(), [10.0] * 4 + [20.0] * 4)


def test_half_hour_offset_source_is_interval_weighted():
    src = pd.Series([2.0, 4.0, 6.0],
                    index=pd.date_range("2022-12-31 23:30", periods=3, freq="h", tz="UTC"))
    target = regular_index("2023-01-01 00:00", "2023-01-01 02:00", "1h", "UTC")
    out, _ = align_to_index(src, target, how="mean", gap_policy="error")
    np.testing.assert_allclose(out.to_numpy(), [3.0, 5.0])


def test_nan_run_with_each_gap_policy():
    values = [1.0, 2.0, np.nan, np.nan, 5.0, 6.0]
    src = _hourly(values)
    target = regular_index("2023-01-01 00:00", "2023-01-01 06:00", "1h", "UTC")
    with pytest.raises(DataError) as err:
        align_to_index(src, target, how="mean", gap_policy="error", file="p.csv", field="price")
    text = str(err.value)
    assert "2 of 6 time steps" in text
    assert "2023-01-01 02:00:00+00:00" in text and "2023-01-01 03:00:00+00:00" in text
    assert "p.csv" in text and "price" in text
    interp, n = align_to_index(src, target, how="mean", gap_policy="interpolate")
    assert n == 2
    np.testing.assert_allclose(interp.to_numpy(), [1, 2, 3, 4, 5, 6])
    ffill, n = align_to_index(src, target, how="mean", gap_policy="ffill")
    assert n == 2
    np.testing.assert_allclose(ffill.to_numpy(), [1, 2, 2, 2, 5, 6])


def test_missing_timestamps_are_gaps_too():
    src = _hourly([1.0, 2.0, 3.0, 4.0]).drop(pd.Timestamp("2023-01-01 01:00", tz="UTC"))
    target = regular_index("2023-01-01 00:00", "2023-01-01 04:00", "1h", "UTC")
    with pytest.raises(DataError, match="1 of 4 time steps"):
        align_to_index(src, target, how="mean", gap_policy="error")
    filled, n = align_to_index(src, target, how="mean", gap_policy="interpolate")
    assert n == 1 and filled.iloc[1] == pytest.approx(2.0)


def test_partial_sum_bin_is_a_gap():
    src = pd.Series([1.0, 1.0, 1.0],
                    index=pd.date_range("2023-01-01", periods=3, freq="15min", tz="UTC"))
    target = regular_index("2023-01-01 00:00", "2023-01-01 01:00", "1h", "UTC")
    with pytest.raises(DataError, match="1 of 1"):
        align_to_index(src, target, how="sum", gap_policy="error")
    # a mean over three quarters of the hour would hide the missing quarter: a gap too
    with pytest.raises(DataError, match="1 of 1"):
        align_to_index(src, target, how="mean", gap_policy="error")


def test_partial_mean_bin_is_filled_and_counted_by_the_policy():
    """15-min prices, one quarter missing at 01:45: hour 01 is a gap, interpolated between its
    neighbours (10 and 30), and reported as one filled step."""
    idx = pd.date_range("2023-01-01", periods=12, freq="15min", tz="UTC")
    src = pd.Series([10.0] * 4 + [20.0] * 3 + [np.nan] + [30.0] * 4, index=idx)
    target = regular_index("2023-01-01 00:00", "2023-01-01 03:00", "1h", "UTC")
    out, n = align_to_index(src, target, how="mean", gap_policy="interpolate")
    assert n == 1 and list(out) == [10.0, 20.0, 30.0]


def test_period_not_covered_names_both_spans():
    src = _hourly([1.0] * 24, start="2023-01-02 00:00")
    target = regular_index("2023-01-01 00:00", "2023-01-03 00:00", "1h", "UTC")
    with pytest.raises(DataError) as err:
        align_to_index(src, target, how="mean", gap_policy="ffill", field="ci")
    text = str(err.value)
    assert "data cover 2023-01-02 00:00:00+00:00 .. 2023-01-03 00:00:00+00:00" in text
    assert "needs 2023-01-01 00:00:00+00:00 .. 2023-01-03 00:00:00+00:00" in text


def test_end_short_by_one_source_step_is_filled():
    src = _hourly([1.0, 2.0, 3.0])
    target = regular_index("2023-01-01 00:00", "2023-01-01 04:00", "1h", "UTC")
    out, n = align_to_index(src, target, how="mean", gap_policy="ffill")
    assert n == 1
    assert out.iloc[-1] == 3.0


def test_naive_series_is_refused():
    s = pd.Series([1.0], index=pd.DatetimeIndex(["2023-01-01"]))
    target = regular_index("2023-01-01", "2023-01-02", "1h", "UTC")
    with pytest.raises(DataError, match="no time zone"):
        align_to_index(s, target, how="mean", gap_policy="error")


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.floats(-1e4, 1e4, allow_nan=False), min_size=1, max_size=12),
    st.sampled_from([2, 3, 4, 12]),
)
def test_property_mean_and_sum_preserved(hours, k):
    """Downsample k fine steps -> 1 h by mean, upsample back: the mean is kept; sums keep totals."""
    fine_step = pd.Timedelta(hours=1) / k
    rng = np.random.default_rng(len(hours) * k)
    fine = pd.Series(
        np.repeat(hours, k) + rng.normal(0, 10, len(hours) * k),
        index=pd.date_range("2024-03-01", periods=len(hours) * k, freq=fine_step, tz="UTC"),
    )
    coarse_idx = pd.date_range("2024-03-01", periods=len(hours), freq="h", tz="UTC")
    coarse, _ = align_to_index(fine, coarse_idx, how="mean", gap_policy="error")
    back, _ = align_to_index(coarse, fine.index, how="mean", gap_policy="error")
    assert back.mean() == pytest.approx(fine.mean(), abs=1e-9 * (1 + abs(fine).max()))
    total, _ = align_to_index(fine, coarse_idx, how="sum", gap_policy="error")
    split, _ = align_to_index(total, fine.index, how="sum", gap_policy="error")
    scale = 1 + abs(fine).sum()
    assert total.sum() == pytest.approx(fine.sum(), abs=1e-9 * scale)
    assert split.sum() == pytest.approx(fine.sum(), abs=1e-9 * scale)


# ---------------------------------------------------------------- map_typical_year


def _typical_year():
    """8760 hour-start rows in local standard time (UTC-5), months taken from mixed years."""
    years = {1: 1988, 2: 1996, 3: 1990, 4: 2001}  # Feb from a leap year on purpose
    stamps, values = [], []
    for month in range(1, 13):
        y = years.get(month, 1999)
        days = pd.Period(f"2001-{month:02d}").days_in_month  # a non-leap month length
        for day in range(1, days + 1):
            for hour in range(24):
                stamps.append(pd.Timestamp(year=y, month=month, day=day, hour=hour))
                values.append(month * 1000 + day + hour / 100)
    return pd.Series(values, index=pd.DatetimeIndex(stamps))


def test_typical_year_on_a_leap_year():
    tmy = _typical_year()
    out = map_typical_year(tmy, 2024, "America/New_York")  # standard time UTC-5 is used
    assert len(out) == 8784
    assert out.index.is_monotonic_increasing and str(out.index.tz) == "UTC"
    assert out.index[0] == pd.Timestamp("2024-01-01 05:00", tz="UTC")
    feb29 = out[(out.index - pd.Timedelta(hours=5)).strftime("%m-%d") == "02-29"]
    feb28 = out[(out.index - pd.Timedelta(hours=5)).strftime("%m-%d") == "02-28"]
    np.testing.assert_allclose(feb29.to_numpy(), feb28.to_numpy())
    # July 4, 12:00 local standard = 17:00 UTC, even though July is daylight time
    assert out[pd.Timestamp("2024-07-04 17:00", tz="UTC")] == pytest.approx(7004.12)


def test_typical_year_on_a_common_year_and_from_utc_stamps():
    tmy = _typical_year()
    aware = tmy.copy()
    aware.index = tmy.index.tz_localize("UTC-05:00").tz_convert("UTC")
    a = map_typical_year(tmy, 2023, "UTC-05:00")
    b = map_typical_year(aware, 2023, "America/New_York")
    assert len(a) == 8760
    pd.testing.assert_series_equal(a, b)
