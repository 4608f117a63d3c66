"""The compiled spec schema (deploykit/spec/compiled.py) against the spec models it is built from.

Loading validates with the compiled schema and falls back to the models for anything it refuses, so the
two must agree: on what they accept, on the values they produce (nested objects, defaults, normal forms,
which fields were written), and on the parts of pydantic's model interface deploykit uses. It is built
on first use, rebuilt when the spec or pydantic changes, and never imported from a place another user
could write.
"""

from __future__ import annotations

import copy
import importlib
import json
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path
from typing import Any

import pytest
from helpers import BUNDLED_ENVIRONMENTS, REPO, bundled, load_data, run_cli
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

from deploykit import pipeline
from deploykit.errors import DeployKitError
from deploykit.rendering import HEADER
from deploykit.spec import compiled, compiler
from deploykit.spec.compiled import SpecView
from deploykit.spec.model import Profile

sys.path.insert(0, str(REPO / "tests" / "k8s"))
from k8s_support import feature_rich

EXAMPLE_PROFILES = sorted((REPO / "examples").glob("*/profiles/*.yaml"))


def _sources() -> dict[str, dict[str, Any]]:
    """Merged profile data that exercises every block: the bundled and example profiles, everything on."""
    sources = {f"bundled-{name}": bundled(name).source.data for name in BUNDLED_ENVIRONMENTS}
    for path in EXAMPLE_PROFILES:
        if path.name != "base.yaml":
            sources[f"{path.parent.parent.name}-{path.stem}"] = pipeline.load(path).source.data
    for routing in ("ingress", "gateway"):
        sources[f"feature-rich-{routing}"] = feature_rich(routing, "1.37")
    return sources


SOURCES = _sources()


@pytest.fixture(autouse=True, scope="module")
def _built() -> None:
    """The schema built from the models as they are now, as a first load builds it."""
    compiler.build()
    compiled._validator.cache_clear()


def _shape(value: Any) -> Any:
    """A validated value as comparable data: each object as its class name, fields and written fields."""
    if isinstance(value, (BaseModel, SpecView)):
        fields = {name: _shape(item) for name, item in value.__dict__.items()}
        return (type(value).__name__, fields, sorted(value.model_fields_set))
    if isinstance(value, list):
        return [_shape(item) for item in value]
    if isinstance(value, dict):
        return {key: _shape(item) for key, item in value.items()}
    return (type(value).__name__, value)


def _by_models(data: Any) -> Profile | None:
    try:
        return Profile.model_validate(data)
    except ValidationError:
        return None


def _header() -> dict[str, Any]:
    line = compiled.BUILT_SCHEMA.read_text(encoding="utf-8").splitlines()[0]
    return json.loads(line.removeprefix(compiled.HEADER_PREFIX))


def test_the_spec_models_compile_and_the_compiled_schema_is_used():
    status = compiled.status()
    assert status.compiled, status.reason
    assert compiled._validator() is not None
    header = _header()
    assert header["unsupported"] is None
    # The sources are what shapes the schema: the spec package, and what it imports names from (the
    # server names, the target registry, the warning codes); not modules merely loaded on the way.
    sources = set(header["sources"])
    assert {"deploykit/spec/model.py", "deploykit/spec/values.py", "deploykit/spec/derived.py"} <= sources
    assert {"deploykit/servers.py", "deploykit/targets/__init__.py", "deploykit/report.py"} <= sources
    assert not sources & {"deploykit/errors.py", "deploykit/cli.py", "deploykit/pipeline.py", "deploykit/__init__.py"}
    assert f"validator: compiled schema: {compiled.BUILT_SCHEMA}" in run_cli("--version").stdout


@pytest.mark.parametrize("name", sorted(SOURCES))
def test_it_builds_what_the_models_build(name: str):
    data = SOURCES[name]
    by_models, by_compiled = _by_models(data), compiled.validate(data)
    assert by_models is not None and by_compiled is not None
    assert _shape(by_compiled) == _shape(by_models)
    assert by_compiled.model_dump() == by_models.model_dump()
    assert by_compiled.model_dump(exclude_unset=True) == by_models.model_dump(exclude_unset=True)


@pytest.mark.parametrize("name", sorted(SOURCES))
def test_derived_properties_agree(name: str):
    data = SOURCES[name]
    by_models, by_compiled = _by_models(data), compiled.validate(data)
    assert by_models is not None and by_compiled is not None
    for field in ("memory_bytes", "tmp_bytes", "cpu_millicores", "image_tag", "web_server", "target_names"):
        assert getattr(by_compiled, field) == getattr(by_models, field), field
    assert _shape(by_compiled.secret_files) == _shape(by_models.secret_files)
    assert (by_compiled.health.liveness, by_compiled.health.readiness) == (
        by_models.health.liveness,
        by_models.health.readiness,
    )
    assert by_compiled.build.app_paths == by_models.build.app_paths
    assert by_compiled.nomad.trusted_bridge == by_models.nomad.trusted_bridge
    assert [ours.in_cluster for ours in by_compiled.network.egress] == [
        theirs.in_cluster for theirs in by_models.network.egress
    ]


def test_every_model_has_a_view_with_its_properties_and_methods():
    built = importlib.import_module(compiled.BUILT_MODULE)
    views = {cls.__name__: cls for cls in vars(built).values() if isinstance(cls, type)}
    models = {cls.__name__: cls for cls in _models(Profile)}
    assert set(models) <= set(views)
    for name, model in models.items():
        # Whatever deploykit's own classes give a model beyond its fields: properties and methods.
        own = {
            attribute
            for cls in model.__mro__
            if cls.__module__.startswith("deploykit.")
            for attribute, value in vars(cls).items()
            if not attribute.startswith(("_", "model_")) and (callable(value) or isinstance(value, property))
        }
        assert own <= set(dir(views[name])), name
    assert "memory_bytes" in dir(views["Profile"]) and "liveness" in dir(views["Health"])


def _models(model: type[BaseModel], seen: set[type[BaseModel]] | None = None) -> set[type[BaseModel]]:
    import typing

    from deploykit.spec.introspect import is_model, unwrap

    seen = set() if seen is None else seen
    seen.add(model)
    for field in model.model_fields.values():
        pending = [field.annotation]
        while pending:
            annotation = unwrap(pending.pop())
            if is_model(annotation) and annotation not in seen:
                _models(annotation, seen)
            pending.extend(typing.get_args(annotation))
    return seen


def test_views_behave_like_frozen_models():
    profile = compiled.validate(SOURCES["bundled-prod"])
    same = compiled.validate(copy.deepcopy(SOURCES["bundled-prod"]))
    assert profile is not None and same is not None
    assert profile == same and profile is not same
    assert hash(profile.health) == hash(same.health)
    with pytest.raises(AttributeError, match="frozen"):
        profile.replicas = 3  # type: ignore[misc]
    with pytest.raises(AttributeError, match="frozen"):
        del profile.replicas  # type: ignore[misc]
    with pytest.raises(TypeError):
        hash(profile)  # it holds lists, as a frozen pydantic model does
    copied = profile.model_copy(update={"replicas": 9})
    model_copied = Profile.model_validate(SOURCES["bundled-prod"]).model_copy(update={"replicas": 9})
    assert _shape(copied) == _shape(model_copied)
    assert profile.replicas != 9 and copy.deepcopy(profile) == profile


def test_defaults_are_not_shared_between_profiles():
    # pydantic-core copies a default it cannot hash; a view holding lists is one.
    first, second = compiled.validate(SOURCES["bundled-dev"]), compiled.validate(SOURCES["bundled-dev"])
    assert first is not None and second is not None
    assert first.build == second.build and first.build is not second.build


def _leaves(data: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    paths = [path] if path else []
    if isinstance(data, dict):
        for key, value in data.items():
            paths += _leaves(value, (*path, key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            paths += _leaves(value, (*path, index))
    return paths


REPLACEMENTS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-2, max_value=100_000),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.sampled_from(
        ["", "x", "app", "0.5", "128Mi", "1.31", "/healthz", "none", "10.0.0.0/8", "job", "file", "UPPER", "a b"]
    ),
    st.text(max_size=12),
    st.lists(st.sampled_from(["app", "k8s", "x", 1]), max_size=3),
    st.dictionaries(st.sampled_from(["path", "name", "X", "port"]), st.sampled_from(["/x", "a", 1]), max_size=2),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_it_accepts_exactly_what_the_models_accept(data: st.DataObject):
    source = copy.deepcopy(SOURCES[data.draw(st.sampled_from(sorted(SOURCES)))])
    path = data.draw(st.sampled_from(_leaves(source)))
    parent = source
    for part in path[:-1]:
        parent = parent[part]
    action = data.draw(st.sampled_from(["replace", "remove", "add-unknown"]))
    if action == "replace":
        parent[path[-1]] = data.draw(REPLACEMENTS)
    elif action == "remove":
        del parent[path[-1]]
    elif isinstance(parent, dict):
        parent["unknown_field"] = data.draw(REPLACEMENTS)
    by_models, by_compiled = _by_models(source), compiled.validate(source)
    assert (by_compiled is None) == (by_models is None)
    if by_models is not None:
        assert _shape(by_compiled) == _shape(by_models)


def test_a_refused_profile_is_reported_by_the_models():
    with pytest.raises(DeployKitError, match=r"replicas: must be at least 0, got -1"):
        load_data({**SOURCES["bundled-dev"], "replicas": -1})


def test_other_sources_or_another_pydantic_fall_back_to_the_models(monkeypatch: pytest.MonkeyPatch):
    compiled._validator.cache_clear()
    monkeypatch.setattr(compiled, "fingerprint", lambda sources: "built from other files or another pydantic")
    builds: list[None] = []
    monkeypatch.setattr(compiler, "build", lambda: builds.append(None))  # the shared schema stays as it is
    try:
        status = compiled.status()
        assert (status.compiled, status.buildable) == (False, os.geteuid() == os.stat(compiled.__file__).st_uid)
        assert "was built for another pydantic or other spec modules" in status.reason
        assert compiled.validate(SOURCES["bundled-prod"]) is None
        loaded = load_data(SOURCES["bundled-prod"])
        assert isinstance(loaded.profile, Profile)
        rendered = pipeline.render(loaded, "k8s").rendering.stdout
    finally:
        compiled._validator.cache_clear()
    assert rendered == pipeline.render(bundled("prod"), "k8s").rendering.stdout
    assert builds == ([None] if status.buildable else [])  # the models' verdict is followed by a rebuild


def _checkout(tmp_path: Path, edit: tuple[str, str, str] | None = None) -> Path:
    """A copy of the package and profiles/, its schema built by a first render, then one file edited."""
    shutil.copytree(
        REPO / "deploykit",
        tmp_path / "deploykit",
        ignore=shutil.ignore_patterns("__pycache__", compiled.BUILT_SCHEMA.name),
    )
    shutil.copytree(REPO / "profiles", tmp_path / "profiles")
    os.chmod(tmp_path / "deploykit" / "spec", 0o755)
    built = _run_in(tmp_path, "--version")
    assert "is not built (the next profile loaded builds it)" in built.stdout, built.stdout
    assert _run_in(tmp_path, "render", "k8s", "--env", "prod").returncode == 0
    assert "validator: compiled schema" in _run_in(tmp_path, "--version").stdout
    if edit is not None:
        name, old, new = edit
        path = tmp_path / "deploykit" / name
        assert old in path.read_text()
        path.write_text(path.read_text().replace(old, new, 1))
    return tmp_path


def _run_in(package_root: Path, *args: str, prefix: tuple[str, ...] = ()) -> subprocess.CompletedProcess[str]:
    """`deploykit ARGS` in `package_root`, with deploykit imported from there: -S, because site would
    install the editable install's finder, which wins over PYTHONPATH; the libraries come from
    site-packages."""
    libraries = sysconfig.get_paths()["purelib"]
    return subprocess.run(
        [*prefix, sys.executable, "-S", "-m", "deploykit", *args],
        cwd=package_root,
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": f"{package_root}:{libraries}"},
        timeout=60,
    )


def test_a_changed_rule_is_enforced_at_once_and_compiled_on_the_way(tmp_path: Path):
    root = _checkout(
        tmp_path,
        (
            "spec/model.py",
            "_AppReplicas = Annotated[int, Field(ge=0, le=1000)]",
            "_AppReplicas = Annotated[int, Field(ge=0, le=4)]",
        ),
    )
    assert "was built for another pydantic or other spec modules" in _run_in(root, "--version").stdout
    expected = (2, "error: --set replicas=5:1:16: replicas: must be at most 4, got 5\n")
    refused = _run_in(root, "render", "k8s", "--env", "prod", "--set", "replicas=5")
    assert (refused.returncode, refused.stderr) == expected
    assert _run_in(root, "render", "k8s", "--env", "prod").returncode == 0  # rebuilds
    assert "validator: compiled schema" in _run_in(root, "--version").stdout
    refused = _run_in(root, "render", "k8s", "--env", "prod", "--set", "replicas=5")
    assert (refused.returncode, refused.stderr) == expected


def test_the_install_time_command_builds_and_reports(tmp_path: Path):
    root = _checkout(tmp_path)
    (root / "deploykit" / "spec" / compiled.BUILT_SCHEMA.name).unlink()
    libraries = sysconfig.get_paths()["purelib"]
    result = subprocess.run(
        [sys.executable, "-S", "-m", "deploykit.spec.compiler"],
        cwd=root,
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": f"{root}:{libraries}"},
        timeout=60,
    )
    built = root / "deploykit" / "spec" / compiled.BUILT_SCHEMA.name
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout.startswith(f"validator: compiled schema: {built} (pydantic-core ")


def test_editing_a_module_the_spec_does_not_import_from_keeps_the_compiled_schema(tmp_path: Path):
    root = _checkout(tmp_path, ("errors.py", '"""', '"""An edited comment.\n'))
    assert "validator: compiled schema" in _run_in(root, "--version").stdout


def test_a_renamed_check_falls_back_to_the_models_and_renders_the_same(tmp_path: Path):
    root = _checkout(tmp_path, ("spec/values.py", "def check_cpu(", "def check_cpu_quantity("))
    path = root / "deploykit" / "spec" / "model.py"
    path.write_text(path.read_text().replace("values.check_cpu)", "values.check_cpu_quantity)"))
    rendered = _run_in(root, "render", "k8s", "--env", "prod")
    assert (rendered.returncode, rendered.stderr) == (0, "")
    assert rendered.stdout == HEADER + pipeline.render(bundled("prod"), "k8s").rendering.stdout


VALIDATOR_METHOD = """\
    @pydantic.field_validator("app")
    @classmethod
    def _not_reserved(cls, value: str) -> str:
        if value == "reserved":
            raise ValueError("this name is reserved")
        return value

"""


def test_a_validator_method_cannot_be_compiled_and_the_models_decide(tmp_path: Path):
    """An ordinary @field_validator is a method of a pydantic model: the spec stays on the models path."""
    root = _checkout(tmp_path)
    path = root / "deploykit" / "spec" / "model.py"
    text = path.read_text()
    body = text.index(":\n", text.index("class Profile(")) + 2
    text = text[:body] + VALIDATOR_METHOD + text[body:]
    path.write_text(
        text.replace(
            "from __future__ import annotations\n", "from __future__ import annotations\n\nimport pydantic\n", 1
        )
    )
    assert _run_in(root, "render", "k8s", "--env", "prod").returncode == 0
    version = _run_in(root, "--version").stdout
    assert "validator: spec models (slower start): the spec models cannot be compiled: " in version
    assert "is not a module-level function of deploykit" in version
    refused = _run_in(root, "render", "k8s", "--env", "prod", "--set", "app=reserved")
    assert refused.returncode == 2
    assert refused.stderr.endswith(": app: this name is reserved\n"), refused.stderr


@pytest.mark.parametrize("place", ["file", "directory"])
def test_a_schema_other_users_could_write_is_neither_imported_nor_rewritten(tmp_path: Path, place: str):
    root = _checkout(tmp_path)
    built = root / "deploykit" / "spec" / compiled.BUILT_SCHEMA.name
    # A planted schema with a current header: its code must never run.
    header = built.read_text().split("\n", 1)[0]
    built.write_text(header + "\nraise SystemExit('planted code ran')\n")
    os.chmod(built if place == "file" else built.parent, 0o666 if place == "file" else 0o777)
    try:
        version = _run_in(root, "--version").stdout
        assert "validator: spec models (slower start): " in version
        assert (
            "may be written by users other than the package's owner"
            if place == "directory"
            else "is not a regular file that only the package's owner may write"
        ) in version
        rendered = _run_in(root, "render", "k8s", "--env", "prod")
        assert (rendered.returncode, rendered.stderr) == (0, "")
        assert "planted code ran" in built.read_text()  # not rebuilt either
    finally:
        os.chmod(built.parent, 0o755)


def test_a_user_other_than_the_owner_uses_the_owners_schema_but_never_builds_one(tmp_path: Path):
    """An install owned by another user (root's, for everyone else): its schema is trusted as its code
    is, and only its owner builds one."""
    if os.geteuid() != 0:
        pytest.skip("needs root to give the package copy to another owner")
    root = _checkout(tmp_path)
    for directory, _, files in os.walk(root / "deploykit"):
        os.chown(directory, 65534, 65534)
        for name in files:
            os.chown(os.path.join(directory, name), 65534, 65534)
    assert "validator: compiled schema" in _run_in(root, "--version").stdout
    built = root / "deploykit" / "spec" / compiled.BUILT_SCHEMA.name
    built.unlink()
    assert "only the package's owner, uid 65534, may build it" in _run_in(root, "--version").stdout
    assert _run_in(root, "render", "k8s", "--env", "prod").returncode == 0
    assert not built.exists()


def test_a_render_does_not_import_pydantic_but_an_error_does():
    script = (
        "import sys\nfrom deploykit.cli import main\n"
        "try:\n    main()\nfinally:\n    print('pydantic' in sys.modules, file=sys.stderr)\n"
    )

    def imports_pydantic(*args: str) -> tuple[int, str]:
        result = subprocess.run(
            [sys.executable, "-c", script, "render", "k8s", *args],
            cwd=REPO,
            capture_output=True,
            text=True,
            env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(REPO)},
            timeout=60,
        )
        return result.returncode, result.stderr.splitlines()[-1]

    assert imports_pydantic("--env", "prod") == (0, "False")
    assert imports_pydantic("--env", "prod", "--set", "replicas=-1") == (2, "True")
    refused = run_cli("render", "k8s", "--env", "prod", "--set", "replicas=-1", cwd=REPO)
    assert refused.stderr == "error: --set replicas=-1:1:16: replicas: must be at least 0, got -1\n"
