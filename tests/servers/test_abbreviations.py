"""gunicorn and hypercorn parse their command lines with argparse, which reads any unambiguous prefix of a
long option as the option (`--bin` is `--bind`). deploykit matches prefixes against the options it keeps
for each (deploykit/servers.py): they must be exactly those the installed servers' own parsers define,
and each abbreviation deploykit refuses must be read by the real parser as the option it names."""

from __future__ import annotations

import argparse
import importlib
from typing import Any

import pytest
from tooling import missing

from deploykit.servers import SERVERS


def _gunicorn_parser() -> argparse.ArgumentParser:
    config = importlib.import_module("gunicorn.config")
    return config.Config().parser()


def _hypercorn_parser() -> argparse.ArgumentParser:
    """hypercorn builds its parser inside main(): catch it when main() asks it to parse."""
    main = importlib.import_module("hypercorn.__main__")
    captured: dict[str, Any] = {}

    def capture(self: argparse.ArgumentParser, *args: Any, **kwargs: Any) -> Any:
        captured["parser"] = self
        raise SystemExit(0)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(argparse.ArgumentParser, "parse_args", capture)
        with pytest.raises(SystemExit):
            main.main(["app:app"])
    return captured["parser"]


PARSERS = {"gunicorn": _gunicorn_parser, "hypercorn": _hypercorn_parser}


def parser_of(server: str) -> argparse.ArgumentParser:
    try:
        return PARSERS[server]()
    except ImportError:
        missing(f"{server} is not installed (pip install -e '.[test]')")
        raise


@pytest.mark.parametrize("server", sorted(PARSERS))
def test_the_long_options_are_the_real_parsers(server: str):
    parser = parser_of(server)
    assert parser.allow_abbrev
    real = sorted(option for action in parser._actions for option in action.option_strings if option.startswith("--"))
    assert sorted(SERVERS[server].abbreviated_options) == real


@pytest.mark.parametrize("server", sorted(PARSERS))
def test_every_unambiguous_prefix_of_a_ruled_option_is_caught_as_the_real_parser_reads_it(server: str):
    parser = parser_of(server)
    rules = SERVERS[server]
    options = {option: action.dest for action in parser._actions for option in action.option_strings}
    ruled = [option for option in (*rules.owned_flags, *rules.refused_flags) if option.startswith("--")]
    checked = 0
    for option in ruled:
        for end in range(3, len(option) + 1):
            prefix = option[:end]
            matches = {dest for name, dest in options.items() if name.startswith(prefix)}
            if len(matches) == 1:  # the parser reads `prefix` as one option: it must be the one deploykit says
                (dest,) = matches
                assert options[rules.option(prefix)] == dest, prefix
                assert options[rules.option(prefix + "=x")] == dest, prefix
                checked += 1
            else:  # ambiguous: the server refuses to start; deploykit refuses it too, naming a ruled option
                assert rules.option(prefix) in ruled, prefix
    assert checked > len(ruled)
