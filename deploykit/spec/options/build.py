"""The `build:` block of a profile (the `dockerfile` target).

Every value here ends up as a bare word in a Dockerfile instruction (FROM, WORKDIR, COPY, USER) or in
the shell command of a RUN line, where quoting rules differ per instruction and `$` is expanded. So
each field accepts only an alphabet that needs no quoting anywhere: the validators below are the
Dockerfile's safety, not a matter of taste.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Annotated

from pydantic import AfterValidator, BeforeValidator, Field, WithJsonSchema

from deploykit.spec.base import Command, ImageReference, SpecModel, text_schema

# One path segment: no leading '.', so '.', '..' and hidden files are out; nothing a shell, a glob
# (.dockerignore patterns) or Dockerfile variable expansion would read specially.
_SEGMENT = r"[A-Za-z0-9_][A-Za-z0-9._-]*"
# `./app` is how FastAPI's page writes it: the optional `./` is accepted, and dropped after checking.
_RELATIVE_PATH = re.compile(rf"^(?:\./)?{_SEGMENT}(?:/{_SEGMENT})*$")
_ABSOLUTE_PATH = re.compile(rf"^(?:/{_SEGMENT})+$")
# A Debian package name (Debian Policy 5.6.1), optionally pinned: `name=version`. A version starts
# with a digit (an epoch `1:` included) and holds no shell or glob characters (apt accepts `1.2*`).
_APT_PACKAGE = re.compile(r"^[a-z0-9][a-z0-9+.-]+(?:=[0-9][A-Za-z0-9.+~:-]*)?$")
# A POSIX portable user name, as Debian's useradd accepts it by default; never root.
_USER_NAME = re.compile(r"^(?!root$)[a-z_][a-z0-9_-]{0,31}$")


def _matching(pattern: re.Pattern[str], max_length: int, problem: str) -> Callable[[str], str]:
    """A validator for strings of at most `max_length` characters that match `pattern`."""

    def check(value: str) -> str:
        # fullmatch, not match: `$` also matches before a trailing newline ("curl\n" from a `|` block).
        if len(value) > max_length or not pattern.fullmatch(value):
            raise ValueError(f"{value!r} {problem}")
        return value

    return check


def package_name(entry: str) -> str:
    """The package name of a validated `name` or `name=version` entry."""
    return entry.split("=", 1)[0]


def package_version(entry: str) -> str | None:
    """The pinned version of a validated entry, or None when it is not pinned."""
    _, _, version = entry.partition("=")
    return version or None


def _unique_packages(entries: list[str]) -> list[str]:
    seen: set[str] = set()
    for entry in entries:
        name = package_name(entry)
        if name in seen:
            raise ValueError(f"{name!r} is listed more than once")
        seen.add(name)
    return entries


RelativePath = Annotated[
    str,
    AfterValidator(
        _matching(
            _RELATIVE_PATH,
            1024,
            "is not a path inside the build context: use letters, digits, '.', '_', '-' and '/', "
            "relative (no leading '/'), with no '..' or hidden ('.'-prefixed) parts",
        )
    ),
    AfterValidator(lambda path: path.removeprefix("./")),
    text_schema(_RELATIVE_PATH.pattern, 1024),
]
AbsoluteDirectory = Annotated[
    str,
    AfterValidator(
        _matching(
            _ABSOLUTE_PATH,
            1024,
            "is not an absolute directory such as /code: start with '/', use letters, digits, "
            "'.', '_', '-' and '/', with no '..', hidden parts or trailing '/'",
        )
    ),
    text_schema(_ABSOLUTE_PATH.pattern, 1024),
]
AptPackage = Annotated[
    str,
    AfterValidator(
        _matching(
            _APT_PACKAGE,
            256,
            "is not a Debian package: write name or name=version (lowercase letters, digits, '+', '-', '.'; versions start with a digit)",
        )
    ),
    text_schema(_APT_PACKAGE.pattern, 256),
]
UserName = Annotated[
    str,
    AfterValidator(
        _matching(
            _USER_NAME,
            32,
            "is not a user name for the app: use up to 32 lowercase letters, digits, '_' and '-', not root",
        )
    ),
    text_schema(_USER_NAME.pattern, 32),
]


# A build-time command: exec form, so no shell reads it; one Dockerfile RUN line each.
BuildCommand = Command


def _as_list(value: object) -> object:
    """`app_path: app` means `[app]`."""
    return [value] if isinstance(value, str) else value


_PATH_SCHEMA = {"type": "string", "maxLength": 1024, "pattern": _RELATIVE_PATH.pattern}
# One path or several; a list inside, so nothing downstream handles two shapes.
AppPaths = Annotated[
    list[RelativePath],
    BeforeValidator(_as_list),
    Field(min_length=1, max_length=32),
    WithJsonSchema({"anyOf": [_PATH_SCHEMA, {"type": "array", "items": _PATH_SCHEMA, "minItems": 1, "maxItems": 32}]}),
]


class BuildOptions(SpecModel):
    """How the app's image is built: the Dockerfile and .dockerignore of the `dockerfile` target."""

    base_image: ImageReference = Field(
        "python:3.12-slim-bookworm",
        description="Image the app's image starts FROM: an official Python image, pinned by tag (not `latest`) or digest. "
        "It must provide python, pip, useradd and (with system_packages) apt-get.",
    )
    requirements: RelativePath = Field(
        "requirements.txt",
        description="Requirements file, relative to the build context. It is copied and installed before the code, "
        "so dependency layers stay cached while only the code changes. It cannot include other files (`-r other.txt`).",
    )
    app_path: AppPaths = Field(
        ["app"],
        description="File or directory holding the application code, or a list of them (a Django project: "
        "[manage.py, shop, templates]), relative to the build context; each is copied to the same path under "
        "`workdir` (e.g. `app` -> /code/app, which `fastapi run app/main.py` serves).",
    )
    commands: Annotated[list[BuildCommand], Field(max_length=16)] = Field(
        [],
        description="Commands run once while building, after the code is copied, in exec form, e.g. "
        "[[python, manage.py, collectstatic, --noinput]]. They run as root, before the image switches to `user`.",
    )
    workdir: AbsoluteDirectory = Field(
        "/code",
        description="Absolute directory in the image that holds the requirements and the code; the app runs from it.",
    )
    system_packages: Annotated[list[AptPackage], Field(max_length=64), AfterValidator(_unique_packages)] = Field(
        [],
        description="Debian packages installed with apt-get (--no-install-recommends) before the Python requirements, "
        "as name=version (pinned; a bare name works but is reported, since each build may then install another version).",
    )
    data_dirs: Annotated[list[AbsoluteDirectory], Field(max_length=16)] = Field(
        [],
        description="Directories created in the image and owned by the app's account, for state volumes (e.g. /data "
        "for compose.volumes): a new volume takes the ownership of the directory it is mounted on, so the app can write it.",
    )
    user: UserName = Field(
        "app", description="Name of the unprivileged account the app runs as (created in the image, no home directory)."
    )
    uid: Annotated[int, Field(ge=1000, le=65533)] = Field(
        10001,
        description="User and group id of that account. The image's USER is numeric, so Kubernetes can verify runAsNonRoot. "
        "The default matches the Kubernetes target's runAsUser; ids below 1000 belong to Debian's system accounts, "
        "and rootless engines map only 65536 ids by default.",
    )

    @property
    def app_paths(self) -> list[str]:
        """`app_path`, in the order given."""
        return list(self.app_path)
