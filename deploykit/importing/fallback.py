"""Reading Compose files without the Compose CLI: a documented subset of what `docker compose config` does.

What it resolves, in Compose's order: the project's `.env` (the process environment wins over it),
`${...}` interpolation of every value (interpolation.py), `extends` (same file or another, chained),
`include` (each included project with its own directory and `.env`), the merge of several `-f` files
(13-merge.md: mappings merge, `command`/`entrypoint`/`healthcheck.test` are replaced, `ports`,
`volumes` and `secrets` merge by their unique key, other lists append; `!reset` and `!override`),
`env_file` (05-services.md's format), profiles (`--profile`, COMPOSE_PROFILES) and the project name
(COMPOSE_PROJECT_NAME, `name:`, else the directory's name as Compose normalizes it).

What it does not do: validate against the Compose schema (unknown keys and wrong types pass
unnoticed unless the import reads that field), resolve remote `include`s or OCI artifacts, or read
`--env-file`. docs/import.md says so; install the Compose CLI for an exact reading.
"""

from __future__ import annotations

import copy
import os
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from deploykit.errors import Location
from deploykit.importing import files as filecheck
from deploykit.importing import model
from deploykit.importing.interpolation import Variables, parse_env_file
from deploykit.importing.locate import SourceFile
from deploykit.importing.problems import ComposeProblem, version_1_problem, version_1_service

MAX_VALUES = filecheck.MAX_VALUES
# Service fields replaced, not merged, when a later file sets them (13-merge.md, "Shell commands").
_REPLACED = frozenset({("command",), ("entrypoint",), ("healthcheck", "test")})


# compose-spec.json: `services` "patternProperties": {"^[a-zA-Z0-9._-]+$": ...}, no other property.
_SERVICE_NAME = re.compile(r"[a-zA-Z0-9._-]+")


class _Reset:
    """`!reset`: the key is removed from the merged model."""


RESET = _Reset()


@dataclass(frozen=True)
class _Override:
    """`!override VALUE`: replaces the earlier files' value instead of merging with it."""

    value: Any


@dataclass
class FallbackReading:
    """The resolved project as data in the Compose CLI's shape (for the fields imports read), and warnings."""

    data: dict[str, Any]
    warnings: list[str] = field(default_factory=list)


def read_project(files: Sequence[SourceFile], profiles: Sequence[str], environ: Mapping[str, str]) -> FallbackReading:
    """The project the Compose CLI would resolve from `files` with `profiles` enabled, as far as this reader goes."""
    project_dir = files[0].path.parent
    variables = _project_variables(project_dir / ".env", environ, project_dir)
    reader = _Reader(variables, project_dir)
    merged: dict[str, Any] = {}
    included: list[dict[str, Any]] = []
    for source in files:
        document = reader.file(source)
        for entry_index, entry in enumerate(document.pop("include", None) or []):
            included.append(reader.include(source, entry, entry_index, environ, (source,)))
        _merge_mapping(merged, document, ())
    _add_included(merged, included)
    merged = _strip_tags(merged)
    services = merged.get("services") or {}
    if not isinstance(services, dict):
        raise ComposeProblem("must be a mapping of service names to services", ("services",))
    for name, spec in services.items():
        if isinstance(spec, dict):
            reader.apply_env_files(name, spec)
    merged["services"] = _active(services, profiles, variables.values)
    _check_dependencies(merged["services"], merged.get("secrets"))
    merged["name"] = _project_name(merged.get("name"), project_dir, variables.values)
    return FallbackReading(merged, reader.warnings + variables.warnings)


def _add_included(merged: dict[str, Any], included: list[dict[str, Any]]) -> None:
    """Included projects' resources added to `merged`; a name both define is an error, as in Compose."""
    for project in included:
        for kind in ("services", "secrets", "volumes", "networks"):
            for name, value in (project.get(kind) or {}).items():
                if name in (merged.get(kind) or {}):
                    raise ComposeProblem(f"{kind}.{name} conflicts with imported resource", (kind, name))
                merged.setdefault(kind, {})[name] = value


def _project_variables(dotenv: Path, environ: Mapping[str, str], project: Path) -> Variables:
    """The project's `.env` (if any), interpolated from the environment, with the environment winning."""
    values: dict[str, str] = {}
    if os.path.lexists(dotenv):  # a FIFO or a link out of the project is refused, not skipped
        parsed = parse_env_file(filecheck.read_text(SourceFile(dotenv.name, dotenv), project), Variables(environ), ())
        values = {name: value for name, value in parsed.items() if value is not None}
    return Variables({**values, **environ})


class _Reader:
    """Loads files and resolves each one's `extends`, sharing the project's variables and warnings."""

    def __init__(self, variables: Variables, project: Path):
        self.variables = variables
        self.project = project
        self.warnings: list[str] = []
        self._files: dict[Path, dict[str, Any]] = {}

    def file(self, source: SourceFile) -> dict[str, Any]:
        """One file, interpolated, its services' `extends` resolved and lists normalized for merging."""
        key = source.path.resolve()
        if key not in self._files:
            document = load_yaml(source, self.project)
            if "version" in document:
                self.warnings.append(
                    f"{source.shown}: the attribute `version` is obsolete, it will be ignored, please remove it to avoid potential confusion"
                )
                del document["version"]
            budget = [MAX_VALUES]
            try:
                document = _interpolate(document, self.variables, (), budget)
            except RecursionError:  # `${A:-${A:-...}}` nested thousands deep in one value
                raise ComposeProblem(
                    f"nested more than {filecheck.MAX_DEPTH} levels deep; Compose files nest a few",
                    location=Location(source.shown, 1, 1),
                ) from None
            version_1 = version_1_service(document)
            if version_1 is not None:
                raise version_1_problem(version_1)
            services = document.get("services") or {}
            if not isinstance(services, dict):
                raise ComposeProblem("must be a mapping of service names to services", ("services",))
            for name in services:
                # The Compose schema's pattern for service names; the CLI refuses any other name.
                if not isinstance(name, str):
                    raise ComposeProblem(
                        f"non-string key in services: {'<nil>' if name is None else name}", ("services",)
                    )
                if not _SERVICE_NAME.fullmatch(name):
                    raise ComposeProblem(f"additional properties '{name}' not allowed", ("services",))
            document["services"] = services
            self._files[key] = document
            for name in list(services):
                services[name] = self._extended(source, name, ())
        return copy.deepcopy(self._files[key])

    def _extended(
        self,
        source: SourceFile,
        name: str,
        seen: tuple[tuple[Path, str], ...],
        referrer: tuple[str | int, ...] | None = None,
    ) -> dict[str, Any]:
        """Service `name` of `source` with its `extends` chain merged in (base first), env_file paths absolute.

        `referrer` is the `extends` that asked for it, where a missing service is reported."""
        document = self._files[source.path.resolve()]
        path = ("services", name)
        if name not in document["services"]:
            raise ComposeProblem(
                f'cannot extend service "{name}" in {source.shown}: service not found', referrer or path
            )
        spec = document["services"][name]
        if not isinstance(spec, dict):
            raise ComposeProblem("must be a mapping", path)
        spec = _normalized_service(copy.deepcopy(spec), source.path.parent, path)
        extends = spec.pop("extends", None)
        if extends is None:
            return spec
        if isinstance(extends, str):
            extends = {"service": extends}
        if not isinstance(extends, dict) or not extends.get("service"):
            raise ComposeProblem("needs `service`", (*path, "extends"))
        base_source = source
        if extends.get("file"):
            base_path = source.path.parent / str(extends["file"])
            base_source = SourceFile(os.path.relpath(base_path), base_path)
            try:
                self.file(base_source)
            except ComposeProblem as problem:
                if problem.path or problem.location:
                    raise
                raise ComposeProblem(problem.message, (*path, "extends", "file")) from None
        marker = (base_source.path.resolve(), str(extends["service"]))
        if marker in seen or marker == (source.path.resolve(), name):
            raise ComposeProblem(f"circular reference with extends: {name}", (*path, "extends"))
        base = self._extended(
            base_source, str(extends["service"]), (*seen, (source.path.resolve(), name)), (*path, "extends", "service")
        )
        _merge_mapping(base, spec, ())
        return base

    def include(
        self, source: SourceFile, entry: Any, index: int, environ: Mapping[str, str], chain: tuple[SourceFile, ...]
    ) -> dict[str, Any]:
        """An `include` entry of `source`: its files read as a project of their own (with their own
        `include`s), then merged. `chain` is the files that included this one, `source` last."""
        path = ("include", index)
        if isinstance(entry, str):
            entry = {"path": entry}
        if not isinstance(entry, dict) or not entry.get("path"):
            raise ComposeProblem("needs `path`", path)
        paths = entry["path"] if isinstance(entry["path"], list) else [entry["path"]]
        included_files = [source.path.parent / str(item) for item in paths]
        project_dir = source.path.parent / str(entry.get("project_directory") or included_files[0].parent)
        env_files = entry.get("env_file") or [project_dir / ".env"]
        env_files = env_files if isinstance(env_files, list) else [env_files]
        values: dict[str, str] = {}
        for env_file in env_files:
            env_path = source.path.parent / str(env_file)
            if os.path.lexists(env_path):
                parsed = parse_env_file(
                    filecheck.read_text(SourceFile(str(env_file), env_path), self.project), Variables(values), path
                )
                values.update({name: value for name, value in parsed.items() if value is not None})
        # The including project's environment wins over the included project's .env.
        sub = _Reader(Variables({**values, **self.variables.values}), self.project)
        merged: dict[str, Any] = {}
        nested: list[dict[str, Any]] = []
        for file in included_files:
            if not os.path.lexists(file):
                raise ComposeProblem(f"open {os.path.relpath(file)}: no such file or directory", path)
            included = SourceFile(os.path.relpath(file), file)
            resolved = [os.path.realpath(link.path) for link in chain]
            if os.path.realpath(file) in resolved:
                # Compose: "include cycle detected:" and the chain, one file a line.
                cycle = " include ".join(link.shown for link in (*chain, included))
                raise ComposeProblem(f"include cycle detected: {cycle}", path)
            try:
                document = sub.file(included)
                for nested_index, nested_entry in enumerate(document.pop("include", None) or []):
                    nested.append(sub.include(included, nested_entry, nested_index, environ, (*chain, included)))
            except ComposeProblem as problem:
                if problem.path or problem.location:
                    raise
                raise ComposeProblem(problem.message, path) from None
            _merge_mapping(merged, document, ())
        _add_included(merged, nested)
        for name, spec in (merged.get("services") or {}).items():
            if isinstance(spec, dict):
                sub.apply_env_files(name, spec)
        self.warnings += sub.warnings + [w for w in sub.variables.warnings if w not in self.variables.warnings]
        return _strip_tags(merged)

    def apply_env_files(self, name: str, spec: dict[str, Any]) -> None:
        """Fold `env_file` into `environment`, which wins even when it sets a variable to nothing."""
        env_files = spec.pop("env_file", None) or []
        values: dict[str, Any] = {}
        for index, entry in enumerate(env_files):
            env_path = Path(entry["path"])
            if not os.path.lexists(env_path):
                if entry.get("required", True):
                    shown = os.path.relpath(env_path)
                    raise ComposeProblem(
                        f"env file {shown} not found: stat {shown}: no such file or directory",
                        ("services", name, "env_file", index),
                    )
                continue
            try:
                text = filecheck.read_text(SourceFile(os.path.relpath(env_path), env_path), self.project)
            except ComposeProblem as problem:
                raise ComposeProblem(problem.message, ("services", name, "env_file", index)) from None
            parsed = parse_env_file(
                text, self.variables, ("services", name, "env_file", index), entry.get("format") != "raw"
            )
            values.update(parsed)
        environment = spec.get("environment") or {}
        if not isinstance(environment, dict):
            raise ComposeProblem("must be a mapping or a list", ("services", name, "environment"))
        if values or "environment" in spec:
            spec["environment"] = {**values, **environment}


def load_yaml(source: SourceFile, project: Path) -> dict[str, Any]:
    """One Compose file as data (`!reset` and `!override` kept as markers), read and checked by files.py:
    a regular file in the project, small, nested a few levels, its aliases expanding to a bounded size."""
    from ruamel.yaml import YAML
    from ruamel.yaml.error import MarkedYAMLError, YAMLError

    yaml = YAML(typ="safe", pure=True)
    yaml.Constructor = _constructor()
    text = filecheck.read_text(source, project)
    filecheck.check_nesting(text, source.shown)
    try:
        document = yaml.load(text)
    except RecursionError:  # block collections nested hundreds deep (`- - - - ...`)
        raise ComposeProblem(
            f"nested more than {filecheck.MAX_DEPTH} levels deep; Compose files nest a few",
            location=Location(source.shown, 1, 1),
        ) from None
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        location = Location(source.shown, mark.line + 1, mark.column + 1) if mark is not None else None
        raise filecheck.YamlSyntaxProblem(f"yaml: {exc.problem or exc.context}", location=location) from None
    except YAMLError as exc:
        raise filecheck.YamlSyntaxProblem(f"yaml: {exc}", location=Location(source.shown, 1, 1)) from None
    if document is None:
        return {}
    filecheck.check_values(document, source.shown)
    if not isinstance(document, dict):
        raise filecheck.YamlSyntaxProblem(
            f"{source.shown}: top-level object must be a mapping", location=Location(source.shown, 1, 1)
        )
    return document


def _constructor() -> Any:
    """ruamel.yaml's safe constructor, plus Compose's `!reset` and `!override` tags (13-merge.md)."""
    from ruamel.yaml.constructor import SafeConstructor
    from ruamel.yaml.nodes import MappingNode, SequenceNode

    class ComposeConstructor(SafeConstructor):
        pass

    def reset(loader: Any, node: Any) -> _Reset:
        return RESET

    def override(loader: Any, node: Any) -> _Override:
        if isinstance(node, MappingNode):
            loader.flatten_mapping(node)
            return _Override(loader.construct_mapping(node, deep=True))
        if isinstance(node, SequenceNode):
            return _Override(loader.construct_sequence(node, deep=True))
        return _Override(loader.construct_scalar(node))

    ComposeConstructor.add_constructor("!reset", reset)
    ComposeConstructor.add_constructor("!override", override)
    return ComposeConstructor


def _interpolate(value: Any, variables: Variables, path: tuple[str | int, ...], budget: list[int]) -> Any:
    """A copy of `value` with every string value interpolated (keys are not: 12-interpolation.md)."""
    budget[0] -= 1
    if budget[0] < 0:
        raise ComposeProblem(f"more than {MAX_VALUES} values (nested YAML aliases?); refusing to expand them")
    if isinstance(value, str):
        return variables.substitute(value, path)
    if isinstance(value, dict):
        return {key: _interpolate(item, variables, (*path, str(key)), budget) for key, item in value.items()}
    if isinstance(value, list):
        return [_interpolate(item, variables, (*path, index), budget) for index, item in enumerate(value)]
    if isinstance(value, _Override):
        return _Override(_interpolate(value.value, variables, path, budget))
    return value


def _normalized_service(spec: dict[str, Any], directory: Path, path: tuple[str | int, ...]) -> dict[str, Any]:
    """The list forms Compose merges as mappings (`environment`, `labels`, `depends_on`) as mappings, and
    `env_file` entries as absolute paths, so a later file or an `extends` merges with them key by key."""
    spec = dict(spec)
    for key in ("environment", "labels"):
        if isinstance(spec.get(key), list):
            spec[key] = model._environment(spec[key], (*path, key))
    if isinstance(spec.get("depends_on"), list):
        spec["depends_on"] = {name: {"condition": "service_started"} for name in spec["depends_on"]}
    env_file = spec.get("env_file")
    if env_file is not None and not isinstance(env_file, (_Reset, _Override)):
        entries = env_file if isinstance(env_file, list) else [env_file]
        spec["env_file"] = [
            {**(entry if isinstance(entry, dict) else {"path": entry}), "path": str(directory / str(entry["path"] if isinstance(entry, dict) else entry))}
            for entry in entries
        ]  # fmt: skip
    return spec


def _merge_mapping(base: dict[str, Any], override: dict[str, Any], path: tuple[str, ...]) -> None:
    """Merge `override` into `base` by Compose's rules (13-merge.md)."""
    for key, value in override.items():
        where = (*path, str(key))
        service_field = where[2:] if where[:1] == ("services",) else None
        if isinstance(value, _Reset):
            base.pop(key, None)
        elif isinstance(value, _Override) or key not in base or service_field in _REPLACED:
            base[key] = value
        elif isinstance(base[key], dict) and isinstance(value, dict):
            _merge_mapping(base[key], value, where)
        elif isinstance(base[key], list) and isinstance(value, list):
            base[key] = _merged_list(base[key], value, service_field)
        else:
            base[key] = value


def _merged_list(base: list[Any], override: list[Any], service_field: tuple[str, ...] | None) -> list[Any]:
    """`ports`, `volumes` and `secrets` of a service merge by their unique key; other lists append."""
    unique = _UNIQUE_KEYS.get(service_field or ())
    if unique is None:
        return base + [item for item in override if item not in base or isinstance(item, (dict, list))]
    merged = {unique(item): item for item in base}
    for item in override:
        merged[unique(item)] = item
    return list(merged.values())


def _port_key(item: Any) -> Any:
    ports = model._ports(item, ())
    first = ports[0]
    return (first.host_ip, first.target, first.published, first.protocol)


_UNIQUE_KEYS: dict[tuple[str, ...], Callable[[Any], Any]] = {
    ("ports",): _port_key,
    ("volumes",): lambda item: model._mount(item, ()).target,
    ("secrets",): lambda item: model._secret(item, ()).target,
    ("configs",): lambda item: str(item.get("target") if isinstance(item, dict) else item),
}


def _strip_tags(value: Any) -> Any:
    """The value without `!reset`/`!override` markers left over (a `!reset` in the first file removes nothing)."""
    if isinstance(value, _Override):
        return _strip_tags(value.value)
    if isinstance(value, dict):
        return {key: _strip_tags(item) for key, item in value.items() if not isinstance(item, _Reset)}
    if isinstance(value, list):
        return [_strip_tags(item) for item in value if not isinstance(item, _Reset)]
    return value


def _active(services: dict[str, Any], profiles: Sequence[str], variables: Mapping[str, str]) -> dict[str, Any]:
    """The services Compose runs: those without `profiles`, and those in an enabled profile."""
    enabled = set(profiles) | {name for name in variables.get("COMPOSE_PROFILES", "").split(",") if name}
    return {
        name: spec
        for name, spec in services.items()
        if not (isinstance(spec, dict) and spec.get("profiles"))
        or "*" in enabled
        or enabled.intersection(map(str, spec["profiles"]))
    }


def _check_dependencies(services: dict[str, Any], secrets: Any) -> None:
    """Services named in `depends_on` and secrets granted must exist, as the Compose CLI requires."""
    for name, spec in services.items():
        if not isinstance(spec, dict):
            continue
        for index, item in enumerate(model._list(spec.get("secrets"), ("services", name, "secrets"))):
            source = model._secret(item, ("services", name, "secrets", index)).source
            if not isinstance(secrets, dict) or source not in secrets:
                raise ComposeProblem(
                    f'service "{name}" refers to undefined secret {source}: invalid compose project',
                    ("services", name, "secrets", index),
                )
        for dependency in model._depends_on(spec.get("depends_on"), ("services", name, "depends_on")):
            if dependency not in services:
                raise ComposeProblem(
                    f'service "{name}" depends on undefined service "{dependency}": invalid compose project',
                    ("services", name, "depends_on", dependency),
                )


def _project_name(written: Any, project_dir: Path, variables: Mapping[str, str]) -> str:
    """COMPOSE_PROJECT_NAME, else `name:`, else the project directory's name normalized as Compose does
    (lowercase; only letters, digits, `-` and `_`; no leading `-` or `_`)."""
    if variables.get("COMPOSE_PROJECT_NAME"):
        return variables["COMPOSE_PROJECT_NAME"]
    if written:
        return str(written)
    return re.sub(r"[^-_a-z0-9]", "", project_dir.resolve().name.lower()).lstrip("-_")
