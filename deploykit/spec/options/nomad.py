"""The `nomad:` block of a profile."""

from __future__ import annotations

from pydantic import Field

from deploykit.spec.base import SpecModel


class NomadOptions(SpecModel):
    """Nomad-only settings."""

    datacenters: list[str] = Field(["*"], description="Datacenters the job may run in.")
