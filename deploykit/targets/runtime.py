"""Rules about the image's runtime contract (user, root file system) that every runtime target shares."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from deploykit.report import Report
    from deploykit.spec.model import Profile


def check_runtime(profile: Profile, report: Report) -> None:
    """Warn about a writable root file system (the one hardening a profile may turn off), and about an
    app without any health check."""
    if profile.health.check == "none":
        report.warn(
            ("health", "check"),
            "no health check: an app that hangs keeps receiving traffic and is never restarted, and a deployment "
            "counts as healthy as soon as the process runs; use http, tcp or command",
            code="no-health-check",
        )
    if not profile.read_only_root:
        report.warn(
            ("read_only_root",),
            "the root file system is writable: a compromised app can change its own code and binaries; "
            "list the directories the image writes in writable_paths instead where you can",
            code="writable-root",
        )
