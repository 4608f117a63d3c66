"""The GitOps loop in a scratch project: render all, check, drift, overrides, interruption."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from helpers import REPO, run_cli

from deploykit import output
from deploykit.commands import render_all
from deploykit.commands.common import ManifestsChoice
from deploykit.errors import DeployKitError


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A copy of the bundled profiles in an empty project, rendered once."""
    shutil.copytree(REPO / "profiles", tmp_path / "profiles")
    result = run_cli("render", "all", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    return tmp_path


def snapshot(root: Path) -> dict[str, bytes]:
    return {str(path.relative_to(root)): path.read_bytes() for path in sorted(root.rglob("*")) if path.is_file()}


def test_render_all_then_check_passes(project: Path):
    assert sorted(os.listdir(project / "manifests")) == ["dev", "prod", "staging"]
    result = run_cli("check", cwd=project)
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


def test_render_all_is_quiet_off_a_terminal_and_deterministic(project: Path):
    before = snapshot(project / "manifests")
    result = run_cli("render", "all", cwd=project)
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")
    assert snapshot(project / "manifests") == before


def test_edited_manifest_fails_check_with_a_diff(project: Path):
    service = project / "manifests/prod/k8s/service-items-api.yaml"
    service.write_text(service.read_text().replace("port: 80", "port: 8080"))
    result = run_cli("check", cwd=project)
    assert result.returncode == 1
    assert "--- manifests/prod/k8s/service-items-api.yaml (committed)\n" in result.stdout
    assert "+++ manifests/prod/k8s/service-items-api.yaml (rendered)\n" in result.stdout
    assert "-      port: 8080\n+      port: 80\n" in result.stdout
    assert (
        result.stderr == "manifests are stale: 1 changed, 0 missing, 0 extra; run `deploykit render all` and commit\n"
    )


def test_missing_and_extra_files_are_listed(project: Path):
    (project / "manifests/dev/k8s/service-items-api.yaml").unlink()
    (project / "manifests/dev/k8s/old-object.yaml").write_text(output.HEADER)
    result = run_cli("check", cwd=project)
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        "missing: manifests/dev/k8s/service-items-api.yaml",
        "extra: manifests/dev/k8s/old-object.yaml (no longer rendered)",
        "manifests are stale: 0 changed, 1 missing, 1 extra; run `deploykit render all` and commit",
    ]


def test_profile_change_fails_check_until_rendered(project: Path):
    prod = project / "profiles/prod.yaml"
    prod.write_text(prod.read_text().replace("replicas: 4", "replicas: 5"))
    failed = run_cli("check", cwd=project)
    assert failed.returncode == 1
    assert "-  replicas: 4\n+  replicas: 5\n" in failed.stdout
    assert run_cli("render", "all", cwd=project).returncode == 0
    assert run_cli("check", cwd=project).returncode == 0


def test_render_all_narrowed_by_env_and_target(project: Path):
    shutil.rmtree(project / "manifests")
    result = run_cli("render", "all", "--env", "prod", "--target", "k8s", cwd=project)
    assert result.returncode == 0, result.stderr
    assert sorted(str(p.relative_to(project)) for p in (project / "manifests").iterdir()) == ["manifests/prod"]
    assert os.listdir(project / "manifests/prod") == ["k8s"]
    assert run_cli("check", "--env", "prod", "--target", "k8s", cwd=project).returncode == 0


def test_removed_objects_disappear(project: Path):
    staging = project / "profiles/staging.yaml"
    assert any(p.name.startswith("job-") for p in (project / "manifests/staging/k8s").iterdir())
    staging.write_text(staging.read_text().replace("  prestart: job\n", ""))
    assert run_cli("render", "all", cwd=project).returncode == 0
    assert not any(p.name.startswith("job-") for p in (project / "manifests/staging/k8s").iterdir())
    assert run_cli("check", cwd=project).returncode == 0


def test_set_overrides_render_and_check(project: Path):
    result = run_cli("check", "--set", "replicas=6", "--env", "prod", cwd=project)
    assert result.returncode == 1
    assert "+  replicas: 6\n" in result.stdout
    rendered = run_cli(
        "render", "k8s", "--env", "prod", "--set", "image=registry.example.com/acme/items-api:1.4.3", cwd=project
    )
    assert rendered.returncode == 0
    assert "image: registry.example.com/acme/items-api:1.4.3\n" in rendered.stdout


@pytest.mark.parametrize(
    ("assignment", "message"),
    [
        ("replicas=six", "error: --set replicas=six:1:16: replicas: expected a whole number, got string 'six'\n"),
        ("replicas=true", "error: --set replicas=true:1:16: replicas: expected a whole number, got boolean true\n"),
        (
            "image=1.10",
            "error: --set image=1.10:1:13: image: the plain value '1.10' is read as the number 1.1, losing its trailing zero; quote it (\"1.10\") if it is text, or write 1.1 if it is a number\n",
        ),
        (
            "port=no",
            "error: --set port=no:1:12: port: the plain value 'no' means different things to different YAML readers; quote it (\"no\") if it is text, or write true/false or a plain number\n",
        ),
        ("replicas", "error: --set replicas:1:1: expected PATH=VALUE, e.g. --set replicas=6\n"),
        (
            "k8s.namespac=x",
            "error: --set k8s.namespac=x:1:7: k8s.namespac: unknown field 'namespac'; did you mean 'namespace'?\n",
        ),
    ],
)
def test_set_errors_name_the_argument(project: Path, assignment: str, message: str):
    before = snapshot(project / "manifests")
    result = run_cli("render", "all", "--set", assignment, cwd=project)
    assert (result.returncode, result.stdout, result.stderr) == (2, "", message)
    assert snapshot(project / "manifests") == before


def test_invalid_profile_writes_nothing(project: Path):
    before = snapshot(project / "manifests")
    dev = project / "profiles/dev.yaml"
    dev.write_text(dev.read_text() + "replicas: -1\n")
    result = run_cli("render", "all", cwd=project)
    assert result.returncode == 2
    assert result.stderr.startswith("error: profiles/dev.yaml:")
    assert snapshot(project / "manifests") == before


@pytest.mark.parametrize("failing_write", [3, 40], ids=["in-the-first-directory", "in-the-last-directories"])
def test_fault_while_writing_leaves_previous_manifests(project: Path, monkeypatch: pytest.MonkeyPatch, failing_write):
    """Fault injection: one file write fails (disk full); no directory changes, not even those staged before.

    Every directory is staged before the first is swapped in: a failure in the last one used to leave
    dev and prod already replaced.
    """
    change_every_profile(project)
    before = snapshot(project / "manifests")
    calls = {"count": 0}

    def failing_open(file, mode="r", *args, **kwargs):
        if "w" in mode:
            calls["count"] += 1
            if calls["count"] == failing_write:
                raise OSError(28, "No space left on device")
        return open(file, mode, *args, **kwargs)

    monkeypatch.chdir(project)
    monkeypatch.setattr(output, "open", failing_open, raising=False)
    with pytest.raises(DeployKitError) as caught:
        render_all.run(ManifestsChoice(Path("profiles"), Path("manifests")), strict=False, quiet=True)
    monkeypatch.undo()
    assert str(caught.value).endswith(": No space left on device")
    assert calls["count"] == failing_write
    assert snapshot(project / "manifests") == before
    assert not [p for p in (project / "manifests").rglob("*") if p.name.endswith(output.STAGING_SUFFIX)]


def test_a_failed_swap_puts_back_the_directories_already_swapped(project: Path, monkeypatch: pytest.MonkeyPatch):
    """Fault injection: the sixth of fifteen swaps fails; the five done are swapped back."""
    change_every_profile(project)
    before = snapshot(project / "manifests")
    real_swap = output._swap_in
    calls = {"count": 0}

    def failing_swap(item):
        calls["count"] += 1
        if calls["count"] == 6:
            raise OSError(5, "Input/output error")
        real_swap(item)

    monkeypatch.chdir(project)
    monkeypatch.setattr(output, "_swap_in", failing_swap)
    with pytest.raises(DeployKitError) as caught:
        render_all.run(ManifestsChoice(Path("profiles"), Path("manifests")), strict=False, quiet=True)
    monkeypatch.undo()
    assert str(caught.value) == "cannot replace manifests/prod/k8s: Input/output error"
    assert snapshot(project / "manifests") == before
    assert not [p for p in (project / "manifests").rglob("*") if p.name.endswith(output.STAGING_SUFFIX)]


def change_every_profile(project: Path) -> None:
    for name in ("dev", "prod", "staging"):
        profile = project / f"profiles/{name}.yaml"
        profile.write_text(profile.read_text() + "labels:\n  team: items\n")


def test_killed_render_never_leaves_a_mix(project: Path):
    """SIGKILL at many points of a real run: each target directory is wholly old or wholly new."""
    old = snapshot(project / "manifests")
    prod = project / "profiles/prod.yaml"
    prod.write_text(prod.read_text().replace("replicas: 4", "replicas: 9"))
    assert run_cli("render", "all", cwd=project).returncode == 0
    new = snapshot(project / "manifests")
    prod.write_text(prod.read_text().replace("replicas: 9", "replicas: 4"))
    assert run_cli("render", "all", cwd=project).returncode == 0

    def by_directory(files: dict[str, bytes]) -> dict[str, dict[str, bytes]]:
        grouped: dict[str, dict[str, bytes]] = {}
        for name, content in files.items():
            directory, _, leaf = name.rpartition("/")
            grouped.setdefault(directory, {})[leaf] = content
        return grouped

    old_dirs, new_dirs = by_directory(old), by_directory(new)
    for delay in [0.04 * step for step in range(10)]:
        prod.write_text(prod.read_text().replace("replicas: 4", "replicas: 9"))
        process = subprocess.Popen([sys.executable, "-m", "deploykit", "render", "all"], cwd=project)
        time.sleep(delay)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
        current = by_directory(snapshot(project / "manifests"))
        for directory, files in current.items():
            if "/." in "/" + directory or directory.endswith(".new"):
                continue  # a killed run's staging directory: cleaned up by the next run
            assert files in (old_dirs[directory], new_dirs[directory]), (
                f"{directory} mixes old and new files (killed after {delay:.2f}s)"
            )
        # Restore the old state for the next round.
        prod.write_text(prod.read_text().replace("replicas: 9", "replicas: 4"))
        assert run_cli("render", "all", cwd=project).returncode == 0
        assert snapshot(project / "manifests") == old


def test_render_prints_only_manifests_on_stdout_for_plugins():
    """Argo CD's plugin reads stdout as the manifests: warnings must go to stderr only."""
    from ruamel.yaml import YAML

    # With the dev profile's accepted warnings shown again, so stderr has something to keep apart.
    result = run_cli("render", "k8s", "--env", "dev", "--set", "accept_warnings=[]")
    assert result.returncode == 0
    documents = list(YAML(typ="safe", pure=True).load_all(result.stdout))
    assert [document["kind"] for document in documents] == [
        "ServiceAccount",
        "Deployment",
        "Service",
        "Middleware",
        "ServersTransport",
        "Ingress",
        "PodDisruptionBudget",
        "NetworkPolicy",
    ]
    assert result.stderr.startswith("warning: profiles/")
    strict = run_cli("render", "k8s", "--env", "dev", "--strict", "--set", "accept_warnings=[]")
    assert strict.returncode == 2
    assert strict.stdout == ""
    assert strict.stderr.splitlines()[-1] == "error: 2 warning(s) and --strict is set"


def test_directories_no_profile_renders_are_reported_and_removed(project: Path):
    old = project / "manifests/old/k8s"
    old.mkdir(parents=True)
    shutil.copy(project / "manifests/dev/k8s/service-items-api.yaml", old)
    foreign = project / "manifests/prod/helm"
    foreign.mkdir()
    (foreign / "values.yaml").write_text("replicas: 1\n")
    result = run_cli("check", cwd=project)
    assert result.returncode == 1
    assert result.stderr.splitlines()[:2] == [
        "extra: manifests/old/ (no profile renders it any more)",
        "extra: manifests/prod/helm/ (no profile renders it any more)",
    ]
    assert run_cli("render", "all", cwd=project).returncode == 0
    assert not (project / "manifests/old").exists()
    assert (foreign / "values.yaml").read_text() == "replicas: 1\n"  # not deploykit's: left for the team to remove


def test_strict_check_names_the_warnings_it_fails_on(project: Path):
    result = run_cli(
        "check", "--strict", "--env", "dev", "--target", "k8s", "--set", "accept_warnings=[plain-http]", cwd=project
    )
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "warning: profiles/dev.yaml:4:1: replicas: a single pod: every node drain or node restart takes the app down; use 2 or more for availability [k8s single-replica]",
        "error: 1 warning(s) and --strict is set",
    ]


def test_strict_check_passes_on_the_bundled_profiles_which_accept_their_warnings():
    result = run_cli("check", "--strict")
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


def test_warnings_reach_stderr_off_a_terminal(project: Path):
    """CI logs must show warnings: render all prints them whatever stderr is (progress lines stay off)."""
    result = run_cli("render", "all", "--set", "accept_warnings=[]", cwd=project)
    assert result.returncode == 0
    lines = result.stderr.splitlines()
    assert lines and all(line.startswith("warning: ") for line in lines)
    assert (
        "warning: profiles/dev.yaml:4:1: replicas: a single pod: every node drain or node restart takes the app down; use 2 or more for availability [k8s single-replica]"
        in lines
    )
    quiet = run_cli("render", "all", "--quiet", "--set", "accept_warnings=[]", cwd=project)
    assert (quiet.returncode, quiet.stderr) == (0, "")
