"""The rendered job, read back with HashiCorp's HCL parser: what each block holds, and the errors users get."""

from __future__ import annotations

import copy

import pytest
from hcl_reader import hcl_literal
from helpers import render_data, run_cli
from nomad_support import BASE, only, render, tasks

from deploykit.errors import DeployKitError


def job_of(parse_hcl, data: dict) -> dict:
    rendering, _ = render(data)
    _, job = only(parse_hcl(rendering.files[0].content)["job"])
    return job


def with_changes(**changes) -> dict:
    """BASE with top-level fields replaced whole."""
    return {**copy.deepcopy(BASE), **changes}


def test_a_parked_environment_is_a_group_count_of_zero(parse_hcl):
    job = job_of(parse_hcl, with_changes(replicas=0))
    _, group = only(job["group"])
    assert group["count"] == 0


def test_job_update_group_and_service(parse_hcl):
    job = job_of(parse_hcl, BASE)
    assert job["type"] == "service"
    assert job["datacenters"] == ["*"]
    assert "namespace" not in job and "region" not in job and "node_pool" not in job
    assert job["update"] == [
        {
            "max_parallel": 1,
            "health_check": "checks",
            "min_healthy_time": "10s",
            "healthy_deadline": "300s",
            "progress_deadline": "600s",
            "auto_revert": True,
            "canary": 0,
        }
    ]
    name, group = only(job["group"])
    assert name == "items-api"
    assert group["count"] == 3
    assert "shutdown_delay" not in group and "service" not in group
    assert group["network"] == [{"port": [{"http": {"to": 8000}}]}]
    assert group["restart"] == [{"attempts": 3, "interval": "5m", "delay": "15s", "mode": "fail"}]
    assert group["reschedule"] == [
        {"delay": "30s", "delay_function": "exponential", "max_delay": "1h", "unlimited": True}
    ]
    # The app's task owns the service: its check_restart grace starts when the app starts, after the
    # prestart steps, and shutdown_delay deregisters it before the task is signalled.
    app = tasks(job)["items-api"]
    assert app["shutdown_delay"] == "15s"
    (service,) = app["service"]
    assert (service["name"], service["provider"], service["port"]) == ("items-api", "nomad", "http")
    assert service["canary_tags"] == ["traefik.enable=false"]
    assert service["tags"] == [
        "traefik.enable=true",
        "traefik.http.middlewares.items-api-headers.headers.contentTypeNosniff=true",
        "traefik.http.middlewares.items-api-headers.headers.frameDeny=true",
        "traefik.http.middlewares.items-api-headers.headers.referrerPolicy=strict-origin-when-cross-origin",
        "traefik.http.middlewares.items-api-headers.headers.stsIncludeSubdomains=true",
        "traefik.http.middlewares.items-api-headers.headers.stsSeconds=31536000",
        "traefik.http.middlewares.items-api-retry.retry.attempts=3",
        "traefik.http.middlewares.items-api-retry.retry.initialInterval=100ms",
        "traefik.http.routers.items-api.entryPoints=websecure",
        "traefik.http.routers.items-api.middlewares=items-api-headers,items-api-retry",
        "traefik.http.routers.items-api.rule=Host(`api.example.com`)",
        "traefik.http.routers.items-api.service=items-api",
        "traefik.http.routers.items-api.tls.certResolver=le",
        "traefik.http.routers.items-api.tls=true",
        "traefik.http.services.items-api.loadbalancer.healthCheck.hostname=api.example.com",
        "traefik.http.services.items-api.loadbalancer.healthCheck.interval=10s",
        "traefik.http.services.items-api.loadbalancer.healthCheck.path=/readyz",
        "traefik.http.services.items-api.loadbalancer.healthCheck.timeout=2s",
    ]
    assert service["check"] == [
        # The public host as Host (Nomad would send the node's address, which host-checking apps refuse).
        {
            "name": "ready",
            "type": "http",
            "path": "/readyz",
            "interval": "10s",
            "timeout": "2s",
            "header": [{"Host": ["api.example.com"]}],
        },
        {
            "name": "alive",
            "type": "http",
            "path": "/healthz",
            "interval": "10s",
            "timeout": "2s",
            "header": [{"Host": ["api.example.com"]}],
            "check_restart": [{"limit": 3, "grace": "60s"}],
        },
    ]


def test_tasks_prestart_first_then_one_hardened_app_process(parse_hcl):
    found = tasks(job_of(parse_hcl, with_changes(memory="300M", cpu="1.5")))
    # Task order means nothing to Nomad (HCL's JSON syntax does not keep it): the lifecycle hook runs migrate first.
    assert sorted(found) == ["items-api", "migrate"]
    migrate, app = found["migrate"], found["items-api"]
    assert migrate["lifecycle"] == [{"hook": "prestart", "sidecar": False}]
    assert "lifecycle" not in app
    assert migrate["config"][0]["command"] == "python"
    assert migrate["config"][0]["args"] == ["-m", "app.migrate"]
    assert "ports" not in migrate["config"][0]
    (config,) = app["config"]
    assert config["image"] == "registry.example.com/acme/items-api:1.4.2"
    assert (config["command"], config["args"]) == (
        "fastapi",
        # The Traefik nodes, and the Docker bridge a Traefik on the same node connects from.
        [
            "run",
            "app/main.py",
            "--port",
            "8000",
            "--workers",
            "1",
            "--forwarded-allow-ips",
            "10.10.0.0/24,172.17.0.0/16",
        ],
    )
    assert config["ports"] == ["http"]
    for task in (migrate, app):
        (config,) = task["config"]
        assert config["readonly_rootfs"] is True
        assert config["cap_drop"] == ["ALL"]
        assert config["security_opt"] == ["no-new-privileges"]
        assert config["pids_limit"] == 1024
        # tmp_size, 1Gi by default, cut to the task's memory (300M): a tmpfs is memory charged to the task.
        assert config["mount"] == [
            {"type": "tmpfs", "target": "/tmp", "readonly": False, "tmpfs_options": [{"size": 300000000}]}
        ]
        assert "privileged" not in config and "network_mode" not in config
        assert (task["driver"], task["user"], task["kill_timeout"]) == ("docker", "10001:10001", "30s")
        # 300M = 286.1 MiB, rounded up; 1.5 cores at 1000 MHz per core.
        assert task["resources"] == [{"cpu": 1500, "memory": 287}]
        assert task["env"] == [{"FORWARDED_ALLOW_IPS": "10.10.0.0/24,172.17.0.0/16", "LOG_LEVEL": "info"}]


def test_secrets_come_from_nomad_variables_never_literals(parse_hcl):
    data = with_changes(
        secrets={
            "DATABASE_URL": {"secret": "items-db", "key": "url"},
            "API_TOKEN": {"secret": "items-db", "key": "api-token"},
            "SMTP_PASSWORD": {"secret": "mail", "key": "password"},
        }
    )
    app = tasks(job_of(parse_hcl, data))["items-api"]
    assert app["template"] == [
        {
            "data": '{{ with nomadVar "nomad/jobs/items-api/items-db" }}\n'
            'API_TOKEN={{ index . "api-token" | toJSON }}\n'
            'DATABASE_URL={{ index . "url" | toJSON }}\n'
            "{{ end }}\n"
            '{{ with nomadVar "nomad/jobs/items-api/mail" }}\n'
            'SMTP_PASSWORD={{ index . "password" | toJSON }}\n'
            "{{ end }}\n",
            "destination": "secrets/app.env",
            "env": True,
            "change_mode": "restart",
            "splay": "300s",
        }
    ]
    assert set(app["env"][0]) == {"FORWARDED_ALLOW_IPS", "LOG_LEVEL"}


def test_secret_files_are_one_template_per_key_owned_by_the_app_user(parse_hcl):
    data = with_changes(
        secrets={
            "DATABASE_URL": {"secret": "items-db", "key": "url"},
            "DATABASE_URL_COPY": {"secret": "items-db", "key": "url"},
            "SMTP_PASSWORD": {"secret": "mail", "key": "password"},
        },
        secrets_as="file",
    )
    app = tasks(job_of(parse_hcl, data))["items-api"]
    assert app["template"] == [
        {
            "data": '{{ with nomadVar "nomad/jobs/items-api/items-db" }}{{ index . "url" }}{{ end }}',
            "destination": "secrets/items-db__url",
            "env": False,
            "change_mode": "restart",
            "splay": "300s",
            "perms": "0400",
            "uid": 10001,
            "gid": 10001,
        },
        {
            "data": '{{ with nomadVar "nomad/jobs/items-api/mail" }}{{ index . "password" }}{{ end }}',
            "destination": "secrets/mail__password",
            "env": False,
            "change_mode": "restart",
            "splay": "300s",
            "perms": "0400",
            "uid": 10001,
            "gid": 10001,
        },
    ]
    # The docker driver mounts the task's secrets/ directory at /secrets.
    assert app["env"] == [
        {
            "DATABASE_URL_COPY_FILE": "/secrets/items-db__url",
            "DATABASE_URL_FILE": "/secrets/items-db__url",
            "FORWARDED_ALLOW_IPS": "10.10.0.0/24,172.17.0.0/16",
            "LOG_LEVEL": "info",
            "SMTP_PASSWORD_FILE": "/secrets/mail__password",
        }
    ]


def test_no_secrets_no_template_and_no_proxy_no_tags(parse_hcl):
    data = with_changes(secrets={}, proxy=None, nomad={}, health={"path": "/healthz"})
    (service,) = tasks(job_of(parse_hcl, data))["items-api"]["service"]
    assert service["tags"] == [] and service["canary_tags"] == []
    assert service["check"] == [
        {
            "name": "healthy",
            "type": "http",
            "path": "/healthz",
            "interval": "10s",
            "timeout": "2s",
            "check_restart": [{"limit": 3, "grace": "60s"}],
        }
    ]
    app = tasks(job_of(parse_hcl, data))["items-api"]
    assert "template" not in app
    assert app["env"] == [{"LOG_LEVEL": "info"}]


def test_placement_canaries_and_cpu_override(parse_hcl):
    data = with_changes(
        nomad={
            "forwarded_allow_ips": "10.10.0.0/24",
            "datacenters": ["eu-*"],
            "namespace": "items",
            "region": "eu",
            "node_pool": "web",
            "canary": 2,
            "auto_promote": True,
            "cpu_mhz": 700,
            "min_healthy_seconds": 20,
            "healthy_deadline_seconds": 120,
            "progress_deadline_seconds": 240,
        }
    )
    job = job_of(parse_hcl, data)
    assert (job["datacenters"], job["namespace"], job["region"], job["node_pool"]) == (["eu-*"], "items", "eu", "web")
    update = job["update"][0]
    assert (
        update["canary"],
        update["auto_promote"],
        update["min_healthy_time"],
        update["healthy_deadline"],
        update["progress_deadline"],
    ) == (2, True, "20s", "120s", "240s")
    assert tasks(job)["items-api"]["resources"][0]["cpu"] == 700


def test_plain_http_router_for_tls_none(parse_hcl):
    data = with_changes(proxy={"host": "items.localhost", "tls": "none", "email": None})
    tags = tasks(job_of(parse_hcl, data))["items-api"]["service"][0]["tags"]
    assert "traefik.http.routers.items-api.entryPoints=web" in tags
    # The same security headers as over TLS, except HSTS, which browsers ignore over plain HTTP.
    assert not [tag for tag in tags if ".tls" in tag or ".sts" in tag]
    assert "traefik.http.routers.items-api.middlewares=items-api-headers,items-api-retry" in tags


def test_runtime_interpolation_is_refused():
    with pytest.raises(DeployKitError) as raised:
        render(with_changes(env={"GREETING": "hello ${NOMAD_TASK_NAME}"}))
    assert str(raised.value) == (
        "profile.yaml:1:1: env.GREETING: ${NOMAD_TASK_NAME} would be replaced by Nomad when the task starts (Nomad interpolates ${name} in "
        "task config and env, and has no escape for it); write $NOMAD_TASK_NAME for a shell, or remove it"
    )
    with pytest.raises(DeployKitError) as raised:
        render(with_changes(prestart=[{"name": "migrate", "command": ["sh", "-c", "echo ${attr.kernel.name}"]}]))
    assert str(raised.value).startswith(
        "profile.yaml:1:1: prestart[0].command[2]: ${attr.kernel.name} would be replaced by Nomad"
    )


@pytest.mark.parametrize(
    ("changes", "path"),
    [
        (
            {"processes": {"worker": {"command": ["celery", "-n", "${node.unique.name}"]}}},
            "processes.worker.command[2]",
        ),
        (
            {"processes": {"worker": {"command": ["celery"], "env": {"NODE": "${attr.kernel.name}"}}}},
            "processes.worker.env.NODE",
        ),
        (
            {"cron": {"sweep": {"command": ["sh", "-c", "echo ${NOMAD_ALLOC_ID}"], "schedule": "0 3 * * *"}}},
            "cron.sweep.command[2]",
        ),
        (
            {"cron": {"sweep": {"command": ["sweep"], "schedule": "0 3 * * *", "env": {"A": "${meta.x}"}}}},
            "cron.sweep.env.A",
        ),
    ],
)
def test_runtime_interpolation_is_refused_in_processes_and_cron(changes, path):
    with pytest.raises(DeployKitError) as raised:
        render(with_changes(**changes))
    assert str(raised.value).startswith(f"profile.yaml:1:1: {path}: $" + "{")
    assert "would be replaced by Nomad when the task starts" in str(raised.value)


def test_other_dollar_braces_reach_the_task_literally(parse_hcl):
    value = "${not a reference} %{if x} $$ 100% {{ x }}"
    app = tasks(job_of(parse_hcl, with_changes(env={"TEXT": value})))["items-api"]
    assert hcl_literal(app["env"][0]["TEXT"]) == value


def test_secret_names_nomad_cannot_store_are_refused():
    with pytest.raises(DeployKitError) as raised:
        render(with_changes(secrets={"DATABASE_URL": {"secret": "items.db", "key": "url"}}))
    assert str(raised.value) == (
        "profile.yaml:1:1: secrets.DATABASE_URL.secret: 'nomad/jobs/items-api/items.db' is not a valid Nomad variable path (letters, digits, "
        "'-', '_', '~' and '/', at most 128 characters); rename the secret or set nomad.variables_path"
    )


@pytest.mark.parametrize(
    ("profile", "message"),
    [
        (
            "nomad:\n  healthy_deadline_seconds: 600\n",
            "p.yaml:4:3: nomad.healthy_deadline_seconds: must be less than nomad.progress_deadline_seconds",
        ),
        (
            "nomad:\n  docker_bridge: 172.17.0.1/16\n",
            "p.yaml:4:3: nomad.docker_bridge: '172.17.0.1/16' is not a network in CIDR notation (172.17.0.1/16 has host bits set)",
        ),
    ],
)
def test_cli_errors_name_file_line_and_field(tmp_path, profile, message):
    (tmp_path / "p.yaml").write_text("app: items-api\nimage: registry.example.com/items-api:1.0.0\n" + profile)
    result = run_cli("render", "nomad", "-p", "p.yaml", cwd=tmp_path)
    assert (result.returncode, result.stdout, result.stderr) == (2, "", f"error: {message}\n")


def test_warnings():
    _, findings = render(with_changes(shutdown_seconds=45))
    assert [str(finding) for finding in findings] == [
        "shutdown_seconds: Nomad clients cap kill_timeout at their max_kill_timeout (30s unless raised in the client configuration) [nomad kill-timeout-capped]",
        "prestart: prestart tasks run in every allocation (web, processes and periodic runs), concurrently: each step must take a lock (e.g. a Postgres advisory lock) [nomad concurrent-prestart]",
    ]


def test_without_the_traefik_nodes_only_traefik_on_the_same_node_is_trusted(parse_hcl):
    data = with_changes(nomad={}, proxy={"host": "items.localhost", "tls": "none"})
    output = render_data(data, "nomad")
    (app,) = [task for name, task in tasks(job_of(parse_hcl, data)).items() if name == "items-api"]
    assert app["env"][0]["FORWARDED_ALLOW_IPS"] == "172.17.0.0/16"
    assert [str(finding) for finding in output.findings if finding.code == "same-node-trust"] == [
        "nomad.forwarded_allow_ips: not set: only Traefik on the allocation's own node (172.17.0.0/16) is trusted, so "
        "requests Traefik routes from other nodes reach the app as plain HTTP from the node's address; set it to the "
        "Traefik nodes' addresses or CIDR [nomad same-node-trust]"
    ]
    # A bridge that is not Docker's default, or none.
    bridged = with_changes(nomad={"forwarded_allow_ips": "10.0.0.0/8", "docker_bridge": "172.18.0.0/16"})
    assert tasks(job_of(parse_hcl, bridged))["items-api"]["env"][0]["FORWARDED_ALLOW_IPS"] == "10.0.0.0/8,172.18.0.0/16"
    alone = with_changes(nomad={"forwarded_allow_ips": "10.0.0.0/8", "docker_bridge": "none"})
    assert tasks(job_of(parse_hcl, alone))["items-api"]["env"][0]["FORWARDED_ALLOW_IPS"] == "10.0.0.0/8"
    assert all(finding.code != "same-node-trust" for finding in render_data(alone, "nomad").findings)


def test_a_profile_file_turns_the_bridge_trust_off_with_none(tmp_path):
    (tmp_path / "p.yaml").write_text(
        "app: items-api\nimage: registry.example.com/items-api:1.0.0\nproxy: {host: items.localhost, tls: none}\n"
        "nomad: {forwarded_allow_ips: 10.0.0.0/8, docker_bridge: none}\n"
    )
    result = run_cli("render", "nomad", "-p", "p.yaml", cwd=tmp_path)
    assert (result.returncode, result.stderr) == (0, "")
    assert 'FORWARDED_ALLOW_IPS = "10.0.0.0/8"' in result.stdout


def test_a_startup_budget_beyond_the_healthy_deadline_is_warned():
    data = with_changes(health={**BASE["health"], "startup_seconds": 300})
    assert [str(finding) for finding in render(data)[1] if finding.code == "startup-beyond-deadline"] == [
        "health.startup_seconds: 300s is not less than nomad.healthy_deadline_seconds (300s), which counts the app's "
        "start and the prestart steps before it: a deployment fails allocations that are still starting; raise "
        "healthy_deadline_seconds [nomad startup-beyond-deadline]"
    ]
    longer = with_changes(
        health={**BASE["health"], "startup_seconds": 300}, nomad={**BASE["nomad"], "healthy_deadline_seconds": 400}
    )
    assert all(finding.code != "startup-beyond-deadline" for finding in render(longer)[1])


def test_the_traefik_system_job_keeps_restarting_instead_of_failing(parse_hcl):
    rendering, _ = render(with_changes(nomad={"forwarded_allow_ips": "10.10.0.0/24", "proxy": "job"}))
    traefik = only(parse_hcl(rendering.files[1].content)["job"])[1]
    assert traefik["type"] == "system"
    # A system job is never rescheduled: "fail" would leave the node without ingress after 3 crashes.
    assert only(traefik["group"])[1]["restart"] == [{"attempts": 3, "interval": "5m", "delay": "15s", "mode": "delay"}]


def test_output_files_and_stdout(parse_hcl, tmp_path):
    data = with_changes(nomad={"forwarded_allow_ips": "10.10.0.0/24", "proxy": "job"})
    rendering, _ = render(data)
    assert [file.path for file in rendering.files] == [
        "items-api.nomad.hcl",
        "traefik.nomad.hcl",
        "items-api-variables.policy.hcl",
    ]
    assert rendering.stdout == rendering.files[0].content + "\n" + rendering.files[1].content
    again, _ = render(data)
    assert again == rendering


def test_an_image_as_it_is_runs_its_own_command_and_user_with_its_writable_paths(parse_hcl):
    job = job_of(
        parse_hcl,
        with_changes(
            command=None,
            run_as="image",
            writable_paths=["/var/cache/app"],
            read_only_root=False,
            secrets_as="file",
            prestart=[],
        ),
    )
    app = tasks(job)["items-api"]
    config = app["config"][0]
    assert "command" not in config and "args" not in config and "user" not in app
    assert config["readonly_rootfs"] is False
    assert [(mount["type"], mount["target"]) for mount in config["mount"]] == [
        ("tmpfs", "/tmp"),
        ("tmpfs", "/var/cache/app"),
    ]


def test_host_names_and_a_prefix_are_traefik_tags_nomad_leaves_alone(parse_hcl):
    """Aliases, a redirected host and a stripped prefix, read back by HCL's parser: the redirect's `$1`
    groups stay as written (a `${1}` would be Nomad's run-time interpolation)."""
    proxy = {**BASE["proxy"], "aliases": ["www.api.example.com"], "redirects": ["old-api.example.com"]}
    proxy |= {"path_prefix": "/v1", "strip_prefix": True}
    (service,) = tasks(job_of(parse_hcl, with_changes(proxy=proxy)))["items-api"]["service"]
    host = proxy["host"]
    under = "(Path(`/v1`) || PathPrefix(`/v1/`))"
    expected = {
        f"traefik.http.routers.items-api.rule=(Host(`{host}`) || Host(`www.api.example.com`)) && {under}",
        "traefik.http.routers.items-api.middlewares=items-api-headers,items-api-strip,items-api-retry",
        "traefik.http.middlewares.items-api-strip.stripPrefix.prefixes=/v1",
        f"traefik.http.routers.items-api-moved.rule=Host(`old-api.example.com`) && {under}",
        "traefik.http.routers.items-api-moved.middlewares=items-api-headers,items-api-moved",
        "traefik.http.middlewares.items-api-moved.redirectRegex.regex=^(https?)://[^/:]+(:[0-9]+)?(.*)$",
        f"traefik.http.middlewares.items-api-moved.redirectRegex.replacement=$1://{host}$2$3",
        "traefik.http.middlewares.items-api-moved.redirectRegex.permanent=true",
    }
    assert expected <= set(service["tags"])
    assert f"traefik.http.services.items-api.loadbalancer.healthCheck.hostname={host}" in service["tags"]
