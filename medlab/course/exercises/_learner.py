"""The one place where checkers touch the learner's objects.

A checker calls the learner's function and compares what it returns with a reference.
Both steps run the learner's code, so both go through here:

- :func:`call_safely` calls on *copies* of the checker's arrays (the learner cannot
  change the checker's data) and turns an exception into feedback;
- :func:`plain_array`, :func:`plain_number`, :func:`plain_text` and
  :func:`plain_integer` turn what the learner gave into plain built-in or NumPy values
  before anything is compared. An ``ndarray`` subclass is viewed as a plain ``ndarray``,
  so its own ``__array_function__``, ``__eq__`` or ``astype`` never reach a comparison;
  a ``str`` subclass becomes a plain ``str``. Shapes and sizes are read from the plain
  view, before any conversion: a huge wrong-shaped answer is refused without copying it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

import numpy as np

from medlab.course.exercises import Item, NotAttempted

__all__ = [
    "call_safely",
    "describe",
    "is_numeric",
    "plain_array",
    "plain_floats",
    "plain_integer",
    "plain_number",
    "plain_text",
    "require_function",
]

_NUMERIC_KINDS = "biuf"  # bool, signed and unsigned integers, floating point


def require_function(answer: Any, name: str) -> list[Item]:
    """The first feedback item for a function answer.

    Raises
    ------
    NotAttempted
        If ``answer`` is ``None`` or ``...`` (the learner placeholder).
    """
    if answer is None or answer is Ellipsis:
        raise NotAttempted
    if not callable(answer):
        return [Item(False, f"`{name}` should be a function, found {type(answer).__name__}")]
    return [Item(True, f"`{name}` is a function")]


def call_safely(
    fn: Callable, name: str, *args: Any, numpy_warnings: bool = True
) -> tuple[Any, Item | None]:
    """Call the learner's function on copies of ``args``.

    Parameters
    ----------
    fn : callable
        The learner's function.
    name : str
        How feedback names the call (``"bce"``, ``"my_window(hu, 40, 400)"``).
    *args
        The checker's inputs; arrays are copied, so the learner cannot change them.
    numpy_warnings : bool, optional
        False silences NumPy's floating-point warnings (overflow, division by zero)
        during the call, for inputs that probe extremes on purpose.

    Returns
    -------
    tuple
        ``(value, None)``, or ``(None, Item)`` saying what the function raised.

    Raises
    ------
    NotImplementedError
        Propagated: an unsolved placeholder, reported as "not attempted".
    """
    copies = [np.array(a, copy=True) if isinstance(a, np.ndarray) else a for a in args]
    try:
        quiet = contextlib.nullcontext() if numpy_warnings else np.errstate(all="ignore")
        with quiet:
            return fn(*copies), None
    except NotImplementedError:
        raise
    except Exception as exc:  # the learner's error is feedback, not a crash
        return None, Item(False, f"`{name}` raised {type(exc).__name__}: {exc}")


def plain_array(value: Any) -> np.ndarray:
    """``value`` as a plain ``ndarray``, not yet copied nor converted.

    An ``ndarray`` (of any subclass) is viewed through the base class, which runs none
    of the subclass's code; anything else goes through :func:`numpy.asarray`. Check the
    shape and dtype of the result before converting it (see :func:`plain_floats`).

    Raises
    ------
    Exception
        Whatever NumPy (or the learner's object) raises when ``value`` is no array.
    """
    if issubclass(type(value), np.ndarray):
        return np.ndarray.view(value, np.ndarray)
    return np.asarray(value)


def is_numeric(array: np.ndarray) -> bool:
    """True for booleans, integers and real floating-point numbers."""
    return array.dtype.kind in _NUMERIC_KINDS


def plain_floats(array: np.ndarray) -> np.ndarray:
    """A float64 copy of a plain, numeric array (after its shape was checked)."""
    return np.array(array, dtype=np.float64, copy=True)


def plain_number(value: Any) -> float | None:
    """``value`` as one plain ``float`` (possibly NaN or infinite), or ``None``.

    Python and NumPy numbers qualify, and arrays holding exactly one number (their
    size is read before anything is converted); text, lists and other containers do not.
    """
    if isinstance(value, (str, bytes)):
        return None
    if issubclass(type(value), np.ndarray):
        array = np.ndarray.view(value, np.ndarray)
        if array.size != 1 or not is_numeric(array):
            return None
        return float(array.reshape(-1)[0])
    try:
        return float(value)
    except Exception:  # the learner's object may raise anything from __float__
        return None


def plain_text(value: Any) -> str:
    """``value`` as a plain ``str`` (a ``str`` subclass loses its own ``__eq__``).

    Raises
    ------
    TypeError
        If ``value`` is not text.
    """
    if not isinstance(value, str):
        raise TypeError(f"expected text, found {type(value).__name__}")
    return str.__str__(value)


def plain_integer(value: Any) -> int:
    """``value`` as a plain ``int``; booleans and floats are not integers.

    Raises
    ------
    TypeError
        If ``value`` is not a Python or NumPy integer.
    """
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"expected an integer, found {type(value).__name__}")
    return int.__int__(value) if isinstance(value, int) else int(np.asarray(value).item())


def describe(value: Any) -> str:
    """Short text for what the learner gave.

    ``0.5``, ``'big'``, ``[0.9]``, ``list``, ``an array of shape (3,)``: never the repr of
    a large or unknown object.
    """
    if issubclass(type(value), np.ndarray):
        return f"an array of shape {np.ndarray.view(value, np.ndarray).shape}"
    scalar = isinstance(value, (bool, int, float, complex, str, bytes, np.generic))
    short = isinstance(value, (list, tuple, dict)) and len(value) <= 8
    if value is None or scalar or short:
        try:
            text = repr(value)
        except Exception:  # a subclass's own __repr__ may raise
            return type(value).__name__
        if len(text) <= 60:
            return text
        return text[:57] + "..." if scalar else type(value).__name__
    return type(value).__name__
