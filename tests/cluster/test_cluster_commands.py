"""`deploykit diff k8s` and `deploykit apply k8s`, run as the real CLI against a stand-in API server.

No Kubernetes API server can run on this machine. `standin_apiserver.py` stands in for one: it answers
the requests the real `kubernetes` client makes (GET /version, GET /apis, GET /api/v1 and
/apis/GROUP/VERSION discovery, GET of named objects with a 404 Status when absent, and PATCH with
`application/apply-patch+yaml`), and records them. The CLI runs with KUBECONFIG pointing at it over
plain HTTP, so deploykit's code path is the one a real cluster gets.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import standin_apiserver
from helpers import run_cli

from deploykit import pipeline

PROFILE = """\
app: shop
environment: test
image: registry.example.com/shop:2.0.1
command: ["fastapi", "run", "app/main.py"]
port: 8000
memory: 256Mi
cpu: 250m
replicas: 2
health:
  readiness_path: /readyz
proxy:
  host: shop.example.com
  tls: acme
  email: ops@example.com
k8s:
  namespace: shop
  cluster_issuer: letsencrypt-prod
"""

OBJECTS = [
    "ServiceAccount shop/shop",
    "Deployment shop/shop",
    "Service shop/shop",
    "Middleware shop/shop-headers",
    "Middleware shop/shop-redirect",
    "ServersTransport shop/shop-transport",
    "Ingress shop/shop",
    "Ingress shop/shop-redirect",
    "PodDisruptionBudget shop/shop",
    "NetworkPolicy shop/shop",
]
COUNT = len(OBJECTS)
DEPLOYMENT_PATH = "/apis/apps/v1/namespaces/shop/deployments/shop"
FORBIDDEN = 'deployments.apps "shop" is forbidden: User "dev" cannot patch resource "deployments" in API group "apps" in the namespace "shop"'


@pytest.fixture
def api() -> Iterator[standin_apiserver.StandinApiServer]:
    with standin_apiserver.running() as server:
        yield server


def write_kubeconfig(path: Path, contexts: dict[str, str], current: str) -> Path:
    """A kubeconfig with one cluster per context (name -> server URL) and a bearer-token user."""
    clusters = "".join(f'- name: {name}\n  cluster: {{server: "{url}"}}\n' for name, url in contexts.items())
    context_entries = "".join(f"- name: {name}\n  context: {{cluster: {name}, user: tester}}\n" for name in contexts)
    path.write_text(
        f"apiVersion: v1\nkind: Config\nclusters:\n{clusters}contexts:\n{context_entries}"
        f"current-context: {current}\nusers:\n- name: tester\n  user: {{token: test-token}}\n"
    )
    return path


@pytest.fixture
def project(tmp_path: Path, api: standin_apiserver.StandinApiServer) -> Path:
    """A directory with profiles/test.yaml and a kubeconfig whose current context is the stand-in."""
    (tmp_path / "profiles").mkdir()
    (tmp_path / "profiles/test.yaml").write_text(PROFILE)
    write_kubeconfig(tmp_path / "kubeconfig", {"standin": api.url}, "standin")
    return tmp_path


def deploykit(project: Path, *args: str, kubeconfig: str = "kubeconfig"):
    # HOME and TMPDIR inside the project: nothing is read from or written to the real home or /tmp.
    environment = {"KUBECONFIG": str(project / kubeconfig), "HOME": str(project), "TMPDIR": str(project)}
    return run_cli(*args, cwd=project, env=environment)


def rendered(project: Path) -> list[dict]:
    return list(pipeline.render_profile(project / "profiles/test.yaml", "k8s").rendering.objects)


def test_apply_creates_every_object_by_server_side_apply(project: Path, api):
    result = deploykit(project, "apply", "k8s", "--env", "test")
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout == "".join(f"{name}: applied\n" for name in OBJECTS)
    applies = api.applies()
    assert [request.content_type for request in applies] == ["application/apply-patch+yaml"] * COUNT
    assert [request.query for request in applies] == [{"fieldManager": ["deploykit"]}] * COUNT
    assert [request.body for request in applies] == rendered(project)
    assert sorted(api.objects) == sorted(request.path for request in applies)


def test_force_conflicts_is_sent_only_when_asked_for(project: Path, api):
    result = deploykit(project, "apply", "k8s", "--env", "test", "--force-conflicts")
    assert result.returncode == 0, result.stderr
    assert [request.query for request in api.applies()] == [{"fieldManager": ["deploykit"], "force": ["true"]}] * COUNT


def test_server_dry_run_sends_dry_run_all_and_stores_nothing(project: Path, api):
    result = deploykit(project, "apply", "k8s", "--env", "test", "--dry-run=server")
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout == "".join(f"{name}: applied (server dry run)\n" for name in OBJECTS)
    assert [request.query for request in api.applies()] == [{"dryRun": ["All"], "fieldManager": ["deploykit"]}] * COUNT
    assert api.objects == {}


def test_diff_against_an_empty_cluster_shows_every_object_as_created(project: Path, api):
    result = deploykit(project, "diff", "k8s", "--env", "test")
    assert result.returncode == 1
    assert (
        result.stderr
        == "".join(f"{name}: would be created\n" for name in OBJECTS)
        + f"{COUNT} of {COUNT} object(s) would be created or changed\n"
    )
    assert result.stdout.startswith(
        "--- live/ServiceAccount/shop/shop\n+++ rendered/ServiceAccount/shop/shop\n@@ -0,0 +1,12 @@\n+apiVersion: v1\n"
    )
    assert result.stdout.count("\n--- live/") == COUNT - 1
    assert api.applies() == [], "an absent object needs no dry run: the rendered object is what would be created"


def test_diff_after_apply_reports_no_difference(project: Path, api):
    assert deploykit(project, "apply", "k8s", "--env", "test").returncode == 0
    stored = {path: obj["metadata"]["resourceVersion"] for path, obj in api.objects.items()}
    result = deploykit(project, "diff", "k8s", "--env", "test")
    assert (result.returncode, result.stdout, result.stderr) == (
        0,
        "",
        f"0 of {COUNT} object(s) would be created or changed\n",
    )
    diff_applies = api.applies()[COUNT:]
    assert [request.query for request in diff_applies] == [{"dryRun": ["All"], "fieldManager": ["deploykit"]}] * COUNT
    assert {path: obj["metadata"]["resourceVersion"] for path, obj in api.objects.items()} == stored


def test_diff_after_a_profile_change_shows_the_change(project: Path, api):
    assert deploykit(project, "apply", "k8s", "--env", "test").returncode == 0
    profile = project / "profiles/test.yaml"
    profile.write_text(profile.read_text().replace("replicas: 2", "replicas: 3"))
    result = deploykit(project, "diff", "k8s", "--env", "test")
    assert result.returncode == 1
    assert result.stdout == (
        "--- live/Deployment/shop/shop\n"
        "+++ rendered/Deployment/shop/shop\n"
        "@@ -11,7 +11,7 @@\n"
        "   namespace: shop\n"
        " spec:\n"
        "   progressDeadlineSeconds: 600\n"
        "-  replicas: 2\n"
        "+  replicas: 3\n"
        "   revisionHistoryLimit: 5\n"
        "   selector:\n"
        "     matchLabels:\n"
    )
    assert result.stderr == f"Deployment shop/shop: would change\n1 of {COUNT} object(s) would be created or changed\n"
    assert api.objects[DEPLOYMENT_PATH]["spec"]["replicas"] == 2, "diff never changes the cluster"


def test_set_overrides_reach_the_cluster(project: Path, api):
    result = deploykit(project, "apply", "k8s", "--env", "test", "--set", "replicas=5")
    assert result.returncode == 0, result.stderr
    assert api.objects[DEPLOYMENT_PATH]["spec"]["replicas"] == 5


def test_forbidden_apply_is_a_one_line_error_naming_the_object(project: Path, api):
    api.refuse("PATCH", DEPLOYMENT_PATH, 403, "Forbidden", FORBIDDEN)
    result = deploykit(project, "apply", "k8s", "--env", "test")
    assert (result.returncode, result.stdout) == (2, "ServiceAccount shop/shop: applied\n")
    assert result.stderr == f"error: Deployment shop/shop: server-side apply: 403 Forbidden: {FORBIDDEN}\n"


def test_invalid_object_in_diff_is_a_one_line_error_with_the_server_message(project: Path, api):
    assert deploykit(project, "apply", "k8s", "--env", "test").returncode == 0
    message = 'Deployment.apps "shop" is invalid: spec.template.spec.containers[0].image: Required value'
    api.refuse("PATCH", DEPLOYMENT_PATH, 422, "Invalid", message)
    result = deploykit(project, "diff", "k8s", "--env", "test")
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == f"error: Deployment shop/shop: server-side apply: 422 Unprocessable Entity: {message}\n"


def test_conflict_names_the_flag_that_resolves_it(project: Path, api):
    message = 'Apply failed with 1 conflict: conflict with "kubectl-scale" using apps/v1: .spec.replicas'
    api.refuse("PATCH", DEPLOYMENT_PATH, 409, "Conflict", message)
    result = deploykit(project, "apply", "k8s", "--env", "test")
    assert result.returncode == 2
    assert result.stderr == (
        f"error: Deployment shop/shop: server-side apply: 409 Conflict: {message}"
        " (another field manager owns these fields; `deploykit apply --force-conflicts` takes them over)\n"
    )


def test_forbidden_read_in_diff_is_a_one_line_error(project: Path, api):
    message = 'serviceaccounts "shop" is forbidden: User "dev" cannot get resource "serviceaccounts" in API group "" in the namespace "shop"'
    api.refuse("GET", "/api/v1/namespaces/shop/serviceaccounts/shop", 403, "Forbidden", message)
    result = deploykit(project, "diff", "k8s", "--env", "test")
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == f"error: ServiceAccount shop/shop: reading the live object: 403 Forbidden: {message}\n"


def test_context_option_selects_the_cluster(project: Path, api):
    write_kubeconfig(project / "two-clusters", {"elsewhere": "http://127.0.0.1:9", "standin": api.url}, "elsewhere")
    result = deploykit(project, "apply", "k8s", "--env", "test", "--context", "standin", kubeconfig="two-clusters")
    assert result.returncode == 0, result.stderr
    assert len(api.objects) == COUNT


def test_unreachable_server_is_a_one_line_error(project: Path):
    write_kubeconfig(project / "dead", {"dead": "http://127.0.0.1:9"}, "dead")
    result = deploykit(project, "diff", "k8s", "--env", "test", kubeconfig="dead")
    assert (result.returncode, result.stdout) == (2, "")
    assert (
        result.stderr
        == "error: API discovery: cannot reach the Kubernetes API server at http://127.0.0.1:9: Connection refused\n"
    )


def test_missing_kubeconfig_is_a_one_line_error(project: Path):
    result = deploykit(project, "diff", "k8s", "--env", "test", kubeconfig="missing")
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == f"error: no kubeconfig found at {project / 'missing'} (from KUBECONFIG)\n"


def test_unknown_context_is_a_one_line_error(project: Path):
    result = deploykit(project, "apply", "k8s", "--env", "test", "--context", "nope")
    kubeconfig = project / "kubeconfig"
    assert (result.returncode, result.stdout) == (2, "")
    assert (
        result.stderr
        == f"error: cannot use the kubeconfig ({kubeconfig}): Invalid kube-config file. Expected object with name nope in {kubeconfig}/contexts list\n"
    )


@pytest.mark.parametrize("verb", ["diff", "apply"])
def test_only_k8s_is_supported(project: Path, api, verb: str):
    result = deploykit(project, verb, "compose", "--env", "test")
    assert (result.returncode, result.stdout, result.stderr) == (
        2,
        "",
        "error: diff/apply support only k8s, not 'compose'\n",
    )
    assert api.requests == []


def test_client_dry_run_is_refused(project: Path, api):
    result = deploykit(project, "apply", "k8s", "--env", "test", "--dry-run=client")
    assert (result.returncode, result.stdout) == (2, "")
    assert (
        result.stderr
        == "error: --dry-run=client is not supported; use --dry-run=server (the API server checks everything and stores nothing)\n"
    )
    assert api.requests == []


def test_invalid_profile_fails_before_contacting_the_cluster(project: Path, api):
    profile = project / "profiles/test.yaml"
    profile.write_text(profile.read_text().replace("replicas: 2", "replicas: two"))
    result = deploykit(project, "apply", "k8s", "--env", "test")
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == "error: profiles/test.yaml:8:1: replicas: expected a whole number, got string 'two'\n"
    assert api.requests == []


@pytest.mark.parametrize("command", ["diff", "apply"])
def test_without_the_cluster_extra_diff_and_apply_say_what_to_install(command: str, monkeypatch):
    # A None entry in sys.modules makes `import kubernetes` fail as it does where the extra is not installed;
    # the fresh-install test (tests/workflow/test_install.py) sees the same message with no kubernetes at all.
    monkeypatch.setitem(__import__("sys").modules, "kubernetes", None)
    result = run_cli(command, "k8s", "--env", "prod")
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr.endswith(
        f"error: `deploykit {command}` needs the kubernetes client, which is not installed: "
        "pip install 'deploykit[cluster]' (or, in a checkout, pip install -e '.[cluster]')\n"
    )
