"""The app server's command line, as every target runs it.

deploykit owns the flags that differ per target: `--port` everywhere, `--workers` only where one
container runs several processes (Compose). The profile's `command` must therefore not set them.
"""

from __future__ import annotations

from deploykit.spec.model import Profile

# Flags deploykit sets itself; a profile command that sets them too would fight the target's choice.
OWNED_FLAGS = ("--port", "--workers", "--host", "--forwarded-allow-ips")
# The servers whose flags deploykit knows. uvicorn listens on 127.0.0.1 unless told otherwise;
# `fastapi run` already uses 0.0.0.0.
SERVERS = ("fastapi", "uvicorn")
_NEEDS_HOST = {"uvicorn"}


def server_command(profile: Profile, workers: int | None = None) -> list[str]:
    """The full server command: the profile's command plus port (and host, and workers if given)."""
    command = list(profile.command)
    command += ["--port", str(profile.port)]
    if server_name(profile.command) in _NEEDS_HOST:
        command += ["--host", "0.0.0.0"]
    if workers is not None:
        command += ["--workers", str(workers)]
    return command


def server_name(command: list[str]) -> str | None:
    """`fastapi` or `uvicorn` for `fastapi run ...`, `/venv/bin/uvicorn ...` or `python -m uvicorn ...`."""
    program = command[0].rsplit("/", 1)[-1]
    if program in SERVERS:
        return program
    if program.startswith("python") and len(command) >= 3 and command[1] == "-m" and command[2] in SERVERS:
        return command[2]
    return None


def owned_flag(argument: str) -> str | None:
    """The deploykit-owned flag `argument` sets (`--port=80` counts too), if any."""
    for flag in OWNED_FLAGS:
        if argument == flag or argument.startswith(flag + "="):
            return flag
    return None
