"""File safety: the one way MedLab writes a file that others may read at the same time.

Every file MedLab writes for the learner (progress, workspace notebooks and their
manifest, cached datasets) goes through :func:`atomic_output`: the bytes go to a
temporary file in the target's own folder, are flushed and fsynced, and the temporary
file is renamed over the target with :func:`os.replace`. A reader therefore sees the
old file or the new one, never half of one, and a crash (even ``kill -9``) leaves at
worst a temporary file named ``.<target>.<random>.tmp`` (or ``.part`` for downloads),
which :func:`remove_stale_temporaries` cleans up on a later start.

Writers that read, modify and write a shared file (progress, the workspace manifest)
hold :func:`exclusive_lock` on a side file: a bounded wait, so that no caller waits
forever for a process that holds the lock (a kernel on a slow network home).
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import stat
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any

from medlab.errors import MedlabError

__all__ = [
    "LockFileError",
    "LockTimeoutError",
    "atomic_copy",
    "atomic_output",
    "atomic_write",
    "exclusive_lock",
    "read_regular_file",
    "remove_stale_temporaries",
    "write_new",
]


class LockTimeoutError(MedlabError, TimeoutError):
    """Another process held a lock file for longer than the caller would wait.

    Attributes
    ----------
    path : str
        The lock file.
    timeout_s : float
        How long the caller waited.
    """

    def __init__(self, path: object, timeout_s: float) -> None:
        self.path = str(path)
        self.timeout_s = timeout_s
        super().__init__(
            f"The lock file {self.path!r} stayed held by another process for more than "
            f"{timeout_s:g} s (a kernel on a slow network folder?); try again in a moment"
        )


class LockFileError(MedlabError, OSError):
    """A lock file that cannot be used: a folder or a link in its place, no permission ...

    Attributes
    ----------
    path : str
        The lock file.
    reason : str
        What went wrong.
    """

    def __init__(self, path: object, reason: str) -> None:
        self.path = str(path)
        self.reason = reason
        super().__init__(
            f"The lock file {self.path!r} cannot be used ({reason}); expected a plain file "
            "that MedLab may create: remove whatever is in its place"
        )


@contextlib.contextmanager
def atomic_output(
    target: str | os.PathLike,
    mode: str = "wb",
    *,
    suffix: str = ".tmp",
    fsync: bool = True,
    permissions: int | None = None,
    encoding: str | None = None,
) -> Iterator[IO[Any]]:
    """Open a temporary file beside ``target``; on success it replaces ``target``.

    Parameters
    ----------
    target : path-like
        The file to write. Its folder is created if missing.
    mode : {"wb", "w"}
        Binary or text.
    suffix : str
        Suffix of the temporary file (``".part"`` for downloads).
    fsync : bool
        Flush the data to disk before the rename (default True).
    permissions : int, optional
        File mode bits for the new file; default ``0o600`` (private to the user, as
        :func:`tempfile.mkstemp` creates it).
    encoding : str, optional
        Text encoding (text mode only; default UTF-8).

    Yields
    ------
    file object
        Write to it inside the ``with`` block. If the block raises, the temporary
        file is removed and ``target`` is left as it was.
    """
    if mode not in ("wb", "w"):
        raise ValueError(f"mode must be 'wb' or 'w', got {mode!r}")
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=suffix, dir=target.parent)
    try:
        if permissions is not None:
            os.chmod(tmp, permissions)
        text_encoding = (encoding or "utf-8") if mode == "w" else None
        with os.fdopen(fd, mode, encoding=text_encoding) as handle:
            yield handle
            handle.flush()
            if fsync:
                os.fsync(handle.fileno())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def atomic_write(
    target: str | os.PathLike, data: str | bytes, *, permissions: int | None = None
) -> None:
    """Write ``data`` (text as UTF-8, or bytes) to ``target`` atomically.

    Parameters
    ----------
    target : path-like
        The file to (re)place.
    data : str or bytes
        The whole content.
    permissions : int, optional
        File mode bits of the new file (default ``0o600``).
    """
    mode = "w" if isinstance(data, str) else "wb"
    with atomic_output(target, mode, permissions=permissions) as handle:
        handle.write(data)


def atomic_copy(
    source: str | os.PathLike, target: str | os.PathLike, *, permissions: int | None = None
) -> None:
    """Copy ``source`` to ``target`` so that ``target`` appears only whole.

    Parameters
    ----------
    source, target : path-like
        Files; ``target``'s folder is created if missing.
    permissions : int, optional
        File mode bits of the copy (default ``0o600``).
    """
    with atomic_output(target, "wb", suffix=".part", permissions=permissions) as out:
        with open(source, "rb") as src:
            shutil.copyfileobj(src, out, 1 << 20)


def write_new(folder: str | os.PathLike, stem: str, suffix: str, data: bytes) -> Path:
    """Write ``data`` to a new file ``<stem>[-N]<suffix>`` in ``folder``; never replace one.

    The file appears whole (written to a temporary file, flushed to disk, then hard-linked
    to the first free name). Where hard links are not supported, the name is checked and
    the temporary file renamed: callers that may race hold a lock.

    Parameters
    ----------
    folder : path-like
        An existing folder.
    stem, suffix : str
        The name without and with its ending: ``stem + suffix``, else ``stem-1 + suffix``...
    data : bytes
        The whole content (the file is created ``0o600``).

    Returns
    -------
    Path
        The file written.
    """
    folder = Path(folder)
    fd, tmp = tempfile.mkstemp(prefix=f".{stem}{suffix}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        n = 0
        while True:
            target = folder / f"{stem}{f'-{n}' if n else ''}{suffix}"
            try:  # a hard link appears whole and never replaces an existing file
                os.link(tmp, target)
                return target
            except FileExistsError:
                n += 1
            except OSError:  # no hard links here: check, then rename
                if os.path.lexists(target):
                    n += 1
                    continue
                os.replace(tmp, target)
                return target
    finally:
        with contextlib.suppress(OSError):
            os.unlink(tmp)


def read_regular_file(path: str | os.PathLike, *, max_bytes: int) -> bytes:
    """The content of the regular file ``path``, at most ``max_bytes + 1`` bytes of it.

    Opened without blocking, so a named pipe or a device in the file's place never
    hangs the caller; a result longer than ``max_bytes`` says the file is too large.

    Raises
    ------
    FileNotFoundError
        If nothing is at ``path``.
    OSError
        If ``path`` is a folder, a pipe or a device (``errno.EINVAL``, ``strerror``
        "not a regular file"), or cannot be read.
    """
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    with open(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(errno.EINVAL, "not a regular file", str(path))
        return handle.read(max_bytes + 1)


def remove_stale_temporaries(
    folder: str | os.PathLike,
    *,
    older_than_s: float = 3600.0,
    recursive: bool = False,
    targets: Iterable[str] | None = None,
) -> list[Path]:
    """Delete temporary files that a killed writer left behind; return what was removed.

    Only names written by :func:`atomic_output` are touched (a leading dot and a
    ``.tmp`` or ``.part`` suffix) and only when older than ``older_than_s`` seconds,
    so a write in progress in another process is never disturbed.

    Parameters
    ----------
    folder : path-like
        Folder to clean (missing folders are fine).
    older_than_s : float
        Minimum age (by modification time) of a file to remove. A caller that holds
        the :func:`exclusive_lock` every writer of these files takes may pass 0.
    recursive : bool
        Also clean sub-folders.
    targets : iterable of str, optional
        Only the temporaries of these file names (``.<name>.*.tmp``); default: all.
    """
    root = Path(folder)
    if not root.is_dir():
        return []
    pattern = "**/.*" if recursive else ".*"
    prefixes = None if targets is None else tuple(f".{name}." for name in targets)
    now = time.time()
    removed = []
    for path in root.glob(pattern):
        if path.suffix not in (".tmp", ".part") or path.is_symlink() or not path.is_file():
            continue
        if prefixes is not None and not path.name.startswith(prefixes):
            continue
        with contextlib.suppress(OSError):
            if now - path.stat().st_mtime >= older_than_s:
                path.unlink()
                removed.append(path)
    return removed


def _try_lock(fd: int) -> bool:
    """Take an exclusive lock on the open file ``fd`` without waiting; False if held."""
    if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
        import msvcrt

        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True
    import fcntl

    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _unlock(fd: int) -> None:
    if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
        import msvcrt

        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
    else:
        import fcntl

        fcntl.flock(fd, fcntl.LOCK_UN)


@contextlib.contextmanager
def exclusive_lock(path: str | os.PathLike, *, timeout_s: float = 10.0) -> Iterator[None]:
    """Hold an exclusive lock on ``path`` for the ``with`` body, waiting ``timeout_s`` at most.

    The lock (``flock`` on POSIX, ``msvcrt.locking`` on Windows) belongs to the open
    file, so it is released when the holder exits, even after ``kill -9``. Threads of
    one process exclude each other too (each opens the file itself).

    Parameters
    ----------
    path : path-like
        The lock file; created (empty, ``0o600``) with its folder if missing. It must
        not be a symbolic link.
    timeout_s : float
        How long to wait for another holder to let go; 0 tries once.

    Raises
    ------
    LockTimeoutError
        If another process still holds the lock after ``timeout_s`` seconds.
    LockFileError
        If the lock file cannot be created, opened or locked (a folder or a link in its
        place, no permission, a file system without locks).
    """
    path = Path(path)
    flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, flags, 0o600)
    except OSError as exc:
        reason = (
            "a symbolic link is in its place" if path.is_symlink() else (exc.strerror or str(exc))
        )
        raise LockFileError(path, reason) from exc
    try:
        deadline = time.monotonic() + max(0.0, timeout_s)
        while True:
            try:
                if _try_lock(fd):
                    break
            except OSError as exc:
                raise LockFileError(path, exc.strerror or str(exc)) from exc
            left = deadline - time.monotonic()
            if left <= 0:
                raise LockTimeoutError(path, timeout_s)
            time.sleep(min(0.02, left))
        try:
            yield
        finally:
            _unlock(fd)
    finally:
        os.close(fd)
