"""The import's small parts, case by case: commands without deploykit's flags, scripts split into steps,
Ofelia schedules, Compose names and sizes."""

from __future__ import annotations

import pytest

from deploykit.importing.commandline import parse, server_of
from deploykit.importing.companions import five_fields
from deploykit.importing.context import dns_label, size
from deploykit.importing.model import parse_bytes, parse_duration
from deploykit.importing.problems import ComposeProblem


@pytest.mark.parametrize(
    ("argv", "command", "removed"),
    [
        (
            ["uvicorn", "app:app", "--port=8000", "--workers", "4"],
            ["uvicorn", "app:app"],
            {"--port": "8000", "--workers": "4"},
        ),
        (["gunicorn", "-w4", "-b", ":8000", "app.wsgi"], ["gunicorn", "app.wsgi"], {"-w": "4", "-b": ":8000"}),
        (
            ["gunicorn", "--reload", "--daemon", "app.wsgi"],
            ["gunicorn", "app.wsgi"],
            {"--reload": None, "--daemon": None},
        ),
        (
            ["python", "-m", "uvicorn", "app:app", "--uds", "/tmp/s"],
            ["python", "-m", "uvicorn", "app:app"],
            {"--uds": "/tmp/s"},
        ),
        (
            ["/venv/bin/hypercorn", "app:app", "-c", "conf.toml"],
            ["/venv/bin/hypercorn", "app:app"],
            {"-c": "conf.toml"},
        ),
        (["fastapi", "run", "main.py", "--host", "0.0.0.0"], ["fastapi", "run", "main.py"], {"--host": "0.0.0.0"}),
        # gunicorn and hypercorn read unambiguous prefixes of their long options (argparse).
        (
            ["gunicorn", "--daemo", "--bi=:8000", "--wor", "2", "--timeo", "5", "app.wsgi"],
            ["gunicorn", "--timeo", "5", "app.wsgi"],
            {"--daemon": None, "--bind": ":8000", "--workers": "2"},
        ),
        (["hypercorn", "--bin", ":80", "app:app"], ["hypercorn", "app:app"], {"--bind": ":80"}),
        # uvicorn's parser (click) wants options in full: `--por` is not `--port` there.
        (["uvicorn", "app:app", "--por", "1"], ["uvicorn", "app:app", "--por", "1"], {}),
        (["node", "server.js", "--port", "3000"], ["node", "server.js", "--port", "3000"], {}),
    ],
)
def test_deploykit_owned_and_refused_flags_come_out_of_the_command(argv, command, removed):
    parsed = parse(argv)
    assert list(parsed.command) == command
    assert {flag.flag: flag.value for flag in parsed.removed} == removed


def test_a_simple_shell_script_becomes_steps_and_the_server():
    parsed = parse(
        [
            "sh",
            "-c",
            "python manage.py migrate && python manage.py collectstatic --noinput; exec gunicorn app.wsgi -w 2",
        ]
    )
    assert parsed.steps == (("python", "manage.py", "migrate"), ("python", "manage.py", "collectstatic", "--noinput"))
    assert (parsed.command, parsed.server, parsed.value_of("-w")) == (("gunicorn", "app.wsgi"), "gunicorn", "2")


@pytest.mark.parametrize(
    "script",
    [
        "python migrate.py | tee log && gunicorn app.wsgi",  # a pipe
        "gunicorn app.wsgi --bind 0.0.0.0:$PORT",  # a variable the shell would expand
        "cd /app && gunicorn app.wsgi",  # the shell's own state
        "python migrate.py > /tmp/log && gunicorn app.wsgi",  # a redirection
        "python worker.py",  # no server at the end
    ],
)
def test_any_other_script_stays_whole(script: str):
    parsed = parse(["/bin/bash", "-ec", script])
    assert (parsed.command, parsed.steps, parsed.server) == (("/bin/bash", "-ec", script), (), "generic")
    assert server_of(["/bin/bash", "-ec", script]) is None


@pytest.mark.parametrize(
    ("schedule", "fields"),
    [
        ("0 30 3 * * *", "30 3 * * *"),  # Ofelia's seconds-first format
        ("15 4 * * 1-5", "15 4 * * 1-5"),
        ("@daily", "0 0 * * *"),
        ("@hourly", "0 * * * *"),
        ("@every 5m", None),
        ("30 0 3 * * *", None),  # at second 30: no five-field equivalent
        ("61 * * * *", None),
    ],
)
def test_ofelia_schedules_as_five_fields(schedule: str, fields: str | None):
    assert five_fields(schedule) == fields


@pytest.mark.parametrize(
    ("name", "label"),
    [("celery_beat", "celery-beat"), ("Web.API", "web-api"), ("2fa-worker", "fa-worker"), ("___", "")],
)
def test_compose_names_as_dns_labels(name: str, label: str):
    assert dns_label(name) == label


def test_sizes_and_durations_as_compose_reads_them():
    assert [parse_bytes(text) for text in ("1g", "1G", "512mb", "1.5gb", "2048k", "300M", 1024)] == [
        2**30, 2**30, 512 * 2**20, 1536 * 2**20, 2 * 2**20, 300 * 2**20, 1024,
    ]  # fmt: skip
    assert [parse_duration(text) for text in ("1m30s", "500ms", "1h", "0", "2.5s")] == [90, 0.5, 3600, 0, 2.5]
    for bad in ("1 q", "-1g"):
        with pytest.raises(ComposeProblem):
            parse_bytes(bad)
    with pytest.raises(ComposeProblem):
        parse_duration("30")
    assert (size(2**30), size(1280 * 2**20), size(int(204.8 * 2**20))) == ("1 GiB", "1280 MiB", "204.8 MiB")
