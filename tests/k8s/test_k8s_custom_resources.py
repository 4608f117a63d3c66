"""The custom resources deploykit renders (Gateway API HTTPRoute and ListenerSet, Traefik Middleware and ServersTransport)
against their official schemas, strictly (unknown fields fail), in two independent ways:

- the CRDs as their projects publish them (tests/k8s/crds, vendored verbatim with version and sha256),
  with Python jsonschema;
- the npm models generated from the projects' Go API types (tests/k8s/npm, pinned by the lock):
  their validators, plus TypeScript's excess-property check against their types, in one node process
  for every object of the session.

Neither evaluates CEL rules (no CEL engine here); the rules that matter are asserted by name below.
"""

from __future__ import annotations

import copy
import functools
import json
import subprocess
import tempfile
from pathlib import Path

import pytest
from k8s_support import KUBERNETES_VERSIONS, custom, find, rendered_cases
from schema_support import crd_errors, crd_sources, sha256_of
from tooling import npm_validators

HERE = Path(__file__).resolve().parent


@functools.cache
def rendered() -> dict[str, dict]:
    """Every distinct custom resource of every case, by `<case>/<Kind>/<name>`."""
    found: dict[str, dict] = {}
    for version in KUBERNETES_VERSIONS:
        for name, objects in rendered_cases(version).items():
            for obj in custom(objects):
                found.setdefault(f"{name}/{obj['kind']}/{obj['metadata']['name']}", obj)
    return found


def route(case: str = "prod") -> dict:
    return copy.deepcopy(rendered()[f"{case}/HTTPRoute/items-api"])


def _set(obj: dict, path: str, value) -> dict:
    *parents, last = path.split(".")
    node = obj
    for key in parents:
        node = node[int(key)] if key.isdigit() else node[key]
    node[last] = value
    return obj


# Objects each check must refuse: (base object, dotted path, value set there).
BROKEN = {
    "unknown-spec-field": ("prod/HTTPRoute/items-api", "spec.bogus", 1),
    "unknown-backend-field": ("prod/HTTPRoute/items-api", "spec.rules.0.backendRefs.0.bogus", 1),
    "backend-port-by-name": ("prod/HTTPRoute/items-api", "spec.rules.0.backendRefs.0.port", "http"),
    "experimental-retry": ("prod/HTTPRoute/items-api", "spec.rules.0.retry", {"attempts": 2}),
    "redirect-status-399": (
        "prod/HTTPRoute/items-api-redirect",
        "spec.rules.0.filters.0.requestRedirect.statusCode",
        399,
    ),
    "listener-set-parent-section": ("prod/ListenerSet/items-api", "spec.parentRef.sectionName", "https"),
    "listener-protocol": ("prod/ListenerSet/items-api", "spec.listeners.0.protocol", 443),
    "middleware-unknown-header-option": ("staging/Middleware/items-api-headers", "spec.headers.bogus", True),
    "middleware-sts-as-text": ("staging/Middleware/items-api-headers", "spec.headers.stsSeconds", "31536000"),
    "transport-unknown-timeout": (
        "staging/ServersTransport/items-api-transport",
        "spec.forwardingTimeouts.keepAliveTimeout",
        "4s",
    ),
    "transport-idle-as-words": (
        "staging/ServersTransport/items-api-transport",
        "spec.forwardingTimeouts.idleConnTimeout",
        "4 seconds",
    ),
}
# The experimental channel's `retry` is in the Go types the npm models come from: only the standard CRD refuses it.
NPM_ACCEPTS = {"experimental-retry"}


def broken(case: str) -> dict:
    base, path, value = BROKEN[case]
    return _set(copy.deepcopy(rendered()[base]), path, value)


def test_every_kind_is_covered():
    assert {key.split("/")[1] for key in rendered()} == {"HTTPRoute", "ListenerSet", "Middleware", "ServersTransport"}


def test_the_vendored_crds_are_the_published_files():
    for source in crd_sources():
        assert sha256_of(source["file"]) == source["sha256"], source["file"]


@pytest.mark.parametrize("key", sorted(rendered()))
def test_rendered_objects_match_the_official_crd_strictly(key):
    assert crd_errors(rendered()[key]) == []


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_the_official_crd_check_refuses_broken_objects(case):
    assert crd_errors(broken(case)) != []


@pytest.fixture(scope="session")
def npm_verdicts() -> dict[str, list[str]]:
    """One node run for the whole session: every rendered object and every broken one, by key."""
    directory = npm_validators()
    batch = {**rendered(), **{f"broken/{case}": broken(case) for case in BROKEN}}
    with tempfile.TemporaryDirectory() as workdir:
        objects_file = Path(workdir) / "objects.json"
        objects_file.write_text(json.dumps(list(batch.values())), encoding="utf-8")
        result = subprocess.run(
            ["node", str(HERE / "crd_check.mjs"), str(directory), str(objects_file)],
            capture_output=True,
            text=True,
            timeout=180,
        )
    assert result.returncode == 0, result.stderr
    verdicts = [json.loads(line) for line in result.stdout.splitlines()]
    assert [verdict["index"] for verdict in verdicts] == list(range(len(batch)))
    return {key: verdict["problems"] for key, verdict in zip(batch, verdicts, strict=True)}


@pytest.mark.parametrize("key", sorted(rendered()))
def test_rendered_objects_match_the_npm_models_strictly(npm_verdicts, key):
    assert npm_verdicts[key] == []


@pytest.mark.parametrize("case", sorted(set(BROKEN) - NPM_ACCEPTS))
def test_the_npm_check_refuses_broken_objects(npm_verdicts, case):
    assert npm_verdicts[f"broken/{case}"] != []


def test_unknown_fields_are_refused_by_the_type_check(npm_verdicts):
    # The models' validators accept unknown fields; the TypeScript layer is what refuses them.
    assert [problem.split(":")[0] for problem in npm_verdicts["broken/unknown-backend-field"]] == ["fields"]


def test_no_experimental_channel_fields():
    """The npm models carry both channels; fields only the experimental CRDs have must never be rendered."""
    experimental = {"retry", "sessionPersistence", "externalAuth", "useDefaultGateways", "defaultScope"}

    def keys(value) -> set[str]:
        if isinstance(value, dict):
            return set(value) | {key for item in value.values() for key in keys(item)}
        if isinstance(value, list):
            return {key for item in value for key in keys(item)}
        return set()

    for obj in rendered().values():
        assert not keys(obj) & experimental


@pytest.mark.parametrize("key", [key for key in sorted(rendered()) if "/HTTPRoute/" in key])
def test_the_cel_rules_that_apply_to_routes(key):
    """The CRDs' CEL rules deploykit's routes could break, checked by hand since no CEL engine runs here."""
    spec = rendered()[key]["spec"]
    for rule in spec["rules"]:
        types = [item["type"] for item in rule.get("filters", [])]
        assert not {"RequestRedirect", "URLRewrite"} <= set(types), "redirect and rewrite cannot share a rule"
        for backend in rule.get("backendRefs", []):
            assert "port" in backend, "Must have port for Service reference"
        assert len(types) == len(set(types)), "each core filter at most once per rule"
    parents = [(parent.get("kind", "Gateway"), parent["name"]) for parent in spec["parentRefs"]]
    assert len(parents) == len(set(parents)) or all("sectionName" in parent for parent in spec["parentRefs"])


def test_listener_sets_terminate_tls_on_https_listeners():
    for key, obj in rendered().items():
        if obj["kind"] == "ListenerSet":
            for listener in obj["spec"]["listeners"]:
                assert listener["protocol"] == "HTTPS" and listener["tls"]["mode"] == "Terminate", key


def test_routes_of_the_bundled_prod_profile_exist():
    assert len(find(rendered_cases(KUBERNETES_VERSIONS[0])["prod"], "HTTPRoute")) == 2
