"""Reading rendered HCL with HashiCorp's own parser: the Nomad tests' consumer of record.

hashicorp/hcl/v2 is what Nomad parses job files with; its WASM build (@cdktf/hcl2json, pinned in
tests/nomad/npm/) turns a document into HCL's JSON syntax. One node process serves the whole session
(start-up and loading the WASM module cost about half a second), each document one round trip.

The JSON is reshaped the way the tests read jobs (python-hcl2's shape): a block type holds a list
of blocks, each `{label: body}` when labelled. Strings stay as HCL's JSON syntax writes them: a
literal `${` or `%{` as `$${` or `%%{`, an interpolation as `${...}`; `hcl_literal` decodes them.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

READER_SCRIPT = Path(__file__).with_name("hcl_reader.js")


class HclSyntaxError(Exception):
    """HashiCorp's parser refused the document."""


class HclReader:
    """A node process running HashiCorp's HCL parser, reading one document per call."""

    def __init__(self, node: str, package: Path):
        self._process = subprocess.Popen(
            [node, str(READER_SCRIPT), str(package)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            encoding="utf-8",
        )

    def read(self, text: str, name: str = "job.nomad.hcl") -> dict[str, Any]:
        """The document as HCL's JSON syntax; HclSyntaxError with HashiCorp's message if it is not valid HCL."""
        assert self._process.stdin is not None and self._process.stdout is not None
        self._process.stdin.write(json.dumps({"name": name, "text": text}) + "\n")
        self._process.stdin.flush()
        line = self._process.stdout.readline()
        if not line:
            raise RuntimeError(f"the HCL reader stopped (exit code {self._process.wait()})")
        answer = json.loads(line)
        if "error" in answer:
            raise HclSyntaxError(answer["error"])
        return answer["json"]

    def close(self) -> None:
        """End the node process (it exits when its input closes)."""
        if self._process.stdin is not None:
            self._process.stdin.close()
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait(timeout=10)


def as_blocks(body: dict[str, Any]) -> dict[str, Any]:
    """A body from HCL's JSON syntax in the tests' shape: every block type a list of blocks.

    In HCL's JSON syntax a labelled block type is an object of labels (`"task": {"migrate": [body]}`)
    and an unlabelled one a list of bodies (`"update": [body]`). deploykit writes no attribute whose
    value is an object or a list of objects, so those shapes are always blocks here.
    """
    result: dict[str, Any] = {}
    for key, value in body.items():
        if isinstance(value, dict):
            result[key] = [{label: as_blocks(block)} for label, blocks in value.items() for block in blocks]
        elif isinstance(value, list) and value and all(isinstance(item, dict) for item in value):
            result[key] = [as_blocks(block) for block in value]
        else:
            result[key] = value
    return result


# In HCL, `$${` is a literal `${` and `%%{` a literal `%{`; an opener without its doubled sign is live.
_LIVE_OPENER = re.compile(r"(?<!\$)\$\{|(?<!%)%\{")


def hcl_literal(text: str) -> str:
    """The literal value of a string HCL reads without interpolating anything; AssertionError if it would."""
    live = _LIVE_OPENER.search(text)
    assert live is None, f"HCL would interpolate {text[live.start() :]!r}"
    # Each literal `${`/`%{` was written with one more sign before it; nothing else was escaped.
    return text.replace("$${", "${").replace("%%{", "%{")
