"""The app replicas' drain: the ExecStop and ExecStartPost lines Podman's own generator (Debian 13's)
writes from the rendered units, in the order systemd runs them, run on the rendered traefik/routes.yaml.

Only the host programs the lines name run here (flock, sed); the e2e (tests/e2e/test_quadlet_stack.py)
runs them against a real Traefik under load."""

from __future__ import annotations

import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import yaml
from helpers import render_data
from quadlet_support import dry_run, generate, generated_services, unit_commands, write
from test_quadlet_generator import PROFILE, _variant
from tooling import require_tool

from deploykit.targets.quadlet import build


def _servers(routes: Path) -> list[str]:
    service = yaml.safe_load(routes.read_text())["http"]["services"]["shop"]
    return [server["url"] for server in service["loadBalancer"]["servers"] or []]


def _run(argv: list[str]) -> None:
    """One Exec line as systemd runs it: a program without a slash is looked up on the search path."""
    program = shutil.which(argv[0]) if "/" not in argv[0] else argv[0]
    assert program is not None, f"{argv[0]} is not installed"
    done = subprocess.run([program, *argv[1:]], capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr


def _installed(tmp_path: Path, data: dict, config_dir: Path | None = None) -> tuple[Path, dict]:
    """The rendered units written where they are installed, and each generated service's Exec lines."""
    for tool in ("flock", "sed"):
        require_tool(tool, "apt-get install util-linux sed")
    install = data.get("quadlet", {}).get("install_dir")
    units = write(render_data(data, "quadlet").rendering, Path(install) if install else tmp_path / "units")
    generated = generate(units, tmp_path / "generated")[0].parent
    return units, unit_commands(generated, tmp_path / "run", config_dir)


def test_the_drain_runs_before_podman_stops_the_container_and_the_replica_returns_after_it_started(tmp_path):
    code, stdout, log = dry_run(write(render_data(PROFILE, "quadlet").rendering, tmp_path / "units"))
    assert code == 0, log
    service = generated_services(stdout)["shop-1.service"]
    stops = [line for line in service.splitlines() if line.startswith("ExecStop")]
    # The unit's own lines first, then Quadlet's `podman rm` (SIGTERM, StopTimeout, SIGKILL).
    assert stops[0].startswith("ExecStop=-flock %E/containers/systemd/traefik/. sed -E -i -e ")
    assert stops[0].endswith('# drained - url: http://shop-1:8000|" %E/containers/systemd/traefik/routes.yaml')
    assert stops[1] == f"ExecStop=sleep {build.DRAIN_SECONDS}"
    assert stops[2].startswith("ExecStop=/usr/bin/podman rm ")
    assert stops[3].startswith("ExecStopPost=")
    assert len(stops) == 4
    starts = [line for line in service.splitlines() if line.startswith("ExecStartPost=")]
    assert len(starts) == 1
    assert starts[0].startswith("ExecStartPost=flock %E/containers/systemd/traefik/. sed -E -i -e ")
    assert "# drained - url: http://shop-1:8000$$|\\\\1- url: http://shop-1:8000|" in starts[0]
    # systemd waits for the drain too before it kills what is left: 5 s + shutdown_seconds + 15 s.
    assert "TimeoutStopSec=50s" in service.splitlines()


def test_the_drain_comments_one_replica_out_of_the_routes_and_the_start_puts_it_back(tmp_path):
    """Replica 1 of 11 (http://shop-10:8000 and shop-11 start with shop-1's URL) leaves and comes back,
    twice in a row each way, and the file is then byte for byte the rendered one."""
    data = _variant(replicas=11, quadlet__install_dir=str(tmp_path / "containers-systemd"))
    units, commands = _installed(tmp_path, data)
    routes = units / "traefik" / "routes.yaml"
    rendered = routes.read_text()
    everyone = [f"http://shop-{index}:8000" for index in range(1, 12)]
    assert _servers(routes) == everyone
    drain, wait = commands["shop-1"]["ExecStop"][:2]
    assert wait == ["sleep", str(build.DRAIN_SECONDS)]
    for _ in range(2):
        _run(drain)
        assert _servers(routes) == everyone[1:]
        assert "        # drained - url: http://shop-1:8000\n" in routes.read_text()
    for _ in range(2):
        _run(commands["shop-1"]["ExecStartPost"][0])
        assert routes.read_text() == rendered


def test_replicas_stopping_and_starting_together_lose_no_edit(tmp_path):
    """At shutdown and boot systemd stops and starts every replica at once: flock serialises their
    edits of the one file, so none is lost (each sed renames its own copy over the file)."""
    data = _variant(replicas=8)
    config = tmp_path / "etc"
    _, commands = _installed(tmp_path, data, config_dir=config)
    # The default install directory, %E/containers/systemd, with %E as systemd's system manager reads it.
    shutil.copytree(tmp_path / "units", config / "containers" / "systemd")
    routes = config / "containers" / "systemd" / "traefik" / "routes.yaml"
    replicas = [f"shop-{index}" for index in range(1, 9)]
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda unit: _run(commands[unit]["ExecStop"][0]), replicas))
    assert _servers(routes) == []
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda unit: _run(commands[unit]["ExecStartPost"][0]), replicas))
    assert sorted(_servers(routes)) == sorted(f"http://{unit}:8000" for unit in replicas)


@pytest.mark.parametrize("variant", ["no-proxy", "plain-http"])
def test_only_a_replica_behind_traefik_drains(variant, tmp_path):
    proxy = None if variant == "no-proxy" else {"host": "shop.localhost", "tls": "none"}
    code, stdout, log = dry_run(write(render_data(_variant(proxy=proxy), "quadlet").rendering, tmp_path / "units"))
    assert code == 0, log
    lines = generated_services(stdout)["shop-1.service"].splitlines()
    drains = [line for line in lines if "flock" in line]
    if proxy is None:
        assert drains == []
        assert "TimeoutStopSec=45s" in lines
    else:
        assert len(drains) == 2
        assert "TimeoutStopSec=50s" in lines


def test_an_install_directory_without_traefik_is_said_unused():
    output = render_data(_variant(proxy=None, quadlet__install_dir="/srv/units"), "quadlet")
    codes = {(finding.path, finding.code) for finding in output.findings}
    assert (("quadlet", "install_dir"), "not-rendered") in codes


def test_units_installed_elsewhere_fail_the_drain_and_leave_nothing_in_the_way(tmp_path):
    """Units installed in a subdirectory without quadlet.install_dir: the drain's directory does not exist.
    The lines fail (the start loudly, the stop ignored), and create nothing where the traefik/ directory
    belongs (flock creates a missing lock file: an empty file `traefik` there would stop the directory
    from ever being installed, `cp -r` refusing to put a directory over a file)."""
    config = tmp_path / "etc"
    _, commands = _installed(tmp_path, _variant(replicas=2), config_dir=config)
    quadlet_dir = config / "containers" / "systemd"
    shutil.copytree(tmp_path / "units", quadlet_dir / "shop")
    for line in (commands["shop-1"]["ExecStop"][0], commands["shop-1"]["ExecStartPost"][0]):
        program = shutil.which(line[0])
        assert program is not None
        done = subprocess.run([program, *line[1:]], capture_output=True, text=True, timeout=30)
        assert done.returncode != 0
        assert "No such file or directory" in done.stderr, done.stderr
    assert sorted(path.name for path in quadlet_dir.iterdir()) == ["shop"]
