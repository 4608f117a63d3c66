"""Bring the example database to the current schema: ``python -m app.migrate``.

Idempotent, because Compose re-runs the one-shot migrate service on every ``up``. Safe to run
concurrently (Kubernetes init containers and Nomad prestart tasks run once per replica): the
whole migration holds SQLite's write lock (``BEGIN IMMEDIATE``), so a second run waits for the
first and then finds nothing left to do.

Prints one line and exits 0 on success; exits 2 with a one-line message on stderr when no
database is configured or the settings are unusable, 1 when SQLite fails.
"""

from __future__ import annotations

import sqlite3
import sys
from pathlib import Path

from app.settings import ConfigError, database_path

SCHEMA_VERSION = 1

_STEPS = {
    1: "CREATE TABLE IF NOT EXISTS items (id INTEGER PRIMARY KEY, name TEXT NOT NULL)",
}


def migrate(path: Path) -> tuple[int, bool]:
    """Apply missing schema steps to the SQLite file at ``path``.

    Returns ``(schema version, whether anything was applied)``.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, timeout=30, isolation_level=None)
    try:
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY)")
        current = conn.execute("SELECT COALESCE(MAX(version), 0) FROM schema_version").fetchone()[0]
        for version in range(current + 1, SCHEMA_VERSION + 1):
            conn.execute(_STEPS[version])
            conn.execute("INSERT INTO schema_version (version) VALUES (?)", (version,))
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    finally:
        conn.close()
    return max(current, SCHEMA_VERSION), current < SCHEMA_VERSION


def schema_version(path: Path) -> int:
    """Return the schema version recorded in the SQLite file at ``path``, 0 if there is none.

    Opens the file read-only, so that probing a missing database never creates an empty one.
    A database locked by a running migration also reads as 0: the next probe will see it.
    """
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=1)
    except sqlite3.Error:
        return 0
    try:
        return conn.execute("SELECT COALESCE(MAX(version), 0) FROM schema_version").fetchone()[0]
    except sqlite3.Error:
        return 0
    finally:
        conn.close()


def main() -> int:
    try:
        path = database_path()
    except ConfigError as exc:
        print(f"migrate: {exc}", file=sys.stderr)
        return 2
    if path is None:
        print("migrate: no database configured: set DATABASE_URL or DATABASE_URL_FILE", file=sys.stderr)
        return 2
    try:
        version, applied = migrate(path)
    except sqlite3.Error as exc:
        print(f"migrate: {path}: {exc}", file=sys.stderr)
        return 1
    state = "migrated to" if applied else "already at"
    print(f"migrate: {path}: {state} schema version {version}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
