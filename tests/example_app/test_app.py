"""The bundled example app (examples/items-api): its endpoints and its migration command."""

from __future__ import annotations

import http.client
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from helpers import free_port, stop

APP_DIR = Path(__file__).resolve().parents[2] / "examples" / "items-api"


@pytest.fixture(autouse=True)
def _no_database_settings(monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("DATABASE_URL_FILE", raising=False)


@pytest.fixture(scope="module")
def app_modules():
    """Import the example's ``app`` package as ``fastapi run app/main.py`` does: from its folder."""
    sys.path.insert(0, str(APP_DIR))
    try:
        import app.main
        import app.migrate

        yield app.main, app.migrate
    finally:
        sys.path.remove(str(APP_DIR))


@pytest.fixture
def client(app_modules):
    return TestClient(app_modules[0].app)


@pytest.fixture
def migrate(app_modules):
    return app_modules[1].migrate


def run_migrate(env_updates: dict[str, str]) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DATABASE_URL_FILE")}
    env.update(env_updates)
    return subprocess.run(
        [sys.executable, "-m", "app.migrate"],
        cwd=APP_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


# --- the endpoints of FastAPI's page, exactly ---


def test_root(client):
    response = client.get("/")
    assert response.status_code == 200
    assert response.json() == {"Hello": "World"}


def test_item_with_query(client):
    assert client.get("/items/5", params={"q": "somequery"}).json() == {"item_id": 5, "q": "somequery"}


def test_item_without_query(client):
    assert client.get("/items/42").json() == {"item_id": 42, "q": None}


def test_item_id_must_be_an_integer(client):
    assert client.get("/items/five").status_code == 422


# --- health ---


def test_healthz(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readyz_without_a_database_is_ready(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "not configured"}


def test_readyz_is_503_until_migrated_then_200(client, migrate, tmp_path, monkeypatch):
    db = tmp_path / "data" / "app.db"
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{db}")

    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json() == {
        "status": "not ready",
        "reason": "schema version 0, need 1: run python -m app.migrate",
    }
    assert not db.exists(), "probing readiness must not create the database"

    migrate(db)
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ready"}


def test_readyz_is_503_on_an_empty_database_file(client, tmp_path, monkeypatch):
    db = tmp_path / "app.db"
    db.touch()
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{db}")
    assert client.get("/readyz").status_code == 503


def test_readyz_reads_the_url_from_database_url_file(client, migrate, tmp_path, monkeypatch):
    db = tmp_path / "app.db"
    migrate(db)
    secret = tmp_path / "database_url"
    secret.write_text(f"sqlite:///{db}\n")
    # The file wins over the variable.
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'other.db'}")
    monkeypatch.setenv("DATABASE_URL_FILE", str(secret))
    assert client.get("/readyz").status_code == 200


def test_readyz_is_503_when_the_secret_file_is_missing(client, tmp_path, monkeypatch):
    missing = tmp_path / "nope"
    monkeypatch.setenv("DATABASE_URL_FILE", str(missing))
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json() == {
        "status": "not ready",
        "reason": f"DATABASE_URL_FILE: cannot read {missing}: No such file or directory",
    }


def test_readyz_rejects_a_non_sqlite_url_without_echoing_it(client, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgresql://app:s3cret@db/app")
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json() == {"status": "not ready", "reason": "database URL must look like sqlite:///PATH"}


# --- whoami ---


def test_whoami_direct(client):
    assert client.get("/whoami").json() == {"scheme": "http", "client": "testclient"}


def _whoami_behind(forwarded_allow_ips: str) -> dict:
    """Start the app with ``fastapi run`` (as the image does) and call /whoami as a proxy would."""
    port = free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "fastapi",
            "run",
            "app/main.py",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--forwarded-allow-ips",
            forwarded_allow_ips,
        ],
        cwd=APP_DIR,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            try:
                conn.request("GET", "/whoami", headers={"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.7"})
                return json.loads(conn.getresponse().read())
            except ConnectionRefusedError:
                if server.poll() is not None or time.monotonic() > deadline:
                    server.kill()
                    pytest.fail(f"fastapi run did not answer on port {port}:\n{server.communicate(timeout=10)[1]}")
                time.sleep(0.1)
            finally:
                conn.close()
    finally:
        stop(server)


def test_whoami_trusts_forwarded_headers_from_a_trusted_cidr():
    # A CIDR, as the rendered targets pass for the proxy network (uvicorn >= 0.31).
    assert _whoami_behind("127.0.0.0/8") == {"scheme": "https", "client": "203.0.113.7"}


def test_whoami_ignores_forwarded_headers_from_an_untrusted_peer():
    assert _whoami_behind("10.0.0.0/8") == {"scheme": "http", "client": "127.0.0.1"}


# --- migration ---


def test_migrate_is_idempotent(migrate, tmp_path):
    db = tmp_path / "app.db"
    assert migrate(db) == (1, True)
    assert migrate(db) == (1, False)


def test_migrate_command_twice(tmp_path):
    db = tmp_path / "data" / "app.db"
    env = {"DATABASE_URL": f"sqlite:///{db}"}

    first = run_migrate(env)
    assert (first.returncode, first.stdout, first.stderr) == (0, f"migrate: {db}: migrated to schema version 1\n", "")

    second = run_migrate(env)
    assert (second.returncode, second.stdout, second.stderr) == (0, f"migrate: {db}: already at schema version 1\n", "")


def test_migrate_command_reads_database_url_file(tmp_path):
    db = tmp_path / "app.db"
    secret = tmp_path / "database_url"
    secret.write_text(f"sqlite:///{db}\n")
    result = run_migrate({"DATABASE_URL_FILE": str(secret)})
    assert (result.returncode, result.stdout) == (0, f"migrate: {db}: migrated to schema version 1\n")
    assert db.exists()


def test_migrate_command_without_a_database_fails():
    result = run_migrate({})
    assert (result.returncode, result.stdout, result.stderr) == (
        2,
        "",
        "migrate: no database configured: set DATABASE_URL or DATABASE_URL_FILE\n",
    )


def test_migrate_command_rejects_a_non_sqlite_url():
    result = run_migrate({"DATABASE_URL": "postgresql://app:s3cret@db/app"})
    assert (result.returncode, result.stderr) == (2, "migrate: database URL must look like sqlite:///PATH\n")


def test_concurrent_migrations_apply_once(tmp_path):
    # Init containers and prestart tasks run once per replica, at the same time.
    db = tmp_path / "app.db"
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DATABASE_URL_FILE")}
    env["DATABASE_URL"] = f"sqlite:///{db}"
    procs = [
        subprocess.Popen([sys.executable, "-m", "app.migrate"], cwd=APP_DIR, env=env, stdout=subprocess.PIPE, text=True)
        for _ in range(4)
    ]
    outputs = [(p.communicate(timeout=60)[0], p.returncode) for p in procs]
    assert all(code == 0 for _, code in outputs)
    assert sorted(out.split(": ", 2)[2] for out, _ in outputs) == [
        "already at schema version 1\n",
        "already at schema version 1\n",
        "already at schema version 1\n",
        "migrated to schema version 1\n",
    ]
