"""A Compose service's command as deploykit runs it: the server, without the flags deploykit owns.

The profile loader refuses a command that sets what deploykit sets per target (`--port`, `--workers`,
`--host`, `--bind`, `--forwarded-allow-ips`, the graceful and keep-alive timeouts: `owned_flags` in
deploykit/servers.py) or that breaks in a container (`--reload`, `--uds`: `refused_flags`). An import
takes those flags out and reports what they said, so the mapping can turn them into profile fields
(`port`, `replicas`, `shutdown_seconds`) instead of losing them.

A command that is a small shell script, `sh -c "python manage.py migrate && exec gunicorn ..."`, is
split into steps that run before the server (prestart) and the server itself, when the script is
nothing more than commands joined by `&&` or `;` without variables, pipes or redirections.
"""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from dataclasses import dataclass

from deploykit.servers import SERVERS, ServerName, detect

# The flags of servers.py's owned and refused lists that take no value (checked against each server's --help).
_BOOLEAN_FLAGS = frozenset({"--reload", "--daemon", "-D", "--check-config", "--print-config", "--no-proxy-headers"})
_SHELLS = frozenset({"sh", "bash", "ash", "dash", "zsh"})
# Shell words that change the shell's own state: a script using them cannot run as separate commands.
_SHELL_STATE = frozenset({"cd", "export", "set", "source", ".", "unset", "alias", "ulimit", "umask", "trap", "eval"})


@dataclass(frozen=True)
class RemovedFlag:
    """A flag taken out of the command: as written, the flag it sets, its value, and why deploykit owns it."""

    written: tuple[str, ...]
    flag: str
    value: str | None
    reason: str


@dataclass(frozen=True)
class ServerCommand:
    """The command a profile runs, and what was taken out of it."""

    command: tuple[str, ...]
    server: ServerName  # `generic` when deploykit does not know the program
    removed: tuple[RemovedFlag, ...] = ()
    steps: tuple[tuple[str, ...], ...] = ()  # commands the script ran before the server
    script: str | None = None  # the `sh -c` script the command came from

    @property
    def known(self) -> bool:
        """Whether deploykit knows the server (it appends the flags that differ per target)."""
        return self.server != "generic"

    def value_of(self, *flags: str) -> str | None:
        """The value the command gave the last of `flags`, if any."""
        values = [removed.value for removed in self.removed if removed.flag in flags and removed.value is not None]
        return values[-1] if values else None


def server_of(argv: Sequence[str]) -> ServerName | None:
    """The known server `argv` starts (directly, or at the end of a simple `sh -c` script), or None."""
    command = parse(argv)
    return command.server if command.known else None


def parse(argv: Sequence[str]) -> ServerCommand:
    """`argv` split into steps and the server, without the server's deploykit-owned and refused flags."""
    script = _script(argv)
    if script is not None:
        commands = _split_script(script)
        if commands is not None and detect(list(commands[-1])) is not None:
            server = _without_owned_flags(commands[-1])
            return ServerCommand(server.command, server.server, server.removed, tuple(commands[:-1]), script)
    return _without_owned_flags(tuple(argv))


def _without_owned_flags(argv: tuple[str, ...]) -> ServerCommand:
    detected = detect(list(argv)) if argv else None
    if detected is None:
        return ServerCommand(argv, "generic")
    server = SERVERS[detected.server]
    kept = list(argv[: detected.first_argument])
    removed: list[RemovedFlag] = []
    index = detected.first_argument
    while index < len(argv):
        argument = argv[index]
        flag = server.option(argument)
        reason = server.owned_flags.get(flag) or server.refused_flags.get(flag)
        if reason is None:
            kept.append(argument)
            index += 1
            continue
        if flag in _BOOLEAN_FLAGS:
            removed.append(RemovedFlag((argument,), flag, None, reason))
            index += 1
        elif (inline := server.value_of(argument, flag)) is not None:  # `--port=8000`, `-w4`, `--bi=:80`
            removed.append(RemovedFlag((argument,), flag, inline, reason))
            index += 1
        else:
            following = argv[index + 1] if index + 1 < len(argv) else None
            removed.append(RemovedFlag(tuple(argv[index : index + 2]), flag, following, reason))
            index += 2
    return ServerCommand(tuple(kept), detected.server, tuple(removed))


def _script(argv: Sequence[str]) -> str | None:
    """The script of `sh -c SCRIPT` (also `/bin/bash -ec SCRIPT`), when nothing follows it."""
    if len(argv) != 3 or argv[0].rsplit("/", 1)[-1] not in _SHELLS:
        return None
    option = argv[1]
    if not (option.startswith("-") and option.endswith("c") and option[1:].isalpha()):
        return None
    return argv[2]


def _split_script(script: str) -> list[tuple[str, ...]] | None:
    """The commands of a script made only of words joined by `&&` or `;`, or None for anything more."""
    lexer = shlex.shlex(script.replace("\n", " ; "), posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    try:
        tokens = list(lexer)
    except ValueError:
        return None
    commands: list[tuple[str, ...]] = []
    current: list[str] = []
    for token in tokens:
        if token in ("&&", ";"):
            if current:
                commands.append(tuple(current))
            current = []
        elif set(token) <= set("|&;<>()") or "$" in token or "`" in token:
            return None
        else:
            current.append(token)
    if current:
        commands.append(tuple(current))
    if not commands or any(command[0] in _SHELL_STATE for command in commands):
        return None
    last = commands[-1]
    if last[0] == "exec":
        commands[-1] = last[1:]
    return commands if all(commands) else None
