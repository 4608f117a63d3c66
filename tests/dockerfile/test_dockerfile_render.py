"""What the rendered Dockerfile and .dockerignore contain, read back with BuildKit's parser."""

from __future__ import annotations

import http.server
import subprocess
import sys
import threading

import pytest
from dockerfile_support import DEFAULT_ORDER, files, parse, profile, render

from deploykit.output import HEADER
from deploykit.report import Finding


def instructions(value):
    rendering, _ = render(value)
    return parse(files(rendering)["Dockerfile"])


def by_name(parsed, name):
    return [instruction for instruction in parsed if instruction.cmd == name]


def test_the_header_line_is_a_comment_not_a_parser_directive():
    parsed = instructions(profile())
    assert HEADER.startswith("# ") and "=" not in HEADER
    assert parsed[0].cmd == "FROM" and parsed[0].start_line == 2


def test_layers_follow_fastapis_page_requirements_before_code():
    parsed = instructions(profile())
    assert [instruction.cmd for instruction in parsed] == DEFAULT_ORDER
    assert by_name(parsed, "WORKDIR")[0].value == ("/code",)
    copy_requirements, copy_code = by_name(parsed, "COPY")
    assert copy_requirements.value == ("./requirements.txt", "/code/requirements.txt")
    assert by_name(parsed, "RUN")[1].value == ("pip install --no-cache-dir --upgrade -r /code/requirements.txt",)
    assert copy_code.value == ("./app", "/code/app")
    assert not by_name(parsed, "ADD")


def test_cmd_is_exec_form_with_the_port_and_one_worker():
    """The image's default command runs one process; every target passes its own worker count."""
    value = profile(port=8080, replicas=4)
    cmd = by_name(instructions(value), "CMD")[0]
    assert cmd.json is True
    assert list(cmd.value) == ["fastapi", "run", "app/main.py", "--port", "8080", "--workers", "1"]


def test_runs_as_the_numeric_non_root_user_it_creates():
    parsed = instructions(profile(build={"user": "api", "uid": 12345}))
    assert by_name(parsed, "USER")[0].value == ("12345:12345",)
    assert by_name(parsed, "RUN")[0].value == (
        "groupadd --gid 12345 api     && useradd --no-log-init --uid 12345 --gid 12345 --no-create-home "
        "--home-dir /nonexistent --shell /usr/sbin/nologin api",
    )


def test_exposes_the_port_and_checks_health_with_python():
    value = profile(
        port=9000,
        health={
            "path": "/live",
            "interval_seconds": 15,
            "timeout_seconds": 3,
            "failure_threshold": 4,
            "startup_seconds": 90,
        },
    )
    parsed = instructions(value)
    assert by_name(parsed, "EXPOSE")[0].value == ("9000",)
    healthcheck = by_name(parsed, "HEALTHCHECK")[0]
    assert healthcheck.json is True
    assert healthcheck.flags == ("--interval=15s", "--timeout=3s", "--start-period=90s", "--retries=4")
    assert healthcheck.value == (
        "CMD",
        "python",
        "-c",
        "import urllib.request; urllib.request.urlopen('http://127.0.0.1:9000/live', timeout=3)",
    )


class _Health(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200 if self.path == "/healthz" else 503)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def health_server():
    server = http.server.HTTPServer(("127.0.0.1", 0), _Health)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.mark.parametrize(("path", "exit_code"), [("/healthz", 0), ("/broken", 1)])
def test_the_healthcheck_command_exits_0_when_healthy_and_1_otherwise(health_server, path, exit_code):
    healthcheck = by_name(instructions(profile(port=health_server, health={"path": path})), "HEALTHCHECK")[0]
    _, python, *arguments = healthcheck.value
    assert python == "python"
    result = subprocess.run([sys.executable, *arguments], capture_output=True, timeout=30)
    assert result.returncode == exit_code


def test_no_system_packages_means_no_apt():
    rendering, findings = render(profile())
    assert "apt-get" not in rendering.stdout
    assert findings == []


def test_system_packages_are_sorted_and_unpinned_ones_reported():
    value = profile(build={"system_packages": ["tzdata", "libpq5=15.8-0+deb12u1", "ca-certificates"]})
    rendering, findings = render(value)
    run = by_name(parse(rendering.stdout), "RUN")[0].value[0]
    assert run.startswith(
        "apt-get update     && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "
        "        ca-certificates         libpq5=15.8-0+deb12u1         tzdata     && rm -rf /var/lib/apt/lists/*     && groupadd "
    )
    assert findings == [
        Finding(
            "dockerfile",
            ("build", "system_packages", 0),
            "tzdata is not pinned: each build may install another version (hadolint DL3008); write tzdata=VERSION",
            "unpinned-package",
        ),
        Finding(
            "dockerfile",
            ("build", "system_packages", 2),
            "ca-certificates is not pinned: each build may install another version (hadolint DL3008); write ca-certificates=VERSION",
            "unpinned-package",
        ),
    ]


def test_paths_are_kept_relative_to_the_workdir():
    parsed = instructions(
        profile(build={"workdir": "/srv/api", "requirements": "./deps/prod.txt", "app_path": "./src"})
    )
    assert by_name(parsed, "WORKDIR")[0].value == ("/srv/api",)
    assert [copy.value for copy in by_name(parsed, "COPY")] == [
        ("./deps/prod.txt", "/srv/api/deps/prod.txt"),
        ("./src", "/srv/api/src"),
    ]


def test_base_image_by_digest():
    digest = "python@sha256:" + "a" * 64
    assert instructions(profile(build={"base_image": digest}))[0].value == (digest,)


def test_dockerignore_sends_only_what_the_dockerfile_copies():
    rendering, _ = render(profile(build={"requirements": "deps/prod.txt", "app_path": "src"}))
    lines = [line for line in files(rendering)[".dockerignore"].splitlines() if line and not line.startswith("#")]
    assert lines[:3] == ["*", "!deps/prod.txt", "!src"]
    assert {"**/__pycache__", "**/.venv", "**/.env"} <= set(lines[3:])
    assert not any(line.startswith("!") for line in lines[3:])


def test_stdout_is_the_dockerfile_and_output_is_deterministic():
    first, _ = render(profile(build={"system_packages": ["zlib1g=1:1.2.13", "tzdata=2024a-0+deb12u1"]}))
    second, _ = render(profile(build={"system_packages": ["zlib1g=1:1.2.13", "tzdata=2024a-0+deb12u1"]}))
    assert first == second
    assert [file.path for file in first.files] == ["Dockerfile", ".dockerignore"]
    assert first.stdout == first.files[0].content
