"""Secret values in plain `env`: which names look like credentials, and how a false positive is acknowledged."""

from __future__ import annotations

import pytest
from helpers import render_data

from deploykit.errors import DeployKitError
from deploykit.spec.names import looks_like_credential

BASE = {"app": "items-api", "image": "registry.example.com/acme/items-api:1.4.2"}

# Common credential names, gathered from the documentation of the services they belong to. Before the
# list was widened, 35 of 57 such names passed (`PWD`, `SSH_KEY`, `AUTH`, `SENTRY_DSN`, ...).
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
    "AWS_ACCESS_KEY_ID",
    "KEY_ID",
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
