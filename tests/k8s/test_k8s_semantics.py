"""What the Kubernetes objects mean: processes per pod, resources, prestart, availability, traffic, secrets."""

from __future__ import annotations

from k8s_support import IMAGE_AS_IS, INGRESS_ROUTING, bundled, find, objects_of, only, pod_spec, variant

from deploykit.report import Finding

HOOKS = {
    "argocd.argoproj.io/hook": "PreSync",
    "argocd.argoproj.io/hook-delete-policy": "BeforeHookCreation",
    "helm.sh/hook": "pre-install,pre-upgrade",
    "helm.sh/hook-delete-policy": "before-hook-creation",
}
TWO_STEPS = [
    {"name": "migrate", "command": ["alembic", "upgrade", "head"]},
    {"name": "seed", "command": ["python", "seed.py"], "image": "registry.example.com/acme/seeder:2.0.1"},
]


def app_container(objects: list[dict]) -> dict:
    (container,) = pod_spec(only(objects, "Deployment"))["containers"]
    return container


def env_of(container: dict) -> dict[str, dict]:
    return {entry["name"]: entry for entry in container["env"]}


def test_replicas_are_pods_of_one_process_each():
    profile = bundled("prod")
    objects, _ = objects_of(profile)
    deployment = only(objects, "Deployment")
    assert deployment["spec"]["replicas"] == profile.profile.replicas == 4
    container = app_container(objects)
    # One worker per pod, said explicitly (WEB_CONCURRENCY from anywhere cannot start more).
    assert container["args"] == [
        "fastapi",
        "run",
        "app/main.py",
        "--port",
        "8000",
        "--workers",
        "1",
        "--forwarded-allow-ips",
        "*",
    ]
    assert container["ports"] == [{"name": "http", "containerPort": 8000, "protocol": "TCP"}]


def test_resources_per_pod_are_the_per_process_values():
    container = app_container(objects_of(variant("prod", memory="1536Mi", cpu="1.5"))[0])
    expected = {"cpu": "1500m", "memory": "1536Mi"}
    assert container["resources"] == {"requests": expected, "limits": expected}


def test_probes_use_the_named_port_and_the_health_paths():
    container = app_container(objects_of(bundled("prod"))[0])
    # The public host as Host: the kubelet would send the pod's IP, which host-checking apps refuse.
    assert container["readinessProbe"]["httpGet"] == {
        "path": "/readyz",
        "port": "http",
        "scheme": "HTTP",
        "httpHeaders": [{"name": "Host", "value": "api.example.com"}],
    }
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    # startup_seconds 60 at one probe every 5 seconds.
    assert (container["startupProbe"]["periodSeconds"], container["startupProbe"]["failureThreshold"]) == (5, 12)


def test_init_containers_run_the_steps_in_order_hardened_like_the_app():
    objects, findings = objects_of(variant("prod", prestart=TWO_STEPS))
    spec = pod_spec(only(objects, "Deployment"))
    app = app_container(objects)
    steps = spec["initContainers"]
    assert [step["name"] for step in steps] == ["migrate", "seed"]
    assert [step["args"] for step in steps] == [["alembic", "upgrade", "head"], ["python", "seed.py"]]
    assert [step["image"] for step in steps] == [app["image"], "registry.example.com/acme/seeder:2.0.1"]
    for step in steps:
        assert step["securityContext"] == app["securityContext"]
        assert step["resources"] == app["resources"]
        assert step["env"] == app["env"]
        assert "command" not in step
    assert not find(objects, "Job")
    # Four pods run the steps concurrently: the report says so (beside prod's accepted proxy-keep-alive).
    assert [finding.path for finding in findings if finding.code != "proxy-keep-alive"] == [("prestart",)]


def jobs_of(**changes) -> list[dict]:
    objects, _ = objects_of(variant("staging", prestart=TWO_STEPS, **changes))
    # The web pods run no step themselves: they wait for the Jobs (the release gate, release.py).
    init = pod_spec(only(objects, "Deployment"))["initContainers"]
    assert [container["name"] for container in init] == ["release-wait", "release-check"]
    return find(objects, "Job")


def test_prestart_job_gives_one_hook_job_per_step_in_order():
    jobs = jobs_of()
    assert [job["spec"]["template"]["spec"]["containers"][0]["name"] for job in jobs] == ["migrate", "seed"]
    for wave, job in enumerate(jobs):
        annotations = job["metadata"]["annotations"]
        assert HOOKS.items() <= annotations.items()
        assert annotations["argocd.argoproj.io/sync-wave"] == annotations["helm.sh/hook-weight"] == str(wave)
        assert job["spec"]["template"]["spec"]["restartPolicy"] == "Never"
        assert job["metadata"]["labels"]["app.kubernetes.io/component"] == "prestart"


def test_hook_jobs_do_not_depend_on_objects_the_sync_creates_after_them():
    # PreSync / pre-install hooks run before the ServiceAccount exists on a first install.
    for job in jobs_of():
        assert "serviceAccountName" not in job["spec"]["template"]["spec"]
        assert job["spec"]["template"]["spec"]["automountServiceAccountToken"] is False


def job_names(**changes) -> list[str]:
    return [job["metadata"]["name"] for job in jobs_of(**changes)]


def test_job_names_are_per_release():
    first = job_names()
    assert all(name.startswith(f"items-api-{step}-") for name, step in zip(first, ["migrate", "seed"], strict=False))
    assert job_names() == first
    changed = job_names(image="registry.example.com/acme/items-api:1.4.3")
    # A new release is a new Job for every step: the first runs the new image, and the second, which
    # names its own image, still carries the release's version label in its (immutable) template.
    assert changed[0] != first[0]
    assert changed[1] != first[1]
    assert job_names(env={"LOG_LEVEL": "debug"})[0] != first[0]


def test_pdb_never_blocks_a_drain_and_a_single_pod_is_reported():
    objects, findings = objects_of(bundled("dev"))
    pdb = only(objects, "PodDisruptionBudget")
    assert pdb["spec"]["maxUnavailable"] == 1
    assert "minAvailable" not in pdb["spec"]
    assert pdb["spec"]["selector"] == only(objects, "Deployment")["spec"]["selector"]
    assert (
        Finding(
            "k8s",
            ("replicas",),
            "a single pod: every node drain or node restart takes the app down; use 2 or more for availability",
            "single-replica",
        )
        in findings
    )


def test_no_single_pod_warning_with_several_replicas():
    _, findings = objects_of(bundled("prod"))
    assert not [finding for finding in findings if finding.path == ("replicas",)]


def ingress_prod(**changes) -> dict:
    """The prod profile routed by an Ingress of the traefik class."""
    k8s = {**INGRESS_ROUTING, **changes.pop("k8s", {})}
    return variant("prod", k8s=k8s, **changes)


def test_ingress_for_acme_has_a_tls_secret_and_the_cert_manager_issuer():
    ingress = find(objects_of(ingress_prod())[0], "Ingress")[0]
    assert ingress["spec"]["ingressClassName"] == "traefik"
    assert ingress["spec"]["tls"] == [{"hosts": ["api.example.com"], "secretName": "items-api-tls"}]
    assert ingress["metadata"]["annotations"]["cert-manager.io/cluster-issuer"] == "letsencrypt-prod"
    (rule,) = ingress["spec"]["rules"]
    assert rule["host"] == "api.example.com"
    assert rule["http"]["paths"] == [
        {"path": "/", "pathType": "Prefix", "backend": {"service": {"name": "items-api", "port": {"name": "http"}}}}
    ]


def test_ingress_for_provided_tls_uses_the_given_secret_and_no_issuer():
    profile = ingress_prod(
        proxy={"tls": "provided", "email": None}, k8s={"tls_secret": "items-api-cert", "cluster_issuer": None}
    )
    ingress = find(objects_of(profile)[0], "Ingress")[0]
    assert ingress["spec"]["tls"] == [{"hosts": ["api.example.com"], "secretName": "items-api-cert"}]
    assert not [key for key in ingress["metadata"].get("annotations", {}) if key.startswith("cert-manager.io/")]


def test_ingress_without_tls_is_plain_http_and_reported():
    objects, findings = objects_of(bundled("dev"))
    ingress = only(objects, "Ingress")
    assert "tls" not in ingress["spec"]
    assert not [key for key in ingress["metadata"].get("annotations", {}) if key.startswith("cert-manager.io/")]
    assert Finding("k8s", ("proxy", "tls"), "the Ingress serves plain HTTP, without TLS", "plain-http") in findings


def test_no_proxy_host_means_no_ingress():
    assert not find(objects_of(variant("dev", proxy=None))[0], "Ingress")


def test_network_policy_admits_only_the_ingress_controller_and_allows_dns_and_declared_egress():
    policy = only(objects_of(ingress_prod())[0], "NetworkPolicy")["spec"]
    assert policy["podSelector"] == {
        "matchLabels": {"app.kubernetes.io/name": "items-api", "app.kubernetes.io/instance": "items-api"}
    }
    assert policy["policyTypes"] == ["Ingress", "Egress"]
    assert policy["ingress"] == [
        {
            "from": [
                {
                    "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "traefik"}},
                    "podSelector": {"matchLabels": {"app.kubernetes.io/name": "traefik"}},
                }
            ],
            "ports": [{"protocol": "TCP", "port": "http"}],
        }
    ]
    dns, database = policy["egress"]
    assert dns["to"][0]["podSelector"] == {"matchLabels": {"k8s-app": "kube-dns"}}
    assert dns["ports"] == [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}]
    assert database == {"to": [{"ipBlock": {"cidr": "10.20.0.0/16"}}], "ports": [{"protocol": "TCP", "port": 5432}]}


def test_network_policy_also_covers_migration_job_pods():
    jobs = jobs_of()
    policy = only(objects_of(bundled("staging"))[0], "NetworkPolicy")["spec"]
    for job in jobs:
        assert policy["podSelector"]["matchLabels"].items() <= job["spec"]["template"]["metadata"]["labels"].items()


def test_autoscaling_adds_an_hpa_and_leaves_replicas_to_it():
    objects, _findings = objects_of(
        variant("prod", k8s={"autoscaling": {"min_replicas": 3, "max_replicas": 8, "cpu_utilization": 65}})
    )
    deployment = only(objects, "Deployment")
    assert "replicas" not in deployment["spec"]
    hpa = only(objects, "HorizontalPodAutoscaler")["spec"]
    assert hpa["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": "items-api"}
    assert (hpa["minReplicas"], hpa["maxReplicas"]) == (3, 8)
    assert hpa["metrics"][0]["resource"] == {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 65}}
    assert not find(objects_of(bundled("prod"))[0], "HorizontalPodAutoscaler")


def test_secrets_are_secret_key_references_never_values():
    container = app_container(
        objects_of(
            variant(
                "prod",
                secrets={
                    "DATABASE_URL": {"secret": "items-db", "key": "url"},
                    "API_TOKEN": {"secret": "items-api", "key": "token"},
                },
            )
        )[0]
    )
    env = env_of(container)
    assert env["DATABASE_URL"] == {
        "name": "DATABASE_URL",
        "valueFrom": {"secretKeyRef": {"name": "items-db", "key": "url"}},
    }
    assert env["API_TOKEN"] == {
        "name": "API_TOKEN",
        "valueFrom": {"secretKeyRef": {"name": "items-api", "key": "token"}},
    }
    assert [entry["name"] for entry in container["env"]] == sorted(env)


def test_secret_files_are_one_projected_volume_every_container_mounts():
    objects = objects_of(
        variant(
            "prod",
            secrets={
                "DATABASE_URL": {"secret": "items-db", "key": "url"},
                "DATABASE_URL_COPY": {"secret": "items-db", "key": "url"},
                "API_TOKEN": {"secret": "items-api", "key": "token"},
            },
            secrets_as="file",
        )
    )[0]
    deployment = only(objects, "Deployment")
    spec = pod_spec(deployment)
    assert spec["volumes"][1] == {
        "name": "secrets",
        "projected": {
            "defaultMode": 0o440,
            "sources": [
                {"secret": {"name": "items-api", "items": [{"key": "token", "path": "items-api__token"}]}},
                {"secret": {"name": "items-db", "items": [{"key": "url", "path": "items-db__url"}]}},
            ],
        },
    }
    # The files are the pod group's (fsGroup is the app's uid) and nobody else's.
    assert spec["securityContext"]["fsGroup"] == 10001
    for container in [*spec["initContainers"], *spec["containers"]]:
        assert container["volumeMounts"][1] == {"name": "secrets", "mountPath": "/run/secrets", "readOnly": True}
        env = env_of(container)
        assert not any("valueFrom" in entry for entry in env.values())
        assert env["API_TOKEN_FILE"]["value"] == "/run/secrets/items-api__token"
        assert (
            env["DATABASE_URL_FILE"]["value"] == env["DATABASE_URL_COPY_FILE"]["value"] == "/run/secrets/items-db__url"
        )
        assert "DATABASE_URL" not in env


def test_the_app_trusts_forwarded_headers_from_the_proxy():
    assert env_of(app_container(objects_of(bundled("prod"))[0]))["FORWARDED_ALLOW_IPS"] == {
        "name": "FORWARDED_ALLOW_IPS",
        "value": "*",
    }
    narrowed = variant("prod", k8s={"forwarded_allow_ips": "10.42.0.0/16"})
    assert env_of(app_container(objects_of(narrowed)[0]))["FORWARDED_ALLOW_IPS"]["value"] == "10.42.0.0/16"


def test_every_object_lives_in_the_profile_namespace_with_the_recommended_labels():
    for obj in objects_of(bundled("prod"))[0]:
        assert obj["metadata"]["namespace"] == "items"
        labels = obj["metadata"]["labels"]
        assert labels["app.kubernetes.io/name"] == labels["app.kubernetes.io/instance"] == "items-api"
        assert labels["app.kubernetes.io/managed-by"] == "deploykit"
        assert labels["app.kubernetes.io/version"] == "1.4.2"


def test_rolling_update_never_drops_below_the_replica_count():
    deployment = only(objects_of(bundled("prod"))[0], "Deployment")
    assert deployment["spec"]["strategy"] == {
        "type": "RollingUpdate",
        "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0},
    }


def test_prestart_job_names_follow_every_change_to_their_immutable_spec():
    """A Job's pod template is immutable: whatever changes in it must give the Job a new name."""

    def job_names(**changes) -> list[str]:
        objects, _ = objects_of(variant("staging", **changes))
        return [obj["metadata"]["name"] for obj in find(objects, "Job")]

    same = job_names()
    assert same == job_names() and len(same) == 1
    assert job_names(tmp_size="2Gi") != same
    assert job_names(env={"LOG_LEVEL": "debug"}) != same
    assert job_names(image="registry.example.com/acme/items-api:1.4.3") != same


def test_an_image_as_it_is_keeps_its_command_and_user_beside_writable_emptydirs():
    objects, findings = objects_of(variant("prod", **IMAGE_AS_IS))
    spec = pod_spec(only(objects, "Deployment"))
    app = spec["containers"][0]
    assert "args" not in app and "command" not in app
    assert spec["securityContext"] == {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}}
    context = app["securityContext"]
    assert "runAsUser" not in context and context["runAsNonRoot"] is True
    assert context["readOnlyRootFilesystem"] is False
    assert [mount["mountPath"] for mount in app["volumeMounts"]] == [
        "/tmp",
        "/var/cache/app",
        "/var/run/app",
        "/var/lib/app",
    ]
    assert [volume["name"] for volume in spec["volumes"]] == ["tmp", "writable-0", "writable-1", "data-0"]
    assert [finding.code for finding in findings if finding.code == "writable-root"] == ["writable-root"]


def test_volumes_are_claims_mounted_into_one_pod_updated_with_recreate():
    objects, _ = objects_of(variant("prod", **IMAGE_AS_IS))
    claim = only(objects, "PersistentVolumeClaim")
    assert claim["metadata"]["name"] == "items-api-data"
    assert claim["spec"] == {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "5Gi"}}}
    deployment = only(objects, "Deployment")
    assert deployment["spec"]["strategy"] == {"type": "Recreate"} and deployment["spec"]["replicas"] == 1
    spec = pod_spec(deployment)
    assert {"name": "data-0", "persistentVolumeClaim": {"claimName": "items-api-data"}} in spec["volumes"]
    for container in [*spec.get("initContainers", []), *spec["containers"]]:
        assert {"name": "data-0", "mountPath": "/var/lib/app"} in container["volumeMounts"]
    # A claim comes before the Deployment that mounts it.
    kinds = [obj["kind"] for obj in objects]
    assert kinds.index("PersistentVolumeClaim") < kinds.index("Deployment")
