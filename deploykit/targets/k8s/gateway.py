"""Gateway API routing (`k8s.routing: gateway`): HTTPRoutes on the platform's Gateway, and a
ListenerSet when the app brings its own certificate.

The Gateway belongs to the platform team (its listeners, addresses and, usually, a wildcard
certificate); the app's namespace holds only what routes its host:
- HTTPRoute `<app>`: proxy.host and proxy.aliases (under proxy.path_prefix, stripped with strip_prefix) to the Service, with the security headers every target sends, on the
  Gateway's HTTPS listener (`k8s.gateway.section_name`) or on the app's ListenerSet;
- HTTPRoute `<app>-redirect`: every host name on the plain-HTTP listener, answered with a 301 to https,
  as Gateway API's own redirect guide does it (the Location keeps the host and path, and drops :443);
- HTTPRoute `<app>-moved`: proxy.redirects, answered with a 301 to proxy.host keeping the path and query;
- ListenerSet `<app>` (`k8s.gateway.listener_set`): an HTTPS listener per host name with the app's
  certificate Secret, which cert-manager issues from the ListenerSet's annotation.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from deploykit import traefik
from deploykit.targets.k8s.meta import bounded_name, metadata
from deploykit.targets.k8s.network import SERVICE_PORT

if TYPE_CHECKING:
    from deploykit.spec.model import Profile
    from deploykit.spec.options.k8s import GatewayOptions

API_VERSION = "gateway.networking.k8s.io/v1"
GROUP = "gateway.networking.k8s.io"
LISTENER_NAME = "https"
# An HTTPRoute names at most 16 hostnames (spec.hostnames, maxItems 16: HTTPRoute's CRD, v1.5.1, tests/k8s/crds);
# the API server refuses a longer list, so check.py refuses the profile first.
MAX_ROUTE_HOSTNAMES = 16


def _gateway(profile: Profile) -> GatewayOptions | None:
    """The Gateway to attach to, or None when this profile routes nothing through Gateway API."""
    proxy = profile.proxy
    if profile.k8s.routing != "gateway" or proxy is None or proxy.host is None:
        return None
    return profile.k8s.gateway  # check.py requires it in that case


def _uses_listener_set(profile: Profile) -> bool:
    gateway = _gateway(profile)
    return gateway is not None and gateway.listener_set and traefik.uses_tls(profile)


def tls_secret(profile: Profile) -> str:
    """The Secret of the ListenerSet's certificate: `k8s.tls_secret`, else `<app>-tls`."""
    return profile.k8s.tls_secret or f"{profile.app}-tls"


def _gateway_parent(gateway: GatewayOptions, section_name: str | None) -> dict:
    parent = {"group": GROUP, "kind": "Gateway", "name": gateway.name, "namespace": gateway.namespace}
    if section_name is not None:
        parent["sectionName"] = section_name
    return parent


# `k8s.gateway.http_section_name: none`: no plain-HTTP listener to redirect from (YAML's null would
# mean "remove the parent's value" instead, and so falls back to the default listener, `http`).
NO_LISTENER = "none"


def http_listener(gateway: GatewayOptions) -> str | None:
    """The Gateway's plain-HTTP listener, or None when `http_section_name` is `none` (the platform redirects)."""
    name = gateway.http_section_name
    return None if name is None or name == NO_LISTENER else name


def _listener_names(profile: Profile) -> dict[str, str]:
    """The ListenerSet's listener of each host name: `https` for proxy.host, `https-2`... for the others
    (a listener has one hostname, and a route attaches only where its hostnames meet the listener's)."""
    proxy = profile.proxy
    hosts = proxy.all_hosts if proxy is not None else []
    return {host: LISTENER_NAME if index == 0 else f"{LISTENER_NAME}-{index + 1}" for index, host in enumerate(hosts)}


def _app_parents(profile: Profile, gateway: GatewayOptions, hosts: list[str]) -> list[dict]:
    """Where a route for `hosts` attaches: its hosts' listeners of the ListenerSet, or one listener of the Gateway.

    A route that names a Gateway attaches only to the Gateway's own listeners, never to a
    ListenerSet's (GEP-1713), so with a ListenerSet the route names the ListenerSet.
    """
    if _uses_listener_set(profile):
        listeners = _listener_names(profile)
        return [
            {"group": GROUP, "kind": "ListenerSet", "name": profile.app, "sectionName": listeners[host]}
            for host in hosts
        ]
    if traefik.uses_tls(profile):
        return [_gateway_parent(gateway, gateway.section_name)]
    # Plain HTTP (proxy.tls: none): the app is served where the redirect would otherwise be; without
    # that listener, on every listener of the Gateway that admits it.
    return [_gateway_parent(gateway, http_listener(gateway))]


def _path_matches(profile: Profile) -> list[dict]:
    """The request paths a route takes: under proxy.path_prefix, else all. Gateway API's PathPrefix
    matches whole path elements (`/api` matches `/api` and `/api/x`, not `/apix`: HTTPRoute's CRD, v1.5.1,
    tests/k8s/crds, on replacePrefixMatch and the PathPrefix match type)."""
    proxy = profile.proxy
    prefix = proxy.path_prefix if proxy is not None and proxy.path_prefix is not None else "/"
    return [{"path": {"type": "PathPrefix", "value": prefix}}]


def _headers_filter(profile: Profile) -> dict:
    headers = [{"name": name, "value": value} for name, value in traefik.security_response_headers(profile)]
    return {"type": "ResponseHeaderModifier", "responseHeaderModifier": {"set": headers}}


def build_http_routes(profile: Profile) -> list[dict]:
    """The app's HTTPRoute and, with TLS and a plain-HTTP listener, the one that redirects to https."""
    gateway = _gateway(profile)
    proxy = profile.proxy
    if gateway is None or proxy is None or proxy.host is None:
        return []
    filters = [_headers_filter(profile)]
    if proxy.path_prefix is not None and proxy.strip_prefix:
        # The matched prefix replaced by `/`: `/api/items` reaches the app as `/items`, `/api` as `/`
        # (HTTPURLRewriteFilter, HTTPPathModifier type ReplacePrefixMatch, which needs a PathPrefix match).
        filters.append(
            {"type": "URLRewrite", "urlRewrite": {"path": {"type": "ReplacePrefixMatch", "replacePrefixMatch": "/"}}}
        )
    app_route = {
        "apiVersion": API_VERSION,
        "kind": "HTTPRoute",
        "metadata": metadata(profile, profile.app),
        "spec": {
            "parentRefs": _app_parents(profile, gateway, proxy.served_hosts),
            "hostnames": proxy.served_hosts,
            "rules": [
                {
                    "matches": _path_matches(profile),
                    "filters": filters,
                    # Gateway API names a Service port by number only (PortNumber): the Service's, not the pod's.
                    "backendRefs": [{"group": "", "kind": "Service", "name": profile.app, "port": SERVICE_PORT}],
                }
            ],
        },
    }
    routes = [app_route]
    listener = http_listener(gateway)
    if traefik.uses_tls(profile) and listener is not None:
        routes.append(
            {
                "apiVersion": API_VERSION,
                "kind": "HTTPRoute",
                "metadata": metadata(profile, bounded_name(profile.app, "redirect")),
                "spec": {
                    "parentRefs": [_gateway_parent(gateway, listener)],
                    "hostnames": proxy.all_hosts,
                    "rules": [
                        {
                            "matches": _path_matches(profile),
                            "filters": [
                                {"type": "RequestRedirect", "requestRedirect": {"scheme": "https", "statusCode": 301}}
                            ],
                        }
                    ],
                },
            }
        )
    if proxy.redirects:
        # The redirected hosts, on the app's own listener: a 301 to proxy.host. HTTPRequestRedirectFilter keeps
        # the scheme (none given), the path (no path modifier) and the query; without a scheme or port the
        # Location names the listener's port.
        routes.append(
            {
                "apiVersion": API_VERSION,
                "kind": "HTTPRoute",
                "metadata": metadata(profile, bounded_name(profile.app, "moved")),
                "spec": {
                    "parentRefs": _app_parents(profile, gateway, proxy.redirects),
                    "hostnames": proxy.redirects,
                    "rules": [
                        {
                            "matches": _path_matches(profile),
                            "filters": [
                                {
                                    "type": "RequestRedirect",
                                    "requestRedirect": {"hostname": proxy.host, "statusCode": 301},
                                }
                            ],
                        }
                    ],
                },
            }
        )
    return routes


def build_listener_set(profile: Profile) -> dict | None:
    """The app's ListenerSet (HTTPS for proxy.host, its own certificate), or None when not asked for."""
    gateway = _gateway(profile)
    proxy = profile.proxy
    if gateway is None or proxy is None or proxy.host is None or not _uses_listener_set(profile):
        return None
    annotations: dict[str, str] = {}
    if proxy.tls == "acme" and profile.k8s.cluster_issuer is not None:
        # cert-manager (1.20+, ListenerSets feature gate) reads the issuer from the ListenerSet itself
        # and issues a Certificate for each listener's hostname into the named Secret.
        annotations["cert-manager.io/cluster-issuer"] = profile.k8s.cluster_issuer
    return {
        "apiVersion": API_VERSION,
        "kind": "ListenerSet",
        "metadata": metadata(profile, profile.app, annotations=annotations),
        "spec": {
            # A ListenerSet's parent is a whole Gateway: ParentGatewayReference has no sectionName.
            "parentRef": {"group": GROUP, "kind": "Gateway", "name": gateway.name, "namespace": gateway.namespace},
            # One listener per host name, all with the one Secret: cert-manager puts every hostname of the
            # listeners naming a Secret on that Secret's certificate.
            "listeners": [
                {
                    "name": name,
                    "hostname": host,
                    "port": gateway.https_port,
                    "protocol": "HTTPS",
                    "tls": {
                        "mode": "Terminate",
                        "certificateRefs": [{"group": "", "kind": "Secret", "name": tls_secret(profile)}],
                    },
                    "allowedRoutes": {"namespaces": {"from": "Same"}},
                }
                for host, name in _listener_names(profile).items()
            ],
        },
    }
