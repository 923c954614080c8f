"""Class tools: the teacher's report, grades from MedLab's checkers, the nbgrader export.

The round trip at the end runs nbgrader 0.9 itself: generate the assignment, submit the
reference solutions and wrong answers, autograde, read the gradebook.
"""

from __future__ import annotations

import csv
import io
import json
import multiprocessing
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from medlab.cli import main
from medlab.course import load_catalog
from medlab.course.catalog import LessonMetadataError
from medlab.course.exercises import get
from medlab.course.grading import checker_parts, grade, score
from medlab.course.nbgrader_export import (
    ExportConflictError,
    ExportOptionError,
    export_nbgrader,
    nbgrader_notebook,
)
from medlab.course.progress import ProgressStore
from medlab.course.report import (
    HOME_PROGRESS,
    find_progress_files,
    format_duration,
    read_class,
    report_html,
    write_report,
)

REPO = Path(__file__).resolve().parents[2]
LESSONS = REPO / "lessons"


# --------------------------------------------------------------------------- fixtures


def _notebook(meta: dict, cells: list[tuple[str, str]]) -> dict:
    return {
        "nbformat": 4,
        "nbformat_minor": 5,
        "metadata": {
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
            "medlab": meta,
        },
        "cells": [
            {
                "cell_type": kind,
                "id": f"c{i}",
                "metadata": {},
                "source": source,
                **({"outputs": [], "execution_count": None} if kind == "code" else {}),
            }
            for i, (kind, source) in enumerate(cells)
        ],
    }


def _lesson(folder: Path, stem: str, title: str, exercises: list[tuple[str, str]]) -> None:
    meta = {
        "id": stem,
        "number": int(stem[:2]),
        "title": title,
        "minutes": 10,
        "objectives": ["x"],
        "exercises": [{"id": i, "title": t} for i, t in exercises],
    }
    (folder / f"{stem}.ipynb").write_text(json.dumps(_notebook(meta, [("code", "x = 1")])))


@pytest.fixture
def course(tmp_path: Path) -> Path:
    """Three lessons: 00_intro (00.alpha, 00.beta), 01_next (01.gamma), 02_none (none)."""
    folder = tmp_path / "course"
    folder.mkdir()
    _lesson(folder, "00_intro", "Intro", [("00.alpha", "Alpha"), ("00.beta", "Beta")])
    _lesson(folder, "01_next", "Next", [("01.gamma", "Gamma")])
    _lesson(folder, "02_none", "None", [])
    return folder


def _write(path: Path, data: dict | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data if isinstance(data, bytes) else json.dumps(data).encode())
    return path


def _attempt(failed: int, first: str, last: str, feedback: list[str]) -> dict:
    return {
        "failed": failed,
        "first_failed": f"2026-11-30T{first}Z",
        "last_failed": f"2026-11-30T{last}Z",
        "last_feedback": feedback,
    }


@pytest.fixture
def class_folder(tmp_path: Path) -> Path:
    """alice (v2, a name stored), bob (a version 1 file), carol (a JupyterHub home)."""
    root = tmp_path / "class"
    _write(
        root / "alice" / "progress.json",
        {
            "version": 2,
            "user": "Alice A",
            "passed": {"00.alpha": "2026-11-30T10:05:00Z", "00.beta": "2026-11-30T10:20:00Z"},
            "attempts": {
                "00.alpha": _attempt(2, "10:00:00", "10:03:00", ["wrong sign"]),
                "01.gamma": _attempt(1, "11:00:00", "11:00:00", ["too big"]),
            },
        },
    )
    _write(
        root / "bob" / "progress.json",
        {
            "version": 1,
            "passed": {
                "00.alpha": "2026-11-30T09:00:00Z",
                "00.beta": "2026-11-30T09:30:00Z",
                "01.gamma": "2026-11-30T09:45:00Z",
            },
        },
    )
    _write(
        root / "carol" / HOME_PROGRESS,
        {
            "version": 2,
            "passed": {},
            "attempts": {
                "00.beta": _attempt(
                    5, "12:00:00", "12:30:00", ['=HYPERLINK("http://x")', "second line"]
                ),
                "01.gamma": _attempt(1, "12:40:00", "12:40:00", ["too big"]),
            },
        },
    )
    return root


# --------------------------------------------------------------------------- the report


def test_report_of_good_files_rows_stuck_list_and_completion_times(class_folder, course):
    files, warnings = find_progress_files([class_folder])
    report = read_class(files, load_catalog(course))
    assert warnings == [] and report.warnings == []
    assert [lp.learner for lp in report.learners] == ["alice (Alice A)", "bob", "carol"]

    rows = {(r["learner"], r["exercise"]): r for r in report.rows()}
    assert len(rows) == 9  # 3 learners x 3 exercises
    assert rows[("alice (Alice A)", "00.alpha")] == {
        "learner": "alice (Alice A)",
        "lesson": "00_intro",
        "exercise": "00.alpha",
        "title": "Alpha",
        "passed": "yes",
        "first_pass": "2026-11-30T10:05:00Z",
        "failed_attempts": 2,
        "first_failed": "2026-11-30T10:00:00Z",
        "last_failed": "2026-11-30T10:03:00Z",
        "last_feedback": "wrong sign",
        "file": str(class_folder / "alice" / "progress.json"),
    }
    assert rows[("bob", "01.gamma")]["passed"] == "yes"
    assert rows[("bob", "01.gamma")]["failed_attempts"] == 0
    assert rows[("carol", "00.beta")]["passed"] == "no"
    assert rows[("carol", "00.beta")]["last_feedback"] == '=HYPERLINK("http://x") | second line'

    # Most failed checks first; a tie goes to the exercise more learners are still stuck on.
    stuck = [
        (s.exercise_id, s.failed, s.learners_failed, s.not_passed, s.common_feedback)
        for s in report.stuck()
    ]
    assert stuck == [
        ("00.beta", 5, 1, 1, '=HYPERLINK("http://x")'),
        ("01.gamma", 2, 2, 2, "too big"),
        ("00.alpha", 2, 1, 0, "wrong sign"),
    ]
    assert [s.exercise_id for s in report.stuck(top=1)] == ["00.beta"]

    # alice: first attempt 10:00 (a failed check), last pass 10:20 -> 20 min; bob: 09:00 to
    # 09:30 -> 30 min; 01_next: only bob, one exercise passed at once -> 0 s.
    times = {t.lesson.id: (t.completed, t.seconds, t.median_s) for t in report.lesson_times()}
    assert times == {"00_intro": (2, (1200.0, 1800.0), 1500.0), "01_next": (1, (0.0,), 0.0)}


def test_report_files_csv_and_self_contained_html(class_folder, course, tmp_path):
    report = read_class(find_progress_files([class_folder])[0], load_catalog(course))
    csv_path, html_path = write_report(report, tmp_path / "out")
    rows = list(csv.DictReader(io.StringIO(csv_path.read_text(encoding="utf-8"))))
    assert len(rows) == 9 and list(rows[0])[:5] == [
        "learner",
        "lesson",
        "exercise",
        "title",
        "passed",
    ]
    carol = next(r for r in rows if r["learner"] == "carol" and r["exercise"] == "00.beta")
    # Text a spreadsheet would run as a formula is kept as text.
    assert carol["last_feedback"].startswith("'=HYPERLINK")
    assert carol["failed_attempts"] == "5"
    assert oct(csv_path.stat().st_mode & 0o777) == "0o600"  # learners' records

    page = html_path.read_text(encoding="utf-8")
    assert page.count("<svg") == 2  # a chart per lesson with exercises
    assert "1/3 (33%)" in page and "2/3 (67%)" in page  # 00.alpha/00.beta/01.gamma shares
    assert "Where the class is stuck" in page and "25 min" in page  # 00_intro median
    assert "<script" not in page and "src=" not in page and "href=" not in page
    assert "HYPERLINK(&quot;http://x&quot;)" in page


def test_a_learner_name_is_escaped_in_the_page(course, tmp_path):
    _write(tmp_path / "c" / "x<b>y" / "progress.json", {"passed": {"00.alpha": "t"}})
    report = read_class(find_progress_files([tmp_path / "c"])[0], load_catalog(course))
    page = report_html(report)
    assert "x&lt;b&gt;y" in page and "x<b>y" not in page


def test_corrupt_and_foreign_files_are_named_and_the_report_goes_on(course, tmp_path, capsys):
    root = tmp_path / "class"
    good = _write(root / "good" / "progress.json", {"passed": {"00.alpha": "2026-11-30T10:00:00Z"}})
    half = _write(
        root / "half" / "progress.json",
        {"passed": {"00.beta": "2026-11-30T10:00:00Z", "not an id": "x"}},
    )
    bad = {
        "broken": _write(root / "broken" / "progress.json", b"{not json"),
        "binary": _write(root / "binary" / "progress.json", b"\xff\xfe\x00\x01"),
        "notebook": _write(root / "notebook" / "progress.json", _notebook({}, [("code", "x = 1")])),
        "newer": _write(root / "newer" / "progress.json", {"version": 3, "passed": {}}),
    }
    (root / "folder" / "progress.json").mkdir(parents=True)
    (root / "pipe").mkdir()
    os.mkfifo(root / "pipe" / "progress.json")
    start = time.monotonic()
    files, _ = find_progress_files([root])
    report = read_class(files, load_catalog(course))
    assert time.monotonic() - start < 5  # the named pipe does not block
    assert [lp.learner for lp in report.learners] == ["good", "half"]
    assert report.learners[1].state.passed == {"00.beta": "2026-11-30T10:00:00Z"}
    assert len(report.warnings) == 7
    for path, fragment in [
        (bad["broken"], "not valid JSON"),
        (bad["binary"], "not UTF-8"),
        (bad["notebook"], "unexpected key 'cells'"),
        (bad["newer"], "expected format version 1 or 2"),
        (root / "folder" / "progress.json", "cannot be read"),
        (root / "pipe" / "progress.json", "not a regular file"),
        (half, "1 of its 2 entries"),
    ]:
        [line] = [w for w in report.warnings if repr(str(path)) in w]
        assert fragment in line
    assert not any(repr(str(good)) in w for w in report.warnings)

    out = tmp_path / "out"
    assert (
        main(["class", "report", str(root), "--out", str(out), "--lessons-dir", str(course)]) == 0
    )
    captured = capsys.readouterr()
    assert captured.err.count("medlab: warning: ") == 7
    assert str(bad["notebook"]) in captured.err
    assert "Read 8 progress files: 2 learners." in captured.out
    assert (out / "class_report.csv").exists() and (out / "class_report.html").exists()


def test_a_link_out_of_a_learners_folder_is_not_read(class_folder, course, tmp_path):
    # The teacher may run the report as root: a learner's link must not show another's file.
    (class_folder / "mallory").mkdir()
    (class_folder / "mallory" / "progress.json").symlink_to(class_folder / "bob" / "progress.json")
    (class_folder / "eve" / ".local").mkdir(parents=True)
    (class_folder / "eve" / ".local" / "share").symlink_to(
        class_folder / "carol" / ".local" / "share"
    )
    secret = _write(tmp_path / "secret.json", {"passed": {"00.alpha": "2026-11-30T10:00:00Z"}})
    (class_folder / "zoe").mkdir()
    (class_folder / "zoe" / "progress.json").symlink_to(secret)
    (tmp_path / "real_home" / HOME_PROGRESS).parent.mkdir(parents=True)
    ProgressStore((tmp_path / "real_home" / HOME_PROGRESS).parent).record_pass("00.beta")
    (class_folder / "linked_home").symlink_to(tmp_path / "real_home")  # a linked home is fine
    report = read_class(find_progress_files([class_folder])[0], load_catalog(course))
    assert [lp.learner for lp in report.learners] == [
        "alice (Alice A)",
        "bob",
        "carol",
        "linked_home",
    ]
    assert len(report.warnings) == 3
    assert all("a link leads out of the learner's folder" in w for w in report.warnings)
    assert any(str(secret) in w for w in report.warnings)


def test_homes_option_and_glob_patterns_find_jupyterhub_users(course, tmp_path, capsys):
    homes = tmp_path / "home"
    for user in ("ann", "ben"):
        ProgressStore((homes / user / HOME_PROGRESS).parent).record_failure("00.alpha", ["no"])
    (homes / "empty").mkdir()  # a user who never started
    out = tmp_path / "out"
    assert (
        main(
            [
                "class",
                "report",
                "--homes",
                str(homes),
                "--out",
                str(out),
                "--lessons-dir",
                str(course),
            ]
        )
        == 0
    )
    rows = list(csv.DictReader((out / "class_report.csv").open(encoding="utf-8")))
    assert sorted({r["learner"] for r in rows}) == ["ann", "ben"]
    assert capsys.readouterr().err == ""
    pattern = str(homes / "*" / HOME_PROGRESS)
    files, warnings = find_progress_files([pattern])
    assert [f.parts[-6] for f in files] == ["ann", "ben"] and warnings == []
    assert find_progress_files([str(tmp_path / "nobody*")])[1] == [
        f"{str(tmp_path / 'nobody*')!r}: the pattern matches no file"
    ]
    with pytest.raises(FileNotFoundError, match="does not exist"):
        find_progress_files([tmp_path / "missing"])
    assert main(["class", "report", str(tmp_path / "missing")]) == 2
    assert main(["class", "report"]) == 2


def _learner_writes(folder: str, rounds: int) -> None:
    store = ProgressStore(folder, lock_timeout_s=30)
    for i in range(rounds):
        store.record_failure("00.alpha", [f"try {i}"])
        if i % 10 == 9:
            store.record_pass("00.beta")
    store.record_pass("00.alpha")


def test_report_while_learners_write_reads_whole_files_and_loses_nothing(course, tmp_path):
    """Two kernels per learner record failures and passes while the teacher reads."""
    root, rounds = tmp_path / "class", 25
    ctx = multiprocessing.get_context("fork")
    writers = [
        ctx.Process(target=_learner_writes, args=(str(root / name), rounds))
        for name in ("ann", "ben", "cem")
        for _ in range(2)
    ]
    for proc in writers:
        proc.start()
    lessons = load_catalog(course)
    reads, between, seen = 0, 0, {}
    while any(proc.is_alive() for proc in writers) or reads < 3:
        files, _ = find_progress_files([root]) if root.exists() else ([], [])
        report = read_class(files, lessons)
        assert report.warnings == []  # never half a file
        for lp in report.learners:
            failed = lp.state.attempts["00.alpha"].failed
            assert failed >= seen.get(lp.learner, 0)  # counts only grow
            seen[lp.learner] = failed
            between += 0 < failed < 2 * rounds
        reads += 1
    for proc in writers:
        proc.join(60)
        assert proc.exitcode == 0
    report = read_class(find_progress_files([root])[0], lessons)
    assert [lp.learner for lp in report.learners] == ["ann", "ben", "cem"]
    for lp in report.learners:
        assert lp.state.attempts["00.alpha"].failed == 2 * rounds  # nothing lost
        assert set(lp.state.passed) == {"00.alpha", "00.beta"}
    assert reads >= 3 and between > 0  # the teacher did read while learners wrote


def test_format_duration():
    assert [format_duration(s) for s in (None, 4.6, 59, 60, 725, 3600, 3900, 90000)] == [
        "—",
        "5 s",
        "59 s",
        "1 min",
        "12 min",
        "1 h 00 min",
        "1 h 05 min",
        "1 d 1 h",
    ]


# --------------------------------------------------------------------------- grading


def _cce_hard_coded_k(y, p):  # right for 3 classes, fails for 2
    return -np.mean(
        y[:, 0] * np.log(p[:, 0]) + y[:, 1] * np.log(p[:, 1]) + y[:, 2] * np.log(p[:, 2])
    )


def _cce_two_classes_only(y, p):  # wrong for 3 classes, right for 2 (binary CE) only
    return -np.mean(y[:, 1] * np.log(p[:, 1]) + (1 - y[:, 1]) * np.log(1 - p[:, 1]))


def _naive_bce_from_logits(y, z):  # right for moderate logits, inf for +-1000
    s = 1 / (1 + np.exp(-z))
    return np.mean(-(y * np.log(s) + (1 - y) * np.log(1 - s)))


def _cce_right(y, p):
    return -np.mean(np.sum(y * np.log(p), axis=1))


def test_only_checkers_with_then_chains_have_several_parts():
    assert len(checker_parts(get("04.cce"))) == 2
    assert len(checker_parts(get("04.stable_bce"))) == 2
    assert len(checker_parts(get("07.dice"))) == 2
    assert len(checker_parts(get("00.hounsfield"))) == 1


@pytest.mark.parametrize(
    ("answer", "points", "earned", "parts"),
    [
        (_cce_right, 2, 2.0, ()),
        (_cce_hard_coded_k, 2, 1.0, (True, False)),
        (_cce_two_classes_only, 2, 0.0, (False,)),  # a part counts once the parts before it pass
        (lambda y, p: 0.0, 2, 0.0, (False,)),
        (None, 2, 0.0, ()),  # not attempted
        (3, 4, 0.0, (False,)),
    ],
)
def test_partial_credit_per_part_of_the_check(answer, points, earned, parts):
    result = score("04.cce", answer, points=points)
    assert (result.points, result.max_points, result.parts) == (earned, points, parts)
    assert f"Score: {earned:g} of {points} points" in str(result)


def test_a_later_part_alone_earns_nothing():
    # Dice's second part (two empty masks agree: 1.0) passes for a constant 1.0.
    result = score("07.dice", lambda truth, pred: 1.0)
    assert (result.points, result.parts) == (0.0, (False,))
    assert score("07.dice", _dice_ignoring_empty_masks).parts == (True, False)
    assert score("07.dice", _dice_ignoring_empty_masks).points == 0.5


def _dice_ignoring_empty_masks(truth, pred):
    return 2 * np.sum(truth & pred) / (truth.sum() + pred.sum())  # NaN for two empty masks


def test_grade_shows_feedback_returns_the_score_and_writes_nothing_to_stderr(capsys):
    earned = grade("04.stable_bce", _naive_bce_from_logits)  # warns: overflow, log(0)
    assert earned == 0.5 and type(earned) is float
    out, err = capsys.readouterr()
    assert err == ""  # nbgrader scores a test cell that writes to stderr as 0
    assert "the loss is inf or NaN for logits like ±1000" in out
    assert "Score: 0.5 of 1 point (1 of 2 parts of the check right: part 1 ✔, part 2 ✘)." in out
    assert grade("00.lung_window", np.zeros((2, 2))) == 0.0
    with pytest.raises(ValueError, match="points for '04.cce' should be a number > 0"):
        score("04.cce", _cce_right, points=0)


def test_grading_records_no_progress(progress_dir):
    score("04.cce", _cce_hard_coded_k)
    score("04.cce", _cce_right)
    assert not (progress_dir / "progress.json").exists()


# --------------------------------------------------------------------------- nbgrader export


def _nbgrader_cells(nb: dict) -> list[tuple[str, dict]]:
    return [(c["cell_type"], c["metadata"].get("nbgrader", {})) for c in nb["cells"]]


def test_lesson_00_exports_answer_and_read_only_test_cells():
    lesson = next(x for x in load_catalog(LESSONS) if x.id == "00_welcome")
    source = json.loads((LESSONS / lesson.filename).read_text(encoding="utf-8"))
    nb = nbgrader_notebook(source, lesson, points=2, points_for={"00.lung_window": 0.5})
    answers = [c for c in nb["cells"] if c["metadata"]["nbgrader"]["solution"]]
    tests = [c for c in nb["cells"] if c["metadata"]["nbgrader"]["grade"]]
    assert [c["metadata"]["nbgrader"]["grade_id"] for c in answers] == [
        "answer_00_hounsfield",
        "answer_00_lung_window",
    ]
    assert answers[0]["source"] == (
        "### BEGIN SOLUTION\n" + get("00.hounsfield").solution + "\n### END SOLUTION"
    )
    assert tests[0]["source"].endswith('grade("00.hounsfield", hu, points=2)')
    assert tests[1]["source"].endswith('grade("00.lung_window", lung_view, points=0.5)')
    assert [t["metadata"]["nbgrader"] for t in tests] == [
        {
            "grade": True,
            "grade_id": "test_00_hounsfield",
            "locked": True,
            "points": 2,
            "schema_version": 3,
            "solution": False,
        },
        {
            "grade": True,
            "grade_id": "test_00_lung_window",
            "locked": True,
            "points": 0.5,
            "schema_version": 3,
            "solution": False,
        },
    ]
    # The answer cell is followed by its test cell; every other cell is read-only.
    index = nb["cells"].index(answers[0])
    assert nb["cells"][index + 1] is tests[0]
    others = [meta for _, meta in _nbgrader_cells(nb) if not (meta["grade"] or meta["solution"])]
    assert len(others) == len(source["cells"]) - 2 + 1  # + the intro cell
    assert all(meta["locked"] for meta in others)
    assert all(c.get("outputs", []) == [] for c in nb["cells"])
    assert not any("check(" in c["source"] for c in answers + tests)
    assert "widgets" not in nb["metadata"] and nb["metadata"]["medlab"]["variant"] == "nbgrader"


def test_every_lesson_exports_valid_nbgrader_notebooks(tmp_path):
    nbformat = pytest.importorskip("nbformat")
    validator_module = pytest.importorskip("nbgrader.nbgraderformat")
    written = export_nbgrader(tmp_path, lessons_dir=LESSONS)
    with_exercises = [x for x in load_catalog(LESSONS) if x.exercises]
    assert [p.parent.name for p in written] == [x.id for x in with_exercises]
    for path, lesson in zip(written, with_exercises, strict=True):
        nb = nbformat.read(path, as_version=4)
        nbformat.validate(nb)
        validator_module.MetadataValidator().validate_nb(nb)
        graded = [c.metadata.nbgrader.grade_id for c in nb.cells if c.metadata.nbgrader.grade]
        assert graded == [f"test_{e.id.replace('.', '_')}" for e in lesson.exercises]
    assert "c.Execute.timeout = 600" in (tmp_path / "nbgrader_config.py").read_text()


def test_export_refuses_to_replace_an_edited_notebook_and_keeps_the_config(tmp_path):
    [path] = export_nbgrader(tmp_path, lessons_dir=LESSONS, lessons=["0"])
    assert path == tmp_path / "source" / "00_welcome" / "00_welcome.ipynb"
    config = tmp_path / "nbgrader_config.py"
    config.write_text("# the teacher's own\n")
    assert export_nbgrader(tmp_path, lessons_dir=LESSONS, lessons=["00_welcome"]) == [path]
    path.write_text(path.read_text().replace("Welcome", "Hello"))
    with pytest.raises(ExportConflictError, match="differs from the export.*--force"):
        export_nbgrader(tmp_path, lessons_dir=LESSONS, lessons=["0"])
    assert "Hello" in path.read_text()
    export_nbgrader(tmp_path, lessons_dir=LESSONS, lessons=["0"], force=True)
    assert "Hello" not in path.read_text()
    assert config.read_text() == "# the teacher's own\n"
    with pytest.raises(ExportOptionError, match="no lesson '42'"):
        export_nbgrader(tmp_path, lessons_dir=LESSONS, lessons=["42"])
    with pytest.raises(ExportOptionError, match="'04.cce', which is not an exercise"):
        export_nbgrader(tmp_path, lessons_dir=LESSONS, lessons=["0"], points_for={"04.cce": 2})


def test_export_needs_the_check_call_of_each_exercise(tmp_path):
    meta = {
        "id": "00_x",
        "number": 0,
        "title": "X",
        "minutes": 5,
        "objectives": ["x"],
        "exercises": [{"id": "00.hounsfield", "title": "HU"}],
    }
    folder = tmp_path / "lessons"
    folder.mkdir()
    cell = "### BEGIN SOLUTION 00.hounsfield\nhu = raw * 1.0\n### END SOLUTION\nprint(hu)\n"
    (folder / "00_x.ipynb").write_text(json.dumps(_notebook(meta, [("code", cell)])))
    with pytest.raises(LessonMetadataError, match=r"has no check\('00.hounsfield', answer\)"):
        export_nbgrader(tmp_path / "out", lessons_dir=folder)
    # With it, the id after BEGIN SOLUTION is dropped: nbgrader's marker is the bare one.
    cell += 'check("00.hounsfield", hu)\n'
    (folder / "00_x.ipynb").write_text(json.dumps(_notebook(meta, [("code", cell)])))
    [path] = export_nbgrader(tmp_path / "out", lessons_dir=folder)
    answer = json.loads(path.read_text())["cells"][1]["source"]
    assert answer == "### BEGIN SOLUTION\nhu = raw * 1.0\n### END SOLUTION\nprint(hu)"


def test_cli_nbgrader_export(tmp_path, capsys):
    assert (
        main(
            [
                "class",
                "nbgrader",
                str(tmp_path),
                "--from",
                str(LESSONS),
                "--lesson",
                "0",
                "--points",
                "2",
                "--points",
                "00.hounsfield=3",
            ]
        )
        == 0
    )
    nb = json.loads((tmp_path / "source" / "00_welcome" / "00_welcome.ipynb").read_text())
    points = {
        meta["grade_id"]: meta["points"] for _, meta in _nbgrader_cells(nb) if meta.get("grade")
    }
    assert points == {"test_00_hounsfield": 3, "test_00_lung_window": 2}
    assert "nbgrader generate_assignment 00_welcome" in capsys.readouterr().out
    assert main(["class", "nbgrader", str(tmp_path), "--points", "x=1"]) == 2
    assert "--points 'x=1': expected a number > 0" in capsys.readouterr().err


# --------------------------------------------------------------------------- nbgrader itself


def _mini_lesson_04(folder: Path) -> None:
    """04_mini: lesson 04's own cce and stable_bce exercise cells after a NumPy setup
    (the real lesson also imports TensorFlow and trains, which the round trip does not need)."""
    source = json.loads((LESSONS / "04_cross_entropy.ipynb").read_text(encoding="utf-8"))
    cells = [("code", "import numpy as np\nfrom medlab.course import check")]
    for cell in source["cells"]:
        text = "".join(cell["source"])
        if 'check("04.cce"' in text or 'check("04.stable_bce"' in text:
            cells.append(("code", text))
    assert len(cells) == 3
    meta = {
        "id": "04_mini",
        "number": 4,
        "title": "Cross-entropy (two exercises)",
        "minutes": 5,
        "objectives": ["x"],
        "exercises": [
            {"id": "04.cce", "title": "CCE"},
            {"id": "04.stable_bce", "title": "Stable BCE"},
        ],
    }
    (folder / "04_mini.ipynb").write_text(json.dumps(_notebook(meta, cells)))


def _submit(course_dir: Path, assignment: str, student: str, answers: dict[str, str]) -> None:
    """Copy the released notebook, its answer cells filled with ``answers`` (by exercise)."""
    nb = json.loads((course_dir / "release" / assignment / f"{assignment}.ipynb").read_text())
    for cell in nb["cells"]:
        grade_id = cell["metadata"].get("nbgrader", {}).get("grade_id", "")
        if cell["metadata"].get("nbgrader", {}).get("solution"):
            assert "".join(cell["source"]).endswith("raise NotImplementedError()")
            exercise_id = grade_id[len("answer_") :].replace("_", ".", 1)
            cell["source"] = answers[exercise_id]
    target = course_dir / "submitted" / student / assignment / f"{assignment}.ipynb"
    target.parent.mkdir(parents=True)
    target.write_text(json.dumps(nb))


@pytest.mark.slow
def test_nbgrader_round_trip_full_marks_for_the_reference_partial_for_wrong(tmp_path):
    pytest.importorskip("nbgrader")
    from nbgrader.api import Gradebook

    lessons = tmp_path / "lessons"
    lessons.mkdir()
    shutil.copy(LESSONS / "00_welcome.ipynb", lessons)
    _mini_lesson_04(lessons)
    course_dir = tmp_path / "course"
    export_nbgrader(course_dir, lessons_dir=lessons, points_for={"04.cce": 2})
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "MEDLAB_FAST": "1",
        "MEDLAB_PROGRESS_DIR": str(tmp_path / "progress"),
        "JUPYTER_CONFIG_DIR": str(tmp_path / "jupyter_config"),
        "MPLBACKEND": "Agg",
    }

    def nbgrader(*args: str) -> None:
        run = subprocess.run(
            [sys.executable, "-m", "nbgrader", *args],
            cwd=course_dir,
            env=env,
            capture_output=True,
            text=True,
            timeout=240,
        )
        assert run.returncode == 0, run.stdout + run.stderr

    for assignment in ("00_welcome", "04_mini"):
        nbgrader("generate_assignment", assignment)
    released = (course_dir / "release" / "00_welcome" / "00_welcome.ipynb").read_text()
    assert get("00.hounsfield").solution not in released  # the learner gets no solution

    ids = {
        "00_welcome": ["00.hounsfield", "00.lung_window"],
        "04_mini": ["04.cce", "04.stable_bce"],
    }
    wrong = {
        "00.hounsfield": "hu = raw.astype(float)  # forgot the intercept",
        "00.lung_window": 'lung_view = window(ct.array, *WINDOWS["bone"])',
        "04.cce": (
            "def cce(y_true, y_pred):  # hard-codes K = 3\n"
            "    return -np.mean(sum(y_true[:, k] * np.log(y_pred[:, k]) "
            "for k in range(3)))"
        ),
        "04.stable_bce": (
            "def bce_from_logits(y, z):  # overflows for large |z|\n"
            "    s = 1 / (1 + np.exp(-z))\n"
            "    return np.mean(-(y * np.log(s) + (1 - y) * np.log(1 - s)))"
        ),
    }
    for assignment, exercise_ids in ids.items():
        _submit(course_dir, assignment, "reference", {e: get(e).solution for e in exercise_ids})
        _submit(course_dir, assignment, "wrong", {e: wrong[e] for e in exercise_ids})
        nbgrader("autograde", assignment)
    nbgrader("generate_feedback", "00_welcome", "--student", "wrong")

    with Gradebook(f"sqlite:///{course_dir / 'gradebook.db'}") as gradebook:

        def scores(assignment: str, student: str) -> dict[str, tuple[float, float]]:
            notebook = gradebook.find_submission_notebook(assignment, assignment, student)
            return {g.name: (g.score, g.max_score) for g in notebook.grades}

        assert scores("00_welcome", "reference") == {
            "test_00_hounsfield": (1.0, 1.0),
            "test_00_lung_window": (1.0, 1.0),
        }
        assert scores("04_mini", "reference") == {
            "test_04_cce": (2.0, 2.0),
            "test_04_stable_bce": (1.0, 1.0),
        }
        assert scores("00_welcome", "wrong") == {
            "test_00_hounsfield": (0.0, 1.0),
            "test_00_lung_window": (0.0, 1.0),
        }
        # Each of these checkers has two parts; the wrong answers pass the first only.
        assert scores("04_mini", "wrong") == {
            "test_04_cce": (1.0, 2.0),
            "test_04_stable_bce": (0.5, 1.0),
        }
        assert gradebook.find_submission("04_mini", "reference").score == 3.0

    graded = (course_dir / "autograded" / "wrong" / "04_mini" / "04_mini.ipynb").read_text()
    assert "the loss is inf or NaN for logits like ±1000" in graded
    assert "Score: 1 of 2 points (1 of 2 parts of the check right" in graded
    feedback = (course_dir / "feedback" / "wrong" / "00_welcome" / "00_welcome.html").read_text()
    assert "it looks like you forgot to add RescaleIntercept" in feedback
    assert "this is the bone window" in feedback
