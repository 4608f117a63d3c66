"""Without `command` the image's own ENTRYPOINT and CMD run unchanged on every target."""

from __future__ import annotations

from pathlib import Path

from helpers import run_cli
from ruamel.yaml import YAML

BASE = """\
app: web
image: registry.example.com/acme/web:1.0.0
health: {path: /healthz, readiness_path: /readyz}
proxy: {host: web.example.com, tls: acme, email: ops@example.com}
k8s: {cluster_issuer: letsencrypt}
nomad: {forwarded_allow_ips: 10.0.0.0/8}
"""


def _render(tmp_path: Path, target: str, extra: str = "") -> tuple[int, str, str]:
    (tmp_path / "profile.yaml").write_text(BASE + extra)
    result = run_cli("render", target, "-p", "profile.yaml", cwd=tmp_path)
    return result.returncode, result.stdout, result.stderr


def test_kubernetes_sets_neither_command_nor_args(tmp_path: Path):
    code, out, err = _render(tmp_path, "k8s")
    assert code == 0, err
    deployment = next(d for d in YAML(typ="safe", pure=True).load_all(out) if d and d["kind"] == "Deployment")
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    assert "args" not in container and "command" not in container
    # A generic server: the port and process count in the environment.
    assert {"name": "PORT", "value": "8000"} in container["env"]


def test_compose_sets_no_command(tmp_path: Path):
    code, out, err = _render(tmp_path, "compose")
    assert code == 0, err
    service = YAML(typ="safe", pure=True).load(out)["services"]["web"]
    assert "command" not in service and "entrypoint" not in service
    assert service["environment"]["PORT"] == "8000"


def test_nomad_sets_neither_command_nor_args(tmp_path: Path):
    code, out, err = _render(tmp_path, "nomad")
    assert code == 0, err
    config = out.split('task "web" {', 1)[1].split("config {", 1)[1].split("}", 1)[0]
    assert "image" in config and "command" not in config and "args" not in config


def test_a_python_server_without_a_command_is_refused_with_the_fix(tmp_path: Path):
    code, out, err = _render(tmp_path, "k8s", "server: gunicorn\n")
    assert (code, out) == (2, "")
    assert err == (
        "error: profile.yaml:7:1: server: gunicorn needs a command: deploykit appends gunicorn's flags to it; "
        "give `command` (exec form, starting gunicorn), or remove `server` to run the image's own ENTRYPOINT/CMD "
        "as a generic server\n"
    )


def test_compose_refuses_secret_variables_without_a_command(tmp_path: Path):
    secrets = "secrets:\n  API_TOKEN: {secret: web, key: token}\n"
    code, out, err = _render(tmp_path, "compose", secrets)
    assert (code, out) == (2, "")
    assert "error: profile.yaml:7:1: secrets_as: without `command`, Compose cannot export secrets" in err
    assert "set secrets_as: file" in err
    code, out, err = _render(tmp_path, "compose", secrets + "secrets_as: file\n")
    assert code == 0, err
    service = YAML(typ="safe", pure=True).load(out)["services"]["web"]
    assert "entrypoint" not in service and service["environment"]["API_TOKEN_FILE"] == "/run/secrets/web__token"


def test_explain_names_the_images_own_command(tmp_path: Path):
    (tmp_path / "profile.yaml").write_text(BASE)
    result = run_cli("explain", "-p", "profile.yaml", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "fastapi run" not in result.stdout
    assert result.stdout.count("the image's own ENTRYPOINT/CMD (no command given)") == 4


def test_explain_says_whose_user_and_which_paths_are_writable(tmp_path: Path):
    (tmp_path / "profile.yaml").write_text(BASE + "run_as: image\nwritable_paths: [/var/cache/web]\n")
    result = run_cli("explain", "-p", "profile.yaml", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    section = result.stdout.split("user and file system:\n", 1)[1].splitlines()
    assert section == [
        "  compose  web runs as the image's own USER (run_as: image), with a read-only root file system; "
        "writable: /tmp, /var/cache/web (tmpfs, emptied on restart)",
        "  k8s      web runs as the image's own USER (run_as: image), which must be a numeric non-root uid: "
        "runAsNonRoot makes the kubelet refuse root or a user name, with a read-only root file system; "
        "writable: /tmp, /var/cache/web (emptyDir, emptied on restart)",
        "  nomad    web runs as the image's own USER (run_as: image), with a read-only root file system; "
        "writable: /tmp, /var/cache/web (tmpfs, emptied on restart)",
        "  quadlet  web runs as the image's own USER (run_as: image), with a read-only root file system; "
        "writable: /tmp, /var/cache/web (tmpfs, emptied on restart)",
    ]


def test_writable_paths_are_refused_over_deploykits_own_mounts(tmp_path: Path):
    code, out, err = _render(tmp_path, "k8s", "writable_paths: [/var/cache, /tmp/x, /var/cache, /run/secrets]\n")
    assert (code, out) == (2, "")
    assert err.splitlines() == [
        "error: profile.yaml:7:30: writable_paths[1]: /tmp/x is inside a mount deploykit makes already (/tmp, secrets)",
        "error: profile.yaml:7:38: writable_paths[2]: /var/cache is listed twice",
        "error: profile.yaml:7:50: writable_paths[3]: /run/secrets is inside a mount deploykit makes already (/tmp, secrets)",
    ]


def test_volumes_need_one_replica_on_clusters_and_compose_only_volumes_are_warned_about(tmp_path: Path):
    extra = "replicas: 2\nvolumes:\n  data: {path: /data, size: 1Gi}\n"
    for target in ("k8s", "nomad"):
        code, out, err = _render(tmp_path, target, extra)
        assert (code, out) == (2, ""), err
        assert "error: profile.yaml:7:1: replicas: a volume is one copy of the data, attached to one node" in err
    code, out, err = _render(tmp_path, "compose", extra)
    assert code == 0, err
    assert "[compose volume-size-not-enforced]" in err
    code, out, err = _render(tmp_path, "k8s", "compose:\n  volumes: {data: /data}\n")
    assert code == 0
    assert "compose.volumes: Compose's volumes only: Kubernetes mounts none of them" in err
    assert "[k8s volume-not-carried]" in err


PUBLISHED = """\
app: web
image: registry.example.com/acme/web:1.0.0
port: 3000
health: {check: tcp}
publish: {port: 8080}
"""


def test_publish_without_the_proxy_on_every_target(tmp_path: Path):
    (tmp_path / "profile.yaml").write_text(PUBLISHED)
    outputs = {
        target: run_cli("render", target, "-p", "profile.yaml", cwd=tmp_path) for target in ("compose", "k8s", "nomad")
    }
    assert all(output.returncode == 0 for output in outputs.values()), {t: o.stderr for t, o in outputs.items()}
    project = YAML(typ="safe", pure=True).load(outputs["compose"].stdout)
    assert "traefik" not in project["services"]
    assert project["services"]["web"]["ports"] == [{"target": 3000, "published": "8080", "protocol": "tcp"}]
    assert "no-route" not in outputs["compose"].stderr
    objects = list(YAML(typ="safe", pure=True).load_all(outputs["k8s"].stdout))
    service = next(obj for obj in objects if obj and obj["kind"] == "Service")
    assert service["spec"]["type"] == "LoadBalancer"
    assert service["spec"]["ports"][0] == {"name": "http", "port": 8080, "targetPort": "http", "protocol": "TCP"}
    policy = next(obj for obj in objects if obj and obj["kind"] == "NetworkPolicy")
    assert policy["spec"]["ingress"][0] == {"ports": [{"protocol": "TCP", "port": "http"}]}
    assert "static = 8080\n        to = 3000" in outputs["nomad"].stdout


def test_publish_is_refused_with_a_proxy_host_and_outside_the_node_port_range(tmp_path: Path):
    (tmp_path / "profile.yaml").write_text(PUBLISHED + "proxy: {host: web.example.com, tls: acme}\n")
    result = run_cli("validate", "-p", "profile.yaml", cwd=tmp_path)
    assert result.returncode == 2
    assert (
        "publish: publish is for apps behind a load balancer of their own, proxy.host for deploykit's proxy: choose one"
        in result.stderr
    )
    (tmp_path / "profile.yaml").write_text(PUBLISHED.replace("{port: 8080}", "{port: 8080, kubernetes: NodePort}"))
    result = run_cli("render", "k8s", "-p", "profile.yaml", cwd=tmp_path)
    assert result.returncode == 2
    assert "publish.port: 8080 is outside the default NodePort range (30000-32767)" in result.stderr


def test_explain_says_where_persistent_data_lives_and_why_kubernetes_recreates(tmp_path: Path):
    (tmp_path / "profile.yaml").write_text(BASE + "volumes:\n  data: {path: /data, size: 1Gi}\n")
    result = run_cli("explain", "-p", "profile.yaml", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    section = result.stdout.split("user and file system:\n", 1)[1]
    assert "; persistent: /data (named volume data)\n" in section
    assert (
        "; persistent: /data (PersistentVolumeClaim web-data), ReadWriteOnce: one pod, updated with Recreate "
        "(the volume attaches to one node, so the old pod stops before the new one starts)\n"
    ) in section
    assert "; persistent: /data (host volume data of the node running it)\n" in section
