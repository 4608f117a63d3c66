"""The one YAML emitter for every YAML file deploykit writes.

Output is deterministic (keys in the order the builders chose, no timestamps) and safe for YAML 1.1
readers: strings such as `yes`, `on`, `1.10` or `0755`, which a 1.1 reader (go-yaml v2, kubectl, PyYAML)
would retype, are double-quoted.
"""

from __future__ import annotations

import io
import re
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.representer import SafeRepresenter

# Plain scalars that any YAML 1.1 or 1.2 reader would read as a non-string.
_RETYPED = re.compile(
    r"^(?:~|null|Null|NULL|y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF"
    r"|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0[0-7_]+|[-+]?0b[01_]+|[-+]?0x[0-9a-fA-F_]+|[-+]?0o[0-7_]+"
    r"|[-+]?(?:\.[0-9_]+|[0-9][0-9_]*(?:\.[0-9_]*)?)(?:[eE][-+]?[0-9]+)?"
    r"|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?"
    r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)|=|<<)$"
)


class _Representer(SafeRepresenter):
    def ignore_aliases(self, data: Any) -> bool:
        # Never `&id001`/`*id001`: a builder may reuse one dict in two places, and Kubernetes, Compose and
        # people expect every value written out where it belongs.
        return True

    def represent_str(self, data: str):
        style = None
        if _RETYPED.fullmatch(data) or data == "":
            style = '"'
        elif "\n" in data and not data.endswith((" ", "\t")) and not any(ord(c) < 32 and c != "\n" for c in data):
            style = "|"
        return self.represent_scalar("tag:yaml.org,2002:str", data, style=style)


_Representer.add_representer(str, _Representer.represent_str)


def _yaml() -> YAML:
    yaml = YAML(typ="safe", pure=True)
    yaml.Representer = _Representer
    yaml.default_flow_style = False
    yaml.sort_base_mapping_type_on_output = False  # type: ignore[assignment]  # ruamel annotates only its default, None
    yaml.width = 1 << 16  # never fold long lines: folding is valid but makes diffs noisy
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.allow_unicode = True
    return yaml


def dump(data: Any) -> str:
    """One YAML document."""
    stream = io.StringIO()
    _yaml().dump(data, stream)
    return stream.getvalue()
