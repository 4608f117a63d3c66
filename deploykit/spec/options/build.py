"""The `build:` block of a profile (the `dockerfile` target)."""

from __future__ import annotations

from pydantic import Field

from deploykit.spec.base import SpecModel


class BuildOptions(SpecModel):
    """How the app's image is built."""

    requirements: str = Field("requirements.txt", description="Requirements file, relative to the build context.")
