"""The client's exceptions, turned into the one-line errors users see."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator

import urllib3.exceptions
import yaml
from kubernetes.config import ConfigException
from kubernetes.dynamic.exceptions import DynamicApiError

from deploykit.errors import DeployKitError

CONFLICT = 409
# Server-side apply refuses to take a field another manager set (e.g. `kubectl scale`) unless forced.
CONFLICT_HINT = " (another field manager owns these fields; `deploykit apply --force-conflicts` takes them over)"


@contextlib.contextmanager
def translated(subject: str, host: str) -> Iterator[None]:
    """Run the block; an API error or a network failure becomes a DeployKitError starting with `subject`."""
    try:
        yield
    except DynamicApiError as exc:
        hint = CONFLICT_HINT if exc.status == CONFLICT else ""
        raise DeployKitError(f"{subject}: {exc.status} {exc.reason}: {_server_message(exc)}{hint}") from None
    except urllib3.exceptions.HTTPError as exc:  # refused, reset, timed out, retries exhausted
        raise DeployKitError(
            f"{subject}: cannot reach the Kubernetes API server at {host}: {_network_reason(exc)}"
        ) from None


@contextlib.contextmanager
def translated_config(source: str) -> Iterator[None]:
    """Run the block; a kubeconfig problem becomes a DeployKitError naming where it was looked for."""
    prefix = f"cannot use the kubeconfig ({source})"
    try:
        yield
    except ConfigException as exc:
        raise DeployKitError(f"{prefix}: {_one_line(str(exc))}") from None
    except yaml.YAMLError as exc:
        raise DeployKitError(f"{prefix}: invalid YAML: {_one_line(str(exc))}") from None
    except (TypeError, AttributeError):
        # The client indexes the file's content as a mapping without checking (a list gives TypeError).
        raise DeployKitError(f"{prefix}: expected a mapping with clusters, contexts and users") from None


def _server_message(exc: DynamicApiError) -> str:
    """The `message` of the server's Status body (what kubectl prints), else the raw body."""
    body = exc.body.decode("utf-8", "replace") if isinstance(exc.body, bytes) else str(exc.body or "")
    try:
        status = json.loads(body)
    except ValueError:
        return _one_line(body) or "(no message)"
    message = status.get("message") if isinstance(status, dict) else None
    return _one_line(str(message)) if message else _one_line(body)


def _network_reason(exc: urllib3.exceptions.HTTPError) -> str:
    """The innermost cause ("Connection refused", "timed out") without urllib3's pool description."""
    reason: BaseException = getattr(exc, "reason", None) or exc
    while (inner := reason.__cause__ or reason.__context__) is not None:
        reason = inner
    if isinstance(reason, OSError) and reason.strerror:
        return reason.strerror
    return _one_line(str(reason))


def _one_line(text: str) -> str:
    return " ".join(text.split())
