"""The JSON Schema of one profile file, generated from the spec models.

A profile file is partial by design (a child sets only what differs from its parent), so the schema
requires nothing; completeness, and every rule that spans fields (possibly of different files), is
checked after merging. Everything else the loader refuses, the schema refuses too where JSON Schema can
say it: the field types carry their patterns and lengths (spec/base.py, spec/names.py), and a few
rules on names are added here. The rules on the app's command depend on `server`, which another file of
the chain may set, so they stay the loader's. tests/cli/test_schema_gaps.py lists what only the loader catches.
"""

from __future__ import annotations

import re
from typing import Any

from deploykit.report import WARNINGS
from deploykit.servers import SERVERS
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
    schema["allOf"] = [_CREDENTIAL_NAMES_UNLESS_ACKNOWLEDGED]
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
