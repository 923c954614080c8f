"""The class report: the progress of every learner of a class, for the teacher.

``medlab class report`` reads the learners' progress files (see
:mod:`medlab.course.progress`), without taking their locks (every write replaces a file
whole, so a plain read is safe while learners work), and writes:

- ``class_report.csv``: one row per learner and exercise: passed, first pass time,
  failed checks, the feedback of the last failed check;
- ``class_report.html``: a small self-contained page (no script, no network): a chart
  per lesson of the share of learners who passed each exercise, where the class is
  stuck (the exercises with the most failed checks) and lesson completion times (from
  a learner's first attempt at a lesson's exercises to the last of them passed).

A learner is named by the folder that holds the file (a JupyterHub user's home, or
``<folder>/<name>/progress.json``) or by a file's own name (``alice.json``); a ``user``
stored in the file is shown beside it, never instead of it. A file that cannot be read,
or is not a progress file, is named in :attr:`ClassReport.warnings` and the report goes
on with the others (and with the entries of a damaged file that can still be used). A
file reached through a link that leads out of its learner's folder is not read (the
teacher may run the report as root: one learner's link must not show another's file).
"""

from __future__ import annotations

import csv
import datetime as _dt
import glob
import html
import io
import statistics
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from medlab._files import atomic_write
from medlab.course.catalog import Lesson
from medlab.course.progress import Attempts, ProgressState, read_progress_file

__all__ = [
    "HOME_PROGRESS",
    "ClassReport",
    "LearnerProgress",
    "LessonTimes",
    "StuckExercise",
    "find_progress_files",
    "format_duration",
    "read_class",
    "report_csv",
    "report_html",
    "write_report",
]

#: Where a JupyterHub user's progress is, under their home (the default Jupyter data dir).
HOME_PROGRESS = Path(".local/share/jupyter/medlab/progress.json")
CSV_NAME, HTML_NAME = "class_report.csv", "class_report.html"
CSV_COLUMNS = (
    "learner",
    "lesson",
    "exercise",
    "title",
    "passed",
    "first_pass",
    "failed_attempts",
    "first_failed",
    "last_failed",
    "last_feedback",
    "file",
)
_TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
_GLOB_CHARS = frozenset("*?[")


@dataclass(frozen=True)
class LearnerProgress:
    """One learner's progress file, read.

    Attributes
    ----------
    learner : str
        How the report names the learner (unique in the report).
    path : Path
        The file.
    state : ProgressState
        What it holds (usable entries only, for a damaged file).
    """

    learner: str
    path: Path
    state: ProgressState


@dataclass(frozen=True)
class StuckExercise:
    """An exercise where the class fails: the stuck list's row.

    Attributes
    ----------
    exercise_id, title : str
        The exercise.
    failed : int
        Failed checks, all learners together.
    learners_failed : int
        Learners with at least one failed check.
    not_passed : int
        Of those, the learners who have not passed it yet.
    common_feedback : str
        The most frequent first line of the learners' last feedback ("" if none).
    """

    exercise_id: str
    title: str
    failed: int
    learners_failed: int
    not_passed: int
    common_feedback: str


@dataclass(frozen=True)
class LessonTimes:
    """How long a lesson's exercises took the learners who passed them all.

    Attributes
    ----------
    lesson : Lesson
        The lesson.
    completed : int
        Learners who passed every exercise of the lesson.
    seconds : tuple of float
        Each one's time from the first attempt at one of the lesson's exercises (a
        failed check or a pass) to the last exercise passed, in seconds.
    """

    lesson: Lesson
    completed: int
    seconds: tuple[float, ...]

    @property
    def median_s(self) -> float | None:
        """The median time in seconds (None when nobody completed the lesson)."""
        return statistics.median(self.seconds) if self.seconds else None


@dataclass
class ClassReport:
    """The progress of a class.

    Attributes
    ----------
    learners : list of LearnerProgress
        Every learner whose file could be used, in the order read.
    lessons : list of Lesson
        The course's lessons (their exercises are the report's columns).
    warnings : list of str
        One line per file that could not be read or used as it is, naming the file.
    """

    learners: list[LearnerProgress]
    lessons: list[Lesson]
    warnings: list[str] = field(default_factory=list)

    def exercise_ids(self) -> list[str]:
        """The course's exercises in order, then ids found only in the files."""
        known = [e.id for lesson in self.lessons for e in lesson.exercises]
        found = {key for lp in self.learners for key in (*lp.state.passed, *lp.state.attempts)}
        return known + sorted(found - set(known))

    def _titles(self) -> dict[str, tuple[str, str]]:
        return {e.id: (lesson.id, e.title) for lesson in self.lessons for e in lesson.exercises}

    def rows(self) -> list[dict[str, str | int]]:
        """One row per learner and exercise (the CSV's content, ``CSV_COLUMNS`` keys)."""
        titles = self._titles()
        rows = []
        for lp in self.learners:
            for exercise_id in self.exercise_ids():
                lesson_id, title = titles.get(exercise_id, ("", "(not in this course)"))
                tries = lp.state.attempts.get(exercise_id, Attempts(0))
                passed = lp.state.passed.get(exercise_id)
                rows.append(
                    {
                        "learner": lp.learner,
                        "lesson": lesson_id,
                        "exercise": exercise_id,
                        "title": title,
                        "passed": "yes" if passed else "no",
                        "first_pass": passed or "",
                        "failed_attempts": tries.failed,
                        "first_failed": tries.first_failed or "",
                        "last_failed": tries.last_failed or "",
                        "last_feedback": " | ".join(tries.last_feedback),
                        "file": str(lp.path),
                    }
                )
        return rows

    def stuck(self, top: int = 10) -> list[StuckExercise]:
        """The exercises with the most failed checks (at most ``top``), most first."""
        titles = self._titles()
        found = []
        for exercise_id in self.exercise_ids():
            tries = [
                (lp, lp.state.attempts[exercise_id])
                for lp in self.learners
                if exercise_id in lp.state.attempts and lp.state.attempts[exercise_id].failed > 0
            ]
            if not tries:
                continue
            lines = Counter(a.last_feedback[0] for _, a in tries if a.last_feedback)
            found.append(
                StuckExercise(
                    exercise_id,
                    titles.get(exercise_id, ("", exercise_id))[1],
                    failed=sum(a.failed for _, a in tries),
                    learners_failed=len(tries),
                    not_passed=sum(exercise_id not in lp.state.passed for lp, _ in tries),
                    common_feedback=lines.most_common(1)[0][0] if lines else "",
                )
            )
        found.sort(key=lambda s: (-s.failed, -s.not_passed, s.exercise_id))
        return found[:top]

    def lesson_times(self) -> list[LessonTimes]:
        """Completion times of every lesson with exercises."""
        times = []
        for lesson in self.lessons:
            ids = [e.id for e in lesson.exercises]
            if not ids:
                continue
            seconds = []
            completed = 0
            for lp in self.learners:
                if not all(i in lp.state.passed for i in ids):
                    continue
                completed += 1
                took = _completion_seconds(lp.state, ids)
                if took is not None:
                    seconds.append(took)
            times.append(LessonTimes(lesson, completed, tuple(seconds)))
        return times


def _parse_time(text: str | None) -> _dt.datetime | None:
    if not text:
        return None
    try:
        return _dt.datetime.strptime(text, _TIME_FORMAT)
    except ValueError:
        return None


def _completion_seconds(state: ProgressState, ids: Sequence[str]) -> float | None:
    """From the first attempt at one of ``ids`` to the last of them passed (all passed)."""
    passes = [_parse_time(state.passed[i]) for i in ids]
    firsts = [_parse_time(state.attempts[i].first_failed) for i in ids if i in state.attempts]
    if any(p is None for p in passes):
        return None
    start = min([p for p in passes if p] + [f for f in firsts if f is not None])
    return (max(p for p in passes if p) - start).total_seconds()


# --------------------------------------------------------------------------- finding files


def _learner_folder(path: Path) -> Path:
    """The folder a file belongs to: a home for the JupyterHub layout, else its folder."""
    parts, tail = path.parts, HOME_PROGRESS.parts
    if len(parts) > len(tail) and parts[-len(tail) :] == tail:
        return Path(*parts[: -len(tail)])
    return path.parent


def _learner_name(path: Path) -> str:
    """The learner a file belongs to: a home's name, the folder's name, or the file's."""
    folder = _learner_folder(path)
    if folder != path.parent or (path.name == "progress.json" and folder.name):
        return folder.name
    return path.stem


def _outside_its_folder(path: Path) -> Path | None:
    """Where ``path`` really leads when a link takes it out of its learner's folder.

    The report may run with every learner's rights (root on a JupyterHub): a learner's
    link to another learner's file, or to any other file, is not read.
    """
    try:
        real, folder = path.resolve(), _learner_folder(path).resolve()
    except (OSError, RuntimeError):  # a link loop
        return path
    return None if real.is_relative_to(folder) else real


def find_progress_files(paths: Iterable[str | Path]) -> tuple[list[Path], list[str]]:
    """The progress files that ``paths`` name, and a warning per path that has none.

    Each path is a progress file (any name: ``alice.json``), a folder, or a glob
    pattern (``"/home/*/.local/share/jupyter/medlab/progress.json"``). In a folder:
    its own ``progress.json``, its sub-folders' (``<folder>/<name>/progress.json``) and
    JupyterHub homes' (``<folder>/<user>/.local/share/jupyter/medlab/progress.json``).

    Raises
    ------
    FileNotFoundError
        If a path neither exists nor, as a pattern, matches anything.
    """
    found: list[Path] = []
    warnings = []
    for given in paths:
        path = Path(given).expanduser()
        if path.is_dir():
            candidates = [
                path / "progress.json",
                *sorted(path.glob("*/progress.json")),
                *sorted(path.glob(f"*/{HOME_PROGRESS}")),
            ]
            matches = [p for p in candidates if p.exists() or p.is_symlink()]
            if not matches:
                warnings.append(
                    f"{str(path)!r}: no progress files in this folder (looked for "
                    f"progress.json, */progress.json and */{HOME_PROGRESS})"
                )
        elif path.exists() or path.is_symlink():
            matches = [path]
        elif _GLOB_CHARS & set(str(given)):
            matches = [Path(p) for p in sorted(glob.glob(str(path), recursive=True))]
            if not matches:
                warnings.append(f"{str(given)!r}: the pattern matches no file")
        else:
            raise FileNotFoundError(
                f"{str(path)!r} does not exist (expected a progress file, "
                "a folder of them or a glob pattern)"
            )
        found.extend(p for p in matches if p not in found)
    return found, warnings


def read_class(files: Iterable[str | Path], lessons: Sequence[Lesson]) -> ClassReport:
    """Read the learners' progress ``files`` into a report; never stops at a bad file.

    Parameters
    ----------
    files : iterable of path
        Progress files (:func:`find_progress_files` finds them).
    lessons : sequence of Lesson
        The course (:func:`medlab.course.load_catalog`).
    """
    report = ClassReport([], list(lessons))
    names: Counter[str] = Counter()
    for given in files:
        path = Path(given)
        elsewhere = _outside_its_folder(path)
        if elsewhere is not None:
            report.warnings.append(
                f"{str(path)!r}: a link leads out of the learner's folder "
                f"(to {str(elsewhere)!r}); not read, left out of the report"
            )
            continue
        state = read_progress_file(path)
        usable = bool(state.passed or state.attempts)
        if state.problem is not None:
            what = "its usable entries are in the report" if usable else "left out of the report"
            report.warnings.append(f"{str(path)!r}: {state.problem}; {what}")
            if not usable:
                continue
        name = _learner_name(path)
        if state.user and state.user != name:
            name = f"{name} ({state.user})"
        names[name] += 1
        if names[name] > 1:
            name = f"{name} [{names[name]}]"
        report.learners.append(LearnerProgress(name, path, state))
    return report


# --------------------------------------------------------------------------- writing


def _csv_cell(value: str | int) -> str | int:
    """A cell safe to open in a spreadsheet.

    Text that a spreadsheet would run as a formula (``=``, ``+``, ``-``, ``@`` first) gets a
    leading apostrophe.
    """
    if isinstance(value, str):
        value = " ".join(value.splitlines())
        if value[:1] in ("=", "+", "-", "@", "\t", "\r"):
            return "'" + value
    return value


def report_csv(report: ClassReport) -> str:
    """The CSV text of ``report``."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in report.rows():
        writer.writerow({key: _csv_cell(value) for key, value in row.items()})
    return out.getvalue()


def format_duration(seconds: float | None) -> str:
    """``"45 s"``, ``"12 min"``, ``"1 h 05 min"``, ``"2 d 3 h"``; ``"—"`` for None."""
    if seconds is None:
        return "—"
    s = round(seconds)
    if s < 60:
        return f"{s} s"
    if s < 3600:
        return f"{s // 60} min"
    if s < 86400:
        return f"{s // 3600} h {s % 3600 // 60:02d} min"
    return f"{s // 86400} d {s % 86400 // 3600} h"


def _lesson_chart(report: ClassReport, lesson: Lesson) -> str:
    """An inline SVG: one bar per exercise, the share of learners who passed it."""
    n = len(report.learners)
    label_w, bar_w, row_h = 190, 260, 22
    height = row_h * len(lesson.exercises) + 8
    rows = []
    for i, exercise in enumerate(lesson.exercises):
        passed = sum(exercise.id in lp.state.passed for lp in report.learners)
        share = passed / n if n else 0.0
        y = 4 + i * row_h
        rows.append(
            f'<text x="{label_w - 6}" y="{y + 15}" text-anchor="end">'
            f"{html.escape(exercise.id)}</text>"
            f'<rect x="{label_w}" y="{y + 3}" width="{bar_w}" height="{row_h - 6}" '
            'fill="#e8e8e8"/>'
            f'<rect x="{label_w}" y="{y + 3}" width="{share * bar_w:.1f}" height="{row_h - 6}" '
            f'fill="#2e7d32"><title>{html.escape(exercise.title)}</title></rect>'
            f'<text x="{label_w + bar_w + 6}" y="{y + 15}">{passed}/{n} '
            f"({share:.0%})</text>"
        )
    title = html.escape(f"{lesson.id}: share of learners who passed each exercise")
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{label_w + bar_w + 90}" '
        f'height="{height}" font-family="sans-serif" font-size="12">'
        f"<title>{title}</title>{''.join(rows)}</svg>"
    )


_STYLE = """
body { font-family: sans-serif; margin: 1.5em; color: #222; }
table { border-collapse: collapse; margin: 0.5em 0 1.5em; }
th, td { border: 1px solid #ccc; padding: 3px 7px; text-align: left; font-size: 13px; }
th { background: #f3f3f3; }
td.ok { background: #e8f5e9; } td.ko { background: #ffebee; }
.warn { color: #b71c1c; } h2 { margin-top: 1.5em; }
"""


def report_html(report: ClassReport, *, title: str = "MedLab class report", top: int = 10) -> str:
    """A self-contained HTML page of ``report`` (inline SVG charts, no script, no network)."""
    e = html.escape
    n = len(report.learners)
    out = [
        f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>{e(title)}</title><style>{_STYLE}</style></head><body>",
        f"<h1>{e(title)}</h1>",
        f"<p>{n} learner{'s' * (n != 1)}; generated "
        f"{_dt.datetime.now(_dt.timezone.utc).strftime(_TIME_FORMAT)} (UTC).</p>",
    ]
    if report.warnings:
        out.append("<h2>Files that could not be used as they are</h2><ul class='warn'>")
        out += [f"<li>{e(w)}</li>" for w in report.warnings]
        out.append("</ul>")
    out.append("<h2>Passed, per lesson</h2>")
    for lesson in report.lessons:
        if lesson.exercises:
            out.append(f"<h3>{e(lesson.id)} · {e(lesson.title)}</h3>")
            out.append(_lesson_chart(report, lesson))
    out.append("<h2>Where the class is stuck</h2>")
    stuck = report.stuck(top)
    if stuck:
        out.append(
            "<table><tr><th>exercise</th><th>failed checks</th><th>learners who "
            "failed</th><th>of them not passed yet</th><th>most frequent feedback"
            "</th></tr>"
        )
        out += [
            f"<tr><td>{e(s.exercise_id)} {e(s.title)}</td><td>{s.failed}</td>"
            f"<td>{s.learners_failed}</td><td>{s.not_passed}</td>"
            f"<td>{e(s.common_feedback)}</td></tr>"
            for s in stuck
        ]
        out.append("</table>")
    else:
        out.append("<p>No failed checks recorded.</p>")
    out.append(
        "<h2>Lesson completion times</h2><p>From a learner's first attempt at one of "
        "the lesson's exercises to the last of them passed.</p><table><tr><th>lesson"
        "</th><th>completed</th><th>median</th><th>fastest</th><th>slowest</th></tr>"
    )
    for t in report.lesson_times():
        fastest = min(t.seconds) if t.seconds else None
        slowest = max(t.seconds) if t.seconds else None
        out.append(
            f"<tr><td>{e(t.lesson.id)}</td><td>{t.completed}/{n}</td>"
            f"<td>{format_duration(t.median_s)}</td><td>{format_duration(fastest)}</td>"
            f"<td>{format_duration(slowest)}</td></tr>"
        )
    out.append("</table>")
    out.append(_matrix(report))
    out.append("</body></html>\n")
    return "".join(out)


def _matrix(report: ClassReport) -> str:
    """Who passed which exercise (✔, the time on hover) or failed it how often (✘n)."""
    e = html.escape
    ids = report.exercise_ids()
    head = "".join(f"<th>{e(i)}</th>" for i in ids)
    rows = []
    for lp in report.learners:
        cells = []
        for i in ids:
            tries = lp.state.attempts.get(i, Attempts(0))
            if i in lp.state.passed:
                extra = f", after {tries.failed} failed" if tries.failed else ""
                cells.append(f"<td class='ok' title='passed {e(lp.state.passed[i])}{extra}'>✔</td>")
            elif tries.failed:
                cells.append(
                    f"<td class='ko' title='{e(' | '.join(tries.last_feedback))}'>"
                    f"✘{tries.failed}</td>"
                )
            else:
                cells.append("<td></td>")
        rows.append(f"<tr><th>{e(lp.learner)}</th>{''.join(cells)}</tr>")
    return (
        "<h2>Who passed what</h2><p>✔ passed (time on hover), ✘n failed n times, not "
        f"passed yet (last feedback on hover).</p><table><tr><th>learner</th>{head}</tr>"
        f"{''.join(rows)}</table>"
    )


def write_report(report: ClassReport, out_dir: str | Path, *, top: int = 10) -> tuple[Path, Path]:
    """Write ``class_report.csv`` and ``class_report.html`` to ``out_dir``; return them.

    Both are readable by their owner only (``0600``): they hold the learners' records.
    """
    out = Path(out_dir)
    csv_path, html_path = out / CSV_NAME, out / HTML_NAME
    atomic_write(csv_path, report_csv(report))
    atomic_write(html_path, report_html(report, top=top))
    return csv_path, html_path
