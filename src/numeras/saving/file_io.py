"""Writing files so that a crash never leaves a broken one, and reading untrusted ones with
limits.

Every save goes to a temporary file in the destination's directory (so the final rename
cannot cross file systems), is flushed and ``fsync``-ed, then ``os.replace``-d over the
destination, and the directory is ``fsync``-ed: at any instant the destination is either the
complete old file or the complete new one. A process killed mid-save leaves the old file
untouched, plus its temporary file ``.<name>.<pid>.<random>.tmp``; the next save or load of the
same destination removes such files whose writing process no longer exists (those of a live
process, perhaps saving concurrently, are left alone).
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import tempfile
from collections.abc import Iterator
from typing import Any, BinaryIO

_WRITE_CHUNK = 1 << 20


def check_destination(path: Any, overwrite: bool) -> str | None:
    """The destination as a string, or None when the user declined to overwrite it.

    As Keras, ``overwrite=False`` on an existing file asks on the terminal whether to
    proceed; without a terminal to answer it, it refuses with ``FileExistsError``.
    """
    filepath = os.fspath(path)
    if os.path.isdir(filepath):
        raise IsADirectoryError(f"Cannot save to '{filepath}': it is a directory. Give a file name.")
    directory = os.path.dirname(os.path.abspath(filepath))
    if not os.path.isdir(directory):
        raise FileNotFoundError(
            f"Cannot save to '{filepath}': the directory '{directory}' does not exist. Create it first "
            "(os.makedirs(directory, exist_ok=True))."
        )
    if os.path.exists(filepath) and not overwrite and not ask_to_proceed_with_overwrite(filepath):
        return None
    return filepath


def ask_to_proceed_with_overwrite(filepath: str) -> bool:
    """Keras's prompt: ``[WARNING] <path> already exists - overwrite? [y/n]``."""
    try:
        answer = input(f"[WARNING] {filepath} already exists - overwrite? [y/n]")
        while answer.strip().lower() not in ("y", "n"):
            answer = input('Enter "y" (overwrite) or "n" (cancel).')
    except EOFError:
        raise FileExistsError(
            f"'{filepath}' already exists and overwrite=False, with no terminal to confirm. Pass "
            "overwrite=True to replace it, or choose another file name."
        ) from None
    if answer.strip().lower() == "n":
        print("[TIP] Next time specify overwrite=True!")
        return False
    print("[TIP] Next time specify overwrite=True!")
    return True


@contextlib.contextmanager
def atomic_write(filepath: str) -> Iterator[BinaryIO]:
    """A binary file object whose content replaces ``filepath`` only when the block finishes
    without an exception (after an ``fsync``). A symbolic link is written through, as
    ``open(filepath, "wb")`` would, not replaced by a file."""
    if os.path.islink(filepath):
        filepath = os.path.realpath(filepath)
    directory = os.path.dirname(os.path.abspath(filepath))
    basename = os.path.basename(filepath)
    remove_stale_temporaries(filepath)
    descriptor, temporary = tempfile.mkstemp(prefix=f".{basename}.{os.getpid()}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(descriptor, "w+b") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, _mode_for(filepath))
        os.replace(temporary, filepath)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    _fsync_directory(directory)


def _temporary_pattern(basename: str) -> re.Pattern[str]:
    """``.<basename>.<pid>.<8 mkstemp characters>.tmp``: the writer's pid is group 1."""
    return re.compile(rf"\.{re.escape(basename)}\.(\d+)\.[a-z0-9_]{{8}}\.tmp")


def _process_exists(pid: int) -> bool:
    """Whether ``pid`` names a running process (conservatively True when it cannot be told)."""
    if pid == os.getpid():
        return True  # another thread of this process may be writing
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError, OverflowError, ValueError):
        return True  # someone else's process, or a platform without signal 0
    return True


def remove_stale_temporaries(filepath: Any) -> list[str]:
    """Delete the temporary files that ``atomic_write`` left beside ``filepath`` in processes
    that died mid-save (their pid is in the name and no longer runs). Returns their paths.
    Never raises: a folder that cannot be listed or a file that vanished is simply skipped."""
    path = os.fspath(filepath)
    if os.path.islink(path):
        path = os.path.realpath(path)
    directory = os.path.dirname(os.path.abspath(path))
    pattern = _temporary_pattern(os.path.basename(path))
    removed = []
    try:
        names = os.listdir(directory)
    except OSError:
        return removed
    for name in names:
        match = pattern.fullmatch(name)
        if match is None or _process_exists(int(match.group(1))):
            continue
        stale = os.path.join(directory, name)
        with contextlib.suppress(OSError):
            os.unlink(stale)
            removed.append(stale)
    return removed


def write_bytes_atomically(filepath: str, payload: bytes) -> None:
    with atomic_write(filepath) as handle:
        write_chunks(handle, payload)


def write_chunks(handle: BinaryIO, payload: bytes) -> None:
    """Write ``payload`` in 1 MiB pieces (a seam where tests interrupt a save midway)."""
    view = memoryview(payload)
    for start in range(0, len(view), _WRITE_CHUNK):
        handle.write(view[start : start + _WRITE_CHUNK])


_umask: int | None = None


def _mode_for(filepath: str) -> int:
    """The permissions ``open(filepath, 'wb')`` would give (mkstemp makes files 0600)."""
    global _umask
    with contextlib.suppress(OSError):
        return os.stat(filepath).st_mode & 0o777
    if _umask is None:
        _umask = os.umask(0)
        os.umask(_umask)
    return 0o666 & ~_umask


def _fsync_directory(directory: str) -> None:
    """Make the rename itself durable (POSIX); a no-op where directories cannot be opened."""
    flags = getattr(os, "O_DIRECTORY", None)
    if flags is None:
        return
    try:
        descriptor = os.open(directory, os.O_RDONLY | flags)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)


HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"
ZIP_SIGNATURE = b"PK\x03\x04"


def read_file(filepath: Any, what: str) -> bytes:
    """The whole file, or a clear ``FileNotFoundError``/``IsADirectoryError``."""
    path = os.fspath(filepath)
    if not os.path.exists(path):
        raise FileNotFoundError(f"No such file: '{path}' (the {what} to load). Check the path.")
    if os.path.isdir(path):
        raise IsADirectoryError(f"'{path}' is a directory, not a {what}.")
    remove_stale_temporaries(path)
    with open(path, "rb") as handle:
        return handle.read()


def describe_content(payload: bytes) -> str:
    """What a file that is not the expected kind seems to be, for error messages."""
    if payload.startswith(HDF5_SIGNATURE):
        return "an HDF5 file"
    if payload.startswith(ZIP_SIGNATURE):
        return "a zip archive"
    if not payload:
        return "an empty file"
    return "neither a zip archive nor an HDF5 file"


def bytes_io(payload: bytes) -> io.BytesIO:
    return io.BytesIO(payload)
