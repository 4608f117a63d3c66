"""`explain`: six concepts per target, read from each target's summary.

The full text and JSON for the bundled profiles are golden files (tests/test_goldens.py).
"""

from __future__ import annotations

import json

from helpers import run_cli


def test_explain_json_covers_six_concepts_and_the_runtime_contract_for_every_target():
    document = json.loads(run_cli("explain", "--env", "prod", "--format", "json").stdout)
    assert list(document["concepts"]) == [
        "https",
        "startup",
        "restarts",
        "replication",
        "memory",
        "prestart",
        "runtime",
    ]
    for sentences in document["concepts"].values():
        assert list(sentences) == ["compose", "k8s", "nomad", "quadlet"]
    replication = document["concepts"]["replication"]
    assert replication == {
        "compose": "1 container x 4 worker processes (fastapi run --workers 4)",
        "k8s": "4 pods x 1 process",
        "nomad": "group count 4 x 1 process",
        "quadlet": "4 containers x 1 process, one unit each; a release restarts them one at a time, each waiting "
        "until healthy",
    }


def test_explain_follows_overrides():
    document = json.loads(
        run_cli(
            "explain", "--env", "prod", "--format", "json", "--set", "replicas=6", "--set", "compose.workers=3"
        ).stdout
    )
    assert (
        document["concepts"]["replication"]["compose"] == "1 container x 3 worker processes (fastapi run --workers 3)"
    )
    assert document["concepts"]["replication"]["k8s"] == "6 pods x 1 process"
    assert (
        document["concepts"]["memory"]["compose"]
        == "limit 2g for the container (3 worker processes + 1 supervisor process), cpus 0.75"
    )


def test_explain_rejects_an_unknown_format():
    result = run_cli("explain", "--env", "prod", "--format", "yaml")
    assert (result.returncode, result.stderr) == (2, "error: unknown format 'yaml'; expected text or json\n")


def _explain_json(tmp_path, profile: str) -> dict:
    (tmp_path / "p.yaml").write_text(
        "app: web\nimage: registry.example.com/acme/web:1.0.0\nreplicas: 3\nmemory: 128Mi\n"
        "proxy: {host: web.example.com, tls: none}\nnomad: {forwarded_allow_ips: 10.0.0.0/8}\n" + profile
    )
    result = run_cli("explain", "-p", "p.yaml", "--format", "json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)["concepts"]


def test_explain_says_what_each_server_runs(tmp_path):
    concepts = _explain_json(tmp_path, "command: [gunicorn, shop.wsgi:application]\n")
    assert concepts["replication"] == {
        "compose": "1 container x 3 worker processes (gunicorn --workers 3)",
        "k8s": "3 pods x 1 worker process + a master process (64 MiB)",
        "nomad": "group count 3 x 1 worker process + a master process (64 MiB)",
        "quadlet": "3 containers x 1 worker process + a master process (64 MiB), one unit each; a release restarts "
        "them one at a time, each waiting until healthy",
    }
    assert (
        concepts["memory"]["compose"]
        == "limit 448m for the container (3 worker processes + a master process (64 MiB)), cpus 0.75"
    )
    assert concepts["startup"]["k8s"].startswith(
        "the Deployment controller starts the pods, each running `gunicorn shop.wsgi:application --bind 0.0.0.0:8000 --workers 1 "
    )


def test_explain_says_how_a_generic_server_is_replicated_and_checked(tmp_path):
    concepts = _explain_json(tmp_path, "server: generic\ncommand: [node, server.js]\n")
    assert concepts["replication"]["compose"] == (
        "3 containers x 1 process (deploy.replicas 3: the generic server forks no workers, so Traefik balances across containers)"
    )
    assert concepts["memory"]["compose"] == "limit 128m per container (one process), cpus 0.25 each; 3 containers"
    assert concepts["startup"]["compose"].endswith(
        "3 containers run `node server.js`; Traefik routes to web while its own check of /healthz succeeds "
        "(no container healthcheck: the image may have no python; give health.command for one)"
    )


def test_explain_says_which_hosts_and_paths_traefik_routes(tmp_path):
    (tmp_path / "p.yaml").write_text(
        "app: web\nimage: registry.example.com/web:1.0\ncommand: [fastapi, run, app.py]\ntargets: [compose, quadlet, nomad]\n"
        "proxy:\n  host: web.example.com\n  aliases: [www.web.example.com]\n  redirects: [old.example.com]\n"
        "  path_prefix: /api\n  strip_prefix: true\n  tls: acme\nnomad: {forwarded_allow_ips: 10.0.0.0/8}\n"
    )
    result = run_cli("explain", "-p", "p.yaml", "--format", "json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    https = json.loads(result.stdout)["concepts"]["https"]
    rule = "(Host(`web.example.com`) || Host(`www.web.example.com`)) && (Path(`/api`) || PathPrefix(`/api/`))"
    notes = (
        "; old.example.com answered under /api with a permanent redirect to web.example.com, keeping the path and query"
        "; the app sees paths without /api (/api/x arrives as /x)"
    )
    assert set(https) == {"compose", "quadlet", "nomad"}
    for target, sentence in https.items():
        assert f"routes {rule} " in sentence, target
        assert notes in sentence, target
