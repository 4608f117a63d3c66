"""The `build:` block of a profile (the `dockerfile` target).

Every value here ends up as a bare word in a Dockerfile instruction (FROM, WORKDIR, COPY, USER) or in
the shell command of a RUN line, where quoting rules differ per instruction and `$` is expanded. So
each field accepts only an alphabet that needs no quoting anywhere: the validators below are the
Dockerfile's safety, not a matter of taste.
"""

from __future__ import annotations

import re
from functools import partial
from typing import Annotated

from pydantic import AfterValidator, BeforeValidator, Field, WithJsonSchema

from deploykit.spec import derived, values
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


RelativePath = Annotated[
    str,
    AfterValidator(
        partial(
            values.check_matching,
            pattern=_RELATIVE_PATH.pattern,
            max_length=1024,
            problem="is not a path inside the build context: use letters, digits, '.', '_', '-' and '/', "
            "relative (no leading '/'), with no '..' or hidden ('.'-prefixed) parts",
        )
    ),
    AfterValidator(values.drop_dot_slash),
    text_schema(_RELATIVE_PATH.pattern, 1024),
]
AbsoluteDirectory = Annotated[
    str,
    AfterValidator(
        partial(
            values.check_matching,
            pattern=_ABSOLUTE_PATH.pattern,
            max_length=1024,
            problem="is not an absolute directory such as /code: start with '/', use letters, digits, "
            "'.', '_', '-' and '/', with no '..', hidden parts or trailing '/'",
        )
    ),
    text_schema(_ABSOLUTE_PATH.pattern, 1024),
]
AptPackage = Annotated[
    str,
    AfterValidator(
        partial(
            values.check_matching,
            pattern=_APT_PACKAGE.pattern,
            max_length=256,
            problem="is not a Debian package: write name or name=version (lowercase letters, digits, '+', '-', '.'; versions start with a digit)",
        )
    ),
    text_schema(_APT_PACKAGE.pattern, 256),
]
UserName = Annotated[
    str,
    AfterValidator(
        partial(
            values.check_matching,
            pattern=_USER_NAME.pattern,
            max_length=32,
            problem="is not a user name for the app: use up to 32 lowercase letters, digits, '_' and '-', not root",
        )
    ),
    text_schema(_USER_NAME.pattern, 32),
]


# A build-time command: exec form, so no shell reads it; one Dockerfile RUN line each.
BuildCommand = Command


_PATH_SCHEMA = {"type": "string", "maxLength": 1024, "pattern": _RELATIVE_PATH.pattern}
# One path or several; a list inside, so nothing downstream handles two shapes.
AppPaths = Annotated[
    list[RelativePath],
    BeforeValidator(values.as_list),
    Field(min_length=1, max_length=32),
    WithJsonSchema({"anyOf": [_PATH_SCHEMA, {"type": "array", "items": _PATH_SCHEMA, "minItems": 1, "maxItems": 32}]}),
]


class BuildOptions(derived.BuildOptionsDerived, SpecModel):
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
    system_packages: Annotated[list[AptPackage], Field(max_length=64), AfterValidator(values.unique_packages)] = Field(
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
