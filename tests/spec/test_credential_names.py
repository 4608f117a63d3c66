"""Secret values in plain `env`: which names look like credentials, and how a false positive is acknowledged."""

from __future__ import annotations

import pytest
from helpers import render_data

from deploykit.errors import DeployKitError
from deploykit.spec.names import looks_like_credential

BASE = {"app": "items-api", "image": "registry.example.com/acme/items-api:1.4.2"}

# Common credential names, gathered from the documentation of the services they belong to. Before the
# list was widened, 35 of 57 such names passed (`PWD`, `SSH_KEY`, `AUTH`, `SENTRY_DSN`, ...); a second
# round found more (`AWS_ACCESS_KEY_ID`, `GH_PAT`, `STRIPE_SK`, ...), listed last.
CREDENTIAL_NAMES = [
    # passwords
    "PASSWORD",
    "PASSWD",
    "PASS",
    "PWD",
    "DB_PASSWORD",
    "DB_PASS",
    "DB_PWD",
    "MYSQL_ROOT_PASSWORD",
    "POSTGRES_PASSWORD",
    "PGPASSWORD",
    "REDIS_PASSWORD",
    "RABBITMQ_DEFAULT_PASS",
    "SMTP_PASS",
    "EMAIL_HOST_PASSWORD",
    "ADMIN_PASSWD",
    "KEY_PASSPHRASE",
    "GPG_PASSPHRASE",
    "dbPassword",
    # secrets
    "SECRET",
    "SECRET_KEY",
    "DJANGO_SECRET_KEY",
    "SECRET_KEY_BASE",
    "JWT_SECRET",
    "CLIENT_SECRET",
    "OAUTH_CLIENT_SECRET",
    "WEBHOOK_SECRET",
    "SESSION_SECRET",
    "clientSecret",
    # tokens
    "TOKEN",
    "API_TOKEN",
    "GITHUB_TOKEN",
    "ACCESS_TOKEN",
    "REFRESH_TOKEN",
    "AUTH_TOKEN",
    "SLACK_BOT_TOKEN",
    "AWS_SESSION_TOKEN",
    "VAULT_TOKEN",
    "authToken",
    # keys
    "API_KEY",
    "APIKEY",
    "STRIPE_API_KEY",
    "OPENAI_API_KEY",
    "SENDGRID_KEY",
    "ACCESS_KEY",
    "AWS_SECRET_ACCESS_KEY",
    "PRIVATE_KEY",
    "SSH_KEY",
    "SSH_PRIVATE_KEY",
    "SIGNING_KEY",
    "ENCRYPTION_KEY",
    "MASTER_KEY",
    "LICENSE_KEY",
    "AZURE_STORAGE_ACCOUNT_KEY",
    "FERNET_KEYS",
    "apiKey",
    "sshKey",
    # other credentials
    "AUTH",
    "BASIC_AUTH",
    "PROXY_AUTH",
    "SENTRY_DSN",
    "DATABASE_DSN",
    "DSN",
    "CREDENTIALS",
    "DOCKER_CREDS",
    "HASH_SALT",
    "AZURE_STORAGE_CONNECTION_STRING",
    # the second round
    "AWS_ACCESS_KEY_ID",
    "GH_PAT",
    "GITHUB_PAT",
    "GITLAB_PAT",
    "STRIPE_SK",
    "DB_PW",
    "PGPASS",
    "PRIVATE_KEY_PEM",
    "SSH_KEY_B64",
    "GOOGLE_PRIVATE_KEY_BASE64",
    "API_KEY_V2",
    "STRIPE_KEY_LIVE",
    "SLACK_WEBHOOK_URL",
    "DISCORD_WEBHOOK_URL",
    "API_BEARER",
    "BEARER",
    "MINIO_ROOT_PASSWORD",
    "GOOGLE_APPLICATION_CREDENTIALS_JSON",
    "awsAccessKeyId",
]

ORDINARY_NAMES = [
    "LOG_LEVEL",
    "PORT",
    "HOST",
    "TZ",
    "LANG",
    "PATH",
    "PYTHONPATH",
    "PYTHONUNBUFFERED",
    "WEB_CONCURRENCY",
    "DATABASE_HOST",
    "DATABASE_NAME",
    "DATABASE_USER",
    "API_URL",
    "AUTH_URL",
    "AUTH_ENABLED",
    "AUTHOR",
    "KEYCLOAK_URL",
    "KEY_ID",
    "KMS_KEY_ID",
    "RANDOM_SEED",
    "DISK",
    "TASK",
    "PATTERN",
    "DISPATCH_MODE",
    "SSH_KEY_PATH",
    "WEBHOOK_PATH",
    "BEARER_TOKEN_FILE",
    "BYPASS_CACHE",
    "COMPASS_URL",
    "PASSENGER_APP_ENV",
    "SENTRY_ENVIRONMENT",
    "DSN_TIMEOUT",
    "SALT_ROUNDS",
    "FEATURE_FLAGS",
    "MONKEY_PATCH",
    # Where a secret is, not the secret: the Docker images' `*_FILE` convention, directories, paths.
    "POSTGRES_PASSWORD_FILE",
    "SECRETS_DIR",
    "TLS_KEY_PATH",
]


def test_the_lists_hold_what_they_say():
    assert len(CREDENTIAL_NAMES) >= 57
    assert len(set(CREDENTIAL_NAMES)) == len(CREDENTIAL_NAMES)
    assert not set(CREDENTIAL_NAMES) & set(ORDINARY_NAMES)


@pytest.mark.parametrize("name", CREDENTIAL_NAMES)
def test_credential_names_are_recognised(name):
    assert looks_like_credential(name)


@pytest.mark.parametrize("name", ORDINARY_NAMES)
def test_ordinary_names_are_not(name):
    assert not looks_like_credential(name)


def error_of(data: dict) -> str:
    with pytest.raises(DeployKitError) as caught:
        render_data(data, "k8s")
    return str(caught.value)


@pytest.mark.parametrize("name", ["DB_PASS", "SSH_KEY", "AUTH", "SENTRY_DSN", "PWD"])
def test_a_credential_name_in_env_is_refused(name):
    assert error_of({**BASE, "env": {name: "hunter2"}}) == (
        f"profile.yaml:1:1: env.{name}: {name} looks like a credential; reference it under `secrets:` instead of "
        "writing its value (or list it in `env_not_secret` if it holds no secret)"
    )


def test_a_false_positive_is_acknowledged_by_name():
    data = {**BASE, "env": {"SORT_KEY": "created_at", "DB_PASS": "hunter2"}, "env_not_secret": ["SORT_KEY"]}
    assert error_of(data).startswith("profile.yaml:1:1: env.DB_PASS: DB_PASS looks like a credential")
    data["env"] = {"SORT_KEY": "created_at"}
    rendered = render_data(data, "k8s").rendering.stdout
    assert "name: SORT_KEY\n" in rendered and "value: created_at\n" in rendered


def test_the_acknowledgement_covers_per_target_overrides_too():
    data = {**BASE, "env_not_secret": ["SORT_KEY"], "overrides": {"nomad": {"env": {"SORT_KEY": "name"}}}}
    assert 'SORT_KEY = "name"' in render_data(data, "nomad").rendering.stdout


def test_acknowledged_names_are_environment_variable_names():
    assert error_of({**BASE, "env_not_secret": ["SORT-KEY"]}) == (
        "profile.yaml:1:1: env_not_secret[0]: 'SORT-KEY' is not a valid environment variable name "
        "(letters, digits and '_', not starting with a digit)"
    )


@pytest.mark.parametrize(
    "value",
    [
        "postgresql://items:hunter2@db.internal:5432/items",
        "redis://:hunter2@cache:6379/0",
        "amqp://guest:guest@rabbitmq/",
    ],
)
def test_a_password_inside_a_url_is_refused_whatever_the_name(value):
    data = {**BASE, "env": {"DATABASE_URL": value}, "env_not_secret": ["DATABASE_URL"]}
    assert error_of(data) == (
        "profile.yaml:1:1: env.DATABASE_URL: the value holds a password in its URL (user:password@host); "
        "reference it under `secrets:` instead of writing it"
    )


@pytest.mark.parametrize(
    "value", ["postgresql://db.internal:5432/items", "https://user@example.com/", "http://proxy:3128/a@b", "a:b@c"]
)
def test_urls_without_a_password_are_fine(value):
    render_data({**BASE, "env": {"DATABASE_URL": value}}, "k8s")


@pytest.mark.parametrize(
    ("command", "index", "reason"),
    [
        (["gunicorn", "app.wsgi", "--password", "hunter2"], 2, "passes password a literal value"),
        (["celery", "-A", "shop", "worker", "--broker=amqp://guest:guest@rabbit//"], 4, "holds a password in a URL"),
        (["env", "STRIPE_SK=sk_live_1", "python", "-m", "app"], 1, "passes STRIPE_SK a literal value"),
        (["app", "--api-key=abc"], 1, "passes api_key a literal value"),
        (["sh", "-c", "psql postgresql://app:hunter2@db/app -c 'select 1'"], 2, "holds a password in a URL"),
    ],
)
@pytest.mark.parametrize("field", ["prestart", "processes", "cron"])
def test_a_credential_in_command_arguments_is_refused(command, index, reason, field):
    where = {
        "prestart": ({"prestart": [{"name": "migrate", "command": command}]}, "prestart[0].command"),
        "processes": ({"processes": {"worker": {"command": command}}}, "processes.worker.command"),
        "cron": ({"cron": {"sweep": {"command": command, "schedule": "0 3 * * *"}}}, "cron.sweep.command"),
    }
    data, path = where[field]
    message = error_of({**BASE, "command": ["gunicorn", "app.wsgi"], **data})
    assert message.startswith(f"profile.yaml:1:1: {path}[{index}]: the argument {reason}")
    assert message.endswith(
        "a command line shows in process lists and in the rendered files; read the credential from a secret "
        "instead (`secrets:` gives the command an environment variable)"
    )


@pytest.mark.parametrize(
    "command",
    [
        ["gunicorn", "app.wsgi", "--keyfile", "/run/secrets/tls.key"],
        ["app", "--password", "$DB_PASSWORD"],
        ["app", "--token=$(API_TOKEN)"],
        ["app", "--no-auth", "main:app"],
        ["app", "--auth-url", "https://auth.example.com/"],
        ["docker", "login", "--password-stdin", "registry.example.com"],
        ["app", "--key", "/tls/key.pem"],
    ],
)
def test_references_paths_and_flags_in_commands_are_fine(command):
    render_data({**BASE, "command": ["gunicorn", "app.wsgi"], "processes": {"worker": {"command": command}}}, "k8s")


def test_a_credential_in_the_health_command_is_refused():
    data = {**BASE, "health": {"command": ["curl", "-f", "http://admin:hunter2@localhost:8000/healthz"]}}
    assert error_of(data).startswith("profile.yaml:1:1: health.command[2]: the argument holds a password in a URL")


def test_a_credential_in_the_app_command_is_refused():
    data = {**BASE, "command": ["gunicorn", "app.wsgi", "--password=hunter2"]}
    assert error_of(data).startswith("profile.yaml:1:1: command[2]: the argument passes password a literal value")
