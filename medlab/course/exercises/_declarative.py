"""Declarative checkers: cases, a reference, and a table of known mistakes → messages.

Most exercises share one shape: take the learner's function (or value), run it on the
checker's cases, turn the result into a plain value of the expected kind, compare it with
a reference, and when it differs, name the first known mistake it matches. This module
holds that shape once, so that each lesson's checker reads as its data:

- :class:`FunctionCheck` — the answer is a function, called on ``cases``;
- :class:`ValueCheck` — the answer is a value (an array, a few numbers, an integer);
- what the answer must be: :class:`Array`, :class:`Number`, :class:`Numbers`,
  :class:`Converted` (each says what is wrong when the answer is not that);
- :class:`Mistake` — one known mistake and its message.

Both checks are callables ``checker(answer) -> list[Item]`` (raising
:class:`~medlab.course.exercises.NotAttempted` for the placeholder), as
:class:`~medlab.course.exercises.ExerciseDef` expects.

Conventions for the callables a check holds, with ``args`` the arguments of one case
(for a :class:`ValueCheck`, what ``given()`` returns, often nothing):

- ``reference(*args)`` — the right answer;
- ``Mistake(like=f)`` — ``f(*args)`` is the mistaken answer (a wrong solution, written
  like the learner's function); the mistake is recognised when the learner's answer is
  close to it *and* it differs from the right answer on this case;
- ``Mistake(when=p)``, messages, ``otherwise``, ``detail`` — ``p(got, want, *args)``,
  with ``got`` the learner's answer as a plain value (a float64 array, a float ...) and
  ``want`` the reference's.

Examples
--------
>>> check_mean = FunctionCheck(
...     "mean",
...     cases=[(np.array([1.0, 2.0, 6.0]),)],
...     reference=lambda x: x.mean(),
...     returns=Number("the average"),
...     mistakes=[Mistake("that is the sum; divide by the count", like=lambda x: x.sum())],
...     passed="equals np.mean",
... )
>>> [item.message for item in check_mean(lambda x: x.sum())]
['`mean` is a function', 'that is the sum; divide by the count']
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from medlab.course.exercises import Item, NotAttempted
from medlab.course.exercises._learner import (
    call_safely,
    describe,
    is_numeric,
    plain_array,
    plain_floats,
    plain_number,
    require_function,
)

__all__ = [
    "Array",
    "Converted",
    "Expectation",
    "FunctionCheck",
    "Mistake",
    "Number",
    "Numbers",
    "ValueCheck",
    "describe_range",
]

Message = str | Callable[..., str]
Close = Callable[[Any, Any], bool]


def describe_range(values: np.ndarray) -> str:
    """``"from -1024 to 1322"``-style text, with at most 4 significant digits."""
    if values.size == 0:
        return "empty"
    return f"from {float(np.nanmin(values)):.4g} to {float(np.nanmax(values)):.4g}"


def allclose(got: Any, want: Any) -> bool:
    """The default comparison: :func:`numpy.allclose` with its default tolerances."""
    return bool(np.allclose(got, want))


def _text(message: Message, got: Any, want: Any, args: tuple) -> str:
    return message(got, want, *args) if callable(message) else message


@dataclass(frozen=True)
class Mistake:
    """A known mistake and what to tell the learner who made it.

    Parameters
    ----------
    message : str or callable
        The feedback; a callable is called as ``message(got, want, *args)``.
    like : callable or tuple of callables, optional
        Mistaken solutions: ``like(*args)`` is the answer the mistake produces. The
        mistake is recognised when the learner's answer is close to one of them, and
        that one differs from the right answer on this case.
    when : callable, optional
        ``when(got, want, *args) -> bool``: a condition that must hold as well (or the
        only one, without ``like``).
    close : callable, optional
        Comparison for ``like``; the check's own by default.
    """

    message: Message
    like: Callable[..., Any] | tuple[Callable[..., Any], ...] = ()
    when: Callable[..., bool] | None = None
    close: Close | None = None

    def recognises(self, got: Any, want: Any, args: tuple, close: Close) -> bool:
        """True when the learner's ``got`` shows this mistake on the case ``args``."""
        same = self.close or close
        mistaken = self.like if isinstance(self.like, tuple) else (self.like,)
        if mistaken and not any(
            _alike(same, got, alternative(*args), want) for alternative in mistaken
        ):
            return False
        return self.when is None or bool(self.when(got, want, *args))

    def text(self, got: Any, want: Any, args: tuple) -> str:
        """The message for this answer and case."""
        return _text(self.message, got, want, args)


def _alike(close: Close, got: Any, alternative: Any, want: Any) -> bool:
    if isinstance(got, np.ndarray) and np.shape(alternative) != got.shape:
        return False
    return bool(close(got, alternative)) and not close(alternative, want)


# --------------------------------------------------------------------------- what answers must be


@dataclass(frozen=True)
class _Subject:
    """Who the feedback talks about: a value (``hu``) or what a function returned."""

    name: str
    returned: bool

    def should(self, phrase: str, found: str) -> str:
        verb = "return" if self.returned else "be"
        return f"`{self.name}` should {verb} {phrase}, found {found}"


class Expectation(Protocol):
    """What an answer must be (an array, a number ...), as :class:`Array` and the others."""

    def accept(self, got: Any, want: Any, args: tuple, subject: _Subject) -> tuple[Any, list[Item]]:
        """``(plain value, items)``; refused when the last item is not ok."""
        ...


def _refused(items: list[Item]) -> bool:
    return bool(items) and not items[-1].ok


@dataclass(frozen=True)
class Array:
    """The answer is an array shaped like the reference; compared as a float64 copy.

    Parameters
    ----------
    floating : bool, optional
        The answer's own dtype must be floating point.
    strict : bool, optional
        The answer must be a NumPy array (otherwise lists and other array-likes do).
    wrong_shape : callable, optional
        ``wrong_shape(got, want, *args)``: the message for a wrong shape (``got`` is a
        plain, unconverted array); a generic one by default.
    shape_mistakes : sequence of Mistake, optional
        Known shape mistakes (conditions ``when`` on the unconverted array); the first
        that holds is added to the message, else "transposed?" when it fits.
    """

    floating: bool = False
    strict: bool = False
    wrong_shape: Callable[..., str] | None = None
    shape_mistakes: Sequence[Mistake] = ()

    def accept(self, got: Any, want: Any, args: tuple, subject: _Subject) -> tuple[Any, list[Item]]:
        noun = "a NumPy array" if self.strict else "an array"
        if self.strict and not issubclass(type(got), np.ndarray):
            return None, [Item(False, subject.should(noun, describe(got)))]
        try:
            plain = plain_array(got)
        except Exception:  # whatever the learner's object raises: it is no array
            return None, [Item(False, subject.should(noun, describe(got)))]
        if plain.dtype == object and plain.ndim == 0:
            return None, [Item(False, subject.should(noun, describe(got)))]
        items = [Item(True, f"`{subject.name}` is a NumPy array")] if self.strict else []
        want_shape = np.shape(want)
        if plain.shape != want_shape:
            return None, [*items, Item(False, self._shape_message(plain, want, args, subject))]
        if not subject.returned:
            items.append(Item(True, f"shape is {want_shape}"))
        if self.floating and plain.dtype.kind != "f":
            message = f"dtype should be floating point (float32 or float64), found {plain.dtype}"
            return None, [*items, Item(False, message)]
        if not is_numeric(plain):
            return None, [*items, Item(False, f"dtype should be numeric, found {plain.dtype}")]
        if subject.returned:
            items.append(Item(True, f"`{subject.name}` returns shape {want_shape}"))
        else:
            items.append(Item(True, f"dtype is {plain.dtype}"))
        return plain_floats(plain), items

    def _shape_message(self, plain: np.ndarray, want: Any, args: tuple, subject: _Subject) -> str:
        want_shape = np.shape(want)
        if self.wrong_shape is not None:
            message = self.wrong_shape(plain, want, *args)
        elif subject.returned:
            message = f"`{subject.name}` should return shape {want_shape}, found {plain.shape}"
        else:
            message = f"shape should be {want_shape}, found {plain.shape}"
        for mistake in self.shape_mistakes:
            if mistake.recognises(plain, want, args, allclose):
                return f"{message}: {mistake.text(plain, want, args)}"
        if plain.ndim > 1 and plain.shape == want_shape[::-1]:
            return f"{message}: transposed?"
        return message


@dataclass(frozen=True)
class Number:
    """The answer is one number (a Python or NumPy number, or a one-element array).

    Parameters
    ----------
    what : str, optional
        What the number is, for feedback: ``"the volume in mL"``.
    finite : bool, optional
        Refuse NaN and infinities here (False lets mistakes look at them).
    """

    what: str = ""
    finite: bool = True

    def accept(self, got: Any, want: Any, args: tuple, subject: _Subject) -> tuple[Any, list[Item]]:
        what = f" ({self.what})" if self.what else ""
        value = plain_number(got)
        if value is None:
            return None, [Item(False, subject.should(f"one number{what}", describe(got)))]
        if self.finite and not np.isfinite(value):
            return None, [Item(False, subject.should(f"a finite number{what}", f"{value}"))]
        return value, []


@dataclass(frozen=True)
class Numbers:
    """The answer is ``n`` finite numbers (a tuple, a list or a 1-D array).

    Parameters
    ----------
    n : int
        How many.
    phrase : str, optional
        How feedback says it: ``"two numbers (sensitivity, specificity)"``; ``"n numbers"``
        by default.
    shape_mistakes : sequence of Mistake, optional
        Known shape mistakes (conditions ``when`` on the unconverted array).
    """

    n: int
    phrase: str = ""
    shape_mistakes: Sequence[Mistake] = ()

    def accept(self, got: Any, want: Any, args: tuple, subject: _Subject) -> tuple[Any, list[Item]]:
        phrase = self.phrase or f"{self.n} numbers"
        try:
            plain = plain_array(got)
        except Exception:  # whatever the learner's object raises: these are no numbers
            plain = None
        if plain is None or plain.ndim == 0 or not is_numeric(plain):
            return None, [Item(False, subject.should(phrase, describe(got)))]
        if plain.shape != (self.n,):
            verb = "return" if subject.returned else "hold"
            message = f"`{subject.name}` should {verb} {phrase}, found shape {plain.shape}"
            for mistake in self.shape_mistakes:
                if mistake.recognises(plain, want, args, allclose):
                    message = f"{message}: {mistake.text(plain, want, args)}"
                    break
            return None, [Item(False, message)]
        values = plain_floats(plain)
        if not np.all(np.isfinite(values)):
            verb = "returns" if subject.returned else "contains"
            return None, [Item(False, f"`{subject.name}` {verb} NaN or infinite values")]
        return values, [] if subject.returned else [Item(True, f"`{subject.name}` holds {phrase}")]


@dataclass(frozen=True)
class Converted:
    """The answer is whatever ``convert`` makes of it (text, an integer, a tuple ...).

    Parameters
    ----------
    convert : callable
        ``convert(answer)`` -> a plain value, or ``None`` / an exception when the answer
        is not what is expected (:func:`~medlab.course.exercises._learner.plain_text`,
        :func:`~medlab.course.exercises._learner.plain_integer` ...).
    phrase : str
        What is expected, for feedback: ``"an integer"``.
    """

    convert: Callable[[Any], Any]
    phrase: str

    def accept(self, got: Any, want: Any, args: tuple, subject: _Subject) -> tuple[Any, list[Item]]:
        try:
            value = self.convert(got)
        except Exception:  # the learner's object may raise anything while converted
            value = None
        if value is None:
            return None, [Item(False, subject.should(self.phrase, describe(got)))]
        return value, []


# --------------------------------------------------------------------------- checks


@dataclass(frozen=True, kw_only=True)
class _Comparison:
    """Compare a plain answer with the reference; name the first known mistake."""

    close: Close = allclose
    mistakes: Sequence[Mistake] = ()
    otherwise: Message = "the result differs from the expected one"
    detail: Callable[..., str] | None = None

    def verdict(self, got: Any, want: Any, args: tuple) -> Item | None:
        """``None`` when ``got`` is right, else the failing item.

        The item's message is the first recognised mistake's message (or ``otherwise``)
        followed by ``detail(got, want, *args)``.
        """
        if self.close(got, want):
            return None
        for mistake in self.mistakes:
            if mistake.recognises(got, want, args, self.close):
                message = mistake.text(got, want, args)
                break
        else:
            message = _text(self.otherwise, got, want, args)
        if self.detail is not None:
            message += self.detail(got, want, *args)
        return Item(False, message)


@dataclass(frozen=True)
class FunctionCheck(_Comparison):
    """Check a function answer on cases against a reference; a checker.

    Parameters
    ----------
    name : str
        The function's name in the lesson (``"bce"``).
    cases : sequence of tuples, or a callable returning one
        The arguments of each call, in order; the check stops at the first wrong case.
    reference : callable
        ``reference(*args)``: the right result.
    returns : Expectation
        What the function must return (:class:`Number`, :class:`Array` ...).
    close : callable, optional
        ``close(got, want) -> bool``; :func:`numpy.allclose` by default.
    mistakes : sequence of Mistake, optional
        Known mistakes, tried in order.
    otherwise : str or callable, optional
        The message when no known mistake matches.
    detail : callable, optional
        ``detail(got, want, *args)``: text appended to every wrong-value message (the case,
        what was returned).
    passed : str or tuple of str, optional
        What is said once every case is right.
    then : FunctionCheck or callable, optional
        More checks of the same function once every case is right (a callable receives
        the function and returns items).
    call : callable, optional
        ``call(*args)``: how an error message names the call; ``name`` by default.
    numpy_warnings : bool, optional
        False silences NumPy's floating-point warnings while the function runs.
    """

    name: str
    cases: Sequence[tuple] | Callable[[], Sequence[tuple]]
    reference: Callable[..., Any]
    returns: Expectation
    passed: str | tuple[str, ...] = ()
    then: FunctionCheck | Callable[[Callable], list[Item]] | None = None
    call: Callable[..., str] | None = None
    numpy_warnings: bool = True

    def __call__(self, answer: Any) -> list[Item]:
        items = require_function(answer, self.name)
        if not items[0].ok:
            return items
        return [*items, *self.examine(answer)]

    def examine(self, function: Callable) -> list[Item]:
        """Feedback on ``function`` (known to be callable), case by case."""
        subject = _Subject(self.name, returned=True)
        cases = self.cases() if callable(self.cases) else self.cases
        for args in cases:
            want = self.reference(*args)
            label = self.call(*args) if self.call is not None else self.name
            got, error = call_safely(function, label, *args, numpy_warnings=self.numpy_warnings)
            if error is not None:
                return [error]
            value, items = self.returns.accept(got, want, args, subject)
            if _refused(items):
                return items
            wrong = self.verdict(value, want, args)
            if wrong is not None:
                return [*items, wrong]
        passed = (self.passed,) if isinstance(self.passed, str) else self.passed
        done = [Item(True, message) for message in passed]
        if self.then is None:
            return done
        more = self.then.examine if isinstance(self.then, FunctionCheck) else self.then
        return [*done, *more(function)]


@dataclass(frozen=True)
class ValueCheck(_Comparison):
    """Check a value answer against a reference; a checker.

    Parameters
    ----------
    name : str
        The variable's name in the lesson (``"hu"``).
    reference : callable
        ``reference(*given())``: the right value.
    expect : Expectation
        What the value must be (:class:`Array`, :class:`Numbers`, :class:`Converted`).
    given : callable, optional
        ``given() -> tuple``: the data the reference and the mistakes are computed from
        (loaded when checked, not at import).
    close, mistakes, otherwise, detail
        As in :class:`FunctionCheck`.
    passed : str or callable
        What is said when the value is right; a callable gets ``(got, want, *given())``.
    """

    name: str
    reference: Callable[..., Any]
    expect: Expectation
    given: Callable[[], tuple] | None = None
    passed: Message = "the value is right"

    def __call__(self, answer: Any) -> list[Item]:
        if answer is None or answer is Ellipsis:
            raise NotAttempted
        args = tuple(self.given()) if self.given is not None else ()
        want = self.reference(*args)
        value, items = self.expect.accept(answer, want, args, _Subject(self.name, returned=False))
        if _refused(items):
            return items
        wrong = self.verdict(value, want, args)
        return [*items, wrong or Item(True, _text(self.passed, value, want, args))]
