"""The command line (layer 7): ``dcflex`` and its commands, one module per command group.

Imports every layer below; nothing imports it. :mod:`~dcflex.cli.main` holds the Typer app,
:mod:`~dcflex.cli.common` the one-line error handling and table printing shared by commands.
"""

from dcflex.cli.main import app

__all__ = ["app"]
