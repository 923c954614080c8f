"""``check``, ``hint``, ``solution`` and ``fallback``: what lessons call.

In a notebook, ``check``, ``hint`` and ``solution`` show their message when they are
called, wherever they are in the cell: two hints in one cell show two hints. Each also
returns its object (a :class:`CheckResult` is true when it passed); Jupyter does not
show that object a second time when it is the cell's last line, and shows it again
when a later cell displays it. Outside a kernel (plain Python, a terminal) nothing is
displayed by the call and the returned object prints as text. The display is HTML in
JupyterLab and deterministic plain text everywhere else, so nbval outputs are stable.
Nothing here raises on a wrong answer.

A check is bounded: the checker (and the learner's function it calls) runs for at most
:data:`TIME_LIMIT_S` seconds when ``check`` is called from the main thread (as in a
notebook; elsewhere there is no limit), and the feedback is cut to
:data:`MAX_MESSAGE_CHARS` per line and :data:`MAX_FEEDBACK_CHARS` in all, so a huge
answer never floods the browser.
"""

from __future__ import annotations

import contextlib
import html
import signal
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from medlab.course.exercises import ExerciseDef, Item, NotAttempted, get

__all__ = [
    "CheckResult",
    "HintText",
    "SolutionText",
    "check",
    "evaluate",
    "fallback",
    "hint",
    "solution",
]

#: Seconds a checker (with the learner's function it calls) may run in the main thread.
TIME_LIMIT_S = 30.0
#: Longest feedback line, and longest feedback in all (characters).
MAX_MESSAGE_CHARS = 500
MAX_FEEDBACK_CHARS = 4000

PASSED, FAILED, NOT_ATTEMPTED = "passed", "failed", "not attempted"

# Exercises whose reference solution was just run by ``fallback`` in this process:
# the next ``check`` of each reports "not attempted" and records nothing.
_FALLBACK_USED: set[str] = set()
# What each fallback defined (arrays, functions ...): checking one of these very objects
# later, from any cell, is still the reference solution's work and earns no credit.
_FALLBACK_VALUES: dict[str, list[Any]] = {}
_VALUE_TYPES = (int, float, complex, str, bytes, bool, type(None), tuple, frozenset)
# How many hints of each exercise have been shown in this process.
_HINTS_SHOWN: dict[str, int] = {}


def _kernel_shell() -> Any:
    """The IPython shell of a Jupyter kernel we run in, or None (plain Python, terminal)."""
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython comes with the course's dependencies
        return None
    shell = get_ipython()
    return shell if shell is not None and getattr(shell, "kernel", None) is not None else None


class _ShownWhenCalled:
    """Displayed by the call that made it, not a second time as the same cell's result."""

    _shown_in: int | None = None

    def _show(self) -> None:
        """Display now, if in a kernel (called by check, hint and solution)."""
        if _kernel_shell() is not None:
            self._ipython_display_()

    def _ipython_display_(self) -> None:
        from IPython.display import display

        shell = _kernel_shell()
        count = getattr(shell, "execution_count", None)
        if shell is not None and self._shown_in == count:
            return  # shown by the call in this very cell
        display({"text/plain": repr(self), "text/html": self._repr_html_()}, raw=True)
        if shell is not None:
            self._shown_in = count

    def _repr_html_(self) -> str:  # pragma: no cover - every subclass defines it
        raise NotImplementedError


_BOX = (
    "border-left: 4px solid {color}; padding: 4px 10px; margin: 4px 0; "
    "background: var(--jp-layout-color1, transparent); color: var(--jp-ui-font-color1, inherit); "
    "font-family: var(--jp-ui-font-family, sans-serif); font-size: var(--jp-ui-font-size1, 13px)"
)
_COLORS = {
    PASSED: "var(--jp-success-color1, #388e3c)",
    FAILED: "var(--jp-error-color1, #d32f2f)",
    NOT_ATTEMPTED: "var(--jp-warn-color1, #f57c00)",
}
_MARKS = {True: "✔", False: "✘"}


def _cut(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, saying how much was left out."""
    if len(text) <= limit:
        return text
    tail = f" … ({len(text) - limit + 40:,} more characters)"
    return text[: max(0, limit - 40)] + tail


class _TimeLimitExceeded(BaseException):
    """Raised in the checker when its time is up.

    A BaseException, so that ``except Exception`` in the learner's code does not swallow it.
    """


@contextlib.contextmanager
def _time_limit(seconds: float | None) -> Iterator[None]:
    """Raise :class:`_TimeLimitExceeded` in the ``with`` body after ``seconds``.

    Uses ``SIGALRM`` (``signal.setitimer``), so only in the main thread of a platform
    that has it; elsewhere, or with ``seconds`` None, there is no limit. The alarm
    repeats every 0.5 s until the body ends, so a learner's loop that swallows one
    interruption is interrupted again. A timer that was already running is restored.
    """
    usable = hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()
    if seconds is None or not usable:
        yield
        return

    def _fire(signum: int, frame: Any) -> None:
        raise _TimeLimitExceeded

    started = time.monotonic()
    previous_handler = signal.signal(signal.SIGALRM, _fire)
    previous_timer = signal.setitimer(signal.ITIMER_REAL, seconds, 0.5)
    try:
        yield
    finally:
        while True:  # an alarm may still land while disarming: disarm again
            try:
                signal.setitimer(signal.ITIMER_REAL, 0)
                signal.signal(signal.SIGALRM, previous_handler)
                break
            except _TimeLimitExceeded:
                continue
        delay, interval = previous_timer
        if delay:
            left = max(delay - (time.monotonic() - started), 0.001)
            signal.setitimer(signal.ITIMER_REAL, left, interval)


@dataclass
class CheckResult(_ShownWhenCalled):
    """The feedback of one check.

    Attributes
    ----------
    exercise_id, title : str
        The exercise.
    status : str
        ``"passed"``, ``"failed"`` or ``"not attempted"``.
    items : list of Item
        One statement per aspect checked (type, shape, values ...).
    note : str
        A closing line (progress saved, next step), may be empty.
    """

    exercise_id: str
    title: str
    status: str
    items: list[Item] = field(default_factory=list)
    note: str = ""

    @property
    def passed(self) -> bool:
        """True when every aspect of the answer is right."""
        return self.status == PASSED

    def __bool__(self) -> bool:
        return self.passed

    def _headline(self) -> str:
        if self.status == PASSED:
            return f"{self.exercise_id} passed: {self.title}"
        if self.status == FAILED:
            return f"{self.exercise_id} not yet right: {self.title}"
        return f"{self.exercise_id} not attempted yet: {self.title}"

    def __str__(self) -> str:
        mark = {PASSED: "✔", FAILED: "✘", NOT_ATTEMPTED: "…"}[self.status]
        lines = [f"{mark} {_cut(self._headline(), MAX_MESSAGE_CHARS)}"]
        lines += [
            f"  {_MARKS[item.ok]} {_cut(item.message, MAX_MESSAGE_CHARS)}" for item in self.items
        ]
        if self.note:
            lines.append(_cut(self.note, MAX_MESSAGE_CHARS * 2))
        return _cut("\n".join(lines), MAX_FEEDBACK_CHARS)

    def __repr__(self) -> str:
        return str(self)

    def _repr_html_(self) -> str:
        items, budget = [], MAX_FEEDBACK_CHARS
        for item in self.items:  # the same lines as the text, within the same budget
            message = _cut(item.message, min(MAX_MESSAGE_CHARS, max(budget, 60)))
            budget -= len(message)
            items.append((item.ok, message))
            if budget <= 0:
                left = len(self.items) - len(items)
                if left:
                    items.append((False, f"… ({left} more lines)"))
                break
        rows = "".join(
            f'<li style="list-style: none">{_MARKS[ok]} {html.escape(message)}</li>'
            for ok, message in items
        )
        note = _cut(self.note, MAX_MESSAGE_CHARS * 2)
        note = f"<div>{html.escape(note)}</div>" if note else ""
        return (
            f'<div class="medlab-check medlab-check-{self.status.replace(" ", "-")}" '
            f'style="{_BOX.format(color=_COLORS[self.status])}">'
            f"<strong>{html.escape(_cut(self._headline(), MAX_MESSAGE_CHARS))}</strong>"
            f'<ul style="margin: 4px 0; padding-left: 4px">{rows}</ul>{note}</div>'
        )


@dataclass
class HintText(_ShownWhenCalled):
    """A hint (or a message that there is none left), displayable."""

    exercise_id: str
    number: int
    total: int
    text: str

    def __str__(self) -> str:
        if self.number == 0:
            return f"Hint for {self.exercise_id}: {self.text}"
        return f"Hint {self.number} of {self.total} for {self.exercise_id}: {self.text}"

    def __repr__(self) -> str:
        return str(self)

    def _repr_html_(self) -> str:
        color = "var(--jp-info-color1, #0288d1)"
        return (
            f'<div class="medlab-hint" style="{_BOX.format(color=color)}">'
            f"{html.escape(str(self))}</div>"
        )


@dataclass
class SolutionText(_ShownWhenCalled):
    """The reference solution, folded in HTML until the learner opens it."""

    exercise_id: str
    code: str

    def __str__(self) -> str:
        return f"Solution of {self.exercise_id}:\n{self.code}"

    def __repr__(self) -> str:
        return str(self)

    def _repr_html_(self) -> str:
        color = "var(--jp-border-color1, #999)"
        return (
            f'<details class="medlab-solution" style="{_BOX.format(color=color)}">'
            f"<summary>Show the solution of {html.escape(self.exercise_id)}</summary>"
            f"<pre>{html.escape(self.code)}</pre></details>"
        )


def _run_checker(
    exercise: ExerciseDef, answer: Any, time_limit_s: float | None = TIME_LIMIT_S
) -> CheckResult:
    result = CheckResult(exercise.id, exercise.title, FAILED)
    try:
        try:
            with _time_limit(time_limit_s):
                items = list(exercise.checker(answer))
        except _TimeLimitExceeded:
            result.items = [
                Item(
                    False,
                    (
                        f"your function took longer than {time_limit_s:g} s and was stopped: "
                        "look for a loop that never ends, or work on whole arrays instead of "
                        "element by element"
                    ),
                )
            ]
            return result
    except (NotAttempted, NotImplementedError):
        result.status = NOT_ATTEMPTED
        result.note = "Write your code where it says YOUR CODE HERE, run the cell, then check."
        return result
    except Exception as exc:  # a checker must never crash the learner's cell
        detail = _cut(f"{type(exc).__name__}: {exc}", MAX_MESSAGE_CHARS - 40)
        result.items = [Item(False, f"your answer could not be examined: {detail}")]
        return result
    # Each line is cut here already, so a huge message is not kept in memory either.
    result.items = [
        item
        if len(item.message) <= MAX_MESSAGE_CHARS
        else Item(item.ok, _cut(item.message, MAX_MESSAGE_CHARS))
        for item in items
    ]
    if result.items and all(item.ok for item in result.items):
        result.status = PASSED
    return result


def evaluate(
    exercise_id: str, answer: Any, *, time_limit_s: float | None = TIME_LIMIT_S
) -> CheckResult:
    """Check ``answer`` without recording progress or consuming a fallback.

    Parameters
    ----------
    exercise_id : str
        The exercise.
    answer : object
        The learner's value or function.
    time_limit_s : float or None
        Seconds the check may run (main thread only); None for no limit.

    Raises
    ------
    UnknownExerciseError
        If ``exercise_id`` is not defined (a lesson bug, not a wrong answer).
    """
    return _run_checker(get(exercise_id), answer, time_limit_s)


def _record(exercise_id: str) -> str:
    """Record a pass; the note saying so (or why progress could not be saved)."""
    from medlab.course.progress import default_store

    store = default_store()
    try:
        store.record_pass(exercise_id)
        note = "Progress saved."
    except OSError as exc:  # the lock held too long, the lock file unusable, disk full ...
        note = f"Passed, but progress could not be saved: {exc}"
    # A damaged progress file is moved aside by the write that finds it: said once, here.
    return " ".join([note, *store.notices])


def _record_failure(result: CheckResult) -> list[str]:
    """Record a failed check with what it said was wrong (never the learner's code).

    Returns the notes for the learner: a damaged progress file moved aside, or why the
    attempt could not be recorded.
    """
    from medlab.course.progress import default_store

    store = default_store()
    wrong = [item.message for item in result.items if not item.ok]
    try:
        store.record_failure(result.exercise_id, wrong)
    except OSError as exc:  # the lock held too long, the lock file unusable, disk full ...
        return [*store.notices, f"(This attempt could not be recorded: {exc})"]
    return store.notices


def check(
    exercise_id: str, answer: Any, *, time_limit_s: float | None = TIME_LIMIT_S
) -> CheckResult:
    """Check the learner's answer to ``exercise_id`` and record progress when it passes.

    Parameters
    ----------
    exercise_id : str
        ``"NN.name"``, e.g. ``"00.hounsfield"``.
    answer : object
        The learner's value or function.
    time_limit_s : float or None
        Seconds the check (the learner's function included) may run; after that it is
        stopped and reported as too slow. Only in the main thread (a notebook's); None
        for no limit.

    Returns
    -------
    CheckResult
        Shown at once in a notebook (wherever the call is in the cell) as feedback: what
        is right, what is not (expected shape, type, value range), never the solution.
        ``bool(result)`` is True when it passed. A pass is
        recorded in the learner's progress; so is a failed check, with the lines that
        said what was wrong (for the teacher's ``medlab class report``), never the code.

    Raises
    ------
    UnknownExerciseError
        If ``exercise_id`` is not defined. A wrong answer never raises.
    """
    exercise = get(exercise_id)
    from_fallback = any(answer is value for value in _FALLBACK_VALUES.get(exercise_id, ()))
    if exercise_id in _FALLBACK_USED or from_fallback:
        _FALLBACK_USED.discard(exercise_id)
        result = CheckResult(
            exercise.id,
            exercise.title,
            NOT_ATTEMPTED,
            note="The reference solution was used so the rest of the notebook runs. "
            "Replace the fallback(...) line with your own code to get credit.",
        )
        result._show()
        return result
    result = _run_checker(exercise, answer, time_limit_s)
    if result.passed:
        result.note = _record(exercise_id)
    elif result.status == FAILED:
        result.note = " ".join(
            [f'Try again, or ask for a hint: hint("{exercise_id}")', *_record_failure(result)]
        )
    result._show()
    return result


def hint(exercise_id: str, number: int | None = None) -> HintText:
    """The next hint for ``exercise_id`` (or hint ``number``, counting from 1).

    Each call without ``number`` shows one more hint, up to the last one; in a notebook
    the hint is shown when it is called, so two calls in one cell show two hints.
    """
    exercise = get(exercise_id)
    total = len(exercise.hints)
    if total == 0:
        text = HintText(exercise_id, 0, 0, "this exercise has no hints; see solution(...).")
        text._show()
        return text
    if number is None:
        number = min(_HINTS_SHOWN.get(exercise_id, 0) + 1, total)
    if not 1 <= number <= total:
        raise ValueError(
            f"Hint number for {exercise_id!r} should be between 1 and {total}, found {number}"
        )
    _HINTS_SHOWN[exercise_id] = max(_HINTS_SHOWN.get(exercise_id, 0), number)
    text = HintText(exercise_id, number, total, exercise.hints[number - 1])
    text._show()
    return text


def solution(exercise_id: str) -> SolutionText:
    """The reference solution of ``exercise_id``, folded until clicked in JupyterLab.

    In a notebook it is shown when called, wherever the call is in the cell.
    """
    text = SolutionText(exercise_id, get(exercise_id).solution)
    text._show()
    return text


def fallback(exercise_id: str, namespace: dict | None = None) -> None:
    """Run the reference solution of ``exercise_id`` in the notebook and say so.

    Learner notebooks call this where the learner's code goes, so that later cells
    still run. The next :func:`check` of the exercise reports "not attempted yet".

    Parameters
    ----------
    exercise_id : str
        The exercise.
    namespace : dict, optional
        Where to run the solution; default: the caller's global namespace (the
        notebook's).
    """
    exercise = get(exercise_id)
    if namespace is None:
        namespace = sys._getframe(1).f_globals
    before = {name: id(value) for name, value in namespace.items()}
    exec(compile(exercise.solution, f"<solution {exercise_id}>", "exec"), namespace)
    _FALLBACK_USED.add(exercise_id)
    # Plain values (numbers, strings) may be shared by identity with a learner's own
    # answer (small ints are cached), so only objects are remembered.
    _FALLBACK_VALUES[exercise_id] = [
        value
        for name, value in namespace.items()
        if before.get(name) != id(value) and not isinstance(value, _VALUE_TYPES)
    ]
    print(
        f"[{exercise_id}] Using the reference solution for now "
        "(replace this fallback line with your own code)."
    )
