"""An image deploykit did not build, run as it is from the rendered compose.yaml behind Traefik.

The image (tests/e2e/hostcheck/) has no python, its own USER (uid 20002) and CMD, writes under /var
when it starts, and refuses any Host but its public one, as Django's ALLOWED_HOSTS does. The profile
(tests/e2e/profiles/hostcheck.yaml) gives no command, `run_as: image`, the directory it writes as a
writable path, and the image's own probe. It must start, pass its health check, be routed by
Traefik over verified HTTPS under its path prefix (stripped: the image serves from /), and see the
public host on every probe.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from engine import Podman, debian_image
from helpers import REPO
from stacks import https_get, running_stack

pytestmark = pytest.mark.e2e

PROFILE = REPO / "tests" / "e2e" / "profiles" / "hostcheck.yaml"
IMAGE_DIR = REPO / "tests" / "e2e" / "hostcheck"
HOST = "hostcheck.e2e.test"
PREFIX = "/hc"  # proxy.path_prefix, stripped by Traefik


def build_image(workdir: Path):
    def build(podman: Podman, debootstrap: str, tag: str) -> None:
        debian_image(podman, debootstrap)
        context = workdir / "hostcheck-context"
        shutil.copytree(IMAGE_DIR, context)
        podman.build(context, context / "Containerfile", tag, host_ca=False)

    return build


@pytest.fixture(scope="module")
def hostcheck(podman, tmp_path_factory):
    workdir = tmp_path_factory.mktemp("hostcheck")
    with running_stack(podman, workdir, PROFILE, IMAGE_DIR, {}, "hostcheck", build=build_image(workdir)) as running:
        yield running


def test_it_runs_its_own_command_as_its_own_user_behind_traefik(hostcheck):
    seen = https_get(hostcheck, f"{PREFIX}/whoami").json()
    assert seen["uid"] == 20002  # the image's USER, not deploykit's 10001
    service = hostcheck.config(hostcheck.compose_file)["services"]["hostcheck"]
    assert [service.get(key) for key in ("command", "entrypoint", "user")] == [None, None, None]
    container = hostcheck.inspect("hostcheck")
    assert container["Config"]["Cmd"] == ["/usr/local/bin/hostcheck-server"]
    assert container["HostConfig"]["ReadonlyRootfs"] is True


def test_it_wrote_under_var_beside_a_read_only_root(hostcheck):
    result = hostcheck.podman.run("exec", hostcheck.container("hostcheck"), "cat", "/var/lib/hostcheck/started")
    assert result.stdout.strip().isdigit()
    denied = hostcheck.podman.run("exec", hostcheck.container("hostcheck"), "touch", "/var/other", check=False)
    assert denied.returncode != 0


def test_its_health_check_passes_and_every_probe_names_the_public_host(hostcheck):
    state = hostcheck.inspect("hostcheck")["State"]
    health = state.get("Health") or state.get("Healthcheck") or {}
    assert health.get("Status") == "healthy", state
    seen = https_get(hostcheck, f"{PREFIX}/whoami").json()
    # The container's own probe and Traefik's health check both asked with the public host; no
    # request named an address (the app would have answered 400 and never been routed).
    assert set(seen["probes"]) == {HOST} and seen["probes"][HOST] >= 1
    assert seen["refused"] == 0


def test_it_is_reached_under_its_prefix_only_and_sees_the_path_without_it(hostcheck):
    assert hostcheck.profile.proxy.path_prefix == PREFIX and hostcheck.profile.proxy.strip_prefix
    seen = https_get(hostcheck, f"{PREFIX}/whoami")
    assert seen.status == 200
    # The image's own paths (Traefik's health check asks /healthz straight, past the router) answer
    # only under the prefix; a path merely starting with its characters is not the app's.
    for path in ("/whoami", "/healthz", f"{PREFIX}x/whoami"):
        response = https_get(hostcheck, path)
        # Traefik's own 404 (text), not the app's (JSON): the request never reached the app.
        assert (response.status, response.body.startswith(b"{")) == (404, False), path
