"""Secrets: top-level `secrets:` entries, mounted as files at `/run/secrets/<name>`.

The app must see the same thing on every target. With `secrets_as: env` (the default) that is the
variable itself, as Kubernetes and Nomad give it. Compose has no way to put a secret into a variable
without writing its value into the compose file or the container's configuration (which anyone who
may inspect containers reads, the socket proxy included), so each service's entrypoint exports the
variables from the mounted files just before it starts the command. With `secrets_as: file` the app
reads the file named by `<VARIABLE>_FILE` instead, on every target. No secret value is ever rendered.
"""

from __future__ import annotations

import shlex
from typing import TYPE_CHECKING

from deploykit.targets.compose.escaping import literal

if TYPE_CHECKING:
    from deploykit.spec.model import Profile

MOUNT_DIR = "/run/secrets"
# $0 of the entrypoint's shell: what `ps` shows while the exports run.
ENTRYPOINT_NAME = "deploykit-secrets"


def file_variables(profile: Profile) -> dict[str, str]:
    """With `secrets_as: file`, `<NAME>_FILE` -> the mounted file, sorted by name."""
    return {variable: f"{MOUNT_DIR}/{ref.file_name}" for variable, ref in profile.secret_files.items()}


def entrypoint(profile: Profile) -> list[str] | None:
    """A /bin/sh entrypoint that exports each secret from its file, then `exec`s the command (`"$@"`).

    Variable names are `[A-Za-z_][A-Za-z0-9_]*` and file names are quoted, so the shell reads nothing
    else; a missing file stops the chain, and the container, before the command starts. `$` is doubled
    for Compose's interpolation.
    """
    if profile.secrets_as != "env" or not profile.secrets:
        return None
    exports = [
        f'{name}="$(cat {shlex.quote(f"{MOUNT_DIR}/{ref.file_name}")})" && export {name}'
        for name, ref in sorted(profile.secrets.items())
    ]
    script = " && ".join([*exports, 'exec "$@"'])
    return ["/bin/sh", "-c", literal(script), ENTRYPOINT_NAME]


def service_secrets(profile: Profile) -> list[str]:
    """The secrets a service mounts (several variables may share one)."""
    return sorted({ref.file_name for ref in profile.secrets.values()})


def build_secrets(profile: Profile) -> dict:
    """The top-level `secrets:` mapping."""
    options = profile.compose
    result: dict = {}
    for name, ref in sorted({ref.file_name: ref for ref in profile.secrets.values()}.items()):
        if options.secrets_source == "external":
            result[name] = {"external": True}
        else:
            result[name] = {"file": literal(f"{options.secrets_dir.rstrip('/')}/{ref.secret}/{ref.key}")}
    return result
