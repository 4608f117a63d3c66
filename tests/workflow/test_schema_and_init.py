"""The editor schema stays current and accepts the bundled profiles; init scaffolds without overwriting."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from helpers import REPO, run_cli

from deploykit.loading.yamlfile import load_document


@pytest.mark.parametrize("name", sorted(path.name for path in (REPO / "profiles").glob("*.yaml")))
def test_bundled_profiles_validate_against_the_schema(name: str):
    schema = json.loads((REPO / "deploykit.schema.json").read_text())
    path = REPO / "profiles" / name
    assert path.read_text().startswith("# yaml-language-server: $schema=../deploykit.schema.json\n")
    jsonschema.validate(load_document(path, name).data, schema, cls=jsonschema.Draft202012Validator)


def test_schema_rejects_unknown_and_mistyped_fields():
    schema = json.loads((REPO / "deploykit.schema.json").read_text())
    validator = jsonschema.Draft202012Validator(schema)
    assert not list(validator.iter_errors({"extends": "base.yaml", "replicas": 3}))
    assert [error.message for error in validator.iter_errors({"replicas": "3"})] == ["'3' is not of type 'integer'"]
    assert "Additional properties are not allowed ('replica' was unexpected)" in [
        error.message for error in validator.iter_errors({"replica": 3})
    ]


def test_init_scaffolds_profiles_that_render(tmp_path: Path):
    result = run_cli("init", "--app", "shop", "--image", "registry.example.com/team/shop:2.0.1", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in (tmp_path / "profiles").iterdir()) == [
        "base.yaml",
        "dev.yaml",
        "prod.yaml",
        "staging.yaml",
    ]
    assert (tmp_path / "deploykit.schema.json").read_text() == (REPO / "deploykit.schema.json").read_text()
    rendered = run_cli("render", "all", cwd=tmp_path)
    assert rendered.returncode == 0, rendered.stderr
    # The scaffold accepts its deliberate warnings, so CI can run `check --strict` from the first commit.
    strict = run_cli("check", "--strict", cwd=tmp_path)
    assert (strict.returncode, strict.stderr) == (0, "")


def test_init_refuses_to_overwrite(tmp_path: Path):
    (tmp_path / "profiles").mkdir()
    (tmp_path / "profiles/prod.yaml").write_text("app: mine\n")
    result = run_cli("init", "--app", "shop", "--image", "registry.example.com/team/shop:2.0.1", cwd=tmp_path)
    assert (result.returncode, result.stderr) == (
        2,
        "error: refusing to overwrite profiles/prod.yaml; init only creates new files\n",
    )
    assert sorted(p.name for p in (tmp_path / "profiles").iterdir()) == ["prod.yaml"]
    assert (tmp_path / "profiles/prod.yaml").read_text() == "app: mine\n"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((), "error: --app is required (no terminal to ask on)\n"),
        (
            ("--app", "Shop", "--image", "r/shop:1"),
            "error: --app: 'Shop' is not a valid name: use at most 63 lowercase letters, digits and '-', starting with a letter and ending with a letter or digit (a DNS-1035 label)\n",
        ),
        (
            ("--app", "shop", "--image", "r/shop:latest"),
            "error: --image: 'r/shop:latest' uses the tag 'latest'; pin a version tag or a digest\n",
        ),
    ],
)
def test_init_input_errors(tmp_path: Path, args: tuple[str, ...], message: str):
    result = run_cli("init", *args, cwd=tmp_path)
    assert (result.returncode, result.stderr) == (2, message)
    assert list(tmp_path.iterdir()) == []


def test_init_on_a_terminal_asks_again_after_a_bad_answer(tmp_path: Path):
    """A real terminal (a pty) on stdin: a bad app name and a bad image are each asked again."""
    import os
    import subprocess
    import sys

    controller, terminal = os.openpty()
    try:
        process = subprocess.Popen(
            [sys.executable, "-m", "deploykit", "init"],
            cwd=tmp_path,
            env={**os.environ, "PYTHONPATH": str(REPO)},
            stdin=terminal,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        os.write(controller, b"Items_API\nitems-api\nregistry.example.com/acme/items-api\n")
        os.write(controller, b"registry.example.com/acme/items-api:1.0.0\n")
        stdout, stderr = process.communicate(timeout=120)
    finally:
        os.close(controller)
        os.close(terminal)
    assert process.returncode == 0, stderr
    assert stdout.count("App name") == 2 and stdout.count("Image, pinned") == 2
    assert "is not a valid name" in stderr.splitlines()[0] and stderr.splitlines()[0].endswith(
        "; try again (Ctrl-D to stop)"
    )
    assert "has no tag or digest" in stderr.splitlines()[1]
    assert "app: items-api" in (tmp_path / "profiles/base.yaml").read_text()
