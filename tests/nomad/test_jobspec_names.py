"""Every block and attribute name in the rendered jobs is one Nomad's jobspec documents.

The table below was built from Nomad's job specification pages (and the docker driver's page for
`config`); each entry cites its page. A misspelt or invented name fails here, since no Nomad binary
runs on this machine to reject it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pytest
from helpers import bundled, load_data

from deploykit import pipeline

DOCS = "https://developer.hashicorp.com/nomad/docs"


@dataclass(frozen=True)
class BlockSpec:
    """Names allowed in one block. `labelled`: written `name "label" { ... }`."""

    page: str
    attributes: frozenset[str]
    blocks: frozenset[str] = field(default_factory=frozenset)
    labelled: bool = False


def spec(page: str, attributes: str, blocks: str = "", labelled: bool = False) -> BlockSpec:
    return BlockSpec(page, frozenset(attributes.split()), frozenset(blocks.split()), labelled)


JOBSPEC: dict[str, BlockSpec] = {
    "job": spec(
        f"{DOCS}/job-specification/job",
        "all_at_once datacenters name namespace node_pool priority region type vault_token consul_token",
        "affinity constraint group meta migrate multiregion parameterized periodic reschedule spread update vault ui",
        labelled=True,
    ),
    "update": spec(
        f"{DOCS}/job-specification/update",
        "max_parallel health_check min_healthy_time healthy_deadline progress_deadline auto_revert auto_promote canary stagger",
    ),
    "group": spec(
        f"{DOCS}/job-specification/group",
        "count shutdown_delay stop_after_client_disconnect max_client_disconnect prevent_reschedule_on_lost",
        "affinity consul constraint disconnect ephemeral_disk meta migrate network reschedule restart scaling service spread task update vault volume",
        labelled=True,
    ),
    "network": spec(f"{DOCS}/job-specification/network", "mode hostname", "port dns cni"),
    "port": spec(
        f"{DOCS}/job-specification/network#port-parameters", "static to host_network ignore_collision", labelled=True
    ),
    "restart": spec(f"{DOCS}/job-specification/restart", "attempts delay interval mode render_templates"),
    "periodic": spec(f"{DOCS}/job-specification/periodic", "cron crons prohibit_overlap time_zone enabled"),
    "reschedule": spec(
        f"{DOCS}/job-specification/reschedule", "attempts interval delay delay_function max_delay unlimited"
    ),
    "volume": spec(
        f"{DOCS}/job-specification/volume",
        "type source read_only sticky per_alloc access_mode attachment_mode",
        "mount_options",
        labelled=True,
    ),
    "service": spec(
        f"{DOCS}/job-specification/service",
        "name port tags canary_tags enable_tag_override address address_mode task on_update provider cluster",
        "check connect meta canary_meta identity tagged_addresses weights",
    ),
    "check": spec(
        f"{DOCS}/job-specification/check",
        "address_mode args command grpc_service grpc_use_tls initial_status success_before_passing "
        "failures_before_critical failures_before_warning interval method body name notes path expose port "
        "protocol task timeout type tls_server_name tls_skip_verify on_update",
        "check_restart header",
    ),
    "check_restart": spec(f"{DOCS}/job-specification/check_restart", "limit grace ignore_warnings"),
    "task": spec(
        f"{DOCS}/job-specification/task",
        "driver kill_timeout kill_signal leader shutdown_delay user kind",
        "artifact config constraint affinity consul dispatch_payload env identity lifecycle logs meta resources "
        "restart scaling service template vault volume_mount csi_plugin action schedule secret",
        labelled=True,
    ),
    "lifecycle": spec(f"{DOCS}/job-specification/lifecycle", "hook sidecar"),
    "identity": spec(f"{DOCS}/job-specification/identity", "name aud change_mode change_signal env file filepath ttl"),
    "resources": spec(f"{DOCS}/job-specification/resources", "cpu cores memory memory_max secrets", "device numa"),
    "template": spec(
        f"{DOCS}/job-specification/template",
        "change_mode change_signal data destination env error_on_missing_key left_delimiter right_delimiter "
        "perms uid gid source splay vault_grace once",
        "wait change_script",
    ),
    "volume_mount": spec(
        f"{DOCS}/job-specification/volume_mount", "volume destination read_only propagation_mode selinux_label"
    ),
    # The docker driver's task configuration.
    "config": spec(
        f"{DOCS}/drivers/docker#task-configuration",
        "image image_pull_timeout args auth_soft_fail command cpuset_cpus dns_search_domains dns_options dns_servers "
        "entrypoint extra_hosts force_pull group_add hostname init interactive isolation sysctl ulimit privileged "
        "ipc_mode ipv4_address ipv6_address labels load mac_address memory_hard_limit network_aliases network_mode "
        "pid_mode ports security_opt shm_size storage_opt tty uts_mode userns_mode volumes volume_driver work_dir "
        "cap_add cap_drop cpu_hard_limit cpu_cfs_period advertise_ipv6_address readonly_rootfs runtime pids_limit",
        "mount auth logging healthchecks",
    ),
    "mount": spec(
        f"{DOCS}/drivers/docker#mount", "type target source readonly", "bind_options tmpfs_options volume_options"
    ),
    "tmpfs_options": spec(f"{DOCS}/drivers/docker#mount", "size mode"),
}
# `env` holds variables, not jobspec names (https://developer.hashicorp.com/nomad/docs/job-specification/env).
ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
# A check's `header` holds HTTP header names, each a list of values
# (https://developer.hashicorp.com/nomad/docs/job-specification/check#header).
HEADER_NAME = re.compile(r"^[A-Za-z0-9-]+$")


def unknown_names(kind: str, body: dict, where: str = "") -> list[str]:
    """Every name in `body` (a `kind` block) and its descendants that the table does not allow."""
    where = f"{where}/{kind}"
    if kind == "env":
        return [f"{where}.{name}" for name in body if not ENV_NAME.match(name)]
    if kind == "header":
        return [
            f"{where}.{name}"
            for name, values in body.items()
            if not HEADER_NAME.match(name) or not isinstance(values, list)
        ]
    block = JOBSPEC[kind]
    problems = []
    for name, value in body.items():
        if name in block.blocks:
            problems += _children(name, value, where)
        elif name not in block.attributes:
            problems.append(f"{where}.{name} (not in {block.page})")
    return problems


def _children(kind: str, value: object, where: str) -> list[str]:
    if not (isinstance(value, list) and all(isinstance(item, dict) for item in value)):
        return [f"{where}.{kind} is written as an attribute, not a block"]
    problems = []
    for item in value:
        bodies = item.values() if kind in JOBSPEC and JOBSPEC[kind].labelled else [item]
        for body in bodies:
            problems += unknown_names(kind, body, where)
    return problems


# Background processes, scheduled jobs and the prestart batch job: the blocks the bundled profiles lack.
BACKGROUND = {
    "app": "shop",
    "image": "registry.example.com/acme/shop:2.1.0",
    "prestart": [
        {"name": "migrate", "command": ["python", "-m", "migrate"]},
        {"name": "seed", "command": ["python", "-m", "seed"]},
    ],
    "processes": {"worker": {"command": ["celery", "worker"], "replicas": 2}},
    "cron": {"digest": {"schedule": "0 7 * * 1-5", "command": ["python", "-m", "digest"], "timezone": "Europe/Kyiv"}},
    "nomad": {"prestart": "job"},
}


# An image run as it is: its own command and user, writable paths, a script check.
IMAGE_AS_IS = {
    "app": "web",
    "image": "registry.example.com/acme/web:1.0.0",
    "run_as": "image",
    "writable_paths": ["/var/cache/web"],
    "read_only_root": False,
    "health": {"check": "command", "command": ["/bin/healthcheck", "--ready"]},
    "volumes": {"data": {"path": "/var/lib/web", "size": "5Gi"}},
    "prestart": [{"name": "migrate", "command": ["/bin/migrate"]}],
    "proxy": {"host": "web.example.com", "tls": "acme"},
}


def rendered_jobs(env: str) -> list[str]:
    published = {**IMAGE_AS_IS, "proxy": None, "publish": {"port": 8080}, "volumes": {}}
    sources = {"background": BACKGROUND, "image-as-is": IMAGE_AS_IS, "published": published}
    loaded = load_data(sources[env]) if env in sources else bundled(env)
    rendering = pipeline.render(loaded, "nomad").rendering
    return [file.content for file in rendering.files if file.path.endswith(".nomad.hcl")]


@pytest.mark.parametrize("env", ["dev", "staging", "prod", "background", "image-as-is", "published"])
def test_every_name_is_in_the_jobspec(env, parse_hcl):
    for text in rendered_jobs(env):
        parsed = parse_hcl(text)
        assert list(parsed) == ["job"]
        assert [
            problem for job in parsed["job"] for body in job.values() for problem in unknown_names("job", body)
        ] == []


def test_a_misspelt_name_is_caught(parse_hcl):
    text = rendered_jobs("prod")[0].replace("readonly_rootfs", "read_only_rootfs", 1)
    (job,) = parse_hcl(text)["job"]
    problems = unknown_names("job", job["items-api"])
    assert problems == [f"/job/group/task/config.read_only_rootfs (not in {DOCS}/drivers/docker#task-configuration)"]
