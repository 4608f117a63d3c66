from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from app.migrate import SCHEMA_VERSION, schema_version
from app.settings import ConfigError, database_path

app = FastAPI()


@app.get("/")
def read_root():
    return {"Hello": "World"}


@app.get("/items/{item_id}")
def read_item(item_id: int, q: str | None = None):
    return {"item_id": item_id, "q": q}


@app.get("/healthz")
def healthz():
    """Liveness: the process answers. Never looks at the database, so a database outage
    makes the app unready (no traffic) rather than restarted in a loop."""
    return {"status": "ok"}


@app.get("/readyz")
def readyz():
    """Readiness: 200 once the database holds the current schema, 503 until then.

    With no database configured (neither DATABASE_URL nor DATABASE_URL_FILE) the app needs
    no migration, so it is ready: the example runs as FastAPI's page has it, database-free.
    A configured but unusable database (unreadable secret file, bad URL) is not ready.
    """
    try:
        path = database_path()
    except ConfigError as exc:
        return JSONResponse({"status": "not ready", "reason": str(exc)}, status_code=503)
    if path is None:
        return {"status": "ok", "database": "not configured"}
    version = schema_version(path)
    if version < SCHEMA_VERSION:
        reason = f"schema version {version}, need {SCHEMA_VERSION}: run python -m app.migrate"
        return JSONResponse({"status": "not ready", "reason": reason}, status_code=503)
    return {"status": "ok", "database": "ready"}


@app.get("/whoami")
def whoami(request: Request):
    """What the app believes about the caller: behind a trusted proxy, the forwarded scheme
    and client address; otherwise the direct connection's."""
    return {"scheme": request.url.scheme, "client": request.client.host if request.client else None}
