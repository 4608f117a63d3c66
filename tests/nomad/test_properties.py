"""Any text in env values, command arguments and the host: a typed error, or the same text in the job.

Each example goes through the pipeline as a profile file would (validation and Nomad's checks), renders, and is
read back with HashiCorp's own HCL parser; the job must hold the text unchanged at its place, with nothing
HCL would interpolate, and have the same blocks and attributes as a job rendered from plain values
(nothing injected, nothing lost).
"""

from __future__ import annotations

import copy

import pytest
from hcl_reader import hcl_literal
from helpers import render_data
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from nomad_support import BASE, only, tasks

from deploykit.errors import DeployKitError
from deploykit.targets.nomad.interpolation import runtime_reference_problem

SETTINGS = settings(
    max_examples=40, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
# Any character, with the ones HCL and Traefik give meaning to drawn often.
TEXT = st.text(st.one_of(st.characters(), st.sampled_from(list('${}%"\\\n\r\t`'))), max_size=60)
# Texts python-hcl2 (the tests' former reader) misread although deploykit wrote them correctly: an
# escaped opener with no `}` after it, and a string ending in an escaped backslash before more attributes.
MISREAD_BY_PYTHON_HCL2 = ["%{{", "$${", "a %{ b", "${", "end\\", "\\", "x\\\\", '\\"']


def examples(texts: list[str]):
    """Hypothesis `@example(text=...)` for each of `texts`: always tried, before the generated ones."""

    def decorate(test):
        for text in reversed(texts):
            test = example(text=text)(test)
        return test

    return decorate


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
@examples(MISREAD_BY_PYTHON_HCL2)
def test_env_values(parse_hcl, baseline, text):
    job = parsed_job(parse_hcl, with_fields(env={"LOG_LEVEL": text}))
    if job is None:
        return
    assert shape(job) == baseline
    for task in tasks(job).values():
        assert hcl_literal(task["env"][0]["LOG_LEVEL"]) == text


@SETTINGS
@given(text=TEXT)
@examples(MISREAD_BY_PYTHON_HCL2)
def test_app_arguments(parse_hcl, baseline, text):
    job = parsed_job(parse_hcl, with_fields(command=["fastapi", "run", text]))
    if job is None:
        return
    assert shape(job) == baseline
    args = tasks(job)["items-api"]["config"][0]["args"]
    assert [hcl_literal(arg) for arg in args] == [
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
@examples(MISREAD_BY_PYTHON_HCL2)
def test_prestart_arguments(parse_hcl, baseline, text):
    job = parsed_job(parse_hcl, with_fields(prestart=[{"name": "migrate", "command": ["python", "-c", text]}]))
    if job is None:
        return
    assert shape(job) == baseline
    args = tasks(job)["migrate"]["config"][0]["args"]
    assert [hcl_literal(arg) for arg in args] == ["-c", text]


@SETTINGS
@given(host=st.one_of(TEXT, HOSTNAMES))
def test_host(parse_hcl, baseline, host):
    job = parsed_job(parse_hcl, with_fields(proxy={**BASE["proxy"], "host": host}))
    if job is None:
        return
    assert shape(job) == baseline
    tags = tasks(job)["items-api"]["service"][0]["tags"]
    assert f"traefik.http.routers.items-api.rule=Host(`{host}`)" in tags


def test_text_hcl_would_normalize_is_refused(parse_hcl):
    """HashiCorp's parser turns every string into Unicode NFC, `\\u` escapes too: such text is refused."""
    parsed = parse_hcl('x = "\\uf900"\ny = "e\u0301"\n')
    assert (hcl_literal(parsed["x"]), hcl_literal(parsed["y"])) == ("\u8c48", "\u00e9")
    for text in ("\uf900", "cafe\u0301", "\u1100\u1161"):
        assert parsed_job(parse_hcl, with_fields(env={"GREETING": text})) is None
        assert parsed_job(parse_hcl, with_fields(command=["python", "-c", text])) is None
    assert parsed_job(parse_hcl, with_fields(env={"GREETING": "caf\u00e9 \u8c48"})) is not None


def test_the_refusal_names_the_character_nfc_changes():
    def named(text: str) -> str | None:
        problem = runtime_reference_problem(text)
        assert problem is not None
        return problem.split("(U+")[1].split(")")[0] if "(U+" in problem else None

    # U+0303 after q stays (no composed form); U+0301 after e composes: that one is named.
    assert (named("\uf900"), named("q\u0303 e\u0301"), named("\u1100\u1161")) == ("F900", "0301", "1161")
    assert runtime_reference_problem("q\u0303 caf\u00e9") is None


def test_refusals_are_typed_errors_not_crashes(parse_hcl):
    assert parsed_job(parse_hcl, with_fields(env={"LOG_LEVEL": "${NOMAD_ALLOC_ID}"})) is None
    assert parsed_job(parse_hcl, with_fields(proxy={**BASE["proxy"], "host": "a`) || Host(`b"})) is None
    assert parsed_job(parse_hcl, with_fields(command=["fastapi", "run", "--port=1"])) is None
