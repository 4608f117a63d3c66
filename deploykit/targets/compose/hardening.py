"""What every service gets: no privileges, a read-only root file system, and resource limits."""

from __future__ import annotations

from collections.abc import Sequence

from deploykit.spec.quantities import compose_cpus, compose_memory

# /tmp of the proxy's own containers, which write nothing large there.
PROXY_TMP_BYTES = 64 * 2**20


# Docker's default json-file driver keeps every line forever: rotate at 10 MiB, keep 3 files
# (https://docs.docker.com/engine/logging/drivers/json-file/).
LOG_MAX_SIZE = "10m"
LOG_MAX_FILES = 3


def hardening(
    user: str | None,
    tmp_bytes: int,
    memory_bytes: int | None = None,
    writable_paths: Sequence[str] = (),
    read_only: bool = True,
) -> dict:
    """Non-root `user` (when given; else the image's USER), read-only root (unless `read_only` is false)
    with a writable /tmp and `writable_paths` of `tmp_bytes` each at most, no capabilities, no setuid
    gains, rotated logs.

    Each is a tmpfs: memory, charged to the container's memory limit as it fills, never more than its
    size; so it is never larger than `memory_bytes`, the container's limit (a full /tmp beyond it would
    get the container OOM-killed instead of a "no space left" error the app can handle). The writable
    paths are world-writable with the sticky bit (mode 1777), so the image's own USER can write them.
    """
    size = tmp_bytes if memory_bytes is None else min(tmp_bytes, memory_bytes)
    result: dict = {"user": user} if user is not None else {}
    if read_only:
        result["read_only"] = True
    result |= {
        # mode=1777 on the writable paths, whoever the image's user is (Docker's default, said explicitly).
        # Podman 4.3 copies a directory the image already has at that path into the tmpfs: its mode,
        # owned by root, whatever `mode` says (docs/profile-format.md, "Images as they are").
        "tmpfs": [f"/tmp:size={size}", *(f"{path}:size={size},mode=1777" for path in writable_paths)],
        "cap_drop": ["ALL"],
        "security_opt": ["no-new-privileges:true"],
        "logging": {"driver": "json-file", "options": {"max-size": LOG_MAX_SIZE, "max-file": str(LOG_MAX_FILES)}},
    }
    return result


def limits(memory_bytes: int, cpu_millicores: int, pids: int, replicas: int | None = None) -> dict:
    """Memory, CPU and process-count limits of each container (and how many containers, if several).

    Said once, in `deploy.resources.limits`: Compose refuses `mem_limit` or `pids_limit` next to a
    `deploy` limit with another value, and an absent `deploy` pids limit counts as another value.
    """
    deploy: dict = {} if replicas is None else {"replicas": replicas}
    memory = compose_memory(memory_bytes)
    deploy["resources"] = {"limits": {"cpus": compose_cpus(cpu_millicores), "memory": memory, "pids": pids}}
    return {"deploy": deploy}
