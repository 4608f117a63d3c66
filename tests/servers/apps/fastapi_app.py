"""A FastAPI app, as `fastapi run fastapi_app.py` serves it."""

import os

from fastapi import FastAPI, Request

app = FastAPI()


@app.get("/")
def whoami(request: Request) -> dict:
    return {"scheme": request.url.scheme, "client": request.client.host if request.client else None, "pid": os.getpid()}
