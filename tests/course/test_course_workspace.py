"""The learner workspace: confined paths, fresh copies, backups, sync without overwriting."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from medlab.app import lab_command
from medlab.course.workspace import (
    PathOutsideWorkspaceError,
    UnknownLessonError,
    Workspace,
    WorkspaceConflictError,
)


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
    assert ws.sync() == {
        "created": ["00_welcome.ipynb", "01_images.ipynb"],
        "updated": [],
        "kept": [],
    }
    (ws.root / "00_welcome.ipynb").write_text("my work")
    for stem in ("00_welcome", "01_images"):  # the course is updated
        source = lessons_dir / f"{stem}.ipynb"
        nb = json.loads(source.read_text())
        nb["metadata"]["medlab"]["minutes"] += 1
        source.write_text(json.dumps(nb))
    report = ws.sync()
    assert report == {"created": [], "updated": ["01_images.ipynb"], "kept": ["00_welcome.ipynb"]}
    assert (ws.root / "00_welcome.ipynb").read_text() == "my work"
    assert (
        json.loads((ws.root / "01_images.ipynb").read_text())["metadata"]["medlab"]["minutes"] == 46
    )


def test_lab_command_targets_the_workspace_and_allows_root_only_as_root(tmp_path):
    cmd = lab_command(tmp_path, open_browser=False, lab_args=["--port=9999"])
    assert f"--ServerApp.root_dir={tmp_path}" in cmd
    assert "--no-browser" in cmd and cmd[-1] == "--port=9999"
    assert ("--allow-root" in cmd) == (os.geteuid() == 0)


def test_run_lab_fills_the_workspace_then_starts_jupyterlab(
    tmp_path, lessons_dir, monkeypatch, capsys
):
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


# -- issue 13: hardening ----------------------------------------------------------------


def _tree(folder: Path) -> dict[str, bytes | None]:
    """Every path under ``folder`` (links not followed) with its bytes (None for folders)."""
    return {
        str(p.relative_to(folder)): (
            None
            if p.is_dir() and not p.is_symlink()
            else os.readlink(p).encode()
            if p.is_symlink()
            else p.read_bytes()
        )
        for p in sorted(folder.rglob("*"))
    }


def test_a_medlab_folder_link_leading_outside_is_refused_before_any_write(ws, tmp_path):
    ws.root.mkdir()
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (ws.root / ".medlab").symlink_to(outside, target_is_directory=True)
    for action in (ws.ensure, ws.reset):
        with pytest.raises(PathOutsideWorkspaceError, match=r"\.medlab"):
            action("00_welcome")
    with pytest.raises(PathOutsideWorkspaceError, match=r"\.medlab"):
        ws.sync()
    assert list(outside.iterdir()) == []
    assert sorted(p.name for p in ws.root.iterdir()) == [".medlab"]


def test_a_manifest_link_is_never_read_or_written_through(ws, tmp_path):
    ws.ensure("00_welcome")
    outside = tmp_path / "outside.json"
    outside.write_text('{"keep": "me"}')
    manifest = ws.root / ".medlab" / "manifest.json"
    manifest.unlink()
    manifest.symlink_to(outside)
    with pytest.raises(PathOutsideWorkspaceError):
        ws.reset("01_images")
    assert outside.read_text() == '{"keep": "me"}'
    # a link to a file inside the workspace (here: a lesson copy) is replaced, not written
    lesson = (ws.root / "00_welcome.ipynb").read_bytes()
    manifest.unlink()
    manifest.symlink_to(ws.root / "00_welcome.ipynb")
    ws.reset("01_images")
    assert (ws.root / "00_welcome.ipynb").read_bytes() == lesson
    assert not manifest.is_symlink() and "01_images.ipynb" in json.loads(manifest.read_text())


def test_reset_refuses_a_lesson_linked_to_another_lesson_and_changes_nothing(ws):
    ws.sync()
    (ws.root / "01_images.ipynb").write_text("my work on lesson 01")
    (ws.root / "00_welcome.ipynb").unlink()
    (ws.root / "00_welcome.ipynb").symlink_to("01_images.ipynb")
    before = _tree(ws.root)
    with pytest.raises(WorkspaceConflictError, match=r"'00_welcome.ipynb'.*symbolic link"):
        ws.reset("00_welcome")
    assert _tree(ws.root) == before
    assert ws.sync()["kept"] == ["00_welcome.ipynb", "01_images.ipynb"]
    assert (ws.root / "01_images.ipynb").read_text() == "my work on lesson 01"


def test_a_folder_at_a_lesson_path_is_refused_with_no_backup_left(ws):
    ws.root.mkdir()
    (ws.root / "00_welcome.ipynb").mkdir()
    (ws.root / "00_welcome.ipynb" / "mine.txt").write_text("keep")
    before = _tree(ws.root)
    for action in (ws.reset, ws.ensure):
        with pytest.raises(WorkspaceConflictError, match="is a folder") as info:
            action("00_welcome")
        assert isinstance(info.value, OSError)
    after = _tree(ws.root)
    assert {k: v for k, v in after.items() if not k.startswith(".medlab")} == before
    assert not (ws.root / "backups").exists()
    assert "00_welcome.ipynb" in ws.sync()["kept"]


def test_backups_have_the_same_private_mode_as_the_learner_copies(ws):
    ws.ensure("00_welcome")
    (ws.root / "00_welcome.ipynb").write_text("edits")
    _, backup = ws.reset("00_welcome")
    copy_mode = (ws.root / "00_welcome.ipynb").stat().st_mode & 0o777
    assert copy_mode == 0o600
    assert (ws.root / backup).stat().st_mode & 0o777 == copy_mode


def test_writes_wait_a_bounded_time_for_the_workspace_lock(tmp_path, lessons_dir):
    import subprocess
    import sys
    import time

    from medlab._files import LockTimeoutError

    ws = Workspace(tmp_path / "work", lessons_dir, lock_timeout_s=0.3)
    ws.ensure("00_welcome")
    lock = ws.root / ".medlab" / "workspace.lock"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import fcntl, sys, time; h = open(sys.argv[1], 'a+b'); "
            "fcntl.flock(h.fileno(), fcntl.LOCK_EX); print('locked', flush=True); time.sleep(60)",
            str(lock),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        start = time.monotonic()
        with pytest.raises(LockTimeoutError, match="workspace.lock"):
            ws.reset("00_welcome")
        assert time.monotonic() - start < 2
        assert ws.ensure("00_welcome") == ("00_welcome.ipynb", False)  # no write: no wait
        assert not (ws.root / "backups").exists()
    finally:
        holder.kill()
        holder.wait(10)
    assert ws.reset("00_welcome")[1] is not None


def test_sync_removes_temporaries_left_by_a_killed_writer_and_nothing_else(ws):
    ws.sync()
    (ws.root / "00_welcome.ipynb").write_text("edits")
    ws.reset("00_welcome")
    ours = [
        ws.root / ".00_welcome.ipynb.x1y2.tmp",
        ws.root / ".medlab" / ".manifest.json.ab.tmp",
        ws.root / "backups" / ".00_welcome-20261130T000000Z.ipynb.cd.tmp",
    ]
    learners = [ws.root / ".my_model.keras.tmp", ws.root / "data" / ".00_welcome.ipynb.z.tmp"]
    for path in ours + learners:
        path.parent.mkdir(exist_ok=True)
        path.write_text("half")
    ws.sync()  # the next start
    assert [p.exists() for p in ours] == [False, False, False]
    assert all(p.exists() for p in learners)


_EDIT_AND_RESET = (
    "import sys\n"
    "from medlab.course.workspace import Workspace\n"
    "ws = Workspace(sys.argv[1], sys.argv[2])\n"
    "path = ws.root / '00_welcome.ipynb'\n"
    "i = int(sys.argv[3])\n"
    "while True:\n"
    "    (ws.root / 'saving').write_text(f'edit {i}')\n"
    "    (ws.root / 'saving').replace(path)  # the learner saves (Jupyter saves atomically)\n"
    "    print(f'edit {i}', flush=True)\n"
    "    ws.reset('00_welcome')\n"
    "    i += 1\n"
)


def test_kill_9_during_reset_loses_no_learner_edit_and_leaves_nothing_after_restart(
    ws, lessons_dir
):
    import random
    import signal
    import subprocess
    import sys
    import time

    ws.sync()
    fresh = (ws.root / "00_welcome.ipynb").read_text()
    rng = random.Random(6)
    start = rounds = 0
    left_a_temporary = False
    while rounds < 3 or (not left_a_temporary and rounds < 40):  # until a kill hit a write
        proc = subprocess.Popen(
            [sys.executable, "-c", _EDIT_AND_RESET, str(ws.root), str(lessons_dir), str(start)],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert proc.stdout.readline()
        time.sleep(rng.uniform(0.0, 0.3))
        os.kill(proc.pid, signal.SIGKILL)
        out, _ = proc.communicate(timeout=10)
        edits = [f"edit {start}", *out.splitlines()]
        unacknowledged = f"edit {start + len(edits)}"  # saved, killed before it said so
        start += len(edits) + 1
        last = edits[-1]
        current = (ws.root / "00_welcome.ipynb").read_text()
        backups = {p.read_text() for p in (ws.root / "backups").glob("*.ipynb")}
        # every acknowledged edit is the copy itself or backed up
        assert current in (last, fresh, unacknowledged)
        assert set(edits[:-1]) <= backups
        assert current == last or last in backups
        rounds += 1
        left_a_temporary |= any(p.suffix == ".tmp" for p in ws.root.rglob(".*"))
    assert left_a_temporary, f"no kill in {rounds} rounds landed inside a write"
    ws.sync()  # the next start
    leftovers = [p for p in ws.root.rglob(".*") if p.suffix == ".tmp"]
    assert leftovers == []
    json.loads((ws.root / ".medlab" / "manifest.json").read_text())
