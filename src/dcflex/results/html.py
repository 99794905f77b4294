"""One self-contained HTML report from plain data: a title, sections of text, tables and
figures, and links to the data files beside it.

:func:`write_report` is what every study's report uses (run, compare, sweep, fleet): tables
are DataFrames (numbers formatted by :mod:`dcflex.results.format`, names and units in the
reporting currency by :mod:`dcflex.results.currency`), figures are plotly.js figure dicts
(:mod:`dcflex.results.figures`). The page is rendered from a jinja2 template shipped with
the package (``templates/report.html.j2``).

Why plotly.js, embedded: the figures stay interactive (hover values, zoom on a week, toggle
a series) in a file that opens anywhere without a network, and drawing is left to the
browser, so writing a report costs the Python process only the template and some JSON — no
matplotlib (0.4 s to import, about 0.25 s per PNG figure). The script is read from the
``plotly`` distribution's ``package_data/plotly.min.js`` (4.8 MB, MIT licence) without
importing plotly's Python package; it is inlined once per report.
"""

from __future__ import annotations

import importlib.util
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dcflex.errors import DcflexError
from dcflex.results.currency import present_frame, present_name
from dcflex.results.files import write_text_atomic
from dcflex.results.format import format_frame

if TYPE_CHECKING:
    import pandas as pd


@dataclass
class ReportTable:
    """A table of a report.

    Attributes
    ----------
    frame : pandas.DataFrame
        Numbers and text; the index is the first column. A ``unit`` column gives each row's
        unit; otherwise ``units`` or the column names' unit suffixes do.
    title : str
    units : mapping, optional
        Column name -> unit.
    note : str
        Shown under the table (what the numbers include).
    tips : mapping, optional
        Row label -> description, shown when the pointer rests on the label.
    """

    frame: pd.DataFrame
    title: str = ""
    units: Mapping[str, str | None] | None = None
    note: str = ""
    tips: Mapping[str, str] | None = None


@dataclass
class ReportSection:
    """A section of a report: a heading, paragraphs, tables and figures, in that order."""

    title: str
    paragraphs: Sequence[str] = ()
    tables: Sequence[ReportTable] = ()
    figures: Sequence[dict] = ()
    anchor: str = ""


def plotly_js() -> tuple[str, str]:
    """The plotly.js bundle shipped in the ``plotly`` distribution and its version.

    Raises
    ------
    DcflexError
        If the ``plotly`` distribution is not installed.
    """
    spec = importlib.util.find_spec("plotly")
    if spec is None or not spec.submodule_search_locations:
        raise DcflexError("the HTML report embeds plotly.js from the 'plotly' package, which "
                          "is not installed (pip install plotly)")
    path = Path(next(iter(spec.submodule_search_locations))) / "package_data" / "plotly.min.js"
    text = path.read_text(encoding="utf-8")
    version = re.search(r"plotly\.js v([\d.]+)", text[:400])
    return text, version.group(1) if version else "unknown"


def _json(fig: dict) -> str:
    # "</" cannot appear inside a <script> element; JSON allows the escaped slash
    return json.dumps(fig, separators=(",", ":"), allow_nan=False).replace("</", "<\\/")


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) or (
        hasattr(value, "dtype") and getattr(value.dtype, "kind", "") in "iuf")


def _table(table: ReportTable, currency: str) -> dict:
    frame = table.frame
    text = present_frame(format_frame(frame, table.units), currency)
    tips = table.tips or {}
    numeric_cols = {c for c in frame.columns if c != "unit" and all(
        _is_number(v) or v is None for v in frame[c].to_numpy())}
    columns = [{"name": str(c), "cls": "num" if orig in numeric_cols else "label"}
               for c, orig in zip(text.columns, frame.columns, strict=True)]
    rows = []
    for orig, label, values, raw in zip(frame.index, text.index, text.itertuples(index=False),
                                        frame.itertuples(index=False), strict=True):
        cells = [{"text": v, "cls": "num" if _is_number(r) else "text"}
                 for v, r in zip(values, raw, strict=True)]
        rows.append({"label": str(label), "tip": tips.get(orig, ""), "cells": cells})
    return {"title": table.title, "note": table.note, "columns": columns, "rows": rows,
            "index_name": str(present_name(frame.index.name or "", currency))}


def render_report(title: str, sections: Sequence[ReportSection], *, subtitle: str = "",
                  facts: Sequence[tuple[str, str]] = (),
                  files: Sequence[tuple[str, str]] = (), currency: str = "USD") -> str:
    """The HTML text of a report.

    Parameters
    ----------
    title, subtitle : str
    sections : sequence of ReportSection
    facts : sequence of (name, value)
        Short facts under the title (site, period, currency and rate, versions).
    files : sequence of (file name, what it holds)
        Data files beside the report, linked by relative path.
    currency : str
        Reporting currency: money names and units in tables are written in it.
    """
    import jinja2

    from dcflex.version import __version__

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("dcflex.results", "templates"),
        autoescape=True, trim_blocks=False, lstrip_blocks=False,
        undefined=jinja2.StrictUndefined,
    )
    js, js_version = plotly_js()
    n_fig = 0
    rendered = []
    for i, sec in enumerate(sections):
        figs = []
        for fig in sec.figures:
            n_fig += 1
            figs.append({"id": f"figure-{n_fig}", "json": _json(fig)})
        rendered.append({
            "title": sec.title, "anchor": sec.anchor or f"section-{i + 1}",
            "paragraphs": list(sec.paragraphs),
            "tables": [_table(t, currency) for t in sec.tables], "figures": figs,
        })
    return env.get_template("report.html.j2").render(
        title=title, subtitle=subtitle, facts=list(facts), sections=rendered,
        files=list(files), version=__version__, plotly_js=js, plotly_version=js_version)


def write_report(path: str | Path, title: str, sections: Sequence[ReportSection],
                 **options: Any) -> Path:
    """Render a report (:func:`render_report`, same options) and write it atomically."""
    path = Path(path)
    write_text_atomic(path, render_report(title, sections, **options))
    return path
