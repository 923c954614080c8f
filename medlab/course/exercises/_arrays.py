"""Reusable feedback for array answers: type, shape, dtype, values."""

from __future__ import annotations

from typing import Any

import numpy as np

from medlab.course.exercises import Item, NotAttempted

__all__ = ["as_array_items", "describe_range"]


def describe_range(values: np.ndarray) -> str:
    """``"from -1024 to 1322"``-style text, with at most 4 significant digits."""
    if values.size == 0:
        return "empty"
    return f"from {float(np.nanmin(values)):.4g} to {float(np.nanmax(values)):.4g}"


def as_array_items(
    answer: Any, expected: np.ndarray, name: str, *, floating: bool = True
) -> tuple[list[Item], np.ndarray | None]:
    """Check that ``answer`` is an array shaped like ``expected``.

    Returns the feedback items so far and the answer as a float64 array when the type
    and shape are right (else ``None``: value checks make no sense then).

    Raises
    ------
    NotAttempted
        If ``answer`` is ``None`` or ``...`` (the learner placeholder).
    """
    if answer is None or answer is Ellipsis:
        raise NotAttempted
    items: list[Item] = []
    if not isinstance(answer, np.ndarray):
        items.append(
            Item(False, f"`{name}` should be a NumPy array, found {type(answer).__name__}")
        )
        return items, None
    items.append(Item(True, f"`{name}` is a NumPy array"))
    if answer.shape != expected.shape:
        detail = ""
        if answer.shape == expected.shape[::-1] and answer.ndim > 1:
            detail = " (transposed?)"
        items.append(
            Item(False, f"shape should be {expected.shape}, found {answer.shape}{detail}")
        )
        return items, None
    items.append(Item(True, f"shape is {expected.shape}"))
    if floating and not np.issubdtype(answer.dtype, np.floating):
        items.append(
            Item(
                False,
                f"dtype should be floating point (float32 or float64), found {answer.dtype}",
            )
        )
        return items, None
    if not np.issubdtype(answer.dtype, np.number):
        items.append(Item(False, f"dtype should be numeric, found {answer.dtype}"))
        return items, None
    items.append(Item(True, f"dtype is {answer.dtype}"))
    return items, answer.astype(np.float64)
