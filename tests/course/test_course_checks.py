"""check / hint / solution / fallback on the real exercise 00.hounsfield."""

from __future__ import annotations

import numpy as np
import pydicom
import pytest
from pydicom.data import get_testdata_file

from medlab.course import check, default_store, evaluate, fallback, hint, solution
from medlab.course import checks as checks_module
from medlab.course.exercises import UnknownExerciseError, all_exercises


@pytest.fixture
def ct():
    ds = pydicom.dcmread(get_testdata_file("CT_small.dcm"))
    return ds, ds.pixel_array


@pytest.fixture(autouse=True)
def _fresh_state():
    checks_module._FALLBACK_USED.clear()
    checks_module._HINTS_SHOWN.clear()


def test_correct_answer_passes_and_records_progress(ct):
    ds, raw = ct
    # Independent reference: the DICOM standard's linear rescale, done by hand.
    hu = raw.astype(np.float64) * 1.0 + (-1024.0)
    assert float(ds.RescaleIntercept) == -1024.0 and float(ds.RescaleSlope) == 1.0
    result = check("00.hounsfield", hu)
    assert result.passed and bool(result)
    assert "00.hounsfield" in default_store().passed()
    assert str(result).startswith("✔ 00.hounsfield passed")
    assert "Progress saved." in str(result)
    assert "medlab-check-passed" in result._repr_html_()


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda raw: raw.astype(float), "forgot to add RescaleIntercept"),
        (lambda raw: raw.astype(float) + 1024, "subtracted RescaleIntercept"),
        (lambda raw: raw.astype(float).T[:64], "shape should be (128, 128), found (64, 128)"),
        (lambda raw: raw - 1024, "dtype should be floating point"),
        (lambda raw: (raw - 1024.0).tolist(), "should be a NumPy array, found list"),
        (lambda raw: raw - 1014.0, "off by the same amount (10 HU)"),
    ],
)
def test_common_mistakes_get_specific_feedback_and_no_progress(ct, make, message):
    _, raw = ct
    result = check("00.hounsfield", make(raw))
    assert result.status == "failed"
    assert message in str(result)
    assert 'hint("00.hounsfield")' in str(result)
    assert default_store().passed() == {}


def test_feedback_never_contains_the_solution(ct):
    _, raw = ct
    text = str(check("00.hounsfield", raw.astype(float)))
    assert solution("00.hounsfield").code not in text


def test_placeholder_answer_is_not_attempted(ct):
    for answer in (None, ...):
        result = check("00.hounsfield", answer)
        assert result.status == "not attempted"


def test_text_repr_is_deterministic(ct):
    _, raw = ct
    a = str(check("00.hounsfield", raw.astype(float)))
    b = str(check("00.hounsfield", raw.astype(float)))
    assert a == b
    assert "0x" not in a


def test_unknown_exercise_raises_a_clear_error():
    with pytest.raises(UnknownExerciseError, match=r"00\.nope"):
        check("00.nope", 1)
    with pytest.raises(UnknownExerciseError, match=r"NN\.name"):
        check("hounsfield", 1)


def test_hints_are_progressive_and_stop_at_the_last():
    texts = [str(hint("00.hounsfield")) for _ in range(4)]
    assert texts[0].startswith("Hint 1 of 3")
    assert texts[1].startswith("Hint 2 of 3")
    assert texts[2] == texts[3] and texts[2].startswith("Hint 3 of 3")
    assert str(hint("00.hounsfield", 1)) == texts[0]
    with pytest.raises(ValueError, match="between 1 and 3"):
        hint("00.hounsfield", 4)


def test_solution_is_folded_in_html():
    shown = solution("00.hounsfield")
    assert "<details" in shown._repr_html_()
    assert "RescaleIntercept" in str(shown)


def test_fallback_runs_reference_and_next_check_gives_no_credit(ct, capsys):
    ds, raw = ct
    namespace = {"ds": ds, "raw": raw}
    fallback("00.hounsfield", namespace)
    assert "Using the reference solution" in capsys.readouterr().out
    result = check("00.hounsfield", namespace["hu"])
    assert result.status == "not attempted"
    assert default_store().passed() == {}
    # Checking the fallback's own array again, from another cell, still earns nothing ...
    assert check("00.hounsfield", namespace["hu"]).status == "not attempted"
    assert default_store().passed() == {}
    # ... but once the learner writes their own code, credit is given.
    own = raw * float(ds.RescaleSlope) + float(ds.RescaleIntercept)
    assert check("00.hounsfield", own).passed
    assert "00.hounsfield" in default_store().passed()


def test_a_checker_that_crashes_reports_instead_of_raising(monkeypatch, ct):
    from medlab.course.exercises import lesson00

    def broken(_):
        raise RuntimeError("boom")

    exercise = lesson00.EXERCISES[0]
    monkeypatch.setattr(
        lesson00, "EXERCISES", (type(exercise)(**{**exercise.__dict__, "checker": broken}),)
    )
    result = evaluate("00.hounsfield", 1)
    assert result.status == "failed"
    assert "could not be examined: RuntimeError: boom" in str(result)


def test_reference_solution_text_passes_the_checker(ct):
    ds, raw = ct
    namespace = {"ds": ds, "raw": raw}
    exec(solution("00.hounsfield").code, namespace)
    assert evaluate("00.hounsfield", namespace["hu"]).passed


def test_every_exercise_has_hints_and_a_solution():
    exercises = list(all_exercises())
    assert "00.hounsfield" in [e.id for e in exercises]
    for exercise in exercises:
        assert exercise.hints and exercise.solution.strip(), exercise.id


# -- issue 13: hardening ----------------------------------------------------------------


@pytest.fixture
def with_checker(monkeypatch):
    """Make 00.hounsfield use ``checker`` instead of its own."""
    from medlab.course.exercises import lesson00

    def use(checker):
        exercise = lesson00.EXERCISES[0]
        replaced = type(exercise)(**{**exercise.__dict__, "checker": checker})
        monkeypatch.setattr(lesson00, "EXERCISES", (replaced, *lesson00.EXERCISES[1:]))

    return use


def _forever(_):
    while True:
        pass


def _forever_swallowing(_):
    while True:
        try:
            while True:
                pass
        except Exception:  # a learner's catch-all does not keep the check running
            pass


@pytest.mark.parametrize("function", [_forever, _forever_swallowing])
def test_a_function_that_never_returns_is_stopped_with_a_message(with_checker, function):
    import signal
    import time

    from medlab.course.exercises import Item

    with_checker(lambda answer: [Item(True, "called"), Item(bool(answer(1)), "returned")])
    handler_before = signal.getsignal(signal.SIGALRM)
    start = time.monotonic()
    result = check("00.hounsfield", function, time_limit_s=0.5)
    assert 0.5 <= time.monotonic() - start < 3
    assert result.status == "failed"
    assert "took longer than 0.5 s and was stopped" in str(result)
    assert default_store().passed() == {}
    assert signal.getsignal(signal.SIGALRM) is handler_before
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)


def test_the_time_limit_keeps_a_timer_that_was_already_running(with_checker):
    import signal

    from medlab.course.exercises import Item

    with_checker(lambda answer: [Item(True, "quick")])
    fired = []
    previous = signal.signal(signal.SIGALRM, lambda *_: fired.append(1))
    try:
        signal.setitimer(signal.ITIMER_REAL, 30)
        assert check("00.hounsfield", 1, time_limit_s=5).passed
        left, _ = signal.getitimer(signal.ITIMER_REAL)
        assert 25 < left <= 30 and fired == []
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def test_off_the_main_thread_a_check_runs_without_a_limit(with_checker):
    import threading

    from medlab.course.exercises import Item

    with_checker(lambda answer: [Item(answer == 1, "one")])
    results = []
    thread = threading.Thread(target=lambda: results.append(evaluate("00.hounsfield", 1)))
    thread.start()
    thread.join(10)
    assert results[0].passed


def test_huge_feedback_is_cut_in_text_and_html(with_checker):
    from medlab.course.exercises import Item

    huge = "x" * 10**7
    with_checker(lambda answer: [Item(False, f"found {answer!r}")] * 50)
    result = check("00.hounsfield", huge)
    assert len(str(result)) <= checks_module.MAX_FEEDBACK_CHARS
    assert len(result._repr_html_()) < 3 * checks_module.MAX_FEEDBACK_CHARS
    assert "more characters" in str(result)
    assert "more lines" in result._repr_html_()
    assert all(len(item.message) <= checks_module.MAX_MESSAGE_CHARS for item in result.items)


def test_a_huge_error_message_from_the_checker_is_cut(with_checker):
    def raising(answer):
        raise ValueError("y" * 10**6)

    with_checker(raising)
    text = str(check("00.hounsfield", 1))
    assert "could not be examined: ValueError: yyy" in text
    assert len(text) <= checks_module.MAX_FEEDBACK_CHARS


def test_a_damaged_progress_file_is_reported_once_and_does_not_stop_a_pass(ct, progress_dir):
    _, raw = ct
    hu = raw.astype(np.float64) - 1024.0
    progress_dir.mkdir()
    (progress_dir / "progress.json").write_text("[" * 100_000)  # RecursionError when parsed
    first = check("00.hounsfield", hu)
    assert first.passed
    assert "Progress saved." in first.note
    assert "could not be used (it is nested too deeply" in first.note
    [copy] = progress_dir.glob("progress.damaged-*.json")
    assert str(copy) in first.note
    assert "00.hounsfield" in default_store().passed()
    second = check("00.hounsfield", hu)
    assert second.passed and second.note == "Progress saved."


def test_an_unusable_progress_lock_is_reported_and_the_answer_still_passes(ct, progress_dir):
    _, raw = ct
    (progress_dir / "progress.lock").mkdir(parents=True)
    result = check("00.hounsfield", raw.astype(np.float64) - 1024.0)
    assert result.passed
    assert "Passed, but progress could not be saved" in result.note
    assert "progress.lock' cannot be used" in result.note


# -- issue 14: failed attempts, for the teacher's report ----------------------------------


def test_a_failed_check_is_recorded_with_its_feedback_and_never_the_code(ct, progress_dir):
    _, raw = ct
    marker = "learner_secret_variable_name"
    namespace = {"raw": raw}
    exec(f"{marker} = raw.astype(float)\nhu = {marker} * 1.0", namespace)  # forgot the intercept
    first = check("00.hounsfield", namespace["hu"])
    assert first.status == "failed"
    assert first.note == 'Try again, or ask for a hint: hint("00.hounsfield")'
    check("00.hounsfield", (raw - 1024.0).tolist())  # a list, not an array
    tries = default_store().attempts()["00.hounsfield"]
    assert tries.failed == 2
    assert tries.first_failed <= tries.last_failed
    # The last check's failing lines, as the learner saw them; no passing line.
    assert tries.last_feedback == ("`hu` should be a NumPy array, found list",)
    assert default_store().passed() == {}
    stored = (progress_dir / "progress.json").read_text(encoding="utf-8")
    assert marker not in stored and "astype" not in stored
    # A pass later keeps the record of the failures.
    assert check("00.hounsfield", raw.astype(np.float64) - 1024.0).passed
    assert default_store().attempts()["00.hounsfield"].failed == 2


def test_not_attempted_and_fallback_checks_record_nothing(ct, progress_dir):
    assert check("00.hounsfield", None).status == "not attempted"
    namespace = {}
    exec(
        "import pydicom\nfrom pydicom.data import get_testdata_file\n"
        "ds = pydicom.dcmread(get_testdata_file('CT_small.dcm'))\nraw = ds.pixel_array",
        namespace,
    )
    fallback("00.hounsfield", namespace)
    assert check("00.hounsfield", namespace["hu"]).status == "not attempted"
    assert not (progress_dir / "progress.json").exists()


def test_a_failed_check_says_when_it_could_not_be_recorded_and_still_gives_feedback(
    ct, progress_dir
):
    _, raw = ct
    (progress_dir / "progress.lock").mkdir(parents=True)
    result = check("00.hounsfield", raw.astype(float))
    assert result.status == "failed" and "forgot to add RescaleIntercept" in str(result)
    assert "(This attempt could not be recorded:" in result.note
    assert "progress.lock' cannot be used" in result.note


def test_a_damaged_progress_file_found_by_a_failed_check_is_said_and_kept(ct, progress_dir):
    _, raw = ct
    progress_dir.mkdir()
    (progress_dir / "progress.json").write_text("{damaged")
    result = check("00.hounsfield", raw.astype(float))
    [copy] = progress_dir.glob("progress.damaged-*.json")
    assert copy.read_text() == "{damaged"
    assert str(copy) in result.note
    assert default_store().attempts()["00.hounsfield"].failed == 1
