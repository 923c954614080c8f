"""The A1 widget gallery is an appendix: in the catalog after the lessons, copied to the
workspace, with a learner version (issue 12 item 7)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from medlab.course import load_catalog, read_lesson
from medlab.course.catalog import LESSON_ID, LessonMetadataError
from medlab.course.learner import write_learner_versions
from medlab.course.workspace import Workspace

LESSONS = Path(__file__).resolve().parents[2] / "lessons"


def test_the_bundled_gallery_is_listed_after_every_lesson():
    lessons = load_catalog(LESSONS)
    gallery = lessons[-1]
    assert gallery.id == "A1_widget_gallery" and gallery.appendix
    assert gallery.number == 101 and gallery.label == "A1"
    assert gallery.title == "Widget gallery" and gallery.exercises == ()
    assert all(not lesson.appendix and lesson.number < 100 for lesson in lessons[:-1])
    entry = gallery.to_dict()
    assert (entry["label"], entry["appendix"], entry["path"]) == (
        "A1",
        True,
        "A1_widget_gallery.ipynb",
    )
    assert lessons[0].to_dict()["label"] == "00" and not lessons[0].to_dict()["appendix"]


def _notebook(path: Path, meta: dict) -> Path:
    path.write_text(
        json.dumps({"metadata": {"medlab": meta}, "cells": [], "nbformat": 4, "nbformat_minor": 5})
    )
    return path


@pytest.mark.parametrize(
    ("meta", "fragment"),
    [
        ({"number": 1}, "'medlab.number' should be 101"),
        ({"exercises": [{"id": "01.x"}]}, "an appendix has no exercises"),
    ],
)
def test_an_appendix_is_numbered_after_the_lessons_and_has_no_exercises(tmp_path, meta, fragment):
    good = {
        "id": "A1_gallery",
        "number": 101,
        "title": "Gallery",
        "minutes": 5,
        "objectives": ["x"],
        "exercises": [],
    }
    assert read_lesson(_notebook(tmp_path / "A1_gallery.ipynb", good)).label == "A1"
    with pytest.raises(LessonMetadataError, match=fragment):
        read_lesson(_notebook(tmp_path / "A1_gallery.ipynb", {**good, **meta}))
    assert LESSON_ID.match("A1_gallery") and not LESSON_ID.match("AA_gallery")
    assert not LESSON_ID.match("A12_gallery") and not LESSON_ID.match("a1_gallery")


def test_the_gallery_is_copied_into_the_workspace_and_has_a_learner_version(tmp_path):
    workspace = Workspace(tmp_path / "ws", LESSONS)
    report = workspace.sync()
    assert (tmp_path / "ws" / "A1_widget_gallery.ipynb").is_file()
    assert "A1_widget_gallery.ipynb" in json.dumps(report)
    written = write_learner_versions(LESSONS, tmp_path / "learner")
    assert tmp_path / "learner" / "A1_widget_gallery.ipynb" in written
