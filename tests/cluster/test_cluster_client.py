"""Connecting: malformed kubeconfigs and a server that never answers (in process; the CLI tests cover the rest)."""

from __future__ import annotations

import socket
import time
from pathlib import Path

import pytest

from deploykit.cluster import client
from deploykit.errors import DeployKitError


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (
            "clusters: [\n",
            "invalid YAML: while parsing a flow node expected the node content, but found '<stream end>' in \"{file}\", line 2, column 1",
        ),
        ("- a\n- b\n", "expected a mapping with clusters, contexts and users"),
        ("apiVersion: v1\nkind: Config\n", "Invalid kube-config file. Expected key current-context in {file}"),
    ],
)
def test_a_malformed_kubeconfig_is_a_one_line_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, content: str, problem: str
):
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(content)
    monkeypatch.setenv("KUBECONFIG", str(kubeconfig))
    with pytest.raises(DeployKitError) as raised, client.connect(None):
        pass
    assert str(raised.value) == f"cannot use the kubeconfig ({kubeconfig}): " + problem.format(file=kubeconfig)


def test_a_server_that_accepts_but_never_answers_fails_in_bounded_time(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    with socket.create_server(("127.0.0.1", 0)) as silent:  # listens (the kernel accepts) and never replies
        port = silent.getsockname()[1]
        kubeconfig = tmp_path / "kubeconfig"
        kubeconfig.write_text(
            "apiVersion: v1\nkind: Config\n"
            f"clusters:\n- name: silent\n  cluster: {{server: 'http://127.0.0.1:{port}'}}\n"
            "contexts:\n- name: silent\n  context: {cluster: silent, user: tester}\n"
            "current-context: silent\nusers:\n- name: tester\n  user: {token: test-token}\n"
        )
        monkeypatch.setenv("KUBECONFIG", str(kubeconfig))
        monkeypatch.setattr(client, "REQUEST_TIMEOUT", (0.5, 0.5))
        started = time.monotonic()
        with pytest.raises(DeployKitError) as raised, client.connect(None):
            pass
        elapsed = time.monotonic() - started
    assert (
        str(raised.value)
        == f"API discovery: cannot reach the Kubernetes API server at http://127.0.0.1:{port}: timed out"
    )
    assert elapsed < 5  # two tries of half a second each, plus start-up
