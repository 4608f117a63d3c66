"""Extra ports: container and Service ports by name, reachable from the namespace and listed namespaces only."""

from __future__ import annotations

import kubernetes_validate
from k8s_support import objects_of

PROFILE = {
    "app": "items-api",
    "image": "registry.example.com/acme/items-api:1.4.2",
    "ports": [{"name": "metrics", "port": 9090}],
    "k8s": {"network_policy": {"extra_ports_from": ["monitoring"]}},
}


def objects_by_kind() -> dict[str, dict]:
    return {obj["kind"]: obj for obj in objects_of(PROFILE)[0]}


def test_extra_ports_on_container_and_service():
    objects = objects_by_kind()
    container = objects["Deployment"]["spec"]["template"]["spec"]["containers"][0]
    assert container["ports"][1] == {"name": "metrics", "containerPort": 9090, "protocol": "TCP"}
    assert objects["Service"]["spec"]["ports"][1] == {
        "name": "metrics",
        "port": 9090,
        "targetPort": "metrics",
        "protocol": "TCP",
    }
    for obj in objects.values():
        kubernetes_validate.validate(obj, "1.37", strict=True)


def test_extra_ports_reachable_from_the_namespace_and_listed_namespaces_only():
    ingress = objects_by_kind()["NetworkPolicy"]["spec"]["ingress"]
    assert ingress[0]["ports"] == [{"protocol": "TCP", "port": "http"}]
    assert ingress[1] == {
        "from": [
            {"podSelector": {}},
            {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "monitoring"}}},
        ],
        "ports": [{"protocol": "TCP", "port": "metrics"}],
    }
