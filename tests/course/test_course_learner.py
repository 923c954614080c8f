"""Learner versions: regions replaced, runnable top to bottom, consistent with exercises."""

from __future__ import annotations

import json

import pytest

from medlab._resources import lessons_dir as bundled_lessons_dir
from medlab.course import checks as checks_module
from medlab.course import default_store
from medlab.course.catalog import LESSON_ID, LessonMetadataError
from medlab.course.exercises import get
from medlab.course.learner import learner_json, make_learner_notebook, solution_regions


def _code(nb):
    return [
        "".join(c["source"]) if isinstance(c["source"], list) else c["source"]
        for c in nb["cells"]
        if c["cell_type"] == "code"
    ]


def test_learner_version_replaces_regions_and_clears_their_outputs(lessons_dir):
    source = json.loads((lessons_dir / "00_welcome.ipynb").read_text())
    learner = json.loads(learner_json(lessons_dir / "00_welcome.ipynb"))
    cell = _code(learner)[0]
    assert "### BEGIN SOLUTION" not in cell and "RescaleIntercept" not in cell
    assert "# YOUR CODE HERE" in cell
    assert 'fallback("00.hounsfield")' in cell
    assert 'check("00.hounsfield", hu)' in cell
    exercise_cell = next(c for c in learner["cells"] if c["cell_type"] == "code")
    assert exercise_cell["outputs"] == [] and exercise_cell["execution_count"] is None
    assert exercise_cell["metadata"]["tags"] == ["nbval-ignore-output"]
    # Cells without regions are untouched (outputs kept); the source is not modified.
    assert learner["cells"][2]["outputs"] == source["cells"][2]["outputs"]
    assert learner["metadata"]["medlab"]["variant"] == "learner"
    assert "variant" not in source["metadata"]["medlab"]


def test_learner_notebook_runs_top_to_bottom_with_the_fallback(lessons_dir, capsys):
    checks_module._FALLBACK_USED.clear()
    learner = json.loads(learner_json(lessons_dir / "00_welcome.ipynb"))
    namespace: dict = {}
    results = []
    for code in _code(learner):
        *body, last = code.rstrip("\n").split("\n")
        exec("\n".join(body), namespace)
        results.append(
            eval(last, namespace) if last.startswith("check(") else exec(last, namespace)
        )
    assert "Using the reference solution" in capsys.readouterr().out
    assert results[0].status == "not attempted"
    assert namespace["mean_hu"] < 0  # later cells ran on the fallback's values
    assert default_store().passed() == {}


def test_indented_region_becomes_not_implemented():
    nb = {
        "cells": [
            {
                "cell_type": "code",
                "source": (
                    "def to_hu(raw, slope, intercept):\n"
                    "    ### BEGIN SOLUTION 00.hounsfield\n"
                    "    return raw * slope + intercept\n"
                    "    ### END SOLUTION\n"
                ),
            }
        ],
        "metadata": {},
    }
    code = _code(make_learner_notebook(nb))[0]
    assert "return raw" not in code
    namespace: dict = {}
    exec(code, namespace)
    with pytest.raises(NotImplementedError, match=r"00\.hounsfield"):
        namespace["to_hu"](1, 1, 0)
    assert solution_regions(nb) == [("00.hounsfield", "return raw * slope + intercept\n")]


@pytest.mark.parametrize(
    ("source", "fragment"),
    [
        ("### BEGIN SOLUTION\nx = 1\n", "without an END"),
        ("x = 1\n### END SOLUTION\n", "without a BEGIN"),
        ("### BEGIN SOLUTION\nx = 1\n### END SOLUTION\n", "needs its exercise id"),
        ("### BEGIN SOLUTION 00.a\n### BEGIN SOLUTION\n", "nested"),
    ],
)
def test_malformed_regions_are_refused(source, fragment):
    nb = {"cells": [{"cell_type": "code", "source": source}], "metadata": {}}
    with pytest.raises(LessonMetadataError, match=fragment):
        make_learner_notebook(nb, "x.ipynb")


def _normalise(code: str) -> list[str]:
    return [
        line.rstrip()
        for line in code.splitlines()
        if line.strip() and not line.strip().startswith("#")
    ]


def test_fixture_region_matches_the_exercise_solution(lessons_dir):
    nb = json.loads((lessons_dir / "00_welcome.ipynb").read_text())
    [(exercise_id, code)] = solution_regions(nb)
    assert _normalise(code) == _normalise(get(exercise_id).solution)


def test_real_lessons_regions_match_their_exercise_definitions():
    """Every solution region in lessons/ equals the exercise's solution (the fallback)."""
    folder = bundled_lessons_dir()
    for path in sorted(folder.glob("*.ipynb")):
        if not LESSON_ID.match(path.stem):
            continue
        for exercise_id, code in solution_regions(json.loads(path.read_text()), path.name):
            assert _normalise(code) == _normalise(get(exercise_id).solution), (
                f"{path.name}: the region of {exercise_id} differs from "
                f"medlab/course/exercises/lesson{exercise_id[:2]}.py's solution"
            )


def test_medlab_lessons_build_learner_writes_every_lesson(
    lessons_dir, tmp_path, monkeypatch, capsys
):
    from medlab import cli

    out = tmp_path / "learner"
    assert cli.main(["lessons", "build-learner", str(out), "--from", str(lessons_dir)]) == 0
    assert capsys.readouterr().out.split() == [
        str(out / "00_welcome.ipynb"),
        str(out / "01_images.ipynb"),
    ]
    nb = json.loads((out / "00_welcome.ipynb").read_text())
    assert nb["metadata"]["medlab"]["variant"] == "learner"
    assert "### BEGIN SOLUTION" not in "".join(_code(nb))
    assert not (out / "scratch.ipynb").exists()
    # without --from: the configured lessons (MEDLAB_LESSONS_DIR)
    monkeypatch.setenv("MEDLAB_LESSONS_DIR", str(lessons_dir))
    assert cli.main(["lessons", "build-learner", str(tmp_path / "again")]) == 0
    assert sorted(p.name for p in (tmp_path / "again").iterdir()) == [
        "00_welcome.ipynb",
        "01_images.ipynb",
    ]
