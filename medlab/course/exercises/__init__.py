"""Exercise definitions: one module per lesson, ``lessonNN.py``, each with an ``EXERCISES`` tuple.

An exercise is an :class:`ExerciseDef`: its id (``"NN.name"``), a title, a checker,
progressive hints and the reference solution text. The checker receives the learner's
answer (a value or a function) and returns a list of :class:`Item` (one line of
feedback each, passed or not); the exercise passes when every item passes. Checkers
describe what is expected (shape, type, value range) and never reveal the solution.

Most checkers are declared, not written: :mod:`._declarative` holds the common shape
(cases, a reference, a table of known mistakes and their messages), and :mod:`._learner`
is the one place that calls the learner's code and turns what it returns into plain
values before anything is compared.

To add exercises for lesson ``NN``, create ``lessonNN.py`` defining ``EXERCISES``;
:func:`get` finds it from the id prefix.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from medlab.errors import MedlabError

__all__ = ["ExerciseDef", "Item", "NotAttempted", "UnknownExerciseError", "all_exercises", "get"]


class UnknownExerciseError(MedlabError, KeyError):
    """An exercise id that no ``medlab.course.exercises.lessonNN`` module defines."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class NotAttempted(Exception):
    """Raised by a checker when the answer is still the placeholder (None, ``...``)."""


@dataclass(frozen=True)
class Item:
    """One line of feedback: a statement about the answer and whether it holds."""

    ok: bool
    message: str


@dataclass(frozen=True)
class ExerciseDef:
    """The definition of one exercise.

    Attributes
    ----------
    id : str
        ``"NN.name"``.
    title : str
        Short title, shown in feedback and in the side panel.
    checker : callable
        ``checker(answer) -> list[Item]``; may raise :class:`NotAttempted`.
    hints : tuple of str
        Progressive hints, from a nudge to nearly the answer.
    solution : str
        Reference solution code; equals the notebook's solution region and is what
        :func:`medlab.course.fallback` runs in the learner's namespace.
    """

    id: str
    title: str
    checker: Callable[[Any], list[Item]]
    hints: tuple[str, ...] = field(default=())
    solution: str = ""


def _module_for(exercise_id: str) -> str:
    prefix = exercise_id.split(".", 1)[0]
    if not (len(prefix) == 2 and prefix.isdigit()):
        raise UnknownExerciseError(
            f"Exercise id {exercise_id!r} should look like 'NN.name' (e.g. '00.hounsfield')"
        )
    return f"{__name__}.lesson{prefix}"


def get(exercise_id: str) -> ExerciseDef:
    """The definition of ``exercise_id``.

    Raises
    ------
    UnknownExerciseError
        If no exercise module defines that id.
    """
    if not isinstance(exercise_id, str):
        raise UnknownExerciseError(
            f"Exercise id should be a string like '00.hounsfield', found {exercise_id!r}"
        )
    name = _module_for(exercise_id)
    try:
        module = importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name != name:
            raise
        raise UnknownExerciseError(
            f"Exercise {exercise_id!r} is unknown: there is no module {name}"
        ) from None
    for exercise in module.EXERCISES:
        if exercise.id == exercise_id:
            return exercise
    known = ", ".join(e.id for e in module.EXERCISES) or "none"
    raise UnknownExerciseError(f"Exercise {exercise_id!r} is unknown; {name} defines: {known}")


def all_exercises() -> Iterator[ExerciseDef]:
    """Every defined exercise, lesson by lesson."""
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if info.name.startswith("lesson"):
            yield from importlib.import_module(f"{__name__}.{info.name}").EXERCISES
