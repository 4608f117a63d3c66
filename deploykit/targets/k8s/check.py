"""The Kubernetes target's rules: what it refuses, and what it warns about, before rendering."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from deploykit.servers import SYNC_WORKERS_MESSAGE, serves_one_request_at_a_time
from deploykit.spec.background import NO_LIVENESS, background_processes, scheduled_jobs
from deploykit.targets.k8s.egress import outside_addresses
from deploykit.targets.k8s.gateway import MAX_ROUTE_HOSTNAMES, http_listener
from deploykit.targets.k8s.meta import bounded_name
from deploykit.targets.k8s.network import KNOWN_INGRESS_CONTROLLERS, idle_transport
from deploykit.targets.k8s.release import RESERVED_CONTAINER_NAMES, gated
from deploykit.targets.k8s.versions import requirement, supports
from deploykit.targets.runtime import check_runtime, check_volumes
from deploykit.traefik import TRAEFIK_IDLE_SECONDS

if TYPE_CHECKING:
    from collections.abc import Callable, Collection

    from deploykit.errors import FieldPath
    from deploykit.report import Report
    from deploykit.spec.model import Profile

# Variables that usually hold the address of a database, cache or broker the app connects to.
DATABASE_VARIABLE = re.compile(
    r"(^|_)(DATABASE|DB|POSTGRES(QL)?|PG|MYSQL|MARIADB|MONGO(DB)?|REDIS|BROKER|AMQP|RABBITMQ)_(URL|URI|DSN)$"
)
# Pods are told apart by their `app.kubernetes.io/component` label: these values are taken.
RESERVED_COMPONENTS = {"server": "the web server's pods", "prestart": "the prestart Jobs' pods"}


def check(profile: Profile, report: Report) -> None:
    """Errors and warnings for `profile` on Kubernetes (see deploykit.targets.Target)."""
    check_runtime(profile, report)
    check_volumes(profile, report, "Kubernetes", "pod")
    if profile.command is not None and serves_one_request_at_a_time(profile.command):
        report.warn(("command",), SYNC_WORKERS_MESSAGE, code="sync-workers")
    for process in background_processes(profile):
        if process.liveness_command is None:
            report.warn(("processes", process.name), NO_LIVENESS, code="process-no-liveness")
    options = profile.k8s
    _refuse_background_names(
        profile,
        report,
        RESERVED_COMPONENTS,
        lambda name: f"{name!r} labels {RESERVED_COMPONENTS[name]} (app.kubernetes.io/component); choose another name",
    )
    if options.namespace == "default":
        report.error(("k8s", "namespace"), "do not deploy into the 'default' namespace; name one")
    autoscaling = options.autoscaling
    if autoscaling is not None and autoscaling.min_replicas > autoscaling.max_replicas:
        report.error(("k8s", "autoscaling", "min_replicas"), "must not exceed k8s.autoscaling.max_replicas")
    publish = profile.publish
    if publish is not None and publish.kubernetes == "NodePort" and not 30000 <= publish.port <= 32767:
        report.error(
            ("publish", "port"),
            f"{publish.port} is outside the default NodePort range (30000-32767) the API server accepts; "
            "choose a port there, or publish.kubernetes: LoadBalancer",
        )
    if autoscaling is not None and profile.volumes:
        report.error(
            ("k8s", "autoscaling"),
            "the app's volumes attach to one node (ReadWriteOnce): it runs one pod, which cannot be autoscaled",
            because_of=("volumes",),
        )
    if options.prestart == "job" and profile.prestart and profile.volumes:
        report.warn(
            ("k8s", "prestart"),
            "prestart Jobs run in pods of their own, which do not mount the app's volumes; use k8s.prestart: init "
            "for steps that need them",
            code="volume-not-carried",
        )
    if autoscaling is not None and "replicas" in profile.model_fields_set:
        report.warn(
            ("replicas",),
            f"ignored on Kubernetes with k8s.autoscaling: the HorizontalPodAutoscaler keeps between "
            f"{autoscaling.min_replicas} and {autoscaling.max_replicas} pods (the Deployment has no replicas)",
            code="replicas-ignored",
        )
    if profile.health.check == "http" and profile.health.liveness == profile.health.readiness:
        report.warn(
            ("health",),
            "liveness and readiness probes use the same path: a failing dependency would restart pods instead of taking them out of rotation; set health.readiness_path",
            code="same-probe-path",
        )
    several_pods = profile.replicas > 1 or bool(background_processes(profile)) or bool(scheduled_jobs(profile))
    if options.prestart == "init" and several_pods and profile.prestart:
        report.warn(
            ("prestart",),
            "init containers run in every pod (web, processes and scheduled runs), concurrently: each step must take a lock (e.g. a Postgres advisory lock) or use k8s.prestart: job",
            code="concurrent-prestart",
        )
    _check_proxy_keep_alive(profile, report)
    if options.routing == "gateway":
        _check_gateway_routing(profile, report)
    else:
        _check_ingress_routing(profile, report)
    _check_versioned_fields(profile, report)
    _check_unique_keys(profile, report)
    _check_database_egress(profile, report)
    _check_external_egress(profile, report)
    _check_release_gate(profile, report)
    _check_policy_off(profile, report)
    if profile.replicas == 1 and autoscaling is None:
        report.warn(
            ("replicas",),
            "a single pod: every node drain or node restart takes the app down; use 2 or more for availability",
            code="single-replica",
        )


def _check_external_egress(profile: Profile, report: Report) -> None:
    """An env value that is a URL to outside the cluster, or a secret that reads like an API key or an
    external address, while the NetworkPolicy's egress does not reach it: the app would time out."""
    if not profile.k8s.network_policy.enabled:
        return
    for outside in outside_addresses(profile, DATABASE_VARIABLE):
        report.warn(
            outside.path,
            f"{outside.what}, and the NetworkPolicy lets the pods reach only cluster DNS and network.egress: add the "
            "service's network (cidr) and port to network.egress (or k8s.network_policy.egress)",
            code="external-egress",
        )


def _check_policy_off(profile: Profile, report: Report) -> None:
    """`enabled: false` keeps the policy's other settings (a parent's too) without any effect: say so."""
    policy = profile.k8s.network_policy
    if policy.enabled:
        return
    for field in sorted(policy.model_fields_set - {"enabled"}):
        report.warn(
            ("k8s", "network_policy", field),
            "ignored: k8s.network_policy.enabled is false, so no NetworkPolicy is rendered; write "
            "`k8s.network_policy: none` to drop its settings as well",
            code="not-rendered",
        )


def _check_database_egress(profile: Profile, report: Report) -> None:
    """A secret that reads like a database address, while the NetworkPolicy lets the pods reach
    nothing but DNS: the migration and the app would time out connecting to it."""
    policy = profile.k8s.network_policy
    if not policy.enabled or profile.network.egress or policy.egress:
        return
    for name in sorted(profile.secrets):
        if DATABASE_VARIABLE.search(name):
            report.warn(
                ("secrets", name),
                f"{name} reads like a database address, and the NetworkPolicy lets the pods reach only cluster DNS: "
                "add the database's network (cidr) or pods (namespace, pod_labels) and port to network.egress",
                code="database-egress",
            )


def _check_proxy_keep_alive(profile: Profile, report: Report) -> None:
    """A server that closes idle connections sooner than the proxy in front of it: the proxy sends a
    request on a connection the server is closing, and the client gets a 502. deploykit gives the
    servers it knows a keep-alive above the longest idle timeout it reasons about (Traefik's 90 s), and
    with the traefik IngressClass lowers Traefik's own (a ServersTransport), as on Compose and Nomad;
    another controller or a Gateway keeps its own timeout, which deploykit cannot lower."""
    proxy, server = profile.proxy, profile.web_server
    if proxy is None or proxy.host is None or idle_transport(profile):
        return
    if server.proxy_idle_seconds >= TRAEFIK_IDLE_SECONDS:
        return
    keep_alive = server.keep_alive_seconds
    through = (
        "the Gateway's data plane"
        if profile.k8s.routing == "gateway"
        else f"the {profile.k8s.ingress_class!r} ingress controller"
    )
    report.warn(
        ("command",) if profile.command is not None else ("server",),
        f"{server.name} keeps idle connections open {keep_alive}s, and {through} may keep them longer (Traefik "
        f"90 s, nginx 60 s): a request sent on a connection the server is closing gets a 502; use a server "
        "deploykit gives a longer keep-alive (uvicorn or gunicorn) or lower the proxy's upstream idle timeout "
        f"below {keep_alive}s",
        code="proxy-keep-alive",
    )


def _refuse_background_names(
    profile: Profile, report: Report, reserved: Collection[str], why: Callable[[str], str]
) -> None:
    """Refuse processes and scheduled jobs named like something deploykit names alike in the same pods."""
    for field in ("processes", "cron"):
        for name in getattr(profile, field):
            if name in reserved:
                report.error((field, name), why(name))


def _names_a_waiter(name: str) -> str:
    return (
        f"{name!r} names an init container that waits for the release's Jobs (k8s.prestart: job); choose another name"
    )


def _check_release_gate(profile: Profile, report: Report) -> None:
    """The release gate of `k8s.prestart: job` (release.py): its settings, its container names, and its
    way to the API server through the NetworkPolicy."""
    options, policy = profile.k8s, profile.k8s.network_policy
    if not gated(profile):
        # Ignored rather than refused: an environment may switch k8s.prestart and keep its settings.
        if "release_wait_image" in options.model_fields_set:
            report.warn(
                ("k8s", "release_wait_image"),
                "ignored: only k8s.prestart: job with prestart steps has pods that wait for the release's Jobs",
                code="not-rendered",
            )
        if policy.enabled and policy.api_server is not None:
            report.warn(
                ("k8s", "network_policy", "api_server"),
                "ignored: the NetworkPolicy allows the API server only for the pods that wait for the release's "
                "Jobs (k8s.prestart: job with prestart steps)",
                code="not-rendered",
            )
        return
    _refuse_background_names(profile, report, RESERVED_CONTAINER_NAMES, _names_a_waiter)
    if profile.app in RESERVED_CONTAINER_NAMES:
        report.error(("app",), _names_a_waiter(profile.app))
    if policy.enabled and policy.api_server is None:
        report.warn(
            ("k8s", "network_policy", "api_server"),
            "with k8s.prestart: job every pod of a release waits for the release's Jobs by asking the API server, "
            "which the NetworkPolicy does not allow: the pods would never start; set k8s.network_policy.api_server "
            "(the addresses and port of `kubectl get endpointslices -n default -l kubernetes.io/service-name=kubernetes`)",
            code="api-server-egress",
        )


def _check_ingress_routing(profile: Profile, report: Report) -> None:
    options, proxy = profile.k8s, profile.proxy
    if options.gateway is not None:
        report.error(("k8s", "gateway"), "only used with k8s.routing: gateway")
    if proxy is None or proxy.host is None:
        return
    policy = options.network_policy
    if policy.enabled and policy.ingress_namespace is None and options.ingress_class not in KNOWN_INGRESS_CONTROLLERS:
        report.warn(
            ("k8s", "ingress_class"),
            f"deploykit does not know where the controller of the {options.ingress_class!r} IngressClass runs: the "
            "NetworkPolicy admits Traefik's pods (namespace traefik), so no request through that controller would "
            "reach the app; set k8s.network_policy.ingress_namespace (and ingress_pod_labels) to its pods'",
            code="ingress-controller-unknown",
        )
    if proxy.tls == "acme" and options.cluster_issuer is None:
        # Without it the Ingress would carry a null issuer: no certificate, and no error until traffic fails.
        report.error(
            ("k8s", "cluster_issuer"),
            "required with proxy.tls: acme (the cert-manager ClusterIssuer that issues the certificate)",
            because_of=("proxy", "tls"),
        )
    if proxy.tls == "none":
        report.warn(("proxy", "tls"), "the Ingress serves plain HTTP, without TLS", code="plain-http")
    if options.ingress_class != "traefik":
        # An Ingress matches hosts and paths only: a redirect or a rewrite is each controller's own
        # annotation, which deploykit writes for Traefik (Middlewares) and Gateway API (filters) only.
        unexpressed = {
            "redirects": "a redirect to proxy.host",
            "strip_prefix": "stripping the path prefix",
        }
        for field, what in unexpressed.items():
            if getattr(proxy, field):
                report.error(
                    ("proxy", field),
                    f"an Ingress cannot express {what}, and deploykit writes it for k8s.ingress_class: traefik "
                    f"(Middlewares) or k8s.routing: gateway (filters) only, not for class {options.ingress_class}",
                    because_of=("k8s", "ingress_class"),
                )


def _check_route_hostnames(profile: Profile, redirects_http: bool, report: Report) -> None:
    """Each HTTPRoute (gateway.py) within Gateway API's limit on host names: the app's route names proxy.host
    and the aliases, `<app>-moved` the redirects, `<app>-redirect` (with TLS and a plain-HTTP listener) all."""
    proxy = profile.proxy
    assert proxy is not None
    fewer = "route fewer names here, or use k8s.routing: ingress"
    routes: list[tuple[FieldPath, str, list[str], str, str]] = [
        (("proxy", "aliases"), profile.app, proxy.served_hosts, "proxy.host and proxy.aliases", fewer),
        (("proxy", "redirects"), bounded_name(profile.app, "moved"), proxy.redirects, "proxy.redirects", fewer),
    ]
    if redirects_http and proxy.tls != "none":
        routes.append(
            (
                ("proxy", "redirects"),
                bounded_name(profile.app, "redirect"),
                proxy.all_hosts,
                "every host name, answered on plain HTTP with a redirect to https",
                "route fewer names, or set k8s.gateway.http_section_name: none when the platform redirects plain "
                "HTTP itself",
            )
        )
    refused = False
    for index, (path, route, hosts, what, advice) in enumerate(routes):
        # The route of every name is too long whenever one of the others is: said once, where it starts.
        if len(hosts) <= MAX_ROUTE_HOSTNAMES or (index == 2 and refused):
            continue
        refused = True
        report.error(
            path,
            f"HTTPRoute {route} would name {len(hosts)} host names ({what}), and Gateway API's HTTPRoute takes at "
            f"most {MAX_ROUTE_HOSTNAMES} (spec.hostnames); {advice}",
        )


def _check_gateway_routing(profile: Profile, report: Report) -> None:
    options, proxy = profile.k8s, profile.proxy
    # Settings of the other routing mode would be silently ignored: refuse them where they are written.
    for field in ("ingress_class", "ingress_annotations"):
        if field in options.model_fields_set:
            report.error(("k8s", field), "only used with k8s.routing: ingress")
    for field in ("ingress_namespace", "ingress_pod_labels"):
        if field in options.network_policy.model_fields_set:
            report.error(
                ("k8s", "network_policy", field),
                "only used with k8s.routing: ingress; with gateway the NetworkPolicy admits the Gateway's "
                "data plane (k8s.gateway.data_plane_namespace, k8s.gateway.data_plane_pod_labels)",
            )
    if proxy is None or proxy.host is None:
        return
    gateway = options.gateway
    if gateway is None:
        report.error(
            ("k8s", "gateway"),
            "required with k8s.routing: gateway (the name and namespace of the Gateway the app's HTTPRoute attaches to)",
            because_of=("k8s", "routing"),
        )
        return
    listener = http_listener(gateway)
    if listener is not None and listener == gateway.section_name:
        report.error(
            ("k8s", "gateway", "http_section_name"),
            "must differ from k8s.gateway.section_name: the plain-HTTP listener redirects, the HTTPS one serves",
        )
    _check_route_hostnames(profile, listener is not None, report)

    if gateway.listener_set:
        if proxy.tls == "none":
            report.error(
                ("k8s", "gateway", "listener_set"),
                "a ListenerSet carries the app's certificate: it needs proxy.tls acme or provided",
            )
        elif proxy.tls == "acme" and options.cluster_issuer is None:
            report.error(
                ("k8s", "cluster_issuer"),
                "required with proxy.tls: acme and k8s.gateway.listener_set (the cert-manager ClusterIssuer that issues the ListenerSet's certificate)",
                because_of=("k8s", "gateway", "listener_set"),
            )
        return
    # Without a ListenerSet the Gateway's own listener holds the certificate: nothing of the app's names one.
    for field in ("cluster_issuer", "tls_secret"):
        if getattr(options, field) is not None:
            report.error(
                ("k8s", field),
                "not used with k8s.routing: gateway: the Gateway's listener holds the certificate; "
                "set k8s.gateway.listener_set: true for a certificate of the app's own",
            )
    if proxy.tls == "none":
        report.warn(("proxy", "tls"), "the HTTPRoute serves plain HTTP, without TLS", code="plain-http")


def _check_versioned_fields(profile: Profile, report: Report) -> None:
    options = profile.k8s
    if options.pre_stop == "sleep" and options.pre_stop_seconds > 0 and not supports(profile, "pre-stop sleep action"):
        report.error(
            ("k8s", "pre_stop"),
            f"the sleep action needs k8s.version {requirement('pre-stop sleep action')} or later "
            f"(k8s.version is {options.version}); use exec, or raise k8s.version",
        )
    if options.user_namespace and not supports(profile, "user namespaces"):
        report.error(
            ("k8s", "user_namespace"),
            f"user namespaces need k8s.version {requirement('user namespaces')} or later (k8s.version is {options.version})",
        )


def _check_unique_keys(profile: Profile, report: Report) -> None:
    # Server-side apply refuses a list-map with two entries of one key (imagePullSecrets by name).
    seen: set[str] = set()
    for index, name in enumerate(profile.k8s.image_pull_secrets):
        if name in seen:
            report.error(("k8s", "image_pull_secrets", index), f"{name!r} is listed twice")
        seen.add(name)
