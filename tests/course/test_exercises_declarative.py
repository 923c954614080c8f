"""The declarative checkers (``_declarative``) and the one place that touches the learner's
objects (``_learner``): learner objects cannot fool a comparison, huge answers are refused by
shape before any conversion, and the table of mistakes behaves as documented."""

from __future__ import annotations

import doctest
import tracemalloc

import numpy as np
import pytest
from pydicom.data import get_testdata_file

from medlab.course import evaluate
from medlab.course.exercises import Item, NotAttempted
from medlab.course.exercises import _declarative as declarative
from medlab.course.exercises._declarative import FunctionCheck, Mistake, Number
from medlab.io import read_dicom

HUGE = (10_000, 10_000)  # 10^8 elements: 800 MB once converted to float64


class AlwaysEqual(np.ndarray):
    """An array that answers True to every NumPy function and every comparison."""

    def __array_function__(self, func, types, args, kwargs):
        return True

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        return True

    def __eq__(self, other):
        return True

    def astype(self, *args, **kwargs):
        return self


class AlwaysEqualText(str):
    __hash__ = str.__hash__

    def __eq__(self, other):
        return True

    def __ne__(self, other):
        return False


class AlwaysEqualFloat(float):
    def __eq__(self, other):
        return True

    def __ne__(self, other):
        return False


def _huge() -> np.ndarray:
    """10^8 float32 zeros that take no memory (a broadcast view)."""
    return np.broadcast_to(np.float32(0.0), HUGE)


def _peak_bytes(fn) -> int:
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


# --------------------------------------------------------------------------- learner objects


def test_an_array_subclass_that_claims_equality_fails_hounsfield():
    sneaky = np.zeros((128, 128)).view(AlwaysEqual)
    assert np.allclose(sneaky, np.ones((128, 128)))  # it does fool a direct comparison
    result = evaluate("00.hounsfield", sneaky)
    assert result.status == "failed", str(result)
    assert "your values run from 0 to 0" in str(result)


def test_the_real_hounsfield_array_still_passes_as_a_subclass_view():
    hu = np.asarray(read_dicom(get_testdata_file("CT_small.dcm")).array, dtype=np.float64)
    assert evaluate("00.hounsfield", hu.view(AlwaysEqual)).passed


def test_an_array_subclass_returned_by_a_function_cannot_fool_the_comparison():
    result = evaluate("02.zscore", lambda image, mask: np.zeros_like(image).view(AlwaysEqual))
    assert result.status == "failed", str(result)
    result = evaluate("06.gradcam", lambda maps, grads: np.zeros(maps.shape[:2]).view(AlwaysEqual))
    assert result.status == "failed", str(result)


def test_a_str_subclass_that_claims_equality_fails_date_shift():
    result = evaluate("10.date_shift", lambda value, days: AlwaysEqualText("20000101"))
    assert result.status == "failed", str(result)
    assert "should not give 20000101" in str(result)


def test_a_float_subclass_that_claims_equality_fails_volume():
    result = evaluate("08.volume", lambda mask, spacing: AlwaysEqualFloat(0.5))
    assert result.status == "failed", str(result)


def test_the_learner_cannot_change_the_checkers_data():
    def zero_the_mask(mask, spacing):
        mask[...] = False  # in place: on the checker's copy
        return 0.5

    text = str(evaluate("08.volume", zero_the_mask))
    assert "0.5 mm³ is not the volume of a " in text
    assert "a 0-voxel" not in text  # the message is computed on the untouched mask


# --------------------------------------------------------------------------- huge answers


def test_a_huge_wrong_shaped_array_is_refused_by_shape_without_converting_it():
    evaluate("00.hounsfield", np.zeros((2, 2)))  # read CT_small.dcm once, outside the count
    feedback = []
    peak = _peak_bytes(lambda: feedback.append(evaluate("00.hounsfield", _huge())))
    assert "shape should be (128, 128), found (10000, 10000)" in str(feedback[0])
    assert peak < 10 * 2**20, f"{peak / 2**20:.0f} MiB allocated"


def test_a_huge_array_returned_for_an_array_is_refused_without_converting_it():
    evaluate("02.zscore", lambda image, mask: image)  # warm up imports and caches
    feedback = []
    peak = _peak_bytes(lambda: feedback.append(evaluate("02.zscore", lambda im, m: _huge())))
    assert "should return shape (20, 24), found (10000, 10000)" in str(feedback[0])
    assert peak < 10 * 2**20, f"{peak / 2**20:.0f} MiB allocated"


def test_a_huge_array_returned_for_a_number_is_refused_without_converting_it():
    evaluate("04.bce", lambda y, p: 0.0)
    feedback = []
    peak = _peak_bytes(lambda: feedback.append(evaluate("04.bce", lambda y, p: _huge())))
    assert (
        "should return one number (the mean over samples), found an array of shape "
        "(10000, 10000)" in str(feedback[0])
    )
    assert peak < 10 * 2**20, f"{peak / 2**20:.0f} MiB allocated"


def test_a_huge_array_given_for_a_few_numbers_is_refused_without_converting_it():
    evaluate("01.fov", (1.0, 1.0))
    feedback = []
    peak = _peak_bytes(lambda: feedback.append(evaluate("01.fov", _huge())))
    assert "should hold 2 numbers, found shape (10000, 10000)" in str(feedback[0])
    assert peak < 10 * 2**20, f"{peak / 2**20:.0f} MiB allocated"


# --------------------------------------------------------------------------- the table of mistakes


def _mean_check(**overrides) -> FunctionCheck:
    settings = dict(
        cases=[(np.array([1.0, 2.0, 6.0]),), (np.array([4.0]),)],
        reference=lambda x: x.mean(),
        returns=Number("the average"),
        mistakes=[
            Mistake("that is the sum", like=lambda x: x.sum()),
            Mistake("that is the largest value", like=lambda x: x.max()),
            Mistake(
                lambda got, want, x: f"{got:g} is below every value",
                when=lambda got, want, x: got < x.min(),
            ),
        ],
        otherwise="not the mean",
        detail=lambda got, want, x: f" (on {x.size} values)",
        passed="equals np.mean",
    )
    return FunctionCheck("mean", **{**settings, **overrides})


def _messages(check, answer) -> list[str]:
    return [f"{'ok' if item.ok else 'no'}: {item.message}" for item in check(answer)]


def test_the_first_recognised_mistake_names_the_answer_and_detail_follows():
    check = _mean_check()
    assert _messages(check, lambda x: x.sum()) == [
        "ok: `mean` is a function",
        "no: that is the sum (on 3 values)",
    ]
    assert _messages(check, lambda x: -1.0) == [
        "ok: `mean` is a function",
        "no: -1 is below every value (on 3 values)",
    ]
    assert _messages(check, lambda x: 2.5)[-1] == "no: not the mean (on 3 values)"
    assert _messages(check, np.mean) == ["ok: `mean` is a function", "ok: equals np.mean"]


def test_a_mistake_is_not_reported_on_a_case_where_it_gives_the_right_answer():
    median = Mistake("that is the median", like=np.median, close=lambda a, b: abs(a - b) < 0.5)
    check = _mean_check(mistakes=[median], cases=[(np.array([1.0, 2.0, 3.3]),)])
    # the median (2) is within the mistake's tolerance of the mean (2.1): not a telling case
    assert _messages(check, lambda x: 2.3)[-1] == "no: not the mean (on 3 values)"
    check = _mean_check(mistakes=[median], cases=[(np.array([1.0, 2.0, 9.0]),)])
    assert _messages(check, lambda x: 2.3)[-1] == "no: that is the median (on 3 values)"


def test_errors_refusals_and_placeholders():
    check = _mean_check()
    assert _messages(check, lambda: 0)[-1].startswith("no: `mean` raised TypeError")
    assert _messages(check, lambda x: "2") == [
        "ok: `mean` is a function",
        "no: `mean` should return one number (the average), found '2'",
    ]
    assert _messages(check, lambda x: float("nan"))[-1] == (
        "no: `mean` should return a finite number (the average), found nan"
    )
    assert _messages(check, 3) == ["no: `mean` should be a function, found int"]
    with pytest.raises(NotAttempted):
        check(None)
    with pytest.raises(NotImplementedError):
        check(lambda x: (_ for _ in ()).throw(NotImplementedError))


def test_then_runs_only_once_every_case_is_right():
    seen = []
    check = _mean_check(then=lambda fn: seen.append(fn) or [Item(True, "and more")])
    assert _messages(check, lambda x: x.sum())[-1].startswith("no: that is the sum")
    assert seen == []
    assert _messages(check, np.mean)[-2:] == ["ok: equals np.mean", "ok: and more"]
    assert seen == [np.mean]


def test_the_module_example_runs():
    assert doctest.testmod(declarative, raise_on_error=False).failed == 0
