"""The PNG plots (``--png``, ``inputs``, compare, sweep) explain themselves: words and units
in legends and titles, titles that say what was chosen, axes that span the data, readable
ticks, no empty panels, one legend entry per value of a discrete colour axis."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import three_day_scenario

from dcflex.results import plots
from dcflex.results.report import peaks
from dcflex.scenario import scenario_from_dict
from dcflex.studies.compare import plot_metric_bars
from dcflex.studies.sweep import plot_cost_vs_emissions


@pytest.fixture(scope="module")
def result():
    from dcflex.studies.run import run

    return run(scenario_from_dict(three_day_scenario("plots", 2)))


def _texts(fig) -> list[str]:
    out = []
    for ax in fig.axes:
        legend = ax.get_legend()
        out += [t.get_text() for t in legend.get_texts()] if legend else []
    return out


def test_dispatch_week_names_the_chosen_week_in_words(result):
    fig = plots.dispatch_week(result.schedule, result.baseline, "UTC", "2023-01-02")
    assert "the week chosen with --week, 2023-01-02 to 2023-01-03" in fig.axes[0].get_title()
    labels = _texts(fig)
    assert "grid import" in labels and "battery discharging" in labels
    assert not [t for t in labels if "_mw" in t]
    fig = plots.dispatch_week(result.schedule, result.baseline, "UTC")
    assert "the week around the highest grid import" in fig.axes[0].get_title()
    # the legend sits under the axes, not on the data
    legend = fig.axes[0].get_legend()
    assert legend.get_bbox_to_anchor().y0 < fig.axes[0].get_window_extent().y0


def test_monthly_peaks_axis_spans_the_data(result):
    flex, bau = peaks(result.schedule, result), peaks(result.baseline, result)
    ax = plots.monthly_peaks_plot(flex, bau).axes[0]
    low, high = ax.get_ylim()
    assert 0 < low <= min(flex.min(), bau.min()) and high >= max(flex.max(), bau.max())


def test_battery_state_of_charge_is_a_day_by_hour_image(result):
    fig = plots.battery_soc(result.schedule, "UTC")
    ax = fig.axes[0]
    assert len(ax.images) == 1 and ax.images[0].get_array().shape == (24, 3)
    assert not [ln for ln in ax.get_lines() if len(ln.get_xdata()) > 100]


def test_compare_panels_skip_all_zero_metrics_and_read_without_offsets():
    table = pd.DataFrame({"total_cost_usd": [4.877e7, 5.1e7], "renewable_share": [0.0, 0.0],
                          "annual_pue": [1.12, 1.18]}, index=["a", "b"])
    fig = plot_metric_bars(table, ["total_cost_usd", "renewable_share", "annual_pue"])
    titles = [ax.get_title() for ax in fig.axes if ax.get_visible()]
    assert titles == ["total cost [USD]", "annual PUE"]
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(fig).draw()
    cost_ax = fig.axes[0]
    ticks = [t.get_text() for t in cost_ax.get_yticklabels()]
    assert any(t.endswith(" M") for t in ticks), ticks
    assert cost_ax.yaxis.get_offset_text().get_text() == ""
    pue_low, _ = fig.axes[1].get_ylim()
    assert pue_low > 1.0  # points, not bars from 0: 1.12 against 1.18 shows


def test_sweep_colours_a_discrete_axis_by_value_not_a_colour_bar():
    table = pd.DataFrame({"status": "done", "variant": [f"v{i}" for i in range(6)],
                          "battery.power_mw": [1.0, 2.0, 4.0] * 2,
                          "total_cost_usd": np.linspace(3e5, 3.4e5, 6),
                          "emissions_average_t": np.linspace(1050, 1140, 6)})
    fig = plot_cost_vs_emissions(table, "battery.power_mw")
    assert len(fig.axes) == 1  # no colour-bar axes
    assert _texts(fig) == ["1", "2", "4"]
    assert fig.axes[0].get_xlabel() == "emissions (average intensity) [t CO2]"
    assert fig.axes[0].get_ylabel() == "total cost [USD]"
    many = table.assign(**{"battery.power_mw": np.arange(6.0) * 3})
    many = pd.concat([many, many.assign(**{"battery.power_mw": many["battery.power_mw"] + 1})])
    assert len(plot_cost_vs_emissions(many, "battery.power_mw").axes) == 2  # 12 values: a bar
