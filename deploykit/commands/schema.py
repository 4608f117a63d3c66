"""`deploykit schema`: the JSON Schema of the profile format, for editors and CI."""

from __future__ import annotations

import json
import sys

from deploykit.spec.schema import profile_schema


def run() -> int:
    sys.stdout.write(json.dumps(profile_schema(), indent=2, sort_keys=True) + "\n")
    return 0
