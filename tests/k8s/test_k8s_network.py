"""`network:` on Kubernetes: who may call the app (NetworkPolicy ingress) and where it may connect
(egress), for public and internal apps, and the warning for a database the pods cannot reach."""

from __future__ import annotations

from k8s_support import objects_of, only, variant

PROXY_PODS = {
    "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "gateway-system"}},
    "podSelector": {"matchLabels": {"gateway.networking.k8s.io/gateway-name": "platform"}},
}
DNS_PORTS = [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}]


def policy_of(data: dict) -> dict:
    return only(objects_of(data)[0], "NetworkPolicy")["spec"]


def http_callers(policy: dict) -> list[dict]:
    (rule,) = [rule for rule in policy["ingress"] if rule["ports"] == [{"protocol": "TCP", "port": "http"}]]
    return rule["from"]


def test_callers_are_admitted_beside_the_proxy():
    policy = policy_of(
        variant(
            "prod",
            network={
                "callers": [
                    {"namespace": "storefront"},
                    {"namespace": "reports", "pod_labels": {"app.kubernetes.io/name": "exporter"}},
                    {"pod_labels": {"app.kubernetes.io/name": "admin"}},
                    # Another target's caller: nothing on Kubernetes.
                    {"compose_network": "storefront"},
                ]
            },
        )
    )
    assert http_callers(policy) == [
        PROXY_PODS,
        {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "storefront"}}, "podSelector": {}},
        {
            "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "reports"}},
            "podSelector": {"matchLabels": {"app.kubernetes.io/name": "exporter"}},
        },
        # Without a namespace: pods of the app's own namespace.
        {"podSelector": {"matchLabels": {"app.kubernetes.io/name": "admin"}}},
    ]


def test_an_internal_app_admits_its_own_namespace_unless_callers_are_named():
    # Before, an app without a proxy admitted only the proxy's pods: nothing could reach its Service.
    assert http_callers(policy_of(variant("prod", proxy=None))) == [{"podSelector": {}}]
    named = variant("prod", proxy=None, network={"callers": [{"namespace": "storefront"}]})
    assert http_callers(policy_of(named)) == [
        {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "storefront"}}, "podSelector": {}}
    ]


def test_egress_reaches_networks_and_pods_of_both_lists():
    policy = policy_of(
        variant(
            "prod",
            network={
                "egress": [
                    {"cidr": "10.20.0.0/16", "ports": [5432]},
                    {"namespace": "cache", "pod_labels": {"app.kubernetes.io/name": "redis"}, "ports": [6379]},
                ]
            },
            k8s={"network_policy": {"egress": [{"cidr": "203.0.113.0/24", "ports": [443]}]}},
        )
    )
    dns, *rest = policy["egress"]
    assert dns["ports"] == DNS_PORTS
    assert rest == [
        {"to": [{"ipBlock": {"cidr": "10.20.0.0/16"}}], "ports": [{"protocol": "TCP", "port": 5432}]},
        {
            "to": [
                {
                    "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "cache"}},
                    "podSelector": {"matchLabels": {"app.kubernetes.io/name": "redis"}},
                }
            ],
            "ports": [{"protocol": "TCP", "port": 6379}],
        },
        # k8s.network_policy.egress: destinations of the Kubernetes pods only, after the shared ones.
        {"to": [{"ipBlock": {"cidr": "203.0.113.0/24"}}], "ports": [{"protocol": "TCP", "port": 443}]},
    ]


def test_a_database_secret_without_egress_is_warned():
    _, findings = objects_of(variant("prod", network={"egress": []}))
    assert [str(finding) for finding in findings if finding.code == "database-egress"] == [
        "secrets.DATABASE_URL: DATABASE_URL reads like a database address, and the NetworkPolicy lets the pods reach "
        "only cluster DNS: add the database's network (cidr) or pods (namespace, pod_labels) and port to "
        "network.egress [k8s database-egress]"
    ]
    # Any destination silences it: deploykit cannot tell which one is the database.
    _, findings = objects_of(variant("prod"))
    assert not [finding for finding in findings if finding.code == "database-egress"]
    no_database = variant("prod", network={"egress": []})
    no_database["secrets"] = {"API_TOKEN": {"secret": "api", "key": "token"}}
    _, findings = objects_of(no_database)
    assert not [finding for finding in findings if finding.code == "database-egress"]
