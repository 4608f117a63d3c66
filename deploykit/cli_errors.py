"""How the command line reports failures: one `error:` line each, whatever failed.

Input errors arrive as DeployKitError, usage errors from Click, environment errors (permissions, a full
disk, a closed stdout) as OSError; all of them become one line on stderr. Characters that would break
the line (a newline in a key, a `--set` value, a file name) are written as escapes.
"""

from __future__ import annotations

import os
import sys
from typing import Any

import typer
from typer.core import TyperGroup

EXIT_USAGE = 2
EXIT_INTERRUPTED = 130

# Typer ships its own copy of Click (typer._click) in recent versions and uses Click itself in older
# ones: the classes are found through the exception Typer exports rather than imported by module name.
_USAGE_ERROR: type[Exception] = next(cls for cls in typer.BadParameter.__mro__ if cls.__name__ == "UsageError")
_CLICK_EXCEPTION: type[Exception] = next(cls for cls in typer.BadParameter.__mro__ if cls.__name__ == "ClickException")


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


class OneLineUsageErrors(TyperGroup):
    """The deploykit command group: Click's usage errors (an unknown option, `-p DIR`, a missing
    argument) as one `error:` line with exit code 2, like every other error, instead of Click's usage
    block. Help (`--help`, or no arguments at all) is still printed whole.
    """

    def main(  # type: ignore[override]  # Click's signature, with standalone mode handled here
        self,
        args: Any = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        try:
            result = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except _CLICK_EXCEPTION as exc:
            if type(exc).__name__ == "NoArgsIsHelpError":  # no arguments at all: the help is the answer
                exc.show()  # type: ignore[attr-defined]
            else:
                context = getattr(exc, "ctx", None) if isinstance(exc, _USAGE_ERROR) else None
                hint = f" (see `{context.command_path} --help`)" if context is not None else ""
                print(f"error: {one_line(exc.format_message())}{hint}", file=sys.stderr)  # type: ignore[attr-defined]
            result = getattr(exc, "exit_code", EXIT_USAGE)
        except typer.Abort:
            print("interrupted", file=sys.stderr)
            result = EXIT_INTERRUPTED
        if not standalone_mode:
            return result
        sys.exit(result if isinstance(result, int) else 0)
