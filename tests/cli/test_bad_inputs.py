"""Bad inputs through the real CLI: one exact `error:` line, exit code 2, no traceback, nothing written.

Every case runs twice: with the output directory absent (it must stay absent) and with it holding an
earlier rendering (it must stay byte for byte the same).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pytest
from helpers import CliResult, bundled, run_cli

from deploykit import output, pipeline

BASE = "app: items-api\nimage: registry.example.com/acme/items-api:1.4.2\n"
ACME = "proxy:\n  host: api.example.com\n  tls: acme\n"
DEFAULT_ARGS = ("render", "k8s", "-p", "profile.yaml", "-o", "out")


@dataclass(frozen=True)
class Case:
    id: str
    profile: str | bytes | None
    expected: str
    args: tuple[str, ...] = DEFAULT_ARGS
    other_files: dict[str, str] = field(default_factory=dict)


def extra(text: str) -> str:
    return BASE + text


CASES = [
    Case(
        "unknown-key",
        extra("replica: 2\n"),
        "profile.yaml:3:1: replica: unknown field 'replica'; did you mean 'replicas'?",
    ),
    Case(
        "unknown-nested-key",
        extra("k8s:\n  ingres_class: traefik\n"),
        "profile.yaml:4:3: k8s.ingres_class: unknown field 'ingres_class'; did you mean 'ingress_class'?",
    ),
    Case(
        "misspelt-required-key",
        extra("secrets:\n  DB: {secret: items-db, keys: url}\n"),
        "profile.yaml:4:26: secrets.DB.keys: unknown field 'keys'; did you mean 'key'?",
    ),
    Case(
        "string-given-number",
        "app: 5\nimage: registry.example.com/acme/items-api:1.4.2\n",
        "profile.yaml:1:1: app: expected a string, got number 5; quote it",
    ),
    Case(
        "string-given-bool",
        "app: true\nimage: registry.example.com/acme/items-api:1.4.2\n",
        "profile.yaml:1:1: app: expected a string, got boolean true; quote it",
    ),
    Case("int-given-bool", extra("port: true\n"), "profile.yaml:3:1: port: expected a whole number, got boolean true"),
    Case(
        "int-given-string",
        extra('port: "8000"\n'),
        "profile.yaml:3:1: port: expected a whole number, got string '8000'",
    ),
    Case(
        "int-given-float",
        extra("replicas: 2.5\n"),
        "profile.yaml:3:1: replicas: expected a whole number, got number 2.5",
    ),
    Case(
        "app-uppercase",
        "app: Items-API\nimage: registry.example.com/acme/items-api:1.4.2\n",
        "profile.yaml:1:1: app: 'Items-API' is not a valid name: use at most 63 lowercase letters, digits and '-', starting with a letter and ending with a letter or digit (a DNS-1035 label)",
    ),
    Case(
        "app-too-long",
        f"app: {'a' * 64}\nimage: registry.example.com/acme/items-api:1.4.2\n",
        f"profile.yaml:1:1: app: '{'a' * 64}' is not a valid name: use at most 63 lowercase letters, digits and '-', starting with a letter and ending with a letter or digit (a DNS-1035 label)",
    ),
    Case(
        "app-starts-with-digit",
        "app: 1items\nimage: registry.example.com/acme/items-api:1.4.2\n",
        "profile.yaml:1:1: app: '1items' is not a valid name: use at most 63 lowercase letters, digits and '-', starting with a letter and ending with a letter or digit (a DNS-1035 label)",
    ),
    Case(
        "image-without-tag",
        "app: items-api\nimage: registry.example.com/acme/items-api\n",
        "profile.yaml:2:1: image: 'registry.example.com/acme/items-api' has no tag or digest; pin the image (name:1.2.3 or name@sha256:...)",
    ),
    Case(
        "image-latest",
        "app: items-api\nimage: registry.example.com/acme/items-api:latest\n",
        "profile.yaml:2:1: image: 'registry.example.com/acme/items-api:latest' uses the tag 'latest'; pin a version tag or a digest",
    ),
    Case(
        "memory-lowercase-milli",
        extra("memory: 512m\n"),
        "profile.yaml:3:1: memory: '512m' is not a memory quantity; use Kubernetes syntax such as 256Mi or 1Gi (binary Ki/Mi/Gi/Ti or decimal k/M/G/T; note that a lowercase m would mean milli)",
    ),
    Case(
        "memory-fraction-of-a-byte",
        extra("memory: 4.0000001Mi\n"),
        "profile.yaml:3:1: memory: '4.0000001Mi' is not a whole number of bytes",
    ),
    Case(
        "memory-below-minimum",
        extra("memory: 1.5Mi\n"),
        "profile.yaml:3:1: memory: '1.5Mi' is out of range; memory per process must be between 10Mi and 1Ti",
    ),
    Case(
        "cpu-bad-unit",
        extra("cpu: 250M\n"),
        "profile.yaml:3:1: cpu: '250M' is not a CPU quantity; use millicores such as 250m, or cores such as 0.5 or 2",
    ),
    Case(
        "cpu-too-precise",
        extra('cpu: "0.0001"\n'),
        "profile.yaml:3:1: cpu: '0.0001' is not a CPU quantity; use millicores such as 250m, or cores such as 0.5 or 2",
    ),
    Case("privileged-port", extra("port: 80\n"), "profile.yaml:3:1: port: must be at least 1024, got 80"),
    Case("zero-replicas", extra("replicas: 0\n"), "profile.yaml:3:1: replicas: must be at least 1, got 0"),
    Case(
        "health-timeout-not-below-interval",
        extra("health:\n  interval_seconds: 5\n  timeout_seconds: 5\n"),
        "profile.yaml:5:3: health.timeout_seconds: must be less than health.interval_seconds",
    ),
    *[
        Case(
            f"host-{name}",
            extra(f"proxy:\n  host: {literal}\n  tls: none\n"),
            f"profile.yaml:4:3: proxy.host: {host!r} is not a valid host name: use lowercase letters, digits, '-' and '.' (RFC 1123), without a scheme, port, path or wildcard",
        )
        for name, literal, host in [
            ("backtick", "a`b.example.com", "a`b.example.com"),
            ("space", '"api example.com"', "api example.com"),
            ("rule-injection", '"a.com`) || Host(`b.com"', "a.com`) || Host(`b.com"),
            ("uppercase", "API.example.com", "API.example.com"),
            ("scheme", "https://api.example.com", "https://api.example.com"),
            ("wildcard", '"*.example.com"', "*.example.com"),
        ]
    ],
    Case(
        "tls-unknown-mode",
        extra("proxy:\n  host: api.example.com\n  tls: letsencrypt\n"),
        "profile.yaml:5:3: proxy.tls: 'letsencrypt' is not allowed; expected 'acme', 'provided' or 'none'",
    ),
    Case(
        "acme-without-email",
        extra(ACME),
        "profile.yaml:5:3: proxy.email: required with tls: acme (the ACME account e-mail)",
    ),
    Case(
        "acme-without-cluster-issuer",
        extra(ACME + "  email: ops@example.com\n"),
        "profile.yaml:5:3: k8s.cluster_issuer: required with proxy.tls: acme (the cert-manager ClusterIssuer that issues the certificate)",
    ),
    Case(
        "duplicate-prestart-names",
        extra(
            "prestart:\n  - name: migrate\n    command: [alembic, upgrade, head]\n  - name: migrate\n    command: [python, seed.py]\n"
        ),
        "profile.yaml:6:5: prestart[1].name: step name 'migrate' is used twice",
    ),
    Case(
        "env-name-invalid",
        extra("env:\n  LOG-LEVEL: info\n"),
        "profile.yaml:4:3: env.LOG-LEVEL: 'LOG-LEVEL' is not a valid environment variable name (letters, digits and '_', not starting with a digit)",
    ),
    Case(
        "credential-in-env",
        extra("env:\n  DB_PASSWORD: hunter2\n"),
        "profile.yaml:4:3: env.DB_PASSWORD: DB_PASSWORD looks like a credential; reference it under `secrets:` instead of writing its value",
    ),
    Case(
        "env-and-secret-overlap",
        extra("env:\n  DATABASE_URL: sqlite://\nsecrets:\n  DATABASE_URL: {secret: items-db, key: url}\n"),
        "profile.yaml:4:3: env.DATABASE_URL: DATABASE_URL is also defined in secrets; define it in one place",
    ),
    Case(
        "port-flag-in-command",
        extra("command: [fastapi, run, app/main.py, --port, '9000']\n"),
        "profile.yaml:3:38: command[3]: remove --port: deploykit sets the port on every target (see `port`)",
    ),
    Case(
        "forwarded-allow-ips-in-env",
        extra("env:\n  FORWARDED_ALLOW_IPS: '*'\n"),
        "profile.yaml:4:3: env.FORWARDED_ALLOW_IPS: remove FORWARDED_ALLOW_IPS: deploykit sets the proxy's addresses for each target",
    ),
    Case(
        "namespace-default",
        extra("k8s:\n  namespace: default\n"),
        "profile.yaml:4:3: k8s.namespace: do not deploy into the 'default' namespace; name one",
    ),
    Case(
        "autoscaling-min-above-max",
        extra("k8s:\n  autoscaling:\n    min_replicas: 5\n    max_replicas: 3\n"),
        "profile.yaml:5:5: k8s.autoscaling.min_replicas: must not exceed k8s.autoscaling.max_replicas",
    ),
    Case(
        "caller-names-nobody",
        extra("network:\n  callers:\n    - pod_labels: {}\n"),
        "profile.yaml:5:7: network.callers[0]: name the callers: namespace and/or pod_labels (Kubernetes), compose_network (Compose)",
    ),
    Case(
        "destination-network-and-pods",
        extra("network:\n  egress:\n    - {cidr: 10.0.0.0/8, namespace: db, ports: [5432]}\n"),
        "profile.yaml:5:8: network.egress[0].cidr: a destination is a network (cidr) or pods (namespace, pod_labels), not both",
    ),
    Case(
        "destination-names-nothing",
        extra("k8s:\n  network_policy:\n    egress:\n      - ports: [443]\n"),
        "profile.yaml:6:9: k8s.network_policy.egress[0]: name the destination: cidr, or namespace and/or pod_labels",
    ),
    Case(
        "egress-not-a-network",
        extra("network:\n  egress:\n    - {cidr: 10.0.0.1/8, ports: [5432]}\n"),
        "profile.yaml:5:8: network.egress[0].cidr: '10.0.0.1/8' is not a network in CIDR notation (10.0.0.1/8 has host bits set)",
    ),
    Case(
        "missing-app",
        "image: registry.example.com/acme/items-api:1.4.2\n",
        "profile.yaml:1:1: app: required field is missing",
    ),
    Case(
        "yaml-boolean-surprise",
        extra("env:\n  FEATURE_FLAG: no\n"),
        "profile.yaml:4:17: env.FEATURE_FLAG: the plain value 'no' means different things to different YAML readers; quote it (\"no\") if it is text, or write true/false or a plain number",
    ),
    Case(
        "yaml-version-number-surprise",
        extra("env:\n  PYTHON_VERSION: 3.10\n"),
        "profile.yaml:4:19: env.PYTHON_VERSION: the plain value '3.10' is read as the number 3.1, losing its trailing zero; quote it (\"3.10\") if it is text, or write 3.1 if it is a number",
    ),
    Case(
        "yaml-null-surprise",
        extra("env:\n  LOG_LEVEL: ~\n"),
        'profile.yaml:4:3: env.LOG_LEVEL: null removes a value set by a parent profile, but no parent profile sets this one; write "" for an empty string, or delete the line',
    ),
    Case(
        "duplicate-key",
        extra("replicas: 2\nreplicas: 3\n"),
        "profile.yaml:4:1: replicas: duplicate key 'replicas' (first defined at line 3)",
    ),
    Case(
        "yaml-anchor",
        extra("env: &shared\n  A: b\nlabels: *shared\n"),
        "profile.yaml:3:6: env: YAML anchors and aliases are not allowed in profiles",
    ),
    Case("not-utf8", BASE.encode() + b"env:\n  CITY: Z\xfcrich\n", "profile.yaml:4:10: not valid UTF-8 (byte 0xfc)"),
    Case(
        "unknown-target",
        BASE,
        "unknown target 'k8'; did you mean 'k8s'?",
        args=("render", "k8", "-p", "profile.yaml", "-o", "out"),
    ),
    Case(
        "missing-profile-file",
        None,
        "missing.yaml:1:1: file not found",
        args=("render", "k8s", "-p", "missing.yaml", "-o", "out"),
    ),
    Case(
        "extends-cycle",
        "extends: other.yaml\n" + BASE,
        "other.yaml:1:1: extends: profiles extend each other in a cycle: profile.yaml -> other.yaml -> profile.yaml",
        other_files={"other.yaml": "extends: profile.yaml\n"},
    ),
    Case(
        "neither-profile-nor-env",
        BASE,
        "give exactly one of -p/--profile FILE or --env NAME",
        args=("render", "k8s", "-o", "out"),
    ),
]


@dataclass(frozen=True)
class Outcome:
    result: CliResult
    before: dict[str, bytes]
    after: dict[str, bytes]


def snapshot(directory: Path) -> dict[str, bytes]:
    """Every file under `directory` (and every directory, as b"<dir>"), by relative path."""
    return {
        str(path.relative_to(directory)): (b"<dir>" if path.is_dir() else path.read_bytes())
        for path in sorted(directory.rglob("*"))
    }


def earlier_rendering() -> tuple:
    return pipeline.render(bundled("staging"), "k8s").rendering.files


def run_case(case: Case, workdir: Path, with_output: bool, files: tuple) -> Outcome:
    workdir.mkdir(parents=True)
    if case.profile is not None:
        content = case.profile if isinstance(case.profile, bytes) else case.profile.encode()
        (workdir / "profile.yaml").write_bytes(content)
    for name, text in case.other_files.items():
        (workdir / name).write_text(text, encoding="utf-8")
    if with_output:
        output.write_directory(workdir / "out", files)
    before = snapshot(workdir)
    result = run_cli(*case.args, cwd=workdir)
    return Outcome(result, before, snapshot(workdir))


def test_the_table_is_large_enough_and_ids_are_unique():
    assert len(CASES) >= 25
    assert len({case.id for case in CASES}) == len(CASES)


@pytest.mark.parametrize("with_output", [False, True], ids=["output-absent", "output-existing"])
@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_bad_input(tmp_path, case, with_output):
    outcome = run_case(case, tmp_path / "work", with_output, earlier_rendering())
    assert outcome.result.stderr == f"error: {case.expected}\n"
    assert outcome.result.returncode == 2
    assert outcome.result.stdout == ""
    assert "Traceback" not in outcome.result.stderr
    # Nothing written: no output directory, no staging directory, no change to an earlier rendering.
    assert outcome.after == outcome.before
    assert ("out" in outcome.after) == with_output
