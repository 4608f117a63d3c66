"""The traefik IngressClass gets what Traefik gives the app on Compose and Nomad: the same security
headers and a permanent redirect to https, as Traefik Middleware objects its Ingresses name."""

from __future__ import annotations

from k8s_support import INGRESS_ROUTING, bundled, find, objects_of, variant

from deploykit import traefik


def by_name(objects: list[dict], kind: str) -> dict[str, dict]:
    return {obj["metadata"]["name"]: obj for obj in find(objects, kind)}


def test_tls_ingress_serves_websecure_with_the_headers_and_a_second_ingress_redirects_web():
    objects, _ = objects_of(bundled("staging"))
    ingresses = by_name(objects, "Ingress")
    assert list(ingresses) == ["items-api", "items-api-redirect"]
    main, redirect = ingresses["items-api"], ingresses["items-api-redirect"]
    assert main["metadata"]["annotations"] == {
        "cert-manager.io/cluster-issuer": "letsencrypt-staging",
        "traefik.ingress.kubernetes.io/router.entrypoints": "websecure",
        "traefik.ingress.kubernetes.io/router.middlewares": "items-staging-items-api-headers@kubernetescrd",
        "traefik.ingress.kubernetes.io/router.tls": "true",
    }
    assert redirect["metadata"]["annotations"] == {
        "traefik.ingress.kubernetes.io/router.entrypoints": "web",
        "traefik.ingress.kubernetes.io/router.middlewares": "items-staging-items-api-redirect@kubernetescrd",
    }
    assert redirect["spec"] == {"ingressClassName": "traefik", "rules": main["spec"]["rules"]}
    middlewares = by_name(objects, "Middleware")
    assert middlewares["items-api-redirect"]["spec"] == {"redirectScheme": {"scheme": "https", "permanent": True}}
    assert middlewares["items-api-headers"]["apiVersion"] == "traefik.io/v1alpha1"
    assert middlewares["items-api-headers"]["spec"] == {
        "headers": {
            "contentTypeNosniff": True,
            "frameDeny": True,
            "referrerPolicy": "strict-origin-when-cross-origin",
            "stsSeconds": 31536000,
            "stsIncludeSubdomains": True,
        }
    }
    kinds = [obj["kind"] for obj in objects]
    assert kinds.index("Middleware") < kinds.index("Ingress"), "Middlewares are applied before the Ingresses"


def test_the_headers_are_the_ones_compose_and_nomad_send():
    for loaded in (bundled("staging"), bundled("dev")):
        (headers,) = [obj for obj in objects_of(loaded)[0] if obj["metadata"]["name"] == "items-api-headers"]
        assert headers["spec"]["headers"] == traefik.security_headers(loaded.profile)


def test_plain_http_gets_the_headers_without_hsts_and_no_redirect():
    objects, _ = objects_of(bundled("dev"))
    (ingress,) = find(objects, "Ingress")
    assert ingress["metadata"]["annotations"] == {
        "traefik.ingress.kubernetes.io/router.middlewares": "items-dev-items-api-headers@kubernetescrd"
    }
    (middleware,) = find(objects, "Middleware")
    assert "stsSeconds" not in middleware["spec"]["headers"]


def test_other_ingress_classes_get_no_traefik_objects():
    objects, _ = objects_of(variant("prod", k8s={**INGRESS_ROUTING, "ingress_class": "nginx"}))
    assert [obj["metadata"]["name"] for obj in find(objects, "Ingress")] == ["items-api"]
    assert not find(objects, "Middleware")
    assert not [key for key in find(objects, "Ingress")[0]["metadata"]["annotations"] if key.startswith("traefik.")]


def test_user_annotations_still_win():
    data = variant(
        "staging", k8s={"ingress_annotations": {"traefik.ingress.kubernetes.io/router.middlewares": "mine@file"}}
    )
    main = by_name(objects_of(data)[0], "Ingress")["items-api"]
    assert main["metadata"]["annotations"]["traefik.ingress.kubernetes.io/router.middlewares"] == "mine@file"
