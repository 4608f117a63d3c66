"""The parser fixture shared by the Nomad target's tests."""

from __future__ import annotations

from collections.abc import Callable

import hcl2
import pytest

from deploykit.output import HEADER


@pytest.fixture(scope="session")
def parse_hcl() -> Callable[[str], dict]:
    """Parse HCL as deploykit writes it (header line included); the grammar is built once per session."""
    options = hcl2.SerializationOptions(strip_string_quotes=True, explicit_blocks=False)

    def parse(text: str) -> dict:
        parsed = hcl2.loads(HEADER + text, serialization_options=options)
        parsed.pop("__comments__", None)
        return parsed

    parse("x {}\n")  # builds the grammar (about 4 s) before any test times itself
    return parse
