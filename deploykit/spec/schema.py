"""The JSON Schema of one profile file, generated from the spec models.

A profile file is partial by design (a child sets only what differs from its parent), so the schema
requires nothing; completeness, and every rule that spans fields (possibly of different files), is
checked after merging. Everything else the loader refuses, the schema refuses too where JSON Schema can
say it: the field types carry their patterns and lengths (spec/base.py, spec/names.py), and a few
rules on names are added here, with the flags each known server refuses in a command that starts it,
and `k8s.gateway` for `routing: gateway` in a file that has no parent. tests/cli/test_schema_gaps.py lists what only the loader catches.
"""

from __future__ import annotations

import re
from typing import Any

from deploykit.report import WARNINGS
from deploykit.servers import SERVERS, Server
from deploykit.spec import names
from deploykit.spec.model import Profile


def _case_insensitive(pattern: str) -> str:
    """`pattern` matching either case, written out (`[Aa]`): ECMA-262 patterns have no inline (?i) flag."""
    return re.sub(r"[A-Za-z]", lambda match: f"[{match.group().upper()}{match.group().lower()}]", pattern)


# Variables deploykit sets for whatever server runs (servers.py: owned_env); the rest depend on `server`,
# which another file of the chain may set.
_SET_BY_DEPLOYKIT = sorted(set.intersection(*(set(server.owned_env) for server in SERVERS.values())))
# Env names deploykit refuses in `env` (spec/checks.py): credentials belong in `secrets`. A file that
# lists names in `env_not_secret` may use them, and JSON Schema cannot match keys against that list:
# there the loader alone decides.
_CREDENTIAL_NAMES_UNLESS_ACKNOWLEDGED = {
    "if": {"not": {"required": ["env_not_secret"]}},
    "then": {
        "properties": {
            "env": {"propertyNames": {"not": {"pattern": _case_insensitive(names.SECRET_LOOKING_ENV.pattern)}}}
        }
    },
}


def _cron_pattern() -> str:
    """spec/schedule.py's five fields as one ECMA-262 pattern: each field a list of `*` or a value or a
    range, with an optional step of one or two digits from 1, the values of one or two digits within the
    field's bounds (month and day names in either case), separated by single spaces. Ranges running
    backwards and steps too large for the range stay the loader's."""
    months = "|".join(
        _case_insensitive(name)
        for name in (["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"])
    )
    days = "|".join(_case_insensitive(name) for name in (["sun", "mon", "tue", "wed", "thu", "fri", "sat"]))
    values = (
        "[0-5]?[0-9]",  # minute 0-59, one or two digits
        "[01]?[0-9]|2[0-3]",  # hour 0-23
        "0?[1-9]|[12][0-9]|3[01]",  # day of month 1-31
        f"0?[1-9]|1[0-2]|{months}",  # month 1-12
        f"0?[0-6]|{days}",  # day of week 0-6 (Kubernetes refuses 7)
    )
    fields = []
    for value in values:
        item = f"(?:\\*|(?:{value})(?:-(?:{value}))?)(?:/(?:0?[1-9]|[1-9][0-9]))?"
        fields.append(f"{item}(?:,{item})*")
    return "^" + " ".join(fields) + "$"


def _alternatives(options: list[str]) -> str:
    return "|".join(re.escape(option).replace("\\-", "-") for option in sorted(options))


def _server_flags(server: Server) -> str:
    """An ECMA-262 pattern of the arguments `server` refuses in `command` (spec/checks.py, _server_problems):
    an owned or refused option, alone or with `=value` (`--port=80`), a short one with its value attached
    (`-w4`), and, for servers whose parser reads abbreviations, every prefix that parser takes for one of
    them (`--bin` for `--bind`; servers.py, Server.option)."""
    ruled = [*server.owned_flags, *server.refused_flags]
    long = {flag for flag in ruled if flag.startswith("--")}
    if server.abbreviated_options:
        others = set(server.abbreviated_options) - long
        long |= {flag[:end] for flag in list(long) for end in range(3, len(flag))} - others
    short = [flag for flag in ruled if not flag.startswith("--")]
    parts = [f"(?:{_alternatives(sorted(long))})(?:=.*)?"]
    if short:
        parts.append(f"(?:{_alternatives(short)}).*")
    return "^(?:" + "|".join(parts) + ")$"


def _program(names_: tuple[str, ...]) -> dict[str, str]:
    return {"type": "string", "pattern": f"^(?:.*/)?(?:{_alternatives(list(names_))})$"}


def _server_flag_rules() -> list[dict[str, Any]]:
    """For each known server, the flags it refuses in a command that starts it (`gunicorn ...`,
    `/venv/bin/gunicorn ...`, `python -m gunicorn ...`, `fastapi run ...`), unless this file names another
    `server`. A chain whose other file sets `server: generic` over such a command is the one case the
    schema flags and the loader accepts (generic owns no flag)."""
    rules = []
    for server in SERVERS.values():
        if not server.programs:
            continue
        direct: list[dict[str, Any]] = [_program(server.programs)]
        module: list[dict[str, Any]] = [
            {"type": "string", "pattern": "^(?:.*/)?python[^/]*$"},
            {"const": "-m"},
            {"enum": list(server.programs)},
        ]
        if server.name == "fastapi":
            direct.append({"const": "run"})
            module.append({"const": "run"})
        starts = {
            "anyOf": [
                {"prefixItems": direct, "minItems": len(direct)},
                {"prefixItems": module, "minItems": len(module)},
            ]
        }
        rules.append(
            {
                "if": {
                    "required": ["command"],
                    "properties": {"command": starts},
                    "not": {"required": ["server"], "properties": {"server": {"not": {"const": server.name}}}},
                },
                "then": {"properties": {"command": {"items": {"not": {"pattern": _server_flags(server)}}}}},
            }
        )
    return rules


# k8s/check.py: `routing: gateway` with a public host needs the Gateway. Only in a file without `extends`:
# a child may inherit `k8s.gateway` (mappings merge deeply) or `proxy.host` from its parent.
_GATEWAY_FOR_GATEWAY_ROUTING = {
    "if": {
        "not": {"required": ["extends"]},
        "required": ["k8s", "proxy"],
        "properties": {
            "k8s": {"required": ["routing"], "properties": {"routing": {"const": "gateway"}}},
            "proxy": {"required": ["host"], "properties": {"host": {"type": "string"}}},
        },
    },
    "then": {"properties": {"k8s": {"required": ["gateway"], "properties": {"gateway": {"type": "object"}}}}},
}


# An IANA zone name's shape (UTC, Europe/Kyiv, America/Argentina/Buenos_Aires, Etc/GMT+3); which names
# exist depends on the machine's time zone database, so the loader alone checks that.
_TIME_ZONE_PATTERN = r"^[A-Za-z][A-Za-z0-9_+-]*(?:/[A-Za-z0-9_+-]+)*$"


def profile_schema() -> dict[str, Any]:
    """The JSON Schema of one profile file: every field optional, plus `extends`."""
    schema = Profile.model_json_schema(mode="validation")
    _drop_required(schema)
    _keys_by_pattern(schema)
    properties = schema["properties"]
    properties["env"]["propertyNames"]["not"] = {"enum": _SET_BY_DEPLOYKIT}
    properties["env"]["additionalProperties"]["not"] = {"pattern": names.URL_WITH_PASSWORD.pattern}
    schema["allOf"] = [_CREDENTIAL_NAMES_UNLESS_ACKNOWLEDGED, _GATEWAY_FOR_GATEWAY_ROUTING, *_server_flag_rules()]
    # spec/checks.py: every host name once within each list (across the lists and proxy.host, which a
    # parent may set, the loader alone).
    for field in ("aliases", "redirects"):
        schema["$defs"]["Proxy"]["properties"][field]["uniqueItems"] = True
    properties["secrets"]["propertyNames"]["not"] = {"enum": _SET_BY_DEPLOYKIT}
    # spec/schedule.py: five-field cron schedules, and time zones shaped like IANA names.
    cron_job = schema["$defs"]["CronJob"]["properties"]
    cron_job["schedule"]["pattern"] = _cron_pattern()
    cron_job["timezone"]["pattern"] = _TIME_ZONE_PATTERN
    # report.py: the warning codes there are.
    properties["accept_warnings"]["items"]["enum"] = list(WARNINGS)
    # k8s/check.py: never the `default` namespace.
    schema["$defs"]["K8sOptions"]["properties"]["namespace"]["anyOf"][0]["not"] = {"const": "default"}
    schema["properties"] = {
        "extends": {
            "type": "string",
            "description": "Path of the parent profile, relative to this file. Mappings merge deeply, lists replace, null removes a key.",
        },
        **schema["properties"],
    }
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", **schema}


def _drop_required(node: Any) -> None:
    if isinstance(node, dict):
        node.pop("required", None)
        for value in node.values():
            _drop_required(value)
    elif isinstance(node, list):
        for value in node:
            _drop_required(value)


def _keys_by_pattern(node: Any) -> None:
    """pydantic writes a mapping with validated keys as `patternProperties`, which lets any other key through;
    `propertyNames` refuses them."""
    if isinstance(node, dict):
        patterns = node.get("patternProperties")
        if isinstance(patterns, dict) and len(patterns) == 1 and "additionalProperties" not in node:
            ((pattern, values),) = patterns.items()
            del node["patternProperties"]
            node["propertyNames"] = {"pattern": pattern}
            node["additionalProperties"] = values
        for value in node.values():
            _keys_by_pattern(value)
    elif isinstance(node, list):
        for value in node:
            _keys_by_pattern(value)
