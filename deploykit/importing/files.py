"""Every file `import compose` reads, checked before anyone opens it: deploykit's own reader, or the Compose CLI.

A Compose project names other files: `.env`, `env_file`, `label_file`, `extends.file`, `include`
(with its own `env_file` and `.env`). Each must be a regular file inside the project directory (the
first Compose file's), of at most MAX_FILE_BYTES: a FIFO would block the reader forever, a device
such as /dev/zero would fill its memory, and a file elsewhere (`env_file: /etc/os-release`) would
copy another system's values into the profiles. A YAML file must also nest at most MAX_DEPTH levels
and expand to at most MAX_VALUES values through its aliases (the "billion laughs").

deploykit's reader (fallback.py) reads through `read_text` and `load_yaml`. Before the Compose CLI
runs, `check_project` walks the same references itself, with the same checks, so the CLI is only
handed files deploykit has already read.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from deploykit.errors import Location
from deploykit.importing.interpolation import Variables, parse_env_file
from deploykit.importing.locate import SourceFile
from deploykit.importing.problems import ComposeProblem

# Compose files and env files are hand-written and small; a larger one is a mistake or an attack.
MAX_FILE_BYTES = 1024 * 1024
# Compose files nest a handful of levels; thousands (`[[[[...`) would exhaust Python's recursion.
MAX_DEPTH = 64
# YAML aliases share one value; expanding them repeatedly could take exponential time and memory.
MAX_VALUES = 200_000
# How many files one project may reference through `extends` and `include`.
MAX_FILES = 256


class YamlSyntaxProblem(ComposeProblem):
    """A file that is not YAML, or not a mapping: the Compose CLI words that itself, in its own way."""


def shown_path(path: Path) -> str:
    """`path` as messages show it: relative to the working directory when it is below it."""
    try:
        return os.path.relpath(path)
    except ValueError:
        return str(path)


def check_file(path: Path, project: Path, shown: str) -> None:
    """Refuse `path` unless it is a regular file inside `project` of at most MAX_FILE_BYTES (links
    are followed, and judged by where they lead)."""
    real = Path(os.path.realpath(path))
    root = Path(os.path.realpath(project))
    if real != root and not real.is_relative_to(root):
        raise ComposeProblem(
            f"{shown} is outside the project directory {shown_path(project)}: the import reads only files "
            "inside it (copy the file into the project, or import from a directory that holds it)"
        )
    try:
        info = os.stat(real)
    except FileNotFoundError:
        raise ComposeProblem(f"open {shown}: no such file or directory") from None
    except OSError as exc:
        raise ComposeProblem(f"cannot read {shown}: {exc.strerror}") from None
    _check_info(info, shown)


def _check_info(info: os.stat_result, shown: str) -> None:
    if not stat.S_ISREG(info.st_mode):
        raise ComposeProblem(f"{shown} is not a regular file (a FIFO, socket, device or directory); give a file")
    if info.st_size > MAX_FILE_BYTES:
        raise ComposeProblem(f"{shown} is {info.st_size} bytes; files over {MAX_FILE_BYTES} bytes are refused")


def read_text(source: SourceFile, project: Path) -> str:
    """The UTF-8 text of `source`, checked as `check_file` does, and read without ever blocking or
    reading more than MAX_FILE_BYTES (a file swapped for a FIFO after the check is refused as well)."""
    check_file(source.path, project, source.shown)
    try:
        descriptor = os.open(source.path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise ComposeProblem(f"open {source.shown}: no such file or directory") from None
    except OSError as exc:
        if exc.errno == errno.ENXIO:  # a socket
            raise ComposeProblem(
                f"{source.shown} is not a regular file (a FIFO, socket or device); give a file"
            ) from None
        raise ComposeProblem(f"cannot read {source.shown}: {exc.strerror}") from None
    with open(descriptor, "rb", closefd=True) as handle:
        try:
            _check_info(os.fstat(handle.fileno()), source.shown)
            data = handle.read(MAX_FILE_BYTES + 1)
        except OSError as exc:
            raise ComposeProblem(f"cannot read {source.shown}: {exc.strerror}") from None
    if len(data) > MAX_FILE_BYTES:
        raise ComposeProblem(
            f"{source.shown} is over {MAX_FILE_BYTES} bytes; files over {MAX_FILE_BYTES} bytes are refused"
        )
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ComposeProblem(f"{source.shown} is not UTF-8 text: {exc.reason} at byte {exc.start}") from None


def check_nesting(text: str, shown: str) -> None:
    """Refuse YAML whose flow collections (`[`, `{`) nest deeper than MAX_DEPTH, at the bracket that does,
    before a parser recurses into them. Quoted text and comments are skipped as YAML reads them."""
    depth = 0
    line, column = 1, 0
    quote: str | None = None
    previous = "\n"
    index = 0
    while index < len(text):
        char = text[index]
        column += 1
        if char == "\n":
            line, column = line + 1, 0
        elif quote is not None:
            doubled = quote == "'" and char == "'" and text[index + 1 : index + 2] == "'"
            if doubled or (quote == '"' and char == "\\"):  # `''` in single quotes, `\x` in double ones
                index += 1
                column += 1
            elif char == quote:
                quote = None
        elif char == "#" and previous in " \t\n":
            end = text.find("\n", index)
            index = len(text) if end < 0 else end
            previous = "#"
            continue
        elif char in "'\"" and (depth > 0 or previous in " \t\n:-[{,"):
            quote = char
        elif char in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                raise ComposeProblem(
                    f"nested more than {MAX_DEPTH} levels deep; Compose files nest a few",
                    location=Location(shown, line, column),
                )
        elif char in "]}" and depth > 0:
            depth -= 1
        previous = char
        index += 1


def check_values(value: Any, shown: str) -> None:
    """Refuse a loaded YAML value nested deeper than MAX_DEPTH (block collections), holding itself
    (`a: &a [*a]`), or expanding through its aliases to more than MAX_VALUES values. Each distinct
    value is measured once, so a billion laughs is refused in the time it took to parse it."""
    sizes: dict[int, int] = {}
    inside: set[int] = set()

    def measure(item: Any, depth: int) -> int:
        if not isinstance(item, (dict, list)):
            return 1
        key = id(item)
        if key in sizes:
            return sizes[key]
        if key in inside:
            raise ComposeProblem(
                f"{shown}: a YAML alias refers to the value that contains it", location=Location(shown, 1, 1)
            )
        if depth > MAX_DEPTH:
            raise ComposeProblem(
                f"nested more than {MAX_DEPTH} levels deep; Compose files nest a few", location=Location(shown, 1, 1)
            )
        inside.add(key)
        children = list(item.values()) if isinstance(item, dict) else item
        total = 1 + sum(measure(child, depth + 1) for child in children)
        inside.discard(key)
        if total > MAX_VALUES:
            raise ComposeProblem(
                f"{shown}: more than {MAX_VALUES} values once its YAML aliases are expanded; refusing to expand them",
                location=Location(shown, 1, 1),
            )
        sizes[key] = total
        return total

    measure(value, 0)


def check_project(files: Sequence[SourceFile], environ: Mapping[str, str]) -> None:
    """Read and check every file the Compose CLI will open for `files`, as deploykit's own reader
    would: the Compose files, `.env`, and the files their `env_file`, `label_file`, `extends` and
    `include` name. A reference whose variables cannot be resolved is left to the CLI, which refuses it."""
    from deploykit.importing.fallback import load_yaml

    project = files[0].path.parent
    variables = Variables(environ)
    dotenv = project / ".env"
    if os.path.lexists(dotenv):
        parsed = parse_env_file(read_text(SourceFile(shown_path(dotenv), dotenv), project), Variables(environ), ())
        variables = Variables({**{k: v for k, v in parsed.items() if v is not None}, **environ})
    given = {source.path for source in files}
    pending = [(source, variables) for source in reversed(files)]
    seen: set[Path] = set()
    while pending:
        source, scope = pending.pop()
        key = Path(os.path.realpath(source.path))
        if key in seen:
            continue
        seen.add(key)
        if len(seen) > MAX_FILES:
            raise ComposeProblem(f"the project references more than {MAX_FILES} Compose files")
        try:
            document = load_yaml(source, project)
        except YamlSyntaxProblem:
            continue  # the CLI refuses the file with its own message, before it opens what the file names
        for kind, path, field, entry_scope in _references(document, source.path.parent, scope):
            shown = shown_path(path)
            try:
                if kind == "compose":
                    check_file(path, project, shown)
                    pending.append((SourceFile(shown, path), entry_scope))
                elif kind == "file" or os.path.lexists(path):
                    read_text(SourceFile(shown, path), project)
            except ComposeProblem as problem:
                # Located at the field that names the file when a file given on the command line does.
                located = field if source.path in given and not (problem.path or problem.location) else ()
                raise ComposeProblem(problem.message, located or problem.path, problem.location) from None


def _references(
    document: dict[str, Any], directory: Path, variables: Variables
) -> Iterator[tuple[str, Path, tuple[str | int, ...], Variables]]:
    """(kind, path, the field naming it, variables for it) of each file `document` names: "compose" files
    to read in turn, "file"s that must exist, "optional" ones read only if present."""
    resolve = _resolver(directory, variables)
    for index, entry in enumerate(_as_list(document.get("include"))):
        entry = {"path": entry} if isinstance(entry, str) else entry
        if not isinstance(entry, dict):
            continue
        field = ("include", index)
        paths = [path for item in _as_list(entry.get("path")) if (path := resolve(item)) is not None]
        if not paths:
            continue
        project_directory = resolve(entry.get("project_directory")) or paths[0].parent
        env_files = [path for item in _as_list(entry.get("env_file")) if (path := resolve(item)) is not None]
        for env_file in env_files:
            yield "file", env_file, field, variables
        if not env_files:
            yield "optional", project_directory / ".env", field, variables
        for path in paths:
            yield "compose", path, field, variables
    services = document.get("services")
    for name, service in services.items() if isinstance(services, dict) else ():
        if not isinstance(service, dict):
            continue
        for key in ("env_file", "label_file"):
            for index, item in enumerate(_as_list(service.get(key))):
                required = not (isinstance(item, dict) and item.get("required") is False)
                path = resolve(item.get("path") if isinstance(item, dict) else item)
                if path is not None:
                    yield ("file" if required else "optional"), path, ("services", name, key, index), variables
        extends = service.get("extends")
        if isinstance(extends, dict) and (path := resolve(extends.get("file"))) is not None:
            yield "compose", path, ("services", name, "extends", "file"), variables


def _resolver(directory: Path, variables: Variables) -> Callable[[Any], Path | None]:
    def resolve(value: Any) -> Path | None:
        if not isinstance(value, str) or not value or "://" in value:
            return None
        try:
            text = variables.substitute(value, ())
        except ComposeProblem:
            return None
        return directory / os.path.expanduser(text)

    return resolve


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]
