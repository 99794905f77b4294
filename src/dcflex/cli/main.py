"""The ``dcflex`` Typer application: one command group per module of this package.

Command modules import only typer, rich and :mod:`dcflex.cli.common` at load time; the
work (and pandas, HiGHS, matplotlib, Dask, ...) is imported inside each command, so that
``dcflex --help`` starts faster than ``import pandas``.
"""

from __future__ import annotations

import os

import typer

from dcflex.cli.compare import compare_command, slo_headroom_command
from dcflex.cli.headroom import headroom
from dcflex.cli.pipeline import inputs, run, schema, validate
from dcflex.cli.replay import replay_command
from dcflex.cli.simulate import simulate_command
from dcflex.cli.sweep import sweep_command, sweep_report_command

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="dcflex: simulate power-flexible AI data centers against grid prices, carbon and limits.",
)

@app.callback()
def _global_options(
    max_steps: int | None = typer.Option(
        None, "--max-steps", min=1, help="Allow periods of up to this many steps (default "
        "105,408: a leap year at 5-minute steps); also $DCFLEX_MAX_STEPS."),
) -> None:
    """dcflex: simulate power-flexible AI data centers against grid prices, carbon and limits."""
    if max_steps is not None:
        from dcflex.scenario.site import MAX_STEPS_ENV

        # the environment carries it to the worker processes of compare and sweep too
        os.environ[MAX_STEPS_ENV] = str(max_steps)


for _name, _command in (
    ("validate", validate),
    ("schema", schema),
    ("inputs", inputs),
    ("run", run),
    ("compare", compare_command),
    ("headroom", headroom),
    ("slo-headroom", slo_headroom_command),
    ("simulate", simulate_command),
    ("sweep", sweep_command),
    ("sweep-report", sweep_report_command),
    ("replay", replay_command),
):
    app.command(_name)(_command)
