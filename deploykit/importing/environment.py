"""The web service's environment as `env` and `secrets`, never a secret's value.

- A variable whose name looks like a credential or whose value is a URL with a password (the rule the
  loader enforces: spec/names.py `looks_like_credential`, `URL_WITH_PASSWORD`) becomes a reference,
  `{secret: APP, key: NAME-IN-KEBAB-CASE}`, with a warning to move the value into that secret.
- Compose `secrets` granted to the service become references to the same names. An app that read
  one through `NAME_FILE=/run/secrets/...` keeps doing so with `secrets_as: file` (deploykit sets
  `NAME_FILE` itself); one that read the file by its path gets a warning, since deploykit mounts
  secrets elsewhere on each target.
- Variables the server reads behind deploykit's back (`PORT`, `WEB_CONCURRENCY`, `UVICORN_*`...) are
  left out: web.py turned the port and the worker count into fields.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from deploykit.importing.context import Context, dotted
from deploykit.importing.document import Entry, section
from deploykit.importing.document import field as entry
from deploykit.importing.locate import ComposePath
from deploykit.importing.model import SecretUse, Service
from deploykit.servers import SERVERS, ServerName
from deploykit.spec import names

_SECRET_KEY = re.compile(r"[^-._a-zA-Z0-9]")


@dataclass
class Environment:
    """`env` and `secrets` of the app, and how secrets reach it."""

    env: dict[str, str] = field(default_factory=dict)
    secrets: dict[str, dict[str, str]] = field(default_factory=dict)
    secret_comments: dict[str, str] = field(default_factory=dict)
    left_out: dict[str, str] = field(default_factory=dict)  # variable -> why it is not in env
    secrets_as: str = "env"

    def entries(self, ctx: Context) -> list[Entry]:
        """The `env`, `secrets` and `secrets_as` fields."""
        result = []
        if self.env:
            source = ctx.source((*ctx.web.path, "environment"))
            moved = [f"{name} ({why})" for name, why in sorted(self.left_out.items())]
            comment = [source] + ([f"without {', '.join(moved)}"] if moved else [])
            result.append(entry("env", dict(sorted(self.env.items())), *comment))
        if self.secrets:
            result.append(
                section(
                    "secrets",
                    [Entry(name, self.secrets[name], (self.secret_comments[name],)) for name in sorted(self.secrets)],
                    "References only: put each value into that secret (Kubernetes Secret, secrets/<secret>/<key> beside",
                    "the rendered compose.yaml, or Nomad variable) before deploying; no value is ever written here.",
                )
            )
        if self.secrets_as != "env":
            result.append(
                entry(
                    "secrets_as",
                    self.secrets_as,
                    "the app read its Compose secrets through NAME_FILE variables; deploykit sets them the same way",
                )
            )
        return result


def looks_like_credential(name: str, value: str | None) -> bool:
    """A variable that must come from a secret, by the loader's own rule: a credential-looking name, or a
    URL holding a password (spec/names.py)."""
    return names.looks_like_credential(name) or bool(value and names.URL_WITH_PASSWORD.match(value))


def interpolation_problem(value: str) -> str | None:
    """Why a value cannot reach every target as written (Nomad replaces `${name}` at run time), or None."""
    # The Nomad target's own rule, so the import never writes a value that target would refuse.
    from deploykit.targets.nomad.interpolation import runtime_reference_problem

    return runtime_reference_problem(value)


def secret_reference(ctx: Context, key: str) -> dict[str, str]:
    """The reference the import writes: the app's secret, one key per value."""
    return {"secret": ctx.app, "key": _SECRET_KEY.sub("-", key)}


def app_environment(ctx: Context, server: ServerName) -> Environment:
    """The web service's variables and secrets, sorted out."""
    web = ctx.web
    result = Environment()
    file_variables = _file_variables(web)
    definition = SERVERS[server]
    for name, value in sorted(web.environment.items()):
        path = ctx.variable_path(web, name)
        subject = "" if path[-1] == name else f"{name} "
        if name in definition.owned_env or any(name.startswith(prefix) for prefix in definition.owned_env_prefixes):
            result.left_out[name] = _owned_reason(name)
            if name not in ("PORT", "WEB_CONCURRENCY"):
                ctx.note(
                    "not imported", path, f"{subject}deploykit sets what it says itself: {_owned_hint(name, server)}"
                )
        elif name in file_variables:
            continue  # the app finds a Compose secret through it: see below
        elif not names.ENV_NAME.fullmatch(name):
            result.left_out[name] = "not a portable variable name"
            ctx.note(
                "not imported",
                path,
                f"{subject}is not a name every target accepts (letters, digits and '_', not starting with a digit); rename it",
            )
        elif value is None:
            result.left_out[name] = "no value in Compose"
            ctx.note(
                "not imported",
                path,
                f"{subject}has no value in Compose (it came from the shell running `docker compose`); set it in env or secrets",
            )
        elif (problem := interpolation_problem(value)) is not None:
            result.left_out[name] = "Nomad would change it"
            ctx.note("not imported", path, f"{subject}{problem}")
        elif looks_like_credential(name, value):
            result.secrets[name] = secret_reference(ctx, name.lower().replace("_", "-"))
            result.secret_comments[name] = (
                f"{subject.strip() + ' in ' if subject else ''}{dotted(path)} held a literal credential: move it into this secret"
            )
            ctx.note(
                "warning",
                path,
                f"{subject}looks like a credential: the profile references secrets.{name} "
                f"(secret {ctx.app}, key {result.secrets[name]['key']}) instead; "
                + (
                    "move the value out of the Compose files into that secret"
                    if value
                    else "put its value into that secret"
                ),
            )
        else:
            result.env[name] = value
    _compose_secrets(ctx, result, file_variables)
    return result


def _file_variables(web: Service) -> dict[str, SecretUse]:
    """`NAME_FILE` variables that point at a secret the service is granted, by variable."""
    mounted = {use.target: use for use in web.secrets}
    return {
        name: mounted[value]
        for name, value in web.environment.items()
        if name.endswith("_FILE") and value in mounted and names.ENV_NAME.fullmatch(name.removesuffix("_FILE"))
    }


def _compose_secrets(ctx: Context, result: Environment, file_variables: dict[str, SecretUse]) -> None:
    web = ctx.web
    through_file = {use.target: name for name, use in file_variables.items()}
    literal_credentials = bool(result.secrets)
    for index, use in enumerate(web.secrets):
        path: ComposePath = (*web.path, "secrets", index)
        variable = through_file.get(use.target)
        if variable is not None:
            name = variable.removesuffix("_FILE")
        else:
            name = re.sub(r"[^A-Za-z0-9_]", "_", use.target.rsplit("/", 1)[-1]).upper().lstrip("0123456789")
        if not name or name in result.secrets or name in result.env:
            ctx.note("not imported", path, f"secret {use.source}: no variable name left for it; add it to secrets")
            continue
        result.secrets[name] = secret_reference(ctx, use.source)
        result.secret_comments[name] = (
            f"{dotted(path)} (the Compose secret {use.source}; its value never reaches the profile)"
        )
        if variable is None:
            ctx.note(
                "warning",
                path,
                f"the app read secret {use.source} from {use.target}; deploykit mounts secrets elsewhere on each target: "
                f"read the variable {name} instead (or {name}_FILE, the file's path, with secrets_as: file)",
            )
    # `secrets_as` is one choice for every secret: `file` when every secret was read through NAME_FILE,
    # since an app reading literal credentials from the environment would lose them.
    if file_variables and not literal_credentials and len(file_variables) == len(web.secrets):
        result.secrets_as = "file"
    elif file_variables:
        for variable, use in sorted(file_variables.items()):
            ctx.note(
                "warning",
                (*web.path, "environment", variable),
                f"the app read secret {use.source} through {variable}; with the other secrets in the environment, "
                f"deploykit passes it as {variable.removesuffix('_FILE')}: read that variable instead",
            )


def _owned_reason(name: str) -> str:
    return {"PORT": "became port", "WEB_CONCURRENCY": "became replicas"}.get(name, "deploykit sets it")


def _owned_hint(name: str, server: ServerName) -> str:
    definition = SERVERS[server]
    reason = definition.owned_env.get(name) or next(
        (hint for prefix, hint in definition.owned_env_prefixes.items() if name.startswith(prefix)), ""
    )
    return reason
