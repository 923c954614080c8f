"""Shared assertion for the exercise-checker tests (imported by tests/course/test_exercises_*)."""

from __future__ import annotations

from typing import Any

from medlab.course import evaluate, solution


def failed_with(exercise_id: str, answer: Any, fragment: str) -> str:
    """Assert ``answer`` fails ``exercise_id`` with feedback containing ``fragment`` and never
    the reference solution; return the feedback text."""
    result = evaluate(exercise_id, answer)
    text = str(result)
    assert result.status == "failed", text
    assert fragment in text, text
    assert solution(exercise_id).code.strip() not in text
    return text
