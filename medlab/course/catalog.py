"""The lesson catalog, read from the notebooks' own ``"medlab"`` metadata.

See :mod:`medlab.course` for the metadata schema.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from medlab.errors import MedlabError

__all__ = [
    "Exercise",
    "Lesson",
    "LessonMetadataError",
    "load_catalog",
    "quoted",
    "read_lesson",
]

# ASCII digits only (``\d`` also takes other scripts' digits) and ``\Z``, not ``$``
# (which also matches before a trailing newline). ``NN_topic`` is a lesson, ``A<k>_topic``
# an appendix (the widget gallery ``A1_widget_gallery``).
LESSON_ID = re.compile(r"^(?:[0-9]{2}|A[0-9])_[a-z0-9_]+\Z")
EXERCISE_ID = re.compile(r"^[0-9]{2}\.[a-z0-9_]+\Z")
#: Appendix ``A<k>`` has number ``APPENDIX_NUMBER + k``: after every lesson.
APPENDIX_NUMBER = 100


def expected_number(lesson_id: str) -> int:
    """The number a lesson id implies: ``NN`` for ``NN_topic``, 100 + k for ``A<k>_topic``.

    Examples
    --------
    >>> expected_number("04_cross_entropy"), expected_number("A1_widget_gallery")
    (4, 101)
    """
    prefix = lesson_id.split("_", 1)[0]
    if prefix.startswith("A"):
        return APPENDIX_NUMBER + int(prefix[1:])
    return int(prefix)


def quoted(text: object, limit: int = 60) -> str:
    """``repr(text)`` cut to about ``limit`` characters, for echoing input in messages.

    Examples
    --------
    >>> quoted("00_welcome")
    "'00_welcome'"
    >>> quoted("x" * 100, limit=10)
    "'xxxxxxxxxx'… (100 characters)"
    """
    text = str(text)
    if len(text) <= limit:
        return repr(text)
    return f"{text[:limit]!r}… ({len(text)} characters)"


class LessonMetadataError(MedlabError, ValueError):
    """A lesson notebook whose ``"medlab"`` metadata does not follow the schema."""

    def __init__(self, path: object, problem: str) -> None:
        self.path = str(path)
        super().__init__(f"Lesson {self.path!r}: {problem}")


@dataclass(frozen=True)
class Exercise:
    """One exercise of a lesson, as listed in the lesson's metadata."""

    id: str
    title: str


@dataclass(frozen=True)
class Lesson:
    """One lesson notebook of the course.

    Attributes
    ----------
    id : str
        The file stem, e.g. ``"00_welcome"``.
    number : int
        Order in the course.
    title : str
        Sentence-case title.
    minutes : int
        Estimated minutes.
    objectives : tuple of str
        "You will learn" bullets.
    exercises : tuple of Exercise
        Exercises in notebook order.
    filename : str
        The notebook's file name, e.g. ``"00_welcome.ipynb"``.
    prerequisites : tuple of str
        Optional prerequisites.
    """

    id: str
    number: int
    title: str
    minutes: int
    objectives: tuple[str, ...]
    exercises: tuple[Exercise, ...]
    filename: str
    prerequisites: tuple[str, ...] = field(default=())

    @property
    def label(self) -> str:
        """How the lesson is numbered for people: ``"04"``, or ``"A1"`` for an appendix."""
        return self.id.split("_", 1)[0]

    @property
    def appendix(self) -> bool:
        """True for an appendix (``A<k>_topic``), which comes after the lessons."""
        return self.id.startswith("A")

    def to_dict(self) -> dict:
        """A JSON-ready dict (used by the server's catalog endpoint)."""
        return {
            "id": self.id,
            "number": self.number,
            "label": self.label,
            "appendix": self.appendix,
            "title": self.title,
            "minutes": self.minutes,
            "objectives": list(self.objectives),
            "prerequisites": list(self.prerequisites),
            "exercises": [{"id": e.id, "title": e.title} for e in self.exercises],
            "path": self.filename,
        }


_T = TypeVar("_T")


def _require(meta: dict, key: str, kind: type[_T], path: Path) -> _T:
    if key not in meta:
        raise LessonMetadataError(path, f"metadata 'medlab' has no {key!r} key")
    value = meta[key]
    if not isinstance(value, kind) or isinstance(value, bool):
        raise LessonMetadataError(
            path, f"metadata 'medlab.{key}' should be {kind}, found {type(value).__name__}"
        )
    return value


def _strings(value: object, key: str, path: Path) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise LessonMetadataError(path, f"metadata 'medlab.{key}' should be a list of strings")
    return tuple(value)


def read_lesson(path: str | Path) -> Lesson:
    """Read one lesson's catalog entry from its notebook metadata.

    Parameters
    ----------
    path : str or Path
        A ``NN_topic.ipynb`` notebook.

    Returns
    -------
    Lesson

    Raises
    ------
    LessonMetadataError
        If the notebook is not JSON or its ``"medlab"`` metadata breaks the schema.
    """
    path = Path(path)
    try:
        nb = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise LessonMetadataError(path, f"cannot be read as a notebook ({exc})") from exc
    meta = nb.get("metadata", {}).get("medlab") if isinstance(nb, dict) else None
    if not isinstance(meta, dict):
        raise LessonMetadataError(path, "notebook metadata has no 'medlab' object")
    lesson_id = _require(meta, "id", str, path)
    if lesson_id != path.stem or not LESSON_ID.match(lesson_id):
        raise LessonMetadataError(
            path,
            f"metadata 'medlab.id' should equal the file stem {path.stem!r} "
            f"(pattern NN_topic, or A1_topic for an appendix), found {lesson_id!r}",
        )
    number = _require(meta, "number", int, path)
    if number < 0 or expected_number(lesson_id) != number:
        raise LessonMetadataError(
            path, f"metadata 'medlab.number' should be {expected_number(lesson_id)}, found {number}"
        )
    title = _require(meta, "title", str, path)
    minutes = _require(meta, "minutes", int, path)
    if minutes <= 0:
        raise LessonMetadataError(path, f"metadata 'medlab.minutes' should be > 0, found {minutes}")
    objectives = _strings(meta.get("objectives"), "objectives", path)
    prerequisites = _strings(meta.get("prerequisites", []), "prerequisites", path)
    raw_exercises = _require(meta, "exercises", list, path)
    if raw_exercises and lesson_id.startswith("A"):
        raise LessonMetadataError(
            path,
            "an appendix has no exercises: 'medlab.exercises' "
            f"should be [], found {len(raw_exercises)}",
        )
    exercises = []
    for item in raw_exercises:
        if not isinstance(item, dict) or not isinstance(item.get("id"), str):
            raise LessonMetadataError(path, f"exercise entry {item!r} has no string 'id'")
        if not EXERCISE_ID.match(item["id"]) or int(item["id"][:2]) != number:
            raise LessonMetadataError(
                path, f"exercise id {item['id']!r} should look like '{number:02d}.name'"
            )
        exercises.append(Exercise(item["id"], str(item.get("title", item["id"]))))
    return Lesson(
        id=lesson_id,
        number=number,
        title=title,
        minutes=minutes,
        objectives=objectives,
        exercises=tuple(exercises),
        filename=path.name,
        prerequisites=prerequisites,
    )


_CACHE: dict[Path, tuple[tuple[int, int], Lesson]] = {}


def _read_lesson_cached(path: Path) -> Lesson:
    """:func:`read_lesson`, re-read only when the file's size or mtime changed.

    The side panel polls the catalog; lesson notebooks with stored outputs are large.
    """
    stat = path.stat()
    key = (stat.st_mtime_ns, stat.st_size)
    cached = _CACHE.get(path)
    if cached is not None and cached[0] == key:
        return cached[1]
    lesson = read_lesson(path)
    _CACHE[path] = (key, lesson)
    return lesson


def load_catalog(lessons_dir: str | Path | None = None) -> list[Lesson]:
    """All lessons in ``lessons_dir`` (default: the bundled lessons), sorted by number.

    Appendices (``A1_topic.ipynb``) come after the lessons. Notebooks whose names look
    like neither ``NN_topic.ipynb`` nor ``A<k>_topic.ipynb`` are ignored.

    Raises
    ------
    LessonMetadataError
        If a lesson's metadata breaks the schema or two lessons share a number.
    FileNotFoundError
        If ``lessons_dir`` does not exist.
    """
    if lessons_dir is None:
        from medlab.config import config

        lessons_dir = config.lessons_dir
    lessons_dir = Path(lessons_dir)
    if not lessons_dir.is_dir():
        raise FileNotFoundError(f"Lessons folder {str(lessons_dir)!r} does not exist")
    lessons = [
        _read_lesson_cached(p)
        for p in sorted(lessons_dir.glob("*.ipynb"))
        if LESSON_ID.match(p.stem)
    ]
    seen: dict[int, str] = {}
    for lesson in lessons:
        if lesson.number in seen:
            raise LessonMetadataError(
                lesson.filename,
                f"lesson number {lesson.number} is also used by {seen[lesson.number]!r}",
            )
        seen[lesson.number] = lesson.filename
    return sorted(lessons, key=lambda lesson: lesson.number)
