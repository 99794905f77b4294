"""Figures of the HTML report as plain data: plotly.js figure dicts (``data`` + ``layout``).

The report draws them in the browser with plotly.js (embedded, :mod:`dcflex.results.html`);
building them needs neither matplotlib nor plotly's Python package, only numpy and pandas,
so a report costs milliseconds. Every figure has a title that says what was chosen, axis
titles with units (money in the reporting currency), a legend under the plot where it hides
no data, and no more points than a reader can see (a year of battery charge is drawn as
daily ranges, not 8,760 points).

Times are the site's local time, written without offset (``2023-07-10T14:00``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from dcflex.results.bill import LINES
from dcflex.results.currency import present_unit
from dcflex.results.labels import label

#: Colours shared by the figures (colour-blind-safe "bold" palette of CARTOColors).
COLORS = {
    "pv_used_mw": "#f2b701", "wind_used_mw": "#3969ac", "ppa_used_mw": "#7f3c8d",
    "battery_discharge_mw": "#11a579", "grid_import_mw": "#80868b",
    "flexible": "#3969ac", "baseline": "#80868b", "price": "#e73f74", "carbon": "#4b4b8f",
}
PALETTE = ("#3969ac", "#e73f74", "#11a579", "#f2b701", "#7f3c8d", "#80ba5a", "#e68310",
           "#008695", "#cf1c90", "#f97b72")
SUPPLY = ("pv_used_mw", "wind_used_mw", "ppa_used_mw", "battery_discharge_mw", "grid_import_mw")


def numbers(values: Any, decimals: int = 4) -> list:
    """JSON-ready numbers (rounded; NaN as null, which plotly leaves as a gap)."""
    arr = np.round(np.asarray(values, dtype=float), decimals)
    return [None if not np.isfinite(v) else float(v) for v in arr]


def times(index: pd.DatetimeIndex) -> list[str]:
    """Local wall-clock times as ISO strings without offset (what plotly reads as dates)."""
    return list(index.tz_localize(None).strftime("%Y-%m-%dT%H:%M"))


def figure(data: list[dict], title: str, *, x_title: str | None = None,
           y_title: str | None = None, height: int = 380, **layout: Any) -> dict:
    """A plotly figure dict with dcflex's layout: title, axis titles, legend below."""
    lay: dict[str, Any] = {
        "title": {"text": title, "x": 0.01, "xanchor": "left", "font": {"size": 15}},
        "height": height,
        "margin": {"l": 70, "r": 30, "t": 50, "b": 85},
        # under the plot, below the x-axis title: the legend never covers data
        "legend": {"orientation": "h", "x": 0, "xanchor": "left", "yref": "container",
                   "y": 0.005, "yanchor": "bottom"},
        "hovermode": "x unified",
        "paper_bgcolor": "white", "plot_bgcolor": "white",
        "xaxis": {"title": {"text": x_title or ""}, "gridcolor": "#e5e5e5",
                  "automargin": True},
        "yaxis": {"title": {"text": y_title or ""}, "gridcolor": "#e5e5e5",
                  "automargin": True, "separatethousands": True},
    }
    for key, value in layout.items():
        if isinstance(value, dict) and isinstance(lay.get(key), dict):
            lay[key] = {**lay[key], **value}
        else:
            lay[key] = value
    return {"data": data, "layout": lay}


def small_multiples(panels: Sequence[tuple[str, list[dict]]], title: str, ncols: int = 3,
                    panel_height: int = 240, legend: bool = False) -> dict:
    """One panel per (panel title, traces), each with its own axes, in a grid (with a legend
    under it if ``legend``: traces then say themselves which entries show)."""
    n = max(len(panels), 1)
    ncols = min(ncols, n)
    nrows = -(-n // ncols)
    data, annotations = [], []
    lay: dict[str, Any] = {}
    # about 90 px between rows: room for the rotated tick labels and the next panel's title
    gap_x, gap_y = 0.08, (90 / (panel_height * nrows) if nrows > 1 else 0.0)
    w = (1 - gap_x * (ncols - 1)) / ncols
    h = (1 - gap_y * (nrows - 1)) / nrows
    for i, (panel_title, traces) in enumerate(panels):
        r, c = divmod(i, ncols)
        suffix = "" if i == 0 else str(i + 1)
        x0, y1 = c * (w + gap_x), 1 - r * (h + gap_y)
        lay[f"xaxis{suffix}"] = {"domain": [x0, x0 + w], "anchor": f"y{suffix}",
                                 "automargin": True, "tickangle": -30}
        lay[f"yaxis{suffix}"] = {"domain": [max(y1 - h, 0), y1], "anchor": f"x{suffix}",
                                 "gridcolor": "#e5e5e5", "separatethousands": True,
                                 "automargin": True}
        for t in traces:
            data.append({**t, "xaxis": f"x{suffix}", "yaxis": f"y{suffix}"})
        annotations.append({"text": panel_title, "showarrow": False, "xref": "paper",
                            "yref": "paper", "x": x0 + w / 2, "y": y1, "xanchor": "center",
                            "yanchor": "bottom", "font": {"size": 12}})
    fig = figure(data, title, height=panel_height * nrows + (130 if legend else 90),
                 annotations=annotations, showlegend=legend, hovermode="closest", **lay)
    fig["layout"]["margin"] = {"l": 60, "r": 20, "t": 70, "b": 85 if legend else 40}
    return fig


def week_window(schedule: pd.DataFrame, tz: str, week_start: str | None = None
                ) -> tuple[pd.DataFrame, str]:
    """Seven local days of a schedule and words saying which week and why it was chosen.

    Without ``week_start`` the week around the highest grid import (where flexibility matters
    most); with it, the week from that local date.
    """
    local = schedule.tz_convert(tz)
    if week_start is None:
        start = local["grid_import_mw"].idxmax().normalize() - pd.Timedelta(days=3)
        why = "the week around the highest grid import"
    else:
        start = pd.Timestamp(week_start).tz_localize(tz)
        why = "the week chosen with --week"
    start = max(start, local.index[0])
    week = local.loc[start: start + pd.Timedelta(days=7) - pd.Timedelta(seconds=1)]
    last = week.index[-1] if len(week) else start
    return week, f"{why}, {start:%Y-%m-%d} to {last:%Y-%m-%d} (local time)"


def dispatch_week(schedule: pd.DataFrame, baseline: pd.DataFrame, tz: str,
                  week_start: str | None = None) -> dict:
    """Supply stack against facility load over one week, business-as-usual load dashed."""
    week, which = week_window(schedule, tz, week_start)
    bau = baseline.tz_convert(tz).loc[week.index]
    x = times(week.index)
    data = [{"type": "scatter", "x": x, "y": numbers(week[c]), "name": label(c),
             "stackgroup": "supply", "line": {"shape": "hv", "width": 0},
             "fillcolor": COLORS[c], "mode": "lines"} for c in SUPPLY if c in week]
    data.append({"type": "scatter", "x": x, "y": numbers(week["facility_power_mw"]),
                 "name": "facility load", "line": {"shape": "hv", "color": "black",
                                                    "width": 1.6}})
    data.append({"type": "scatter", "x": x, "y": numbers(bau["facility_power_mw"]),
                 "name": "business-as-usual load",
                 "line": {"shape": "hv", "color": "black", "dash": "dash", "width": 1.2}})
    if "battery_charge_mw" in week:
        data.append({"type": "scatter", "x": x,
                     "y": numbers(week["facility_power_mw"] + week["battery_charge_mw"]),
                     "name": "load + battery charging",
                     "line": {"shape": "hv", "color": COLORS["battery_discharge_mw"],
                              "width": 1}})
    return figure(data, f"Supply and load over {which}", y_title="power [MW]", height=420)


def price_carbon_import(schedule: pd.DataFrame, baseline: pd.DataFrame, tz: str,
                        week_start: str | None = None, currency: str = "USD") -> dict:
    """Price and carbon intensity (top) and grid import (bottom) over the same week."""
    week, which = week_window(schedule, tz, week_start)
    bau = baseline.tz_convert(tz).loc[week.index]
    x = times(week.index)
    line = {"shape": "hv", "width": 1.4}
    data = [
        {"type": "scatter", "x": x, "y": numbers(week["energy_price_usd_per_mwh"], 2),
         "name": "energy price", "line": {**line, "color": COLORS["price"]}},
        {"type": "scatter", "x": x, "y": numbers(week["carbon_avg_kg_per_mwh"], 1),
         "name": "carbon intensity", "yaxis": "y2", "line": {**line, "color": COLORS["carbon"]}},
        {"type": "scatter", "x": x, "y": numbers(week["grid_import_mw"]), "yaxis": "y3",
         "name": "flexible import", "line": {**line, "color": COLORS["flexible"]}},
        {"type": "scatter", "x": x, "y": numbers(bau["grid_import_mw"]), "yaxis": "y3",
         "name": "business-as-usual import",
         "line": {**line, "color": "black", "dash": "dash", "width": 1.1}},
    ]
    price_unit = present_unit("USD/MWh", currency)
    return figure(
        data, f"Price, carbon and grid import over {which}", height=500,
        xaxis={"anchor": "y3"},
        yaxis={"domain": [0.56, 1], "title": {"text": f"price [{price_unit}]"},
               "color": COLORS["price"]},
        yaxis2={"overlaying": "y", "side": "right", "title": {"text": "carbon [kg CO2/MWh]"},
                "color": COLORS["carbon"], "showgrid": False, "tickmode": "auto",
                "tickformat": ",.0f"},
        yaxis3={"domain": [0, 0.44], "title": {"text": "grid import [MW]"},
                "gridcolor": "#e5e5e5", "anchor": "x"},
        margin={"r": 70},
    )


def battery_soc(schedule: pd.DataFrame, tz: str) -> dict:
    """Battery state of charge by local day (x) and hour (y): the daily cycle and its
    seasons at a glance, 24 x 365 cells instead of 8,760 points on one line."""
    grid = soc_by_hour(schedule["battery_soc_mwh"], tz)
    data = [{"type": "heatmap", "x": [f"{d:%Y-%m-%d}" for d in grid.columns],
             "y": list(grid.index), "z": [numbers(row, 3) for row in grid.to_numpy()],
             "colorscale": "Viridis", "colorbar": {"title": {"text": "MWh"}},
             "hovertemplate": "%{x} %{y}:00<br>%{z:.2f} MWh<extra></extra>"}]
    return figure(data, "Battery state of charge by local day and hour (hourly mean)",
                  x_title="day (local)", y_title="hour of day (local)", height=360,
                  hovermode="closest", yaxis={"dtick": 6, "range": [-0.5, 23.5]},
                  xaxis={"showgrid": False})


def soc_by_hour(soc: pd.Series, tz: str) -> pd.DataFrame:
    """Hourly-mean state of charge as a table: local hour (rows, 0-23) x local day (NaN for
    the hour a spring clock change skips)."""
    local = soc.index.tz_convert(tz).tz_localize(None)
    day = local.normalize()
    days = day.unique()
    col = days.get_indexer(day)
    cell = local.hour.to_numpy() * len(days) + col
    total = np.bincount(cell, weights=soc.to_numpy(dtype=float), minlength=24 * len(days))
    count = np.bincount(cell, minlength=24 * len(days))
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(count > 0, total / np.maximum(count, 1), np.nan)
    return pd.DataFrame(mean.reshape(24, len(days)), index=pd.RangeIndex(24, name="hour"),
                        columns=days)


def monthly_peaks(flex_peaks: pd.Series, bau_peaks: pd.Series) -> dict:
    """Monthly peak import of both schedules as points (the axis spans the data, not 0)."""
    months = [str(m) for m in flex_peaks.index]
    data = [
        {"type": "scatter", "mode": "markers", "x": months, "y": numbers(bau_peaks, 3),
         "name": "business-as-usual", "marker": {"color": COLORS["baseline"], "size": 10}},
        {"type": "scatter", "mode": "markers", "x": months, "y": numbers(flex_peaks, 3),
         "name": "flexible", "marker": {"color": COLORS["flexible"], "size": 10,
                                        "symbol": "diamond"}},
    ]
    return figure(data, "Monthly peak grid import (billing months, local time)",
                  x_title="billing month", y_title="peak import [MW]", height=340,
                  hovermode="closest", xaxis={"type": "category"})


def cost_breakdown(flex_bill: pd.DataFrame, bau_bill: pd.DataFrame, currency: str = "USD"
                   ) -> dict:
    """Each bill line over the period, flexible against business-as-usual."""
    lines = [c for c in LINES if c in flex_bill and (flex_bill[c].abs().sum() > 0
                                                     or bau_bill[c].abs().sum() > 0)]
    names = [label(c) for c in lines]
    data = [
        {"type": "bar", "orientation": "h", "y": names,
         "x": numbers([bau_bill[c].sum() for c in lines], 0), "name": "business-as-usual",
         "marker": {"color": COLORS["baseline"]}},
        {"type": "bar", "orientation": "h", "y": names,
         "x": numbers([flex_bill[c].sum() for c in lines], 0), "name": "flexible",
         "marker": {"color": COLORS["flexible"]}},
    ]
    return figure(data, "Cost over the period by bill line (credits negative)",
                  x_title=f"amount [{currency}]", height=max(280, 130 + 45 * len(lines)),
                  barmode="group", hovermode="closest",
                  yaxis={"autorange": "reversed", "separatethousands": False},
                  xaxis={"separatethousands": True})


def monthly_bill(flex_bill: pd.DataFrame, bau_bill: pd.DataFrame, currency: str = "USD"
                 ) -> dict:
    """The flexible schedule's bill per month by line (stacked), the twin's total as points."""
    months = list(flex_bill.index)
    lines = [c for c in LINES if c in flex_bill and flex_bill[c].abs().sum() > 0]
    data = [{"type": "bar", "x": months, "y": numbers(flex_bill[c], 0), "name": label(c),
             "marker": {"color": PALETTE[i % len(PALETTE)]}} for i, c in enumerate(lines)]
    data.append({"type": "scatter", "mode": "markers", "x": months,
                 "y": numbers(bau_bill["total_usd"], 0), "name": "business-as-usual total",
                 "marker": {"color": "black", "symbol": "line-ew-open", "size": 18,
                            "line": {"width": 2}}})
    return figure(data, "Monthly bill of the flexible schedule by line, business-as-usual "
                        "total marked", x_title="billing month",
                  y_title=f"amount [{currency}]", barmode="relative", height=420,
                  xaxis={"type": "category", "showgrid": False})
