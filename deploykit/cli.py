"""The command line: argument parsing and the error handler around every command.

Exit codes: 0 success; 1 `check` found stale manifests; 2 invalid input or usage; 3 unexpected error
(a bug: please report it); 130 interrupted.
"""

from __future__ import annotations

import sys
import traceback
from pathlib import Path
from typing import Annotated, Callable, Optional

import typer

from deploykit.errors import DeployKitError

EXIT_OK = 0
EXIT_USAGE = 2
EXIT_BUG = 3
EXIT_INTERRUPTED = 130

app = typer.Typer(
    name="deploykit",
    help="Compile one deployment spec into Docker Compose, Kubernetes, Nomad and a Dockerfile.",
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)

ProfileOption = Annotated[Optional[Path], typer.Option("--profile", "-p", help="Profile file.", dir_okay=False)]
EnvOption = Annotated[Optional[str], typer.Option("--env", "-e", help="Environment: uses <profiles>/<ENV>.yaml.")]
ProfilesDirOption = Annotated[Path, typer.Option("--profiles", help="Directory holding the profiles.", file_okay=False)]
StrictOption = Annotated[bool, typer.Option("--strict", help="Treat warnings as errors.")]


def _guarded(command: Callable[[], int]) -> None:
    """Run a command: user errors are one line and exit 2, bugs exit 3 with details."""
    try:
        code = command()
    except DeployKitError as exc:
        print(f"error: {exc}", file=sys.stderr)
        code = EXIT_USAGE
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        code = EXIT_INTERRUPTED
    except BrokenPipeError:
        code = EXIT_OK  # the reader (e.g. `| head`) went away: not an error of ours
    except Exception:  # noqa: BLE001 - anything else is a bug, reported as one
        print("unexpected error (a bug in deploykit; please report it):", file=sys.stderr)
        traceback.print_exc(file=sys.stderr)
        code = EXIT_BUG
    raise typer.Exit(code)


@app.command()
def render(
    target: Annotated[str, typer.Argument(help="Target: k8s, compose, nomad, dockerfile.")],
    profile: ProfileOption = None,
    env: EnvOption = None,
    profiles_dir: ProfilesDirOption = Path("profiles"),
    output_dir: Annotated[Optional[Path], typer.Option("--output", "-o", help="Write files into this directory instead of printing.", file_okay=False)] = None,
    strict: StrictOption = False,
) -> None:
    """Render a profile for one target: print it, or write it with -o DIR."""
    from deploykit.commands import render as command

    _guarded(lambda: command.run(target, profile, env, profiles_dir, output_dir, strict))


@app.command()
def validate(
    profile: ProfileOption = None,
    env: EnvOption = None,
    profiles_dir: ProfilesDirOption = Path("profiles"),
    strict: StrictOption = False,
) -> None:
    """Check a profile (and that every target can render it) without writing anything."""
    from deploykit.commands import validate as command

    _guarded(lambda: command.run(profile, env, profiles_dir, strict))


def main() -> None:
    app()
