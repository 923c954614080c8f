"""The learner's workspace: learner copies of the lessons, confined paths, backups.

Used by ``medlab lab`` (to fill the workspace) and by the server extension (open,
reset). Every path is resolved inside the workspace: no ``..``, no absolute path, no
symlink that leads outside.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import os
from pathlib import Path, PurePosixPath, PureWindowsPath

from medlab._files import atomic_write
from medlab.config import config
from medlab.course.catalog import Lesson, load_catalog
from medlab.course.learner import learner_json
from medlab.errors import MedlabError

__all__ = [
    "BACKUP_DIR",
    "PathOutsideWorkspaceError",
    "UnknownLessonError",
    "Workspace",
    "default_workspace",
]

BACKUP_DIR = "backups"
_MANIFEST = Path(".medlab") / "manifest.json"


class PathOutsideWorkspaceError(MedlabError, PermissionError):
    """A path that would lead outside the workspace (``..``, absolute, symlink escape)."""


class UnknownLessonError(MedlabError, KeyError):
    """A lesson id that is not in the catalog."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


def default_workspace() -> Path:
    """``medlab.config.workspace``: ``MEDLAB_WORKSPACE`` if set, else ``~/medlab``."""
    return config.workspace


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class Workspace:
    """A folder holding the learner's copies of the lessons.

    Parameters
    ----------
    root : str or Path
        The workspace folder (created when needed).
    lessons_dir : str or Path, optional
        Source lessons; default: the bundled ``lessons/``.
    """

    def __init__(self, root: str | Path, lessons_dir: str | Path | None = None) -> None:
        self.root = Path(root).expanduser().absolute()
        self.lessons_dir = Path(config.lessons_dir if lessons_dir is None else lessons_dir)

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
        raise UnknownLessonError(f"Lesson {lesson_id!r} is not in the catalog")

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
        if (PurePosixPath(relative).is_absolute() or PureWindowsPath(relative).is_absolute()
                or PureWindowsPath(relative).drive):
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
    def _manifest(self) -> dict[str, str]:
        try:
            data = json.loads((self.root / _MANIFEST).read_text(encoding="utf-8"))
            return {str(k): str(v) for k, v in data.items()}
        except (OSError, ValueError, AttributeError):
            return {}

    def _save_manifest(self, manifest: dict[str, str]) -> None:
        atomic_write(self.root / _MANIFEST, json.dumps(manifest, indent=1, sort_keys=True))

    def _write_fresh(self, lesson: Lesson, manifest: dict[str, str]) -> Path:
        text = learner_json(self.lessons_dir / lesson.filename)
        path = self.lesson_path(lesson)
        atomic_write(path, text)
        manifest[lesson.filename] = _sha256(text.encode("utf-8"))
        return path

    def ensure(self, lesson_id: str) -> tuple[str, bool]:
        """Make sure the learner's copy exists; return (relative path, created)."""
        lesson = self.lesson(lesson_id)
        path = self.lesson_path(lesson)
        if path.is_file():
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
            go to ``backups/<lesson id>-<UTC time>.ipynb`` and are never deleted.
        """
        lesson = self.lesson(lesson_id)
        path = self.lesson_path(lesson)
        backup_rel = None
        if path.exists():
            stamp = _dt.datetime.now(_dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
            backups = self.resolve(BACKUP_DIR)
            backups.mkdir(parents=True, exist_ok=True)
            n = 0
            while True:
                suffix = f"-{n}" if n else ""
                name = f"{lesson.id}-{stamp}{suffix}.ipynb"
                target = backups / name
                try:  # exclusive create: never overwrite an older backup
                    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
                    break
                except FileExistsError:
                    n += 1
            with os.fdopen(fd, "wb") as handle:
                handle.write(path.read_bytes())
                handle.flush()
                os.fsync(handle.fileno())
            backup_rel = f"{BACKUP_DIR}/{name}"
        manifest = self._manifest()
        self._write_fresh(lesson, manifest)
        self._save_manifest(manifest)
        return lesson.filename, backup_rel

    def sync(self) -> dict[str, list[str]]:
        """Copy every lesson's learner version into the workspace, never overwriting edits.

        A missing copy is created; a copy the learner has not changed since MedLab
        wrote it is updated when the lesson changed; a changed copy is kept as is.

        Returns
        -------
        dict
            ``{"created": [...], "updated": [...], "kept": [...]}`` file names.
        """
        self.root.mkdir(parents=True, exist_ok=True)
        manifest = self._manifest()
        report: dict[str, list[str]] = {"created": [], "updated": [], "kept": []}
        for lesson in self.catalog():
            path = self.lesson_path(lesson)
            if not path.exists():
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
