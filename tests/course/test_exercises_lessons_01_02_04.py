"""Exercise checkers of lessons 01, 02 and 04: the reference passes, typical mistakes fail
with specific feedback that never contains the solution."""

from __future__ import annotations

import json

import numpy as np
import pytest

from medlab._resources import lessons_dir
from medlab.course import evaluate, solution
from medlab.course.exercises import get
from medlab.course.learner import solution_regions

LESSONS = {"01": "01_images_as_data", "02": "02_image_processing", "04": "04_cross_entropy"}


def _reference(exercise_id: str, **namespace):
    """Run the reference solution text in ``namespace`` (with NumPy) and return it."""
    namespace.setdefault("np", np)
    exec(solution(exercise_id).code, namespace)
    return namespace


def _failed_with(exercise_id: str, answer, fragment: str) -> str:
    result = evaluate(exercise_id, answer)
    text = str(result)
    assert result.status == "failed", text
    assert fragment in text, text
    assert solution(exercise_id).code.strip() not in text
    return text


# --------------------------------------------------------------------------- lesson 01


@pytest.fixture(scope="module")
def ct():
    from pydicom.data import get_testdata_file

    from medlab.io import read_dicom

    return read_dicom(get_testdata_file("CT_small.dcm"))


@pytest.fixture(scope="module")
def mri():
    from medlab.datasets.real import bundled_path
    from medlab.io import read_nifti

    return read_nifti(bundled_path(
        "nilearn", "datasets/data/mni_icbm152_t1_tal_nlin_sym_09a_converted.nii.gz"))


def test_fov_reference_passes_and_equals_hand_worked_value(ct):
    fov = _reference("01.fov", ct=ct)["fov_mm"]
    assert np.allclose(fov, [128 * 0.661468] * 2)
    assert evaluate("01.fov", fov).passed
    assert evaluate("01.fov", (84.668, 84.668)).passed  # a tuple is fine


@pytest.mark.parametrize(
    ("answer", "fragment"),
    [
        ((128, 128), "pixel counts, not millimetres"),
        ((128 / 0.661468, 128 / 0.661468), "multiply, do not divide"),
        ((640.0, 640.0), "SliceThickness"),
        ((0.661468, 0.661468), "size of one pixel"),
        ((84.7, 84.7, 5.0), "should hold 2 numbers"),
        ("big", "should be 2 numbers"),
    ],
)
def test_fov_mistakes_get_specific_feedback(answer, fragment):
    _failed_with("01.fov", answer, fragment)


def test_fov_placeholder_is_not_attempted():
    assert evaluate("01.fov", None).status == "not attempted"


def test_window_reference_matches_medlab_window():
    from medlab.preprocess import window

    my_window = _reference("01.window")["my_window"]
    hu = np.array([-2000.0, -1350.0, -600.0, 0.0, 150.0, 2000.0])
    assert np.allclose(my_window(hu, -600, 1500), window(hu, -600, 1500))
    assert evaluate("01.window", my_window).passed


@pytest.mark.parametrize(
    ("wrong", "fragment"),
    [
        (lambda hu, c, w: (hu - (c - w / 2)) / w, "should stay in [0, 1]"),
        (lambda hu, c, w: np.clip((hu - c) / w, 0, 1), "starts at center − width/2"),
        (lambda hu, c, w: np.clip((hu - (c - w / 2)) / (w / 2), 0, 1), "whole width"),
        (lambda hu, c, w: np.clip((hu + (c - w / 2)) / w, 0, 1), "should map to 0"),
        (lambda hu, c, w: np.clip(hu, 0, 1)[:1], "input's shape"),
        (lambda hu, c: hu, "raised TypeError"),
        (42, "should be a function"),
    ],
)
def test_window_mistakes_get_specific_feedback(wrong, fragment):
    _failed_with("01.window", wrong, fragment)


def test_voxel_index_reference_passes_and_maps_back_to_origin(mri):
    index = _reference("01.voxel_index", mri=mri)["origin_index"]
    assert np.allclose(index, [98, 134, 72])  # nilearn's template: origin at (98, 134, 72)
    assert np.allclose((mri.affine @ np.append(index, 1))[:3], 0)
    assert evaluate("01.voxel_index", index).passed


@pytest.mark.parametrize(
    ("answer", "fragment"),
    [
        ((-98, -134, -72), "world position of voxel (0, 0, 0)"),
        ((98, 134, 72, 1), "drop the homogeneous coordinate"),
        ((0, 0, 0), "should map to (0, 0, 0) mm"),
        ((np.nan, 0, 0), "NaN"),
    ],
)
def test_voxel_index_mistakes_get_specific_feedback(answer, fragment):
    _failed_with("01.voxel_index", answer, fragment)


# --------------------------------------------------------------------------- all three lessons


@pytest.mark.parametrize("number", sorted(LESSONS))
def test_lesson_metadata_lists_exactly_the_exercises_in_its_regions(number):
    path = lessons_dir() / f"{LESSONS[number]}.ipynb"
    if not path.exists():
        pytest.skip(f"{path.name} not written yet")
    nb = json.loads(path.read_text(encoding="utf-8"))
    listed = [e["id"] for e in nb["metadata"]["medlab"]["exercises"]]
    regions = [exercise_id for exercise_id, _ in solution_regions(nb, path.name)]
    assert listed == regions
    for exercise_id in listed:
        exercise = get(exercise_id)
        assert exercise.title in [e["title"] for e in nb["metadata"]["medlab"]["exercises"]]
        assert len(exercise.hints) >= 2
