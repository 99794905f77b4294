"""Reading dcflex's report.html in tests: its figures, tables and references, with the
standard library's HTML parser."""

from __future__ import annotations

import json
from html.parser import HTMLParser
from pathlib import Path


class ReportParser(HTMLParser):
    """Collects figure JSON, tables (as lists of row texts) and every resource reference."""

    def __init__(self) -> None:
        super().__init__()
        self.figures: list[dict] = []
        self.tables: list[list[list[str]]] = []
        self.references: list[tuple[str, str, str]] = []  # (tag, attribute, value)
        self.styles: list[str] = []
        self.scripts_with_src: list[str] = []
        self._in_figure = self._in_style = False
        self._cell: list[str] | None = None
        self._text = ""

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        for name in ("src", "href", "data", "poster", "srcset"):
            if name in a and a[name]:
                self.references.append((tag, name, a[name]))
        if tag == "script" and "src" in a:
            self.scripts_with_src.append(a["src"])
        self._in_figure = tag == "script" and "figure-data" in (a.get("class") or "")
        self._in_style = tag == "style"
        if tag == "table":
            self.tables.append([])
        elif tag == "tr" and self.tables:
            self.tables[-1].append([])
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None and self.tables:
            self.tables[-1][-1].append("".join(self._cell).strip())
            self._cell = None
        if tag == "script" and self._in_figure:
            self.figures.append(json.loads(self._text))
        if tag == "style" and self._in_style:
            self.styles.append(self._text)
        if tag in ("script", "style"):
            self._in_figure = self._in_style = False
            self._text = ""

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)
        if self._in_figure or self._in_style:
            self._text += data


def parse_report(path: str | Path) -> ReportParser:
    parser = ReportParser()
    parser.feed(Path(path).read_text(encoding="utf-8"))
    return parser
