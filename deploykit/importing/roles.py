"""What each Compose service is to deploykit: the web app, a step before it, a process beside it, or
something a profile has no place for (a database, a cache, a proxy deploykit replaces, another app).
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Literal

from deploykit.importing.commandline import server_of
from deploykit.importing.model import Project, Service
from deploykit.importing.problems import ComposeProblem

# Images a profile never runs, by the last part of their repository name, with what they are.
# Matching is on the name alone (`postgres`, `bitnami/postgresql`, `docker.io/library/redis`).
INFRASTRUCTURE: dict[str, tuple[str, str]] = {
    **{name: ("database", "PostgreSQL") for name in ("postgres", "postgresql", "postgis", "timescaledb", "pgvector")},
    **{name: ("database", "MySQL") for name in ("mysql", "percona-server")},
    "mariadb": ("database", "MariaDB"),
    **{name: ("database", "MongoDB") for name in ("mongo", "mongodb")},
    "cockroach": ("database", "CockroachDB"),
    "clickhouse-server": ("database", "ClickHouse"),
    "couchdb": ("database", "CouchDB"),
    "cassandra": ("database", "Cassandra"),
    "neo4j": ("database", "Neo4j"),
    "influxdb": ("database", "InfluxDB"),
    "mssql/server": ("database", "SQL Server"),  # mcr.microsoft.com/mssql/server: `server` alone says nothing
    **{name: ("cache", "Redis") for name in ("redis", "redis-stack", "redis-stack-server")},
    "valkey": ("cache", "Valkey"),
    "keydb": ("cache", "KeyDB"),
    "memcached": ("cache", "Memcached"),
    "rabbitmq": ("broker", "RabbitMQ"),
    **{name: ("broker", "Kafka") for name in ("kafka", "cp-kafka")},
    "nats": ("broker", "NATS"),
    **{name: ("broker", "Redpanda") for name in ("redpanda", "redpanda-console")},
    **{name: ("broker", "an MQTT broker") for name in ("mosquitto", "eclipse-mosquitto", "emqx")},
    "pulsar": ("broker", "Pulsar"),
    "solr": ("search", "Solr"),
    "logstash": ("pipeline", "Logstash"),
    **{name: ("monitoring", "Prometheus") for name in ("prometheus", "alertmanager", "node-exporter", "pushgateway")},
    **{name: ("monitoring", "a log or metrics collector") for name in ("loki", "promtail", "cadvisor", "fluentd", "fluent-bit", "vector")},
    **{name: ("database", "a vector database") for name in ("qdrant", "weaviate", "milvus")},
    "rqlite": ("database", "rqlite"),
    **{name: ("broker", "ZooKeeper") for name in ("zookeeper", "cp-zookeeper")},
    "elasticsearch": ("search", "Elasticsearch"),
    "opensearch": ("search", "OpenSearch"),
    "meilisearch": ("search", "Meilisearch"),
    "typesense": ("search", "Typesense"),
    "minio": ("storage", "MinIO"),
    "localstack": ("storage", "LocalStack"),
    **{name: ("mail", "a mail catcher") for name in ("mailhog", "mailpit", "maildev")},
    **{name: ("proxy", "nginx") for name in ("nginx", "nginx-unprivileged", "openresty", "nginx-proxy")},
    "caddy": ("proxy", "Caddy"),
    "traefik": ("proxy", "Traefik"),
    "haproxy": ("proxy", "HAProxy"),
    "envoy": ("proxy", "Envoy"),
    "httpd": ("proxy", "Apache httpd"),
    **{name: ("certificates", "certificate renewal") for name in ("certbot", "acme-companion", "letsencrypt-nginx-proxy-companion")},
    "ofelia": ("scheduler", "Ofelia"),
}  # fmt: skip

# Image namespaces whose every image is one product (redislabs/redismod, redislabs/rejson...).
INFRASTRUCTURE_NAMESPACES: dict[str, tuple[str, str]] = {
    "redislabs": ("cache", "Redis"),
    "redis": ("cache", "Redis"),
    "bitnami/redis": ("cache", "Redis"),
    "confluentinc": ("broker", "Kafka"),
    "redpandadata": ("broker", "Redpanda"),
    "vectorized": ("broker", "Redpanda"),
}
# A service Compose builds (no well-known image) that is a proxy all the same, by the name of the
# service or of its build directory: a custom Traefik or nginx image.
_PROXY_NAMES = {name: product for name, (kind, product) in INFRASTRUCTURE.items() if kind == "proxy"} | {
    "proxy": "a reverse proxy",
    "reverse-proxy": "a reverse proxy",
    "web-server": "a web server",
}

Role = Literal["web", "prestart", "process", "left-out"]


@dataclass(frozen=True)
class Roles:
    """Every service of the project by role; `prestart` in the order the steps must run."""

    web: Service
    prestart: tuple[Service, ...]
    processes: tuple[Service, ...]
    left_out: tuple[Service, ...]


def infrastructure(service: Service) -> tuple[str, str] | None:
    """(kind, product) when the service runs a well-known image a profile never runs, else None."""
    if service.image is None or service.build is not None:
        built = _built_proxy(service)
        if built is not None:
            return built
    if service.image is None:
        return None
    repository = _repository(service.image)
    parts = repository.split("/")
    last = parts[-1]
    known = INFRASTRUCTURE.get(last) or INFRASTRUCTURE.get("/".join(parts[-2:]))
    if known is not None:
        return known
    namespaces = [part for part in (parts[-2] if len(parts) > 1 else None, "/".join(parts[-3:-1])) if part]
    return next((INFRASTRUCTURE_NAMESPACES[name] for name in namespaces if name in INFRASTRUCTURE_NAMESPACES), None)


def _built_proxy(service: Service) -> tuple[str, str] | None:
    """A proxy Compose builds itself (a custom Traefik or nginx image), by its service or build directory name."""
    name = service.name.lower()
    # The service's name or a part of it (nginx-proxy, reverse_proxy); the build directory's whole
    # name only (./traefik), since `.` is the project's directory, whatever it is called.
    candidates = [name, *name.replace("_", "-").split("-")]
    if service.build is not None:
        candidates.append(service.build[0].rstrip("/").rsplit("/", 1)[-1].lower())
    return next((("proxy", _PROXY_NAMES[item]) for item in candidates if item in _PROXY_NAMES), None)


def _repository(image: str) -> str:
    """`docker.io/library/postgres:16@sha256:...` -> `docker.io/library/postgres`, lowercase."""
    without_digest = image.split("@", 1)[0].lower()
    head, _, last = without_digest.rpartition("/")
    return f"{head}/{last.split(':', 1)[0]}" if head else last.split(":", 1)[0]


def same_image(first: Service, second: Service) -> bool:
    """Whether two services run the app's code: the same `image`, or built from the same build context
    (whatever their image names or Dockerfile targets), or one runs the image the other builds."""
    if first.build is not None and second.build is not None:
        return first.build[0] == second.build[0]
    if first.image is not None and second.image is not None:
        return first.image == second.image
    return False


def assign(project: Project, chosen: str | None) -> Roles:
    """The web service (`chosen`, else the one that looks like one), its prestart steps, processes, and the rest."""
    web = _web_service(project, chosen)
    steps = _prestart(project, web)
    processes, left_out = [], []
    for service in project.services.values():
        if service is web or service in steps:
            continue
        if same_image(service, web) and infrastructure(service) is None and is_process(service):
            processes.append(service)
        else:
            left_out.append(service)
    return Roles(web, steps, tuple(processes), tuple(left_out))


def is_process(service: Service) -> bool:
    """Whether a service of the app's image can run as a `processes` entry: it has a command, runs on
    (not `restart: "no"`, a one-off the app does not wait for), and is not a second web server."""
    argv = service.argv
    return argv is not None and service.restart != "no" and server_of(argv) is None


def _web_service(project: Project, chosen: str | None) -> Service:
    if not project.services:
        raise ComposeProblem("the project has no services", ("services",))
    if chosen is not None:
        if chosen not in project.services:
            close = difflib.get_close_matches(chosen, project.services, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else f" (services: {', '.join(project.services)})"
            raise ComposeProblem(f"--service {chosen!r}: no such service{hint}", ("services",))
        return project.services[chosen]
    # Best first: a known server with a port, a known server, then any service publishing or exposing
    # a port (built from the project's code before third-party images, published before exposed, and
    # the one others depend on); databases, caches, brokers, search engines and proxies never.
    depended_on = {name for service in project.services.values() for name in service.depends_on}
    # What a proxy the project runs sends requests to: the services it waits for.
    proxied = {
        name
        for service in project.services.values()
        if (infrastructure(service) or ("", ""))[0] == "proxy"
        for name in service.depends_on
    }
    ranked: dict[tuple[int, ...], list[Service]] = {}
    # A service with neither `image` nor `build` runs nothing deploykit could deploy.
    apps = [
        service
        for service in project.services.values()
        if infrastructure(service) is None and (service.image is not None or service.build is not None)
    ]
    for service in apps:
        known = service.argv is not None and server_of(service.argv) is not None
        published = any(port.published for port in service.ports)
        # `expose` counts as a port too: behind a proxy the app publishes nothing; so does being what
        # a proxy waits for, Traefik labels, or a healthcheck of a local URL.
        listens = (
            published
            or bool(service.expose)
            or bool(service.ports)
            or service.name in proxied
            or any(label.startswith("traefik.http.routers.") for label in service.labels)
            or _checks_http(service)
        )
        if not known and not listens:
            continue
        rank = (
            int(known and listens),
            int(known),
            int(service.build is not None),
            int(published),
            int(service.name in depended_on),
        )
        ranked.setdefault(rank, []).append(service)
    if not ranked and len(apps) == 1:
        # The one service that is not infrastructure: the app, whatever it listens on.
        return apps[0]
    if not ranked:
        raise ComposeProblem(
            "no service looks like the web app (a known server command such as gunicorn or uvicorn, or a "
            "published port); name it with --service NAME",
            ("services",),
        )
    best = ranked[max(ranked)]
    if len(best) > 1 and all(same_image(service, best[0]) for service in best[1:]):
        # Copies of one app (web1, web2 behind a balancing proxy): the first by name.
        best = sorted(best, key=lambda service: service.name)[:1]
    if len(best) > 1:
        names = ", ".join(service.name for service in best)
        raise ComposeProblem(
            f"several services could be the web app ({names}); name one with --service NAME", ("services",)
        )
    return best[0]


def _prestart(project: Project, web: Service) -> tuple[Service, ...]:
    """The one-shot services the web service waits for (`service_completed_successfully`), directly or
    through each other, each after the steps it waits for itself (ties in name order)."""
    wanted: dict[str, Service] = {}
    pending = [web]
    while pending:
        service = pending.pop()
        for name, condition in sorted(service.depends_on.items()):
            if condition == "service_completed_successfully" and name in project.services and name not in wanted:
                wanted[name] = project.services[name]
                pending.append(project.services[name])
    ordered: list[Service] = []
    while len(ordered) < len(wanted):
        ready = [
            service
            for name, service in sorted(wanted.items())
            if service not in ordered
            and all(dependency not in wanted or wanted[dependency] in ordered for dependency in service.depends_on)
        ]
        if not ready:
            cycle = ", ".join(sorted(name for name, service in wanted.items() if service not in ordered))
            raise ComposeProblem(f"the one-shot services {cycle} wait for each other", ("services",))
        ordered.append(ready[0])
    return tuple(ordered)


def _checks_http(service: Service) -> bool:
    """Whether the service's healthcheck fetches a local HTTP URL (it serves HTTP)."""
    check = service.healthcheck
    test = check.test if check is not None and check.test is not None else ()
    return any("http://localhost" in part or "http://127.0.0.1" in part for part in test)
