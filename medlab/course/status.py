"""The learner's course status: every lesson with its progress, and the lesson to do next.

One assembly for every surface: the side panel reads it from the server's catalog
endpoint, ``medlab lessons`` prints it as a table.
"""

from __future__ import annotations

from typing import Any

from medlab.course.progress import ProgressStore
from medlab.course.workspace import Workspace

__all__ = ["course_status", "status_table"]


def course_status(workspace: Workspace, store: ProgressStore) -> dict[str, Any]:
    """The catalog of ``workspace``'s lessons with the progress recorded in ``store``.

    Parameters
    ----------
    workspace : Workspace
        The learner's workspace (its source lessons give the catalog; its folder says
        which lessons already have a learner copy).
    store : ProgressStore
        The learner's progress.

    Returns
    -------
    dict
        JSON-ready ``{"lessons": [...], "next": lesson id or None}``. Each lesson is
        :meth:`Lesson.to_dict` plus ``"passed"`` (exercises passed), ``"total"``
        (exercises), ``"exists"`` (the learner's copy is in the workspace), and each of
        its exercises gains ``"passed"`` (bool). ``"next"`` is the first lesson with an
        exercise not passed yet, else the last lesson, else None (no lessons).

    Raises
    ------
    LessonMetadataError
        If a lesson's metadata breaks the schema.
    FileNotFoundError
        If the workspace's lessons folder does not exist.
    """
    passed = store.passed()
    lessons = []
    next_id = None
    for lesson in workspace.catalog():
        entry = lesson.to_dict()
        for exercise in entry["exercises"]:
            exercise["passed"] = exercise["id"] in passed
        entry["passed"] = sum(exercise["passed"] for exercise in entry["exercises"])
        entry["total"] = len(entry["exercises"])
        entry["exists"] = workspace.exists(lesson)
        if next_id is None and entry["passed"] < entry["total"]:
            next_id = lesson.id
        lessons.append(entry)
    if next_id is None and lessons:
        next_id = lessons[-1]["id"]
    return {"lessons": lessons, "next": next_id}


def status_table(status: dict[str, Any]) -> str:
    """:func:`course_status` as a plain-text table, the next lesson marked ``>``.

    Parameters
    ----------
    status : dict
        What :func:`course_status` returns.

    Returns
    -------
    str
        One line per lesson (its label, ``00`` or ``A1`` for an appendix; title,
        minutes, exercises passed/total) and a summary line, without a trailing newline.

    Examples
    --------
    >>> print(status_table({"lessons": [], "next": None}))
    No lessons found.
    """
    lessons = status["lessons"]
    if not lessons:
        return "No lessons found."
    width = max(len("title"), *(len(lesson["title"]) for lesson in lessons))
    digits = max(2, *(len(lesson["label"]) for lesson in lessons))
    lines = [f"   {'#':>{digits}}  {'title':<{width}}  {'minutes':>7}  {'exercises':>9}"]
    for lesson in lessons:
        mark = ">" if lesson["id"] == status["next"] else " "
        exercises = f"{lesson['passed']}/{lesson['total']}"
        lines.append(
            f" {mark} {lesson['label']:>{digits}}  {lesson['title']:<{width}}  "
            f"{lesson['minutes']:>7}  {exercises:>9}"
        )
    passed = sum(lesson["passed"] for lesson in lessons)
    total = sum(lesson["total"] for lesson in lessons)
    nxt = next(lesson for lesson in lessons if lesson["id"] == status["next"])
    lines.append("")
    lines.append(
        f"{passed} of {total} exercises passed. "
        f"Next (>): {'appendix' if nxt['appendix'] else 'lesson'} {nxt['label']}, "
        f"{nxt['title']} ({nxt['path']})."
    )
    return "\n".join(lines)
