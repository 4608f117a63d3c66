"""Secrets: top-level `secrets:` entries, mounted as files, announced to the app in `*_FILE` variables.

Compose has no way to put a secret into an environment variable without writing its value into the
compose file or the container's configuration. It mounts each secret as a file at
`/run/secrets/<name>` instead, and the app reads the file named by `<VARIABLE>_FILE` (the convention
of the official images and of the example app's settings module). No secret value is ever rendered.
"""

from __future__ import annotations

from deploykit.spec.model import Profile, SecretRef
from deploykit.targets.compose.escaping import literal

MOUNT_DIR = "/run/secrets"
FILE_SUFFIX = "_FILE"


def secret_name(ref: SecretRef) -> str:
    """The Compose secret for one key of one secret.

    Secret names are DNS subdomains (no `_`), so the first `__` always separates the secret from
    its key: `db` + `a__b` and `db__a` + `b` cannot both exist, and distinct references never share
    a name.
    """
    return f"{ref.secret}__{ref.key}"


def file_variable_owners(profile: Profile) -> dict[str, str]:
    """`<NAME>_FILE` -> NAME, for every entry of `secrets:` (check.py refuses names that collide)."""
    return {name + FILE_SUFFIX: name for name in sorted(profile.secrets)}


def file_variables(profile: Profile) -> dict[str, str]:
    """`<NAME>_FILE` -> the mounted file, for every entry of `secrets:`, sorted by name."""
    return {
        variable: f"{MOUNT_DIR}/{secret_name(profile.secrets[name])}"
        for variable, name in file_variable_owners(profile).items()
    }


def service_secrets(profile: Profile) -> list[str]:
    """The secrets a service mounts (several variables may share one)."""
    return sorted({secret_name(ref) for ref in profile.secrets.values()})


def build_secrets(profile: Profile) -> dict:
    """The top-level `secrets:` mapping."""
    options = profile.compose
    result: dict = {}
    for ref in sorted({(ref.secret, ref.key): ref for ref in profile.secrets.values()}.values(), key=secret_name):
        if options.secrets_source == "external":
            result[secret_name(ref)] = {"external": True}
        else:
            result[secret_name(ref)] = {"file": literal(f"{options.secrets_dir.rstrip('/')}/{ref.secret}/{ref.key}")}
    return result
