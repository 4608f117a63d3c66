"""Talking to a Kubernetes cluster, for `deploykit diff k8s` and `deploykit apply k8s` only.

Nothing else may import this package: the `kubernetes` client takes about a second to import, and
`render` must never pay for it (tests/cluster/test_cluster_import_cost.py holds that line).
"""
