"""The learner's workspace: learner copies of the lessons, confined paths, backups.

Used by ``medlab lab`` (to fill the workspace) and by the server extension (open,
reset). Every path is resolved inside the workspace: no ``..``, no absolute path, no
symlink that leads outside; MedLab's own folder ``.medlab`` (the manifest and the lock
file) included. MedLab writes only regular files: a folder or a symbolic link where a
lesson copy goes is refused with :class:`WorkspaceConflictError`, before anything is
written.

Every write (open, reset, sync) holds an exclusive lock on ``.medlab/workspace.lock``,
waiting at most ``lock_timeout_s``; under that lock, temporary files that a killed
writer left behind are removed at the next start (:meth:`Workspace.sync`).
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import hashlib
import json
import os
import stat
from collections.abc import Iterator
from pathlib import Path, PurePosixPath, PureWindowsPath

from medlab._files import (
    atomic_write,
    exclusive_lock,
    read_regular_file,
    remove_stale_temporaries,
    write_new,
)
from medlab.config import config
from medlab.course.catalog import Lesson, load_catalog, quoted
from medlab.course.learner import learner_json
from medlab.errors import MedlabError

__all__ = [
    "BACKUP_DIR",
    "PathOutsideWorkspaceError",
    "UnknownLessonError",
    "Workspace",
    "WorkspaceConflictError",
    "default_workspace",
]

BACKUP_DIR = "backups"
_MEDLAB_DIR = ".medlab"
_MANIFEST = f"{_MEDLAB_DIR}/manifest.json"
_LOCK = "workspace.lock"
_MAX_MANIFEST_BYTES = 1024 * 1024


class PathOutsideWorkspaceError(MedlabError, PermissionError):
    """A path that would lead outside the workspace (``..``, absolute, symlink escape)."""


class UnknownLessonError(MedlabError, KeyError):
    """A lesson id that is not in the catalog."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class WorkspaceConflictError(MedlabError, OSError):
    """Something in the workspace is in the way of a write: a folder or a link where a file goes."""


def default_workspace() -> Path:
    """``medlab.config.workspace``: ``MEDLAB_WORKSPACE`` if set, else ``~/medlab``."""
    return config.workspace


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _is_regular_file(path: Path, relative: str) -> bool:
    """True for a regular file, False when nothing is there; else a conflict error."""
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        return False
    if stat.S_ISREG(mode):
        return True
    if stat.S_ISLNK(mode):
        found = f"a symbolic link (to {quoted(os.readlink(path))})"
    elif stat.S_ISDIR(mode):
        found = "a folder"
    else:
        found = "not a regular file"
    raise WorkspaceConflictError(
        f"{relative!r} in the workspace is {found}, not a notebook file; MedLab writes only "
        "regular files: move it away, then try again"
    )


def _make_folder(path: Path, relative: str) -> None:
    try:
        path.mkdir(parents=True, exist_ok=True)
    except FileExistsError as exc:
        raise WorkspaceConflictError(
            f"{relative!r} in the workspace is a file; MedLab needs a folder there: "
            "move it away, then try again"
        ) from exc


class Workspace:
    """A folder holding the learner's copies of the lessons.

    Parameters
    ----------
    root : str or Path
        The workspace folder (created when needed).
    lessons_dir : str or Path, optional
        Source lessons; default: the bundled ``lessons/``.
    lock_timeout_s : float
        How long a write waits for another process holding ``.medlab/workspace.lock``
        before it raises :class:`~medlab._files.LockTimeoutError`.
    """

    def __init__(
        self,
        root: str | Path,
        lessons_dir: str | Path | None = None,
        *,
        lock_timeout_s: float = 10.0,
    ) -> None:
        self.root = Path(root).expanduser().absolute()
        self.lessons_dir = Path(config.lessons_dir if lessons_dir is None else lessons_dir)
        self.lock_timeout_s = lock_timeout_s

    def catalog(self) -> list[Lesson]:
        """The lessons, sorted by number."""
        return load_catalog(self.lessons_dir)

    def lesson(self, lesson_id: str) -> Lesson:
        """The catalog entry of ``lesson_id``.

        Raises
        ------
        UnknownLessonError
            If no lesson has that id.
        """
        for lesson in self.catalog():
            if lesson.id == lesson_id:
                return lesson
        raise UnknownLessonError(f"Lesson {quoted(lesson_id)} is not in the catalog")

    def resolve(self, relative: str) -> Path:
        """The absolute path of ``relative`` inside the workspace.

        Raises
        ------
        PathOutsideWorkspaceError
            If ``relative`` is absolute, contains ``..``, or resolves (following
            symlinks) outside the workspace.
        """
        if not isinstance(relative, str) or not relative or "\x00" in relative:
            raise PathOutsideWorkspaceError(f"Path {relative!r} is not a valid relative path")
        if (
            PurePosixPath(relative).is_absolute()
            or PureWindowsPath(relative).is_absolute()
            or PureWindowsPath(relative).drive
        ):
            raise PathOutsideWorkspaceError(
                f"Path {relative!r} is absolute; expected a path inside the workspace"
            )
        parts = PureWindowsPath(relative).parts  # splits on both / and \
        if ".." in parts:
            raise PathOutsideWorkspaceError(f"Path {relative!r} contains '..'")
        root = self.root.resolve()
        target = (root / Path(*parts)).resolve()
        if target != root and root not in target.parents:
            raise PathOutsideWorkspaceError(
                f"Path {relative!r} leads outside the workspace {str(root)!r} (symlink?)"
            )
        return target

    def lesson_path(self, lesson: Lesson) -> Path:
        """Where the learner's copy of ``lesson`` lives (confined to the workspace)."""
        return self.resolve(lesson.filename)

    def exists(self, lesson: Lesson) -> bool:
        """Whether the learner's copy of ``lesson`` exists."""
        try:
            return self.lesson_path(lesson).is_file()
        except PathOutsideWorkspaceError:
            return False

    # -- writing --------------------------------------------------------------------
    def _lesson_file(self, lesson: Lesson) -> Path:
        """Where the copy of ``lesson`` is written (links at that name are not followed)."""
        self.lesson_path(lesson)  # a link leading outside is refused first
        return self.root.resolve() / lesson.filename

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        folder = self.resolve(_MEDLAB_DIR)
        _make_folder(folder, _MEDLAB_DIR)
        with exclusive_lock(folder / _LOCK, timeout_s=self.lock_timeout_s):
            yield

    def _manifest(self) -> dict[str, str]:
        try:
            raw = read_regular_file(self.resolve(_MANIFEST), max_bytes=_MAX_MANIFEST_BYTES)
            data = json.loads(raw) if len(raw) <= _MAX_MANIFEST_BYTES else None
        except (OSError, ValueError, RecursionError):
            return {}
        if not isinstance(data, dict):
            return {}
        return {key: value for key, value in data.items() if isinstance(value, str)}

    def _save_manifest(self, manifest: dict[str, str]) -> None:
        self.resolve(_MANIFEST)  # refuses a link leading outside
        # Written at its own name in the confined folder: a link there is replaced, not
        # written through.
        atomic_write(
            self.resolve(_MEDLAB_DIR) / "manifest.json",
            json.dumps(manifest, indent=1, sort_keys=True),
        )

    def _write_fresh(self, lesson: Lesson, manifest: dict[str, str]) -> Path:
        text = learner_json(self.lessons_dir / lesson.filename)
        path = self._lesson_file(lesson)
        atomic_write(path, text)
        manifest[lesson.filename] = _sha256(text.encode("utf-8"))
        return path

    def _backup(self, lesson: Lesson, path: Path) -> str:
        """Copy ``path`` to a new ``backups/<id>-<UTC time>[-N].ipynb``; never overwrites."""
        folder = self.resolve(BACKUP_DIR)
        _make_folder(folder, BACKUP_DIR)
        stamp = _dt.datetime.now(_dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
        # 0o600, as atomic_write makes the copies
        name = write_new(folder, f"{lesson.id}-{stamp}", ".ipynb", path.read_bytes()).name
        return f"{BACKUP_DIR}/{name}"

    def ensure(self, lesson_id: str) -> tuple[str, bool]:
        """Make sure the learner's copy exists; return (relative path, created).

        Raises
        ------
        UnknownLessonError
            If no lesson has that id.
        PathOutsideWorkspaceError
            If the copy or ``.medlab`` is a link leading outside the workspace.
        WorkspaceConflictError
            If a folder or a link that leads nowhere is where the copy goes.
        medlab._files.LockTimeoutError
            If another process holds the workspace lock longer than ``lock_timeout_s``.
        """
        lesson = self.lesson(lesson_id)
        path = self._lesson_file(lesson)
        if path.is_file():
            return lesson.filename, False
        self.resolve(_MANIFEST)  # refused before anything is written
        with self._locked():
            if _is_regular_file(path, lesson.filename):  # made meanwhile
                return lesson.filename, False
            manifest = self._manifest()
            self._write_fresh(lesson, manifest)
            self._save_manifest(manifest)
        return lesson.filename, True

    def reset(self, lesson_id: str) -> tuple[str, str | None]:
        """Replace the learner's copy by a fresh one, keeping the old one as a backup.

        Returns
        -------
        (path, backup) : tuple of str
            Workspace-relative paths; ``backup`` is None when there was no copy. Backups
            go to ``backups/<lesson id>-<UTC time>.ipynb`` (mode ``0o600``, like the
            copies) and are never deleted.

        Raises
        ------
        UnknownLessonError, PathOutsideWorkspaceError, WorkspaceConflictError, LockTimeoutError
            As :meth:`ensure`; a link or a folder at the copy's place is refused before
            any backup is made.
        """
        lesson = self.lesson(lesson_id)
        path = self._lesson_file(lesson)
        self.resolve(_MANIFEST)
        with self._locked():
            backup = self._backup(lesson, path) if _is_regular_file(path, lesson.filename) else None
            manifest = self._manifest()
            self._write_fresh(lesson, manifest)
            self._save_manifest(manifest)
        return lesson.filename, backup

    def _remove_temporaries(self, lessons: list[Lesson]) -> list[Path]:
        """Under the lock: every temporary file MedLab's writers left here is stale."""
        root = self.root.resolve()
        removed = remove_stale_temporaries(
            root, older_than_s=0, targets=[lesson.filename for lesson in lessons]
        )
        for folder in (_MEDLAB_DIR, BACKUP_DIR):
            with contextlib.suppress(PathOutsideWorkspaceError):  # not ours to clean
                removed += remove_stale_temporaries(self.resolve(folder), older_than_s=0)
        return removed

    def remove_stale_temporaries(self) -> list[Path]:
        """Remove temporary files a killed writer left, if the lock is free right now.

        Returns what was removed; nothing when another process holds the lock or the
        workspace or its lessons cannot be read.
        """
        try:
            lessons = self.catalog()
            if not (self.root / _MEDLAB_DIR).is_dir():
                return []
            with exclusive_lock(self.resolve(_MEDLAB_DIR) / _LOCK, timeout_s=0):
                return self._remove_temporaries(lessons)
        except (OSError, ValueError):
            return []

    def sync(self) -> dict[str, list[str]]:
        """Copy every lesson's learner version into the workspace, never overwriting edits.

        A missing copy is created; a copy the learner has not changed since MedLab
        wrote it is updated when the lesson changed; a changed copy is kept as is, and
        so is anything that is not a regular file (a folder, a link). Temporary files
        left by a killed writer are removed first.

        Returns
        -------
        dict
            ``{"created": [...], "updated": [...], "kept": [...]}`` file names.
        """
        self.root.mkdir(parents=True, exist_ok=True)
        report: dict[str, list[str]] = {"created": [], "updated": [], "kept": []}
        lessons = self.catalog()
        self.resolve(_MANIFEST)
        with self._locked():
            self._remove_temporaries(lessons)
            manifest = self._manifest()
            for lesson in lessons:
                path = self.root.resolve() / lesson.filename
                try:
                    exists = _is_regular_file(path, lesson.filename)
                except WorkspaceConflictError:
                    report["kept"].append(lesson.filename)
                    continue
                if not exists:
                    self._write_fresh(lesson, manifest)
                    report["created"].append(lesson.filename)
                    continue
                current = _sha256(path.read_bytes())
                fresh = learner_json(self.lessons_dir / lesson.filename)
                if current == manifest.get(lesson.filename) and current != _sha256(fresh.encode()):
                    self._write_fresh(lesson, manifest)
                    report["updated"].append(lesson.filename)
                else:
                    report["kept"].append(lesson.filename)
            self._save_manifest(manifest)
        return report
