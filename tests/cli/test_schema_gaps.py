"""The editor schema refuses what deploykit refuses, wherever JSON Schema can say it.

Every bad-input case of the test tables goes through both the JSON Schema (deploykit.schema.json, as
an editor's yaml-language-server applies it) and deploykit itself. The cases only deploykit catches are
listed, with the reason, in schema_gaps.txt beside this file. That list may only shrink: a new case the
schema misses fails here until the schema learns it (spec/base.py, spec/names.py, spec/schema.py), or,
when JSON Schema cannot express the rule, the case is added to the list with its reason.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

import jsonschema
import pytest
from helpers import REPO
from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

HERE = Path(__file__).parent
GAPS_FILE = HERE / "schema_gaps.txt"


def _module(path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"_gap_source_{path.stem}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is made
    spec.loader.exec_module(module)
    return module


def bad_profiles() -> dict[str, str | bytes]:
    """case id -> the text of the profile file it refuses (cases about arguments or missing files are left out)."""
    cases: dict[str, str | bytes] = {}
    bad_inputs = _module(HERE / "test_bad_inputs.py")
    for case in bad_inputs.CASES:
        if case.profile is not None and case.args == bad_inputs.DEFAULT_ARGS:
            cases[f"bad_inputs/{case.id}"] = case.profile
    compose = _module(REPO / "tests/compose/test_compose_errors.py")
    for name, (body, _) in compose.CASES.items():
        cases[f"compose/{name}"] = compose.PARENT + body  # the parent's keys with the child's on top
    dockerfile = _module(REPO / "tests/dockerfile/test_dockerfile_errors.py")
    for table in ("CLI_CASES", "LOADER_CASES"):
        for name, (field, _) in getattr(dockerfile, table).items():
            cases[f"dockerfile/{name}"] = dockerfile.PROFILE.format(field=field)
    all_errors = _module(HERE / "test_all_errors.py")
    cases["all_errors/eight-mistakes"] = all_errors.EIGHT_MISTAKES
    return cases


def caught_by_editor(text: str | bytes, validator: jsonschema.Draft202012Validator) -> bool:
    """Whether an editor flags the file: its YAML does not load, or the schema reports an error."""
    try:
        raw = text.decode("utf-8") if isinstance(text, bytes) else text
        data = YAML(typ="safe", pure=True).load(raw)
    except (YAMLError, UnicodeDecodeError, ValueError):  # ValueError: an integer over Python's 4,300 digits
        return True
    return next(validator.iter_errors(data), None) is not None


def listed_gaps() -> set[str]:
    lines = GAPS_FILE.read_text(encoding="utf-8").splitlines()
    return {line.split("#", 1)[0].strip() for line in lines if line.split("#", 1)[0].strip()}


def test_the_loader_refuses_every_case():
    # The tables' own tests prove each case exits 2 with its exact line; here, that there are enough of them.
    assert len(bad_profiles()) >= 60


def test_only_the_listed_cases_pass_the_schema():
    validator = jsonschema.Draft202012Validator(json.loads((REPO / "deploykit.schema.json").read_text()))
    gaps = {case for case, text in bad_profiles().items() if not caught_by_editor(text, validator)}
    listed = listed_gaps()
    new = sorted(gaps - listed)
    assert not new, f"the schema lets these through but deploykit refuses them; teach the schema: {new}"
    fixed = sorted(listed - gaps)
    assert not fixed, f"the schema now catches these: remove them from {GAPS_FILE.name}: {fixed}"


@pytest.mark.parametrize(
    ("value", "field"),
    [
        ("512mb", "memory"),
        ("https://x.com", "host"),
        ("shop", "image"),
        ("Shop_Web", "app"),
        ({"DB_PASSWORD": "x"}, "env"),
        ({"WEB_CONCURRENCY": "4"}, "env"),
    ],
)
def test_the_examples_from_the_issue_are_refused_by_the_schema(value, field):
    validator = jsonschema.Draft202012Validator(json.loads((REPO / "deploykit.schema.json").read_text()))
    document = {"proxy": {"host": value}} if field == "host" else {field: value}
    assert list(validator.iter_errors(document)), f"{field}: {value!r} passes the schema"


def test_quantities_as_plain_numbers_pass_the_schema():
    validator = jsonschema.Draft202012Validator(json.loads((REPO / "deploykit.schema.json").read_text()))
    assert not list(validator.iter_errors({"cpu": 2, "memory": 268435456, "replicas": 3}))
    assert not list(validator.iter_errors({"cpu": 0.5, "memory": "1.5Gi", "command": ["gunicorn", "shop.wsgi"]}))


def _schema_errors(document: dict) -> list[str]:
    validator = jsonschema.Draft202012Validator(json.loads((REPO / "deploykit.schema.json").read_text()))
    return [error.message for error in validator.iter_errors(document)]


GATEWAY_ROUTING = {"proxy": {"host": "api.example.com"}, "k8s": {"routing": "gateway"}}


def test_gateway_routing_needs_the_gateway_in_a_file_without_parent_only():
    assert _schema_errors(GATEWAY_ROUTING)
    assert _schema_errors({**GATEWAY_ROUTING, "k8s": {"routing": "gateway", "gateway": None}})
    assert not _schema_errors({**GATEWAY_ROUTING, "k8s": {"routing": "gateway", "gateway": {"name": "platform"}}})
    # A child may inherit the Gateway (mappings merge deeply); without a host there is no route at all.
    assert not _schema_errors({**GATEWAY_ROUTING, "extends": "base.yaml"})
    assert not _schema_errors({"k8s": {"routing": "gateway"}})


@pytest.mark.parametrize(
    "command",
    [
        ["gunicorn", "app:app", "--workers", "4"],
        ["gunicorn", "app:app", "-w4"],
        ["/venv/bin/gunicorn", "app:app", "--bind=0.0.0.0:1"],
        ["gunicorn", "app:app", "--bi", "x"],  # gunicorn's parser reads it as --bind
        ["python3", "-m", "uvicorn", "app:app", "--reload"],
        ["fastapi", "run", "app/main.py", "--port", "9000"],
        ["hypercorn", "app:app", "-b", "0.0.0.0:1"],
    ],
)
def test_the_schema_refuses_the_flags_the_server_owns_or_refuses(command):
    assert _schema_errors({"command": command}), command


@pytest.mark.parametrize(
    "document",
    [
        {"command": ["gunicorn", "app:app", "--threads", "4", "-k", "gthread", "--backlog", "64"]},
        {"command": ["uvicorn", "app:app", "--proxy-headers"]},
        # Another server named in the same file: the flags are that server's (generic owns none).
        {"command": ["gunicorn", "app:app", "--workers", "4"], "server": "generic"},
        {"command": ["./start.sh", "--port", "1"], "server": "generic"},
    ],
)
def test_the_schema_accepts_what_the_loader_accepts_around_server_flags(document):
    assert not _schema_errors(document), document


def test_host_names_are_listed_once_each():
    assert _schema_errors({"proxy": {"host": "a.example.com", "aliases": ["b.example.com", "b.example.com"]}})
    assert _schema_errors({"proxy": {"host": "a.example.com", "redirects": ["b.example.com", "b.example.com"]}})
    assert _schema_errors({"proxy": {"path_prefix": "/api/"}})
    assert not _schema_errors(
        {
            "proxy": {
                "host": "a.example.com",
                "aliases": ["b.example.com"],
                "path_prefix": "/api/v1",
                "strip_prefix": True,
            }
        }
    )
