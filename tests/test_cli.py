"""The ``medlab`` command: parsing (JupyterLab options pass through ``medlab lab``), datasets, dev."""

from __future__ import annotations

from pathlib import Path

import pytest

import medlab.app
from medlab import cli


@pytest.fixture
def run_lab_calls(monkeypatch):
    """Replace the JupyterLab launcher; each ``medlab lab`` records its arguments."""
    calls = []

    def fake_run_lab(workspace, open_browser, lab_args):
        calls.append({"workspace": workspace, "open_browser": open_browser, "lab_args": lab_args})
        return 0

    monkeypatch.setattr(medlab.app, "run_lab", fake_run_lab)
    return calls


@pytest.mark.parametrize(
    ("argv", "workspace", "open_browser", "lab_args"),
    [
        (["lab"], None, True, []),
        (["lab", "--port", "8911"], None, True, ["--port", "8911"]),
        (
            ["lab", "--ip", "0.0.0.0", "--workspace", "W", "--port=8911", "--no-browser"],
            Path("W"),
            False,
            ["--ip", "0.0.0.0", "--port=8911"],
        ),
        (
            ["lab", "--ServerApp.token=abc", "--LabApp.news_url=None"],
            None,
            True,
            ["--ServerApp.token=abc", "--LabApp.news_url=None"],
        ),
        # after `--` everything is JupyterLab's, even names MedLab also uses
        (
            ["lab", "--no-browser", "--", "--workspace", "x", "--help"],
            None,
            False,
            ["--workspace", "x", "--help"],
        ),
        # no abbreviations: `--work` is not taken for MedLab's `--workspace`
        (["lab", "--work", "x"], None, True, ["--work", "x"]),
    ],
)
def test_lab_passes_jupyterlab_options_through_in_order(
    run_lab_calls, argv, workspace, open_browser, lab_args
):
    assert cli.main(argv) == 0
    assert run_lab_calls == [
        {"workspace": workspace, "open_browser": open_browser, "lab_args": lab_args}
    ]


def test_lab_port_reaches_the_jupyterlab_command_line(monkeypatch, tmp_path, capsys):
    (tmp_path / "no_lessons").mkdir()
    monkeypatch.setenv("MEDLAB_LESSONS_DIR", str(tmp_path / "no_lessons"))
    monkeypatch.setenv("MEDLAB_WORKSPACE", str(tmp_path / "ws"))
    calls = []
    monkeypatch.setattr(
        medlab.app.subprocess, "call", lambda cmd, **kwargs: calls.append((cmd, kwargs)) or 0
    )
    assert cli.main(["lab", "--port", "8911", "--no-browser"]) == 0
    [(cmd, kwargs)] = calls
    assert cmd[-2:] == ["--port", "8911"]
    assert f"--ServerApp.root_dir={tmp_path / 'ws'}" in cmd and "--no-browser" in cmd
    assert kwargs["cwd"] == tmp_path / "ws"
    assert f"MedLab workspace: {tmp_path / 'ws'}" in capsys.readouterr().out


def test_lab_help_says_other_options_go_to_jupyterlab(capsys):
    with pytest.raises(SystemExit) as info:
        cli.main(["lab", "--help"])
    assert info.value.code == 0
    text = " ".join(capsys.readouterr().out.split())
    assert "[JUPYTERLAB OPTIONS ...]" in text
    assert "Every other option is passed to JupyterLab unchanged" in text
    assert "medlab lab --port 8911" in text


@pytest.mark.parametrize(
    "argv",
    [
        ["env", "--port", "1"],
        ["datasets", "list", "--port=1"],
        ["lessons", "build-learner", "out", "--port=1"],
    ],
)
def test_other_commands_refuse_unknown_options(argv, capsys):
    with pytest.raises(SystemExit) as info:
        cli.main(argv)
    assert info.value.code == 2
    assert "unrecognized arguments:" in capsys.readouterr().err


def test_no_command_prints_the_commands(capsys):
    assert cli.main([]) == 0
    out = capsys.readouterr().out
    for command in ("lab", "lessons", "datasets", "env", "dev"):
        assert f"    {command} " in out


def test_dev_link_extension_links_or_says_how_to_build(tmp_path, capsys):
    built = Path(medlab.app.__file__).parent / "labextension" / "package.json"
    status = cli.main(["dev", "link-extension", "--prefix", str(tmp_path)])
    link = tmp_path / "share/jupyter/labextensions/@medlab/labextension"
    if built.is_file():
        assert status == 0
        assert capsys.readouterr().out.strip() == f"Linked {link}"
        assert (link / "package.json").read_bytes() == built.read_bytes()
    else:
        assert status == 2
        assert "not built" in capsys.readouterr().err
        assert not link.exists()


def test_datasets_list_and_info(capsys):
    assert cli.main(["datasets", "list"]) == 0
    out = capsys.readouterr().out
    assert "mni152" in out and "pneumoniamnist" in out and "SYNTHETIC" in out
    assert cli.main(["datasets", "info", "pydicom_ct"]) == 0
    assert "licence" in capsys.readouterr().out


def test_unknown_dataset_is_a_clear_error(capsys):
    assert cli.main(["datasets", "info", "pneumonia"]) == 2
    assert "pneumoniamnist" in capsys.readouterr().err


def test_a_wrong_dataset_option_is_a_usage_error_not_a_traceback(capsys, monkeypatch, tmp_path):
    monkeypatch.setenv("MEDLAB_DATA_DIR", str(tmp_path))
    assert cli.main(["datasets", "fetch", "pneumoniamnist", "--size", "7"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("medlab: error: ") and "size 7" in err
    assert list(tmp_path.rglob("*")) == []  # refused before anything was fetched
