"""Gateway API routing (`k8s.routing: gateway`): HTTPRoutes on the platform's Gateway, the redirect,
the ListenerSet with the app's certificate, and the NetworkPolicy that admits the Gateway's pods."""

from __future__ import annotations

from helpers import load_data
from k8s_support import bundled, find, objects_of, only, variant

from deploykit import traefik
from deploykit.report import Finding

GATEWAY = {"name": "platform", "namespace": "gateway-system"}
PARENT = {"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": "platform", "namespace": "gateway-system"}
HEADERS = {
    "type": "ResponseHeaderModifier",
    "responseHeaderModifier": {
        "set": [
            {"name": "X-Content-Type-Options", "value": "nosniff"},
            {"name": "X-Frame-Options", "value": "DENY"},
            {"name": "Referrer-Policy", "value": "strict-origin-when-cross-origin"},
            {"name": "Strict-Transport-Security", "value": "max-age=31536000; includeSubDomains"},
        ]
    },
}


def gateway_prod(gateway: dict | None = None, **k8s) -> dict:
    """The prod profile on the Gateway, without a ListenerSet unless asked: the platform's listener has the certificate."""
    options = {"gateway": {**GATEWAY, **(gateway or {})}, "cluster_issuer": None, **k8s}
    return variant("prod", k8s=options)


def routes(objects: list[dict]) -> dict[str, dict]:
    return {route["metadata"]["name"]: route for route in find(objects, "HTTPRoute")}


def test_the_app_route_attaches_to_the_https_listener_and_sends_the_service_port():
    objects, findings = objects_of(gateway_prod())
    app = routes(objects)["items-api"]
    assert app["apiVersion"] == "gateway.networking.k8s.io/v1"
    assert app["metadata"]["namespace"] == "items"
    assert app["spec"] == {
        "parentRefs": [{**PARENT, "sectionName": "https"}],
        "hostnames": ["api.example.com"],
        "rules": [
            {
                "matches": [{"path": {"type": "PathPrefix", "value": "/"}}],
                "filters": [HEADERS],
                # Gateway API takes the Service's port number (no names), the Service's port 80.
                "backendRefs": [{"group": "", "kind": "Service", "name": "items-api", "port": 80}],
            }
        ],
    }
    service_ports = only(objects, "Service")["spec"]["ports"]
    assert service_ports[0] == {"name": "http", "port": 80, "targetPort": "http", "protocol": "TCP"}
    assert not find(objects, "Ingress") and not find(objects, "ListenerSet") and not find(objects, "Middleware")
    assert not [finding for finding in findings if finding.path[:1] in (("proxy",), ("k8s",))]


def test_plain_http_is_redirected_by_a_route_on_the_http_listener():
    redirect = routes(objects_of(gateway_prod())[0])["items-api-redirect"]
    assert redirect["spec"] == {
        "parentRefs": [{**PARENT, "sectionName": "http"}],
        "hostnames": ["api.example.com"],
        "rules": [
            {
                "matches": [{"path": {"type": "PathPrefix", "value": "/"}}],
                "filters": [{"type": "RequestRedirect", "requestRedirect": {"scheme": "https", "statusCode": 301}}],
            }
        ],
    }


def test_listener_names_are_configurable_and_the_redirect_can_be_left_to_the_platform():
    named = routes(objects_of(gateway_prod({"section_name": "websecure", "http_section_name": "web"}))[0])
    assert named["items-api"]["spec"]["parentRefs"][0]["sectionName"] == "websecure"
    assert named["items-api-redirect"]["spec"]["parentRefs"][0]["sectionName"] == "web"
    assert list(routes(objects_of(gateway_prod({"http_section_name": None}))[0])) == ["items-api"]


def test_plain_http_serves_the_app_on_the_http_listener_without_hsts_and_is_reported():
    objects, findings = objects_of(
        variant("dev", k8s={"routing": "gateway", "gateway": GATEWAY}),
    )
    (route,) = find(objects, "HTTPRoute")
    assert route["spec"]["parentRefs"] == [{**PARENT, "sectionName": "http"}]
    headers = route["spec"]["rules"][0]["filters"][0]["responseHeaderModifier"]["set"]
    assert [header["name"] for header in headers] == ["X-Content-Type-Options", "X-Frame-Options", "Referrer-Policy"]
    assert Finding("k8s", ("proxy", "tls"), "the HTTPRoute serves plain HTTP, without TLS", "plain-http") in findings


def test_the_route_sends_the_headers_traefik_sends_on_compose_and_nomad():
    for data in (gateway_prod(), variant("dev", k8s={"routing": "gateway", "gateway": GATEWAY})):
        loaded = load_data(data)
        route = routes(objects_of(loaded)[0])["items-api"]
        sent = route["spec"]["rules"][0]["filters"][0]["responseHeaderModifier"]["set"]
        assert [(header["name"], header["value"]) for header in sent] == traefik.security_response_headers(
            loaded.profile
        )


def test_bundled_prod_brings_its_certificate_in_a_listener_set_issued_by_cert_manager():
    objects, _ = objects_of(bundled("prod"))
    listener_set = only(objects, "ListenerSet")
    assert listener_set["metadata"]["annotations"] == {"cert-manager.io/cluster-issuer": "letsencrypt-prod"}
    assert listener_set["spec"] == {
        # ParentGatewayReference has no sectionName: a ListenerSet adds listeners to the whole Gateway.
        "parentRef": PARENT,
        "listeners": [
            {
                "name": "https",
                "hostname": "api.example.com",
                "port": 443,
                "protocol": "HTTPS",
                "tls": {
                    "mode": "Terminate",
                    "certificateRefs": [{"group": "", "kind": "Secret", "name": "items-api-tls"}],
                },
                "allowedRoutes": {"namespaces": {"from": "Same"}},
            }
        ],
    }
    found = routes(objects)
    # A route that names the Gateway never attaches to a ListenerSet's listeners (GEP-1713).
    assert found["items-api"]["spec"]["parentRefs"] == [
        {"group": "gateway.networking.k8s.io", "kind": "ListenerSet", "name": "items-api", "sectionName": "https"}
    ]
    assert found["items-api-redirect"]["spec"]["parentRefs"] == [{**PARENT, "sectionName": "http"}]
    kinds = [obj["kind"] for obj in objects]
    assert kinds.index("ListenerSet") < kinds.index("HTTPRoute"), "the ListenerSet is applied before its route"


def test_listener_set_with_a_provided_certificate_names_the_given_secret_and_no_issuer():
    profile = variant(
        "prod",
        proxy={"tls": "provided", "email": None},
        k8s={
            "cluster_issuer": None,
            "tls_secret": "items-api-cert",
            "gateway": {**GATEWAY, "listener_set": True, "https_port": 8443},
        },
    )
    listener_set = only(objects_of(profile)[0], "ListenerSet")
    assert "annotations" not in listener_set["metadata"]
    (listener,) = listener_set["spec"]["listeners"]
    assert listener["port"] == 8443
    assert listener["tls"]["certificateRefs"] == [{"group": "", "kind": "Secret", "name": "items-api-cert"}]


def test_network_policy_admits_the_gateway_data_plane_by_its_standard_label():
    (rule, *_) = only(objects_of(gateway_prod())[0], "NetworkPolicy")["spec"]["ingress"]
    assert rule == {
        "from": [
            {
                "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "gateway-system"}},
                "podSelector": {"matchLabels": {"gateway.networking.k8s.io/gateway-name": "platform"}},
            }
        ],
        "ports": [{"protocol": "TCP", "port": "http"}],
    }
    traefik_pods = gateway_prod(
        {"data_plane_namespace": "traefik", "data_plane_pod_labels": {"app.kubernetes.io/name": "traefik"}}
    )
    (rule, *_) = only(objects_of(traefik_pods)[0], "NetworkPolicy")["spec"]["ingress"]
    assert rule["from"] == [
        {
            "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "traefik"}},
            "podSelector": {"matchLabels": {"app.kubernetes.io/name": "traefik"}},
        }
    ]


def test_no_proxy_host_means_no_routes():
    objects, _ = objects_of(variant("prod", proxy=None, k8s={"gateway": None, "cluster_issuer": None}))
    assert not find(objects, "HTTPRoute") and not find(objects, "ListenerSet")


def test_init_scaffolds_gateway_routing(tmp_path):
    from helpers import run_cli
    from k8s_support import parse_stream

    assert (
        run_cli("init", "--app", "shop", "--image", "registry.example.com/team/shop:2.0.1", cwd=tmp_path).returncode
        == 0
    )
    result = run_cli("render", "k8s", "--env", "prod", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    kinds = [document["kind"] for document in parse_stream(result.stdout)]
    assert kinds.count("HTTPRoute") == 2 and "Ingress" not in kinds
