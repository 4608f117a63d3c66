"""The end-to-end engine takes the Debian mirror from this machine's apt sources, in either format."""

from __future__ import annotations

from pathlib import Path

import pytest
from engine import EngineError, debian_mirror


def _apt(tmp_path: Path, files: dict[str, str]) -> Path:
    (tmp_path / "sources.list.d").mkdir()
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    return tmp_path


def test_deb822_sources_file(tmp_path):
    apt = _apt(
        tmp_path,
        {
            "sources.list.d/debian.sources": (
                "Types: deb\n# a snapshot\nURIs: http://mirror.example.org/debian/\nSuites: bookworm bookworm-updates\n"
                "Components: main\n\nTypes: deb\nURIs: http://mirror.example.org/debian-security\n"
                "Suites: bookworm-security\nComponents: main\n"
            ),
        },
    )
    assert debian_mirror(apt) == "http://mirror.example.org/debian"


def test_one_line_sources_list_with_options(tmp_path):
    apt = _apt(
        tmp_path,
        {
            "sources.list": "# comment\ndeb [arch=amd64 signed-by=/k.gpg] http://ftp.example.net/debian bookworm main contrib\n"
        },
    )
    assert debian_mirror(apt) == "http://ftp.example.net/debian"


def test_disabled_stanzas_other_suites_and_other_files_are_ignored(tmp_path):
    apt = _apt(
        tmp_path,
        {
            "sources.list.d/old.sources": "Types: deb\nURIs: http://old.example/debian\nSuites: bookworm\nComponents: main\nEnabled: no\n",
            "sources.list.d/node.sources": "Types: deb\nURIs: https://deb.nodesource.com/node_20.x\nSuites: nodistro\nComponents: main\n",
            "sources.list.d/x.sources.disabled": "Types: deb\nURIs: http://nope.example/debian\nSuites: bookworm\nComponents: main\n",
            "sources.list.d/debian.list": "deb-src http://src.example/debian bookworm main\ndeb http://right.example/debian bookworm main\n",
        },
    )
    assert debian_mirror(apt) == "http://right.example/debian"


def test_no_debian_source_is_a_clear_failure(tmp_path):
    apt = _apt(tmp_path, {"sources.list": "deb https://packages.cloud.google.com/apt cloud-sdk-bookworm main\n"})
    with pytest.raises(
        EngineError, match=r"no apt source for Debian bookworm main .* debootstrap needs a Debian mirror"
    ):
        debian_mirror(apt)
