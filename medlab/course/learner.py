"""Learner versions of lesson notebooks: solution regions replaced by placeholders.

See :mod:`medlab.course` for the marker syntax and the placeholder design.
"""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path

from medlab.course.catalog import LessonMetadataError

__all__ = ["learner_json", "make_learner_notebook", "solution_regions", "write_learner_versions"]

_BEGIN = re.compile(r"^(?P<indent>[ \t]*)### BEGIN SOLUTION(?:[ \t]+(?P<id>\S+))?[ \t]*$")
_END = re.compile(r"^[ \t]*### END SOLUTION[ \t]*$")
_CHECK_ID = re.compile(r"""\bcheck\(\s*["'](?P<id>\d{2}\.[a-z0-9_]+)["']""")


def _source(cell: dict) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else str(src)


def _split_cell(text: str, where: str) -> list[tuple[str, str, str | None, list[str]]]:
    """Split a cell into ('code', line) and ('region', indent, id, lines) parts."""
    parts: list = []
    region: tuple[str, str | None, list[str]] | None = None
    for line in text.splitlines(keepends=True):
        stripped = line.rstrip("\r\n")
        begin = _BEGIN.match(stripped)
        if begin:
            if region is not None:
                raise LessonMetadataError(where, "nested '### BEGIN SOLUTION' markers")
            region = (begin["indent"], begin["id"], [])
        elif _END.match(stripped):
            if region is None:
                raise LessonMetadataError(where, "'### END SOLUTION' without a BEGIN")
            parts.append(("region", *region))
            region = None
        elif region is not None:
            region[2].append(line)
        else:
            parts.append(("code", line))
    if region is not None:
        raise LessonMetadataError(where, "'### BEGIN SOLUTION' without an END")
    return parts


def _region_id(given: str | None, cell_text: str, where: str) -> str:
    if given:
        return given
    ids = set(_CHECK_ID.findall(cell_text))
    if len(ids) != 1:
        raise LessonMetadataError(
            where,
            "a solution region needs its exercise id: write '### BEGIN SOLUTION <id>' or "
            f'call check("<id>", ...) in the same cell (found {sorted(ids) or "none"})',
        )
    return ids.pop()


def solution_regions(nb: dict, name: str = "notebook") -> list[tuple[str, str]]:
    """``(exercise_id, code)`` for every solution region, in order, code dedented."""
    found = []
    for index, cell in enumerate(nb.get("cells", [])):
        if cell.get("cell_type") != "code":
            continue
        text = _source(cell)
        where = f"{name} cell {index}"
        for part in _split_cell(text, where):
            if part[0] == "region":
                _, indent, given, lines = part
                code = "".join(
                    line[len(indent) :] if line.startswith(indent) else line for line in lines
                )
                found.append((_region_id(given, text, where), code))
    return found


def make_learner_notebook(nb: dict, name: str = "notebook") -> dict:
    """A learner copy of the source notebook ``nb`` (a notebook JSON dict).

    Each top-level solution region becomes ``# YOUR CODE HERE`` and a
    ``fallback("<id>")`` call; a region indented inside a function body becomes
    ``raise NotImplementedError``. Cells that held a region lose their outputs and are
    tagged ``nbval-ignore-output`` (the other cells keep theirs, so the notebook tests can
    check that the learner version reproduces them). The
    notebook metadata gains ``"medlab": {..., "variant": "learner"}``.

    Raises
    ------
    LessonMetadataError
        For unbalanced markers or a region whose exercise id cannot be found.
    """
    out = copy.deepcopy(nb)
    for index, cell in enumerate(out.get("cells", [])):
        if cell.get("cell_type") != "code":
            continue
        text = _source(cell)
        if "### BEGIN SOLUTION" not in text and "### END SOLUTION" not in text:
            continue
        where = f"{name} cell {index}"
        lines: list[str] = []
        for part in _split_cell(text, where):
            if part[0] == "code":
                lines.append(part[1])
                continue
            _, indent, given, _body = part
            exercise_id = _region_id(given, text, where)
            if indent:
                lines.append(f"{indent}# YOUR CODE HERE\n")
                lines.append(
                    f'{indent}raise NotImplementedError("{exercise_id}: write your code here")\n'
                )
            else:
                lines.append("# YOUR CODE HERE: replace the next line with your own code.\n")
                lines.append(f'from medlab.course import fallback; fallback("{exercise_id}")\n')
        cell["source"] = "".join(lines).splitlines(keepends=True)
        cell["outputs"] = []
        cell["execution_count"] = None
        # Its output now differs from the source's by design ("not attempted yet"); every
        # other cell keeps the source's outputs, which the learner version must reproduce.
        tags = cell.setdefault("metadata", {}).setdefault("tags", [])
        if "nbval-ignore-output" not in tags:
            tags.append("nbval-ignore-output")
    meta = out.setdefault("metadata", {}).setdefault("medlab", {})
    meta["variant"] = "learner"
    return out


def learner_json(source: str | Path) -> str:
    """The learner version of the notebook file ``source``, as notebook JSON text."""
    source = Path(source)
    try:
        nb = json.loads(source.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise LessonMetadataError(source, f"cannot be read as a notebook ({exc})") from exc
    learner = make_learner_notebook(nb, source.name)
    return json.dumps(learner, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def write_learner_versions(lessons_dir: str | Path, out_dir: str | Path) -> list[Path]:
    """Write the learner version of every ``NN_topic.ipynb`` in ``lessons_dir`` to ``out_dir``.

    Returns the written paths (``medlab lessons build-learner``; CI runs the learner
    notebooks with nbval).
    """
    from medlab.course.catalog import LESSON_ID

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for source in sorted(Path(lessons_dir).glob("*.ipynb")):
        if LESSON_ID.match(source.stem):
            target = out / source.name
            target.write_text(learner_json(source), encoding="utf-8")
            written.append(target)
    return written
