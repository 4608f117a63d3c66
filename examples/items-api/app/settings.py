"""Where the example app finds its database.

``DATABASE_URL`` holds a ``sqlite:///PATH`` URL (``sqlite:///data/app.db`` is relative to the
working directory, ``sqlite:////data/app.db`` is absolute, as in SQLAlchemy).

``DATABASE_URL_FILE``, when set, names a file whose content is that URL, and wins over
``DATABASE_URL``: Compose mounts secrets as files under ``/run/secrets`` and passes their paths
in ``*_FILE`` variables, so the value itself never appears in the container's environment.

The app and ``python -m app.migrate`` both read the location through this module, so they can
never disagree about which database they use.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

SQLITE_PREFIX = "sqlite:///"


class ConfigError(Exception):
    """The database settings are present but unusable."""


def database_url(environ: Mapping[str, str] | None = None) -> str | None:
    """Return the configured database URL, or None when no database is configured."""
    env = os.environ if environ is None else environ
    file_name = env.get("DATABASE_URL_FILE")
    if file_name:
        try:
            url = Path(file_name).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ConfigError(f"DATABASE_URL_FILE: cannot read {file_name}: {exc.strerror}") from None
        if not url:
            raise ConfigError(f"DATABASE_URL_FILE: {file_name} is empty")
        return url
    return env.get("DATABASE_URL") or None


def sqlite_path(url: str) -> Path:
    """Return the file path of a ``sqlite:///PATH`` URL."""
    if not url.startswith(SQLITE_PREFIX) or len(url) == len(SQLITE_PREFIX):
        # Never echo the URL: for other databases it would carry a password.
        raise ConfigError("database URL must look like sqlite:///PATH")
    return Path(url[len(SQLITE_PREFIX) :])


def database_path(environ: Mapping[str, str] | None = None) -> Path | None:
    """Return the configured SQLite file, or None when no database is configured."""
    url = database_url(environ)
    return None if url is None else sqlite_path(url)
