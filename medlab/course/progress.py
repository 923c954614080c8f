"""Per-user progress: which exercises passed, stored as JSON in the Jupyter data dir.

The file is ``<jupyter_data_dir()>/medlab/progress.json``; the environment variable
``MEDLAB_PROGRESS_DIR`` replaces the folder (tests, classrooms with shared homes).

Writes are atomic (a temporary file in the same folder, flushed, fsynced, then
``os.replace``), so a crash mid-write leaves either the old or the new file, never
half a file; reading therefore needs no lock. Every read-modify-write holds an
exclusive lock on a side file ``progress.lock`` (:func:`medlab._files.exclusive_lock`),
waiting at most :attr:`ProgressStore.lock_timeout_s`, so two kernels recording at once
lose nothing and nobody waits forever. Temporary files that a killed writer left
behind are removed under that lock, by the next writer.

File format::

    {"version": 1, "passed": {"00.hounsfield": "2026-11-25T10:51:00Z", ...}}

A file that is not in this format (edited by hand, written by a newer MedLab,
damaged) is never lost: reading it yields the entries that can still be used and
:attr:`ProgressState.problem` says what is wrong; the next write moves the file aside
to ``progress.damaged-<UTC time>[-N].json`` (a new name each time), starts a new file
with the usable entries and says so in :attr:`ProgressStore.notices`.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import json
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from medlab._files import (
    atomic_write,
    exclusive_lock,
    read_regular_file,
    remove_stale_temporaries,
)
from medlab.config import config
from medlab.course.catalog import EXERCISE_ID, quoted
from medlab.errors import MedlabError

__all__ = [
    "InvalidExerciseIdError",
    "ProgressState",
    "ProgressStore",
    "default_store",
    "progress_dir",
]

_FORMAT_VERSION = 1
_MAX_BYTES = 4 * 1024 * 1024  # a whole course's progress is a few kilobytes
_MAX_TIME_CHARS = 64


class InvalidExerciseIdError(MedlabError, ValueError):
    """An id given to :meth:`ProgressStore.record_pass` that is not an exercise id."""


def progress_dir() -> Path:
    """The folder holding ``progress.json``: ``medlab.config.progress_dir``."""
    return config.progress_dir


def _now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class ProgressState:
    """What a progress file holds.

    Attributes
    ----------
    passed : dict of str to str
        Passed exercise ids mapped to the UTC time (ISO 8601) they first passed; for a
        damaged file, the entries that could still be used.
    problem : str or None
        Why the file cannot be used as it is (None when it is fine or absent).
    """

    passed: dict[str, str]
    problem: str | None = None


def _parse(raw: bytes) -> ProgressState:
    """The progress in ``raw`` (a file's bytes); never raises, whatever the bytes."""
    if len(raw) > _MAX_BYTES:
        return ProgressState({}, f"it is larger than {_MAX_BYTES // (1024 * 1024)} MiB")
    try:
        data = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        return ProgressState({}, "it is not UTF-8 text")
    except RecursionError:
        return ProgressState({}, "it is nested too deeply to be progress")
    except ValueError as exc:  # JSONDecodeError, an integer too long to convert ...
        return ProgressState({}, f"it is not valid JSON ({str(exc)[:80]})")
    if not isinstance(data, dict):
        return ProgressState({}, f"expected a JSON object, found {type(data).__name__}")
    version = data.get("version", _FORMAT_VERSION)
    if version != _FORMAT_VERSION or isinstance(version, bool):
        return ProgressState({}, f"expected format version 1, found {quoted(version, 20)}")
    passed = data.get("passed", {})
    if not isinstance(passed, dict):
        return ProgressState({}, f"expected 'passed' to be an object, found "
                                 f"{type(passed).__name__}")
    usable = {
        key: value
        for key, value in passed.items()
        if EXERCISE_ID.match(key) and isinstance(value, str) and len(value) <= _MAX_TIME_CHARS
    }
    unknown = sorted(set(data) - {"version", "passed"})
    if len(usable) < len(passed):
        bad = next(key for key in passed if key not in usable)
        return ProgressState(usable, f"{len(passed) - len(usable)} of its {len(passed)} "
                                     f"entries are not 'NN.name': time (first: {quoted(bad, 30)})")
    if unknown:
        return ProgressState(usable, f"unexpected key {quoted(unknown[0], 30)}")
    return ProgressState(usable)


class ProgressStore:
    """The progress file of one user.

    Parameters
    ----------
    folder : str or Path
        Folder holding ``progress.json`` and its lock file (created on first write).
    lock_timeout_s : float
        How long a write waits for another process holding ``progress.lock`` before
        it raises :class:`~medlab._files.LockTimeoutError`.

    Attributes
    ----------
    notices : list of str
        Messages for the learner from this store's writes: each time a damaged file
        was moved aside, where it is kept.
    """

    def __init__(self, folder: str | Path, *, lock_timeout_s: float = 10.0) -> None:
        self.folder = Path(folder)
        self.path = self.folder / "progress.json"
        self.lock_timeout_s = lock_timeout_s
        self.notices: list[str] = []
        self._lock_path = self.folder / "progress.lock"

    def __repr__(self) -> str:
        return f"ProgressStore({str(self.folder)!r})"

    # -- reading (no lock: writes replace the file atomically) ----------------------
    def read(self) -> ProgressState:
        """The progress and, for a file that cannot be used as is, what is wrong with it.

        Never raises because of the file's content or state; changes nothing.
        """
        try:
            raw = read_regular_file(self.path, max_bytes=_MAX_BYTES)
        except FileNotFoundError:
            return ProgressState({})
        except OSError as exc:  # a folder in its place, no permission ...
            return ProgressState({}, f"it cannot be read ({exc.strerror or exc})")
        return _parse(raw)

    def problem_message(self, state: ProgressState | None = None) -> str | None:
        """A sentence for the learner when the file cannot be used as is, else None."""
        state = self.read() if state is None else state
        if state.problem is None:
            return None
        kept = f"the {len(state.passed)} usable entries are shown" if state.passed else (
            "no progress can be shown")
        return (
            f"Your progress file {str(self.path)!r} cannot be used as it is: {state.problem}; "
            f"{kept}. It is left untouched; the next time you pass an exercise it is kept as "
            f"progress.damaged-<time>.json beside it and a new file is started."
        )

    def passed(self) -> dict[str, str]:
        """Passed exercise ids mapped to the UTC time (ISO 8601) they first passed."""
        return self.read().passed

    def is_passed(self, exercise_id: str) -> bool:
        """Whether ``exercise_id`` has passed."""
        return exercise_id in self.passed()

    # -- writing (under the lock) ---------------------------------------------------
    def _set_aside(self) -> str:
        """Move the unusable file to a name no other damaged copy has; return that name."""
        stamp = _dt.datetime.now(_dt.timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
        n = 0
        while True:  # under the lock: no other MedLab process names copies meanwhile
            name = f"progress.damaged-{stamp}{f'-{n}' if n else ''}.json"
            if not os.path.lexists(self.folder / name):
                break
            n += 1
        os.rename(self.path, self.folder / name)
        return name

    def _load_for_write(self) -> tuple[dict[str, str], bool]:
        """The usable entries, and whether an unusable file was just moved aside."""
        remove_stale_temporaries(self.folder, older_than_s=0, targets=[self.path.name])
        state = self.read()
        if state.problem is None or not os.path.lexists(self.path):
            return dict(state.passed), False
        copy = self._set_aside()
        kept = f"its {len(state.passed)} usable entries were kept" if state.passed else (
            "nothing in it could be used")
        self.notices.append(
            f"Your progress file could not be used ({state.problem}): it is kept as "
            f"{str(self.folder / copy)!r} and a new one was started ({kept})."
        )
        return dict(state.passed), True

    def _write(self, passed: dict[str, str]) -> None:
        payload = json.dumps(
            {"version": _FORMAT_VERSION, "passed": dict(sorted(passed.items()))}, indent=1
        )
        atomic_write(self.path, payload)

    def _lock(self) -> contextlib.AbstractContextManager[None]:
        return exclusive_lock(self._lock_path, timeout_s=self.lock_timeout_s)

    def record_pass(self, exercise_id: str) -> bool:
        """Record that ``exercise_id`` passed; return True if it had not passed before.

        The first pass time is kept when an exercise passes again.

        Raises
        ------
        InvalidExerciseIdError
            If ``exercise_id`` is not an exercise id (``"NN.name"``).
        medlab._files.LockTimeoutError
            If another process holds the lock longer than ``lock_timeout_s``.
        OSError
            If the file cannot be written (the lock file unusable, the disk full ...).
        """
        if not isinstance(exercise_id, str) or not EXERCISE_ID.match(exercise_id):
            raise InvalidExerciseIdError(
                f"Exercise id {quoted(exercise_id)} is not valid: expected 'NN.name' "
                "(e.g. '00.hounsfield')"
            )
        with self._lock():
            passed, moved = self._load_for_write()
            new = exercise_id not in passed
            if new or moved:
                passed.setdefault(exercise_id, _now())
                self._write(passed)
            return new

    def forget(self, exercise_ids: Iterable[str]) -> int:
        """Remove the given exercises from the passed set; return how many were removed."""
        with self._lock():
            passed, moved = self._load_for_write()
            removed = [e for e in exercise_ids if passed.pop(e, None) is not None]
            if removed or moved:
                self._write(passed)
            return len(removed)

    def remove_stale_temporaries(self) -> list[Path]:
        """Remove temporary files a killed writer left, if the lock is free right now.

        Returns what was removed (nothing when another process holds the lock).
        """
        if not self.folder.is_dir():
            return []
        try:
            with exclusive_lock(self._lock_path, timeout_s=0):
                return remove_stale_temporaries(self.folder, older_than_s=0,
                                                targets=[self.path.name])
        except OSError:
            return []


def default_store() -> ProgressStore:
    """The current user's store (in ``medlab.config.progress_dir``, read on every call)."""
    return ProgressStore(progress_dir())
