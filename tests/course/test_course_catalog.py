"""The lesson catalog is read from notebook metadata and validated."""

from __future__ import annotations

import json

import pytest

from medlab.course import load_catalog, read_lesson
from medlab.course.catalog import LessonMetadataError


def test_catalog_lists_lessons_in_order_with_their_metadata(lessons_dir):
    lessons = load_catalog(lessons_dir)
    assert [lesson.id for lesson in lessons] == ["00_welcome", "01_images"]
    welcome = lessons[0]
    assert welcome.number == 0
    assert welcome.title == "Welcome and tour"
    assert welcome.minutes == 10
    assert welcome.objectives == ("How checks work", "How progress is saved")
    assert [(e.id, e.title) for e in welcome.exercises] == [
        ("00.hounsfield", "Raw pixels to Hounsfield units")
    ]
    assert welcome.to_dict()["path"] == "00_welcome.ipynb"


def _rewrite(path, **changes):
    nb = json.loads(path.read_text())
    nb["metadata"]["medlab"].update(changes)
    path.write_text(json.dumps(nb))


@pytest.mark.parametrize(
    ("changes", "fragment"),
    [
        ({"id": "00_other"}, "file stem"),
        ({"number": 3}, "'medlab.number' should be 0"),
        ({"minutes": 0}, "should be > 0"),
        ({"minutes": "ten"}, "'medlab.minutes' should be"),
        ({"objectives": "one string"}, "list of strings"),
        ({"exercises": [{"id": "01.wrong_lesson"}]}, "should look like '00.name'"),
    ],
)
def test_bad_metadata_is_reported_with_the_file_and_key(lessons_dir, changes, fragment):
    path = lessons_dir / "00_welcome.ipynb"
    _rewrite(path, **changes)
    with pytest.raises(LessonMetadataError, match=r"00_welcome\.ipynb") as info:
        read_lesson(path)
    assert fragment in str(info.value)


def test_notebook_without_medlab_metadata_is_refused(tmp_path):
    path = tmp_path / "02_empty.ipynb"
    path.write_text(json.dumps({"metadata": {}, "cells": []}))
    with pytest.raises(LessonMetadataError, match="no 'medlab' object"):
        read_lesson(path)


def test_two_lessons_with_one_number_are_refused(lessons_dir):
    dup = lessons_dir / "01_images.ipynb"
    copy = lessons_dir / "01_copy.ipynb"
    nb = json.loads(dup.read_text())
    nb["metadata"]["medlab"]["id"] = "01_copy"
    copy.write_text(json.dumps(nb))
    with pytest.raises(LessonMetadataError, match="also used by"):
        load_catalog(lessons_dir)


def test_missing_lessons_folder_raises(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        load_catalog(tmp_path / "nope")
