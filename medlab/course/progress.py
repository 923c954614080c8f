"""Per-user progress: which exercises passed, stored as JSON in the Jupyter data dir.

The file is ``<jupyter_data_dir()>/medlab/progress.json``; the environment variable
``MEDLAB_PROGRESS_DIR`` replaces the folder (tests, classrooms with shared homes).

Writes are atomic (a temporary file in the same folder, flushed, fsynced, then
``os.replace``), so a crash mid-write leaves either the old or the new file, never
half a file. Every read-modify-write holds an exclusive lock on a side file
``progress.lock`` (``fcntl.flock`` on POSIX, ``msvcrt.locking`` on Windows), so two
kernels recording at once lose nothing.

File format::

    {"version": 1, "passed": {"00.hounsfield": "2026-11-25T10:51:00Z", ...}}
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import json
import os
from collections.abc import Iterator
from pathlib import Path

from medlab._files import atomic_write
from medlab.config import config

__all__ = ["ProgressStore", "default_store", "progress_dir"]

_FORMAT_VERSION = 1


def progress_dir() -> Path:
    """The folder holding ``progress.json``: ``medlab.config.progress_dir``."""
    return config.progress_dir


@contextlib.contextmanager
def _locked(lock_path: Path) -> Iterator[None]:
    """Hold an exclusive, blocking lock on ``lock_path`` for the ``with`` body."""
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_path, "a+b") as handle:
        if os.name == "nt":  # pragma: no cover - exercised on Windows only
            import msvcrt
            import time

            handle.seek(0)
            while True:
                try:
                    msvcrt.locking(handle.fileno(), msvcrt.LK_LOCK, 1)
                    break
                except OSError:  # LK_LOCK gives up after ~10 s; keep waiting
                    time.sleep(0.05)
            try:
                yield
            finally:
                handle.seek(0)
                msvcrt.locking(handle.fileno(), msvcrt.LK_UNLCK, 1)
        else:
            import fcntl

            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def _now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class ProgressStore:
    """The progress file of one user.

    Parameters
    ----------
    folder : str or Path
        Folder holding ``progress.json`` and its lock file (created on first write).
    """

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)
        self.path = self.folder / "progress.json"
        self._lock_path = self.folder / "progress.lock"

    def __repr__(self) -> str:
        return f"ProgressStore({str(self.folder)!r})"

    def _read_unlocked(self) -> dict[str, str]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError):
            # A damaged file (edited by hand, disk full before the atomic writes
            # existed): keep it aside rather than crash or silently drop it.
            damaged = self.path.with_name(f"progress.damaged-{os.getpid()}.json")
            with contextlib.suppress(OSError):
                os.replace(self.path, damaged)
            return {}
        passed = data.get("passed", {}) if isinstance(data, dict) else {}
        return {str(k): str(v) for k, v in passed.items()} if isinstance(passed, dict) else {}

    def _write_unlocked(self, passed: dict[str, str]) -> None:
        payload = json.dumps(
            {"version": _FORMAT_VERSION, "passed": dict(sorted(passed.items()))}, indent=1
        )
        atomic_write(self.path, payload)

    def passed(self) -> dict[str, str]:
        """Passed exercise ids mapped to the UTC time (ISO 8601) they first passed."""
        with _locked(self._lock_path):
            return self._read_unlocked()

    def is_passed(self, exercise_id: str) -> bool:
        """Whether ``exercise_id`` has passed."""
        return exercise_id in self.passed()

    def record_pass(self, exercise_id: str) -> bool:
        """Record that ``exercise_id`` passed; return True if it had not passed before.

        The first pass time is kept when an exercise passes again.
        """
        with _locked(self._lock_path):
            passed = self._read_unlocked()
            if exercise_id in passed:
                return False
            passed[exercise_id] = _now()
            self._write_unlocked(passed)
            return True

    def forget(self, exercise_ids: list[str] | tuple[str, ...]) -> int:
        """Remove the given exercises from the passed set; return how many were removed."""
        with _locked(self._lock_path):
            passed = self._read_unlocked()
            removed = [e for e in exercise_ids if passed.pop(e, None) is not None]
            if removed:
                self._write_unlocked(passed)
            return len(removed)


def default_store() -> ProgressStore:
    """The current user's store (in ``medlab.config.progress_dir``, read on every call)."""
    return ProgressStore(progress_dir())
