"""The files services read besides the image: Traefik's dynamic configuration, the socket proxy's
haproxy configuration and the scheduler's cron.yaml, each a top-level Compose `configs:` entry.

Written to a directory, each entry is `file: ./NAME`, the file beside compose.yaml: Compose
bind-mounts it, which a `read_only` service accepts. On stdout each is `content:`, so the one
document stands alone for review and `docker compose -f - config`; Compose copies such content into
the container at `up`, which it refuses for a `read_only` service, so deploy the directory form.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from deploykit.spec.background import scheduled_jobs
from deploykit.targets.compose import naming, socket_proxy, traefik
from deploykit.targets.compose.background import CRON_FILE, CRON_PATH, SCHEDULER, cron_configuration, scheduler_kind
from deploykit.targets.compose.check import is_exposed
from deploykit.targets.compose.escaping import literal
from deploykit.yamldump import dump

if TYPE_CHECKING:
    from deploykit.spec.model import Profile

# The first line of the one-document form, saying what it is for.
STDOUT_NOTE = (
    "# One document, its files inlined as `configs: content:`, for review and `docker compose -f - config`.\n"
    "# Deploy `deploykit render compose -o DIR`: Compose refuses inlined configs in read-only services at `up`.\n"
)


@dataclass(frozen=True)
class ConfigFile:
    """One file a service reads, as a Compose config."""

    key: str  # the top-level `configs:` key
    path: str  # the file written beside compose.yaml
    service: str  # the service that reads it
    target: str  # where that service reads it
    content: str


def config_files(profile: Profile) -> list[ConfigFile]:
    """The files the project's services read, in the order they are written."""
    files = []
    if is_exposed(profile):
        if profile.compose.socket_access == "proxy":
            files.append(
                ConfigFile(
                    "socket-proxy",
                    socket_proxy.CONFIG_FILE,
                    naming.SOCKET_PROXY,
                    socket_proxy.CONFIG_PATH,
                    socket_proxy.render_config(),
                )
            )
        dynamic = traefik.dynamic_configuration(profile)
        if dynamic is not None:
            files.append(
                ConfigFile("traefik-dynamic", traefik.DYNAMIC_FILE, naming.TRAEFIK, traefik.DYNAMIC_PATH, dump(dynamic))
            )
    jobs = scheduled_jobs(profile)
    if jobs and scheduler_kind(profile) == "yacron":
        files.append(ConfigFile("cron", CRON_FILE, SCHEDULER, CRON_PATH, dump(cron_configuration(profile, jobs))))
    return files


def attach(document: dict, files: list[ConfigFile], *, inline: bool) -> None:
    """Mount each file in its service and declare it at the top level, by path or inlined."""
    if not files:
        return
    for file in files:
        service = document["services"][file.service]
        service["configs"] = [*service.get("configs", []), {"source": file.key, "target": file.target}]
    # `content:` is interpolated like the rest of the file: every `$` is doubled.
    document["configs"] = {
        file.key: {"content": literal(file.content)} if inline else {"file": f"./{file.path}"} for file in files
    }
