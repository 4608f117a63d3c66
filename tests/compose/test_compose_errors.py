"""Bad input specific to the Compose target: one line `FILE:LINE:COL: path: message`, exit 2, nothing written."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import run_cli

PARENT = """\
app: items-api
image: registry.example.com/acme/items-api:1.4.2
proxy:
  host: api.example.com
  email: ops@example.com
"""

CASES = {
    # Kubernetes and Nomad park an environment at replicas: 0; one container of N workers cannot.
    "replicas-zero": (
        "replicas: 0\n",
        "profile.yaml:2:1: replicas: 0 would park the environment, and Compose runs the app as one container whose "
        "processes are its workers: it has no count of 0; stop the stack with `docker compose stop`, or set overrides.compose.replicas",
    ),
    "workers-below-one": ("compose:\n  workers: 0\n", "profile.yaml:3:3: compose.workers: must be at least 1, got 0"),
    "unknown-compose-key": (
        "compose:\n  worker: 2\n",
        "profile.yaml:3:3: compose.worker: unknown field 'worker'; did you mean 'workers'?",
    ),
    # Without the host check this would add a second clause to the Traefik rule: Host(`api...`) || Host(`evil...`).
    "host-injects-a-rule-clause": (
        'proxy:\n  host: "api.example.com`) || Host(`evil.example.com"\n',
        "profile.yaml:3:3: proxy.host: 'api.example.com`) || Host(`evil.example.com' is not a valid host name: "
        "use lowercase letters, digits, '-' and '.' (RFC 1123), without a scheme, port, path or wildcard",
    ),
    "subnet-on-docker0": (
        "compose:\n  proxy_subnet: 172.17.5.0/24\n",
        "profile.yaml:3:3: compose.proxy_subnet: '172.17.5.0/24' overlaps Docker's default bridge network 172.17.0.0/16",
    ),
    "public-subnet": (
        "compose:\n  proxy_subnet: 8.8.8.0/24\n",
        "profile.yaml:3:3: compose.proxy_subnet: '8.8.8.0/24' is not a private network (10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16)",
    ),
    "step-named-like-a-service": (
        "prestart:\n  - name: traefik\n    command: [python, -m, app.migrate]\n",
        "profile.yaml:3:5: prestart[0].name: step name 'traefik' is also the Compose service of Traefik; rename the step",
    ),
    "file-variable-taken": (
        "secrets_as: file\nenv:\n  DATABASE_URL_FILE: /x\nsecrets:\n  DATABASE_URL: {secret: db, key: url}\n",
        "profile.yaml:6:3: secrets.DATABASE_URL: with secrets_as: file the app finds this secret through "
        "DATABASE_URL_FILE, which env.DATABASE_URL_FILE also sets; rename one of them",
    ),
    "file-variable-taken-by-a-process": (
        "secrets_as: file\nsecrets:\n  DATABASE_URL: {secret: db, key: url}\n"
        "processes:\n  worker:\n    command: [python, -m, app.worker]\n    env: {DATABASE_URL_FILE: /x}\n",
        "profile.yaml:4:3: secrets.DATABASE_URL: with secrets_as: file the app finds this secret through "
        "DATABASE_URL_FILE, which processes.worker.env.DATABASE_URL_FILE also sets; rename one of them",
    ),
    # yacron runs every job inside its one container of the app's image; systemd would run it.
    "yacron-job-with-its-own-image": (
        "compose:\n  scheduler: yacron\ncron:\n  report:\n    schedule: '0 3 * * *'\n    command: [report]\n"
        "    image: registry.example.com/acme/tools:2.0\n",
        "profile.yaml:8:5: cron.report.image: the yacron scheduler runs every scheduled job inside its container, which "
        "runs the app's image; give the job the app's image, or set compose.scheduler: systemd (each job in a container of its own image)",
    ),
    # The units write it as it is: a space or `%` would change what systemd reads.
    "directory-with-a-specifier": (
        "compose:\n  directory: /srv/items%i\n",
        "profile.yaml:3:3: compose.directory: '/srv/items%i' is not an absolute directory such as /srv/items-api "
        "(letters, digits, '.', '_', '-', '@', '+'; no '..', spaces, '%' or '$')",
    ),
    "job-named-like-a-service": (
        "targets: [compose]\ncron:\n  traefik:\n    schedule: '0 3 * * *'\n    command: [report]\n",
        "profile.yaml:4:3: cron.traefik: job name 'traefik' is also the Compose service of Traefik; rename the job",
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_input_is_one_located_line_and_nothing_is_written(case: str, tmp_path: Path):
    body, message = CASES[case]
    (tmp_path / "parent.yaml").write_text(PARENT, encoding="utf-8")
    (tmp_path / "profile.yaml").write_text("extends: parent.yaml\n" + body, encoding="utf-8")
    result = run_cli("render", "compose", "-p", "profile.yaml", "-o", "out", cwd=tmp_path)
    assert (result.returncode, result.stdout, result.stderr) == (2, "", f"error: {message}\n")
    assert not (tmp_path / "out").exists()
