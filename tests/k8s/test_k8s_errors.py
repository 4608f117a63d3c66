"""Bad Kubernetes options: one line `error: FILE:LINE:COL: path: message`, exit 2, nothing written."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import run_cli

PARENT = """\
app: items-api
image: registry.example.com/acme/items-api:1.4.2
replicas: 2
health: {path: /healthz, readiness_path: /readyz}
proxy:
  host: api.example.com
  email: ops@example.com
"""
GATEWAY = "  routing: gateway\n  gateway: {name: platform, namespace: gateway-system}\n"

CASES = {
    "process-named-like-the-release-gate": (
        "k8s:\n  cluster_issuer: letsencrypt\n  prestart: job\n  network_policy: none\n"
        "prestart:\n  - name: migrate\n    command: [python, -m, app.migrate]\n"
        "processes:\n  release-wait:\n    command: [python, -m, app.worker]\n",
        "profile.yaml:10:3: processes.release-wait: 'release-wait' names an init container that waits for the "
        "release's Jobs (k8s.prestart: job); choose another name",
    ),
    # An HTTPRoute takes at most 16 hostnames (spec.hostnames, maxItems 16 in the Gateway API CRD): the API
    # server would refuse the route deploykit writes.
    "gateway-route-with-too-many-hosts": (
        "k8s:\n" + GATEWAY + "proxy:\n  aliases: [" + ", ".join(f"a{n}.example.com" for n in range(16)) + "]\n",
        "profile.yaml:6:3: proxy.aliases: HTTPRoute items-api would name 17 host names (proxy.host and "
        "proxy.aliases), and Gateway API's HTTPRoute takes at most 16 (spec.hostnames); route fewer names "
        "here, or use k8s.routing: ingress",
    ),
    "gateway-redirect-route-with-too-many-hosts": (
        "k8s:\n"
        + GATEWAY
        + "proxy:\n  aliases: ["
        + ", ".join(f"a{n}.example.com" for n in range(10))
        + "]\n  redirects: ["
        + ", ".join(f"r{n}.example.com" for n in range(7))
        + "]\n",
        "profile.yaml:7:3: proxy.redirects: HTTPRoute items-api-redirect would name 18 host names (every "
        "host name, answered on plain HTTP with a redirect to https), and Gateway API's HTTPRoute takes at most "
        "16 (spec.hostnames); route fewer names, or set k8s.gateway.http_section_name: none when the platform "
        "redirects plain HTTP itself",
    ),
    "gateway-missing": (
        "k8s:\n  routing: gateway\n",
        "profile.yaml:3:3: k8s.gateway: required with k8s.routing: gateway (the name and namespace of the Gateway the app's HTTPRoute attaches to)",
    ),
    "gateway-without-gateway-routing": (
        "k8s:\n  cluster_issuer: letsencrypt\n  gateway: {name: platform, namespace: gateway-system}\n",
        "profile.yaml:4:3: k8s.gateway: only used with k8s.routing: gateway",
    ),
    "ingress-class-with-gateway": (
        "k8s:\n" + GATEWAY + "  ingress_class: nginx\n",
        "profile.yaml:5:3: k8s.ingress_class: only used with k8s.routing: ingress",
    ),
    "ingress-pods-with-gateway": (
        "k8s:\n" + GATEWAY + "  network_policy: {ingress_namespace: ingress-nginx}\n",
        "profile.yaml:5:20: k8s.network_policy.ingress_namespace: only used with k8s.routing: ingress; with gateway "
        "the NetworkPolicy admits the Gateway's data plane (k8s.gateway.data_plane_namespace, k8s.gateway.data_plane_pod_labels)",
    ),
    "issuer-without-listener-set": (
        "k8s:\n" + GATEWAY + "  cluster_issuer: letsencrypt\n",
        "profile.yaml:5:3: k8s.cluster_issuer: not used with k8s.routing: gateway: the Gateway's listener holds the "
        "certificate; set k8s.gateway.listener_set: true for a certificate of the app's own",
    ),
    "listener-set-without-issuer": (
        "k8s:\n  routing: gateway\n  gateway: {name: platform, namespace: gateway-system, listener_set: true}\n",
        "profile.yaml:4:56: k8s.cluster_issuer: required with proxy.tls: acme and k8s.gateway.listener_set "
        "(the cert-manager ClusterIssuer that issues the ListenerSet's certificate)",
    ),
    "listener-set-without-tls": (
        "proxy: {host: api.example.com, tls: none}\n"
        "k8s:\n  routing: gateway\n  gateway: {name: platform, namespace: gateway-system, listener_set: true}\n",
        "profile.yaml:5:56: k8s.gateway.listener_set: a ListenerSet carries the app's certificate: it needs proxy.tls acme or provided",
    ),
    "same-listener-twice": (
        "k8s:\n  routing: gateway\n  gateway: {name: platform, namespace: gateway-system, http_section_name: https}\n",
        "profile.yaml:4:56: k8s.gateway.http_section_name: must differ from k8s.gateway.section_name: "
        "the plain-HTTP listener redirects, the HTTPS one serves",
    ),
    "gateway-name-not-a-name": (
        "k8s:\n  routing: gateway\n  gateway: {name: Platform, namespace: gateway-system}\n",
        "profile.yaml:4:13: k8s.gateway.name: 'Platform' is not a valid object name (lowercase letters, digits, '-' and '.')",
    ),
    "version-too-old": (
        'k8s:\n  cluster_issuer: letsencrypt\n  version: "1.28"\n',
        "profile.yaml:4:3: k8s.version: '1.28' is not a Kubernetes version deploykit renders for: write a minor "
        'version from 1.29 on, quoted, e.g. "1.31"',
    ),
    "sleep-action-before-1-34": (
        "k8s:\n  cluster_issuer: letsencrypt\n  pre_stop: sleep\n",
        "profile.yaml:4:3: k8s.pre_stop: the sleep action needs k8s.version 1.34 or later (k8s.version is 1.31); "
        "use exec, or raise k8s.version",
    ),
    "user-namespace-before-1-36": (
        'k8s:\n  cluster_issuer: letsencrypt\n  version: "1.35"\n  user_namespace: true\n',
        "profile.yaml:5:3: k8s.user_namespace: user namespaces need k8s.version 1.36 or later (k8s.version is 1.35)",
    ),
    "pull-secret-twice": (
        "k8s:\n  cluster_issuer: letsencrypt\n  image_pull_secrets: [registry, registry]\n",
        "profile.yaml:4:34: k8s.image_pull_secrets[1]: 'registry' is listed twice",
    ),
    "tmp-size-not-a-quantity": (
        "tmp_size: 1gb\nk8s:\n  cluster_issuer: letsencrypt\n",
        "profile.yaml:2:1: tmp_size: '1gb' is not a memory quantity; use Kubernetes syntax such as 256Mi or 1Gi "
        "(binary Ki/Mi/Gi/Ti or decimal k/M/G/T; note that a lowercase m would mean milli)",
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_input_is_one_located_line_and_nothing_is_written(case: str, tmp_path: Path):
    body, message = CASES[case]
    (tmp_path / "parent.yaml").write_text(PARENT, encoding="utf-8")
    (tmp_path / "profile.yaml").write_text("extends: parent.yaml\n" + body, encoding="utf-8")
    result = run_cli("render", "k8s", "-p", "profile.yaml", "-o", "out", cwd=tmp_path)
    assert (result.returncode, result.stdout, result.stderr) == (2, "", f"error: {message}\n")
    assert not (tmp_path / "out").exists()
