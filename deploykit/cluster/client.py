"""The cluster of the current kubeconfig context, reached through the `kubernetes` dynamic client."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from kubernetes import config
from kubernetes.client import ApiClient, Configuration
from kubernetes.client.rest import RESTClientObject
from kubernetes.dynamic import DynamicClient
from kubernetes.dynamic.exceptions import NotFoundError, ResourceNotFoundError
from kubernetes.dynamic.resource import Resource

from deploykit.cluster.errors import translated, translated_config
from deploykit.cluster.identity import describe
from deploykit.errors import DeployKitError

FIELD_MANAGER = "deploykit"
DEFAULT_KUBECONFIG = "~/.kube/config"
# (connect, read) seconds for every request, discovery included.
REQUEST_TIMEOUT = (10, 60)


class _BoundedRESTClient(RESTClientObject):
    """The client's HTTP transport, with a timeout on every request that was given none.

    The dynamic client's discovery requests (/version, /apis, /apis/GROUP/VERSION) pass no timeout, and
    urllib3 would then wait forever on a server that accepts the connection but never answers.
    """

    def request(self, method, url, headers=None, body=None, post_params=None, _request_timeout=None):
        return super().request(method, url, headers, body, post_params, _request_timeout or REQUEST_TIMEOUT)


class Cluster:
    """Reads and server-side applies deploykit's objects. Every call raises DeployKitError on failure."""

    def __init__(self, client: DynamicClient, host: str):
        self._client = client
        self.host = host

    def live(self, obj: dict) -> dict | None:
        """The object as the cluster holds it now, or None when it does not exist."""
        resource = self._resource(obj)
        metadata = obj["metadata"]
        with translated(f"{describe(obj)}: reading the live object", self.host):
            try:
                found = resource.get(
                    name=metadata["name"], namespace=metadata.get("namespace"), _request_timeout=REQUEST_TIMEOUT
                )
            except NotFoundError:
                return None
        return found.to_dict()

    def apply(self, obj: dict, *, dry_run: bool, force_conflicts: bool) -> dict:
        """Server-side apply `obj` as field manager `deploykit`; with `dry_run` the server stores nothing.

        Returns the object as the server made (or, in a dry run, would make) it.
        """
        resource = self._resource(obj)
        with translated(f"{describe(obj)}: server-side apply", self.host):
            result = resource.server_side_apply(
                body=obj,
                field_manager=FIELD_MANAGER,
                # Omitted rather than false: taking fields from another manager must be asked for.
                force_conflicts=True if force_conflicts else None,
                dry_run="All" if dry_run else None,
                _request_timeout=REQUEST_TIMEOUT,
            )
        return result.to_dict()

    def _resource(self, obj: dict) -> Resource:
        api_version, kind = obj["apiVersion"], obj["kind"]
        # Core kinds (apiVersion "v1") are served under /api, grouped ones under /apis. Naming the prefix
        # keeps discovery to this one group version: without it, looking up "v1" would fetch the
        # resource list of every group that has a v1.
        prefix = "apis" if "/" in api_version else "api"
        with translated(f"{describe(obj)}: API discovery", self.host):
            try:
                return self._client.resources.get(prefix=prefix, api_version=api_version, kind=kind)
            except ResourceNotFoundError:
                raise DeployKitError(f"{describe(obj)}: the cluster does not serve {kind} in {api_version}") from None


@contextlib.contextmanager
def connect(context: str | None) -> Iterator[Cluster]:
    """The cluster of kubeconfig `context` (default: the current context), from $KUBECONFIG or ~/.kube/config."""
    source = os.environ.get("KUBECONFIG") or DEFAULT_KUBECONFIG  # empty counts as unset, as for kubectl
    if not any(Path(path).expanduser().is_file() for path in source.split(os.pathsep) if path):
        origin = (
            "from KUBECONFIG" if os.environ.get("KUBECONFIG") else "the default; set KUBECONFIG to use another file"
        )
        raise DeployKitError(f"no kubeconfig found at {source} ({origin})")
    configuration = Configuration()
    # Every request is tried at most twice, so an unreachable server fails in bounded time.
    configuration.retries = 1
    with translated_config(source):
        config.load_kube_config(config_file=source, context=context, client_configuration=configuration)
    api_client = ApiClient(configuration)
    api_client.rest_client = _BoundedRESTClient(configuration)
    # The dynamic client caches discovery in a file, by default a predictable name in the shared temp
    # directory that another local user could plant; a private directory per run avoids that.
    with api_client, tempfile.TemporaryDirectory(prefix="deploykit-discovery-") as cache_dir:
        with translated("API discovery", configuration.host):
            client = DynamicClient(api_client, cache_file=os.path.join(cache_dir, "discovery.json"))
        yield Cluster(client, configuration.host)
