"""explain's HTTPS row for Kubernetes: which object routes the host, which terminates TLS with whose
certificate, what redirects plain HTTP, and whether trusting every proxy address is safe."""

from __future__ import annotations

import pytest
from helpers import load_data
from k8s_support import INGRESS_ROUTING, variant

from deploykit import pipeline
from deploykit.explain import explain

GATEWAY = {"name": "platform", "namespace": "gateway-system"}
TRUST_ALL = (
    "; the app trusts X-Forwarded-* from any address (*), which is safe only where the cluster enforces "
    "NetworkPolicy: otherwise set k8s.forwarded_allow_ips to the pod CIDR"
)


def https_row(data) -> str:
    summary = pipeline.render(load_data(data), "k8s").rendering.summary
    assert summary is not None
    return explain(summary)["https"]


@pytest.mark.parametrize(
    ("data", "sentence"),
    [
        (
            variant("prod"),
            "HTTPRoute items-api routes api.example.com through ListenerSet items-api (listener https) on Gateway "
            "gateway-system/platform, which terminates TLS with Secret items-api-tls, issued by cert-manager "
            "ClusterIssuer letsencrypt-prod; HTTPRoute items-api-redirect redirects http to https",
        ),
        (
            variant("prod", k8s={"gateway": GATEWAY, "cluster_issuer": None}),
            "HTTPRoute items-api routes api.example.com through Gateway gateway-system/platform (listener https), "
            "which terminates TLS with the certificate the platform gave that listener; HTTPRoute items-api-redirect "
            "redirects http to https",
        ),
        (
            variant("dev", k8s={"routing": "gateway", "gateway": {**GATEWAY, "http_section_name": None}}),
            "HTTPRoute items-api routes items.localhost through Gateway gateway-system/platform over plain HTTP",
        ),
        (
            variant("prod", k8s=INGRESS_ROUTING),
            "Ingress items-api (class traefik) routes api.example.com and terminates TLS with Secret items-api-tls, "
            "issued by cert-manager ClusterIssuer letsencrypt-prod; Ingress items-api-redirect redirects http to https",
        ),
        (
            variant("prod", k8s={**INGRESS_ROUTING, "ingress_class": "nginx"}),
            "Ingress items-api (class nginx) routes api.example.com and terminates TLS with Secret items-api-tls, "
            "issued by cert-manager ClusterIssuer letsencrypt-prod",
        ),
        (
            variant("prod", proxy=None, k8s={"gateway": None, "cluster_issuer": None}),
            "no Ingress or HTTPRoute: reachable inside the cluster only, through Service items-api",
        ),
    ],
    ids=["listener-set", "gateway-listener", "plain-http", "traefik-ingress", "other-ingress", "internal"],
)
def test_the_https_row_names_the_router_the_certificate_and_the_redirect(data, sentence):
    assert https_row(data) == sentence + TRUST_ALL


def test_a_narrowed_trust_list_is_named_without_the_warning():
    row = https_row(variant("prod", k8s={"forwarded_allow_ips": "10.244.0.0/16"}))
    assert row.endswith("; the app trusts X-Forwarded-* from 10.244.0.0/16")


NAMES = {"aliases": ["www.api.example.com"], "redirects": ["old-api.example.com"], "path_prefix": "/v1"}
MOVED = (
    "; old-api.example.com answered under /v1 with a permanent redirect to api.example.com, keeping the path and query"
)


@pytest.mark.parametrize(
    ("data", "sentence"),
    [
        (
            variant("prod", proxy={**variant("prod")["proxy"], **NAMES, "strip_prefix": True}),
            "HTTPRoute items-api routes api.example.com, www.api.example.com under /v1 through ListenerSet items-api "
            "(listener https) on Gateway gateway-system/platform, which terminates TLS with Secret items-api-tls, "
            "issued by cert-manager ClusterIssuer letsencrypt-prod; HTTPRoute items-api-redirect redirects http to "
            f"https{MOVED}; the app sees paths without /v1 (/v1/x arrives as /x)",
        ),
        (
            variant("prod", k8s=INGRESS_ROUTING, proxy={**variant("prod")["proxy"], **NAMES}),
            "Ingress items-api (class traefik) routes api.example.com/v1, www.api.example.com/v1 and terminates TLS "
            "with Secret items-api-tls, issued by cert-manager ClusterIssuer letsencrypt-prod; Ingress "
            f"items-api-redirect redirects http to https{MOVED}; the app sees the full path, /v1 included",
        ),
    ],
    ids=["gateway", "traefik-ingress"],
)
def test_the_https_row_names_every_host_the_prefix_and_the_redirected_hosts(data, sentence):
    assert https_row(data) == sentence + TRUST_ALL
