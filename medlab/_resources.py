"""Where MedLab's bundled files live, in a wheel install and in a source checkout."""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def _bundled_or_repo(name: str) -> Path:
    bundled = _PACKAGE / "_bundled" / name
    if bundled.is_dir():
        return bundled
    return _PACKAGE.parent / name


def cards_dir() -> Path:
    """The folder holding the dataset cards (``datasets/`` in the repository)."""
    return _bundled_or_repo("datasets")


def lessons_dir() -> Path:
    """The folder holding the source lesson notebooks (``lessons/`` in the repository)."""
    return _bundled_or_repo("lessons")
