"""Property: any text in env values, command arguments and secrets' names either fails with a typed
error or reaches the container exactly as written, checked after Compose's own interpolation
(`config --format json`, whose output Compose escapes again: see `container_value`), with the same
services and variables whatever the text."""

from __future__ import annotations

import tempfile
from pathlib import Path

from compose_support import BASE, container_value, render, write
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from tooling import resolved

from deploykit.errors import DeployKitError
from deploykit.yamldump import dump

# Text Compose or YAML would treat specially: interpolation, escapes, quoting, comments, retyping.
AWKWARD = st.sampled_from(
    [
        "$",
        "$$",
        "$HOME",
        "${HOME}",
        "${X:-fallback}",
        "${X:?boom}",
        "$(id)",
        "a$",
        "$$$",
        "\\$",
        "\\",
        "'",
        '"',
        "`",
        "#",
        "# x",
        ": x",
        "- x",
        "{a}",
        "[",
        "\n",
        "\t",
        "yes",
        "0755",
        "1.10",
        "~",
        "",
        " x ",
        "ü",
        "🙂",
        "%{x}",
    ]
)
TEXT = st.one_of(
    AWKWARD,
    st.lists(AWKWARD, max_size=4).map("".join),
    st.text(st.characters(blacklist_categories=("Cs",)), max_size=16),
)


def _mostly(pattern: str) -> st.SearchStrategy[str]:
    """Names the spec accepts, nine times in ten; arbitrary text (mostly refused) otherwise."""
    plausible = st.from_regex(pattern, fullmatch=True)
    return st.integers(0, 9).flatmap(lambda draw: TEXT if draw == 0 else plausible)


SECRET_NAME = _mostly(r"[a-z0-9][a-z0-9.-]{0,12}")
SECRET_KEY = _mostly(r"[-._a-zA-Z0-9]{1,12}")
VARIABLE = _mostly(r"[A-Za-z_][A-Za-z0-9_]{0,12}")
PROPERTY = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SERVICES = ["items-api", "socket-proxy", "traefik"]


def _resolve(fields: dict, directory: Path) -> dict | None:
    """The profile BASE + `fields` as Compose resolves it, or None when deploykit refused it (typed)."""
    (directory / "profile.yaml").write_text(dump({**BASE, **fields}), encoding="utf-8")
    try:
        rendering, _ = render(directory / "profile.yaml")
    except DeployKitError:
        event("typed error")
        return None
    event("rendered")
    return resolved(write(rendering, directory / "out"))


@PROPERTY
@given(value=TEXT, argument=TEXT)
def test_env_values_and_arguments_reach_the_container_unchanged(value: str, argument: str):
    with tempfile.TemporaryDirectory() as scratch:
        project = _resolve({"command": ["fastapi", "run", argument], "env": {"NOTE": value}}, Path(scratch))
    if project is None:
        return
    app = project["services"]["items-api"]
    assert [container_value(part) for part in app["command"][:3]] == ["fastapi", "run", argument]
    environment = {name: container_value(text) for name, text in app["environment"].items()}
    assert environment == {"NOTE": value, "FORWARDED_ALLOW_IPS": "172.30.0.0/24"}
    assert sorted(project["services"]) == SERVICES


@PROPERTY
@given(variable=VARIABLE, secret=SECRET_NAME, key=SECRET_KEY)
def test_secret_names_reach_the_container_unchanged(variable: str, secret: str, key: str):
    with tempfile.TemporaryDirectory() as scratch:
        directory = Path(scratch)
        project = _resolve({"secrets": {variable: {"secret": secret, "key": key}}}, directory)
        if project is None:
            return
        assert project["secrets"][f"{secret}__{key}"]["file"] == str(directory / "out" / "secrets" / secret / key)
    app = project["services"]["items-api"]
    assert app["environment"] == {"FORWARDED_ALLOW_IPS": "172.30.0.0/24"}
    # The entrypoint exports the variable from the file, under the names as given.
    script = container_value(app["entrypoint"][2])
    assert script.startswith(f'{variable}="$(cat /run/secrets/{secret}__{key})" && export {variable} && ')
    assert app["secrets"] == [{"source": f"{secret}__{key}", "target": f"/run/secrets/{secret}__{key}"}]
    assert sorted(project["services"]) == SERVICES
