"""Write a run's results to a folder: data files, ``report.html`` and (on request) PNG plots.

The folder holds the schedules (Parquet, with CSV copies), ``metrics.json``,
``comparison.csv``, ``monthly_bill.csv`` and ``report.html`` (:func:`run_report`), each
written atomically. Money columns and keys are named in the scenario's reporting currency
(:mod:`dcflex.results.currency`). The PNG plots (matplotlib) are written only when asked
for: the report draws its figures in the browser, which keeps ``dcflex run`` free of
matplotlib's import and rendering time.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from dcflex.results import figures
from dcflex.results.bill import LINES, monthly_bill, monthly_max
from dcflex.results.currency import present_document, present_frame, present_name
from dcflex.results.files import atomic_path, write_json_atomic
from dcflex.results.html import ReportSection, ReportTable, write_report
from dcflex.results.labels import label
from dcflex.results.result import Result

#: Rows of the headline table, in this order (those the result has).
HEADLINE = (
    "total_cost_usd", "average_cost_usd_per_mwh", "energy_cost_usd", "demand_cost_usd",
    "dr_revenue_usd", "training_value_usd", "emissions_average_t", "cfe_score",
    "peak_import_mw", "import_limit_excess_mwh",
)
#: The values of the counterfactual ladder (:mod:`dcflex.results.counterfactuals`).
LADDER = ("battery_value_usd", "workload_flexibility_value_usd", "flexibility_value_usd",
          "work_value_change_usd")
#: Rows of the energy, PUE, clean-energy and emissions table.
ENERGY = (
    "it_energy_mwh", "facility_energy_mwh", "annual_pue", "grid_import_mwh", "grid_export_mwh",
    "cfe_score", "renewable_share", "clean_share", "emissions_average_t",
    "emissions_market_based_t", "avoided_emissions_marginal_t", "site_water_m3",
    "wue_site_l_per_kwh", "total_water_m3",
    "peak_import_mw", "peak_facility_mw", "load_factor", "curtailed_mwh", "shifted_energy_mwh",
    "battery_discharge_mwh", "dr_reduced_mwh",
)
PER_CLASS = ("throughput_delivered__", "throughput_required__", "slo_misses__",
             "work_done_gpu_hours__", "work_required_gpu_hours__")

FILES = {
    "schedule.parquet": "flexible schedule, one row per step (UTC), MW and context series",
    "schedule.csv": "the same as CSV",
    "baseline.parquet": "business-as-usual twin's schedule",
    "baseline.csv": "the same as CSV",
    "metrics.json": "every metric of both schedules with units and descriptions, timings, "
                    "provenance",
    "comparison.csv": "flexible vs business-as-usual per metric",
    "monthly_bill.csv": "bill lines per billing month, both schedules",
}


def metrics_document(result: Result) -> dict:
    """Values of flexibility, metrics of the flexible run, its twin and every rung of the
    counterfactual ladder (with units), good-grid-citizen warnings, timings and provenance
    (names in the reporting currency)."""

    def block(metrics) -> dict:
        return {m.name: {"value": m.value, "unit": m.unit, "description": m.description,
                         **({"includes": m.includes} if m.includes else {})}
                for m in metrics}

    scen = result.scenario
    doc = {
        "scenario": scen.name,
        "currency": scen.currency,
        "exchange_rates": (None if scen.exchange_rates is None
                           else scen.exchange_rates.describe()),
        "values": block(result.values),
        "flexible": block(result.metrics),
        "baseline": block(result.baseline_metrics),
        "warnings": list(result.warnings),
        "timings_s": result.timings_s,
        "provenance": result.provenance,
    }
    if result.ladder is not None:
        doc["ladder"] = [{"rung": r.index, "label": r.label, "solved": r.solved,
                          "dr_enrolled": r.enrolled, "total_cost_usd": r.metrics["total_cost_usd"],
                          "work_value_usd": r.work_value_usd, "net_cost_usd": r.net_cost_usd}
                         for r in result.ladder.rungs]
        doc["battery_only"] = block(result.ladder.rungs[1].metrics)
    return present_document(doc, scen.currency)


def _write_csv(frame: pd.DataFrame, path: Path) -> None:
    """A schedule as CSV, time as ISO UTC (pyarrow's writer: a year of steps in tens of ms,
    several times faster than pandas')."""
    import pyarrow as pa
    import pyarrow.csv as pcsv

    utc = np.datetime_as_string(frame.index.tz_convert("UTC").tz_localize(None).to_numpy(),
                                unit="m")
    table = pa.Table.from_pandas(frame.reset_index(drop=True), preserve_index=False)
    table = table.add_column(0, "time_utc", pa.array(np.char.add(utc, "Z")))
    with atomic_path(path) as tmp:
        pcsv.write_csv(table, tmp)


def bills(result: Result) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Monthly bills of the flexible schedule and of its twin."""
    ref = result.baseline["grid_import_mw"].to_numpy()
    return (monthly_bill(result.schedule, result.inputs, ref),
            monthly_bill(result.baseline, result.inputs, ref, enrolled=False))


def write_outputs(result: Result, out_dir: str | Path, week_start: str | None = None,
                  png: bool = False, report: bool = True) -> list[Path]:
    """Write the data files, ``report.html`` (unless ``report`` is False) and (if ``png``)
    the PNG plots; return the paths."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    currency = result.scenario.currency
    written: list[Path] = []
    for name, frame in (("schedule", result.schedule), ("baseline", result.baseline)):
        shown = present_frame(frame, currency)
        with atomic_path(out / f"{name}.parquet") as tmp:
            shown.to_parquet(tmp)
        _write_csv(shown, out / f"{name}.csv")
        written += [out / f"{name}.parquet", out / f"{name}.csv"]
    write_json_atomic(out / "metrics.json", metrics_document(result))
    with atomic_path(out / "comparison.csv") as tmp:
        present_frame(result.comparison, currency).to_csv(tmp)
    flex_bill, bau_bill = bills(result)
    both = pd.concat({"flexible": flex_bill, "baseline": bau_bill}, axis=1)
    both.columns = [f"{who}__{line}" for who, line in both.columns]
    with atomic_path(out / "monthly_bill.csv") as tmp:
        present_frame(both, currency).to_csv(tmp)
    written += [out / "metrics.json", out / "comparison.csv", out / "monthly_bill.csv"]
    if report:
        written.append(run_report(result, out / "report.html", week_start,
                                  (flex_bill, bau_bill)))
    if png:
        written += write_pngs(result, out, week_start)
    return written


def write_pngs(result: Result, out: Path, week_start: str | None = None) -> list[Path]:
    """The matplotlib plots of a run as PNG files (imports matplotlib)."""
    from dcflex.results import plots

    tz = result.scenario.site.timezone
    currency = result.scenario.currency
    figs = {
        "dispatch_week.png": plots.dispatch_week(result.schedule, result.baseline, tz, week_start),
        "price_carbon_load.png": plots.price_carbon_load(result.schedule, result.baseline, tz,
                                                         week_start, currency),
        "monthly_peaks.png": plots.monthly_peaks_plot(peaks(result.schedule, result),
                                                      peaks(result.baseline, result)),
    }
    if "battery_soc_mwh" in result.schedule:
        figs["battery_soc.png"] = plots.battery_soc(result.schedule, tz)
    return [plots.save(fig, out / name) for name, fig in figs.items()]


def peaks(schedule: pd.DataFrame, result: Result) -> pd.Series:
    """Monthly peak import of a schedule, MW (local months)."""
    return monthly_max(schedule["grid_import_mw"].to_numpy(), result.inputs.local_index)


def _rows(result: Result, names) -> pd.DataFrame:
    table = result.comparison
    return table.loc[[n for n in names if n in table.index]]


def _tips(result: Result) -> dict[str, str]:
    return {m.name: m.description for m in result.metrics}


def run_facts(result: Result) -> list[tuple[str, str]]:
    """Short facts of a run for the top of its report."""
    scen, t = result.scenario, result.timings_s
    facts = [
        ("site", f"{scen.site.name} ({scen.site.latitude_deg:.2f}°, "
                 f"{scen.site.longitude_deg:.2f}°, {scen.site.timezone})"),
        ("period", f"{scen.period.start} to {scen.period.end} (local, end exclusive), "
                   f"{result.inputs.n_steps:,} steps of {scen.period.step}"),
        ("currency", scen.currency if scen.exchange_rates is None
         else f"{scen.currency}; rates {scen.exchange_rates.describe()}"),
        ("scenario", f"{scen.source_file or scen.name} (hash "
                     f"{result.provenance.get('scenario_hash', '')})"),
    ]
    if "highs_solve" in t:
        facts.append(("solve", f"HiGHS {t['highs_solve']:.2f} s; dcflex "
                               f"{sum(v for k, v in t.items() if k != 'highs_solve'):.2f} s "
                               "including HiGHS"))
    versions = ", ".join(f"{k} {v}" for k, v in result.provenance.items()
                         if k not in ("scenario_hash",))
    facts.append(("versions", versions))
    return facts


def _headline_text(result: Result) -> str:
    total = result.comparison.loc["total_cost_usd"]
    currency = result.scenario.currency
    saved = total["baseline"] - total["flexible"]
    share = saved / total["baseline"] if total["baseline"] else np.nan
    from dcflex.results.format import format_number

    return (f"The flexible schedule costs {format_number(total['flexible'], 'USD')} "
            f"{currency} over the period against {format_number(total['baseline'], 'USD')} "
            f"{currency} for its business-as-usual twin (the same site running its workload "
            f"as demanded, settled under the same contract): "
            f"{format_number(saved, 'USD')} {currency} less"
            + (f" ({share:.1%})." if np.isfinite(share) else "."))


def run_report(result: Result, path: str | Path, week_start: str | None = None,
               bill_pair: tuple[pd.DataFrame, pd.DataFrame] | None = None) -> Path:
    """Write ``report.html`` of a run: headline, value ladder, cost breakdown, monthly bill,
    energy and emissions, figures, and links to the data files beside it."""
    scen = result.scenario
    currency = scen.currency
    tz = scen.site.timezone
    tips = _tips(result)
    flex_bill, bau_bill = bill_pair if bill_pair is not None else bills(result)
    headline = _rows(result, HEADLINE)
    sections = [ReportSection(
        "Flexible schedule vs business-as-usual", paragraphs=[_headline_text(result)],
        tables=[ReportTable(headline, tips=tips)], anchor="headline")]
    if result.ladder is not None and len(result.values):
        rungs = result.ladder.table()
        rungs.columns = [present_name(c, currency) for c in rungs.columns]
        values = result.values.to_frame()[["value", "unit"]]
        value_tips = {m.name: m.description + (f" Includes: {m.includes}." if m.includes else "")
                      for m in result.values}
        sections.append(ReportSection(
            "What flexibility is worth: the counterfactual ladder",
            paragraphs=list(result.warnings),
            tables=[ReportTable(rungs, units={c: currency for c in rungs.columns
                                              if c.endswith(currency.lower())},
                                note="Each rung is solved under the same tariff and contracts: "
                                     "(0) the site run inflexibly with the battery idle, (1) "
                                     "the same workload with the battery dispatched, (2) fully "
                                     "flexible. Net cost = total cost minus the value of the "
                                     "work delivered."),
                    ReportTable(values, tips=value_tips,
                                note="Battery value = C0 - C1, workload flexibility = C1 - C2, "
                                     "flexibility = C0 - C2, each net of the change in the "
                                     "value of work delivered.")],
            anchor="ladder"))
    lines = [c for c in LINES if c in flex_bill and (flex_bill[c].abs().sum() > 0
                                                     or bau_bill[c].abs().sum() > 0)]
    breakdown = pd.DataFrame({"flexible": [flex_bill[c].sum() for c in lines],
                              "baseline": [bau_bill[c].sum() for c in lines]},
                             index=pd.Index([*lines], name="bill line"))
    breakdown.loc["total_usd"] = [flex_bill["total_usd"].sum(), bau_bill["total_usd"].sum()]
    breakdown["change"] = breakdown["flexible"] - breakdown["baseline"]
    breakdown.index = [label(c) for c in breakdown.index]
    breakdown.index.name = "bill line"
    sections.append(ReportSection(
        "Cost breakdown", tables=[ReportTable(
            breakdown, units=dict.fromkeys(breakdown.columns, currency),
            tips={label(k): v for k, v in LINES.items()},
            note=f"Amounts in {currency} over the period; credits negative.")],
        figures=[figures.cost_breakdown(flex_bill, bau_bill, currency)], anchor="costs"))
    month = flex_bill[[c for c in lines if flex_bill[c].abs().sum() > 0] + ["total_usd"]].copy()
    month["baseline_total_usd"] = bau_bill["total_usd"]
    month["saving_usd"] = month["baseline_total_usd"] - month["total_usd"]
    month.columns = [present_name(c, currency) for c in month.columns]
    sections.append(ReportSection(
        "Monthly bill", tables=[ReportTable(
            month, units=dict.fromkeys(month.columns, currency),
            note="Flexible schedule per local billing month; a demand-response event is "
                 "settled in the month it starts in. The months add up to the period's "
                 "totals.")],
        figures=[figures.monthly_bill(flex_bill, bau_bill, currency)], anchor="bill"))
    energy = pd.concat([_rows(result, ENERGY), result.comparison.loc[
        [m for m in result.comparison.index if m.startswith(PER_CLASS)]]])
    sections.append(ReportSection(
        "Energy, PUE, clean energy and emissions",
        tables=[ReportTable(energy, tips=tips)], anchor="energy"))
    figs = [figures.dispatch_week(result.schedule, result.baseline, tz, week_start),
            figures.price_carbon_import(result.schedule, result.baseline, tz, week_start,
                                        currency),
            figures.monthly_peaks(peaks(result.schedule, result), peaks(result.baseline, result))]
    if "battery_soc_mwh" in result.schedule:
        figs.append(figures.battery_soc(result.schedule, tz))
    sections.append(ReportSection("Dispatch", figures=figs, anchor="dispatch"))
    return write_report(path, f"{scen.name}: flexible operation report", sections,
                        subtitle=scen.description, facts=run_facts(result),
                        files=list(FILES.items()), currency=currency)
