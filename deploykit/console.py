"""The `deploykit` console script and `python -m deploykit`.

Ctrl-C is one line and exit code 130 at any moment, including while the command line's modules are
still being imported (typer, then a command's own modules), before any handler of cli.py exists.
"""

from __future__ import annotations

import contextlib
import sys

EXIT_INTERRUPTED = 130  # cli_errors.EXIT_INTERRUPTED, not imported: this module must stay import-free


def main() -> None:
    """Run the command line of sys.argv; an interrupt anywhere is `interrupted` and exit 130."""
    try:
        from deploykit.cli import console

        console()
    except KeyboardInterrupt:  # cli.py says so itself once it runs a command: this is before, or around it
        with contextlib.suppress(OSError):  # stderr closed: the exit code says it
            print("interrupted", file=sys.stderr)
        sys.exit(EXIT_INTERRUPTED)
