"""For any text in a field the Dockerfile uses: a validation error, or a Dockerfile that BuildKit's
parser reads back with the same instructions and the value intact (no injected lines or arguments)."""

from __future__ import annotations

import posixpath

from dockerfile_support import DEFAULT_ORDER, MINIMAL, files, parse
from helpers import load_data
from hypothesis import example, given, settings
from hypothesis import strategies as st

from deploykit import pipeline
from deploykit.errors import DeployKitError
from deploykit.servers import Launch

SETTINGS = settings(max_examples=60, deadline=None)
SEGMENT = r"[A-Za-z0-9_][A-Za-z0-9._-]{0,8}"
# Any text a UTF-8 profile can hold (no surrogates): the loader refuses C0 controls other than tab
# and newline, DEL and C1 before a target sees them (and the parser binding would cut a string at NUL).
PROFILE_TEXT = st.characters(
    exclude_categories=("Cs",),
    exclude_characters="".join(map(chr, [*range(0x09), *range(0x0B, 0x20), *range(0x7F, 0xA0)])),
)


def text(max_size: int):
    return st.text(PROFILE_TEXT, max_size=max_size)


def _parsed(fields: dict):
    """(profile, instructions), or None when the spec refuses the fields."""
    try:
        loaded = load_data({**MINIMAL, **fields})
    except DeployKitError:
        return None
    rendering = pipeline.render(loaded, "dockerfile").rendering
    return loaded.profile, parse(files(rendering)["Dockerfile"])


def _only(parsed, name):
    (instruction,) = [instruction for instruction in parsed if instruction.cmd == name]
    return instruction


@SETTINGS
@given(st.lists(text(40), max_size=4))
def test_any_command_is_one_exec_form_cmd(arguments):
    result = _parsed({"command": ["uvicorn", "app.main:app", *arguments]})
    if result is None:  # refused with a typed error (e.g. an argument that sets --port)
        return
    value, parsed = result
    assert [instruction.cmd for instruction in parsed] == DEFAULT_ORDER
    cmd = _only(parsed, "CMD")
    assert cmd.json is True
    # The command as written, then the flags for one process (deploykit.servers), nothing else.
    assert list(cmd.value)[: 2 + len(arguments)] == ["uvicorn", "app.main:app", *arguments]
    assert list(cmd.value)[2 + len(arguments) :] == value.web_server.arguments(Launch(8000, 1, None, 30))


@SETTINGS
@given(st.one_of(text(30), st.from_regex(r"/[A-Za-z0-9._~!*+,;=:@%/-]{0,20}", fullmatch=True)))
def test_any_health_path_stays_inside_the_probe_url(path):
    result = _parsed({"health": {"path": path}})
    if result is None:
        return
    _value, parsed = result
    assert [instruction.cmd for instruction in parsed] == DEFAULT_ORDER
    healthcheck = _only(parsed, "HEALTHCHECK")
    code = healthcheck.value[3]
    compile(code, "<healthcheck>", "exec")
    assert code == f"import urllib.request; urllib.request.urlopen({f'http://127.0.0.1:8000{path}'!r}, timeout=2)"


WORDS = st.one_of(text(30), st.from_regex(rf"(?:\./)?{SEGMENT}(?:/{SEGMENT}){{0,2}}", fullmatch=True))


@SETTINGS
@example(requirements="requirements.txt\n", app_path="app", workdir="/code", user="app")
@example(requirements="requirements.txt", app_path="app", workdir="/code\n", user="app")
@given(
    requirements=WORDS,
    app_path=WORDS,
    workdir=st.one_of(text(30), st.from_regex(rf"(?:/{SEGMENT}){{1,3}}", fullmatch=True)),
    user=st.one_of(text(10), st.from_regex(r"[a-z_][a-z0-9_-]{0,10}", fullmatch=True)),
)
def test_any_build_paths_land_as_single_words(requirements, app_path, workdir, user):
    result = _parsed({"build": {"requirements": requirements, "app_path": app_path, "workdir": workdir, "user": user}})
    if result is None:
        return
    value, parsed = result
    build = value.build
    assert [instruction.cmd for instruction in parsed] == DEFAULT_ORDER
    assert _only(parsed, "WORKDIR").value == (workdir,)
    copies = [instruction.value for instruction in parsed if instruction.cmd == "COPY"]
    assert copies == [
        (f"./{build.requirements}", posixpath.join(workdir, build.requirements)),
        (f"./{build.app_path[0]}", posixpath.join(workdir, build.app_path[0])),
    ]
    assert requirements.removeprefix("./") == build.requirements and [app_path.removeprefix("./")] == build.app_path
    assert parsed[2].value[0].endswith(f" --shell /usr/sbin/nologin {user}")


@SETTINGS
@example(["curl\n"])
@given(
    st.lists(
        st.one_of(
            text(20), st.from_regex(r"[a-z0-9][a-z0-9+.-]{1,10}(?:=[0-9][A-Za-z0-9.+~:-]{0,10})?", fullmatch=True)
        ),
        max_size=4,
    )
)
def test_any_system_packages_are_single_arguments_of_apt_get(packages):
    result = _parsed({"build": {"system_packages": packages}})
    if result is None:
        return
    _, parsed = result
    run = parsed[2]
    assert run.cmd == "RUN"
    if not packages:
        assert "apt-get" not in run.value[0]
        return
    words = run.value[0].split()
    start = words.index("--no-install-recommends") + 1
    assert words[start : start + len(packages) + 1] == [*sorted(packages, key=lambda entry: entry.split("=")[0]), "&&"]
