"""Grades from MedLab's own checkers: what ``medlab class nbgrader`` test cells call.

A test cell of an exported assignment ends in ``grade("04.cce", cce, points=2)``. It runs
the exercise's checker on the answer, exactly as :func:`medlab.course.check` does (without
recording progress), shows MedLab's feedback, and returns the points earned; nbgrader
reads that number from the cell's result as the cell's score (its partial credit rule:
a test cell whose result is a number between 0 and its points scores that number).

Scoring
-------
- A pass earns every point.
- A checker made of several parts (a
  :class:`~medlab.course.exercises._declarative.FunctionCheck` with ``then=``: "right for
  3 classes" then "right for 2"; "right for moderate logits" then "finite for ±1000";
  Dice on masks then on two empty masks) earns an equal share for each part passed
  before the first part that fails. Parts count in order, as the check itself reads
  them: a later part refines an earlier one (``return 1.0`` passes Dice's empty-mask
  part alone, and earns nothing).
- Any other checker is all or nothing: its lines (type, shape, value) are successive
  conditions of one answer, not separate results.
- Not attempted (the placeholder left in place) earns 0.

Nothing here writes to stderr (nbgrader scores a test cell that does as 0): warnings the
learner's code raises while it is checked are silenced.
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from medlab.course.checks import FAILED, PASSED, TIME_LIMIT_S, CheckResult, _run_checker
from medlab.course.exercises import ExerciseDef, Item, get
from medlab.course.exercises._declarative import FunctionCheck
from medlab.course.exercises._learner import require_function

__all__ = ["Grade", "checker_parts", "grade", "score"]

Checker = Callable[[Any], list[Item]]


def _then_part(name: str, then: Callable[[Callable], list[Item]]) -> Checker:
    """A ``then=`` callable as a checker of its own (it expects a function)."""

    def part(answer: Any) -> list[Item]:
        items = require_function(answer, name)
        return items if not items[0].ok else [*items, *then(answer)]

    return part


def checker_parts(exercise: ExerciseDef) -> list[Checker]:
    """The parts of ``exercise``'s checker that can be checked on their own.

    A :class:`~medlab.course.exercises._declarative.FunctionCheck` with a ``then=`` chain
    gives one checker per link (each without what follows it); any other checker is one
    part.
    """
    check = exercise.checker
    if not isinstance(check, FunctionCheck) or check.then is None:
        return [check]
    parts: list[Checker] = []
    link: Any = check
    while isinstance(link, FunctionCheck):
        parts.append(dataclasses.replace(link, then=None))
        following = link.then
        if following is not None and not isinstance(following, FunctionCheck):
            parts.append(_then_part(link.name, following))
        link = following
    return parts


@dataclass(frozen=True)
class Grade:
    """The score of one answer, with MedLab's feedback.

    Attributes
    ----------
    exercise_id : str
        The exercise.
    points, max_points : float
        Points earned, of ``max_points``.
    parts : tuple of bool
        For a wrong answer to a checker of several parts, the parts checked in order up
        to the first that failed (``(True, False)``: the first passed, the second did
        not); empty otherwise.
    result : CheckResult
        The feedback of the whole check, its note saying the score.
    """

    exercise_id: str
    points: float
    max_points: float
    parts: tuple[bool, ...]
    result: CheckResult

    def __str__(self) -> str:
        return str(self.result)

    def __repr__(self) -> str:
        return str(self)

    def _repr_html_(self) -> str:
        return self.result._repr_html_()


def _parts_in_order(
    exercise: ExerciseDef, pieces: list[Checker], answer: Any, time_limit_s: float | None
) -> tuple[bool, ...]:
    """Check the parts one by one up to the first that fails; their verdicts."""
    verdicts = []
    for piece in pieces:
        part = dataclasses.replace(exercise, checker=piece)
        verdicts.append(_run_checker(part, answer, time_limit_s).status == PASSED)
        if not verdicts[-1]:
            break
    return tuple(verdicts)


@contextlib.contextmanager
def _quiet() -> Any:
    """No warnings and no Python-level stderr while the learner's code is checked."""
    with warnings.catch_warnings(), contextlib.redirect_stderr(io.StringIO()):
        warnings.simplefilter("ignore")
        yield


def _points_text(value: float) -> str:
    return f"{value:g} point{'' if value == 1 else 's'}"


def score(
    exercise_id: str,
    answer: Any,
    *,
    points: float = 1.0,
    time_limit_s: float | None = TIME_LIMIT_S,
) -> Grade:
    """Score ``answer`` to ``exercise_id`` out of ``points`` (see the module's rules).

    Parameters
    ----------
    exercise_id : str
        ``"NN.name"``.
    answer : object
        The learner's value or function.
    points : float
        The exercise's points (> 0).
    time_limit_s : float or None
        Seconds each check may run (main thread only), as in :func:`~medlab.course.check`.

    Returns
    -------
    Grade

    Raises
    ------
    UnknownExerciseError
        If ``exercise_id`` is not defined.
    ValueError
        If ``points`` is not a positive finite number.
    """
    if (
        isinstance(points, bool)
        or not isinstance(points, int | float)
        or not (math.isfinite(points) and points > 0)
    ):
        raise ValueError(f"points for {exercise_id!r} should be a number > 0, found {points!r}")
    exercise = get(exercise_id)
    with _quiet():
        result = _run_checker(exercise, answer, time_limit_s)
        pieces = checker_parts(exercise)
        parts: tuple[bool, ...] = ()
        earned = float(points) if result.status == PASSED else 0.0
        if result.status == FAILED and len(pieces) > 1:
            parts = _parts_in_order(exercise, pieces, answer, time_limit_s)
            right = min(sum(parts), len(pieces) - 1)  # a wrong answer never earns all
            earned = round(points * right / len(pieces), 6)
    line = f"Score: {earned:g} of {_points_text(points)}"
    if parts:
        verdicts = ", ".join(f"part {i} {'✔' if ok else '✘'}" for i, ok in enumerate(parts, 1))
        line += f" ({sum(parts)} of {len(pieces)} parts of the check right: {verdicts})"
    note = " ".join(text for text in (result.note, f"{line}.") if text)
    return Grade(exercise_id, earned, float(points), parts, dataclasses.replace(result, note=note))


def grade(
    exercise_id: str,
    answer: Any,
    *,
    points: float = 1.0,
    time_limit_s: float | None = TIME_LIMIT_S,
) -> float:
    """Show MedLab's feedback on ``answer`` and return the points it earns.

    The last line of an nbgrader test cell: nbgrader takes the returned number as the
    cell's score. Parameters and errors as :func:`score`; nothing is recorded in the
    progress file.

    Examples
    --------
    >>> grade("04.cce", cce, points=2)  # doctest: +SKIP
    ✘ 04.cce not yet right: ...
    Score: 1 of 2 points (1 of 2 parts of the check right: part 1 ✔, part 2 ✘).
    1.0
    """
    result = score(exercise_id, answer, points=points, time_limit_s=time_limit_s)
    try:
        from IPython.display import display
    except ImportError:  # pragma: no cover - IPython comes with JupyterLab
        print(result)
    else:
        display(result)
    return result.points
