"""`deploykit render TARGET`: print a target's output, or write it to a directory; `render all` is render_all.py."""

from __future__ import annotations

import sys
from pathlib import Path

from deploykit.commands.common import ManifestsChoice, ProfileChoice, report_warnings
from deploykit.errors import DeployKitError


def run_command(
    target: str,
    *,
    profile: Path | None,
    env: tuple[str, ...],
    profiles_dir: Path | None,
    output_dir: Path | None,
    manifests_dir: Path | None,
    only_targets: tuple[str, ...],
    assignments: tuple[str, ...],
    strict: bool,
    quiet: bool,
    replace_other_target: bool = False,
) -> int:
    """`deploykit render` with its options as parsed (by typer, or by entry.py's fast path)."""
    if target == "all":
        from deploykit.commands import render_all

        if profile is not None or output_dir is not None or replace_other_target:
            raise DeployKitError(
                "`render all` reads every profile in --profiles and writes into --manifests; "
                "-p, -o and --replace-other-target do not apply"
            )
        return render_all.run(
            ManifestsChoice.found(profiles_dir, manifests_dir, env, only_targets, assignments), strict, quiet
        )
    if only_targets:
        raise DeployKitError("--target applies to `render all` only")
    if output_dir is not None:
        refuse_format_as_directory(target, output_dir)
    if len(env) > 1:
        raise DeployKitError("give one --env for a single target")
    choice = ProfileChoice(profile, env[0] if env else None, profiles_dir, assignments)
    return run(target, choice, output_dir, strict, replace_other_target)


# Words that are output formats elsewhere (kubectl -o, helm -o): `render k8s -o json` is a habit, not a directory.
FORMAT_WORDS = frozenset({"json", "yaml", "yml", "text", "wide", "name", "table", "hcl"})


def refuse_format_as_directory(target: str, output_dir: Path) -> None:
    """`-o json` (a format's name, with no such directory) is refused rather than creating `json/`."""
    if str(output_dir) in FORMAT_WORDS and not output_dir.exists():
        raise DeployKitError(
            f"-o {output_dir}: -o/--output is the directory to write files into, not a format "
            f"(`render {target}` prints its one format on stdout without -o); "
            f"to write into a new directory named {output_dir!s}, create it first"
        )


def run(
    target: str, choice: ProfileChoice, output_dir: Path | None, strict: bool, replace_other_target: bool = False
) -> int:
    """Render one target to stdout, or as files into `output_dir`; warnings go to stderr.

    `output_dir` is refused when it holds another target's rendering, unless `replace_other_target`.
    """
    from deploykit import pipeline
    from deploykit.commands.common import warning_lines

    loaded = choice.load()
    result = pipeline.render(loaded, target)
    report_warnings(tuple(warning_lines(loaded, [result])), strict)
    if output_dir is None:
        from deploykit.rendering import HEADER

        sys.stdout.write(HEADER + result.rendering.stdout)
    else:
        from deploykit import output  # only when writing: stdout renders skip its imports

        output.write_directory(output_dir, result.rendering.files, target, replace_other_target)
        if sys.stderr.isatty():  # for people; pipelines see the files
            print(f"rendered {output_dir} ({len(result.rendering.files)} files)", file=sys.stderr)
    return 0
