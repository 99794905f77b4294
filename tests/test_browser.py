"""Each report (run, compare, sweep) in a real browser.

Headless Chromium (Debian's ``chromium``; ``.ci/run`` installs it) opens each report.html
from disk with networking off, and the test fails on any console error or uncaught
exception, on any request for something other than a local file, on a figure without drawn
marks, or on a page without tables. The full-page screenshot of each report is kept as an
artifact in ``$DCFLEX_ARTIFACTS`` (default: ``<temp>/dcflex-report-screenshots``) and its
path printed. Without Chromium the test fails, saying how to install it.
"""

from __future__ import annotations

import io
import os
import tempfile
from pathlib import Path

import pytest
import yaml
from chromium import INSTALL_HINT, find_chromium, inspect_report
from conftest import three_day_scenario

from dcflex.results.report import write_outputs
from dcflex.studies.compare import compare
from dcflex.studies.run import run
from dcflex.studies.sweep import (
    consolidate,
    expand,
    load_sweep,
    read_manifest,
    run_variant,
    write_manifest,
    write_sweep_report,
)

ARTIFACTS = Path(os.environ.get("DCFLEX_ARTIFACTS")
                 or Path(tempfile.gettempdir()) / "dcflex-report-screenshots")


@pytest.fixture(scope="module")
def reports(tmp_path_factory) -> dict[str, Path]:
    """report.html of a run, a comparison of two sites and a sweep of four variants."""
    root = tmp_path_factory.mktemp("reports")
    for name, seed in (("north", 2), ("south", 7)):
        (root / f"{name}.yaml").write_text(yaml.safe_dump(three_day_scenario(name, seed)))
    write_outputs(run(root / "north.yaml"), root / "run")
    compare([root / "north.yaml", root / "south.yaml"], processes=1,
            progress=False).write(root / "compare")
    (root / "sweep.yaml").write_text(yaml.safe_dump({
        "name": "browser", "base": "north.yaml",
        "axes": {"battery.energy_mwh": [1.0, 3.0],
                 "workload.classes.batch.gpu_hours_per_day": [20.0, 30.0]}}))
    spec = load_sweep(root / "sweep.yaml")
    variants = expand(spec)
    store = root / "store"
    write_manifest(store, spec, variants)
    for v in variants:  # the sweep's own task, run here instead of on a Dask worker
        assert run_variant(v, store)["status"] == "done"
    table = consolidate(store)
    axes = read_manifest(store)["axes"]
    write_sweep_report(table, read_manifest(store), axes,
                       ["total_cost_usd", "emissions_average_t", "peak_import_mw"],
                       store / "report")
    return {"run": root / "run" / "report.html", "compare": root / "compare" / "report.html",
            "sweep": store / "report" / "report.html"}


@pytest.mark.parametrize("kind, n_figures", [("run", 6), ("compare", 3), ("sweep", 3)])
def test_report_renders_in_headless_chromium(reports, kind, n_figures):
    if find_chromium() is None:
        pytest.fail(INSTALL_HINT)
    page = inspect_report(reports[kind])
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shot = ARTIFACTS / f"{kind}.png"
    shot.write_bytes(page.screenshot_png)
    print(f"screenshot of the {kind} report: {shot}")
    assert page.console_errors == []
    assert page.external_requests == []
    assert page.tables >= 1
    assert len(page.figures) == n_figures
    for fig in page.figures:  # plotly drew an SVG with marks, at a readable size
        assert fig["svgs"] > 0 and fig["marks"] > 0, fig
        assert fig["width"] > 600 and fig["height"] > 250, fig
        assert fig["title"], fig
    from PIL import Image

    image = Image.open(io.BytesIO(page.screenshot_png)).convert("RGB")
    assert image.width == 1280 and image.height > 1000
    colors = image.resize((320, image.height // 4)).getcolors(maxcolors=1 << 16)
    assert colors is None or len(colors) > 50  # text, tables and plots, not a blank page
