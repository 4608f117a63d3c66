"""Bad `build:` values: one line on stderr naming file, line, column and field; exit 2; nothing written."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import run_cli

from deploykit import pipeline
from deploykit.errors import DeployKitError

PROFILE = """\
app: items-api
image: registry.example.com/acme/items-api:1.4.2
build:
  {field}
command: [fastapi, run, app/main.py]
"""

PATH_HINT = (
    "use letters, digits, '.', '_', '-' and '/', relative (no leading '/'), with no '..' or hidden ('.'-prefixed) parts"
)
WORKDIR_HINT = "start with '/', use letters, digits, '.', '_', '-' and '/', with no '..', hidden parts or trailing '/'"
PACKAGE_HINT = "write name or name=version (lowercase letters, digits, '+', '-', '.'; versions start with a digit)"

# Through the CLI, as a user meets them.
CLI_CASES = {
    "base image without a tag": (
        "base_image: python",
        "profile.yaml:4:3: build.base_image: 'python' has no tag or digest; pin the image (name:1.2.3 or name@sha256:...)",
    ),
    "base image tagged latest": (
        "base_image: python:latest",
        "profile.yaml:4:3: build.base_image: 'python:latest' uses the tag 'latest'; pin a version tag or a digest",
    ),
    "relative workdir": (
        "workdir: code",
        f"profile.yaml:4:3: build.workdir: 'code' is not an absolute directory such as /code: {WORKDIR_HINT}",
    ),
    "workdir climbing out": (
        "workdir: /code/../etc",
        f"profile.yaml:4:3: build.workdir: '/code/../etc' is not an absolute directory such as /code: {WORKDIR_HINT}",
    ),
    "package with shell metacharacters": (
        'system_packages: ["curl; rm -rf /"]',
        f"profile.yaml:4:21: build.system_packages[0]: 'curl; rm -rf /' is not a Debian package: {PACKAGE_HINT}",
    ),
}

# The same path through the loader in-process (a CLI start-up each costs about a second).
LOADER_CASES = {
    "package with command substitution": (
        'system_packages: [curl=1.0, "$(id)"]',
        f"profile.yaml:4:31: build.system_packages[1]: '$(id)' is not a Debian package: {PACKAGE_HINT}",
    ),
    "package version with a glob": (
        'system_packages: ["curl=7.*"]',
        f"profile.yaml:4:21: build.system_packages[0]: 'curl=7.*' is not a Debian package: {PACKAGE_HINT}",
    ),
    "package listed twice": (
        "system_packages: [curl, curl=7.88.1-10+deb12u8]",
        "profile.yaml:4:3: build.system_packages: 'curl' is listed more than once",
    ),
    "requirements outside the context": (
        "requirements: ../requirements.txt",
        f"profile.yaml:4:3: build.requirements: '../requirements.txt' is not a path inside the build context: {PATH_HINT}",
    ),
    "absolute app path": (
        "app_path: /app",
        f"profile.yaml:4:3: build.app_path: '/app' is not a path inside the build context: {PATH_HINT}",
    ),
    "root user": (
        "user: root",
        "profile.yaml:4:3: build.user: 'root' is not a user name for the app: use up to 32 lowercase letters, digits, '_' and '-', not root",
    ),
    "uid of root": (
        "uid: 0",
        "profile.yaml:4:3: build.uid: must be at least 1000, got 0",
    ),
}


@pytest.mark.parametrize(("field", "message"), CLI_CASES.values(), ids=CLI_CASES.keys())
def test_bad_build_values_fail_in_one_line_and_write_nothing(tmp_path, field, message):
    (tmp_path / "profile.yaml").write_text(PROFILE.format(field=field), encoding="utf-8")
    result = run_cli("render", "dockerfile", "-p", "profile.yaml", "-o", "out", cwd=tmp_path)
    assert (result.returncode, result.stdout, result.stderr) == (2, "", f"error: {message}\n")
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(("field", "message"), LOADER_CASES.values(), ids=LOADER_CASES.keys())
def test_bad_build_values_are_located_errors(tmp_path, monkeypatch, field, message):
    (tmp_path / "profile.yaml").write_text(PROFILE.format(field=field), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(DeployKitError) as raised:
        pipeline.render_profile(Path("profile.yaml"), "dockerfile")
    assert str(raised.value) == message


def test_unpinned_packages_warn_and_strict_makes_them_fatal(tmp_path):
    (tmp_path / "profile.yaml").write_text(PROFILE.format(field="system_packages: [curl]"), encoding="utf-8")
    warning = (
        "warning: profile.yaml:4:21: build.system_packages[0]: curl is not pinned: each build may install "
        "another version (hadolint DL3008); write curl=VERSION [dockerfile unpinned-package]\n"
    )
    result = run_cli("render", "dockerfile", "-p", "profile.yaml", "-o", "out", cwd=tmp_path)
    assert (result.returncode, result.stderr) == (0, warning)
    assert sorted(path.name for path in (tmp_path / "out").iterdir()) == [".deploykit", ".dockerignore", "Dockerfile"]
    strict = run_cli("render", "dockerfile", "-p", "profile.yaml", "-o", "strict-out", "--strict", cwd=tmp_path)
    assert (strict.returncode, strict.stderr) == (2, warning + "error: 1 warning(s) and --strict is set\n")
    assert not (tmp_path / "strict-out").exists()
