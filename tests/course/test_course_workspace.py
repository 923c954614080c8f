"""The learner workspace: confined paths, fresh copies, backups, sync without overwriting."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from medlab.app import lab_command
from medlab.course.workspace import PathOutsideWorkspaceError, UnknownLessonError, Workspace


@pytest.fixture
def ws(tmp_path, lessons_dir):
    return Workspace(tmp_path / "work", lessons_dir)


@pytest.mark.parametrize(
    "bad", ["../x.ipynb", "a/../../x", "/etc/passwd", "C:\\x", "..\\x", "", "a\x00b"]
)
def test_paths_outside_the_workspace_are_refused(ws, bad):
    ws.root.mkdir()
    with pytest.raises(PathOutsideWorkspaceError):
        ws.resolve(bad)


def test_symlink_escape_is_refused(ws, tmp_path):
    ws.root.mkdir()
    outside = tmp_path / "secret.ipynb"
    outside.write_text("{}")
    (ws.root / "00_welcome.ipynb").symlink_to(outside)
    with pytest.raises(PathOutsideWorkspaceError, match="outside the workspace"):
        ws.reset("00_welcome")
    assert outside.read_text() == "{}"
    assert ws.resolve("sub/ok.ipynb") == ws.root.resolve() / "sub" / "ok.ipynb"


def test_ensure_creates_a_learner_copy_once(ws):
    path, created = ws.ensure("00_welcome")
    assert (path, created) == ("00_welcome.ipynb", True)
    nb = json.loads((ws.root / path).read_text())
    assert nb["metadata"]["medlab"]["variant"] == "learner"
    (ws.root / path).write_text("mine")
    assert ws.ensure("00_welcome") == ("00_welcome.ipynb", False)
    assert (ws.root / path).read_text() == "mine"
    with pytest.raises(UnknownLessonError):
        ws.ensure("07_unknown")


def test_reset_keeps_a_timestamped_backup_and_restores_the_lesson(ws):
    ws.ensure("00_welcome")
    fresh = (ws.root / "00_welcome.ipynb").read_text()
    (ws.root / "00_welcome.ipynb").write_text("my edits 1")
    path, backup1 = ws.reset("00_welcome")
    (ws.root / "00_welcome.ipynb").write_text("my edits 2")
    _, backup2 = ws.reset("00_welcome")
    assert (ws.root / path).read_text() == fresh
    assert backup1 != backup2  # same second: a suffix keeps both
    assert backup1.startswith("backups/00_welcome-") and backup1.endswith("Z.ipynb")
    assert (ws.root / backup1).read_text() == "my edits 1"
    assert (ws.root / backup2).read_text() == "my edits 2"


def test_reset_of_a_missing_copy_writes_a_fresh_one_without_backup(ws):
    assert ws.reset("01_images") == ("01_images.ipynb", None)
    assert (ws.root / "01_images.ipynb").is_file()


def test_sync_never_overwrites_learner_edits_but_updates_untouched_copies(ws, lessons_dir):
    assert ws.sync() == {"created": ["00_welcome.ipynb", "01_images.ipynb"],
                         "updated": [], "kept": []}
    (ws.root / "00_welcome.ipynb").write_text("my work")
    for stem in ("00_welcome", "01_images"):  # the course is updated
        source = lessons_dir / f"{stem}.ipynb"
        nb = json.loads(source.read_text())
        nb["metadata"]["medlab"]["minutes"] += 1
        source.write_text(json.dumps(nb))
    report = ws.sync()
    assert report == {"created": [], "updated": ["01_images.ipynb"], "kept": ["00_welcome.ipynb"]}
    assert (ws.root / "00_welcome.ipynb").read_text() == "my work"
    assert json.loads((ws.root / "01_images.ipynb").read_text())["metadata"]["medlab"][
        "minutes"] == 46


def test_lab_command_targets_the_workspace_and_allows_root_only_as_root(tmp_path):
    cmd = lab_command(tmp_path, open_browser=False, lab_args=["--port=9999"])
    assert f"--ServerApp.root_dir={tmp_path}" in cmd
    assert "--no-browser" in cmd and cmd[-1] == "--port=9999"
    assert ("--allow-root" in cmd) == (os.geteuid() == 0)


def test_run_lab_fills_the_workspace_then_starts_jupyterlab(tmp_path, lessons_dir, monkeypatch,
                                                             capsys):
    from medlab import app

    calls = []
    monkeypatch.setattr(app.subprocess, "call", lambda cmd, **kw: calls.append((cmd, kw)) or 0)
    monkeypatch.setattr(app, "Workspace", lambda root: Workspace(root, lessons_dir))
    assert app.run_lab(tmp_path / "ws", open_browser=True, lab_args=["--port=1"]) == 0
    assert (tmp_path / "ws" / "00_welcome.ipynb").is_file()
    [(cmd, kwargs)] = calls
    assert kwargs["cwd"] == tmp_path / "ws" and "--no-browser" not in cmd
    assert "new: 00_welcome.ipynb, 01_images.ipynb" in capsys.readouterr().out


def test_develop_links_the_built_labextension(tmp_path):
    from medlab.app import develop_labextension

    built = Path(__file__).resolve().parents[2] / "medlab" / "labextension" / "package.json"
    if not built.is_file():
        with pytest.raises(FileNotFoundError, match="not built"):
            develop_labextension(tmp_path)
        return
    link = develop_labextension(tmp_path)
    assert link == tmp_path / "share/jupyter/labextensions/@medlab/labextension"
    assert (link / "package.json").read_bytes() == built.read_bytes()
    assert develop_labextension(tmp_path) == link  # idempotent
