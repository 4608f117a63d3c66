"""Writing rendered files to disk: every directory marked as deploykit's, replaced whole, under a lock.

Only the commands call this module. A directory is written by rendering into a hidden sibling staging
directory and swapping it in, so an interrupted run leaves either the old files or the new ones, never
a mix, and files of objects that no longer exist disappear with the old directory. Several directories
(`render all`) are all staged before the first is swapped: a failure while writing changes none.

Each written directory holds a marker file (MARKER_NAME) naming the target and listing the files.
deploykit replaces a directory only when everything in it is its own: listed by the marker, or a
regular file starting with HEADER (written before markers existed, or merged in from another branch).
Deciding that never follows a link and never opens anything but regular files, so a FIFO cannot hang
it and `-o /usr/lib` is refused at once; the marker's target keeps one target's rendering from
silently replacing another's.

Writers hold an exclusive lock (flock) on the parent of each directory they replace, so two runs never
remove each other's staging directories; under that lock a staging directory left in the parent belongs
to a run that died, and is removed.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import os
import shutil
import stat
import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from deploykit.errors import DeployKitError
from deploykit.rendering import HEADER, RenderedFile

MARKER_NAME = ".deploykit"
_MARKER_INTRO = "# deploykit replaces this directory whole; it holds only the files listed here.\n"
_MARKER_MAX_BYTES = 1024 * 1024
STAGING_SUFFIX = ".new"
_RENAME_EXCHANGE = 2
# How many entries a refusal names: enough to recognise the directory, and the search stops there.
_SHOWN_FOREIGN = 3
# How many rendered directories a refusal to delete them names.
_SHOWN_NESTED = 8


def with_header(file: RenderedFile) -> str:
    """The exact bytes deploykit writes for `file` (every format it writes takes `#` comments)."""
    return HEADER + file.content


def marker_text(target: str | None, files: Sequence[RenderedFile]) -> str:
    """The marker file for a directory holding `files` rendered for `target` (None: not recorded)."""
    lines = [HEADER, _MARKER_INTRO]
    if target is not None:
        lines.append(f"target: {target}\n")
    lines += [f"file: {path}\n" for path in sorted(file.path for file in files)]
    return "".join(lines)


def directory_contents(target: str | None, files: Sequence[RenderedFile]) -> dict[str, str]:
    """Every file deploykit writes into a directory for `files`, marker included, by relative path."""
    contents = {file.path: with_header(file) for file in files}
    contents[MARKER_NAME] = marker_text(target, files)
    return contents


@dataclass(frozen=True)
class PlannedDirectory:
    """A directory to replace: where (as the user wrote it), for which target, and with which files."""

    directory: Path
    target: str | None
    files: tuple[RenderedFile, ...]


def write_directory(
    directory: Path, files: Sequence[RenderedFile], target: str | None = None, replace_other_target: bool = False
) -> None:
    """Replace `directory` with exactly `files` (and the marker naming `target`), atomically where the platform allows."""
    write_directories([PlannedDirectory(directory, target, tuple(files))], replace_other_target)


def write_directories(
    plans: Sequence[PlannedDirectory],
    replace_other_target: bool = False,
    before_swap: Callable[[], None] | None = None,
) -> None:
    """Replace every planned directory, or none: each is checked, then all are staged, then all swapped in.

    `before_swap` runs once everything is staged, under the locks (tests use it to widen that window).
    Problems with the directories, and the OS errors of writing, are DeployKitErrors naming the path.
    """
    resolved = [_Resolved.of(plan) for plan in plans]
    parents = sorted({entry.parent for entry in resolved})
    with contextlib.ExitStack() as stack:
        created: list[Path] = []
        try:
            for parent, shown in ((entry.parent, entry.shown_parent) for entry in resolved):
                created += _make_parents(parent, shown)
            for parent in parents:
                stack.enter_context(_flock(parent, False, _shown_parent_of(resolved, parent), None))
            for entry in resolved:
                _check_replaceable(entry, replace_other_target)
            for parent in parents:
                _remove_leftovers(parent)
            staged: list[_Staged] = []
            try:
                for entry in resolved:
                    staged.append(_stage(entry))
                if before_swap is not None:
                    before_swap()
                _swap_all(staged)
            finally:
                for item in staged:
                    shutil.rmtree(item.staging, ignore_errors=True)
        except BaseException:
            for path in reversed(created):
                with contextlib.suppress(OSError):
                    path.rmdir()  # only if still empty: nothing of ours or anyone's is lost
            raise


def write_files(contents: Sequence[tuple[Path, str]], replace: bool = False) -> None:
    """Write every file whole, or none (`import compose`, `init`): all are staged beside their places,
    then put in place with Ctrl-C deferred; if one fails, those already in place are taken back.

    A new file is created exclusively, so one that appeared since the caller's check (even a dangling
    link) is never overwritten; with `replace` an existing file is replaced, keeping its mode. Missing
    directories are created, and removed again on failure. OS errors name the path.
    """
    created: list[Path] = []
    staged: list[tuple[Path, Path]] = []
    placed: list[tuple[Path, Path | None]] = []  # (path, the old file's backup, None for a new file)
    try:
        for path, _ in contents:
            created += _make_parents(path.parent, _relative(path.parent))
        for path, text in contents:
            staged.append((path, _stage_file(path, text)))
        with _signals_deferred():
            try:
                for path, scratch in staged:
                    placed.append((path, _place_file(path, scratch, replace)))
            except BaseException:
                for path, backup in reversed(placed):
                    with contextlib.suppress(OSError):
                        if backup is None:
                            os.unlink(path)
                        else:
                            os.replace(backup, path)
                placed.clear()
                raise
    finally:
        for _, scratch in staged:
            with contextlib.suppress(OSError):
                os.unlink(scratch)
        for _, backup in placed:
            if backup is not None:
                with contextlib.suppress(OSError):
                    os.unlink(backup)
        if len(placed) < len(contents):  # failed: directories made for nothing go again
            for path in reversed(created):
                with contextlib.suppress(OSError):
                    path.rmdir()


def _stage_file(path: Path, text: str) -> Path:
    try:
        descriptor, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=STAGING_SUFFIX, dir=path.parent)
    except OSError as exc:
        raise DeployKitError(f"cannot write into {_relative(path.parent)}: {exc.strerror}") from None
    scratch = Path(name)
    try:
        with open(descriptor, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
        try:
            mode = os.stat(path).st_mode & 0o777
        except FileNotFoundError:
            mode = 0o666 & ~_umask()
        os.chmod(scratch, mode)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(scratch)
        raise DeployKitError(f"cannot write {_relative(path)}: {exc.strerror}") from None
    return scratch


def _place_file(path: Path, scratch: Path, replace: bool) -> Path | None:
    """Put `scratch` at `path`; the backup of the file it replaced, or None when `path` was new."""
    shown = _relative(path)
    try:
        if replace and os.path.lexists(path):
            backup = Path(f"{scratch}.old")
            os.link(path, backup, follow_symlinks=False)
            os.replace(scratch, path)
            return backup
        os.link(scratch, path)  # fails if anything, even a dangling link, appeared at `path`
        return None
    except FileExistsError:
        raise DeployKitError(f"refusing to overwrite {shown}: it appeared while deploykit was writing") from None
    except OSError as exc:
        raise DeployKitError(f"cannot write {shown}: {exc.strerror}") from None


def remove_rendered_directory(directory: Path) -> bool:
    """Delete `directory` if everything in it was written by deploykit; False (and untouched) otherwise."""
    try:
        info = os.lstat(directory)
    except FileNotFoundError:
        return False
    if not stat.S_ISDIR(info.st_mode) or _foreign_entries(directory):
        return False
    shutil.rmtree(directory)
    return True


def rendered_target(directory: Path) -> str | None:
    """The target named by `directory`'s marker, if it has a readable one."""
    marker = _read_marker(directory)
    return marker.target if marker is not None else None


def read_regular_file(path: Path) -> str | None:
    """The text of `path` if it is a regular file (links not followed); None for anything else.

    A FIFO or a device where a rendered file should be is never read, so it cannot hang a reader; a
    file that cannot be read (permissions) raises the OSError.
    """
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK | _NOFOLLOW | _CLOEXEC)
    except OSError as exc:
        if exc.errno in (errno.ENOENT, errno.ENOTDIR, errno.ELOOP, errno.ENXIO):  # absent, a link, a socket
            return None
        raise
    with open(descriptor, "rb", closefd=True) as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            return None
        return handle.read().decode("utf-8", errors="replace")


def files_under(directory: Path) -> set[str]:
    """Every entry under `directory` that is not a directory (links and special files too), as relative paths."""
    found: set[str] = set()
    for relative, kind in _walk(directory):
        if kind != "directory":
            found.add(relative)
    return found


@contextlib.contextmanager
def locked(
    directory: Path,
    shared: bool = False,
    shown: str | None = None,
    waiting: Callable[[], None] | None = None,
    create: bool = False,
) -> Iterator[None]:
    """Hold an flock on `directory` (exclusive, or shared for readers) until the block ends.

    The lock is on the directory itself, so no lock file is left behind; the kernel releases it when
    the process dies, however it dies. `waiting` is called once if another process holds it. With
    `create`, a missing directory is made first, and removed again if the block fails while it is empty.
    """
    name = shown if shown is not None else str(directory)
    created = _make_parents(directory, name) if create else []
    try:
        with _flock(directory, shared, name, waiting):
            yield
    except BaseException:
        for path in reversed(created):
            with contextlib.suppress(OSError):
                path.rmdir()
        raise


@contextlib.contextmanager
def _flock(directory: Path, shared: bool, name: str, waiting: Callable[[], None] | None) -> Iterator[None]:
    action = "read" if shared else "write into"
    try:
        import fcntl
    except ImportError:  # no flock on this platform: run unlocked, as before locks existed
        yield
        return
    try:
        descriptor = os.open(directory, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | _CLOEXEC)
    except OSError as exc:
        raise DeployKitError(f"cannot {action} {name}: {exc.strerror}") from None
    try:
        mode = fcntl.LOCK_SH if shared else fcntl.LOCK_EX
        try:
            fcntl.flock(descriptor, mode | fcntl.LOCK_NB)
        except BlockingIOError:
            if waiting is not None:
                waiting()
            fcntl.flock(descriptor, mode)
        except OSError as exc:
            raise DeployKitError(f"cannot lock {name}: {exc.strerror}") from None
        yield
    finally:
        os.close(descriptor)  # releases the lock


_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)


@dataclass(frozen=True)
class _Resolved:
    """A planned directory at its real place: its parent with links resolved, its own name as given."""

    plan: PlannedDirectory
    path: Path
    shown: str  # as the user wrote it, for messages

    @property
    def parent(self) -> Path:
        return self.path.parent

    @property
    def shown_parent(self) -> str:
        # As written (`manifests/prod` for manifests/prod/k8s); `-o .` and `-o out` name no parent.
        written = os.path.dirname(self.shown.rstrip("/"))
        return (
            written
            if written not in ("", ".") and os.path.basename(self.shown) not in (".", "..")
            else _relative(self.parent)
        )

    @staticmethod
    def of(plan: PlannedDirectory) -> _Resolved:
        shown = str(plan.directory)
        lexical = Path(os.path.abspath(plan.directory))  # `-o .` and `-o out/..` have a name to stage beside
        if lexical.parent == lexical:
            raise DeployKitError(f"cannot write into {shown}: it is the file system's root")
        try:
            real_parent = lexical.parent.resolve()
        except (OSError, RuntimeError) as exc:  # RuntimeError: a link loop (Python 3.11)
            raise DeployKitError(f"cannot write {shown}: {getattr(exc, 'strerror', None) or exc}") from None
        return _Resolved(plan, real_parent / lexical.name, shown)


def _shown_parent_of(resolved: Sequence[_Resolved], parent: Path) -> str:
    return next(entry.shown_parent for entry in resolved if entry.parent == parent)


def _make_parents(parent: Path, shown: str) -> list[Path]:
    """Create `parent` and its missing ancestors; the ones created, outermost first."""
    missing: list[Path] = []
    current = parent
    while True:
        try:
            info = os.stat(current)
        except FileNotFoundError:
            missing.append(current)
            current = current.parent
            continue
        except OSError as exc:
            raise DeployKitError(f"cannot write into {shown}: {exc.strerror}") from None
        if not stat.S_ISDIR(info.st_mode):
            if current == parent:
                raise DeployKitError(f"{shown} exists and is not a directory")
            raise DeployKitError(f"cannot write into {shown}: {_relative(current)} exists and is not a directory")
        break
    created = []
    for path in reversed(missing):
        try:
            path.mkdir()
        except FileExistsError:
            continue  # made by another run meanwhile
        except OSError as exc:
            raise DeployKitError(f"cannot create {_relative(path)}: {exc.strerror}") from None
        created.append(path)
    return created


def _relative(path: Path) -> str:
    try:
        return os.path.relpath(path)
    except ValueError:
        return str(path)


def _check_replaceable(entry: _Resolved, replace_other_target: bool) -> None:
    """Refuse a directory deploykit may not replace: a link, a file, or one holding anything not deploykit's."""
    shown = entry.shown
    try:
        info = os.lstat(entry.path)
    except FileNotFoundError:
        return
    except OSError as exc:
        raise DeployKitError(f"cannot write {shown}: {exc.strerror}") from None
    if stat.S_ISLNK(info.st_mode):
        raise DeployKitError(
            f"{shown} is a symbolic link; deploykit writes only into a real directory (it never follows a link out)"
        )
    if not stat.S_ISDIR(info.st_mode):
        raise DeployKitError(f"{shown} exists and is not a directory")
    try:
        foreign = _foreign_entries(entry.path)
        existing = rendered_target(entry.path)
    except OSError as exc:
        raise DeployKitError(f"cannot read {shown}: {exc.strerror}") from None
    if foreign:
        listed = ", ".join(foreign[:_SHOWN_FOREIGN]) + (", ..." if len(foreign) > _SHOWN_FOREIGN else "")
        raise DeployKitError(
            f"refusing to write into {shown}: it holds files deploykit did not render ({listed}); use a directory of its own"
        )
    nested = _nested_renderings(entry.path)
    if nested:
        # `render k8s -o manifests/prod` would replace manifests/prod whole: every other target's directory in it.
        listed = ", ".join(nested[:_SHOWN_NESTED]) + (
            f" and {len(nested) - _SHOWN_NESTED} more" if len(nested) > _SHOWN_NESTED else ""
        )
        raise DeployKitError(
            f"refusing to write into {shown}: it holds other rendered directories that replacing it would delete "
            f"({listed}); write into a directory of its own"
        )
    target = entry.plan.target
    if not replace_other_target and existing is not None and target is not None and existing != target:
        raise DeployKitError(
            f"{shown} holds deploykit's {existing} output; writing {target} there would replace it: "
            "use another directory, or --replace-other-target"
        )


def _nested_renderings(directory: Path) -> list[str]:
    """The directories below `directory` that hold a marker of their own (manifests/<env>/<target>/ under
    manifests/), each as `relative/ (target output)`, in sorted order. Only called once every entry is
    known to be deploykit's, so the walk is as small as what deploykit wrote."""
    found: list[str] = []
    for relative, kind in _walk(directory):
        if kind == "directory":
            marker = _read_marker(directory / relative)
            if marker is not None:
                found.append(f"{relative}/ ({marker.target or 'rendered'} output)")
    return found


@dataclass(frozen=True)
class _Marker:
    target: str | None
    files: frozenset[str]


def _read_marker(directory: Path) -> _Marker | None:
    """The marker of `directory`, or None when it has none (or one deploykit could not have written)."""
    text = read_regular_file(directory / MARKER_NAME)
    if text is None or len(text) > _MARKER_MAX_BYTES or not text.startswith(HEADER + _MARKER_INTRO):
        return None
    target: str | None = None
    files: set[str] = set()
    for line in text[len(HEADER + _MARKER_INTRO) :].splitlines():
        key, _, value = line.partition(": ")
        if key == "target" and target is None and value:
            target = value
        elif key == "file" and value and not value.startswith("/") and ".." not in value.split("/"):
            files.add(value)
        else:
            return None
    return _Marker(target, frozenset(files))


def _foreign_entries(directory: Path) -> list[str]:
    """Entries under `directory` deploykit did not write, in sorted order, the search stopping after a few.

    deploykit's own: the files a marker lists (in its directory's subtree), the marker, and regular
    files starting with HEADER (written before markers existed, or merged in from another branch). A
    directory of rendered directories (manifests/<env>/) is judged by what it holds. Links, special
    files and empty subdirectories are never deploykit's, and are never followed or opened.
    """
    found: list[str] = []

    def visit(path: Path, shown: str, top: bool, marker: _Marker | None, inside: str) -> None:
        if marker is None:
            marker, inside = _read_marker(path), ""
        entries = sorted(os.scandir(path), key=lambda entry: entry.name)
        if not entries and not top:
            found.append(shown)
        for entry in entries:
            if len(found) > _SHOWN_FOREIGN:
                return
            relative = f"{inside}/{entry.name}" if inside else entry.name
            if entry.is_dir(follow_symlinks=False):
                visit(Path(entry.path), f"{shown}{entry.name}/", False, marker, relative)
            elif entry.is_file(follow_symlinks=False):
                listed = marker is not None and (relative in marker.files or relative == MARKER_NAME)
                if not listed and not _starts_with_header(Path(entry.path)):
                    found.append(shown + entry.name)
            else:
                found.append(shown + entry.name)

    visit(directory, "", True, None, "")
    return found


def _starts_with_header(path: Path) -> bool:
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK | _NOFOLLOW | _CLOEXEC)
    except OSError:
        return False
    with open(descriptor, "rb", closefd=True) as handle:
        return stat.S_ISREG(os.fstat(handle.fileno()).st_mode) and handle.read(len(HEADER)) == HEADER.encode()


def _walk(directory: Path, prefix: str = "") -> Iterator[tuple[str, str]]:
    """(relative path, kind) of everything under `directory`, links not followed; nothing for a missing one."""
    try:
        entries = sorted(os.scandir(directory), key=lambda entry: entry.name)
    except (FileNotFoundError, NotADirectoryError):
        return
    for entry in entries:
        relative = prefix + entry.name
        if entry.is_dir(follow_symlinks=False):
            yield relative, "directory"
            yield from _walk(Path(entry.path), relative + "/")
        else:
            yield relative, "file" if entry.is_file(follow_symlinks=False) else "other"


def _remove_leftovers(parent: Path) -> None:
    """Staging directories of runs that died before cleaning up (the caller holds the parent's lock).

    Only entries named like deploykit's staging directories (`.NAME.RANDOM.new`), or `.old` backups of
    the fallback swap whose directory exists again, and only when they hold nothing but regular files
    and directories.
    """
    try:
        entries = list(os.scandir(parent))
    except OSError:
        return
    for entry in entries:
        name = entry.name
        staging = name.startswith(".") and name.endswith(STAGING_SUFFIX) and name.count(".") >= 3
        backup = name.endswith(".old") and (parent / name.removesuffix(".old")).is_dir()
        if (
            (staging or backup)
            and entry.is_dir(follow_symlinks=False)
            and all(kind != "other" for _, kind in _walk(Path(entry.path)))
        ):
            shutil.rmtree(entry.path, ignore_errors=True)


@dataclass
class _Staged:
    entry: _Resolved
    staging: Path
    existed: bool
    swapped: bool = False


def _stage(entry: _Resolved) -> _Staged:
    """Write the directory's files (marker last) into a new staging directory beside it."""
    try:
        staging = Path(tempfile.mkdtemp(prefix=f".{entry.path.name}.", suffix=STAGING_SUFFIX, dir=entry.parent))
    except OSError as exc:
        raise DeployKitError(f"cannot write into {entry.shown_parent}: {exc.strerror}") from None
    staged = _Staged(entry, staging, existed=os.path.lexists(entry.path))
    try:
        contents = directory_contents(entry.plan.target, entry.plan.files)
        for relative in sorted(contents, key=lambda path: path == MARKER_NAME):
            target = staging / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            with open(target, "w", encoding="utf-8", newline="\n") as handle:
                handle.write(contents[relative])
        # mkdtemp makes the directory private (0700); a rendered directory is as readable as any other.
        os.chmod(staging, 0o777 & ~_umask())
    except OSError as exc:
        shutil.rmtree(staging, ignore_errors=True)
        raise DeployKitError(f"cannot write {entry.shown}: {exc.strerror}") from None
    return staged


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


def _swap_all(staged: list[_Staged]) -> None:
    """Swap every staged directory in; if one fails, swap the others back.

    Ctrl-C and SIGTERM wait until the swaps (a few renames) are done: arriving between a rename and the
    note that it happened, or during the swaps back, they left one directory new and the others old.
    """
    with _signals_deferred():
        _swap_all_now(staged)


# The signals that end a run from the terminal or a supervisor; delivered once the swap is complete.
_DEFERRED_SIGNALS = ("SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT")


@contextlib.contextmanager
def _signals_deferred() -> Iterator[None]:
    """Hold back Ctrl-C and SIGTERM for the block, then deliver the first that came, to the handler that
    was in place. A handler records it (masking the signal would not do: with another thread alive, the
    kernel hands the signal to that thread and Python still runs the handler in the main one)."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():  # signal.signal works in the main thread only
        yield
        return
    received: list[int] = []
    previous = {}
    for name in _DEFERRED_SIGNALS:
        number = getattr(signal, name, None)
        if number is not None:
            previous[number] = signal.signal(number, lambda signum, frame: received.append(signum))
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
        if received:
            signal.raise_signal(received[0])


def _swap_all_now(staged: list[_Staged]) -> None:
    current: _Staged | None = None
    try:
        for current in staged:
            _swap_in(current)
    except BaseException as exc:
        for done in reversed([item for item in staged if item.swapped]):
            with contextlib.suppress(OSError):
                _swap_back(done)
        if isinstance(exc, OSError) and current is not None:
            raise DeployKitError(f"cannot replace {current.entry.shown}: {exc.strerror}") from None
        raise


def _swap_in(item: _Staged) -> None:
    """Put the staging directory at its place; afterwards the staging path holds the old contents (if any)."""
    directory, staging = item.entry.path, item.staging
    if not item.existed:
        os.rename(staging, directory)
        item.swapped = True
        staging.mkdir()
        return
    if _exchange(staging, directory):
        item.swapped = True
        return
    # Without an atomic exchange the old directory is moved aside first; a crash between the two
    # renames leaves it at `<dir>.old`, never a mix of old and new files.
    backup = directory.with_name(directory.name + ".old")
    shutil.rmtree(backup, ignore_errors=True)
    os.rename(directory, backup)
    os.rename(staging, directory)
    os.rename(backup, staging)
    item.swapped = True


def _swap_back(item: _Staged) -> None:
    directory, staging = item.entry.path, item.staging
    if not item.existed:
        os.rmdir(staging)
        os.rename(directory, staging)
    elif not _exchange(staging, directory):
        backup = directory.with_name(directory.name + ".old")
        os.rename(directory, backup)
        os.rename(staging, directory)
        os.rename(backup, staging)
    item.swapped = False


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
