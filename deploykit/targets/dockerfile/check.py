"""The Dockerfile target's limits that only the rendered text shows: BuildKit's line length."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from deploykit.targets.dockerfile.text import dockerfile_value

if TYPE_CHECKING:
    from deploykit.errors import FieldPath
    from deploykit.report import Report

# BuildKit reads a Dockerfile with Go's bufio.Scanner, whose token limit (bufio.MaxScanTokenSize,
# 64 KiB) includes the line break: a longer line fails the build with "dockerfile line greater than
# max allowed size" (moby/moby#35429).
MAX_LINE_BYTES = 65_535


def check_line_lengths(context: dict[str, Any], report: Report) -> None:
    """Refuse an exec-form line the image's build would fail on, at the field that makes it long.

    Only the exec-form instructions can grow that long: `CMD` holds the whole command (256 arguments
    of up to 4,096 characters, each up to six bytes once JSON-escaped) and each `RUN` of
    build.commands its own; every other line is built from short, validated fields. `context` is the
    template's (targets/dockerfile: template_context), so the lengths are those of the written lines.
    """
    lines: list[tuple[FieldPath, str, Any]] = [(("command",), "CMD", context["command"])]
    lines += [(("build", "commands", index), "RUN", command) for index, command in enumerate(context["build_commands"])]
    for path, instruction, value in lines:
        size = len(f"{instruction} {dockerfile_value(value)}".encode())
        if size > MAX_LINE_BYTES:
            report.error(
                path,
                f"the Dockerfile's {instruction} line would be {size:,} bytes; "
                f"BuildKit reads lines of at most {MAX_LINE_BYTES:,} bytes: shorten it",
            )
