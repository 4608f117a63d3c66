"""How the command line reports failures: one `error:` line each, whatever failed.

Input errors arrive as DeployKitError, environment errors (permissions, a full disk, a closed stdout)
as OSError, usage errors from Click (cli.py); each becomes one line on stderr. Characters that would
break the line (a newline in a key, a `--set` value, a file name) are written as escapes. No typer
here: entry.py's fast path uses this module too.
"""

from __future__ import annotations

import os
import sys


def one_line(text: str) -> str:
    """`text` with every character that is not printable (newlines, tabs, other controls) escaped."""
    if text.isprintable():
        return text
    return "".join(char if char.isprintable() else char.encode("unicode_escape").decode("ascii") for char in text)


def describe_os_error(exc: OSError) -> str:
    """The path and the OS's reason; an error without a path came from writing standard output."""
    reason = exc.strerror or str(exc)
    if exc.filename is None:
        return f"cannot write to standard output: {reason}"
    shown = os.fsdecode(exc.filename)
    if exc.filename2 is not None:
        return f"{shown} -> {os.fsdecode(exc.filename2)}: {reason}"
    return f"{shown}: {reason}"


def silence_stdout() -> None:
    """Point standard output at /dev/null, so that the interpreter's last flush cannot fail again.

    After a write to a closed pipe or a full device, Python would retry the buffered bytes at exit and
    print "Exception ignored ..." with exit code 120.
    """
    try:
        descriptor = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):  # not a real file (a test's StringIO)
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, descriptor)
    os.close(devnull)
