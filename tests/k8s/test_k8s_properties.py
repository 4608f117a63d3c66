"""Arbitrary text in free-text fields is either refused with a DeployKitError or reaches the container exactly.

"Exactly" means after the two readers between the profile and the process: a YAML parser reading the
rendered stream, and the kubelet's `$(VAR)` expansion of env values, command and args.
"""

from __future__ import annotations

import functools
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from k8s_support import find, only, parse_stream, pod_spec

from deploykit import pipeline
from deploykit.errors import DeployKitError
from deploykit.yamldump import dump

PROPERTY_SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
EXPANDED = "\x00EXPANDED\x00"


def kubernetes_expand(text: str) -> str:
    """Kubernetes' `$(VAR)` expansion, ported from kubernetes/kubernetes
    third_party/forked/golang/expansion/expand.go (Expand and tryReadVariableName).

    Go indexes the UTF-8 bytes, so this port does too, including one quirk: after a lone `$` the next
    byte is copied as `string(input[0])`, i.e. re-encoded as the code point of that byte. Every variable
    is taken as defined (the worst case: any `$(NAME)` that survives escaping would be replaced).
    """
    data = text.encode("utf-8")
    result = bytearray()
    checkpoint = 0
    cursor = 0
    while cursor < len(data):
        if data[cursor] == ord("$") and cursor + 1 < len(data):
            result += data[checkpoint:cursor]
            read, is_variable, advance = _try_read_variable_name(data[cursor + 1 :])
            result += EXPANDED.encode() if is_variable else read
            cursor += advance
            checkpoint = cursor + 1
        cursor += 1
    return (bytes(result) + data[checkpoint:]).decode("utf-8", errors="surrogateescape")


def _try_read_variable_name(data: bytes) -> tuple[bytes, bool, int]:
    """(what to write or the variable name, whether it is a variable, bytes consumed after the `$`)."""
    if data[0] == ord("$"):  # escaped operator: `$$` is one `$`
        return b"$", False, 1
    if data[0] == ord("("):
        closing = data.find(b")", 1)
        if closing != -1:
            return data[1:closing], True, closing + 1
        return b"$(", False, 1  # incomplete reference: `$(` is kept as written
    return b"$" + chr(data[0]).encode("utf-8"), False, 1


def test_expansion_port_matches_the_documented_examples():
    assert kubernetes_expand("$(HOME)/x") == f"{EXPANDED}/x"
    assert kubernetes_expand("$$(HOME)") == "$(HOME)"
    assert kubernetes_expand("$$$$") == "$$"
    assert kubernetes_expand("a$") == "a$"
    assert kubernetes_expand("$(open") == "$(open"
    assert kubernetes_expand("$x") == "$x"


def render_text(data: dict[str, Any], workdir: Path) -> list[dict] | None:
    """Write `data` as a profile with the project's emitter, load it like the CLI does, render, parse back."""
    path = workdir / "profile.yaml"
    path.write_text(dump(data), encoding="utf-8")
    try:
        rendering = pipeline.render_profile(path, "k8s").rendering
    except DeployKitError:
        return None
    return parse_stream(rendering.stdout)


def profile_data(env_value: str, argument: str, step_argument: str, prestart: str) -> dict[str, Any]:
    return {
        "app": "items-api",
        "image": "registry.example.com/acme/items-api:1.4.2",
        "command": ["fastapi", "run", argument],
        "replicas": 2,
        "env": {"LOG_LEVEL": "info", "GREETING": env_value},
        "secrets": {"DATABASE_URL": {"secret": "items-db", "key": "url"}},
        "prestart": [{"name": "migrate", "command": ["python", step_argument]}],
        "proxy": {"host": "api.example.com", "tls": "acme", "email": "ops@example.com"},
        "k8s": {"cluster_issuer": "letsencrypt-prod", "prestart": prestart},
    }


def identity(obj: dict) -> tuple[str, str]:
    # Job names carry a digest of their container, and the release gate's Role and RoleBinding one of the
    # Jobs' names, so these are identified by their kind alone.
    return (obj["kind"], "" if obj["kind"] in ("Job", "Role", "RoleBinding") else obj["metadata"]["name"])


def key_paths(value: Any, prefix: tuple = ()) -> set[tuple]:
    if isinstance(value, dict):
        return {(*prefix, key) for key in value} | {
            path for key, item in value.items() for path in key_paths(item, (*prefix, key))
        }
    if isinstance(value, list):
        return {path for index, item in enumerate(value) for path in key_paths(item, (*prefix, index))}
    return set()


def shape(objects: list[dict]) -> list[tuple]:
    return sorted((identity(obj), frozenset(key_paths(obj))) for obj in objects)


def step_containers(objects: list[dict]) -> list[dict]:
    """The containers running the prestart steps (init containers, or the Jobs' containers; with Jobs
    the pods' init containers are the release gate's, which run kubectl, not the steps)."""
    init = [
        container
        for container in pod_spec(only(objects, "Deployment")).get("initContainers", [])
        if container["name"] not in ("release-wait", "release-check")
    ]
    return init + [job["spec"]["template"]["spec"]["containers"][0] for job in find(objects, "Job")]


@functools.cache
def baseline_shape(prestart: str) -> list[tuple]:
    with tempfile.TemporaryDirectory() as workdir:
        return shape(render_text(profile_data("plain", "plain", "plain", prestart), Path(workdir)))


# Fully arbitrary text is mostly refused (control characters), so half the draws favour the characters
# that YAML, shells and `$(VAR)` expansion treat specially, to exercise the accepted path too.
SPECIAL = st.sampled_from(
    [*list("$$$()(){}[]:#'\"\\ \t\n-*&!|>%@`~,?="), "$(", "$$", "$(HOME)", "\u2028", "\ufeff", "é"]
)
FREE_TEXT = st.one_of(
    st.text(max_size=40),
    st.lists(st.one_of(SPECIAL, st.characters(exclude_categories=("Cs", "Cc"))), max_size=25).map("".join),
)


@PROPERTY_SETTINGS
@given(env_value=FREE_TEXT, argument=FREE_TEXT, step_argument=FREE_TEXT, prestart=st.sampled_from(["init", "job"]))
def test_free_text_is_refused_or_reaches_the_container_exactly(env_value, argument, step_argument, prestart):
    with tempfile.TemporaryDirectory() as workdir:
        objects = render_text(profile_data(env_value, argument, step_argument, prestart), Path(workdir))
    if objects is None:
        return
    assert shape(objects) == baseline_shape(prestart)
    (app,) = pod_spec(only(objects, "Deployment"))["containers"]
    (step,) = step_containers(objects)
    for container in (app, step):
        env = {entry["name"]: entry for entry in container["env"]}
        assert kubernetes_expand(env["GREETING"]["value"]) == env_value
    assert [kubernetes_expand(arg) for arg in app["args"]] == [
        "fastapi",
        "run",
        argument,
        "--port",
        "8000",
        "--workers",
        "1",
        "--forwarded-allow-ips",
        "*",
    ]
    assert [kubernetes_expand(arg) for arg in step["args"]] == ["python", step_argument]


HOST_LABEL = st.from_regex(r"[a-z0-9]([-a-z0-9]{0,10}[a-z0-9])?", fullmatch=True)
HOSTS = st.one_of(
    FREE_TEXT,
    st.lists(HOST_LABEL, min_size=1, max_size=4).map(".".join),
    st.from_regex(r"[a-zA-Z0-9.\-`*:/ ]{1,30}", fullmatch=True),
)


@PROPERTY_SETTINGS
@given(host=HOSTS)
def test_host_is_refused_or_appears_unchanged_in_the_ingress(host):
    data = profile_data("plain", "plain", "plain", "init")
    data["proxy"]["host"] = host
    with tempfile.TemporaryDirectory() as workdir:
        objects = render_text(data, Path(workdir))
    if objects is None:
        return
    main, redirect = find(objects, "Ingress")
    for ingress in (main, redirect):
        assert [rule["host"] for rule in ingress["spec"]["rules"]] == [host]
    assert main["spec"]["tls"] == [{"hosts": [host], "secretName": "items-api-tls"}]
