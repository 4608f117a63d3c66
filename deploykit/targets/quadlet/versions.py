"""Which Quadlet keys the units may use, by the oldest Podman they must run on (`quadlet.podman_version`).

Quadlet refuses a key it does not know (`unsupported key 'Memory' in group 'Container'`) and the
unit does not start, so a key newer than the oldest Podman is said another way. Each entry was read
in podman-systemd.unit(5) of the release that added it (docs/source/markdown/podman-systemd.unit.5.md
at containers/podman's v5.4.0 and v5.5.0 tags).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from deploykit.spec.model import Profile

# Key -> (major, minor) of the first Podman whose Quadlet reads it.
KEY_SINCE: dict[str, tuple[int, int]] = {
    # [Container] Memory=: absent from v5.4.0's podman-systemd.unit(5), documented from v5.5.0.
    "Memory": (5, 5),
}


def podman_version(profile: Profile) -> tuple[int, int]:
    """`quadlet.podman_version` as (major, minor); the spec allows only `N.M`."""
    major, minor = profile.quadlet.podman_version.split(".")
    return int(major), int(minor)


def supports(profile: Profile, key: str) -> bool:
    """Whether Quadlet of every Podman from `quadlet.podman_version` on reads `key` (a key of KEY_SINCE)."""
    return podman_version(profile) >= KEY_SINCE[key]
