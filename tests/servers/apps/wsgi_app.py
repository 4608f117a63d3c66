"""A raw WSGI app: answers with the scheme, client address and process id the server gave it."""

import json
import os


def app(environ, start_response):
    body = json.dumps(
        {"scheme": environ["wsgi.url_scheme"], "client": environ.get("REMOTE_ADDR"), "pid": os.getpid()}
    ).encode()
    start_response("200 OK", [("Content-Type", "application/json")])
    return [body]
