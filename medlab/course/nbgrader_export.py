"""The lessons as an nbgrader 0.9 course: ``medlab class nbgrader``.

Each lesson ``NN_topic`` becomes the nbgrader source notebook
``source/NN_topic/NN_topic.ipynb`` of a course folder:

- each exercise cell becomes an **autograded answer** cell (nbgrader metadata
  ``solution: true``) holding the lesson's code with its solution region, whose
  ``### BEGIN SOLUTION`` / ``### END SOLUTION`` markers are nbgrader's own syntax (so
  ``nbgrader generate_assignment`` puts ``# YOUR CODE HERE`` in their place), followed by
  a **read-only test cell** (``grade: true, locked: true, points``) in place of the
  cell's ``check("NN.name", answer)`` line::

      from medlab.course.grading import grade
      grade("00.hounsfield", hu, points=1)

  It shows MedLab's feedback and returns the points earned (see
  :mod:`medlab.course.grading`: all for a pass, a share per part for checkers of
  several parts), which nbgrader takes as the cell's score;
- every other cell is read-only (``locked: true``), so the autograder runs the lesson's
  own code; outputs are cleared.

The course folder also gets an ``nbgrader_config.py`` (only when it has none) that gives
each cell 10 minutes (nbgrader's default of 30 s is shorter than a lesson's training).
"""

from __future__ import annotations

import ast
import copy
import json
import math
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from medlab._files import atomic_write
from medlab.course.catalog import Lesson, LessonMetadataError, load_catalog
from medlab.course.learner import _BEGIN, _region_id, _source, _split_cell
from medlab.errors import MedlabError

__all__ = ["ExportConflictError", "ExportOptionError", "export_nbgrader", "nbgrader_notebook"]

SCHEMA_VERSION = 3  # nbgrader 0.9's cell metadata schema
CELL_TIMEOUT_S = 600
_NUMBER = re.compile(r"[0-9]{1,3}")

_CONFIG = f"""\
# nbgrader settings for the MedLab course exported by `medlab class nbgrader`.
# Written once: edit freely, the export does not overwrite this file.
c = get_config()  # noqa: F821

# Lessons train small models: give each cell up to {CELL_TIMEOUT_S // 60} minutes
# (nbgrader's default is 30 s).
c.Execute.timeout = {CELL_TIMEOUT_S}
"""


class ExportConflictError(MedlabError, FileExistsError):
    """A source notebook the export would replace, without ``force``."""


class ExportOptionError(MedlabError, ValueError):
    """A lesson to export that does not exist, or points for an exercise not exported."""


def _meta(
    grade_id: str,
    *,
    grade: bool = False,
    solution: bool = False,
    locked: bool = False,
    points: float | None = None,
) -> dict[str, Any]:
    meta: dict[str, Any] = {
        "grade": grade,
        "grade_id": grade_id,
        "locked": locked,
        "schema_version": SCHEMA_VERSION,
        "solution": solution,
    }
    if points is not None:
        meta["points"] = points
    return meta


def _check_calls(text: str, where: str) -> list[tuple[int, int, str, str]]:
    """Where a cell's exercise checks are, and what they check.

    One ``(first line, last line, exercise id, answer source)`` per top-level
    ``check("NN.name", answer)`` statement of the cell (lines counted from 1).
    """
    try:
        tree = ast.parse(text)
    except SyntaxError as exc:
        raise LessonMetadataError(
            where, f"an exercise cell is not valid Python ({exc.msg})"
        ) from exc
    calls = []
    for node in tree.body:
        call = node.value if isinstance(node, ast.Expr) else None
        if not (
            isinstance(call, ast.Call)
            and isinstance(call.func, ast.Name)
            and call.func.id == "check"
        ):
            continue
        args = call.args
        if len(args) < 2 or not (
            isinstance(args[0], ast.Constant) and isinstance(args[0].value, str)
        ):
            raise LessonMetadataError(
                where, 'expected check("NN.name", answer) in an exercise cell'
            )
        answer = ast.get_source_segment(text, args[1]) or ast.unparse(args[1])
        calls.append((node.lineno, node.end_lineno or node.lineno, args[0].value, answer))
    return calls


def _exercise_cells(
    cell: dict, index: int, where: str, points: Mapping[str, float], default_points: float
) -> list[dict]:
    """The answer cell and the test cells that replace one exercise cell."""
    text = _source(cell)
    region_ids = [
        _region_id(part[2], text, where) for part in _split_cell(text, where) if part[0] == "region"
    ]
    calls = _check_calls(text, where)
    missing = sorted(set(region_ids) - {call[2] for call in calls})
    if missing:
        raise LessonMetadataError(
            where,
            f"the exercise cell of {missing[0]!r} has no check({missing[0]!r}, answer) "
            "statement: the nbgrader export grades the answer that check receives",
        )
    dropped = {line for first, last, *_ in calls for line in range(first, last + 1)}
    lines = []
    for number, line in enumerate(text.splitlines(keepends=True), 1):
        if number in dropped:
            continue
        begin = _BEGIN.match(line.rstrip("\r\n"))
        lines.append(f"{begin['indent']}### BEGIN SOLUTION\n" if begin else line)
    answer_source = "".join(lines).rstrip("\n")
    exercise_ids = list(dict.fromkeys(region_ids))
    answer_id = "answer_" + "_".join(e.replace(".", "_") for e in exercise_ids)
    cells: list[dict[str, Any]] = [
        {
            "cell_type": "code",
            "execution_count": None,
            "id": f"{cell.get('id', f'c{index}')}-answer"[:64],
            "metadata": {"nbgrader": _meta(answer_id, solution=True)},
            "outputs": [],
            "source": answer_source,
        }
    ]
    for number, (_first, _last, exercise_id, answer) in enumerate(calls):
        value = points.get(exercise_id, default_points)
        shown = int(value) if float(value).is_integer() else value
        cells.append(
            {
                "cell_type": "code",
                "execution_count": None,
                "id": f"{cell.get('id', f'c{index}')}-test{number or ''}"[:64],
                "metadata": {
                    "nbgrader": _meta(
                        f"test_{exercise_id.replace('.', '_')}",
                        grade=True,
                        locked=True,
                        points=value,
                    )
                },
                "outputs": [],
                "source": (
                    f"# Graded by MedLab's checker for {exercise_id} ({shown!r} "
                    f"point{'' if value == 1 else 's'}); run it to see the feedback.\n"
                    "from medlab.course.grading import grade\n"
                    f'grade("{exercise_id}", {answer}, points={shown!r})'
                ),
            }
        )
    return cells


def _read_only(cell: dict, index: int) -> dict:
    out = copy.deepcopy(cell)
    metadata = {
        key: value
        for key, value in out.get("metadata", {}).items()
        if key not in ("execution", "nbgrader")
    }
    metadata["nbgrader"] = _meta(f"cell_{index:03d}", locked=True)
    out["metadata"] = metadata
    if out.get("cell_type") == "code":
        out["outputs"], out["execution_count"] = [], None
    return out


def nbgrader_notebook(
    nb: dict,
    lesson: Lesson,
    *,
    points: float = 1.0,
    points_for: Mapping[str, float] | None = None,
) -> dict:
    """The nbgrader source version of a lesson notebook (a notebook JSON dict).

    Parameters
    ----------
    nb : dict
        The lesson's source notebook (with solution regions).
    lesson : Lesson
        Its catalog entry.
    points : float
        Points of each exercise.
    points_for : mapping of str to float, optional
        Points of particular exercises, by id.

    Raises
    ------
    LessonMetadataError
        For unbalanced solution markers, or an exercise cell without its
        ``check("NN.name", answer)`` statement.
    """
    points_for = dict(points_for or {})
    for exercise_id, value in [("every exercise", points), *points_for.items()]:
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not (math.isfinite(value) and value > 0)
        ):
            raise ValueError(f"points for {exercise_id} should be a number > 0, found {value!r}")
    exercises = ", ".join(e.id for e in lesson.exercises) or "none"
    intro = {
        "cell_type": "markdown",
        "id": "medlab-nbgrader-intro",
        "metadata": {"nbgrader": _meta("medlab_intro", locked=True)},
        "source": (
            f"*MedLab lesson {lesson.id} as an nbgrader assignment (exercises: {exercises}).*\n"
            "Write your code in the cells that say `YOUR CODE HERE`; the read-only cell after "
            "each one grades it with MedLab's checker and shows its feedback."
        ),
    }
    cells = [intro]
    for index, cell in enumerate(nb.get("cells", [])):
        text = _source(cell)
        where = f"{lesson.filename} cell {index}"
        if cell.get("cell_type") == "code" and "### BEGIN SOLUTION" in text:
            cells.extend(_exercise_cells(cell, index, where, points_for, points))
        else:
            cells.append(_read_only(cell, index))
    metadata = {key: value for key, value in nb.get("metadata", {}).items() if key != "widgets"}
    metadata["medlab"] = {**metadata.get("medlab", {}), "variant": "nbgrader"}
    return {
        "cells": cells,
        "metadata": metadata,
        "nbformat": 4,
        "nbformat_minor": max(5, nb.get("nbformat_minor", 5)),
    }


def export_nbgrader(
    out_dir: str | Path,
    *,
    lessons_dir: str | Path | None = None,
    lessons: Iterable[str] | None = None,
    points: float = 1.0,
    points_for: Mapping[str, float] | None = None,
    force: bool = False,
) -> list[Path]:
    """Write the lessons as the nbgrader course folder ``out_dir``; return the notebooks.

    Parameters
    ----------
    out_dir : str or Path
        The course folder (nbgrader's ``CourseDirectory.root``): ``source/<lesson id>/``
        gets each lesson, ``nbgrader_config.py`` is written when missing.
    lessons_dir : str or Path, optional
        The source lessons (default: ``medlab.config.lessons_dir``).
    lessons : iterable of str, optional
        Lesson ids (``"00_welcome"``) or numbers (``"00"``, ``"4"``) to export; default
        every lesson with exercises.
    points, points_for
        As in :func:`nbgrader_notebook`.
    force : bool
        Replace source notebooks that differ from the export (a teacher's edits).

    Raises
    ------
    ExportConflictError
        If a source notebook exists, differs and ``force`` is False (nothing is written).
    LessonMetadataError
        If a lesson cannot be exported (see :func:`nbgrader_notebook`).
    ExportOptionError
        If a requested lesson does not exist, or ``points_for`` names an exercise that
        is not exported.
    """
    catalog = load_catalog(lessons_dir)
    chosen = _choose(catalog, lessons)
    exported = {e.id for lesson in chosen for e in lesson.exercises}
    unknown = sorted(set(points_for or {}) - exported)
    if unknown:
        raise ExportOptionError(
            f"Points are given for {unknown[0]!r}, which is not an exercise "
            f"of the exported lessons ({', '.join(sorted(exported))})"
        )
    folder = Path(lessons_dir) if lessons_dir is not None else _default_lessons_dir()
    out = Path(out_dir)
    texts = {}
    for lesson in chosen:
        source = folder / lesson.filename
        try:
            nb = json.loads(source.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise LessonMetadataError(source, f"cannot be read as a notebook ({exc})") from exc
        target = out / "source" / lesson.id / lesson.filename
        text = (
            json.dumps(
                nbgrader_notebook(nb, lesson, points=points, points_for=points_for),
                indent=1,
                ensure_ascii=False,
            )
            + "\n"
        )
        if not force and target.exists() and target.read_text(encoding="utf-8") != text:
            raise ExportConflictError(
                f"{str(target)!r} exists and differs from the export of {lesson.id} (edited?); "
                "pass --force to replace it"
            )
        texts[target] = text
    for target, text in texts.items():
        atomic_write(target, text, permissions=0o644)
    config = out / "nbgrader_config.py"
    if not config.exists():
        atomic_write(config, _CONFIG, permissions=0o644)
    return list(texts)


def _default_lessons_dir() -> Path:
    from medlab.config import config

    return Path(config.lessons_dir)


def _choose(catalog: list[Lesson], wanted: Iterable[str] | None) -> list[Lesson]:
    if wanted is None:
        return [lesson for lesson in catalog if lesson.exercises]
    chosen: list[Lesson] = []
    for name in wanted:
        match = [
            lesson
            for lesson in catalog
            if name == lesson.id or (_NUMBER.fullmatch(name) and int(name) == lesson.number)
        ]
        if not match:
            known = ", ".join(lesson.id for lesson in catalog) or "none"
            raise ExportOptionError(f"There is no lesson {name!r}; the lessons are: {known}")
        chosen.extend(lesson for lesson in match if lesson not in chosen)
    return chosen
