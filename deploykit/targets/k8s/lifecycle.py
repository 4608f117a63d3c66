"""Termination and resizing of the app's pods: the preStop delay, the grace period that covers it,
in-place resize policies and user namespaces, each used only where `k8s.version` has it GA."""

from __future__ import annotations

from typing import TYPE_CHECKING

from deploykit.targets.k8s.versions import supports

if TYPE_CHECKING:
    from deploykit.spec.model import Profile


def pre_stop_mechanism(profile: Profile) -> str | None:
    """`sleep` (the kubelet's sleep action), `exec` (`sleep N` in the container), or None for no delay."""
    if profile.k8s.pre_stop_seconds == 0:
        return None
    if profile.k8s.pre_stop is not None:
        return profile.k8s.pre_stop
    return "sleep" if supports(profile, "pre-stop sleep action") else "exec"


def lifecycle(profile: Profile) -> dict | None:
    """The app container's preStop hook: keep serving while the pod is removed from endpoints and routes.

    Without it the kubelet sends SIGTERM at the moment the pod starts terminating, while kube-proxy,
    the Ingress controller or the Gateway still send it requests for a few seconds: every rollout,
    scale-down and node drain answers some requests with 502s.
    """
    seconds = profile.k8s.pre_stop_seconds
    mechanism = pre_stop_mechanism(profile)
    if mechanism is None:
        return None
    if mechanism == "sleep":
        return {"preStop": {"sleep": {"seconds": seconds}}}
    return {"preStop": {"exec": {"command": ["sleep", str(seconds)]}}}


def termination_grace_seconds(profile: Profile) -> int:
    """The app pod's grace period: the preStop delay runs inside it, then the server's graceful shutdown."""
    return profile.k8s.pre_stop_seconds + profile.shutdown_seconds


def resize_policy(profile: Profile) -> list[dict] | None:
    """In-place resize: CPU changes apply without a restart; memory restarts the container, because a
    running Python process seldom returns memory to the system and a lowered limit could OOM-kill it
    in the middle of requests, where a restart starts it within the new limit."""
    if not supports(profile, "in-place resize"):
        return None
    return [
        {"resourceName": "cpu", "restartPolicy": "NotRequired"},
        {"resourceName": "memory", "restartPolicy": "RestartContainer"},
    ]


def user_namespace(profile: Profile) -> dict:
    """`hostUsers: false` when asked (check.py requires k8s.version 1.36 or later)."""
    return {"hostUsers": False} if profile.k8s.user_namespace else {}
