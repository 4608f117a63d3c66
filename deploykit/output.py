"""Writing rendered files to disk: every file marked as deploykit's, every directory replaced whole.

Only the CLI calls this module. A directory is written by rendering into a sibling temporary directory
and swapping it in, so an interrupted run leaves either the old files or the new ones, never a mix,
and files of objects that no longer exist disappear with the old directory.
"""

from __future__ import annotations

import ctypes
import os
import shutil
import tempfile
from pathlib import Path

from deploykit.errors import DeployKitError
from deploykit.rendering import RenderedFile

HEADER = "# Rendered by deploykit. Do not edit: change the profile and render again.\n"
_RENAME_EXCHANGE = 2
STAGING_SUFFIX = ".new"


def with_header(file: RenderedFile) -> str:
    """The exact bytes deploykit writes for `file` (every format it writes takes `#` comments)."""
    return HEADER + file.content


def is_rendered(path: Path) -> bool:
    """Whether `path` is a regular file that deploykit wrote."""
    try:
        with path.open("rb") as handle:
            return path.is_file() and not path.is_symlink() and handle.read(len(HEADER)) == HEADER.encode()
    except OSError:
        return False


def check_writable(directory: Path) -> None:
    """Refuse a directory holding anything deploykit did not write: it would be replaced whole."""
    if not directory.exists():
        return
    if not directory.is_dir() or directory.is_symlink():
        raise DeployKitError(f"{directory} exists and is not a directory")
    foreign = sorted(
        str(entry.relative_to(directory))
        for entry in directory.rglob("*")
        if not entry.is_dir() and not is_rendered(entry)
    )
    if foreign:
        listed = ", ".join(foreign[:3]) + (", ..." if len(foreign) > 3 else "")
        raise DeployKitError(
            f"refusing to write into {directory}: it holds files deploykit did not render ({listed}); use a directory of its own"
        )


def write_directory(directory: Path, files: tuple[RenderedFile, ...]) -> None:
    """Replace `directory` with exactly `files`, atomically where the platform allows."""
    check_writable(directory)
    directory = directory.resolve()  # `-o .` has no name to stage beside
    directory.parent.mkdir(parents=True, exist_ok=True)
    _remove_leftovers(directory)
    staging = Path(tempfile.mkdtemp(prefix=f".{directory.name}.", suffix=STAGING_SUFFIX, dir=directory.parent))
    try:
        for file in files:
            target = staging / file.path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(with_header(file), encoding="utf-8", newline="\n")
        _swap_in(staging, directory)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def remove_rendered_directory(directory: Path) -> bool:
    """Delete `directory` if everything in it was rendered by deploykit; False (and untouched) otherwise."""
    if directory.is_symlink() or not all(entry.is_dir() or is_rendered(entry) for entry in directory.rglob("*")):
        return False
    shutil.rmtree(directory)
    return True


def _remove_leftovers(directory: Path) -> None:
    """Staging directories of a run that was killed before it could clean up (only deploykit's own files)."""
    for leftover in directory.parent.glob(f".{directory.name}.*{STAGING_SUFFIX}"):
        if (
            leftover.is_dir()
            and not leftover.is_symlink()
            and all(entry.is_dir() or is_rendered(entry) for entry in leftover.rglob("*"))
        ):
            shutil.rmtree(leftover, ignore_errors=True)
    backup = directory.with_name(directory.name + ".old")
    if backup.is_dir() and directory.is_dir():
        shutil.rmtree(backup, ignore_errors=True)


def _swap_in(staging: Path, directory: Path) -> None:
    """Put `staging` at `directory`; afterwards `staging` holds the old contents (if any)."""
    if not directory.exists():
        os.rename(staging, directory)
        staging.mkdir()
        return
    if _exchange(staging, directory):
        return
    # Without an atomic exchange the old directory is moved aside first; a crash between the two
    # renames leaves it at `<dir>.old`, never a mix of old and new files.
    backup = directory.with_name(directory.name + ".old")
    shutil.rmtree(backup, ignore_errors=True)
    os.rename(directory, backup)
    os.rename(staging, directory)
    os.rename(backup, staging)


def _exchange(first: Path, second: Path) -> bool:
    """Atomically exchange two paths with Linux renameat2(RENAME_EXCHANGE); False where unsupported."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)  # the running process's own symbols, libc included
    except OSError:
        return False
    renameat2 = getattr(libc, "renameat2", None)
    if renameat2 is None:
        return False
    at_fdcwd = -100
    result = renameat2(at_fdcwd, os.fsencode(first), at_fdcwd, os.fsencode(second), _RENAME_EXCHANGE)
    return result == 0
