"""Secrets as a consul-template `template` block reading Nomad variables, never as literal values.

The template text is built only from names the spec has validated (env names, secret names and keys),
so no profile value can put `{{` into it; secret values exist only on the Nomad client, at run time.
"""

from __future__ import annotations

import re
from itertools import groupby
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from deploykit.spec.model import Profile, SecretRef

DESTINATION = "secrets/app.env"
# Where the docker driver mounts the task's secrets/ directory inside the container.
CONTAINER_SECRETS_DIR = "/secrets"
# Secret files are the task user's alone (uid/gid set to the image's app user).
SECRET_FILE_PERMS = "0400"
# A changed secret restarts the task (change_mode "restart") after a random wait of up to this long,
# drawn by each allocation on its own: rotating a secret restarts the allocations spread over five
# minutes, not all within Nomad's default 5 s splay (which takes every allocation down at once).
SPLAY = "300s"
# Nomad's variable path rule (nomad/structs/variables.go, validVariablePath).
_VARIABLE_PATH = re.compile(r"^[a-zA-Z0-9\-_~/]{1,128}$")


def variables_prefix(profile: Profile) -> str:
    """Prefix of secret variables: `nomad.variables_path`, else `nomad/jobs/<app>`; `<prefix>/S` still needs an ACL policy."""
    return profile.nomad.variables_path or f"nomad/jobs/{profile.app}"


def variable_path(profile: Profile, env_name: str) -> str:
    """The Nomad variable that holds the secret behind `env_name`: `<prefix>/<secret>`."""
    return f"{variables_prefix(profile)}/{profile.secrets[env_name].secret}"


def is_variable_path(path: str) -> bool:
    """Whether Nomad accepts `path` as a variable path."""
    return _VARIABLE_PATH.fullmatch(path) is not None


def templates(profile: Profile) -> list[dict]:
    """The task's `template` blocks: with `secrets_as: env`, one env file holding every secret; with
    `secrets_as: file`, one file per secret key, readable by the task's user alone."""
    if not profile.secrets:
        return []
    if profile.secrets_as == "env":
        return [
            {
                "data": env_template(profile),
                "destination": DESTINATION,
                "env": True,
                "perms": None,
                "uid": None,
                "splay": SPLAY,
            }
        ]
    refs = {ref.file_name: ref for ref in profile.secrets.values()}
    return [
        {
            "data": file_template(profile, ref),
            "destination": f"secrets/{file}",
            "env": False,
            "perms": SECRET_FILE_PERMS,
            "uid": profile.build.uid,
            "splay": SPLAY,
        }
        for file, ref in sorted(refs.items())
    ]


def file_variables(profile: Profile) -> dict[str, str]:
    """With `secrets_as: file`, `<NAME>_FILE` -> the file's path inside the container."""
    return {variable: f"{CONTAINER_SECRETS_DIR}/{ref.file_name}" for variable, ref in profile.secret_files.items()}


def file_template(profile: Profile, ref: SecretRef) -> str:
    """The `data` of one secret file: the key's value as it is."""
    return (
        f'{{{{ with nomadVar "{variables_prefix(profile)}/{ref.secret}" }}}}{{{{ index . "{ref.key}" }}}}{{{{ end }}}}'
    )


def env_template(profile: Profile) -> str:
    """The `data` of the env template: one `nomadVar` read per variable, one line per secret.

    `toJSON` writes each value as a quoted string, which Nomad's env-file parser (go-envparse) reads
    back whole, newlines and quotes included; `index` also reaches keys with '-' or '.'.
    """
    entries = sorted((variable_path(profile, name), name, profile.secrets[name].key) for name in profile.secrets)
    blocks = []
    for path, group in groupby(entries, key=lambda entry: entry[0]):
        lines = "".join(f'{name}={{{{ index . "{key}" | toJSON }}}}\n' for _, name, key in group)
        blocks.append(f'{{{{ with nomadVar "{path}" }}}}\n{lines}{{{{ end }}}}\n')
    return "".join(blocks)
