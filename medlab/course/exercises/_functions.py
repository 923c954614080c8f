"""Reusable feedback for answers that are functions: is it one, and what happens when called."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from medlab.course.exercises import Item, NotAttempted

__all__ = ["as_number", "call_safely", "require_function"]


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


def call_safely(fn: Callable, name: str, *args: Any) -> tuple[Any, Item | None]:
    """Call the learner's function on copies of ``args`` (arrays are copied, so the learner
    cannot change the checker's data); return ``(value, None)``, or ``(None, Item)`` saying
    what it raised. ``NotImplementedError`` (an unsolved placeholder) propagates.
    """
    try:
        copies = [np.array(a, copy=True) if isinstance(a, np.ndarray) else a for a in args]
        return fn(*copies), None
    except NotImplementedError:
        raise
    except Exception as exc:  # the learner's error is feedback, not a crash
        return None, Item(False, f"`{name}` raised {type(exc).__name__}: {exc}")


def as_number(got: Any, what: str) -> tuple[float | None, Item | None]:
    """``(float(got), None)`` when the learner's function returned one finite number, else
    ``(None, Item)`` saying what came back instead (``what`` names the expected quantity)."""
    try:
        value = float(got)
    except (TypeError, ValueError):
        return None, Item(False, f"return one number ({what}), got {got!r}")
    if not np.isfinite(value):
        return None, Item(False, f"return a finite number ({what}), got {value}")
    return value, None
