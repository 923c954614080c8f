"""Exercise checkers of lessons 08, 09 and 10: the reference passes (and agrees with an
independent library), typical mistakes fail with specific feedback, never the solution."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage

from medlab import measure
from medlab.course import evaluate, solution


def _reference(exercise_id: str, name: str):
    namespace = {"np": np, "ndimage": ndimage}
    exec(solution(exercise_id).code, namespace)
    return namespace[name]


def _failed_with(exercise_id: str, answer, fragment: str) -> str:
    result = evaluate(exercise_id, answer)
    text = str(result)
    assert result.status == "failed", text
    assert fragment in text, text
    assert solution(exercise_id).code.strip() not in text
    return text


# --------------------------------------------------------------------------- lesson 08


def _blob():
    m = np.zeros((10, 20, 20), bool)
    m[3:7, 5:12, 6:15] = True
    m[5, 12:16, 10] = True
    return m


def test_volume_reference_agrees_with_measure_and_mistakes():
    fn = _reference("08.volume", "nodule_volume_ml")
    assert fn(_blob(), (2.5, 1.5, 1.5)) == pytest.approx(measure.volume_ml(_blob(), (2.5, 1.5, 1.5)))
    assert fn(np.ones((4, 10, 10), bool), (2.5, 1.0, 1.0)) == pytest.approx(1.0)  # by hand
    assert evaluate("08.volume", fn).passed
    _failed_with("08.volume", lambda m, sp: float(m.sum()), "number of voxels")
    _failed_with("08.volume", lambda m, sp: m.sum() * np.prod(sp), "mm³")
    _failed_with("08.volume", lambda m, sp: m.sum() * sp[1] * sp[2] / 1000, "all three axes")
    _failed_with("08.volume", lambda m, sp: "1 mL", "one number")
    _failed_with("08.volume", 2.5, "should be a function")
    assert evaluate("08.volume", None).status == "not attempted"


def test_diameter_reference_agrees_with_measure_and_mistakes():
    from scipy.spatial.distance import pdist

    fn = _reference("08.diameter", "longest_diameter")
    sp = (2.5, 1.5, 1.5)
    assert fn(_blob(), sp) == pytest.approx(measure.longest_diameter_mm(_blob(), sp))
    assert fn(_blob(), sp) == pytest.approx(pdist(np.argwhere(_blob()) * sp).max())
    assert evaluate("08.diameter", fn).passed
    _failed_with("08.diameter", lambda m, sp: pdist(np.argwhere(m)).max(), "in voxels")
    _failed_with(
        "08.diameter",
        lambda m, sp: np.linalg.norm(np.ptp(np.argwhere(m), axis=0) * np.asarray(sp)),
        "bounding box",
    )
    _failed_with(
        "08.diameter", lambda m, sp: (np.ptp(np.argwhere(m), axis=0) * np.asarray(sp)).max(),
        "one axis",
    )
    _failed_with("08.diameter", lambda m, sp: 1 / 0, "ZeroDivisionError")


def test_wall_distance_reference_agrees_with_measure_and_mistakes():
    from scipy.spatial.distance import cdist

    fn = _reference("08.wall_distance", "distance_to_wall")
    a = _blob()
    wall = np.zeros_like(a)
    wall[:, :, 18:] = True
    sp = (2.5, 1.5, 0.7)
    want = cdist(np.argwhere(a) * sp, np.argwhere(wall) * sp).min()
    assert fn(a, wall, sp) == pytest.approx(want)
    assert fn(a, wall, sp) == pytest.approx(measure.distance_to_mask_mm(a, wall, sp))
    assert evaluate("08.wall_distance", fn).passed
    _failed_with("08.wall_distance",
                 lambda m, w, sp: ndimage.distance_transform_edt(~w)[m].min(), "in voxels")
    _failed_with(
        "08.wall_distance",
        lambda m, w, sp: cdist(np.argwhere(m).mean(axis=0, keepdims=True) * sp,
                               np.argwhere(w) * sp).min(),
        "centre",
    )
    _failed_with("08.wall_distance", lambda m, w, sp: -1.0 * fn(m, w, sp), "not the shortest")
