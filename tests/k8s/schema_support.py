"""Schemas for the rendered objects: the vendored CRDs (tests/k8s/crds, made strict) for custom
resources, kubernetes-validate's strict schemas for built-in kinds, and the list-map keys both declare."""

from __future__ import annotations

import copy
import functools
import hashlib
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
from ruamel.yaml import YAML

CRDS = Path(__file__).resolve().parent / "crds"
Resolve = Callable[[dict], dict]


def crd_sources() -> list[dict]:
    """The entries of crds/sources.yaml: file, project, version, source, commit, sha256."""
    return YAML(typ="safe", pure=True).load((CRDS / "sources.yaml").read_text(encoding="utf-8"))


def sha256_of(relative: str) -> str:
    return hashlib.sha256((CRDS / relative).read_bytes()).hexdigest()


def _strict(schema: Any) -> Any:
    """Refuse unknown fields in every object schema that lists its properties, as the API server prunes
    (and `kubectl --validate=strict` refuses) them; maps (additionalProperties) and preserved fields stay open."""
    if isinstance(schema, dict):
        if (
            "properties" in schema
            and "additionalProperties" not in schema
            and not schema.get("x-kubernetes-preserve-unknown-fields")
        ):
            schema["additionalProperties"] = False
        for value in schema.values():
            _strict(value)
    elif isinstance(schema, list):
        for value in schema:
            _strict(value)
    return schema


@functools.cache
def crd_schemas() -> dict[tuple[str, str], dict]:
    """(apiVersion, kind) -> the served version's openAPIV3Schema, from every vendored CRD."""
    schemas: dict[tuple[str, str], dict] = {}
    for source in crd_sources():
        crd = YAML(typ="safe", pure=True).load((CRDS / source["file"]).read_text(encoding="utf-8"))
        group, kind = crd["spec"]["group"], crd["spec"]["names"]["kind"]
        for version in crd["spec"]["versions"]:
            if version["served"]:
                schemas[(f"{group}/{version['name']}", kind)] = version["schema"]["openAPIV3Schema"]
    return schemas


@functools.cache
def _crd_validator(api_version: str, kind: str) -> jsonschema.Draft7Validator:
    return jsonschema.Draft7Validator(_strict(copy.deepcopy(crd_schemas()[(api_version, kind)])))


def crd_errors(obj: dict) -> list[str]:
    """Why `obj` does not match its CRD's schema (strictly), as `path: message` lines; [] when it does.

    CEL rules (x-kubernetes-validations) are not evaluated: no CEL engine runs here.
    """
    if (obj["apiVersion"], obj["kind"]) not in crd_schemas():
        return [f"no vendored CRD for {obj['apiVersion']} {obj['kind']}"]
    validator = _crd_validator(obj["apiVersion"], obj["kind"])
    return sorted(f"{'.'.join(map(str, error.absolute_path))}: {error.message}" for error in validator.iter_errors(obj))


@functools.cache
def _builtin_definitions(version: str) -> dict[str, dict]:
    directory = Path(kubernetes_validate.__file__).parent / "kubernetes-json-schema" / f"v{version}.0-local-strict"
    return json.loads((directory / "_definitions.json").read_text(encoding="utf-8"))["$defs"]


def _builtin_schema(obj: dict, version: str) -> tuple[dict, Resolve]:
    group_version = obj["apiVersion"]
    group, _, api = group_version.rpartition("/")
    suffix = f"-{group.split('.')[0]}-{api}" if group else f"-{api}"
    directory = Path(kubernetes_validate.__file__).parent / "kubernetes-json-schema" / f"v{version}.0-local-strict"
    schema = json.loads((directory / f"{obj['kind'].lower()}{suffix}.json").read_text(encoding="utf-8"))
    definitions = _builtin_definitions(version)

    def resolve(node: dict) -> dict:
        while "$ref" in node:
            node = definitions[node["$ref"].rsplit("/$defs/", 1)[1]]
        return node

    return schema, resolve


def schema_of(obj: dict, version: str) -> tuple[dict, Resolve]:
    """The schema of `obj` and the function that follows its $refs: a vendored CRD, else Kubernetes' own."""
    key = (obj["apiVersion"], obj["kind"])
    if key in crd_schemas():
        return crd_schemas()[key], lambda node: node
    return _builtin_schema(obj, version)


def list_map_duplicates(obj: dict, version: str) -> list[str]:
    """Entries that repeat a key of a list the schema declares a map (x-kubernetes-list-map-keys) or a set.

    Server-side apply refuses such an object ("duplicate entries for key"), whatever the validation says.
    """
    schema, resolve = schema_of(obj, version)
    return list(_duplicates(obj, schema, resolve, ()))


def _format_path(path: tuple) -> str:
    """`spec.template.spec.containers[0].env[3]`."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


def _branch(schema: dict, resolve: Resolve) -> dict:
    schema = resolve(schema)
    for combinator in ("allOf", "anyOf", "oneOf"):
        for option in schema.get(combinator, []):
            option = resolve(option)
            if "properties" in option or "items" in option:
                return option
    return schema


def _duplicates(value: Any, schema: dict, resolve: Resolve, path: tuple) -> Iterator[str]:
    schema = _branch(schema, resolve)
    if isinstance(value, dict):
        properties = schema.get("properties", {})
        extra = schema.get("additionalProperties")
        for key, item in value.items():
            child = properties.get(key) or (extra if isinstance(extra, dict) else None)
            if child is not None:
                yield from _duplicates(item, child, resolve, (*path, key))
    elif isinstance(value, list):
        list_type = schema.get("x-kubernetes-list-type")
        seen: set[str] = set()
        for index, item in enumerate(value):
            if list_type == "map":
                identity = json.dumps([item.get(key) for key in schema["x-kubernetes-list-map-keys"]])
            elif list_type == "set":
                identity = json.dumps(item, sort_keys=True)
            else:
                identity = None
            if identity is not None:
                if identity in seen:
                    yield f"{_format_path((*path, index))}: repeats {identity}"
                seen.add(identity)
            if "items" in schema:
                yield from _duplicates(item, schema["items"], resolve, (*path, index))
