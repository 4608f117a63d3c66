"""Hostile file systems: special files, links, permissions, full devices and concurrent runs.

Each test is a scenario that once hung, lost a directory, wrote where it should not, or ended in a
traceback. Scenarios that could hang run deploykit as a separate process with a timeout, so that a
regression fails the test instead of stopping the suite. Permission scenarios need the permission
bits to apply: as root, the process runs under setpriv without the two capabilities that bypass them.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import signal
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from helpers import REPO, run_cli, run_installed
from tooling import require_tool

from deploykit import output
from deploykit.commands.render_all import TEST_DELAY_VARIABLE

# Long enough for any of these runs on a busy machine; a hang fails here instead of stopping the suite.
TIMEOUT = 60


def unprivileged() -> list[str]:
    """A command prefix under which permission bits apply, even to root (CI runs as root)."""
    if os.geteuid() != 0:
        return []
    setpriv = require_tool("setpriv", "util-linux's setpriv runs a command without root's permission overrides")
    return [setpriv, "--bounding-set=-dac_override,-dac_read_search", "--"]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A copy of the bundled profiles in an empty project, rendered once."""
    shutil.copytree(REPO / "profiles", tmp_path / "profiles")
    result = run_cli("render", "all", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    return tmp_path


def snapshot(root: Path) -> dict[str, bytes]:
    """Every file, link and directory under `root`, by relative path (links by their target)."""
    found: dict[str, bytes] = {}
    for path in sorted(root.rglob("*")):
        name = str(path.relative_to(root))
        if path.is_symlink():
            found[name] = b"-> " + os.fsencode(os.readlink(path))
        elif path.is_dir():
            found[name] = b"<dir>"
        else:
            found[name] = path.read_bytes()
    return found


def change_every_profile(project: Path, replicas: int) -> None:
    """Give every environment another replica count, so that every target directory changes."""
    for name in ("dev", "staging", "prod"):
        profile = project / "profiles" / f"{name}.yaml"
        text = profile.read_text()
        if "\nreplicas:" in text:
            text = "\n".join(
                f"replicas: {replicas}" if line.startswith("replicas:") else line for line in text.split("\n")
            )
        else:
            text += f"replicas: {replicas}\n"
        profile.write_text(text)


def staging_directories(root: Path) -> list[Path]:
    return [path for path in root.rglob("*") if path.name.endswith(output.STAGING_SUFFIX)]


# --- Special files (item 1): never read without a bound.


def test_a_fifo_among_the_profiles_is_refused_not_waited_on(project: Path):
    os.mkfifo(project / "profiles" / "extra.yaml")
    before = snapshot(project / "manifests")
    result = run_installed("render", "all", cwd=project, timeout=TIMEOUT)
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == (
        "error: profiles/extra.yaml:1:1: is not a regular file (a FIFO, socket or device); give a profile file\n"
    )
    assert snapshot(project / "manifests") == before


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/urandom"])
def test_a_device_as_the_profile_is_refused_without_reading(tmp_path: Path, device: str):
    result = run_installed("validate", "-p", device, cwd=tmp_path, timeout=TIMEOUT)
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == (
        f"error: {os.path.relpath(device, tmp_path)}:1:1: is not a regular file (a FIFO, socket or device); give a profile file\n"
    )


# --- Concurrent runs (item 3): an exclusive lock, and never another run's staging directory.


def test_two_concurrent_render_alls_both_finish_and_lose_nothing(project: Path):
    """Two real runs, the first held between staging and swapping: the second waits for it.

    (scripts/stress_render_all.py runs the same race 50 times.)
    """
    delay = 1.0
    for round_number, replicas in enumerate((5, 6)):
        change_every_profile(project, replicas)
        environment = {**os.environ, "PYTHONPATH": str(REPO), TEST_DELAY_VARIABLE: str(delay)}
        started = time.monotonic()
        runs = [
            subprocess.Popen(
                [sys.executable, "-m", "deploykit", "render", "all"],
                cwd=project,
                env=environment,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(2)
        ]
        outcomes = [run.communicate(timeout=TIMEOUT) for run in runs]
        elapsed = time.monotonic() - started
        assert [run.returncode for run in runs] == [0, 0], outcomes
        # One waited for the other's lock: together they took both delays.
        assert elapsed >= 2 * delay, f"round {round_number}: the runs did not wait for each other"
        assert run_cli("check", cwd=project).returncode == 0
        assert not staging_directories(project / "manifests")


@contextmanager
def held(directory: Path) -> Iterator[None]:
    """Hold the exclusive lock a deploykit writer takes on `directory`, as a live run would."""
    descriptor = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        os.close(descriptor)


def test_a_live_runs_staging_directory_is_never_removed(project: Path):
    """A run that finds another's staging directory waits for that run instead of deleting it."""
    live_staging = project / "manifests" / "prod" / ".k8s.livexyz.new"
    live_staging.mkdir()
    (live_staging / "service-items-api.yaml").write_text(output.HEADER)
    change_every_profile(project, 7)
    with held(project / "manifests"), held(project / "manifests" / "prod"):
        second = subprocess.Popen(
            [sys.executable, "-m", "deploykit", "render", "all"],
            cwd=project,
            env={**os.environ, "PYTHONPATH": str(REPO)},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        time.sleep(2.0)
        assert second.poll() is None, second.communicate()
        assert (live_staging / "service-items-api.yaml").read_text() == output.HEADER
        shutil.rmtree(live_staging)  # the live run swaps it in and cleans up before releasing its locks
    _, stderr = second.communicate(timeout=TIMEOUT)
    assert second.returncode == 0, stderr
    assert run_cli("check", cwd=project).returncode == 0


def test_leftover_staging_directories_are_removed_by_the_next_run(project: Path):
    """What a killed run leaves (staging directories, a fallback swap's `.old`) the next run removes."""
    for leftover in ("prod/.k8s.killed1.new", "dev/.nomad.killed2.new", "staging/compose.old"):
        (project / "manifests" / leftover).mkdir()
        (project / "manifests" / leftover / "file.yaml").write_text(output.HEADER)
    assert run_cli("render", "all", cwd=project).returncode == 0
    assert not staging_directories(project / "manifests")
    assert not (project / "manifests" / "staging" / "compose.old").exists()
    assert run_cli("check", cwd=project).returncode == 0


# --- All or nothing (item 4): a failure while writing changes no directory.


def test_a_write_failing_in_the_last_environment_changes_no_directory(project: Path):
    """manifests/staging is read-only: dev and prod used to be swapped already, then a traceback (exit 3)."""
    change_every_profile(project, 8)
    before = snapshot(project / "manifests")
    staging = project / "manifests" / "staging"
    staging.chmod(0o555)
    try:
        result = run_installed("render", "all", cwd=project, timeout=TIMEOUT, prefix=unprivileged())
    finally:
        staging.chmod(0o755)
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == "error: cannot write into manifests/staging: Permission denied\n"
    assert snapshot(project / "manifests") == before


# --- The output directory (item 6): deploykit's marker decides; links are not followed.


def test_output_through_a_dangling_link_is_refused(tmp_path: Path):
    (tmp_path / "out").symlink_to(tmp_path / "elsewhere")
    result = run_cli("render", "k8s", "--env", "prod", "--profiles", str(REPO / "profiles"), "-o", "out", cwd=tmp_path)
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr.endswith(
        "error: out is a symbolic link; deploykit writes only into a real directory (it never follows a link out)\n"
    )
    assert not (tmp_path / "elsewhere").exists()


def test_output_through_a_link_to_a_rendered_directory_is_refused(tmp_path: Path):
    rendering = ("render", "k8s", "--env", "prod", "--profiles", str(REPO / "profiles"))
    assert run_cli(*rendering, "-o", "real", cwd=tmp_path).returncode == 0
    (tmp_path / "out").symlink_to("real")
    before = snapshot(tmp_path)
    result = run_cli(*rendering, "-o", "out", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.endswith(
        "error: out is a symbolic link; deploykit writes only into a real directory (it never follows a link out)\n"
    )
    assert snapshot(tmp_path) == before


def test_a_fifo_in_the_output_directory_is_never_opened(tmp_path: Path):
    rendering = ("render", "k8s", "--env", "prod", "--profiles", str(REPO / "profiles"), "-o", "out")
    assert run_cli(*rendering, cwd=tmp_path).returncode == 0
    os.mkfifo(tmp_path / "out" / "pipe")
    result = run_installed(*rendering, cwd=tmp_path, timeout=TIMEOUT)
    assert result.returncode == 2
    assert result.stderr.endswith(
        "error: refusing to write into out: it holds files deploykit did not render (pipe); use a directory of its own\n"
    )
    assert stat.S_ISFIFO(os.lstat(tmp_path / "out" / "pipe").st_mode)


def test_a_large_foreign_directory_is_refused_at_once(tmp_path: Path):
    """`-o /usr/lib` took 20 s to refuse: every file in the tree was opened and read."""
    started = time.perf_counter()
    result = run_cli(
        "render", "k8s", "--env", "prod", "--profiles", str(REPO / "profiles"), "-o", "/usr/lib", cwd=tmp_path
    )
    assert time.perf_counter() - started < 3.0
    assert result.returncode == 2
    assert result.stderr.splitlines()[-1].startswith(
        "error: refusing to write into /usr/lib: it holds files deploykit did not render ("
    )


def test_the_users_empty_directories_and_links_in_the_output_directory_are_kept(tmp_path: Path):
    rendering = ("render", "k8s", "--env", "prod", "--profiles", str(REPO / "profiles"), "-o", "out")
    assert run_cli(*rendering, cwd=tmp_path).returncode == 0
    (tmp_path / "out" / "mine").mkdir()
    (tmp_path / "out" / "data").symlink_to(tmp_path)
    before = snapshot(tmp_path / "out")
    result = run_cli(*rendering, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.endswith(
        "error: refusing to write into out: it holds files deploykit did not render (data, mine/); use a directory of its own\n"
    )
    assert snapshot(tmp_path / "out") == before


def test_another_targets_output_is_not_replaced_without_the_flag(tmp_path: Path):
    """`render k8s -o out && render compose -o out` replaced the Kubernetes files without a word."""
    profiles = ("--env", "prod", "--profiles", str(REPO / "profiles"), "-o", "out")
    assert run_cli("render", "k8s", *profiles, cwd=tmp_path).returncode == 0
    before = snapshot(tmp_path / "out")
    refused = run_cli("render", "compose", *profiles, cwd=tmp_path)
    assert refused.returncode == 2
    assert refused.stderr.endswith(
        "error: out holds deploykit's k8s output; writing compose there would replace it: "
        "use another directory, or --replace-other-target\n"
    )
    assert snapshot(tmp_path / "out") == before
    replaced = run_cli("render", "compose", *profiles, "--replace-other-target", cwd=tmp_path)
    assert replaced.returncode == 0, replaced.stderr
    assert output.rendered_target(tmp_path / "out") == "compose"
    assert (tmp_path / "out" / "compose.yaml").is_file() and not (tmp_path / "out" / "kustomization.yaml").exists()


def test_a_directory_rendered_before_markers_existed_is_still_replaced(tmp_path: Path):
    rendering = ("render", "k8s", "--env", "prod", "--profiles", str(REPO / "profiles"), "-o", "out")
    assert run_cli(*rendering, cwd=tmp_path).returncode == 0
    (tmp_path / "out" / output.MARKER_NAME).unlink()
    (tmp_path / "out" / "old-object.yaml").write_text(output.HEADER + "kind: ConfigMap\n")
    assert run_cli(*rendering, cwd=tmp_path).returncode == 0
    assert not (tmp_path / "out" / "old-object.yaml").exists()
    assert output.rendered_target(tmp_path / "out") == "k8s"


# --- Environment errors (item 7): one line naming the path and the OS error, exit 2.


def test_a_read_only_output_directory(tmp_path: Path):
    (tmp_path / "ro").mkdir(mode=0o555)
    result = run_installed(
        "render", "k8s", "--env", "prod", "--profiles", str(REPO / "profiles"), "-o", "ro/out",
        cwd=tmp_path, timeout=TIMEOUT, prefix=unprivileged(),
    )  # fmt: skip
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr.endswith("error: cannot write into ro: Permission denied\n")
    assert os.listdir(tmp_path / "ro") == []


def test_a_read_only_manifests_tree(project: Path):
    change_every_profile(project, 9)
    before = snapshot(project / "manifests")
    modes = {path: path.stat().st_mode for path in [project / "manifests", *(project / "manifests").rglob("*")]}
    for path in modes:
        path.chmod(stat.S_IMODE(modes[path]) & ~0o222)
    try:
        result = run_installed("render", "all", cwd=project, timeout=TIMEOUT, prefix=unprivileged())
    finally:
        for path, mode in modes.items():
            path.chmod(stat.S_IMODE(mode))
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == "error: cannot write into manifests/dev: Permission denied\n"
    assert snapshot(project / "manifests") == before


def test_an_unreadable_parent_of_the_output_directory(tmp_path: Path):
    (tmp_path / "closed").mkdir(mode=0o000)
    try:
        result = run_installed(
            "render", "k8s", "--env", "prod", "--profiles", str(REPO / "profiles"), "-o", "closed/out",
            cwd=tmp_path, timeout=TIMEOUT, prefix=unprivileged(),
        )  # fmt: skip
    finally:
        (tmp_path / "closed").chmod(0o755)
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr.endswith("error: cannot write into closed: Permission denied\n")


def test_an_unreadable_profiles_directory(project: Path):
    (project / "profiles").chmod(0o000)
    try:
        result = run_installed("render", "all", cwd=project, timeout=TIMEOUT, prefix=unprivileged())
    finally:
        (project / "profiles").chmod(0o755)
    assert (result.returncode, result.stdout) == (2, "")
    # Path.glob found nothing in it, and the run said no profile declared an environment.
    assert result.stderr == "error: profiles: Permission denied\n"


def test_an_output_directory_under_proc(tmp_path: Path):
    result = run_cli(
        "render", "k8s", "--env", "prod", "--profiles", str(REPO / "profiles"), "-o", "/proc/x", cwd=tmp_path
    )
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr.splitlines()[-1].startswith("error: cannot write into /proc: ")


def test_an_environment_that_is_a_file_under_manifests(project: Path):
    shutil.rmtree(project / "manifests" / "prod")
    (project / "manifests" / "prod").write_text("not a directory\n")
    before = snapshot(project / "manifests")
    result = run_cli("render", "all", cwd=project)
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == "error: manifests/prod exists and is not a directory\n"
    assert snapshot(project / "manifests") == before


def test_stdout_on_a_full_device(tmp_path: Path):
    environment = {**os.environ, "PYTHONPATH": str(REPO)}
    with open("/dev/full", "w") as full:
        result = subprocess.run(
            [sys.executable, "-m", "deploykit", "render", "k8s", "--env", "prod", "--profiles", str(REPO / "profiles")],
            cwd=tmp_path,
            env=environment,
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            timeout=TIMEOUT,
        )
    assert result.returncode == 2
    assert result.stderr.splitlines()[-1] == "error: cannot write to standard output: No space left on device"
    assert "Traceback" not in result.stderr and "Exception ignored" not in result.stderr


# --- Other renderings inside the output directory: never deleted by writing over their parent.


@pytest.mark.parametrize(
    ("directory", "named"),
    [
        ("manifests/prod", "(compose/ (compose output), dockerfile/ (dockerfile output), k8s/ (k8s output), "),
        ("manifests", "(dev/compose/ (compose output), dev/dockerfile/ (dockerfile output), "),
    ],
)
def test_writing_over_a_directory_of_renderings_is_refused(project: Path, directory: str, named: str):
    """`render k8s -o manifests/prod` deleted every other target's directory there, and exited 0."""
    before = snapshot(project / "manifests")
    result = run_cli("render", "k8s", "--env", "prod", "-o", directory, cwd=project)
    assert (result.returncode, result.stdout) == (2, "")
    (line,) = result.stderr.splitlines()
    assert line.startswith(
        f"error: refusing to write into {directory}: it holds other rendered directories that replacing it would delete {named}"
    )
    assert line.endswith("; write into a directory of its own")
    assert snapshot(project / "manifests") == before
    # The flag for another target's output does not extend to deleting whole trees of them.
    forced = run_cli("render", "k8s", "--env", "prod", "-o", directory, "--replace-other-target", cwd=project)
    assert forced.returncode == 2
    assert snapshot(project / "manifests") == before


def test_ctrl_c_during_the_swap_leaves_every_directory_old_or_every_one_new(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """SIGINT arriving right after a rename (before the swap was noted) left that one directory new."""
    from deploykit.rendering import RenderedFile

    plans = [output.PlannedDirectory(tmp_path / name, "k8s", (RenderedFile("a.yaml", "old\n"),)) for name in "abc"]
    output.write_directories(plans)
    before = snapshot(tmp_path)
    exchange = output._exchange
    swaps = []

    def interrupted_after_the_second(first: Path, second: Path) -> bool:
        done = exchange(first, second)
        swaps.append(second.name)
        if len(swaps) == 2:
            os.kill(os.getpid(), signal.SIGINT)  # delivered between this rename and the next bytecode
            time.sleep(0.05)
        return done

    monkeypatch.setattr(output, "_exchange", interrupted_after_the_second)
    new = [output.PlannedDirectory(plan.directory, "k8s", (RenderedFile("a.yaml", "new\n"),)) for plan in plans]
    # Another thread alive (as in a test session, or an app embedding deploykit): the kernel may hand it the signal.
    stop = threading.Event()
    other = threading.Thread(target=stop.wait, daemon=True)
    other.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            output.write_directories(new)
    finally:
        stop.set()
    contents = {(tmp_path / name / "a.yaml").read_text() for name in "abc"}
    assert len(contents) == 1, f"a mix of old and new directories: {contents}"
    if contents == {output.HEADER + "old\n"}:
        assert snapshot(tmp_path) == before
    assert not staging_directories(tmp_path)


# --- `init` and `import compose`: all files or none.

INIT = ("init", "--app", "shop", "--image", "registry.example.com/team/shop:2.0.1")


def test_init_writes_every_file_or_none_when_a_write_fails(tmp_path: Path):
    """The JSON Schema, written last and the largest, fails past a file size limit: the profiles stayed."""
    prlimit = require_tool("prlimit", "util-linux's prlimit sets the file size limit")
    result = run_installed(*INIT, cwd=tmp_path, timeout=TIMEOUT, prefix=[prlimit, "--fsize=20000", "--"])
    assert (result.returncode, result.stdout) == (2, "")
    (line,) = result.stderr.splitlines()
    assert line == "error: cannot write deploykit.schema.json: File too large"
    assert sorted(path.name for path in tmp_path.iterdir()) == []
    assert run_cli(*INIT, cwd=tmp_path).returncode == 0


def test_init_never_overwrites_what_appeared_and_then_writes_nothing(tmp_path: Path):
    """A dangling link where the last profile goes (as if created after the check): no file is left."""
    (tmp_path / "profiles").mkdir()
    (tmp_path / "deploykit.schema.json").symlink_to(tmp_path / "nowhere")
    result = run_cli(*INIT, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.splitlines()[-1] == (
        "error: refusing to overwrite deploykit.schema.json: it appeared while deploykit was writing"
    )
    assert sorted(path.name for path in tmp_path.iterdir()) == ["deploykit.schema.json", "profiles"]
    assert list((tmp_path / "profiles").iterdir()) == []


def test_import_writes_both_profiles_or_neither(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    (tmp_path / "compose.yaml").write_text(
        "services:\n  web:\n    image: ghcr.io/acme/web:1.0\n    command: [gunicorn, web.wsgi]\n    ports: ['8000:8000']\n"
    )
    (tmp_path / "profiles").mkdir()
    (tmp_path / "profiles" / "prod.yaml").symlink_to(tmp_path / "nowhere")
    result = run_cli("import", "compose", "--reader", "python", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.splitlines()[-1] == (
        "error: refusing to overwrite profiles/prod.yaml: it appeared while deploykit was writing"
    )
    assert sorted(path.name for path in (tmp_path / "profiles").iterdir()) == ["prod.yaml"]
    # With --force, a failure while putting the second in place keeps both old profiles as they were.
    (tmp_path / "profiles" / "prod.yaml").unlink()
    assert run_cli("import", "compose", "--reader", "python", cwd=tmp_path).returncode == 0
    before = snapshot(tmp_path / "profiles")
    place = output._place_file
    calls = []

    def failing_second(path: Path, scratch: Path, replace: bool) -> Path | None:
        calls.append(path.name)
        if len(calls) == 2:
            raise output.DeployKitError(f"cannot write {path.name}: No space left on device")
        return place(path, scratch, replace)

    monkeypatch.setattr(output, "_place_file", failing_second)
    forced = run_cli("import", "compose", "--reader", "python", "--force", "--app", "other-name", cwd=tmp_path)
    assert forced.returncode == 2, forced.stderr
    assert forced.stderr.splitlines()[-1] == "error: cannot write prod.yaml: No space left on device"
    assert snapshot(tmp_path / "profiles") == before
    assert sorted(path.name for path in (tmp_path / "profiles").iterdir()) == ["base.yaml", "prod.yaml"]
