"""The compiled spec schema (deploykit/spec/compiled.py) against the spec models it is compiled from.

Loading validates with the compiled schema and falls back to the models for anything it refuses, so the
two must agree: on what they accept, on the values they produce (nested objects, defaults, normal forms,
which fields were written), and on the parts of pydantic's model interface deploykit uses.
"""

from __future__ import annotations

import copy
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
from deploykit.spec import compiled, compiled_schema, compiler
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


def test_the_compiled_schema_is_current():
    assert compiler.source() == Path(compiled_schema.__file__).read_text(encoding="utf-8"), (
        "deploykit/spec/compiled_schema.py is stale: run python scripts/update_goldens.py"
    )


def test_it_is_used_while_its_sources_and_pydantic_are_unchanged():
    import pydantic_core

    assert pydantic_core.__version__ == compiled_schema.PYDANTIC_CORE_VERSION
    assert compiled.fingerprint(compiled_schema.SOURCES) == compiled_schema.FINGERPRINT
    assert compiled._validator() is not None
    # The sources are what the models are built from: the spec, the checks it calls, the registry.
    assert {"deploykit/spec/model.py", "deploykit/spec/values.py", "deploykit/spec/derived.py"} <= set(
        compiled_schema.SOURCES
    )


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
    views = {cls.__name__: cls for cls in vars(compiled_schema).values() if isinstance(cls, type)}
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
    with pytest.raises(DeployKitError, match=r"replicas: must be at least 1, got 0"):
        load_data({**SOURCES["bundled-dev"], "replicas": 0})


def test_other_sources_or_another_pydantic_fall_back_to_the_models(monkeypatch: pytest.MonkeyPatch):
    compiled._validator.cache_clear()
    monkeypatch.setattr(compiled_schema, "FINGERPRINT", "compiled from other files or another pydantic")
    try:
        assert compiled.validate(SOURCES["bundled-prod"]) is None
        loaded = load_data(SOURCES["bundled-prod"])
        assert isinstance(loaded.profile, Profile)
        rendered = pipeline.render(loaded, "k8s").rendering.stdout
    finally:
        compiled._validator.cache_clear()
    assert rendered == pipeline.render(bundled("prod"), "k8s").rendering.stdout


def _stale_checkout(tmp_path: Path, edit: tuple[str, str, str]) -> Path:
    """A copy of the package and profiles/, with one source file edited after the schema was compiled."""
    shutil.copytree(REPO / "deploykit", tmp_path / "deploykit", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(REPO / "profiles", tmp_path / "profiles")
    name, old, new = edit
    path = tmp_path / "deploykit" / name
    assert old in path.read_text()
    path.write_text(path.read_text().replace(old, new))
    return tmp_path


def _render_with(package_root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`render k8s --env prod` in `package_root`, with deploykit imported from there: -S, because site
    would install the editable install's finder, which wins over PYTHONPATH; the libraries come from
    site-packages."""
    libraries = sysconfig.get_paths()["purelib"]
    return subprocess.run(
        [sys.executable, "-S", "-m", "deploykit", "render", "k8s", "--env", "prod", *args],
        cwd=package_root,
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "DEPLOYKIT_CACHE": "off", "PYTHONPATH": f"{package_root}:{libraries}"},
        timeout=60,
    )


def test_a_changed_rule_that_was_not_compiled_is_still_enforced(tmp_path: Path):
    root = _stale_checkout(
        tmp_path,
        (
            "spec/model.py",
            "_Replicas = Annotated[int, Field(ge=1, le=1000)]",
            "_Replicas = Annotated[int, Field(ge=1, le=4)]",
        ),
    )
    refused = _render_with(root, "--set", "replicas=5")
    assert (refused.returncode, refused.stderr) == (
        2,
        "error: --set replicas=5:1:16: replicas: must be at most 4, got 5\n",
    )
    assert _render_with(root).returncode == 0


def test_a_renamed_check_that_was_not_compiled_falls_back_to_the_models(tmp_path: Path):
    root = _stale_checkout(tmp_path, ("spec/values.py", "def check_cpu(", "def check_cpu_quantity("))
    for name in ("spec/model.py",):
        path = root / "deploykit" / name
        path.write_text(path.read_text().replace("values.check_cpu)", "values.check_cpu_quantity)"))
    rendered = _render_with(root)
    assert (rendered.returncode, rendered.stderr) == (0, "")
    assert rendered.stdout == pipeline.render(bundled("prod"), "k8s").rendering.stdout


def test_a_render_does_not_import_pydantic_but_an_error_does():
    script = (
        "import sys\nfrom deploykit.entry import main\n"
        "try:\n    main()\nfinally:\n    print('pydantic' in sys.modules, file=sys.stderr)\n"
    )

    def imports_pydantic(*args: str) -> tuple[int, str]:
        result = subprocess.run(
            [sys.executable, "-c", script, "render", "k8s", *args],
            cwd=REPO,
            capture_output=True,
            text=True,
            env={"PATH": "/usr/bin:/bin", "DEPLOYKIT_CACHE": "off", "PYTHONPATH": str(REPO)},
            timeout=60,
        )
        return result.returncode, result.stderr.splitlines()[-1]

    assert imports_pydantic("--env", "prod") == (0, "False")
    assert imports_pydantic("--env", "prod", "--set", "replicas=0") == (2, "True")
    refused = run_cli("render", "k8s", "--env", "prod", "--set", "replicas=0", cwd=REPO)
    assert refused.stderr == "error: --set replicas=0:1:16: replicas: must be at least 1, got 0\n"
