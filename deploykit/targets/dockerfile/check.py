"""The Dockerfile target's rules: what it refuses, and what it warns about, before rendering."""

from __future__ import annotations

from deploykit.report import Report
from deploykit.spec.model import Profile
from deploykit.spec.options.build import package_version
from deploykit.spec.server import server_command
from deploykit.targets.dockerfile.text import dockerfile_value

# BuildKit reads a Dockerfile with Go's bufio.Scanner, whose token limit (bufio.MaxScanTokenSize,
# 64 KiB) includes the line break: a longer line fails the build with "dockerfile line greater than
# max allowed size" (moby/moby#35429).
MAX_LINE_BYTES = 65_535


def check(profile: Profile, report: Report) -> None:
    """Errors and warnings for `profile`'s image (see deploykit.targets.Target)."""
    for index, entry in enumerate(profile.build.system_packages):
        if package_version(entry) is None:
            report.warn(
                ("build", "system_packages", index),
                f"{entry} is not pinned: each build may install another version (hadolint DL3008); write {entry}=VERSION",
            )
    # Only the CMD line can grow that long: it holds the whole command (256 arguments of up to 4,096
    # characters, each up to six bytes once JSON-escaped); every other line is built from short fields.
    cmd_line = f"CMD {dockerfile_value(server_command(profile))}"
    size = len(cmd_line.encode("utf-8"))
    if size > MAX_LINE_BYTES:
        report.error(
            ("command",),
            f"the Dockerfile's CMD line would be {size:,} bytes; BuildKit reads lines of at most {MAX_LINE_BYTES:,} bytes: shorten the command",
        )
