"""The `compose:` block of a profile."""

from __future__ import annotations

from pydantic import Field

from deploykit.spec.base import DnsLabel, SpecModel


class ComposeOptions(SpecModel):
    """Docker Compose-only settings."""

    project: DnsLabel | None = Field(None, description="Compose project name (default: the app name).")
