"""`render k8s -o DIR` through the real CLI, and the same input always giving the same bytes."""

from __future__ import annotations

from pathlib import Path

from helpers import CliResult, run_cli
from k8s_support import REPO, bundled, parse_stream, rendering_of

from deploykit import output, pipeline
from deploykit.output import HEADER


def render_cli(*args: str, cwd: Path) -> CliResult:
    return run_cli("render", "k8s", *args, cwd=cwd)


def staging_child(tmp_path: Path, prestart: str) -> str:
    # A copy: `extends` stays inside the first profile's directory (or repository).
    (tmp_path / "bundled").mkdir(exist_ok=True)
    for name in ("base.yaml", "staging.yaml"):
        (tmp_path / "bundled" / name).write_text((REPO / "profiles" / name).read_text(encoding="utf-8"))
    (tmp_path / "staging.yaml").write_text(
        f"extends: bundled/staging.yaml\nk8s:\n  prestart: {prestart}\n", encoding="utf-8"
    )
    return "staging.yaml"


def listing(directory: Path) -> list[str]:
    return sorted(path.name for path in directory.iterdir())


def test_output_directory_drops_files_of_objects_that_disappeared(tmp_path):
    first = render_cli("-p", staging_child(tmp_path, "job"), "-o", "out", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    jobs = [name for name in listing(tmp_path / "out") if name.startswith("job-")]
    assert jobs == ["job-items-api-migrate-1391f6ea.yaml"]

    second = render_cli("-p", staging_child(tmp_path, "init"), "-o", "out", cwd=tmp_path)
    assert second.returncode == 0, second.stderr
    assert listing(tmp_path / "out") == [
        output.MARKER_NAME,
        "deployment-items-api.yaml",
        "ingress-items-api-redirect.yaml",
        "ingress-items-api.yaml",
        "kustomization.yaml",
        "middleware-items-api-headers.yaml",
        "middleware-items-api-redirect.yaml",
        "networkpolicy-items-api.yaml",
        "poddisruptionbudget-items-api.yaml",
        "serverstransport-items-api-transport.yaml",
        "service-items-api.yaml",
        "serviceaccount-items-api.yaml",
    ]
    kustomization = parse_stream((tmp_path / "out" / "kustomization.yaml").read_text(encoding="utf-8"))[0]
    assert sorted(kustomization["resources"]) == [
        name for name in listing(tmp_path / "out") if name not in ("kustomization.yaml", output.MARKER_NAME)
    ]
    # Nothing left beside it: no staging or backup directory.
    assert listing(tmp_path) == ["bundled", "out", "staging.yaml"]


def test_every_written_file_is_marked_and_matches_the_rendering(tmp_path):
    result = render_cli("-p", staging_child(tmp_path, "job"), "-o", "out", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    profile = pipeline.load(tmp_path / "staging.yaml")
    expected = output.directory_contents("k8s", rendering_of(profile).files)
    assert all(expected[file.path] == HEADER + file.content for file in rendering_of(profile).files)
    assert {path.name: path.read_text(encoding="utf-8") for path in (tmp_path / "out").iterdir()} == expected


def test_output_directory_with_foreign_files_is_refused_and_left_alone(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("mine\n", encoding="utf-8")
    (out / "deployment-items-api.yaml").write_text("kind: Deployment\n", encoding="utf-8")
    result = render_cli("--env", "staging", "--profiles", str(REPO / "profiles"), "-o", "out", cwd=tmp_path)
    assert result.returncode == 2
    assert (
        result.stderr
        == "error: refusing to write into out: it holds files deploykit did not render (deployment-items-api.yaml, notes.txt); use a directory of its own\n"
    )
    assert listing(out) == ["deployment-items-api.yaml", "notes.txt"]
    assert (out / "notes.txt").read_text(encoding="utf-8") == "mine\n"


def test_stdout_is_the_whole_stream_and_identical_across_runs(tmp_path):
    first = render_cli("--env", "prod", "--profiles", str(REPO / "profiles"), cwd=tmp_path)
    second = render_cli("--env", "prod", "--profiles", str(REPO / "profiles"), cwd=tmp_path)
    assert first.returncode == second.returncode == 0
    assert first.stdout == second.stdout == HEADER + rendering_of(bundled("prod")).stdout


ORDERED = """\
app: items-api
image: registry.example.com/acme/items-api:1.4.2
replicas: 2
env:
  A_FIRST: one
  M_MIDDLE: two
  Z_LAST: three
secrets:
  DATABASE_URL: {secret: items-db, key: url}
  CACHE_URL: {secret: items-cache, key: url}
labels:
  example.com/team: items
  example.com/cost-center: c42
annotations:
  example.com/owner: ops
  example.com/docs: wiki
k8s:
  namespace: items
  cluster_issuer: letsencrypt-prod
  ingress_annotations:
    example.com/b: "2"
    example.com/a: "1"
  pod_annotations:
    example.com/y: "2"
    example.com/x: "1"
  network_policy:
    ingress_pod_labels:
      app.kubernetes.io/name: traefik
      app.kubernetes.io/instance: traefik
proxy:
  host: api.example.com
  tls: acme
  email: ops@example.com
"""


def reorder(text: str) -> str:
    """The same profile with the entries of every small mapping in reverse order."""
    out: list[str] = []
    block: list[str] = []
    indent = None
    for line in [*text.splitlines(), ""]:
        current = len(line) - len(line.lstrip())
        if block and (current != indent or line.strip().endswith(":") or not line.strip()):
            out += reversed(block)
            block = []
        if line.strip() and current > 0 and not line.strip().endswith(":"):
            indent = current
            block.append(line)
        elif line:
            out.append(line)
    return "\n".join(out) + "\n"


def test_order_of_env_secrets_labels_and_annotations_does_not_change_the_output(tmp_path):
    reordered = reorder(ORDERED)
    assert reordered != ORDERED and sorted(reordered.splitlines()) == sorted(ORDERED.splitlines())
    renderings = []
    for name, text in (("ordered.yaml", ORDERED), ("reordered.yaml", reordered)):
        (tmp_path / name).write_text(text, encoding="utf-8")
        rendering = rendering_of(pipeline.load(tmp_path / name))
        renderings.append((rendering.stdout, rendering.files))
    assert renderings[0] == renderings[1]


def test_rendering_twice_gives_identical_bytes():
    profile = bundled("staging")
    assert rendering_of(profile) == rendering_of(profile)
