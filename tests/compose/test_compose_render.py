"""What the Compose target renders for each choice, and what it warns about."""

from __future__ import annotations

from compose_support import PROVIDED_TLS, VARIANTS, profile_of, project_of, render
from ruamel.yaml import YAML


def _warnings(**fields) -> list[str]:
    _, findings = render(profile_of(**fields))
    return [str(finding) for finding in findings]


def test_same_input_same_bytes():
    first, _ = render(profile_of(**VARIANTS["steps-and-workers"]))
    second, _ = render(profile_of(**VARIANTS["steps-and-workers"]))
    assert first == second


def test_files_per_tls_mode():
    def paths(**fields) -> list[str]:
        rendering, _ = render(profile_of(**fields))
        return [file.path for file in rendering.files]

    assert paths() == ["compose.yaml", "socket-proxy.cfg", "traefik-dynamic.yaml"]
    assert paths(proxy={"host": "items.localhost", "tls": "none"}) == ["compose.yaml", "socket-proxy.cfg"]
    assert paths(compose={"socket_access": "mount"}) == ["compose.yaml", "traefik-dynamic.yaml"]
    assert paths(proxy=None) == ["compose.yaml"]


def test_stdout_is_compose_yaml_alone_when_no_service_reads_a_file():
    rendering, _ = render(profile_of(proxy=None))
    assert [file.path for file in rendering.files] == ["compose.yaml"]
    assert rendering.stdout == rendering.files[0].content


def test_provided_certificate_is_declared_in_the_dynamic_file():
    rendering, _ = render(profile_of(proxy=PROVIDED_TLS))
    dynamic = next(file.content for file in rendering.files if file.path == "traefik-dynamic.yaml")
    assert dynamic == (
        "tls:\n"
        "  options:\n"
        "    default:\n"
        "      minVersion: VersionTLS12\n"
        "  certificates:\n"
        "    - certFile: /etc/traefik/certs/tls.crt\n"
        "      keyFile: /etc/traefik/certs/tls.key\n"
    )


def test_plain_http_serves_only_the_web_entrypoint():
    project = project_of(proxy={"host": "items.localhost", "tls": "none"})
    command = project["services"]["traefik"]["command"]
    assert not [
        argument for argument in command if "websecure" in argument or "redirections" in argument or "acme" in argument
    ]
    labels = project["services"]["items-api"]["labels"]
    assert labels["traefik.http.routers.items-api.entryPoints"] == "web"
    assert not [key for key in labels if key.endswith((".tls", ".stsSeconds"))]
    assert [port["target"] for port in project["services"]["traefik"]["ports"]] == [8080]


def test_no_proxy_means_no_traefik_no_networks_and_no_trust():
    project = project_of(proxy=None)
    assert list(project["services"]) == ["items-api"]
    assert "networks" not in project and "labels" not in project["services"]["items-api"]
    assert "--forwarded-allow-ips" not in project["services"]["items-api"]["command"]


def test_single_worker_gets_the_per_process_memory():
    project = project_of(replicas=1, memory="300Mi")
    assert project["services"]["items-api"]["deploy"]["resources"]["limits"] == {
        "cpus": "0.25",
        "memory": "300m",
        "pids": 128,
    }
    assert project["services"]["items-api"]["command"][-4:-2] == ["--workers", "1"]


def test_warnings():
    assert _warnings() == []
    assert _warnings(proxy={"host": "items.localhost", "tls": "none"}) == []
    assert _warnings(proxy={"host": "api.example.com", "tls": "none"}) == [
        "proxy.tls: tls: none serves api.example.com over plain HTTP; use acme or provided for a host outside this machine [compose plain-http]"
    ]
    assert _warnings(compose={"socket_access": "mount"}) == [
        "compose.socket_access: Traefik mounts the Docker socket: anyone who takes over Traefik controls the host "
        "(a read-only mount still lets every API call through); use socket_access: proxy [compose docker-socket-mounted]"
    ]
    assert _warnings(proxy=PROVIDED_TLS) == [
        "proxy.certificate: relative certificate paths are resolved from the directory holding compose.yaml [compose relative-certificate-path]"
    ]
    assert _warnings(proxy=None) == [
        "proxy: no proxy host: the app gets no route and no published port, so only containers on its network reach it [compose no-route]"
    ]
    # Let's Encrypt validates on 443 (TLS-ALPN) or 80 (HTTP), whatever port Traefik is published on.
    assert _warnings(compose={"https_port": 8443}) == [
        "compose.https_port: Let's Encrypt checks the tls-alpn challenge on port 443, and Traefik is published on 8443: "
        "certificates are only issued if something forwards port 443 to it [compose acme-nonstandard-ports]"
    ]
    assert _warnings(compose={"acme_challenge": "http", "https_port": 8443}) == []
    assert _warnings(compose={"acme_challenge": "http", "http_port": 8080}) == [
        "compose.http_port: Let's Encrypt checks the http challenge on port 80, and Traefik is published on 8080: "
        "certificates are only issued if something forwards port 80 to it [compose acme-nonstandard-ports]"
    ]
    assert (
        _warnings(
            proxy={**PROVIDED_TLS, "certificate": {"cert_file": "/a.crt", "key_file": "/a.key"}},
            compose={"https_port": 8443},
        )
        == []
    )
    assert _warnings(**VARIANTS["external-secrets"]) == [
        "compose.secrets_source: external secrets exist only in Swarm mode (`docker stack deploy`); `docker compose up` "
        "refuses them. Use secrets_source: file on a single server [compose swarm-only-secrets]"
    ]


def test_acme_without_an_email_registers_without_one():
    project = project_of(proxy={"host": "api.example.com", "tls": "acme"})
    flags = project["services"]["traefik"]["command"]
    assert not any(".acme.email=" in flag for flag in flags)
    assert any(flag.endswith(".acme.storage=/letsencrypt/acme.json") for flag in flags)
    assert any(flag.endswith(".acme.tlsChallenge=true") for flag in flags)


def test_an_image_as_it_is_keeps_its_user_and_gets_its_writable_paths():
    project = project_of(**VARIANTS["image-as-is"])
    app = project["services"]["items-api"]
    assert "user" not in app and "command" not in app
    assert app["read_only"] is True
    # Each tmpfs as large as tmp_size, never beyond the container's memory (256Mi here).
    assert app["tmpfs"] == [
        "/tmp:size=268435456",
        "/var/cache/app:size=268435456,mode=1777",
        "/var/run/app:size=268435456,mode=1777",
    ]
    # The default: deploykit's non-root user and /tmp only.
    default = project_of()["services"]["items-api"]
    assert default["user"] == "10001:10001" and default["tmpfs"] == ["/tmp:size=268435456"]


def test_a_writable_root_is_left_writable_with_a_warning():
    rendering, findings = render(profile_of(read_only_root=False))
    app = YAML(typ="safe", pure=True).load(rendering.files[0].content)["services"]["items-api"]
    assert "read_only" not in app
    assert [(finding.path, finding.code) for finding in findings if finding.code == "writable-root"] == [
        (("read_only_root",), "writable-root")
    ]
