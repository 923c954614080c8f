"""The README is part of the product: its figures must be real numbers, its commands real."""

from __future__ import annotations

import re
from pathlib import Path

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


def test_readme_has_no_placeholder_figures():
    cells = [
        c.strip() for line in README.splitlines() if line.startswith("|") for c in line.split("|")
    ]
    placeholders = [
        c for c in cells if re.fullmatch(r"(T\d\dF?|TA1|EX\d\d|BENCH_\w+|CI_\w+|TBD|TODO|\?)", c)
    ]
    assert placeholders == []
    assert not re.search(r"\b(BENCH|CI)_[A-Z_]+\b", README)


def test_readme_names_the_two_commands_that_ci_runs():
    assert "make lab" in README and "make test" in README
    ci = (Path(__file__).resolve().parents[1] / ".ci" / "run").read_text()
    assert "make test" in ci


def test_every_lesson_is_in_the_readme_table():
    lessons = sorted(
        p.stem.split("_", 1)[0]
        for p in (Path(__file__).resolve().parents[1] / "lessons").glob("*.ipynb")
    )
    for number in lessons:
        assert re.search(rf"^\| {number} \|", README, flags=re.M), (
            f"lesson {number} missing from README"
        )
