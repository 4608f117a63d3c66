"""The parser fixture shared by the Nomad target's tests: HashiCorp's own HCL parser."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from hcl_reader import HclReader, as_blocks
from tooling import hcl_reader as installed_hcl_reader

from deploykit.output import HEADER


@pytest.fixture(scope="session")
def hcl_reader() -> Iterator[HclReader]:
    """One node process running hashicorp/hcl/v2 (WASM) for the session; missing: skip, or fail under CI."""
    reader = HclReader(*installed_hcl_reader())
    try:
        yield reader
    finally:
        reader.close()


@pytest.fixture(scope="session")
def parse_hcl(hcl_reader: HclReader) -> Callable[[str], dict]:
    """Parse HCL as deploykit writes it (header line included), as Nomad's parser reads it."""

    def parse(text: str) -> dict:
        return as_blocks(hcl_reader.read(HEADER + text))

    return parse
