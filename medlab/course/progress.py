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

File format (version 2; times are UTC, ISO 8601)::

    {"version": 2,
     "user": "alice",                                   # optional
     "passed": {"00.hounsfield": "2026-11-25T10:51:00Z", ...},
     "attempts": {"00.hounsfield": {"failed": 2,        # failed checks, all told
                                    "first_failed": "2026-11-25T10:49:12Z",
                                    "last_failed": "2026-11-25T10:50:31Z",
                                    "last_feedback": ["it looks like you forgot ..."]}}}

``attempts`` records the checks that failed, with the feedback the learner was given
(at most :data:`MAX_FEEDBACK_LINES` lines of :data:`MAX_FEEDBACK_LINE_CHARS` characters),
never the learner's code. A file is written in the oldest version that holds its
content: without attempts and user it is a version 1 file, ``{"version": 1, "passed":
{...}}``, as earlier MedLab wrote and reads; version 1 files are read as they are.

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
from collections.abc import Container, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

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
    "MAX_FEEDBACK_LINES",
    "MAX_FEEDBACK_LINE_CHARS",
    "Attempts",
    "InvalidExerciseIdError",
    "InvalidUserNameError",
    "ProgressState",
    "ProgressStore",
    "default_store",
    "progress_dir",
    "read_progress_file",
]

_FORMAT_VERSION = 2
_READABLE_VERSIONS = (1, 2)
_KEYS = ("version", "user", "passed", "attempts")
_MAX_BYTES = 4 * 1024 * 1024  # a whole course's progress is a few kilobytes
_MAX_TIME_CHARS = 64
_MAX_USER_CHARS = 100
_MAX_FAILED = 10**9
#: Feedback kept per exercise: the last failed check's lines, each cut to this length.
MAX_FEEDBACK_LINES = 5
MAX_FEEDBACK_LINE_CHARS = 300


class InvalidExerciseIdError(MedlabError, ValueError):
    """An id given to :meth:`ProgressStore.record_pass` that is not an exercise id."""


class InvalidUserNameError(MedlabError, ValueError):
    """A name given to :meth:`ProgressStore.set_user` that cannot be stored."""


def _require_exercise_id(exercise_id: object) -> None:
    if not isinstance(exercise_id, str) or not EXERCISE_ID.match(exercise_id):
        raise InvalidExerciseIdError(
            f"Exercise id {quoted(exercise_id)} is not valid: expected 'NN.name' "
            "(e.g. '00.hounsfield')"
        )


def progress_dir() -> Path:
    """The folder holding ``progress.json``: ``medlab.config.progress_dir``."""
    return config.progress_dir


def _now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _is_time(value: object) -> bool:
    return isinstance(value, str) and len(value) <= _MAX_TIME_CHARS


@dataclass(frozen=True)
class Attempts:
    """The failed checks of one exercise.

    Attributes
    ----------
    failed : int
        How many checks of the exercise failed (before and after any pass).
    first_failed, last_failed : str or None
        UTC times (ISO 8601) of the first and the latest failed check.
    last_feedback : tuple of str
        What the latest failed check said was wrong (its failing lines, cut to
        :data:`MAX_FEEDBACK_LINES` lines of :data:`MAX_FEEDBACK_LINE_CHARS` characters);
        never the learner's code.
    """

    failed: int
    first_failed: str | None = None
    last_failed: str | None = None
    last_feedback: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """The entry as stored in the file."""
        return {
            "failed": self.failed,
            "first_failed": self.first_failed,
            "last_failed": self.last_failed,
            "last_feedback": list(self.last_feedback),
        }


def _feedback_lines(lines: Iterable[object]) -> tuple[str, ...]:
    """Text lines only, at most MAX_FEEDBACK_LINES of MAX_FEEDBACK_LINE_CHARS each."""
    kept = [_cut(line, MAX_FEEDBACK_LINE_CHARS) for line in lines if isinstance(line, str)]
    return tuple(kept[:MAX_FEEDBACK_LINES])


def _parse_attempts(entry: object) -> Attempts | None:
    """An ``attempts`` entry of a file, or None when it does not have the stored shape."""
    if not isinstance(entry, dict):
        return None
    failed = entry.get("failed")
    if not isinstance(failed, int) or isinstance(failed, bool) or not 0 <= failed <= _MAX_FAILED:
        return None
    times = [entry.get(key) for key in ("first_failed", "last_failed")]
    if not all(t is None or _is_time(t) for t in times):
        return None
    feedback = entry.get("last_feedback", [])
    if not isinstance(feedback, list) or not all(isinstance(line, str) for line in feedback):
        return None
    return Attempts(failed, times[0], times[1], _feedback_lines(feedback))


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
    attempts : dict of str to Attempts
        Failed checks per exercise id (empty for a version 1 file).
    user : str or None
        The learner's name stored in the file, if any.
    """

    passed: dict[str, str]
    problem: str | None = None
    attempts: dict[str, Attempts] = field(default_factory=dict)
    user: str | None = None


def _usable_passes(passed: dict) -> dict[str, str]:
    return {
        key: value for key, value in passed.items() if EXERCISE_ID.match(key) and _is_time(value)
    }


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
    version = data.get("version", 1)
    if version not in _READABLE_VERSIONS or isinstance(version, bool):
        return ProgressState({}, f"expected format version 1 or 2, found {quoted(version, 20)}")
    passed = data.get("passed", {})
    if not isinstance(passed, dict):
        return ProgressState(
            {}, f"expected 'passed' to be an object, found {type(passed).__name__}"
        )
    usable = _usable_passes(passed)
    raw_attempts = data.get("attempts", {})
    attempts = {}
    if isinstance(raw_attempts, dict):
        for key, entry in raw_attempts.items():
            parsed = _parse_attempts(entry) if EXERCISE_ID.match(key) else None
            if parsed is not None:
                attempts[key] = parsed
    user = data.get("user")
    user_ok = user is None or (isinstance(user, str) and 0 < len(user) <= _MAX_USER_CHARS)
    problem = _shape_problem(data, usable, attempts, user_ok)
    return ProgressState(usable, problem, attempts, user if user_ok else None)


def _shape_problem(
    data: dict, usable: dict[str, str], attempts: dict[str, Attempts], user_ok: bool
) -> str | None:
    """What keeps a parsed file from being used as it is (its usable parts given), or None."""
    passed, raw_attempts = data.get("passed", {}), data.get("attempts", {})
    if len(usable) < len(passed):
        bad = next(key for key in passed if key not in usable)
        return (
            f"{len(passed) - len(usable)} of its {len(passed)} entries are not "
            f"'NN.name': time (first: {quoted(bad, 30)})"
        )
    if not isinstance(raw_attempts, dict):
        return f"expected 'attempts' to be an object, found {type(raw_attempts).__name__}"
    if len(attempts) < len(raw_attempts):
        bad = next(key for key in raw_attempts if key not in attempts)
        return (
            f"{len(raw_attempts) - len(attempts)} of its {len(raw_attempts)} "
            f"attempt entries are not 'NN.name': {{failed, times, feedback}} "
            f"(first: {quoted(bad, 30)})"
        )
    if not user_ok:
        return f"expected 'user' to be a name of at most {_MAX_USER_CHARS} characters"
    unknown = sorted(set(data) - set(_KEYS))
    if unknown:
        return f"unexpected key {quoted(unknown[0], 30)}"
    return None


def read_progress_file(path: str | Path) -> ProgressState:
    """The progress in the file ``path`` (any name), read without a lock; never raises.

    A missing file is empty progress; a file that cannot be read or used says why in
    :attr:`ProgressState.problem` (with the entries that could still be used).
    """
    try:
        raw = read_regular_file(path, max_bytes=_MAX_BYTES)
    except FileNotFoundError:
        return ProgressState({})
    except OSError as exc:  # a folder in its place, no permission ...
        return ProgressState({}, f"it cannot be read ({exc.strerror or exc})")
    return _parse(raw)


class ProgressStore:
    """The progress file of one user.

    Parameters
    ----------
    folder : str or Path
        Folder holding ``progress.json`` and its lock file (created on first write).
    lock_timeout_s : float
        How long a write waits for another process holding ``progress.lock`` before
        it raises :class:`~medlab._files.LockTimeoutError`.
    exercise_ids : container of str, optional
        The exercises this store may record: any other id is refused. None (the
        default) accepts any id of the form ``"NN.name"``; :func:`default_store`, the
        store ``check()`` writes to, accepts only the course's exercises.

    Attributes
    ----------
    notices : list of str
        Messages for the learner from this store's writes: each time a damaged file
        was moved aside, where it is kept.
    """

    def __init__(
        self,
        folder: str | Path,
        *,
        lock_timeout_s: float = 10.0,
        exercise_ids: Container[str] | None = None,
    ) -> None:
        self.folder = Path(folder)
        self.path = self.folder / "progress.json"
        self.lock_timeout_s = lock_timeout_s
        self.exercise_ids = exercise_ids
        self.notices: list[str] = []
        self._lock_path = self.folder / "progress.lock"

    def __repr__(self) -> str:
        return f"ProgressStore({str(self.folder)!r})"

    # -- reading (no lock: writes replace the file atomically) ----------------------
    def read(self) -> ProgressState:
        """The progress and, for a file that cannot be used as is, what is wrong with it.

        Never raises because of the file's content or state; changes nothing.
        """
        return read_progress_file(self.path)

    def problem_message(self, state: ProgressState | None = None) -> str | None:
        """A sentence for the learner when the file cannot be used as is, else None."""
        state = self.read() if state is None else state
        if state.problem is None:
            return None
        kept = (
            f"the {len(state.passed)} usable entries are shown"
            if state.passed
            else ("no progress can be shown")
        )
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

    def attempts(self) -> dict[str, Attempts]:
        """Failed checks per exercise id (see :class:`Attempts`)."""
        return self.read().attempts

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

    def _load_for_write(self) -> tuple[ProgressState, bool]:
        """The usable content, and whether an unusable file was just moved aside."""
        remove_stale_temporaries(self.folder, older_than_s=0, targets=[self.path.name])
        state = self.read()
        if state.problem is None or not os.path.lexists(self.path):
            return state, False
        copy = self._set_aside()
        kept = (
            f"its {len(state.passed)} usable entries were kept"
            if state.passed
            else ("nothing in it could be used")
        )
        self.notices.append(
            f"Your progress file could not be used ({state.problem}): it is kept as "
            f"{str(self.folder / copy)!r} and a new one was started ({kept})."
        )
        return state, True

    def _write(
        self, passed: dict[str, str], attempts: dict[str, Attempts], user: str | None
    ) -> None:
        """Write the whole file, in the oldest format version that holds its content."""
        data: dict[str, Any] = {"version": _FORMAT_VERSION if attempts or user else 1}
        if user:
            data["user"] = user
        data["passed"] = dict(sorted(passed.items()))
        if attempts:
            data["attempts"] = {key: attempts[key].to_json() for key in sorted(attempts)}
        atomic_write(self.path, json.dumps(data, indent=1, ensure_ascii=False))

    def _lock(self) -> contextlib.AbstractContextManager[None]:
        return exclusive_lock(self._lock_path, timeout_s=self.lock_timeout_s)

    def _require_known(self, exercise_id: object) -> None:
        _require_exercise_id(exercise_id)
        if self.exercise_ids is not None and exercise_id not in self.exercise_ids:
            raise InvalidExerciseIdError(
                f"{quoted(exercise_id)} is not an exercise of this course: nothing recorded"
            )

    def record_pass(self, exercise_id: str) -> bool:
        """Record that ``exercise_id`` passed; return True if it had not passed before.

        The first pass time is kept when an exercise passes again.

        Raises
        ------
        InvalidExerciseIdError
            If ``exercise_id`` is not an exercise id (``"NN.name"``), or not one of
            ``exercise_ids``.
        medlab._files.LockTimeoutError
            If another process holds the lock longer than ``lock_timeout_s``.
        OSError
            If the file cannot be written (the lock file unusable, the disk full ...).
        """
        self._require_known(exercise_id)
        with self._lock():
            state, moved = self._load_for_write()
            passed = dict(state.passed)
            new = exercise_id not in passed
            if new or moved:
                passed.setdefault(exercise_id, _now())
                self._write(passed, state.attempts, state.user)
            return new

    def record_failure(self, exercise_id: str, feedback: Iterable[str] = ()) -> int:
        """Record a failed check of ``exercise_id``; return its number of failed checks.

        Parameters
        ----------
        exercise_id : str
            ``"NN.name"``.
        feedback : iterable of str
            What the check said was wrong (its failing lines), kept as the entry's
            ``last_feedback``: at most :data:`MAX_FEEDBACK_LINES` lines, each cut to
            :data:`MAX_FEEDBACK_LINE_CHARS` characters; anything but text is left out.
            Never pass the learner's code.

        Raises
        ------
        InvalidExerciseIdError, medlab._files.LockTimeoutError, OSError
            As :meth:`record_pass`.
        """
        self._require_known(exercise_id)
        lines = _feedback_lines(feedback)
        with self._lock():
            state, _moved = self._load_for_write()
            attempts = dict(state.attempts)
            before = attempts.get(exercise_id, Attempts(0))
            now = _now()
            attempts[exercise_id] = Attempts(
                failed=min(before.failed + 1, _MAX_FAILED),
                first_failed=before.first_failed or now,
                last_failed=now,
                last_feedback=lines,
            )
            self._write(state.passed, attempts, state.user)
            return attempts[exercise_id].failed

    def set_user(self, name: str | None) -> None:
        """Store the learner's name in the file (None removes it).

        A class report names a learner by this name, else by the folder the file is in.

        Raises
        ------
        ValueError
            If ``name`` is not text of 1 to 100 printable characters.
        medlab._files.LockTimeoutError, OSError
            As :meth:`record_pass`.
        """
        if name is not None and not (
            isinstance(name, str) and 0 < len(name) <= _MAX_USER_CHARS and name.isprintable()
        ):
            raise InvalidUserNameError(
                f"User name {quoted(name)} is not valid: expected 1 to {_MAX_USER_CHARS} "
                "printable characters"
            )
        with self._lock():
            state, moved = self._load_for_write()
            if name != state.user or moved:
                self._write(state.passed, state.attempts, name)

    def forget(self, exercise_ids: Iterable[str]) -> int:
        """Remove the given exercises from the passed set; return how many were removed.

        Their failed checks stay recorded (a teacher's report still shows them).
        """
        with self._lock():
            state, moved = self._load_for_write()
            passed = dict(state.passed)
            removed = [e for e in exercise_ids if passed.pop(e, None) is not None]
            if removed or moved:
                self._write(passed, state.attempts, state.user)
            return len(removed)

    def remove_stale_temporaries(self) -> list[Path]:
        """Remove temporary files a killed writer left, if the lock is free right now.

        Returns what was removed (nothing when another process holds the lock).
        """
        if not self.folder.is_dir():
            return []
        try:
            with exclusive_lock(self._lock_path, timeout_s=0):
                return remove_stale_temporaries(
                    self.folder, older_than_s=0, targets=[self.path.name]
                )
        except OSError:
            return []


class _CourseExercises:
    """The ids of the exercises the course defines (looked up when asked)."""

    def __contains__(self, exercise_id: object) -> bool:
        from medlab.course.exercises import UnknownExerciseError, get

        try:
            get(exercise_id)  # type: ignore[arg-type]
        except UnknownExerciseError:
            return False
        return True


def default_store() -> ProgressStore:
    """The current user's store (in ``medlab.config.progress_dir``, read on every call).

    It records only the course's own exercises.
    """
    return ProgressStore(progress_dir(), exercise_ids=_CourseExercises())
