"""Processes and scheduled jobs beside the web server, on every target, checked with the real tools:
strict Kubernetes schemas, the real Compose CLI, yacron's own configuration check, HCL parsing."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import kubernetes_validate
import pytest
from helpers import render_data, run_cli
from tooling import missing, resolved

from deploykit.errors import DeployKitError
from deploykit.targets.nomad.job import PRESTART_RUNNER

YACRON = Path("/opt/deploykit-yacron/bin/yacron")
MEBIBYTE = 2**20
CUSTOM_GROUPS = {"traefik.io", "gateway.networking.k8s.io"}

# The profile: web + worker + scheduled job + migration.
PROFILE = {
    "app": "shop",
    "image": "registry.example.com/acme/shop:2.1.0",
    "command": ["gunicorn", "shop.wsgi:application"],
    "replicas": 2,
    "memory": "256Mi",
    "prestart": [{"name": "migrate", "command": ["python", "manage.py", "migrate", "--noinput"]}],
    "env": {"LOG_LEVEL": "info"},
    "secrets": {"DATABASE_URL": {"secret": "shop-db", "key": "url"}},
    "processes": {
        "worker": {
            "command": ["celery", "-A", "shop", "worker", "--concurrency", "2"],
            "replicas": 2,
            "memory": "512Mi",
            "cpu": "500m",
        }
    },
    "cron": {
        "clearsessions": {
            "schedule": "17 3 * * *",
            "command": ["python", "manage.py", "clearsessions"],
            "timezone": "Europe/Kyiv",
            "timeout_seconds": 600,
            "env": {"LOG_LEVEL": "warning"},
        }
    },
    "proxy": {"host": "shop.example.com", "tls": "acme", "email": "ops@example.com"},
    "k8s": {"cluster_issuer": "letsencrypt"},
    "nomad": {"forwarded_allow_ips": "10.0.0.0/8"},
}


def _objects(data: dict) -> list[dict]:
    return list(render_data(data, "k8s").rendering.objects)


def test_kubernetes_runs_a_deployment_per_process_and_a_cronjob_per_job():
    objects = _objects(PROFILE)
    by_name = {(obj["kind"], obj["metadata"]["name"]): obj for obj in objects}
    worker = by_name[("Deployment", "shop-worker")]
    assert worker["spec"]["replicas"] == 2
    pod = worker["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    assert container["args"] == ["celery", "-A", "shop", "worker", "--concurrency", "2"]
    assert "ports" not in container and "readinessProbe" not in container
    assert container["resources"]["limits"] == {"cpu": "500m", "memory": "512Mi"}
    web = by_name[("Deployment", "shop")]["spec"]["template"]["spec"]
    # The same identity and hardening as the web pods.
    assert pod["securityContext"] == web["securityContext"]
    assert container["securityContext"] == web["containers"][0]["securityContext"]
    assert {e["name"] for e in container["env"]} == {"LOG_LEVEL", "DATABASE_URL"}
    # No Service selects the worker; a PDB does, since it has 2 pods.
    service = by_name[("Service", "shop")]
    assert service["spec"]["selector"]["app.kubernetes.io/component"] == "server"
    assert by_name[("PodDisruptionBudget", "shop-worker")]["spec"]["selector"] == worker["spec"]["selector"]
    # The NetworkPolicy admits traffic to named ports only, and the worker's pods declare none.
    policy = by_name[("NetworkPolicy", "shop")]
    assert all(isinstance(port["port"], str) for rule in policy["spec"]["ingress"] for port in rule["ports"])
    cron = by_name[("CronJob", "shop-clearsessions")]["spec"]
    assert {key: cron[key] for key in ("schedule", "timeZone", "concurrencyPolicy", "startingDeadlineSeconds")} == {
        "schedule": "17 3 * * *",
        "timeZone": "Europe/Kyiv",
        "concurrencyPolicy": "Forbid",
        "startingDeadlineSeconds": 300,
    }
    job = cron["jobTemplate"]["spec"]
    assert job["activeDeadlineSeconds"] == 600
    job_container = job["template"]["spec"]["containers"][0]
    assert {e["name"]: e.get("value") for e in job_container["env"]}["LOG_LEVEL"] == "warning"
    for version in ("1.31", "1.37"):
        for obj in objects:
            # Built-in kinds; custom resources (Traefik, Gateway API) are checked against their CRDs in tests/k8s.
            if obj["apiVersion"].split("/")[0] not in CUSTOM_GROUPS:
                kubernetes_validate.validate(obj, version, strict=True)


def test_a_single_worker_gets_no_disruption_budget():
    data = {**PROFILE, "processes": {"worker": {"command": ["celery", "worker"]}}}
    assert ("PodDisruptionBudget", "shop-worker") not in {
        (obj["kind"], obj["metadata"]["name"]) for obj in _objects(data)
    }


def _compose(tmp_path: Path, data: dict) -> dict:
    rendering = render_data(data, "compose").rendering
    for file in rendering.files:
        (tmp_path / file.path).write_text(file.content)
    return resolved(tmp_path / "compose.yaml")


def test_compose_runs_processes_and_one_scheduler_that_the_real_cli_accepts(tmp_path: Path):
    project = _compose(tmp_path, PROFILE)
    worker = project["services"]["worker"]
    assert worker["command"] == ["celery", "-A", "shop", "worker", "--concurrency", "2"]
    assert worker["deploy"]["replicas"] == 2
    assert worker["deploy"]["resources"]["limits"]["memory"] == str(512 * MEBIBYTE)
    assert worker["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert worker["healthcheck"] == {"disable": True}
    assert "labels" not in worker and "ports" not in worker
    scheduler = project["services"]["scheduler"]
    assert scheduler["command"] == ["/opt/deploykit/yacron/bin/yacron", "-c", "/etc/deploykit/cron.yaml"]
    assert scheduler["image"] == PROFILE["image"]
    assert scheduler["init"] is True
    assert scheduler["environment"] == {"LOG_LEVEL": "info"}
    # yacron runs with the secrets exported, as the app does, and its jobs inherit them.
    assert scheduler["entrypoint"] == worker["entrypoint"] == project["services"]["shop"]["entrypoint"]
    assert scheduler["secrets"] == [{"source": "shop-db__url", "target": "/run/secrets/shop-db__url"}]
    # Memory for yacron itself and every job running at once.
    assert scheduler["deploy"]["resources"]["limits"]["memory"] == str((64 + 256) * MEBIBYTE)
    assert "replicas" not in scheduler["deploy"]


def test_yacron_accepts_the_rendered_schedule(tmp_path: Path):
    if not os.access(YACRON, os.X_OK):
        missing(f"yacron is not installed at {YACRON} (scripts/setup-machine.sh installs it in its own venv)")
    (tmp_path / "cron.yaml").write_text(
        next(file.content for file in render_data(PROFILE, "compose").rendering.files if file.path == "cron.yaml")
    )
    result = subprocess.run(
        [str(YACRON), "-c", str(tmp_path / "cron.yaml"), "-v"], capture_output=True, text=True, timeout=60
    )
    assert (result.returncode, result.stderr.strip()) == (0, "INFO:yacron:Configuration is valid.")
    # A field yacron does not know is refused by the same check, so the check proves something.
    (tmp_path / "bad.yaml").write_text((tmp_path / "cron.yaml").read_text().replace("timezone:", "time_zone:"))
    assert (
        subprocess.run(
            [str(YACRON), "-c", str(tmp_path / "bad.yaml"), "-v"], capture_output=True, timeout=60
        ).returncode
        != 0
    )


def test_nomad_runs_a_group_per_process_and_a_periodic_job_per_schedule(parse_hcl_files):
    jobs = parse_hcl_files(render_data(PROFILE, "nomad").rendering)
    assert sorted(jobs) == ["shop", "shop-clearsessions"]
    groups = {name: body for entry in jobs["shop"]["group"] for name, body in entry.items()}
    assert list(groups) == ["shop", "worker"]
    assert groups["worker"]["count"] == 2
    assert "network" not in groups["worker"] and "service" not in groups["worker"]
    periodic = jobs["shop-clearsessions"]
    assert periodic["type"] == "batch"
    assert periodic["periodic"] == [{"crons": ["17 3 * * *"], "prohibit_overlap": True, "time_zone": "Europe/Kyiv"}]


@pytest.fixture
def parse_hcl_files(parse_hcl):
    def parse(rendering) -> dict[str, dict]:
        jobs = {}
        for file in rendering.files:
            if not file.path.endswith(".nomad.hcl"):  # the ACL policy
                continue
            ((name, body),) = parse_hcl(file.content)["job"][0].items()
            jobs[name] = body
        return jobs

    return parse


@pytest.fixture(scope="session")
def parse_hcl():
    import hcl2

    options = hcl2.SerializationOptions(strip_string_quotes=True, explicit_blocks=False)

    def parse(text: str) -> dict:
        parsed = hcl2.loads(text, serialization_options=options)
        parsed.pop("__comments__", None)
        return parsed

    return parse


def test_nomad_runs_several_steps_in_order_in_one_task(parse_hcl):
    steps = [
        {"name": "migrate", "command": ["python", "manage.py", "migrate"]},
        {"name": "seed", "command": ["python", "-m", "seed", "it's"]},
    ]
    rendering = render_data({**PROFILE, "prestart": steps}, "nomad").rendering
    job = parse_hcl(rendering.files[0].content)["job"][0]["shop"]
    tasks = {name: body for entry in job["group"][0]["shop"]["task"] for name, body in entry.items()}
    prestart = tasks["prestart"]
    assert prestart["lifecycle"] == [{"hook": "prestart", "sidecar": False}]
    assert prestart["config"][0]["command"] == "/bin/sh"
    # The runner traps SIGTERM as PID 1 (tests/nomad/test_prestart_signals.py runs it), then each step, quoted.
    assert prestart["config"][0]["args"] == [
        "-c",
        f"{PRESTART_RUNNER}; step python manage.py migrate; step python -m seed 'it'\"'\"'s'",
    ]


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("schedule", "*/15 * * * * *", "'*/15 * * * * *' has 6 fields; write the five standard ones"),
        ("schedule", "@every 5m", "'@every 5m' is not a cron schedule; write the five fields"),
        ("schedule", "@daily", "write @daily as its five fields, '0 0 * * *', which every target reads alike"),
        ("schedule", "61 * * * *", "'61 * * * *': '61' is not a valid minute"),
        ("schedule", "0 0 * 13 *", "'0 0 * 13 *': '13' is not a valid month"),
        ("schedule", "0 0 * * mon-fri", None),
        ("timezone", "Mars/Olympus", "'Mars/Olympus' is not an IANA time zone name"),
    ],
)
def test_schedules_and_time_zones_are_checked(field: str, value: str, message: str | None):
    job = {**PROFILE["cron"]["clearsessions"], field: value}
    data = {**PROFILE, "cron": {"clearsessions": job}}
    if message is None:
        render_data(data, "k8s")
        return
    with pytest.raises(DeployKitError) as caught:
        render_data(data, "k8s")
    assert f"cron.clearsessions.{field}: " in str(caught.value)
    assert message in str(caught.value)


@pytest.mark.parametrize(
    ("target", "extra", "message"),
    [
        (
            "k8s",
            "processes: {shop: {command: [celery, worker]}}",
            "profile.yaml:3:13: processes.shop: 'shop' is also the name of the app: processes, jobs, steps and the app share one namespace",
        ),
        (
            "k8s",
            "processes: {server: {command: [celery, worker]}}",
            "profile.yaml:3:13: processes.server: 'server' labels the web server's pods (app.kubernetes.io/component); choose another name",
        ),
        (
            "compose",
            "processes: {scheduler: {command: [celery, worker]}}\ncron: {tick: {schedule: '* * * * *', command: [tick]}}",
            "profile.yaml:3:13: processes.scheduler: process name 'scheduler' is also the Compose service of the scheduler that runs the cron jobs; rename the process",
        ),
        (
            "compose",
            "cron: {tick: {schedule: '* * * * *', command: [tick], image: registry.example.com/tools:1.0}}",
            "profile.yaml:3:55: cron.tick.image: the yacron scheduler runs every scheduled job inside its container, which runs the app's image; give the job the app's image, or set compose.scheduler: systemd (each job in a container of its own image)",
        ),
        (
            "nomad",
            "prestart: [{name: a, command: [a]}, {name: b, command: [b], image: registry.example.com/tools:1.0}]",
            "profile.yaml:3:1: prestart: Nomad starts every prestart task at once, so the steps run in order inside one task, which needs one image; give every step the same image",
        ),
    ],
)
def test_names_and_images_each_target_cannot_run(tmp_path: Path, target: str, extra: str, message: str):
    (tmp_path / "profile.yaml").write_text("app: shop\nimage: registry.example.com/acme/shop:2.1.0\n" + extra + "\n")
    result = run_cli("render", target, "-p", "profile.yaml", "-o", "out", cwd=tmp_path)
    assert (result.returncode, result.stdout, result.stderr) == (2, "", f"error: {message}\n")
    assert not (tmp_path / "out").exists()


def test_the_image_installs_yacron_only_when_there_are_jobs():
    with_jobs = render_data(PROFILE, "dockerfile").rendering.stdout
    assert (
        "RUN python -m venv /opt/deploykit/yacron \\\n    && /opt/deploykit/yacron/bin/pip install --no-cache-dir yacron==0.19.0\n"
        in with_jobs
    )
    without = render_data({**PROFILE, "cron": {}}, "dockerfile").rendering.stdout
    assert "yacron" not in without


def test_explain_lists_processes_and_jobs_with_their_instances_and_memory(tmp_path: Path):
    # JSON is YAML: the profile is written as it is.
    (tmp_path / "p.yaml").write_text(json.dumps(PROFILE))
    result = run_cli("explain", "-p", "p.yaml", "--format", "json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    concepts = json.loads(result.stdout)["concepts"]
    assert concepts["replication"]["k8s"].endswith(
        "; processes: worker 2 pods; scheduled: clearsessions at 17 3 * * * (Europe/Kyiv) by a CronJob"
    )
    assert concepts["replication"]["compose"].endswith(
        "; processes: worker 2 containers; scheduled: clearsessions at 17 3 * * * (Europe/Kyiv) by the scheduler service (yacron)"
    )
    assert concepts["memory"]["nomad"].endswith("; clearsessions 256 MiB per run, worker 512 MiB per allocation")
