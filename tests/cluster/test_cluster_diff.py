"""What the diff ignores when comparing live and applied objects."""

from __future__ import annotations

from deploykit.cluster.diff import comparable


def test_comparable_drops_what_the_server_and_other_tools_write():
    live = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {
            "name": "shop",
            "namespace": "shop",
            "uid": "6f1c",
            "resourceVersion": "812",
            "generation": 3,
            "creationTimestamp": "2025-01-01T00:00:00Z",
            "managedFields": [{"manager": "deploykit", "operation": "Apply"}],
            "annotations": {"kubectl.kubernetes.io/last-applied-configuration": "{}", "team": "web"},
            "labels": {"b": "2", "a": "1"},
        },
        "spec": {"type": "ClusterIP", "clusterIP": "10.0.0.7"},
        "status": {"loadBalancer": {}},
    }
    assert comparable(live) == {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {
            "annotations": {"team": "web"},
            "labels": {"a": "1", "b": "2"},
            "name": "shop",
            "namespace": "shop",
        },
        "spec": {"clusterIP": "10.0.0.7", "type": "ClusterIP"},
    }
    assert list(comparable(live)["metadata"]["labels"]) == ["a", "b"], "keys sorted so both sides line up"
    assert live["metadata"]["uid"] == "6f1c", "the caller's object is left alone"


def test_an_annotation_map_holding_only_last_applied_disappears():
    obj = {
        "kind": "ServiceAccount",
        "metadata": {"name": "shop", "annotations": {"kubectl.kubernetes.io/last-applied-configuration": "{}"}},
    }
    assert comparable(obj) == {"kind": "ServiceAccount", "metadata": {"name": "shop"}}
