"""What Nomad cannot express, or should not be asked to, is warned about, never dropped silently."""

from __future__ import annotations

from nomad_support import BASE, render


def messages(data: dict) -> list[str]:
    _, findings = render(data)
    return [str(finding) for finding in findings]


def test_labels_and_annotations_are_reported_as_not_rendered():
    found = messages(
        {
            **BASE,
            "replicas": 1,
            "prestart": [],
            "labels": {"team": "core"},
            "annotations": {"example.com/owner": "core"},
        }
    )
    assert found == [
        "labels: Nomad jobs have no labels: not rendered [nomad not-rendered]",
        "annotations: Nomad jobs have no annotations: not rendered [nomad not-rendered]",
    ]


def test_plain_http_on_a_public_host_is_warned_about_but_not_on_a_local_one():
    public = {**BASE, "replicas": 1, "prestart": [], "proxy": {"host": "api.example.com", "tls": "none"}}
    assert messages(public) == [
        "proxy.tls: tls: none serves api.example.com over plain HTTP; use acme or provided for a public host [nomad plain-http]"
    ]
    assert messages({**public, "proxy": {"host": "items.localhost", "tls": "none"}}) == []
