"""The Kubernetes target's rules: what it refuses, and what it warns about, before rendering."""

from __future__ import annotations

from deploykit.report import Report
from deploykit.spec.model import Profile

# Pods are told apart by their `app.kubernetes.io/component` label: these values are taken.
RESERVED_COMPONENTS = {"server": "the web server's pods", "prestart": "the prestart Jobs' pods"}


def check(profile: Profile, report: Report) -> None:
    """Errors and warnings for `profile` on Kubernetes (see deploykit.targets.Target)."""
    options = profile.k8s
    for field in ("processes", "cron"):
        for name in getattr(profile, field):
            if name in RESERVED_COMPONENTS:
                report.error(
                    (field, name),
                    f"{name!r} labels {RESERVED_COMPONENTS[name]} (app.kubernetes.io/component); choose another name",
                )
    if options.namespace == "default":
        report.error(("k8s", "namespace"), "do not deploy into the 'default' namespace; name one")
    autoscaling = options.autoscaling
    if autoscaling is not None and autoscaling.min_replicas > autoscaling.max_replicas:
        report.error(("k8s", "autoscaling", "min_replicas"), "must not exceed k8s.autoscaling.max_replicas")
    if profile.health.liveness == profile.health.readiness:
        report.warn(
            ("health",),
            "liveness and readiness probes use the same path: a failing dependency would restart pods instead of taking them out of rotation; set health.readiness_path",
        )
    if options.prestart == "init" and profile.replicas > 1 and profile.prestart:
        report.warn(
            ("prestart",),
            "init containers run in every pod, concurrently: each step must take a lock (e.g. a Postgres advisory lock) or use k8s.prestart: job",
        )
    proxy = profile.proxy
    if proxy is not None and proxy.host is not None:
        if proxy.tls == "acme" and options.cluster_issuer is None:
            # Without it the Ingress would carry a null issuer: no certificate, and no error until traffic fails.
            report.error(
                ("k8s", "cluster_issuer"),
                "required with proxy.tls: acme (the cert-manager ClusterIssuer that issues the certificate)",
                because_of=("proxy", "tls"),
            )
        if proxy.tls == "none":
            report.warn(("proxy", "tls"), "the Ingress serves plain HTTP, without TLS")
    if profile.replicas == 1 and autoscaling is None:
        report.warn(
            ("replicas",),
            "a single pod: every node drain or node restart takes the app down; use 2 or more for availability",
        )
