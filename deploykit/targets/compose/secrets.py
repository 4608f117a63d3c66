"""Secrets: top-level `secrets:` entries, mounted as files, announced to the app in `*_FILE` variables.

Compose has no way to put a secret into an environment variable without writing its value into the
compose file or the container's configuration. It mounts each secret as a file at
`/run/secrets/<name>` instead, and the app reads the file named by `<VARIABLE>_FILE` (the convention
of the official images and of the example app's settings module). No secret value is ever rendered.
"""

from __future__ import annotations

from deploykit.errors import DeployKitError
from deploykit.report import Report
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


def file_variables(profile: Profile) -> dict[str, str]:
    """`<NAME>_FILE` -> the mounted file, for every entry of `secrets:`, sorted by name."""
    variables: dict[str, str] = {}
    for name, ref in sorted(profile.secrets.items()):
        variable = name + FILE_SUFFIX
        if variable in profile.env or variable in profile.secrets:
            where = "env" if variable in profile.env else "secrets"
            raise DeployKitError(
                f"Compose passes this secret to the app as {variable} (the path of its file), which {where}.{variable} also sets; rename one of them",
                path=("secrets", name),
            )
        variables[variable] = f"{MOUNT_DIR}/{secret_name(ref)}"
    return variables


def service_secrets(profile: Profile) -> list[str]:
    """The secrets a service mounts (several variables may share one)."""
    return sorted({secret_name(ref) for ref in profile.secrets.values()})


def build_secrets(profile: Profile, report: Report) -> dict:
    """The top-level `secrets:` mapping."""
    options = profile.compose
    if options.secrets_source == "external" and profile.secrets:
        report.warn(
            ("compose", "secrets_source"),
            "external secrets exist only in Swarm mode (`docker stack deploy`); `docker compose up` refuses them. Use secrets_source: file on a single server",
        )
    result: dict = {}
    for ref in sorted({(ref.secret, ref.key): ref for ref in profile.secrets.values()}.values(), key=secret_name):
        if options.secrets_source == "external":
            result[secret_name(ref)] = {"external": True}
        else:
            result[secret_name(ref)] = {"file": literal(f"{options.secrets_dir.rstrip('/')}/{ref.secret}/{ref.key}")}
    return result
