"""The README's first command, run as written on this machine's system python3, in a copy of the checkout.

Debian's own python3 refuses `pip install` outside a virtual environment (PEP 668) and has no `python`,
so the command makes a venv. It installs no kubernetes client: `diff` and `apply` must then say what to
install. About ten seconds with pip's cache warm (the first run downloads the dependencies).
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest
from helpers import REPO
from tooling import missing

SYSTEM_PYTHON = Path("/usr/bin/python3")
# The system's directories only: no pyenv shims, nothing of this test run's interpreter.
SYSTEM_PATH = "/usr/sbin:/usr/bin:/sbin:/bin"


def readme_first_command() -> str:
    block = re.search(r"```sh\n(.*?)\n```", (REPO / "README.md").read_text(encoding="utf-8"), re.DOTALL)
    assert block is not None, "README.md starts with a ```sh block"
    return block.group(1)


def tracked_copy(destination: Path) -> None:
    """The checkout's tracked files, as a fresh clone would have them."""
    files = subprocess.run(["git", "ls-files", "-z"], cwd=REPO, capture_output=True, check=True).stdout
    for name in files.decode().split("\0"):
        if name and (REPO / name).is_file():
            target = destination / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes((REPO / name).read_bytes())
            target.chmod((REPO / name).stat().st_mode)


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, subprocess.CompletedProcess[str]]:
    probe = subprocess.run([str(SYSTEM_PYTHON), "-c", "import ensurepip, venv"], capture_output=True)
    if not SYSTEM_PYTHON.exists() or probe.returncode != 0:
        missing("the system python3 with venv is needed: apt-get install python3-venv")
    checkout = tmp_path_factory.mktemp("fresh") / "deploykit"
    tracked_copy(checkout)
    environment = {"PATH": SYSTEM_PATH, "HOME": os.environ.get("HOME", "/root"), "LANG": "C.UTF-8"}
    for name in ("PIP_CERT", "PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL", "PIP_FIND_LINKS", "SSL_CERT_FILE"):
        if name in os.environ:
            environment[name] = os.environ[name]  # the machine's way to PyPI, as a user's shell would have it
    result = subprocess.run(
        ["bash", "-c", readme_first_command()],
        cwd=checkout,
        env=environment,
        capture_output=True,
        text=True,
        timeout=900,
    )
    return checkout, result


def test_readme_first_command_installs_renders_and_explains(installed):
    checkout, result = installed
    assert result.returncode == 0, result.stderr[-3000:]
    # pip reports its progress on stdout first; the command ends with the explanation.
    assert result.stdout.endswith("\n" + (REPO / "tests/golden/explain/prod.txt").read_text(encoding="utf-8"))

    def files(root: Path) -> dict[Path, bytes]:
        return {path.relative_to(root): path.read_bytes() for path in root.rglob("*") if path.is_file()}

    assert files(checkout / "manifests") == files(REPO / "manifests")


def test_without_the_cluster_extra_diff_says_what_to_install(installed):
    checkout, _ = installed
    venv_python = checkout / ".venv" / "bin" / "python"
    has_client = subprocess.run([str(venv_python), "-c", "import kubernetes"], capture_output=True)
    assert has_client.returncode != 0, "the README's install must not pull the kubernetes client"
    result = subprocess.run(
        [str(checkout / ".venv/bin/deploykit"), "diff", "k8s", "--env", "prod"],
        cwd=checkout,
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": SYSTEM_PATH},
    )
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr.endswith(
        "error: `deploykit diff` needs the kubernetes client, which is not installed: "
        "pip install 'deploykit[cluster]' (or, in a checkout, pip install -e '.[cluster]')\n"
    )
    version = subprocess.run(
        [str(checkout / ".venv/bin/deploykit"), "--version"],
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": SYSTEM_PATH},
    )
    # The README's renders built the compiled validator on first use, beside the checkout's package.
    built = checkout / "deploykit" / "spec" / "_built_schema.py"
    assert version.stdout.startswith(f"deploykit 0.1.0\nvalidator: compiled schema: {built} (pydantic-core ")
