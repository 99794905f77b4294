"""Finite by construction: NaN, ±inf, booleans and absurd sizes never reach the model.

Each case was accepted before (a hang in HiGHS, a silently zeroed PV output, an infinite
bill, ``true`` read as 1 MW, a charge dropped by an empty window) and is now one line naming
the file, the field and what was expected.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
import yaml
from pydantic import ValidationError
from robust_base import base, write
from typer.testing import CliRunner

from dcflex.cli import app
from dcflex.errors import ScenarioError
from dcflex.model.lp import LinearProgram, ModelBuilder, ModelValueError
from dcflex.model.solve import check_lp, solve_lp
from dcflex.scenario import load_scenario
from dcflex.scenario.series import MAX_INT, InfFloat, StrictModel

runner = CliRunner()


def set_path(d: dict, dotted: str, value) -> dict:
    node = d
    keys = dotted.split(".")
    for k in keys[:-1]:
        node = node[k]
    node[keys[-1]] = value
    return d


def load_error(tmp_path, dotted: str, value) -> ScenarioError:
    path = write(tmp_path, set_path(base(), dotted, value))
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    return info.value


# (field, value, expected message): one per family of number the issue's attacks hit
CASES = [
    ("tariff.adder_usd_per_mwh", math.nan, "expected a finite number, got nan"),
    ("site.altitude_m", math.nan, "expected a finite number, got nan"),
    ("solar.capacity_mw_dc", math.inf, "expected a finite number, got inf"),
    ("tariff.fixed_usd_per_month", math.inf, "expected a finite number, got inf"),
    ("workload.classes.train.window_h", math.inf, "expected a finite number, got inf"),
    ("carbon.marginal_kg_per_mwh", -math.inf, "expected a finite number, got -inf"),
    ("tariff.energy_price_usd_per_mwh.mean", math.nan, "expected a finite number, got nan"),
    ("grid.import_limit_mw", True, "expected a number, got true"),
    ("battery.power_mw", False, "expected a number, got false"),
    ("workload.classes.chat.servers", True, "expected a number, got true"),
    ("workload.classes.train.servers", 10**20, f"expected an integer of at most {MAX_INT:.0e}"),
    ("seed", -1, "greater than or equal to 0"),
    ("workload.classes.chat.utilization.seed", -1, "greater than or equal to 0"),
    ("solar.dc_ac_ratio", 1e-300, "greater than or equal to 0.5"),
    ("site.altitude_m", 1e300, "less than or equal to 8850"),
    ("period.end", "9999-12-31", "outside the dates dcflex can index"),
]


@pytest.mark.parametrize(("dotted", "value", "expected"), CASES,
                         ids=[f"{c[0]}={c[1]}" for c in CASES])
def test_bad_number_names_file_line_and_field(tmp_path, dotted, value, expected):
    err = load_error(tmp_path, dotted, value)
    assert err.file == str(tmp_path / "s.yaml") and err.line is not None
    assert err.field == dotted
    assert expected in err.message


def test_training_curve_point_nan_and_bool(tmp_path):
    err = load_error(tmp_path, "workload.classes.train.curve", [[0.5, math.nan], [1, 1]])
    assert err.field == "workload.classes.train.curve[0][1]"
    assert "finite number" in err.message
    err = load_error(tmp_path, "workload.classes.train.curve", [[0.5, True], [1, 1]])
    assert (err.field, err.message) == ("workload.classes.train.curve[0][1]",
                                        "expected a number, got true")


def test_booleans_stay_valid_where_the_field_is_boolean(tmp_path):
    d = set_path(base(), "tariff.demand_charges", [{"rate_usd_per_mw_month": 8000.0,
                                                    "weekdays_only": True}])
    assert load_scenario(write(tmp_path, d)).tariff.demand_charges[0].weekdays_only is True


@pytest.mark.parametrize("hours", [[7, 7], [24, 0], [0, 0]])
def test_empty_demand_or_tou_window_is_an_error(tmp_path, hours):
    # [7, 7] used to give a window of no hours: the demand charge vanished with exit 0
    err = load_error(tmp_path, "tariff.demand_charges", [{"rate_usd_per_mw_month": 8000.0,
                                                          "hours": hours}])
    assert err.field == "tariff.demand_charges[0].hours" and "empty window" in err.message
    d = base()
    d["tariff"] = {"tou": [{"price_usd_per_mwh": 50.0, "hours": hours}]}
    with pytest.raises(ScenarioError) as info:
        load_scenario(write(tmp_path, d))
    assert info.value.field == "tariff.tou[0].hours"


def test_whole_day_window_is_still_valid(tmp_path):
    d = set_path(base(), "tariff.demand_charges", [{"rate_usd_per_mw_month": 1.0,
                                                    "hours": [0, 24]}])
    assert load_scenario(write(tmp_path, d)).tariff.demand_charges[0].hours == (0, 24)


def test_empty_release_list_is_one_line(tmp_path):
    d = base()
    d["workload"]["classes"]["batch"] = {"kind": "batch", "servers": 20, "releases": []}
    result = runner.invoke(app, ["run", str(write(tmp_path, d)), "-o", str(tmp_path / "o")])
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "workload.classes.batch.releases: expected at least 1 item, got 0" in result.output


class _Limits(StrictModel):
    cap_mw: InfFloat = 1.0
    price: float = 1.0


def test_inf_is_allowed_only_where_declared():
    assert _Limits(cap_mw=math.inf).cap_mw == math.inf
    with pytest.raises(ValidationError, match="got NaN"):
        _Limits(cap_mw=math.nan)
    with pytest.raises(ValidationError, match="finite number"):
        _Limits(price=math.inf)
    with pytest.raises(ValidationError, match="expected a number, got true"):
        _Limits(cap_mw=True)


def test_nan_cost_that_used_to_hang_highs_exits_2_at_once(tmp_path):
    # `.nan` in a cost field made HiGHS spin for ever; now it never reaches HiGHS
    text = yaml.safe_dump(base(), sort_keys=False).replace("adder_usd_per_mwh: 12.0",
                                                           "adder_usd_per_mwh: .nan")
    path = write(tmp_path, text)
    result = runner.invoke(app, ["run", str(path), "-o", str(tmp_path / "o")])
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "tariff.adder_usd_per_mwh: expected a finite number, got nan" in result.output
    assert not (tmp_path / "o").exists()


def test_a_cost_beyond_highs_limits_names_the_section(tmp_path):
    # finite, valid for the schema, but 1e300 USD/MWh is beyond what HiGHS solves (LP_LIMIT)
    d = set_path(base(), "tariff.adder_usd_per_mwh", 1e300)
    result = runner.invoke(app, ["run", str(write(tmp_path, d)), "-o", str(tmp_path / "o")])
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "tariff: cost of grid_import_mw in cost_usd is 1e+300 at 2023-03-08 05:00 UTC" \
        in result.output


def test_builder_blames_the_component_that_added_a_value():
    index = pd.date_range("2023-01-01", periods=3, freq="h", tz="UTC")
    b = ModelBuilder(index, 1.0, source="battery")
    x = b.add_variables("x_mw", ub=5.0)
    with pytest.raises(ModelValueError) as info:
        b.add_objective("cost_usd", x, np.array([1.0, np.nan, 2.0]))
    assert info.value.source == "battery"
    assert info.value.detail.startswith("cost of x_mw in cost_usd is nan at 2023-01-01 01:00 UTC")
    b.source = "grid"
    with pytest.raises(ModelValueError, match="^grid: lower bound of y_mw is inf"):
        b.add_variables("y_mw", lb=np.inf)
    with pytest.raises(ModelValueError, match="^grid: coefficient of x_mw in c is 1e"):
        b.add_constraints("c", [(x, 1e16)], ub=1.0)
    with pytest.raises(ModelValueError, match="^grid: upper bound of z_mw is 1e[+]19"):
        b.add_variables("z_mw", ub=1e19)  # finite but beyond LP_LIMIT: HiGHS ends "Unknown"
    assert b.add_variables("free_mw", lb=-np.inf, ub=np.inf).size == 3


def test_lp_is_checked_before_highs_with_block_and_source():
    """A matrix NaN put straight into an assembled LP: named by block, row block and source."""
    index = pd.date_range("2023-01-01", periods=2, freq="h", tz="UTC")
    b = ModelBuilder(index, 1.0, source="workload", source_file="s.yaml")
    x = b.add_variables("load_mw", ub=3.0)
    b.add_objective("cost_usd", x, 1.0)
    b.source = "events"
    b.add_constraints("cap", [(x, 1.0)], lb=1.0)
    lp = b.build({"cost_usd": 1.0})
    # hand-solved: minimize x0 + x1 with 1 <= x_t <= 3: x = (1, 1), objective 2
    assert solve_lp(lp).objective == pytest.approx(2.0)
    A = lp.A.copy()
    A.data[1] = np.nan
    bad = LinearProgram(**{**lp.__dict__, "A": sp.csc_matrix(A)})
    with pytest.raises(ScenarioError) as info:
        check_lp(bad)
    assert info.value.file == "s.yaml" and info.value.field == "events"
    assert info.value.message.startswith(
        "coefficient of load_mw at 2023-01-01 01:00 UTC in cap at 2023-01-01 01:00 UTC is nan")


def test_time_limit_reaches_highs(tmp_path):
    d = set_path(base(), "optimization.time_limit_s", 1e-9)
    result = runner.invoke(app, ["run", str(write(tmp_path, d)), "-o", str(tmp_path / "o")])
    assert result.exit_code == 4 and "Traceback" not in result.output
    assert "HiGHS reached its time limit (1e-09 s, optimization.time_limit_s)" in result.output
