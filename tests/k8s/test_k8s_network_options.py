"""The NetworkPolicy's options: turned off with `none`, cluster DNS where the cluster really has it (pods
elsewhere, NodeLocal DNSCache, GKE Cloud DNS), UDP destinations; and the Gateway's redirect route
turned off with `http_section_name: none`, in a file and through --set alike."""

from __future__ import annotations

import copy
from typing import Any

import kubernetes_validate
from helpers import render_data, run_cli

BASE: dict[str, Any] = {
    "app": "items-api",
    "image": "registry.example.com/acme/items-api:1.4.2",
    "replicas": 2,
    "proxy": {"host": "api.example.com", "tls": "acme", "email": "ops@example.com"},
    "k8s": {"cluster_issuer": "letsencrypt"},
}
GATEWAY: dict[str, Any] = {
    **BASE,
    "k8s": {"routing": "gateway", "gateway": {"name": "platform", "namespace": "gateway-system"}},
}


def objects(data: dict[str, Any]) -> list[dict]:
    found = list(render_data(data, "k8s").rendering.objects)
    for obj in found:
        if obj["apiVersion"].startswith(("networking.k8s.io", "apps", "batch", "v1")):
            kubernetes_validate.validate(obj, "1.31", strict=True)
    return found


def policy_of(data: dict[str, Any]) -> dict:
    (policy,) = [obj for obj in objects(data) if obj["kind"] == "NetworkPolicy"]
    return policy["spec"]


def with_policy(**options: Any) -> dict[str, Any]:
    data = copy.deepcopy(BASE)
    data["k8s"]["network_policy"] = options
    return data


def test_none_renders_no_network_policy_and_still_routes():
    data = copy.deepcopy(BASE)
    data["k8s"]["network_policy"] = "none"
    kinds = [obj["kind"] for obj in objects(data)]
    assert "NetworkPolicy" not in kinds and "Deployment" in kinds and "Ingress" in kinds


def test_none_in_a_profile_file_and_through_set(tmp_path):
    (tmp_path / "p.yaml").write_text(
        "app: items-api\nimage: registry.example.com/items-api:1.0.0\nreplicas: 2\n"
        "proxy: {host: items.localhost, tls: none}\nk8s: {network_policy: none}\n"
    )
    result = run_cli("render", "k8s", "-p", "p.yaml", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "kind: NetworkPolicy" not in result.stdout
    (tmp_path / "q.yaml").write_text((tmp_path / "p.yaml").read_text().replace("k8s: {network_policy: none}\n", ""))
    assert "kind: NetworkPolicy" in run_cli("render", "k8s", "-p", "q.yaml", cwd=tmp_path).stdout
    result = run_cli("render", "k8s", "-p", "q.yaml", "--set", "k8s.network_policy=none", cwd=tmp_path)
    assert result.returncode == 0 and "kind: NetworkPolicy" not in result.stdout


def test_dns_is_reachable_over_udp_and_tcp_where_the_cluster_has_it():
    default = policy_of(BASE)["egress"][0]
    assert default["ports"] == [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}]
    assert default["to"] == [
        {
            "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}},
            "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}},
        }
    ]
    local = policy_of(
        with_policy(dns_namespace="dns", dns_pod_labels={"app": "coredns"}, dns_cidrs=["169.254.20.10/32"])
    )["egress"][0]
    assert local["to"] == [
        {
            "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "dns"}},
            "podSelector": {"matchLabels": {"app": "coredns"}},
        },
        {"ipBlock": {"cidr": "169.254.20.10/32"}},
    ]
    assert local["ports"] == default["ports"]


def test_destinations_may_allow_udp():
    data = copy.deepcopy(BASE)
    data["network"] = {"egress": [{"cidr": "10.30.0.0/16", "ports": [443], "protocols": ["TCP", "UDP"]}]}
    assert policy_of(data)["egress"][1] == {
        "to": [{"ipBlock": {"cidr": "10.30.0.0/16"}}],
        "ports": [{"protocol": "TCP", "port": 443}, {"protocol": "UDP", "port": 443}],
    }


def routes(data: dict[str, Any]) -> list[dict]:
    return [obj for obj in objects(data) if obj["kind"] == "HTTPRoute"]


def test_the_redirect_route_is_turned_off_with_none_in_a_file_and_through_set(tmp_path):
    assert [r["metadata"]["name"] for r in routes(GATEWAY)] == ["items-api", "items-api-redirect"]
    off = copy.deepcopy(GATEWAY)
    off["k8s"]["gateway"]["http_section_name"] = "none"
    assert [r["metadata"]["name"] for r in routes(off)] == ["items-api"]
    (tmp_path / "p.yaml").write_text(
        "app: items-api\nimage: registry.example.com/items-api:1.0.0\nreplicas: 2\n"
        "proxy: {host: api.example.com, tls: acme, email: ops@example.com}\n"
        "k8s: {routing: gateway, gateway: {name: platform, namespace: gw, http_section_name: none}}\n"
    )
    result = run_cli("render", "k8s", "-p", "p.yaml", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "sectionName: none" not in result.stdout and "items-api-redirect" not in result.stdout
    (tmp_path / "q.yaml").write_text((tmp_path / "p.yaml").read_text().replace(", http_section_name: none", ""))
    result = run_cli("render", "k8s", "-p", "q.yaml", "--set", "k8s.gateway.http_section_name=none", cwd=tmp_path)
    assert result.returncode == 0 and "items-api-redirect" not in result.stdout


def test_plain_http_without_the_listener_attaches_to_the_whole_gateway():
    data = copy.deepcopy(GATEWAY)
    data["proxy"] = {"host": "items.localhost", "tls": "none"}
    data["k8s"]["gateway"]["http_section_name"] = "none"
    (route,) = routes(data)
    assert route["spec"]["parentRefs"] == [
        {"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": "platform", "namespace": "gateway-system"}
    ]


def _ingress_peers(data: dict[str, Any]) -> list[dict]:
    return policy_of(data)["ingress"][0]["from"]


def _with_class(ingress_class: str, **policy: Any) -> dict[str, Any]:
    data = with_policy(**policy)
    data["k8s"]["ingress_class"] = ingress_class
    return data


def _codes(data: dict[str, Any]) -> set[str]:
    return {finding.code for finding in render_data(data, "k8s").findings}


def test_the_nginx_class_admits_ingress_nginx_controller_pods():
    """ingress-nginx's chart, installed as its docs say: namespace ingress-nginx, IngressClass nginx, controller
    pods labelled with the chart's name and the controller component."""
    data = _with_class("nginx")
    assert _ingress_peers(data) == [
        {
            "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "ingress-nginx"}},
            "podSelector": {
                "matchLabels": {"app.kubernetes.io/component": "controller", "app.kubernetes.io/name": "ingress-nginx"}
            },
        }
    ]
    assert "ingress-controller-unknown" not in _codes(data)


def test_an_unknown_class_warns_until_its_controller_is_named():
    data = _with_class("haproxy")
    assert "ingress-controller-unknown" in _codes(data)
    named = _with_class("haproxy", ingress_namespace="haproxy-controller")
    assert "ingress-controller-unknown" not in _codes(named)
    # A namespace alone admits every pod of it; labels narrow it.
    assert _ingress_peers(named) == [
        {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "haproxy-controller"}}, "podSelector": {}}
    ]
    labelled = _with_class(
        "haproxy",
        ingress_namespace="haproxy-controller",
        ingress_pod_labels={"app.kubernetes.io/name": "kubernetes-ingress"},
    )
    assert _ingress_peers(labelled)[0]["podSelector"] == {
        "matchLabels": {"app.kubernetes.io/name": "kubernetes-ingress"}
    }
    # Without a NetworkPolicy nothing needs the controller's pods.
    off = _with_class("haproxy")
    off["k8s"]["network_policy"] = "none"
    assert "ingress-controller-unknown" not in _codes(off)


def test_traefik_stays_the_default_class_and_controller():
    assert _ingress_peers(BASE) == [
        {
            "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "traefik"}},
            "podSelector": {"matchLabels": {"app.kubernetes.io/name": "traefik"}},
        }
    ]
    assert "ingress-controller-unknown" not in _codes(BASE)


def _keep_alive(command: list[str], **k8s: Any) -> tuple[list[dict], set[str]]:
    data = copy.deepcopy(BASE)
    data["command"] = command
    data["k8s"] |= k8s
    rendered = render_data(data, "k8s")
    return list(rendered.rendering.objects), {finding.code for finding in rendered.findings}


FASTAPI = ["fastapi", "run", "app/main.py"]
UVICORN = ["uvicorn", "app.main:app"]


def test_traefik_drops_idle_connections_before_fastapi_run_does():
    """`fastapi run` has no keep-alive flag (uvicorn's 5 s): the traefik class gets a ServersTransport
    with a 4 s idle timeout, as Traefik gets on Compose and Nomad; a server deploykit gives 95 s needs none."""
    found, codes = _keep_alive(FASTAPI)
    (transport,) = [obj for obj in found if obj["kind"] == "ServersTransport"]
    assert transport["spec"] == {"forwardingTimeouts": {"idleConnTimeout": "4s"}}
    (service,) = [obj for obj in found if obj["kind"] == "Service"]
    assert service["metadata"]["annotations"] == {
        "traefik.ingress.kubernetes.io/service.serverstransport": "items-api-items-api-transport@kubernetescrd"
    }
    assert "proxy-keep-alive" not in codes
    found, codes = _keep_alive(UVICORN)
    assert not [obj for obj in found if obj["kind"] == "ServersTransport"] and "proxy-keep-alive" not in codes


def test_a_proxy_deploykit_does_not_configure_gets_a_warning_instead():
    for k8s in (
        {"ingress_class": "nginx"},
        {"routing": "gateway", "gateway": GATEWAY["k8s"]["gateway"], "cluster_issuer": None},
    ):
        found, codes = _keep_alive(FASTAPI, **k8s)
        assert "proxy-keep-alive" in codes, k8s
        assert not [obj for obj in found if obj["kind"] == "ServersTransport"]
        assert "proxy-keep-alive" not in _keep_alive(UVICORN, **k8s)[1], k8s


def test_settings_of_a_policy_turned_off_are_reported_as_ignored():
    off = with_policy(enabled=False, dns_cidrs=["169.254.20.10/32"], egress=[{"cidr": "10.0.0.0/8", "ports": [5432]}])
    findings = render_data(off, "k8s").findings
    ignored = sorted(".".join(map(str, finding.path)) for finding in findings if finding.code == "not-rendered")
    assert ignored == ["k8s.network_policy.dns_cidrs", "k8s.network_policy.egress"]
    assert "NetworkPolicy" not in [obj["kind"] for obj in objects(off)]
    # `none` drops the settings with the policy: nothing to report.
    data = copy.deepcopy(BASE)
    data["k8s"]["network_policy"] = "none"
    assert "not-rendered" not in _codes(data)
