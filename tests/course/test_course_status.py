"""The course status (catalog + progress + next lesson) and ``medlab lessons``, which prints it."""

from __future__ import annotations

import json

import pytest

from medlab import cli
from medlab.course import ProgressStore
from medlab.course.status import course_status, status_table
from medlab.course.workspace import Workspace


@pytest.fixture
def lessons(lessons_dir):
    """The fixture lessons plus 02_models with two exercises."""
    nb = json.loads((lessons_dir / "01_images.ipynb").read_text())
    nb["metadata"]["medlab"].update(
        id="02_models",
        number=2,
        title="Models that learn",
        minutes=25,
        exercises=[{"id": "02.fit", "title": "Fit"}, {"id": "02.score", "title": "Score"}],
    )
    (lessons_dir / "02_models.ipynb").write_text(json.dumps(nb))
    return lessons_dir


def test_status_counts_passed_exercises_and_points_at_the_first_unfinished_lesson(
    tmp_path, lessons, progress_dir
):
    store = ProgressStore(progress_dir)
    store.record_pass("00.hounsfield")
    store.record_pass("02.score")
    workspace = Workspace(tmp_path / "work", lessons)
    (tmp_path / "work").mkdir()
    (tmp_path / "work" / "02_models.ipynb").write_text("{}")
    status = course_status(workspace, store)
    rows = [(e["id"], e["passed"], e["total"], e["exists"]) for e in status["lessons"]]
    assert rows == [
        ("00_welcome", 1, 1, False),
        ("01_images", 0, 0, False),
        ("02_models", 1, 2, True),
    ]
    assert status["lessons"][2]["exercises"] == [
        {"id": "02.fit", "title": "Fit", "passed": False},
        {"id": "02.score", "title": "Score", "passed": True},
    ]
    assert status["next"] == "02_models"
    json.dumps(status)  # JSON-ready, as the server sends it


def test_when_everything_is_passed_next_is_the_last_lesson(tmp_path, lessons, progress_dir):
    store = ProgressStore(progress_dir)
    for exercise in ("00.hounsfield", "02.fit", "02.score"):
        store.record_pass(exercise)
    assert course_status(Workspace(tmp_path / "w", lessons), store)["next"] == "02_models"


def test_no_lessons_means_no_next(tmp_path, progress_dir):
    (tmp_path / "empty").mkdir()
    status = course_status(
        Workspace(tmp_path / "w", tmp_path / "empty"), ProgressStore(progress_dir)
    )
    assert status == {"lessons": [], "next": None}
    assert status_table(status) == "No lessons found."


def test_status_table_has_one_row_per_lesson_and_marks_the_next(tmp_path, lessons, progress_dir):
    store = ProgressStore(progress_dir)
    store.record_pass("00.hounsfield")
    table = status_table(course_status(Workspace(tmp_path / "w", lessons), store))
    lines = table.splitlines()
    assert lines[0].split() == ["#", "title", "minutes", "exercises"]
    assert lines[1].split() == ["00", "Welcome", "and", "tour", "10", "1/1"]
    assert lines[2].split() == ["01", "Medical", "images", "as", "data", "45", "0/0"]
    assert lines[3].split() == [">", "02", "Models", "that", "learn", "25", "0/2"]
    assert lines[-1] == (
        "1 of 3 exercises passed. Next (>): lesson 02, Models that learn (02_models.ipynb)."
    )
    # the columns line up: every row ends its minutes at the same offset
    assert lines[1].rindex("10") == lines[2].rindex("45") == lines[3].rindex("25")


def add_gallery(lessons_dir):
    """An appendix without exercises, as the course's A1_widget_gallery."""
    nb = json.loads((lessons_dir / "01_images.ipynb").read_text())
    nb["metadata"]["medlab"].update(
        id="A1_gallery", number=101, title="Widget gallery", minutes=15, exercises=[]
    )
    (lessons_dir / "A1_gallery.ipynb").write_text(json.dumps(nb))


def test_status_table_shows_an_appendix_by_its_label_not_its_number(
    tmp_path, lessons, progress_dir
):
    add_gallery(lessons)
    store = ProgressStore(progress_dir)
    for exercise in ("00.hounsfield", "02.fit", "02.score"):
        store.record_pass(exercise)
    status = course_status(Workspace(tmp_path / "w", lessons), store)
    assert [(e["label"], e["appendix"]) for e in status["lessons"]] == [
        ("00", False),
        ("01", False),
        ("02", False),
        ("A1", True),
    ]
    lines = status_table(status).splitlines()
    assert lines[4].split() == [">", "A1", "Widget", "gallery", "15", "0/0"]
    assert "101" not in status_table(status)
    assert lines[-1] == (
        "3 of 3 exercises passed. Next (>): appendix A1, Widget gallery (A1_gallery.ipynb)."
    )
    # the label column lines up under "#", the minutes under "minutes"
    assert lines[1].index("00") + 1 == lines[4].index("A1") + 1 == lines[0].index("#")
    assert lines[1].rindex("10") == lines[4].rindex("15") == lines[0].index("minutes") + 5


def test_medlab_lessons_prints_the_status_of_the_configured_lessons(
    lessons, progress_dir, monkeypatch, tmp_path, capsys
):
    monkeypatch.setenv("MEDLAB_LESSONS_DIR", str(lessons))
    monkeypatch.setenv("MEDLAB_WORKSPACE", str(tmp_path / "work"))
    ProgressStore(progress_dir).record_pass("02.fit")
    assert cli.main(["lessons"]) == 0
    out = capsys.readouterr().out
    assert "> 00  Welcome and tour" in out
    assert "Models that learn" in out and "1/2" in out
    assert "1 of 3 exercises passed." in out
    assert str(progress_dir / "progress.json") in out
    assert not (tmp_path / "work").exists()  # printing the status writes nothing


def test_medlab_lessons_reports_broken_lessons_as_an_error(lessons, monkeypatch, capsys):
    monkeypatch.setenv("MEDLAB_LESSONS_DIR", str(lessons))
    (lessons / "03_broken.ipynb").write_text("{}")
    assert cli.main(["lessons"]) == 2
    assert "03_broken.ipynb" in capsys.readouterr().err
