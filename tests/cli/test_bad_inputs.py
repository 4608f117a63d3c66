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
    Case(
        "privileged-port",
        extra("port: 80\n"),
        "profile.yaml:3:1: port: must be at least 1024, got 80 (the app runs without privileges, and ports below 1024 are privileged; the proxy or Service publishes 80 and 443 in front of it)",
    ),
    Case(
        "memory-without-unit",
        extra("memory: 512\n"),
        "profile.yaml:3:1: memory: '512' is out of range; memory per process must be between 10Mi and 1Ti; a number without a unit is bytes: did you mean 512Mi?",
    ),
    Case(
        "command-as-a-string",
        extra("command: gunicorn shop.wsgi -k uvicorn.workers.UvicornWorker\n"),
        "profile.yaml:3:1: command: expected a list, got string 'gunicorn shop.wsgi -k uvicorn.workers.UvicornWorker'; write it as a list (exec form, no shell): [gunicorn, shop.wsgi, -k, uvicorn.workers.UvicornWorker]",
    ),
    Case(
        "secret-as-a-string",
        extra("secrets:\n  DATABASE_URL: items-db/url\n"),
        "profile.yaml:4:3: secrets.DATABASE_URL: expected a mapping, got string 'items-db/url'; write a reference to the secret and its key: {secret: items-db, key: url}",
    ),
    Case(
        "key-at-the-wrong-level",
        extra("email: ops@example.com\n"),
        "profile.yaml:3:1: email: unknown field 'email' here; did you mean proxy.email?",
    ),
    Case(
        "gateway-at-the-top",
        extra("gateway: {name: shared}\n"),
        "profile.yaml:3:1: gateway: unknown field 'gateway' here; did you mean k8s.gateway?",
    ),
    Case(
        "extends-yml-for-yaml",
        "extends: base.yml\n",
        "profile.yaml:1:1: extends: parent profile 'base.yml' not found (looked for base.yml); did you mean 'base.yaml'?",
        other_files={"base.yaml": BASE},
    ),
    Case(
        "unquoted-cron-schedule",
        extra("cron:\n  sessions:\n    command: [python, manage.py, clearsessions]\n    schedule: */5 * * * *\n"),
        'profile.yaml:6:15: a value starting with `*` is read by YAML as an alias (`*name`), not as text: quote it: "*/5 * * * *"',
    ),
    Case(
        "unquoted-wildcard-in-set",
        BASE,
        "--set proxy.host=*.x.com:1:18: a value starting with `*` is read by YAML as an alias (`*name`), not as text: quote it, inside the shell's quotes: --set 'proxy.host=\"*.x.com\"'",
        args=(*DEFAULT_ARGS, "--set", "proxy.host=*.x.com"),
    ),
    Case(
        "cron-macro",
        extra("cron:\n  sessions:\n    command: [python, manage.py, clearsessions]\n    schedule: '@daily'\n"),
        "profile.yaml:6:5: cron.sessions.schedule: write @daily as its five fields, '0 0 * * *', which every target reads alike",
    ),
    Case(
        "cron-six-fields",
        extra("cron:\n  sessions:\n    command: [python, manage.py, clearsessions]\n    schedule: '0 */5 * * * *'\n"),
        "profile.yaml:6:5: cron.sessions.schedule: '0 */5 * * * *' has 6 fields; write the five standard ones, minute hour day-of-month month day-of-week, separated by single spaces (a sixth field means seconds to some schedulers and a year to others)",
    ),
    Case(
        "cron-minute-out-of-range",
        extra("cron:\n  sessions:\n    command: [python, manage.py, clearsessions]\n    schedule: '60 3 * * *'\n"),
        "profile.yaml:6:5: cron.sessions.schedule: '60 3 * * *': '60' is not a valid minute (use *, a number from 0 to 59, a range a-b, a list a,b, or a step */n)",
    ),
    Case(
        "time-zone-with-a-space",
        extra(
            "cron:\n  sessions:\n    command: [python, manage.py, clearsessions]\n    schedule: '0 3 * * *'\n    timezone: Europe Kyiv\n"
        ),
        "profile.yaml:7:5: cron.sessions.timezone: 'Europe Kyiv' is not an IANA time zone name such as UTC, Europe/Kyiv or America/New_York",
    ),
    Case(
        "unknown-warning-code",
        extra("accept_warnings: [single-replicas]\n"),
        "profile.yaml:3:19: accept_warnings[0]: 'single-replicas' is not a warning code; did you mean 'single-replica'?",
    ),
    Case("negative-replicas", extra("replicas: -1\n"), "profile.yaml:3:1: replicas: must be at least 0, got -1"),
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
    *[
        Case(
            f"proxy-names-{name}",
            extra("proxy:\n  host: api.example.com\n  tls: none\n" + text),
            f"profile.yaml:{expected}",
        )
        for name, text, expected in [
            (
                "alias-twice",
                "  aliases: [www.example.com, www.example.com]\n",
                "6:30: proxy.aliases[1]: 'www.example.com' is already proxy.aliases[0]: every host name is listed once",
            ),
            (
                "redirect-to-itself",
                "  redirects: [api.example.com]\n",
                "6:15: proxy.redirects[0]: 'api.example.com' is already proxy.host: every host name is listed once "
                "(a redirect cannot lead to itself)",
            ),
            (
                "prefix-without-slash",
                "  path_prefix: api\n",
                "6:3: proxy.path_prefix: 'api' must start with '/', e.g. '/api'",
            ),
            (
                "prefix-trailing-slash",
                "  path_prefix: /api/\n",
                "6:3: proxy.path_prefix: '/api/' must not end with '/': write '/api', which serves /api and every path below it",
            ),
            (
                "prefix-root",
                "  path_prefix: /\n",
                "6:3: proxy.path_prefix: '/' is every path: leave path_prefix out to serve the whole host",
            ),
            (
                "prefix-dot-segment",
                "  path_prefix: /a/../b\n",
                "6:3: proxy.path_prefix: '/a/../b' is not a valid path prefix: '/'-separated segments of letters, "
                "digits and ._~- (no '//', '.' or '..' segment, query or wildcard)",
            ),
            (
                "strip-without-prefix",
                "  strip_prefix: true\n",
                "6:3: proxy.strip_prefix: needs proxy.path_prefix (the prefix to strip)",
            ),
            (
                "redirect-on-another-ingress-class",
                "  redirects: [old.example.com]\nk8s:\n  ingress_class: nginx\n",
                "6:3: proxy.redirects: an Ingress cannot express a redirect to proxy.host, and deploykit writes it "
                "for k8s.ingress_class: traefik (Middlewares) or k8s.routing: gateway (filters) only, not for class nginx",
            ),
        ]
    ],
    Case(
        "gateway-routing-without-gateway",
        extra("proxy:\n  host: api.example.com\n  tls: none\nk8s:\n  routing: gateway\n"),
        "profile.yaml:7:3: k8s.gateway: required with k8s.routing: gateway (the name and namespace of the Gateway the app's HTTPRoute attaches to)",
    ),
    Case(
        "abbreviated-bind-flag-in-command",
        extra("command: [gunicorn, app:app, --bin, '0.0.0.0:1']\n"),
        "profile.yaml:3:30: command[2]: remove --bin (gunicorn reads it as --bind): deploykit makes the server listen on all interfaces at `port`; an address such as 127.0.0.1 would be unreachable from the proxy and the probes",
    ),
    Case(
        "aliases-without-host",
        extra("proxy:\n  aliases: [www.example.com]\n  tls: none\n"),
        "profile.yaml:4:3: proxy.aliases: needs proxy.host (the first of the app's host names)",
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
        "profile.yaml:4:3: env.DB_PASSWORD: DB_PASSWORD looks like a credential; reference it under `secrets:` instead of writing its value (or list it in `env_not_secret` if it holds no secret)",
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
        extra("env:\n  FORWARDED_ALLOW_IPS: '*'\ncommand: [fastapi, run, app/main.py]\n"),
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
    # Exit 3 instead of 2 (issue 17, item 7): each refused where the input is read, with its location.
    Case(
        "integer-over-4300-digits",
        extra(f"replicas: {'1' * 5000}\n"),
        "profile.yaml:3:11: replicas: the plain number 11111111111111111111... (5000 digits) is longer than any field takes (at most 64 digits); quote it if it is text",
    ),
    Case(
        "integer-over-4300-digits-in-set",
        BASE,
        f"--set replicas={'1' * 68}...:1:16: replicas: the plain number 11111111111111111111... (5000 digits) is longer than any field takes (at most 64 digits); quote it if it is text",
        args=("render", "k8s", "-p", "profile.yaml", "-o", "out", "--set", f"replicas={'1' * 5000}"),
    ),
    Case(
        "extends-name-too-long",
        f"extends: {'a' * 300}.yaml\n" + BASE,
        f"profile.yaml:1:1: extends: parent profile '{'a' * 60}...' cannot be read: File name too long",
    ),
    Case(
        "extends-lone-surrogate",
        'extends: "\\ud800"\n' + BASE,
        "profile.yaml:1:10: extends: lone surrogate U+D800 is not Unicode text",
    ),
    Case(
        "extends-outside-the-repository",
        "extends: /etc/passwd\n" + BASE,
        "profile.yaml:1:1: extends: parent profile '/etc/passwd' is outside the profile's directory (.); profiles extend only profiles inside their repository, or inside the first profile's directory outside one",
    ),
    # Invalid output with exit 0 (item 8).
    Case(
        "bind-address-with-zone-id",
        extra('compose:\n  bind_address: "::1%${HOME}"\n'),
        "profile.yaml:4:3: compose.bind_address: '::1%${HOME}' has an IPv6 zone ID (%...); write the address alone",
        args=("render", "compose", "-p", "profile.yaml", "-o", "out"),
    ),
    Case(
        "bind-address-not-an-address",
        extra('compose:\n  bind_address: "0.0.0.0:80"\n'),
        "profile.yaml:4:3: compose.bind_address: '0.0.0.0:80' is not an IP address (e.g. 0.0.0.0, 127.0.0.1 or ::1)",
        args=("render", "compose", "-p", "profile.yaml", "-o", "out"),
    ),
    Case(
        "egress-cidr-with-zone-id",
        extra('k8s:\n  network_policy:\n    egress:\n      - cidr: "fe80::%eth0/64"\n        ports: [5432]\n'),
        "profile.yaml:6:9: k8s.network_policy.egress[0].cidr: 'fe80::%eth0/64' has an IPv6 zone ID (%...); write the network alone, e.g. fe80::/64",
    ),
    Case(
        "forwarded-allow-ips-not-addresses",
        extra('k8s:\n  forwarded_allow_ips: "10.0.0.0/8, 10.1.2.3.4"\n'),
        "profile.yaml:4:3: k8s.forwarded_allow_ips: '10.0.0.0/8, 10.1.2.3.4': '10.1.2.3.4' is not an IP address (e.g. 0.0.0.0, 127.0.0.1 or ::1)",
    ),
    Case(
        "dockerfile-cmd-line-over-buildkit-limit",
        extra("command: [fastapi, run, " + ", ".join(["x" * 4096] * 16) + "]\n"),
        "profile.yaml:3:1: command: the Dockerfile's CMD line would be 65,658 bytes; BuildKit reads lines of at most 65,535 bytes: shorten it",
        args=("render", "dockerfile", "-p", "profile.yaml", "-o", "out"),
    ),
    # Secret values in plain env (item 9).
    *[
        Case(
            f"credential-{name.lower().replace('_', '-')}-in-env",
            extra(f"env:\n  {name}: hunter2\n"),
            f"profile.yaml:4:3: env.{name}: {name} looks like a credential; reference it under `secrets:` instead of writing its value (or list it in `env_not_secret` if it holds no secret)",
        )
        for name in ("DB_PASS", "PWD", "SSH_KEY", "AUTH", "SENTRY_DSN")
    ],
    Case(
        "password-in-a-url-in-env",
        extra("env:\n  DATABASE_URL: postgresql://items:hunter2@db/items\n"),
        "profile.yaml:4:3: env.DATABASE_URL: the value holds a password in its URL (user:password@host); reference it under `secrets:` instead of writing it",
    ),
    # One line, always (item 10): what is quoted is escaped, and Click's usage errors are one line too.
    Case(
        "key-with-a-newline",
        extra('"replicas\\nimage": 2\n'),
        "profile.yaml:3:1: control characters are not allowed in keys",
    ),
    Case(
        "set-value-with-a-newline",
        BASE,
        "--set replicas=two\\nlines:1:7: replicas: expected a whole number, got string 'two lines'",
        args=("render", "k8s", "-p", "profile.yaml", "-o", "out", "--set", "replicas=two\nlines"),
    ),
    Case(
        "profile-is-a-directory",
        BASE,
        "Invalid value for '--profile' / '-p': file '.' is a directory. (see `deploykit render --help`)",
        args=("render", "k8s", "-p", ".", "-o", "out"),
    ),
    Case(
        "output-is-a-file",
        BASE,
        "Invalid value for '--output' / '-o': dir 'profile.yaml' is a file. (see `deploykit render --help`)",
        args=("render", "k8s", "-p", "profile.yaml", "-o", "profile.yaml"),
    ),
    Case(
        "unknown-option",
        BASE,
        "No such option: --replica (see `deploykit render --help`)",
        args=("render", "k8s", "-p", "profile.yaml", "-o", "out", "--replica", "2"),
    ),
    Case(
        "missing-argument",
        BASE,
        "Missing argument 'TARGET'. (see `deploykit render --help`)",
        args=("render",),
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
