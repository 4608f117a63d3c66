"""The shop example (Django, gunicorn with uvicorn workers) as its rendered Compose stack, for real.

The second server on the real engine: the image from the rendered Dockerfile (several code paths, a
build-time collectstatic), the prestart check, 3 gunicorn workers under one arbiter in one
container, the memory that budget implies, and Traefik in front over verified HTTPS.
"""

from __future__ import annotations

import pytest
from helpers import REPO
from stacks import container_processes, http_get, https_get, running_stack

pytestmark = pytest.mark.e2e

PROFILE = REPO / "tests" / "e2e" / "profiles" / "shop.yaml"
EXAMPLE_APP = REPO / "examples" / "shop"
SECRETS = {"DJANGO_SECRET_KEY": "e2e-only-secret-key-with-enough-length-to-be-accepted-by-django-checks"}
MEBIBYTE = 2**20


@pytest.fixture(scope="module")
def shop(podman, tmp_path_factory):
    with running_stack(podman, tmp_path_factory.mktemp("shop"), PROFILE, EXAMPLE_APP, SECRETS, "shop") as running:
        yield running


def test_the_app_answers_over_verified_https_and_trusts_only_traefik(shop):
    assert https_get(shop, "/").json() == {"shop": "open"}
    # Ready means the static files were collected into the image at build time and the key was read.
    assert https_get(shop, "/readyz").json() == {"status": "ok"}
    seen = https_get(shop, "/whoami").json()
    assert seen["scheme"] == "https"
    # The client is the peer Traefik saw (its access log), not Traefik's own address.
    traefik = shop.inspect("traefik")
    assert seen["client"] not in {net["IPAddress"] for net in traefik["NetworkSettings"]["Networks"].values()}
    redirect = http_get(shop, "/whoami")
    assert redirect.status in (301, 308)


def test_three_gunicorn_workers_under_one_arbiter(shop):
    rows = container_processes(shop, "shop")
    arbiter = [pid for pid, ppid, args in rows if ppid == "0"]
    assert len(arbiter) == 1, rows
    workers = [pid for pid, ppid, args in rows if ppid == arbiter[0]]
    assert len(workers) == 3, rows
    assert all("gunicorn" in args for _, _, args in rows), rows


def test_memory_covers_three_workers_and_the_arbiter(shop):
    host_config = shop.inspect("shop")["HostConfig"]
    assert host_config["Memory"] == 3 * 128 * MEBIBYTE + 64 * MEBIBYTE
    assert host_config["ReadonlyRootfs"] is True


def test_the_prestart_check_ran_before_the_app(shop):
    state = shop.inspect("check")["State"]
    assert (state["Status"], state["ExitCode"]) == ("exited", 0)
    logs = shop.podman.run("logs", shop.container("check")).stdout
    assert "System check identified no issues" in logs
