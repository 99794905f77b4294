"""Reader and missing-data policies for EIA-930 demand (Ruggles et al. export, SOURCE.txt)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from dcflex.data.datasets import shared_data
from dcflex.data.readers.eia930 import (
    fill_missing_demand,
    find_eia930_file,
    read_eia930_demand,
    screen_demand_spikes,
)
from dcflex.errors import DataError

FOLDER = "eia930-cleaned-demand"
FILES = {
    "CISO": "CISO_raw_2020-2024.csv",
    "ERCO": "ERCO_raw_2020-2024.csv",
    "PJM": "PJM_raw_2020-2024.csv",
    "TEX": "TEX_region_raw_and_cleaned_2020-2024.csv",
}
# SOURCE.txt: "(CISO 14, ERCO 1, PJM 116 non-numeric rows). 43848 rows"
NON_NUMERIC = {"CISO": 14, "ERCO": 1, "PJM": 116, "TEX": 0}


@pytest.fixture(scope="module")
def frames() -> dict[str, pd.DataFrame]:
    return {ba: read_eia930_demand(shared_data(FOLDER, name)) for ba, name in FILES.items()}


@pytest.mark.parametrize("ba", list(FILES))
def test_rows_span_and_missing_counts_match_source(frames, ba):
    df = frames[ba]
    assert len(df) == 43848
    assert df.index.name == "time_utc"
    assert str(df.index.tz) == "UTC"
    assert df.index[0] == pd.Timestamp("2020-01-01 00:00", tz="UTC")
    assert df.index[-1] == pd.Timestamp("2024-12-31 23:00", tz="UTC")
    assert (np.diff(df.index.as_unit("s").asi8) == 3600).all()  # hourly, no gaps in stamps
    assert df.attrs["missing_hours"] == NON_NUMERIC[ba]
    assert int(df["demand_mw"].isna().sum()) == NON_NUMERIC[ba]


def test_region_file_has_raw_and_cleaned_columns(frames):
    tex = frames["TEX"]
    assert list(tex.columns) == ["demand_mw", "demand_cleaned_mw"]
    # cleaning replaced some raw values but left most of them alone
    differ = (tex["demand_mw"] != tex["demand_cleaned_mw"]).mean()
    assert 0 < differ < 0.2
    only = read_eia930_demand(shared_data(FOLDER, FILES["TEX"]), column="cleaned demand (MW)")
    assert list(only.columns) == ["demand_cleaned_mw"]
    np.testing.assert_array_equal(only["demand_cleaned_mw"], tex["demand_cleaned_mw"])
    with pytest.raises(DataError, match="demand_cleaned_mw"):
        read_eia930_demand(shared_data(FOLDER, FILES["PJM"]), column="demand_cleaned_mw")


# Upper bounds just above the operators' all-time records, for plausibility only: PJM
# 165,563 MW (2006), CAISO 52,061 MW (6 Sep 2022), ERCOT about 85.5 GW (Aug 2023 and 2024).
RANGES_MW = {"CISO": (10_000, 53_000), "ERCO": (25_000, 90_000), "PJM": (50_000, 166_000)}
SPIKES = {"CISO": 1, "ERCO": 0, "PJM": 12}


@pytest.mark.parametrize("ba", list(RANGES_MW))
def test_screened_values_are_in_plausible_ranges(frames, ba):
    raw = frames[ba]["demand_mw"]
    screened, flagged = screen_demand_spikes(raw)
    lo, hi = RANGES_MW[ba]
    assert lo < screened.min() and screened.max() < hi
    assert len(flagged) == SPIKES[ba] == screened.attrs["screened_hours"]
    assert int(screened.isna().sum()) == NON_NUMERIC[ba] + SPIKES[ba]


def test_raw_pjm_holds_absurd_values_that_screening_removes(frames):
    raw = frames["PJM"]["demand_mw"]
    assert raw.max() > 2e9  # 2,147,480,000 "MW" on 2021-10-19: a reporting error, not demand
    _, flagged = screen_demand_spikes(raw)
    assert pd.Timestamp("2021-10-19 04:00", tz="UTC") in flagged
    assert pd.Timestamp("2020-07-24 16:00", tz="UTC") in flagged  # 262,651 MW one-hour spike


def test_find_file_by_ba_alias_or_path():
    folder = shared_data(FOLDER, "SOURCE.txt").parent
    assert find_eia930_file(folder, "ERCOT").name == FILES["ERCO"]
    assert find_eia930_file(folder, "caiso").name == FILES["CISO"]
    assert find_eia930_file(folder, "PJM").name == FILES["PJM"]
    direct = shared_data(FOLDER, FILES["PJM"])
    assert find_eia930_file(direct, "anything") == direct
    with pytest.raises(DataError, match="MISO"):
        find_eia930_file(folder, "MISO")


def test_real_gaps_policy(frames):
    pjm = frames["PJM"]["demand_mw"]
    # PJM's long gaps sit on daylight-saving days; the default policy must refuse them
    with pytest.raises(DataError, match="2020-03-08 07:00:00"):
        fill_missing_demand(pjm)
    dropped, n = fill_missing_demand(pjm, policy="drop")
    assert n == 0 and len(dropped) == 43848 - 116 and dropped.attrs["dropped_hours"] == 116
    ciso, n = fill_missing_demand(frames["CISO"]["demand_mw"])
    assert n == 14 and not ciso.isna().any() and len(ciso) == 43848


# ------------------------------------------------------------------------- synthetic files


def _write(tmp_path, lines: list[str]):
    path = tmp_path / "X_raw.csv"
    path.write_text("\n".join(lines) + "\n")
    return path


def test_markers_and_blanks_become_nan(tmp_path):
    path = _write(tmp_path, ["date_time,demand (MW)", "2021-01-01 00:00:00,100",
                             "2021-01-01 01:00:00,EMPTY", "2021-01-01 02:00:00,",
                             "2021-01-01 03:00:00,MISSING", "2021-01-01 04:00:00,140"])
    df = read_eia930_demand(path)
    assert df.attrs["missing_hours"] == 3
    assert df["demand_mw"].iloc[[0, 4]].tolist() == [100.0, 140.0]
    filled, n = fill_missing_demand(df["demand_mw"])
    assert n == 3
    np.testing.assert_allclose(filled.to_numpy(), [100, 110, 120, 130, 140])


def test_other_text_is_an_error_naming_the_line(tmp_path):
    path = _write(tmp_path, ["date_time,demand (MW)", "2021-01-01 00:00:00,100",
                             "2021-01-01 01:00:00,n/a"])
    with pytest.raises(DataError, match="line.*3"):
        read_eia930_demand(path)


def test_bad_structure_is_an_error(tmp_path):
    with pytest.raises(DataError, match="date_time"):
        read_eia930_demand(_write(tmp_path, ["time,demand (MW)", "2021-01-01 00:00:00,1"]))
    with pytest.raises(DataError, match="repeats"):
        read_eia930_demand(_write(tmp_path, ["date_time,demand (MW)", "2021-01-01 00:00:00,1",
                                             "2021-01-01 00:00:00,2"]))
    with pytest.raises(DataError, match="demand column"):
        read_eia930_demand(_write(tmp_path, ["date_time,load", "2021-01-01 00:00:00,1"]))
    with pytest.raises(DataError, match="not found"):
        read_eia930_demand(tmp_path / "absent.csv")


def _series(values) -> pd.Series:
    idx = pd.date_range("2021-01-01", periods=len(values), freq="h", tz="UTC", name="time_utc")
    return pd.Series(np.asarray(values, dtype=float), index=idx, name="demand_mw")


def test_gap_length_limit_and_edges():
    values = [10.0] + [np.nan] * 7 + [18.0]
    with pytest.raises(DataError, match=r"2021-01-01 01:00:00\+00:00 .. .*\(7 h\)"):
        fill_missing_demand(_series(values))
    filled, n = fill_missing_demand(_series(values), max_gap_hours=7)
    assert n == 7
    np.testing.assert_allclose(filled.to_numpy(), np.arange(10.0, 19.0))
    with pytest.raises(DataError, match="ends"):
        fill_missing_demand(_series([np.nan, 1.0, 2.0]))
    with pytest.raises(DataError, match="1 \\(first at"):
        fill_missing_demand(_series([1.0, np.nan, 2.0]), policy="error")
    with pytest.raises(DataError, match="policy"):
        fill_missing_demand(_series([1.0, 2.0]), policy="zero")


def test_spike_rules_on_constructed_series():
    s = _series([100, 101, 130, 100, 99, 5e9, 3e9, 98, 60, 97, np.nan, 150, 96])
    screened, flagged = screen_demand_spikes(s)
    hours = [t.hour for t in flagged]
    # 130 is 29 % over both neighbours; 5e9, 3e9 exceed 10x the median; 60 is a dip;
    # 150 has a missing neighbour, so only the global rule could catch it, and it does not
    assert hours == [2, 5, 6, 8]
    assert screened.isna().sum() == 5
