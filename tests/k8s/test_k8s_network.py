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


def _external(data: dict) -> list[tuple]:
    _, findings = objects_of(data)
    return [finding.path for finding in findings if finding.code == "external-egress"]


def test_env_urls_to_outside_the_cluster_are_warned_while_egress_is_closed():
    data = variant(
        "prod",
        env={
            "PAYMENTS_URL": "https://api.stripe.com/v1",
            "STORE_URL": "https://203.0.113.7:8443/bucket",
            # Inside the cluster: a Service's short name, <service>.<namespace> of a namespace the profile
            # names (its own), the cluster domains, loopback; and text that is no URL.
            "SEARCH_URL": "http://search:9200",
            "BILLING_URL": "http://billing.items:8080",
            "CACHE_URL": "redis://redis.cache.svc:6379/0",
            "QUEUE_URL": "amqp://rabbit.queue.svc.cluster.local",
            "SIDECAR_URL": "http://127.0.0.1:9000",
            "GREETING": "see https://example.com for more",
        },
        processes={"worker": {"command": ["python", "-m", "app.worker"], "env": {"HOOK": "https://hooks.example.net"}}},
    )
    assert _external(data) == [("env", "PAYMENTS_URL"), ("env", "STORE_URL"), ("processes", "worker", "env", "HOOK")]
    # An egress destination that covers the address and port silences it: a network holding the IP,
    # or (a name's address is not known here) any network on that port.
    data["network"] = {
        "egress": [{"cidr": "203.0.113.0/24", "ports": [8443]}, {"cidr": "198.51.100.0/24", "ports": [443]}]
    }
    assert _external(data) == []
    data["network"] = {"egress": [{"cidr": "198.51.100.0/24", "ports": [8443]}]}
    assert _external(data) == [("env", "PAYMENTS_URL"), ("env", "STORE_URL"), ("processes", "worker", "env", "HOOK")]
    data["k8s"]["network_policy"] = "none"
    assert _external(data) == []


def test_secrets_named_like_api_keys_or_addresses_are_warned_until_a_public_network_is_allowed():
    data = variant("prod")
    data["secrets"] = {
        "DATABASE_URL": {"secret": "items-db", "key": "url"},  # database-egress's, silenced by the database network
        "STRIPE_API_KEY": {"secret": "stripe", "key": "key"},
        "GITHUB_TOKEN": {"secret": "github", "key": "token"},
        "SENTRY_DSN": {"secret": "sentry", "key": "dsn"},
        "WEBHOOK_ENDPOINT": {"secret": "hooks", "key": "url"},
        # Credentials the app keeps to itself: no external service implied.
        "SECRET_KEY": {"secret": "app", "key": "signing"},
        "JWT_SECRET": {"secret": "app", "key": "jwt"},
    }
    expected = [("secrets", name) for name in ("GITHUB_TOKEN", "SENTRY_DSN", "STRIPE_API_KEY", "WEBHOOK_ENDPOINT")]
    assert _external(data) == expected  # prod's egress reaches the database network (private) only
    data["network"] = {"egress": [*data["network"]["egress"], {"cidr": "0.0.0.0/0", "ports": [443]}]}
    assert _external(data) == []


def test_urls_to_the_app_own_host_names_are_not_outside_services():
    # The app's public address in its own settings (trusted origins, links it writes, OAuth callbacks) names
    # no service the app connects to: only other hosts are warned.
    data = variant(
        "prod",
        proxy={**variant("prod")["proxy"], "aliases": ["www.example.com"], "redirects": ["old.example.com"]},
        env={
            "PUBLIC_URL": "https://api.example.com",
            "CSRF_TRUSTED_ORIGINS": "https://www.example.com",
            "OLD_SITE": "https://OLD.example.com./x",
            "PAYMENTS_URL": "https://api.stripe.com/v1",
        },
    )
    assert _external(data) == [("env", "PAYMENTS_URL")]
