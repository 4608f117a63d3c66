"""Every rendered unit set through Podman's own Quadlet generator (Debian 13's, podman 5.4) and systemd's
verifier: the generator must accept every key (exit 0, no `unsupported key`), and systemd must load
every generated service and timer."""

from __future__ import annotations

import copy
import re

import pytest
from helpers import bundled, render_data
from quadlet_support import dry_run, generate, generated_services, systemd_words, verify, write

from deploykit import pipeline

# Web + worker + a scheduled job + a migration, with TLS from ACME.
PROFILE = {
    "app": "shop",
    "image": "registry.example.com/acme/shop:2.1.0",
    "command": ["gunicorn", "shop.wsgi:application"],
    "replicas": 2,
    "memory": "256Mi",
    "prestart": [
        {"name": "migrate", "command": ["python", "manage.py", "migrate", "--noinput"]},
        {"name": "collectstatic", "command": ["python", "manage.py", "collectstatic"]},
    ],
    "env": {"LOG_LEVEL": "info"},
    "secrets": {"DATABASE_URL": {"secret": "shop-db", "key": "url"}},
    "processes": {
        "worker": {"command": ["celery", "-A", "shop", "worker"], "replicas": 2, "memory": "512Mi", "cpu": "500m"}
    },
    "cron": {
        "clearsessions": {
            "schedule": "17 3 * * *",
            "command": ["python", "manage.py", "clearsessions"],
            "timezone": "Europe/Kyiv",
            "timeout_seconds": 600,
        },
        "report": {"schedule": "0 6 1,15 * mon", "command": ["python", "manage.py", "report"]},
    },
    "proxy": {"host": "shop.example.com", "tls": "acme", "email": "ops@example.com"},
    "labels": {"team": "shop"},
}


def _variant(**changes) -> dict:
    data = copy.deepcopy(PROFILE)
    for dotted, value in changes.items():
        node = data
        *parents, leaf = dotted.split("__")
        for part in parents:
            node = node.setdefault(part, {})
        if value is None:
            node.pop(leaf, None)
        else:
            node[leaf] = value
    return data


VARIANTS = {
    "full": PROFILE,
    "secrets-as-file": _variant(secrets_as="file"),
    "podman-5.5": _variant(quadlet__podman_version="5.5"),
    "provided-tls": _variant(
        proxy={
            "host": "shop.example.com",
            "tls": "provided",
            "certificate": {"cert_file": "/etc/shop/tls.crt", "key_file": "/etc/shop/tls.key"},
        },
        quadlet__bind_address="127.0.0.1",
    ),
    "plain-http": _variant(proxy={"host": "shop.localhost", "tls": "none"}),
    "no-proxy": _variant(proxy=None),
    "auto-update": _variant(image="registry.example.com/acme/shop:2.1", quadlet__auto_update="registry"),
    "generic-server": _variant(command=["/app/server"], server="generic"),
    "health-command": _variant(health={"command": ["/app/healthcheck", "--ready", 'it\'s "ok"']}),
    "awkward-text": _variant(
        env={"LOG_LEVEL": "info", "GREETING": '100% $HOME "quoted" back\\slash\nsecond line', "EMPTY": ""},
        cron={"odd": {"schedule": "*/20 */6 */10 jan-jun sun", "command": ["sh", "-c", "echo '%n' $PATH; exit 0"]}},
    ),
}


# Debian 13's generator (5.4) runs every variant but the one rendered for Podman 5.5 (tested apart).
CONVERTED = [
    *(f"bundled-{env}" for env in ("dev", "staging", "prod")),
    *(name for name in VARIANTS if name != "podman-5.5"),
]


def _outputs() -> dict[str, pipeline.TargetOutput]:
    outputs = {f"bundled-{env}": pipeline.render(bundled(env), "quadlet") for env in ("dev", "staging", "prod")}
    outputs |= {name: render_data(data, "quadlet") for name, data in VARIANTS.items()}
    return outputs


@pytest.fixture(scope="module")
def outputs() -> dict[str, pipeline.TargetOutput]:
    return _outputs()


@pytest.mark.parametrize("name", CONVERTED)
def test_the_generator_converts_every_unit(name, outputs, tmp_path):
    rendering = outputs[name].rendering
    units = write(rendering, tmp_path / "units")
    code, stdout, log = dry_run(units)
    assert code == 0, log
    assert "unsupported key" not in log and "converting" not in log, log
    services = generated_services(stdout)
    sources = {
        file.path.rsplit(".", 1)[0]
        + ("-network" if file.path.endswith(".network") else "")
        + ("-volume" if file.path.endswith(".volume") else "")
        for file in rendering.files
        if file.path.endswith((".container", ".network", ".volume"))
    }
    assert set(services) == {f"{source}.service" for source in sources}


@pytest.mark.parametrize("name", CONVERTED)
def test_systemd_loads_every_generated_unit(name, outputs, tmp_path):
    units = write(outputs[name].rendering, tmp_path / "units")
    generated = generate(units, tmp_path / "generated")
    done = verify(generated)
    assert done.returncode == 0, done.stderr
    # verify prints problems it does not count as failures (unknown keys, bad values) on stderr.
    assert not re.search(r"Unknown (key|section)|Failed to parse|Invalid", done.stderr), done.stderr


def test_the_generator_refuses_memory_before_podman_5_5(tmp_path):
    """The version gate is real: Memory= written for a 5.4 host would stop the unit from being generated."""
    rendering = render_data(VARIANTS["podman-5.5"], "quadlet").rendering
    units = write(rendering, tmp_path / "units")
    assert any("\nMemory=" in file.content for file in rendering.files)
    code, _, log = dry_run(units)
    assert code == 1
    assert "unsupported key 'Memory'" in log
    default = render_data(PROFILE, "quadlet").rendering
    assert not any("\nMemory=" in file.content for file in default.files)
    assert any("--memory=256m" in file.content for file in default.files)


def test_awkward_values_reach_podman_intact(outputs, tmp_path):
    """Quotes, backslashes, newlines, `%` and `$` in env and commands arrive as written in podman's argv."""
    units = write(outputs["awkward-text"].rendering, tmp_path / "units")
    code, stdout, log = dry_run(units)
    assert code == 0, log
    services = generated_services(stdout)
    start = next(line for line in services["shop-odd.service"].splitlines() if line.startswith("ExecStart="))
    argv = systemd_words(start.removeprefix("ExecStart="))
    greeting = VARIANTS["awkward-text"]["env"]["GREETING"]
    assert f"GREETING={greeting}" in argv
    assert "EMPTY=" in argv
    assert argv[-3:] == ["sh", "-c", "echo '%n' $PATH; exit 0"]
    replica = next(
        file
        for file in render_data(VARIANTS["health-command"], "quadlet").rendering.files
        if file.path == "shop-1.container"
    )
    health = next(line for line in replica.content.splitlines() if line.startswith("HealthCmd="))
    assert health == 'HealthCmd=["/app/healthcheck","--ready","it\'s \\"ok\\""]'
