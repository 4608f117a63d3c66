"""Identity and availability: ServiceAccount, PodDisruptionBudget, HorizontalPodAutoscaler."""

from __future__ import annotations

from typing import TYPE_CHECKING

from deploykit.targets.k8s.meta import metadata, selector_labels

if TYPE_CHECKING:
    from deploykit.spec.model import Profile


def build_service_account(profile: Profile) -> dict:
    """The app's own ServiceAccount, with no API token mounted: the app never calls the Kubernetes API."""
    return {
        "apiVersion": "v1",
        "kind": "ServiceAccount",
        "metadata": metadata(profile, profile.app),
        "automountServiceAccountToken": False,
    }


def build_pod_disruption_budget(profile: Profile) -> dict:
    """A PodDisruptionBudget letting drains evict one pod at a time.

    maxUnavailable: 1 never blocks a node drain, whatever the replica count (minAvailable == replicas would).
    """
    return {
        "apiVersion": "policy/v1",
        "kind": "PodDisruptionBudget",
        "metadata": metadata(profile, profile.app),
        "spec": {
            "maxUnavailable": 1,
            "unhealthyPodEvictionPolicy": "AlwaysAllow",
            "selector": {"matchLabels": selector_labels(profile)},
        },
    }


def build_autoscaler(profile: Profile) -> dict | None:
    """A HorizontalPodAutoscaler on CPU utilization, or None without `k8s.autoscaling`.

    It owns the replica count: the Deployment leaves `spec.replicas` out (workload.py), or every apply
    would reset the count the autoscaler chose.
    """
    autoscaling = profile.k8s.autoscaling
    if autoscaling is None:
        return None
    return {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": metadata(profile, profile.app),
        "spec": {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": profile.app},
            "minReplicas": autoscaling.min_replicas,
            "maxReplicas": autoscaling.max_replicas,
            "metrics": [
                {
                    "type": "Resource",
                    "resource": {
                        "name": "cpu",
                        "target": {"type": "Utilization", "averageUtilization": autoscaling.cpu_utilization},
                    },
                }
            ],
            "behavior": _behavior(profile),
        },
    }


def _behavior(profile: Profile) -> dict:
    """Scale up at the autoscaler's default pace; scale down only after a stable window, a share per minute.

    CPU use of a web app swings with traffic: without a window, a lull removes pods that the next burst
    needs, and the new pods then spend their startup time out of rotation.
    """
    autoscaling = profile.k8s.autoscaling
    assert autoscaling is not None
    return {
        "scaleDown": {
            "stabilizationWindowSeconds": autoscaling.scale_down_stabilization_seconds,
            "selectPolicy": "Max",
            "policies": [{"type": "Percent", "value": autoscaling.scale_down_percent_per_minute, "periodSeconds": 60}],
        }
    }
