"""Waiting for a prestart Job: `apply` runs migrations once per release, before anything else changes."""

from __future__ import annotations

import time

from deploykit.cluster.client import Cluster
from deploykit.cluster.identity import describe
from deploykit.errors import DeployKitError

# Reads back off from FIRST_POLL_SECONDS to MAX_POLL_SECONDS: a short Job is seen done at once, a
# long one costs the API server a read every few seconds.
FIRST_POLL_SECONDS = 0.2
MAX_POLL_SECONDS = 3.0


def job_outcome(live: dict) -> str | None:
    """ "complete" or "failed" once the Job's conditions say so (batch/v1 JobStatus), else None."""
    for condition in (live.get("status") or {}).get("conditions") or ():
        if condition.get("status") != "True":
            continue
        if condition.get("type") in ("Complete", "SuccessCriteriaMet"):
            return "complete"
        if condition.get("type") in ("Failed", "FailureTarget"):
            return "failed"
    return None


def wait_for_job(cluster: Cluster, job: dict, timeout_seconds: float) -> None:
    """Return once `job` has completed; a failure or the timeout is a DeployKitError saying nothing else was applied."""
    deadline = time.monotonic() + timeout_seconds
    poll_seconds = FIRST_POLL_SECONDS
    while True:
        live = cluster.live(job)
        outcome = job_outcome(live) if live is not None else None
        if outcome == "complete":
            return
        if outcome == "failed":
            conditions = (live or {}).get("status", {}).get("conditions") or [{}]
            reason = next((c.get("message") or c.get("reason") for c in conditions if c.get("status") == "True"), "")
            raise DeployKitError(
                f"{describe(job)} failed{': ' + reason if reason else ''}; nothing after it was applied, so the running "
                "version is unchanged (kubectl logs job/"
                + job["metadata"]["name"]
                + f" -n {job['metadata']['namespace']})"
            )
        if time.monotonic() >= deadline:
            raise DeployKitError(
                f"{describe(job)} did not complete within {timeout_seconds:g}s; nothing after it was applied, so the running "
                "version is unchanged (raise --job-timeout, or look at the Job's pods)"
            )
        time.sleep(min(poll_seconds, max(0.0, deadline - time.monotonic())))
        poll_seconds = min(MAX_POLL_SECONDS, poll_seconds * 1.5)
