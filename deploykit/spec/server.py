"""The app server's command line, as every target runs it.

deploykit owns the flags that differ per target: `--port` everywhere, `--workers` only where one
container runs several processes (Compose). The profile's `command` must therefore not set them.
"""

from __future__ import annotations

from deploykit.spec.model import Profile

# Flags deploykit sets itself; a profile command that sets them too would fight the target's choice.
OWNED_FLAGS = ("--port", "--workers", "--host", "--forwarded-allow-ips")
# uvicorn listens on 127.0.0.1 unless told otherwise; `fastapi run` already uses 0.0.0.0.
_NEEDS_HOST = {"uvicorn"}


def server_command(profile: Profile, workers: int | None = None) -> list[str]:
    """The full server command: the profile's command plus port (and host, and workers if given)."""
    command = list(profile.command)
    command += ["--port", str(profile.port)]
    if command[0].rsplit("/", 1)[-1] in _NEEDS_HOST:
        command += ["--host", "0.0.0.0"]
    if workers is not None:
        command += ["--workers", str(workers)]
    return command


def owned_flag(argument: str) -> str | None:
    """The deploykit-owned flag `argument` sets (`--port=80` counts too), if any."""
    for flag in OWNED_FLAGS:
        if argument == flag or argument.startswith(flag + "="):
            return flag
    return None
