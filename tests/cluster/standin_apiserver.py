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
  condition `job_outcomes` names for it (Complete unless a test says Failed).

What it does not do: merge with fields owned by other field managers, validate objects, or check
namespaces and permissions. Errors (403, 422, ...) are injected per request with `refuse`.
Everything else gets a 404 `Status`, and every request is recorded, so a test sees what the client asked.
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


def _resource(name: str, kind: str, short_names: list[str] | None = None, categories: list[str] | None = None) -> dict:
    """One APIResource entry as the server lists it (all of deploykit's kinds are namespaced)."""
    entry: dict = {"name": name, "singularName": kind.lower(), "namespaced": True, "kind": kind, "verbs": _ALL_VERBS}
    if short_names:
        entry["shortNames"] = short_names
    if categories:
        entry["categories"] = categories
    return entry


def _subresource(name: str, kind: str) -> dict:
    return {"name": name, "singularName": "", "namespaced": True, "kind": kind, "verbs": _STATUS_VERBS}


# The resource lists of the group versions deploykit uses, trimmed to the kinds it emits.
RESOURCES: dict[str, list[dict]] = {
    "v1": [
        _resource("serviceaccounts", "ServiceAccount", ["sa"]),
        _resource("services", "Service", ["svc"], ["all"]),
        _subresource("services/status", "Service"),
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
    _job_reads: dict[str, int] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _resource_version: int = 0

    def refuse(self, method: str, path: str, code: int, reason: str, message: str) -> None:
        """Answer every `method` request for `path` with this error Status."""
        self.refusals[(method, path)] = Refusal(code, reason, message)

    def applies(self) -> list[Request]:
        return [request for request in self.requests if request.method == "PATCH"]

    def next_resource_version(self) -> str:
        self._resource_version += 1
        return str(self._resource_version)


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

        def _serve(self) -> None:
            url = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            # The client sends apply patches as JSON, which is valid YAML: read it as YAML like the server.
            body = YAML(typ="safe", pure=True).load(raw.decode()) if raw else None
            query = parse_qs(url.query)
            with state._lock:
                state.requests.append(Request(self.command, url.path, query, self.headers.get("Content-Type"), body))
                code, answer = self._answer(url.path, query, body)
            self._send(code, answer)

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
            condition = {
                "type": outcome,
                "status": "True",
                "reason": "BackoffLimitExceeded" if outcome == "Failed" else "",
                "message": message,
            }
            return found | {"status": {"conditions": [condition]}}

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
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
