"""Every problem of a profile in one run: one located line each, exit 2, nothing written."""

from __future__ import annotations

from pathlib import Path

from helpers import run_cli

EIGHT_MISTAKES = """\
app: Items_API
image: registry.example.com/acme/items-api
memory: 512mb
cpu: 250M
port: 80
replica: 2
health:
  interval_seconds: 1
proxy:
  host: https://api.example.com
  tls: letsencrypt
"""


def test_nine_field_mistakes_are_nine_lines_in_file_order_in_one_run(tmp_path: Path):
    (tmp_path / "profile.yaml").write_text(EIGHT_MISTAKES)
    result = run_cli("render", "k8s", "-p", "profile.yaml", "-o", "out", cwd=tmp_path)
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr.splitlines() == [
        "error: profile.yaml:1:1: app: 'Items_API' is not a valid name: use at most 63 lowercase letters, digits and '-', starting with a letter and ending with a letter or digit (a DNS-1035 label)",
        "error: profile.yaml:2:1: image: 'registry.example.com/acme/items-api' has no tag or digest; pin the image (name:1.2.3 or name@sha256:...)",
        "error: profile.yaml:3:1: memory: '512mb' is not a memory quantity; use Kubernetes syntax such as 256Mi or 1Gi (binary Ki/Mi/Gi/Ti or decimal k/M/G/T; note that a lowercase m would mean milli)",
        "error: profile.yaml:4:1: cpu: '250M' is not a CPU quantity; use millicores such as 250m, or cores such as 0.5 or 2",
        "error: profile.yaml:5:1: port: must be at least 1024, got 80 (the app runs without privileges, and ports below 1024 are privileged; the proxy or Service publishes 80 and 443 in front of it)",
        "error: profile.yaml:6:1: replica: unknown field 'replica'; did you mean 'replicas'?",
        "error: profile.yaml:8:3: health.interval_seconds: must be at least 2, got 1",
        "error: profile.yaml:10:3: proxy.host: 'https://api.example.com' is not a valid host name: use lowercase letters, digits, '-' and '.' (RFC 1123), without a scheme, port, path or wildcard",
        "error: profile.yaml:11:3: proxy.tls: 'letsencrypt' is not allowed; expected 'acme', 'provided' or 'none'",
    ]
    assert not (tmp_path / "out").exists()


def test_every_cross_field_rule_a_profile_breaks_is_reported(tmp_path: Path):
    (tmp_path / "profile.yaml").write_text(
        "app: items-api\nimage: registry.example.com/acme/items-api:1.4.2\n"
        "command: [uvicorn, app.main:app, --reload]\n"
        "env:\n  DB_PASSWORD: x\n  FORWARDED_ALLOW_IPS: '*'\n"
        "health:\n  interval_seconds: 5\n  timeout_seconds: 5\n"
    )
    result = run_cli("validate", "-p", "profile.yaml", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "error: profile.yaml:3:34: command[2]: remove --reload: reloading on file changes is for development; containers are replaced, not reloaded",
        "error: profile.yaml:5:3: env.DB_PASSWORD: DB_PASSWORD looks like a credential; reference it under `secrets:` instead of writing its value (or list it in `env_not_secret` if it holds no secret)",
        "error: profile.yaml:6:3: env.FORWARDED_ALLOW_IPS: remove FORWARDED_ALLOW_IPS: deploykit sets the proxy's addresses for each target",
        "error: profile.yaml:9:3: health.timeout_seconds: must be less than health.interval_seconds",
    ]


def test_field_errors_and_cross_field_rules_come_in_one_run_in_file_order(tmp_path: Path):
    """Shapes and types, and the rules between fields (server flags in `command`), in one run: the
    profile without its wrong fields is still checked."""
    (tmp_path / "profile.yaml").write_text(
        "app: items-api\nimage: registry.example.com/acme/items-api:1.4.2\n"
        "health:\n  interval_seconds: 5\n  timeout_seconds: 5\n"
        "replica: 2\n"
        "command: [uvicorn, app.main:app, --reload]\n"
        "port: 80\n"
    )
    result = run_cli("validate", "-p", "profile.yaml", cwd=tmp_path)
    assert result.returncode == 2
    assert [line.split(": ")[1] for line in result.stderr.splitlines()] == [
        "profile.yaml:5:3",  # health.timeout_seconds: a rule between two fields
        "profile.yaml:6:1",  # replica: unknown
        "profile.yaml:7:34",  # command[2]: --reload, a server flag rule
        "profile.yaml:8:1",  # port: a range
    ]


def test_validate_reports_the_problems_of_every_target_together(tmp_path: Path):
    (tmp_path / "profile.yaml").write_text(
        "app: items-api\nimage: registry.example.com/acme/items-api:1.4.2\n"
        "proxy:\n  host: api.example.com\n  tls: acme\n  email: ops@example.com\n"
        "k8s:\n  namespace: default\n"
        "nomad:\n  healthy_deadline_seconds: 900\n"
    )
    result = run_cli("validate", "-p", "profile.yaml", cwd=tmp_path)
    assert result.returncode == 2
    lines = result.stderr.splitlines()
    assert "error: profile.yaml:8:3: k8s.namespace: do not deploy into the 'default' namespace; name one" in lines
    assert (
        "error: profile.yaml:5:3: k8s.cluster_issuer: required with proxy.tls: acme (the cert-manager ClusterIssuer that issues the certificate)"
        in lines
    )
    # A target's own refusals come in the same run (Nomad refuses a progress deadline below the healthy one).
    assert (
        "error: profile.yaml:10:3: nomad.healthy_deadline_seconds: must be less than nomad.progress_deadline_seconds"
        in lines
    )
    assert all(line.startswith("error: profile.yaml:") for line in lines)


def test_a_flood_of_errors_is_cut_at_twenty_lines(tmp_path: Path):
    env = "".join(f"  bad-name-{index}: x\n" for index in range(30))
    (tmp_path / "profile.yaml").write_text(
        f"app: items-api\nimage: registry.example.com/acme/items-api:1.4.2\nenv:\n{env}"
    )
    result = run_cli("validate", "-p", "profile.yaml", cwd=tmp_path)
    lines = result.stderr.splitlines()
    assert result.returncode == 2
    assert len(lines) == 21
    assert lines[0] == (
        "error: profile.yaml:4:3: env.bad-name-0: 'bad-name-0' is not a valid environment variable name (letters, digits and '_', not starting with a digit)"
    )
    assert lines[-1] == "error: 10 more error(s) not shown; fix these and run again"
