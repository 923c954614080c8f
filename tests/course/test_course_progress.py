"""The progress store: round trip, atomic writes, several processes at once."""

from __future__ import annotations

import json
import multiprocessing
import os
import signal
import time

import pytest

from medlab.course import ProgressStore, default_store
from medlab.course import progress as progress_module


def test_progress_round_trip_keeps_first_pass_time(tmp_path):
    store = ProgressStore(tmp_path / "p")
    assert store.passed() == {}
    assert store.record_pass("00.hounsfield") is True
    first = store.passed()["00.hounsfield"]
    assert store.record_pass("00.hounsfield") is False
    assert ProgressStore(tmp_path / "p").passed() == {"00.hounsfield": first}
    data = json.loads((tmp_path / "p" / "progress.json").read_text())
    assert data == {"version": 1, "passed": {"00.hounsfield": first}}
    assert store.forget(["00.hounsfield", "99.unknown"]) == 1
    assert store.passed() == {}


def test_default_store_follows_env_and_jupyter_data_dir(monkeypatch, tmp_path):
    monkeypatch.setenv("MEDLAB_PROGRESS_DIR", str(tmp_path / "x"))
    assert default_store().folder == tmp_path / "x"
    monkeypatch.delenv("MEDLAB_PROGRESS_DIR")
    monkeypatch.setenv("JUPYTER_DATA_DIR", str(tmp_path / "jd"))
    assert default_store().folder == tmp_path / "jd" / "medlab"


def test_failed_write_leaves_previous_file_and_no_temp_files(tmp_path, monkeypatch):
    store = ProgressStore(tmp_path)
    store.record_pass("00.a")
    before = store.path.read_bytes()

    def crash(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(progress_module.os, "replace", crash)
    with pytest.raises(OSError, match="disk full"):
        store.record_pass("00.b")
    monkeypatch.undo()
    assert store.path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["progress.json", "progress.lock"]


def test_damaged_file_is_set_aside_not_fatal(tmp_path):
    store = ProgressStore(tmp_path)
    store.path.write_text("{not json")
    assert store.passed() == {}
    assert store.record_pass("00.a")
    assert list(tmp_path.glob("progress.damaged-*.json"))


def _record_many(folder: str, worker: int, count: int) -> None:
    store = ProgressStore(folder)
    for i in range(count):
        store.record_pass(f"{worker:02d}.ex_{i}")


def test_concurrent_writers_lose_nothing(tmp_path):
    ctx = multiprocessing.get_context("fork")
    workers = [ctx.Process(target=_record_many, args=(str(tmp_path), w, 40)) for w in range(4)]
    for p in workers:
        p.start()
    for p in workers:
        p.join(60)
        assert p.exitcode == 0
    passed = ProgressStore(tmp_path).passed()
    assert len(passed) == 4 * 40
    assert {f"{w:02d}.ex_{i}" for w in range(4) for i in range(40)} == set(passed)


def _record_forever(folder: str) -> None:
    store = ProgressStore(folder)
    i = 0
    while True:
        store.record_pass(f"00.ex_{i}")
        i += 1


def test_writer_killed_mid_write_leaves_a_valid_file(tmp_path):
    ctx = multiprocessing.get_context("fork")
    proc = ctx.Process(target=_record_forever, args=(str(tmp_path),))
    proc.start()
    deadline = time.monotonic() + 10
    while not (tmp_path / "progress.json").exists() and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.3)
    os.kill(proc.pid, signal.SIGKILL)
    proc.join(10)
    data = json.loads((tmp_path / "progress.json").read_text())  # never half a file
    assert len(data["passed"]) > 0
    # The dead writer's lock is released: a new write goes through at once.
    assert ProgressStore(tmp_path).record_pass("01.after")
