"""Settings of the shop example, read from the environment as every deploykit target provides it."""

import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent


def _secret(name: str) -> str:
    """A secret from `NAME`, or from the file `NAME_FILE` names (a Compose or Kubernetes secret file)."""
    path = os.environ.get(f"{name}_FILE")
    if path:
        return Path(path).read_text(encoding="utf-8").strip()
    return os.environ.get(name, "")


# Unset only while building the image (collectstatic needs no key); the app refuses to serve without one.
SECRET_KEY = _secret("DJANGO_SECRET_KEY") or "build-time-only-not-secret"
DEBUG = False
ALLOWED_HOSTS = [host for host in os.environ.get("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1").split(",") if host]

INSTALLED_APPS = ["django.contrib.staticfiles", "shop"]
MIDDLEWARE = ["django.middleware.security.SecurityMiddleware", "django.middleware.common.CommonMiddleware"]
ROOT_URLCONF = "shop.urls"
ASGI_APPLICATION = "shop.asgi.application"
WSGI_APPLICATION = "shop.wsgi.application"
DATABASES: dict = {}
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO").upper()},
}
