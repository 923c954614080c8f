"""File safety: the one way MedLab writes a file that others may read at the same time.

Every file MedLab writes for the learner (progress, workspace notebooks and their
manifest, cached datasets) goes through :func:`atomic_output`: the bytes go to a
temporary file in the target's own folder, are flushed and fsynced, and the temporary
file is renamed over the target with :func:`os.replace`. A reader therefore sees the
old file or the new one, never half of one, and a crash (even ``kill -9``) leaves at
worst a temporary file named ``.<target>.<random>.tmp`` (or ``.part`` for downloads),
which :func:`remove_stale_temporaries` cleans up on a later start.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

__all__ = ["atomic_copy", "atomic_output", "atomic_write", "remove_stale_temporaries"]


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
        kwargs = {"encoding": encoding or "utf-8"} if mode == "w" else {}
        with os.fdopen(fd, mode, **kwargs) as handle:
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


def remove_stale_temporaries(
    folder: str | os.PathLike, *, older_than_s: float = 3600.0, recursive: bool = False
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
        Minimum age (by modification time) of a file to remove.
    recursive : bool
        Also clean sub-folders.
    """
    root = Path(folder)
    if not root.is_dir():
        return []
    pattern = "**/.*" if recursive else ".*"
    now = time.time()
    removed = []
    for path in root.glob(pattern):
        if path.suffix not in (".tmp", ".part") or path.is_symlink() or not path.is_file():
            continue
        with contextlib.suppress(OSError):
            if now - path.stat().st_mtime >= older_than_s:
                path.unlink()
                removed.append(path)
    return removed
