"""A stand-in for a Kubernetes API server, for testing `deploykit diff` and `deploykit apply`.

No real API server can run on this machine (no kube-apiserver, kind or k3s), so this small HTTP server
answers the few requests the real `kubernetes` Python client makes for deploykit, in the shapes a real
API server uses:

- `GET /version`: the version info the dynamic client reads when it starts;
- `GET /api`, `GET /apis`: APIVersions and APIGroupList (discovery);
- `GET /api/v1`, `GET /apis/GROUP/VERSION`: APIResourceList of the kinds deploykit emits;
- `GET` of a named object: the stored object, or a 404 `Status` (reason NotFound);
- `PATCH` of a named object with `Content-Type: application/apply-patch+yaml` (server-side apply): records
  the field manager, `force` and `dryRun` query parameters, stores the object unless `dryRun=All`, and
  returns it with the fields a server sets (uid, resourceVersion, generation, creationTimestamp,
  managedFields, a Deployment's `progressDeadlineSeconds` default and status);
- a Job's status as its controller would write it: running for `job_running_polls` reads, then the
  condition `job_outcomes` names for it (Complete unless a test says Failed), after SuccessCriteriaMet or
  FailureTarget as from Kubernetes 1.31; in lists and watches too (a watch of Jobs sends their status
  changes as MODIFIED events, polled every 0.2 s);
- the `metadata.name=NAME` field selector on lists and watches (what RBAC's resourceNames requires).

For controllers that read the API (Traefik's Kubernetes providers), objects a test `put`s are also served
the way client-go's informers read them:

- `GET` of a collection (`/api/v1/services`, `/apis/GROUP/VERSION/namespaces/NS/RESOURCE`): a typed list
  (`kind: ServiceList`), as client-go refuses a generic `List`;
- the same with `watch=true`: a chunked stream of watch events. With `sendInitialEvents=true` (client-go's
  WatchList, on by default from 0.35) it starts with an ADDED event per object and a BOOKMARK annotated
  `k8s.io/initial-events-end`, so the client needs no LIST; the stream then stays open until shutdown;
- `PUT` of a `status` subresource: answered with the object as sent (status updates are not stored).

What it does not do: merge with fields owned by other field managers, validate objects, select by label
or by other fields, send events for changes made after a watch started (but for the Jobs' status), or check
namespaces and permissions.
Errors (403, 422, ...) are injected per request with `refuse`. Everything else gets a 404 `Status`, and
every request is recorded, so a test sees what the client asked.
"""

from __future__ import annotations

import contextlib
import copy
import json
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from ruamel.yaml import YAML

APPLY_PATCH = "application/apply-patch+yaml"
_ALL_VERBS = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]
_STATUS_VERBS = ["get", "patch", "update"]


def _resource(
    name: str,
    kind: str,
    short_names: list[str] | None = None,
    categories: list[str] | None = None,
    namespaced: bool = True,
) -> dict:
    """One APIResource entry as the server lists it."""
    entry: dict = {
        "name": name,
        "singularName": kind.lower(),
        "namespaced": namespaced,
        "kind": kind,
        "verbs": _ALL_VERBS,
    }
    if short_names:
        entry["shortNames"] = short_names
    if categories:
        entry["categories"] = categories
    return entry


def _subresource(name: str, kind: str, namespaced: bool = True) -> dict:
    return {"name": name, "singularName": "", "namespaced": namespaced, "kind": kind, "verbs": _STATUS_VERBS}


# The resource lists of the group versions deploykit uses, trimmed to the kinds it emits and the kinds
# Traefik's Kubernetes providers (Gateway, Ingress, CRD) read.
RESOURCES: dict[str, list[dict]] = {
    "v1": [
        _resource("serviceaccounts", "ServiceAccount", ["sa"]),
        _resource("services", "Service", ["svc"], ["all"]),
        _subresource("services/status", "Service"),
        _resource("namespaces", "Namespace", ["ns"], namespaced=False),
        _resource("secrets", "Secret"),
        _resource("configmaps", "ConfigMap", ["cm"]),
        _resource("nodes", "Node", ["no"], namespaced=False),
    ],
    "discovery.k8s.io/v1": [_resource("endpointslices", "EndpointSlice")],
    "gateway.networking.k8s.io/v1": [
        _resource("gatewayclasses", "GatewayClass", ["gc"], ["gateway-api"], namespaced=False),
        _subresource("gatewayclasses/status", "GatewayClass", namespaced=False),
        _resource("gateways", "Gateway", ["gtw"], ["gateway-api"]),
        _subresource("gateways/status", "Gateway"),
        _resource("httproutes", "HTTPRoute", None, ["gateway-api"]),
        _subresource("httproutes/status", "HTTPRoute"),
        _resource("grpcroutes", "GRPCRoute", None, ["gateway-api"]),
        _resource("tlsroutes", "TLSRoute", None, ["gateway-api"]),
        _resource("backendtlspolicies", "BackendTLSPolicy", ["btlspolicy"], ["gateway-api"]),
        _resource("listenersets", "ListenerSet", ["lset"], ["gateway-api"]),
        _subresource("listenersets/status", "ListenerSet"),
    ],
    "gateway.networking.k8s.io/v1beta1": [
        _resource("referencegrants", "ReferenceGrant", ["refgrant"], ["gateway-api"])
    ],
    "traefik.io/v1alpha1": [
        _resource(plural, kind)
        for plural, kind in [
            ("middlewares", "Middleware"),
            ("middlewaretcps", "MiddlewareTCP"),
            ("ingressroutes", "IngressRoute"),
            ("ingressroutetcps", "IngressRouteTCP"),
            ("ingressrouteudps", "IngressRouteUDP"),
            ("tlsoptions", "TLSOption"),
            ("tlsstores", "TLSStore"),
            ("traefikservices", "TraefikService"),
            ("serverstransports", "ServersTransport"),
            ("serverstransporttcps", "ServersTransportTCP"),
        ]
    ],
    "apps/v1": [
        _resource("deployments", "Deployment", ["deploy"], ["all"]),
        _subresource("deployments/scale", "Scale"),
        _subresource("deployments/status", "Deployment"),
    ],
    "batch/v1": [
        _resource("jobs", "Job", None, ["all"]),
        _subresource("jobs/status", "Job"),
        _resource("cronjobs", "CronJob", ["cj"], ["all"]),
        _subresource("cronjobs/status", "CronJob"),
    ],
    "networking.k8s.io/v1": [
        _resource("ingresses", "Ingress", ["ing"]),
        _subresource("ingresses/status", "Ingress"),
        _resource("networkpolicies", "NetworkPolicy", ["netpol"]),
        _resource("ingressclasses", "IngressClass", None, namespaced=False),
    ],
    "rbac.authorization.k8s.io/v1": [
        _resource("roles", "Role"),
        _resource("rolebindings", "RoleBinding"),
    ],
    "policy/v1": [
        _resource("poddisruptionbudgets", "PodDisruptionBudget", ["pdb"]),
        _subresource("poddisruptionbudgets/status", "PodDisruptionBudget"),
    ],
    "autoscaling/v2": [
        _resource("horizontalpodautoscalers", "HorizontalPodAutoscaler", ["hpa"], ["all"]),
        _subresource("horizontalpodautoscalers/status", "HorizontalPodAutoscaler"),
    ],
}

_OBJECT_PATH = re.compile(
    r"^/(?:api|apis/(?P<group>[^/]+))/(?P<version>[^/]+)/namespaces/(?P<namespace>[^/]+)/(?P<resource>[^/]+)/(?P<name>[^/]+)$"
)


@dataclass(frozen=True)
class Request:
    """One request the client made."""

    method: str
    path: str
    query: dict[str, list[str]]
    content_type: str | None
    body: dict | None


@dataclass(frozen=True)
class Refusal:
    """An error answer, as the real server words it: `message` is the Status message."""

    code: int
    reason: str
    message: str


@dataclass
class StandinApiServer:
    """The server's state: stored objects by URL path, recorded requests, injected refusals."""

    url: str = ""
    objects: dict[str, dict] = field(default_factory=dict)
    applied: dict[str, dict] = field(default_factory=dict)  # the last applied body per path
    requests: list[Request] = field(default_factory=list)
    refusals: dict[tuple[str, str], Refusal] = field(default_factory=dict)
    job_outcomes: dict[str, str] = field(default_factory=dict)  # Job name -> "Complete" (default) or "Failed"
    job_running_polls: int = 0  # reads of a new Job that still find it running
    job_criteria_polls: int = 0  # then reads that find SuccessCriteriaMet or FailureTarget alone
    _job_reads: dict[str, int] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _resource_version: int = 0
    stopping: threading.Event = field(default_factory=threading.Event)

    def refuse(self, method: str, path: str, code: int, reason: str, message: str) -> None:
        """Answer every `method` request for `path` with this error Status."""
        self.refusals[(method, path)] = Refusal(code, reason, message)

    def applies(self) -> list[Request]:
        return [request for request in self.requests if request.method == "PATCH"]

    def next_resource_version(self) -> str:
        self._resource_version += 1
        return str(self._resource_version)

    def put(self, obj: dict) -> None:
        """Store `obj` as if it had been created, for clients that list and watch (see the module docstring)."""
        with self._lock:
            stored = copy.deepcopy(obj)
            stored["metadata"]["resourceVersion"] = self.next_resource_version()
            stored["metadata"].setdefault("uid", f"00000000-0000-4000-8000-{len(self.objects):012d}")
            self.objects[object_path(stored)] = stored
            self.applied[object_path(stored)] = obj


def object_path(obj: dict) -> str:
    """The URL path of `obj`: `/apis/GROUP/VERSION[/namespaces/NS]/RESOURCE/NAME` (`/api/v1/...` for core)."""
    group_version = obj["apiVersion"]
    (resource,) = [
        entry for entry in RESOURCES[group_version] if entry["kind"] == obj["kind"] and "/" not in entry["name"]
    ]
    prefix = f"/apis/{group_version}" if "/" in group_version else f"/api/{group_version}"
    if resource["namespaced"]:
        prefix += f"/namespaces/{obj['metadata']['namespace']}"
    return f"{prefix}/{resource['name']}/{obj['metadata']['name']}"


@dataclass(frozen=True)
class _Address:
    """What a path names: a collection (name None) or an object, maybe in a namespace, maybe a subresource."""

    group_version: str
    namespace: str | None
    resource: str
    name: str | None
    subresource: str | None


def _address(path: str) -> _Address | None:
    parts = path.strip("/").split("/")
    if parts[0] == "api" and len(parts) >= 3:
        group_version, rest = parts[1], parts[2:]
    elif parts[0] == "apis" and len(parts) >= 4:
        group_version, rest = f"{parts[1]}/{parts[2]}", parts[3:]
    else:
        return None
    if group_version not in RESOURCES:
        return None
    namespace = None
    # `/namespaces/NAME` alone is the Namespace object; `/namespaces/NS/RESOURCE...` is inside NS.
    if len(rest) >= 3 and rest[0] == "namespaces":
        namespace, rest = rest[1], rest[2:]
    if not 1 <= len(rest) <= 3:
        return None
    return _Address(
        group_version, namespace, rest[0], rest[1] if len(rest) > 1 else None, rest[2] if len(rest) > 2 else None
    )


def _kind_of(group_version: str, resource: str) -> str | None:
    for entry in RESOURCES[group_version]:
        if entry["name"] == resource:
            return entry["kind"]
    return None


def _group_list() -> dict:
    groups: dict[str, list[str]] = {}
    for group_version in RESOURCES:
        if "/" in group_version:
            group, version = group_version.split("/")
            groups.setdefault(group, []).append(version)
    return {
        "kind": "APIGroupList",
        "apiVersion": "v1",
        "groups": [
            {
                "name": group,
                "versions": [{"groupVersion": f"{group}/{version}", "version": version} for version in versions],
                "preferredVersion": {"groupVersion": f"{group}/{versions[0]}", "version": versions[0]},
            }
            for group, versions in sorted(groups.items())
        ],
    }


def _status(code: int, reason: str, message: str, details: dict | None = None) -> dict:
    body = {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reason,
        "code": code,
    }
    if details:
        body["details"] = details
    return body


def _discovery(path: str) -> dict | None:
    if path == "/version":
        return {"major": "1", "minor": "33", "gitVersion": "v1.33.0", "platform": "linux/amd64"}
    if path == "/api":
        return {
            "kind": "APIVersions",
            "versions": ["v1"],
            "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": "127.0.0.1:6443"}],
        }
    if path == "/apis":
        return _group_list()
    group_version = path.removeprefix("/api/") if path.startswith("/api/") else path.removeprefix("/apis/")
    if path.startswith(("/api/", "/apis/")) and group_version in RESOURCES:
        return {
            "kind": "APIResourceList",
            "apiVersion": "v1",
            "groupVersion": group_version,
            "resources": RESOURCES[group_version],
        }
    return None


def _handler(state: StandinApiServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args) -> None:
            pass  # requests are recorded in `state.requests`; stderr stays quiet

        def do_GET(self) -> None:
            self._serve()

        def do_PATCH(self) -> None:
            self._serve()

        def do_PUT(self) -> None:
            self._serve()

        def _serve(self) -> None:
            url = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            # The client sends apply patches as JSON, which is valid YAML: read it as YAML like the server.
            body = YAML(typ="safe", pure=True).load(raw.decode()) if raw else None
            query = parse_qs(url.query)
            address = _address(url.path)
            with state._lock:
                state.requests.append(Request(self.command, url.path, query, self.headers.get("Content-Type"), body))
                if self.command == "GET" and address is not None and address.name is None:
                    if query.get("watch", ["false"])[0] in ("true", "1"):
                        events = self._initial_events(address, query)
                        watched = (address, query)
                    else:
                        self._send(200, self._list(address, query))
                        return
                elif self.command == "PUT" and address is not None and address.subresource == "status":
                    self._send(200, body or {})
                    return
                else:
                    code, answer = self._answer(url.path, query, body)
                    self._send(code, answer)
                    return
            self._watch(events, watched)

        def _items(self, address: _Address, query: dict[str, list[str]]) -> list[dict]:
            """The stored objects at `address`, only the one named by a `metadata.name=` field selector if given."""
            found = []
            selected = query.get("fieldSelector", [""])[0]
            name = selected.removeprefix("metadata.name=") if selected.startswith("metadata.name=") else None
            for path in sorted(state.objects):
                stored = _address(path)
                if (
                    stored is not None
                    and (stored.group_version, stored.resource) == (address.group_version, address.resource)
                    and address.namespace in (None, stored.namespace)
                    and name in (None, stored.name)
                ):
                    found.append(self._with_job_status(path, state.objects[path]))
            return found

        def _list(self, address: _Address, query: dict[str, list[str]]) -> dict:
            kind = _kind_of(address.group_version, address.resource) or "Unknown"
            return {
                "kind": f"{kind}List",
                "apiVersion": address.group_version,
                "metadata": {"resourceVersion": str(state._resource_version)},
                "items": self._items(address, query),
            }

        def _initial_events(self, address: _Address, query: dict[str, list[str]]) -> list[dict]:
            if query.get("sendInitialEvents", ["false"])[0] != "true":
                return []
            events = [{"type": "ADDED", "object": obj} for obj in self._items(address, query)]
            kind = _kind_of(address.group_version, address.resource) or "Unknown"
            bookmark = {
                "kind": kind,
                "apiVersion": address.group_version,
                "metadata": {
                    "resourceVersion": str(state._resource_version),
                    "annotations": {"k8s.io/initial-events-end": "true"},
                },
            }
            return [*events, {"type": "BOOKMARK", "object": bookmark}]

        def _watch(self, events: list[dict], watched: tuple[_Address, dict[str, list[str]]]) -> None:
            """Send `events`, then hold the stream open until the server stops; the only later changes
            sent are the Jobs' status changes (running, then complete or failed), as MODIFIED events."""
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            try:
                for event in events:
                    line = (json.dumps(event) + "\n").encode()
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(line), line))
                self.wfile.flush()
                address, query = watched
                sent: dict[str, dict | None] = {}
                while not state.stopping.wait(0.2):
                    if address.resource != "jobs":
                        continue
                    with state._lock:
                        jobs = self._items(address, query)
                    for job in jobs:
                        name = job["metadata"]["name"]
                        if name in sent and sent[name] == job.get("status"):
                            continue
                        sent[name] = job.get("status")
                        line = (json.dumps({"type": "MODIFIED", "object": job}) + "\n").encode()
                        self.wfile.write(b"%x\r\n%s\r\n" % (len(line), line))
                        self.wfile.flush()
                self.wfile.write(b"0\r\n\r\n")
            except OSError:
                pass  # the client went away
            self.close_connection = True

        def _answer(self, path: str, query: dict[str, list[str]], body: dict | None) -> tuple[int, dict]:
            refusal = state.refusals.get((self.command, path))
            if refusal is not None:
                return refusal.code, _status(refusal.code, refusal.reason, refusal.message)
            if self.command == "GET":
                found = _discovery(path) or state.objects.get(path)
                if found is not None:
                    return 200, self._with_job_status(path, found)
            match = _OBJECT_PATH.match(path)
            if match is None:
                return 404, _status(404, "NotFound", "the server could not find the requested resource")
            if self.command == "GET":
                plural = match["resource"] + (f".{match['group']}" if match["group"] else "")
                details = {"name": match["name"], "kind": match["resource"]} | (
                    {"group": match["group"]} if match["group"] else {}
                )
                return 404, _status(404, "NotFound", f'{plural} "{match["name"]}" not found', details)
            if self.headers.get("Content-Type") != APPLY_PATCH:
                return 415, _status(
                    415,
                    "UnsupportedMediaType",
                    f"the body of the request was in an unknown format: {self.headers.get('Content-Type')}",
                )
            return self._apply(path, query, body)

        def _apply(self, path: str, query: dict[str, list[str]], body: dict) -> tuple[int, dict]:
            previous = state.objects.get(path)
            changed = previous is None or state.applied[path] != body
            result = copy.deepcopy(body)
            metadata = result["metadata"]
            kept = (
                previous["metadata"]
                if previous
                else {
                    "uid": f"00000000-0000-4000-8000-{len(state.objects):012d}",
                    "creationTimestamp": "2025-01-01T00:00:00Z",
                    "generation": 0,
                }
            )
            metadata["uid"] = kept["uid"]
            metadata["creationTimestamp"] = kept["creationTimestamp"]
            metadata["generation"] = kept["generation"] + changed
            metadata["managedFields"] = [
                {
                    "manager": query["fieldManager"][0],
                    "operation": "Apply",
                    "apiVersion": body["apiVersion"],
                    "time": "2025-01-01T00:00:00Z",
                    "fieldsType": "FieldsV1",
                    "fieldsV1": {},
                }
            ]
            if body["kind"] == "Deployment":
                result["spec"].setdefault("progressDeadlineSeconds", 600)  # a default the real server adds
                result["status"] = {"observedGeneration": metadata["generation"]}
            dry_run = query.get("dryRun") == ["All"]
            if dry_run or not changed:
                metadata["resourceVersion"] = previous["metadata"]["resourceVersion"] if previous else ""
            else:
                metadata["resourceVersion"] = state.next_resource_version()
                state.objects[path] = result
                state.applied[path] = body
            return (201 if previous is None else 200), result

        def _with_job_status(self, path: str, found: dict) -> dict:
            """A stored Job as its controller would have it by now: running, then complete or failed."""
            if found.get("kind") != "Job":
                return found
            reads = state._job_reads[path] = state._job_reads.get(path, 0) + 1
            if reads <= state.job_running_polls:
                return found | {"status": {"active": 1}}
            outcome = state.job_outcomes.get(found["metadata"]["name"], "Complete")
            message = "Job has reached the specified backoff limit" if outcome == "Failed" else ""
            # From Kubernetes 1.31 the controller first adds FailureTarget or SuccessCriteriaMet, then the
            # terminal condition once the Job's pods are gone; both stay.
            first = "FailureTarget" if outcome == "Failed" else "SuccessCriteriaMet"
            kinds = (first,) if reads <= state.job_running_polls + state.job_criteria_polls else (first, outcome)
            conditions = [
                {
                    "type": kind,
                    "status": "True",
                    "reason": "BackoffLimitExceeded" if outcome == "Failed" else "CompletionsReached",
                    "message": message,
                }
                for kind in kinds
            ]
            return found | {"status": {"conditions": conditions}}

        def _send(self, code: int, answer: dict) -> None:
            payload = json.dumps(answer).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

    return Handler


@contextlib.contextmanager
def running() -> Iterator[StandinApiServer]:
    """Serve on 127.0.0.1 on a free port in a background thread; shut down when the block ends."""
    state = StandinApiServer()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        state.url = f"http://127.0.0.1:{server.server_address[1]}"
        yield state
    finally:
        state.stopping.set()
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
