"""hint(), solution() and check() show their message when called, in a kernel, once.

Before: they showed only as a cell's last line, so two hints in one cell advanced the
counter but showed one (issue 12 item 7).
"""

from __future__ import annotations

import nbformat
import pytest
from nbclient import NotebookClient

from medlab.course import check, hint, solution
from medlab.course.checks import CheckResult, HintText, SolutionText


def test_in_plain_python_nothing_is_displayed_and_the_objects_print(monkeypatch, capsys):
    shown = []
    monkeypatch.setattr("IPython.display.display", lambda *a, **k: shown.append(a))
    first = hint("00.hounsfield", 1)
    text = solution("00.hounsfield")
    assert isinstance(first, HintText) and isinstance(text, SolutionText)
    assert shown == [] and capsys.readouterr().out == ""
    assert str(first).startswith("Hint 1 of ") and "RescaleSlope" in str(text)
    assert repr(first) == str(first)


def _run(cells, tmp_path, monkeypatch):
    monkeypatch.setenv("MEDLAB_PROGRESS_DIR", str(tmp_path / "progress"))
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    NotebookClient(nb, kernel_name="python3", timeout=120).execute()
    return nb


def _texts(cell):
    return [o["data"]["text/plain"] for o in cell.outputs if "data" in o]


@pytest.fixture(scope="module")
def kernel_run(tmp_path_factory):
    mp = pytest.MonkeyPatch()
    try:
        yield _run(
            [
                "import numpy as np\nfrom medlab.course import check, hint, solution",
                'hint("00.hounsfield")\nhint("00.hounsfield")\nx = 1',
                'check("00.hounsfield", np.zeros((2, 2)))',
                'result = check("00.hounsfield", np.zeros((2, 2)))\nok = bool(result)',
                "result",
                'solution("00.hounsfield")\nprint("after")',
            ],
            tmp_path_factory.mktemp("display"),
            mp,
        )
    finally:
        mp.undo()


def test_two_hints_in_one_cell_show_two_hints(kernel_run):
    texts = _texts(kernel_run.cells[1])
    assert len(texts) == 2
    assert texts[0].startswith("Hint 1 of ") and texts[1].startswith("Hint 2 of ")
    assert all(o["output_type"] == "display_data" for o in kernel_run.cells[1].outputs)
    assert all("text/html" in o["data"] for o in kernel_run.cells[1].outputs)


def test_a_check_on_the_last_line_shows_once(kernel_run):
    (text,) = _texts(kernel_run.cells[2])
    assert text.startswith("✘ 00.hounsfield not yet right")


def test_a_check_anywhere_in_a_cell_shows_and_a_later_cell_shows_it_again(kernel_run):
    (text,) = _texts(kernel_run.cells[3])  # assigned, not the last line: shown all the same
    assert text.startswith("✘ 00.hounsfield not yet right")
    assert _texts(kernel_run.cells[4]) == [text]  # asked for again in another cell


def test_a_solution_shows_before_what_follows_it(kernel_run):
    outputs = kernel_run.cells[5].outputs
    assert [o["output_type"] for o in outputs] == ["display_data", "stream"]
    assert '<details class="medlab-solution"' in outputs[0]["data"]["text/html"]
    assert outputs[1]["text"] == "after\n"


def test_results_keep_their_value_and_text(tmp_path, monkeypatch):
    monkeypatch.setenv("MEDLAB_PROGRESS_DIR", str(tmp_path))
    import numpy as np

    result = check("00.hounsfield", np.zeros((2, 2)))
    assert isinstance(result, CheckResult) and not result and result.status == "failed"
    assert str(result).startswith("✘ 00.hounsfield not yet right")
