"""A few views that show what a deployment did: health, and what the app sees of each request."""

import os

from django.conf import settings
from django.http import HttpRequest, JsonResponse


def index(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"shop": "open"})


def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness: the process answers."""
    return JsonResponse({"status": "ok"})


def readyz(request: HttpRequest) -> JsonResponse:
    """Readiness: a real secret key is configured and the static files were collected into the image."""
    ready = settings.SECRET_KEY != "build-time-only-not-secret" and (settings.STATIC_ROOT / "shop" / "style.css").is_file()
    return JsonResponse({"status": "ok" if ready else "not ready"}, status=200 if ready else 503)


def whoami(request: HttpRequest) -> JsonResponse:
    """The scheme and client address the app sees (rewritten from X-Forwarded-* for a trusted proxy only)."""
    return JsonResponse({"scheme": request.scheme, "client": request.META.get("REMOTE_ADDR"), "pid": os.getpid()})
