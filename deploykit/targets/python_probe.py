"""Health probes run with the image's own python (slim images have no curl), as one `python -c` argument.

No white space anywhere: Podman's Docker-compatible API (Debian 12's 4.3 and later releases until
containers/podman#26519 was fixed) joins a health check's words with spaces and splits them again, so
`import x` would break the argument; hence `__import__`. URLs hold no white space either (HTTP paths are
checked to have none).
"""

from __future__ import annotations


def tcp_probe(port: int, timeout_seconds: int) -> str:
    """Fails unless the port accepts a connection in time."""
    return f"__import__('socket').create_connection(('127.0.0.1',{port}),{timeout_seconds}).close()"


def http_fetch(port: int, path: str, host: str | None, timeout_seconds: int) -> str:
    """An expression that raises (exit 1) unless `path` answers 2xx/3xx in time, with `host` as Host where
    given: urllib sends 127.0.0.1:PORT otherwise, which a host-checking app (Django's ALLOWED_HOSTS)
    refuses with a 400; a Request object carries the header."""
    url = f"http://127.0.0.1:{port}{path}"
    request = repr(url)
    if host is not None:
        request = f"__import__('urllib.request').request.Request({url!r},headers={{'Host':{host!r}}})"
    return f"__import__('urllib.request').request.urlopen({request},timeout={timeout_seconds})"
