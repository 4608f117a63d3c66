"""Any text in env values, command arguments and the host: a typed error, or the same text in the job.

Each example goes through the pipeline as a profile file would (validation and Nomad's checks), renders, and is
parsed back with python-hcl2; the parsed job must hold the text unchanged at its place and have the
same blocks and attributes as a job rendered from plain values (nothing injected, nothing lost).
"""

from __future__ import annotations

import copy
import re

import pytest
from helpers import render_data
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from nomad_support import BASE, decode_template_escapes, only, tasks

from deploykit.errors import DeployKitError

SETTINGS = settings(
    max_examples=40, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
# python-hcl2 8.x reads HCL's escaped `$${` / `%%{` only when a `}` follows in the same string
# (its grammar: ESCAPED_INTERPOLATION = /\$\$\{[^}]*\}/), while HCL itself treats them as plain
# literals; texts that would trip the test's parser, not Nomad's, are left out.
_OPENER_WITHOUT_CLOSE = re.compile(r"[$%]\{[^}]*$")
# Any character, with the ones HCL and Traefik give meaning to drawn often.
TEXT = st.text(st.one_of(st.characters(), st.sampled_from(list('${}%"\\\n\r\t`'))), max_size=60).filter(
    lambda text: _OPENER_WITHOUT_CLOSE.search(text) is None
)
HOSTNAMES = st.from_regex(r"\A[a-z0-9]([-a-z0-9]{0,10}[a-z0-9])?(\.[a-z0-9]([-a-z0-9]{0,10}[a-z0-9])?){0,3}\Z")


def parsed_job(parse_hcl, data: dict) -> dict | None:
    """The parsed app job, or None when deploykit refused the input with its typed error."""
    try:
        rendering = render_data(data, "nomad").rendering
    except DeployKitError:
        return None
    return only(parse_hcl(rendering.files[0].content)["job"])[1]


def shape(value: object) -> object:
    """The job's structure with every scalar blanked: block and attribute names, list lengths."""
    if isinstance(value, dict):
        return {key: shape(item) for key, item in value.items()}
    if isinstance(value, list):
        return [shape(item) for item in value]
    return None


def with_fields(**fields) -> dict:
    return {**copy.deepcopy(BASE), **fields}


@pytest.fixture(scope="module")
def baseline(parse_hcl) -> object:
    """The shape of the job rendered from BASE's plain values."""
    return shape(parsed_job(parse_hcl, copy.deepcopy(BASE)))


@SETTINGS
@given(text=TEXT)
def test_env_values(parse_hcl, baseline, text):
    job = parsed_job(parse_hcl, with_fields(env={"LOG_LEVEL": text}))
    if job is None:
        return
    assert shape(job) == baseline
    for task in tasks(job).values():
        assert decode_template_escapes(task["env"][0]["LOG_LEVEL"]) == text


@SETTINGS
@given(text=TEXT)
def test_app_arguments(parse_hcl, baseline, text):
    job = parsed_job(parse_hcl, with_fields(command=["fastapi", "run", text]))
    if job is None:
        return
    assert shape(job) == baseline
    args = tasks(job)["items-api"]["config"][0]["args"]
    assert [decode_template_escapes(arg) for arg in args] == [
        "run",
        text,
        "--port",
        "8000",
        "--workers",
        "1",
        "--forwarded-allow-ips",
        "10.10.0.0/24,172.17.0.0/16",
    ]


@SETTINGS
@given(text=TEXT)
def test_prestart_arguments(parse_hcl, baseline, text):
    job = parsed_job(parse_hcl, with_fields(prestart=[{"name": "migrate", "command": ["python", "-c", text]}]))
    if job is None:
        return
    assert shape(job) == baseline
    args = tasks(job)["migrate"]["config"][0]["args"]
    assert [decode_template_escapes(arg) for arg in args] == ["-c", text]


@SETTINGS
@given(host=st.one_of(TEXT, HOSTNAMES))
def test_host(parse_hcl, baseline, host):
    job = parsed_job(parse_hcl, with_fields(proxy={**BASE["proxy"], "host": host}))
    if job is None:
        return
    assert shape(job) == baseline
    tags = tasks(job)["items-api"]["service"][0]["tags"]
    assert f"traefik.http.routers.items-api.rule=Host(`{host}`)" in tags


def test_refusals_are_typed_errors_not_crashes(parse_hcl):
    assert parsed_job(parse_hcl, with_fields(env={"LOG_LEVEL": "${NOMAD_ALLOC_ID}"})) is None
    assert parsed_job(parse_hcl, with_fields(proxy={**BASE["proxy"], "host": "a`) || Host(`b"})) is None
    assert parsed_job(parse_hcl, with_fields(command=["fastapi", "run", "--port=1"])) is None
