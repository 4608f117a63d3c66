"""How the command line reports failures: one `error:` line each, whatever failed.

Input errors arrive as DeployKitError, environment errors (permissions, a full disk, a closed stdout)
as OSError, usage errors from Click (cli.py); each becomes one line on stderr. Characters that would
break the line (a newline in a key, a `--set` value, a file name) are written as escapes.

Exit codes: 0 success; 1 `check` found stale manifests, or `diff` found differences; 2 invalid input
or usage, or a file that cannot be read or written (permissions, a full disk); 3 unexpected error (a
bug: please report it); 130 interrupted.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable

from deploykit.errors import DeployKitError

EXIT_OK = 0
EXIT_USAGE = 2
EXIT_BUG = 3
EXIT_INTERRUPTED = 130


def run_guarded(command: Callable[[], int]) -> int:
    """Run a command and return its exit code: user and environment errors are one line each and 2, bugs 3 with details."""
    try:
        code = command()
        sys.stdout.flush()  # a short output meets a full disk or a closed pipe only here
        return code
    except DeployKitError as exc:
        for line in exc.lines():
            print(f"error: {one_line(line)}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return say_interrupted()
    except BrokenPipeError:
        silence_stdout()
        return EXIT_OK  # the reader (e.g. `| head`) went away: not an error of ours
    except OSError as exc:  # the environment, not the input: a permission, a full disk, stdout on /dev/full
        if exc.filename is None:
            silence_stdout()
        print(f"error: {one_line(describe_os_error(exc))}", file=sys.stderr)
        return EXIT_USAGE
    except Exception:
        import traceback

        print("unexpected error (a bug in deploykit; please report it):", file=sys.stderr)
        traceback.print_exc(file=sys.stderr)
        return EXIT_BUG


def say_interrupted() -> int:
    """Print `interrupted` on stderr (an interrupt is not an error to explain); the exit code, 130."""
    with contextlib.suppress(OSError):  # stderr closed: the exit code says it
        print("interrupted", file=sys.stderr)
    return EXIT_INTERRUPTED


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
