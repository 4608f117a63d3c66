"""The command line: argument parsing and the error handler around every command.

Exit codes: 0 success; 1 `check` found stale manifests, or `diff` found differences; 2 invalid input
or usage; 3 unexpected error (a bug: please report it); 130 interrupted.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer

from deploykit.entry import EXIT_BUG, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE, run_guarded

__all__ = ["EXIT_BUG", "EXIT_INTERRUPTED", "EXIT_OK", "EXIT_USAGE", "app", "main"]

app = typer.Typer(
    name="deploykit",
    help="Compile one deployment spec into Docker Compose, Kubernetes, Nomad and a Dockerfile.",
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)

ProfileOption = Annotated[Path | None, typer.Option("--profile", "-p", help="Profile file.", dir_okay=False)]
EnvOption = Annotated[str | None, typer.Option("--env", "-e", help="Environment: uses <profiles>/<ENV>.yaml.")]
ProfilesDirOption = Annotated[Path, typer.Option("--profiles", help="Directory holding the profiles.", file_okay=False)]
ManifestsDirOption = Annotated[
    Path, typer.Option("--manifests", help="Directory of rendered manifests (<env>/<target>/).", file_okay=False)
]
StrictOption = Annotated[bool, typer.Option("--strict", help="Treat warnings as errors.")]
SetOption = Annotated[
    list[str] | None,
    typer.Option(
        "--set",
        help="Override a field after merging, typed like the profile: --set replicas=6 (repeatable).",
        metavar="PATH=VALUE",
    ),
]
TargetsOption = Annotated[list[str] | None, typer.Option("--target", "-t", help="Only this target (repeatable).")]


def _guarded(command: Callable[[], int]) -> None:
    """Run a command: user errors are one line and exit 2, bugs exit 3 with details (see entry.run_guarded)."""
    raise typer.Exit(run_guarded(command))


@app.command()
def render(
    target: Annotated[
        str,
        typer.Argument(
            help="k8s, compose, nomad, dockerfile, or `all` (every environment profile, every target, into manifests/)."
        ),
    ],
    profile: ProfileOption = None,
    env: Annotated[
        list[str] | None,
        typer.Option(
            "--env",
            "-e",
            help="Environment: uses <profiles>/<ENV>.yaml. With `all`: only these environments (repeatable).",
        ),
    ] = None,
    profiles_dir: ProfilesDirOption = Path("profiles"),
    output_dir: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Write files into this directory instead of printing.", file_okay=False),
    ] = None,
    manifests_dir: ManifestsDirOption = Path("manifests"),
    only_targets: TargetsOption = None,
    assignments: SetOption = None,
    strict: StrictOption = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="With `all`: print nothing but errors.")] = False,
) -> None:
    """Render a profile for one target (print it, or write it with -o DIR), or `all` into manifests/."""
    from deploykit.commands.render import run_command

    _guarded(
        lambda: run_command(
            target,
            profile=profile,
            env=tuple(env or ()),
            profiles_dir=profiles_dir,
            output_dir=output_dir,
            manifests_dir=manifests_dir,
            only_targets=tuple(only_targets or ()),
            assignments=tuple(assignments or ()),
            strict=strict,
            quiet=quiet,
        )
    )


@app.command()
def check(
    env: Annotated[list[str] | None, typer.Option("--env", "-e", help="Only these environments (repeatable).")] = None,
    profiles_dir: ProfilesDirOption = Path("profiles"),
    manifests_dir: ManifestsDirOption = Path("manifests"),
    only_targets: TargetsOption = None,
    assignments: SetOption = None,
    strict: StrictOption = False,
) -> None:
    """Re-render in memory and compare with manifests/: exit 0 when identical, 1 with a diff when stale."""
    from deploykit.commands import check as command
    from deploykit.commands.common import ManifestsChoice

    choice = ManifestsChoice(
        profiles_dir, manifests_dir, tuple(env or ()), tuple(only_targets or ()), tuple(assignments or ())
    )
    _guarded(lambda: command.run(choice, strict))


@app.command()
def validate(
    profile: ProfileOption = None,
    env: EnvOption = None,
    profiles_dir: ProfilesDirOption = Path("profiles"),
    assignments: SetOption = None,
    strict: StrictOption = False,
) -> None:
    """Check a profile (and that every target can render it) without writing anything."""
    from deploykit.commands import validate as command
    from deploykit.commands.common import ProfileChoice

    _guarded(lambda: command.run(ProfileChoice(profile, env, profiles_dir, tuple(assignments or ())), strict))


@app.command()
def explain(
    profile: ProfileOption = None,
    env: EnvOption = None,
    profiles_dir: ProfilesDirOption = Path("profiles"),
    assignments: SetOption = None,
    output_format: Annotated[str, typer.Option("--format", "-f", help="text or json.")] = "text",
) -> None:
    """Say what each target's output does for HTTPS, startup, restarts, replication, memory and steps before starting."""
    from deploykit.commands import explain as command
    from deploykit.commands.common import ProfileChoice

    _guarded(lambda: command.run(ProfileChoice(profile, env, profiles_dir, tuple(assignments or ())), output_format))


@app.command()
def schema(
    output_format: Annotated[
        str, typer.Option("--format", "-f", help="json (JSON Schema) or markdown (field reference).")
    ] = "json",
) -> None:
    """Print the JSON Schema of the profile format (for editors: yaml-language-server), or its field reference."""
    from deploykit.commands import schema as command

    _guarded(lambda: command.run(output_format))


@app.command()
def init(
    app_name: Annotated[
        str | None, typer.Option("--app", help="Application name (asked for on a terminal when missing).")
    ] = None,
    image: Annotated[
        str | None, typer.Option("--image", help="Container image, pinned (asked for on a terminal when missing).")
    ] = None,
    domain: Annotated[
        str, typer.Option("--domain", help="Public domain; hosts become <app>.<domain> and <app>.staging.<domain>.")
    ] = "example.com",
    email: Annotated[str, typer.Option("--email", help="ACME account e-mail.")] = "ops@example.com",
    profiles_dir: ProfilesDirOption = Path("profiles"),
) -> None:
    """Create profiles/base.yaml, dev.yaml, staging.yaml and prod.yaml for a new app (never overwrites)."""
    from deploykit.commands import init as command

    _guarded(lambda: command.run(profiles_dir, app_name, image, domain, email))


ClusterTargetArgument = Annotated[str, typer.Argument(help="Target: only k8s.")]
ContextOption = Annotated[
    str | None, typer.Option("--context", help="kubeconfig context (default: the current context).")
]


@app.command()
def diff(
    target: ClusterTargetArgument,
    profile: ProfileOption = None,
    env: EnvOption = None,
    profiles_dir: ProfilesDirOption = Path("profiles"),
    assignments: SetOption = None,
    context: ContextOption = None,
    strict: StrictOption = False,
) -> None:
    """Diff the cluster's live objects against what applying would make them: exit 0 when equal, 1 when not."""
    from deploykit.commands import cluster as command
    from deploykit.commands.common import ProfileChoice

    choice = ProfileChoice(profile, env, profiles_dir, tuple(assignments or ()))
    _guarded(lambda: command.run_diff(choice, command.ClusterChoice(target, context, strict)))


@app.command()
def apply(
    target: ClusterTargetArgument,
    profile: ProfileOption = None,
    env: EnvOption = None,
    profiles_dir: ProfilesDirOption = Path("profiles"),
    assignments: SetOption = None,
    context: ContextOption = None,
    dry_run: Annotated[
        str | None,
        typer.Option(
            "--dry-run",
            help="server: the API server validates and defaults everything but stores nothing.",
            metavar="server",
        ),
    ] = None,
    force_conflicts: Annotated[
        bool, typer.Option("--force-conflicts", help="Take over fields another field manager owns.")
    ] = False,
    strict: StrictOption = False,
) -> None:
    """Server-side apply the rendered objects, as field manager `deploykit`."""
    from deploykit.commands import cluster as command
    from deploykit.commands.common import ProfileChoice

    choice = ProfileChoice(profile, env, profiles_dir, tuple(assignments or ()))
    _guarded(
        lambda: command.run_apply(choice, command.ClusterChoice(target, context, strict), dry_run, force_conflicts)
    )


def main() -> None:
    """The console script's entry point (see entry.main: render and check start without typer)."""
    from deploykit.entry import main as entry_main

    entry_main()
