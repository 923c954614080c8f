"""The progress store: round trip, atomic writes, several processes at once."""

from __future__ import annotations

import json
import multiprocessing
import os
import random
import signal
import subprocess
import sys
import time

import pytest

from medlab._files import LockFileError, LockTimeoutError
from medlab.course import ProgressStore, default_store
from medlab.course import progress as progress_module
from medlab.course.progress import InvalidExerciseIdError


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


# -- issue 13: hardening ----------------------------------------------------------------

HOLD_LOCKS = (
    "import fcntl, sys, time\n"
    "handles = [open(p, 'a+b') for p in sys.argv[1:]]\n"
    "for h in handles:\n"
    "    fcntl.flock(h.fileno(), fcntl.LOCK_EX)\n"
    "print('locked', flush=True)\n"
    "time.sleep(60)\n"
)


@pytest.fixture
def hold_lock():
    """Hold exclusive locks on files from another process until the test ends."""
    holders = []

    def hold(*paths):
        for path in paths:
            path.parent.mkdir(parents=True, exist_ok=True)
        proc = subprocess.Popen(
            [sys.executable, "-c", HOLD_LOCKS, *map(str, paths)], stdout=subprocess.PIPE, text=True
        )
        holders.append(proc)
        assert proc.stdout.readline().strip() == "locked"
        return proc

    yield hold
    for proc in holders:
        proc.kill()
        proc.wait(10)


def test_reading_needs_no_lock_and_writing_waits_a_bounded_time(tmp_path, hold_lock):
    store = ProgressStore(tmp_path, lock_timeout_s=0.3)
    store.record_pass("00.a")
    hold_lock(tmp_path / "progress.lock")
    start = time.monotonic()
    assert list(store.passed()) == ["00.a"]
    assert store.is_passed("00.a")
    assert time.monotonic() - start < 0.1  # reading takes no lock
    start = time.monotonic()
    with pytest.raises(LockTimeoutError, match=r"progress\.lock.*held by another process") as info:
        store.record_pass("00.b")
    assert 0.3 <= time.monotonic() - start < 2
    assert isinstance(info.value, TimeoutError) and isinstance(info.value, OSError)
    assert list(store.passed()) == ["00.a"]


def test_an_unusable_lock_file_is_a_clear_error_that_leaves_nothing_behind(tmp_path):
    (tmp_path / "progress.lock").mkdir()
    store = ProgressStore(tmp_path)
    with pytest.raises(LockFileError, match=r"progress\.lock' cannot be used") as info:
        store.record_pass("00.a")
    assert isinstance(info.value, OSError)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["progress.lock"]
    assert store.passed() == {}  # reading still works


def test_every_damaged_file_is_kept_under_its_own_name(tmp_path):
    store = ProgressStore(tmp_path)
    store.path.write_bytes(b"{first damage")
    assert store.record_pass("00.a")
    store.path.write_bytes(b"second damage")
    assert store.record_pass("00.b")
    copies = sorted(tmp_path.glob("progress.damaged-*.json"))
    assert len(copies) == 2
    assert sorted(c.read_bytes() for c in copies) == [b"second damage", b"{first damage"]
    assert list(store.passed()) == ["00.b"]
    assert len(store.notices) == 2
    assert all("not valid JSON" in n and "kept as" in n for n in store.notices)
    assert str(copies[0]) in " ".join(store.notices)


def test_valid_json_of_the_wrong_shape_is_kept_and_its_usable_entries_survive(tmp_path):
    store = ProgressStore(tmp_path)
    original = json.dumps(
        {"version": 1, "passed": {"00.a": "2026-01-01T00:00:00Z", "not an id": "x", "00.b": 5}}
    )
    store.path.write_text(original)
    state = store.read()
    assert state.passed == {"00.a": "2026-01-01T00:00:00Z"}
    assert "2 of its 3 entries" in state.problem
    assert "cannot be used as it is" in store.problem_message()
    assert store.path.read_text() == original  # reading changes nothing
    assert store.record_pass("00.c")
    [copy] = tmp_path.glob("progress.damaged-*.json")
    assert copy.read_text() == original
    assert store.passed() == {"00.a": "2026-01-01T00:00:00Z", "00.c": store.passed()["00.c"]}
    assert store.read().problem is None and store.problem_message() is None


@pytest.mark.parametrize(
    "content",
    [
        b"[" * 100_000,  # RecursionError in the JSON parser
        b'{"passed": ' * 50_000,
        b"",
        b"\xff\xfe\x00",
        b"null",
        b"[]",
        b'"text"',
        b"1" * 5000,
        b"NaN",
        b'{"version": 3, "passed": {}}',
        b'{"version": true, "passed": {}}',
        b'{"passed": ["00.a"]}',
        b'{"passed": {"00.a": 1}}',
        b'{"passed": {}, "extra": 1}',
        b'{"passed": {"00.a": "' + b"t" * 100 + b'"}}',
        b" " * (4 * 1024 * 1024 + 1),
    ],
)
def test_no_content_crashes_reading_or_writing(tmp_path, content):
    store = ProgressStore(tmp_path)
    store.path.write_bytes(content)
    state = store.read()
    assert state.problem and state.passed == {}
    assert store.record_pass("00.a") is True
    [copy] = tmp_path.glob("progress.damaged-*.json")
    assert copy.read_bytes() == content
    assert list(store.passed()) == ["00.a"] and store.read().problem is None


def test_a_folder_in_place_of_the_progress_file_is_kept_aside(tmp_path):
    store = ProgressStore(tmp_path)
    store.path.mkdir()
    (store.path / "inside.txt").write_text("keep")
    assert "cannot be read" in store.read().problem
    assert store.record_pass("00.a")
    [copy] = tmp_path.glob("progress.damaged-*.json")
    assert (copy / "inside.txt").read_text() == "keep"
    assert list(store.passed()) == ["00.a"]


def test_a_named_pipe_in_place_of_the_progress_file_never_hangs(tmp_path):
    store = ProgressStore(tmp_path)
    os.mkfifo(store.path)
    assert "not a regular file" in store.read().problem  # returns at once
    assert store.record_pass("00.a")
    assert list(store.passed()) == ["00.a"]
    assert len(list(tmp_path.glob("progress.damaged-*.json"))) == 1


def test_seeded_random_damage_never_raises_and_never_loses_the_file(tmp_path):
    rng = random.Random(13)
    valid = json.dumps(
        {"version": 1, "passed": {f"0{i}.ex": "2026-01-01T00:00:00Z" for i in range(5)}}, indent=1
    ).encode()
    for case in range(200):
        folder = tmp_path / str(case)
        store = ProgressStore(folder)
        data = bytearray(valid)
        for _ in range(rng.randint(1, 4)):
            i = rng.randrange(len(data))
            kind = rng.choice(("flip", "cut", "insert"))
            if kind == "flip":
                data[i] ^= 1 << rng.randrange(8)
            elif kind == "cut":
                del data[i : i + rng.randint(1, 20)]
            else:
                data[i:i] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 8)))
        folder.mkdir()
        store.path.write_bytes(bytes(data))
        before = store.read()
        store.record_pass("09.new")
        after = store.passed()
        assert set(before.passed) | {"09.new"} == set(after)
        copies = list(folder.glob("progress.damaged-*.json"))
        if before.problem:
            assert [c.read_bytes() for c in copies] == [bytes(data)]
        else:
            assert copies == []


@pytest.mark.parametrize(
    "bad",
    ["hounsfield", "00.Hounsfield", "00.a\n", "\u0660\u0660.a", "00.a/../b", "", "0" * 10_000],
)
def test_record_pass_refuses_ids_that_are_not_exercise_ids(tmp_path, bad):
    with pytest.raises(InvalidExerciseIdError, match="expected 'NN.name'") as info:
        ProgressStore(tmp_path).record_pass(bad)
    assert isinstance(info.value, ValueError)
    assert len(str(info.value)) < 200  # a long id is not echoed in full
    assert not (tmp_path / "progress.json").exists()


def test_stale_temporary_files_are_removed_at_the_next_start(tmp_path, hold_lock):
    store = ProgressStore(tmp_path)
    store.record_pass("00.a")
    stale = tmp_path / ".progress.json.k1ll3d.tmp"
    stale.write_text('{"half": ')
    other = tmp_path / ".someone-else.tmp"
    other.write_text("not ours")
    holder = hold_lock(tmp_path / "progress.lock")
    assert store.remove_stale_temporaries() == []  # a writer may be at work: left alone
    holder.kill()
    holder.wait(10)
    assert store.remove_stale_temporaries() == [stale]
    assert other.exists()
    stale.write_text("again")
    store.record_pass("00.b")  # every write cleans up first, too
    assert not stale.exists() and other.exists()


_ACKNOWLEDGING_WRITER = (
    "import sys\n"
    "from medlab.course.progress import ProgressStore\n"
    "store = ProgressStore(sys.argv[1])\n"
    "i = 0\n"
    "while True:\n"
    "    store.record_pass(f'00.ex_{i}')\n"
    "    print(i, flush=True)\n"
    "    i += 1\n"
)


def test_kill_9_mid_write_loses_no_acknowledged_pass_and_leaves_nothing_after_restart(tmp_path):
    rng = random.Random(9)
    acknowledged: set[str] = set()
    rounds, left_a_temporary = 0, False
    while rounds < 3 or (not left_a_temporary and rounds < 40):  # until a kill hit a write
        proc = subprocess.Popen(
            [sys.executable, "-c", _ACKNOWLEDGING_WRITER, str(tmp_path)],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert proc.stdout.readline()  # it is writing
        time.sleep(rng.uniform(0.0, 0.2))
        os.kill(proc.pid, signal.SIGKILL)
        out, _ = proc.communicate(timeout=10)
        rounds += 1
        acknowledged |= {f"00.ex_{line}" for line in out.split() if line.isdigit()}
        state = ProgressStore(tmp_path).read()  # a whole, valid file
        assert state.problem is None and acknowledged <= set(state.passed)
        left_a_temporary |= any(p.suffix == ".tmp" for p in tmp_path.iterdir())
    assert left_a_temporary, f"no kill in {rounds} rounds landed inside a write"
    ProgressStore(tmp_path).record_pass("01.after")  # the next start
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []
    assert not list(tmp_path.glob("progress.damaged-*"))


# -- issue 14: failed attempts (format version 2) ---------------------------------------

T0, T1 = "2026-11-30T10:00:00Z", "2026-11-30T10:05:00Z"


def test_failures_make_a_version_2_file_and_passes_alone_stay_version_1(tmp_path):
    store = ProgressStore(tmp_path)
    store.record_pass("00.a")
    assert json.loads(store.path.read_text())["version"] == 1  # what earlier MedLab reads
    assert store.record_failure("01.b", ["values differ", "second line"]) == 1
    assert store.record_failure("01.b", ["only this"]) == 2
    data = json.loads(store.path.read_text())
    tries = data["attempts"]["01.b"]
    assert data == {
        "version": 2,
        "passed": {"00.a": store.passed()["00.a"]},  # the same shape as version 1
        "attempts": {
            "01.b": {
                "failed": 2,
                "first_failed": tries["first_failed"],
                "last_failed": tries["last_failed"],
                "last_feedback": ["only this"],
            }
        },
    }
    assert tries["first_failed"] <= tries["last_failed"]
    state = store.read()
    assert state.problem is None and state.attempts["01.b"].last_feedback == ("only this",)
    # A pass keeps the failures; forgetting a pass keeps them too.
    store.record_pass("01.b")
    assert store.attempts()["01.b"].failed == 2
    assert store.forget(["01.b"]) == 1
    assert store.attempts()["01.b"].failed == 2 and "01.b" not in store.passed()


def test_a_version_1_file_is_read_and_upgraded_by_the_first_failure(tmp_path):
    store = ProgressStore(tmp_path)
    v1 = json.dumps({"version": 1, "passed": {"00.a": T0}}, indent=1)
    store.path.write_text(v1)
    assert store.read() == progress_module.ProgressState({"00.a": T0})
    store.record_failure("00.b", ["no"])
    assert store.passed() == {"00.a": T0} and store.attempts()["00.b"].failed == 1
    assert json.loads(store.path.read_text())["version"] == 2
    assert not list(tmp_path.glob("progress.damaged-*"))


def test_stored_feedback_is_capped(tmp_path):
    store = ProgressStore(tmp_path)
    lines = ["x" * 1000, 42, *[f"line {i}" for i in range(10)]]  # 42 is not text: left out
    store.record_failure("00.a", lines)
    [first, *rest] = store.attempts()["00.a"].last_feedback
    assert len(first) == progress_module.MAX_FEEDBACK_LINE_CHARS and first.endswith("…")
    assert rest == [f"line {i}" for i in range(progress_module.MAX_FEEDBACK_LINES - 1)]


def test_a_user_name_is_stored_and_checked(tmp_path):
    store = ProgressStore(tmp_path)
    store.set_user("Ada L.")
    assert store.read().user == "Ada L."
    assert json.loads(store.path.read_text()) == {"version": 2, "user": "Ada L.", "passed": {}}
    for bad in ["", "x" * 101, "a\nb", 7]:
        with pytest.raises(progress_module.InvalidUserNameError, match="1 to 100 printable"):
            store.set_user(bad)
    store.set_user(None)
    assert json.loads(store.path.read_text()) == {"version": 1, "passed": {}}


@pytest.mark.parametrize(
    ("content", "usable_passes", "usable_attempts", "problem"),
    [
        (
            {"version": 2, "passed": {"00.a": T0}, "attempts": []},
            {"00.a": T0},
            {},
            "expected 'attempts' to be an object",
        ),
        (
            {
                "version": 2,
                "passed": {},
                "attempts": {"00.a": {"failed": True}, "00.b": {"failed": 1}},
            },
            {},
            {"00.b"},
            "1 of its 2 attempt entries",
        ),
        (
            {"version": 2, "passed": {}, "attempts": {"00.a": {"failed": -1}}},
            {},
            set(),
            "attempt entries",
        ),
        (
            {"version": 2, "passed": {}, "attempts": {"00.a": {"failed": 1, "last_feedback": "x"}}},
            {},
            set(),
            "attempt entries",
        ),
        (
            {"version": 2, "passed": {}, "attempts": {"bad id": {"failed": 1}}},
            {},
            set(),
            "(first: 'bad id')",
        ),
        (
            {"version": 2, "passed": {}, "attempts": {"00.a": {"failed": 1, "last_failed": 5}}},
            {},
            set(),
            "attempt entries",
        ),
        ({"version": 2, "user": 5, "passed": {"00.a": T0}}, {"00.a": T0}, set(), "'user'"),
        ({"version": 2, "passed": {}, "extra": 1}, {}, set(), "unexpected key 'extra'"),
    ],
)
def test_version_2_content_of_the_wrong_shape_keeps_its_usable_entries(
    tmp_path, content, usable_passes, usable_attempts, problem
):
    store = ProgressStore(tmp_path)
    store.path.write_text(json.dumps(content))
    state = store.read()
    assert problem in state.problem
    assert state.passed == usable_passes and set(state.attempts) == set(usable_attempts)
    store.record_failure("09.new", ["no"])  # the next write keeps the file aside
    [copy] = tmp_path.glob("progress.damaged-*.json")
    assert json.loads(copy.read_text()) == content
    after = store.read()
    assert after.problem is None and after.passed == usable_passes
    assert set(after.attempts) == set(usable_attempts) | {"09.new"}
    assert any("could not be used" in n for n in store.notices)


def test_seeded_random_damage_of_a_version_2_file_never_raises(tmp_path):
    rng = random.Random(14)
    valid = json.dumps(
        {
            "version": 2,
            "user": "u",
            "passed": {"00.a": T0},
            "attempts": {
                "00.b": {
                    "failed": 3,
                    "first_failed": T0,
                    "last_failed": T1,
                    "last_feedback": ["x", "y"],
                }
            },
        },
        indent=1,
    ).encode()
    for case in range(150):
        folder = tmp_path / str(case)
        folder.mkdir()
        data = bytearray(valid)
        for _ in range(rng.randint(1, 4)):
            i = rng.randrange(len(data))
            if rng.random() < 0.5:
                data[i] ^= 1 << rng.randrange(8)
            else:
                del data[i : i + rng.randint(1, 20)]
        store = ProgressStore(folder)
        store.path.write_bytes(bytes(data))
        before = store.read()
        assert store.record_failure("09.new", ["z"]) == 1 + (
            before.attempts["09.new"].failed if "09.new" in before.attempts else 0
        )
        after = store.read()
        assert after.problem is None
        assert set(before.passed) == set(after.passed)
        assert set(before.attempts) | {"09.new"} == set(after.attempts)


def _record_mixed(folder: str, worker: int, count: int) -> None:
    store = ProgressStore(folder, lock_timeout_s=30)
    for i in range(count):
        store.record_failure("00.shared", [f"worker {worker} try {i}"])
        store.record_failure(f"0{worker}.own", ["no"])
        if i % 5 == 4:
            store.record_pass(f"0{worker}.pass_{i}")


def test_concurrent_writers_of_failures_and_passes_lose_nothing(tmp_path):
    ctx = multiprocessing.get_context("fork")
    workers = [ctx.Process(target=_record_mixed, args=(str(tmp_path), w, 30)) for w in range(4)]
    for p in workers:
        p.start()
    for p in workers:
        p.join(120)
        assert p.exitcode == 0
    state = ProgressStore(tmp_path).read()
    assert state.problem is None
    assert state.attempts["00.shared"].failed == 4 * 30
    assert all(state.attempts[f"0{w}.own"].failed == 30 for w in range(4))
    assert set(state.passed) == {f"0{w}.pass_{i}" for w in range(4) for i in range(4, 30, 5)}
    assert state.attempts["00.shared"].last_feedback[0].endswith("try 29")


def test_the_default_store_records_only_the_course_exercises(tmp_path, monkeypatch):
    monkeypatch.setenv("MEDLAB_PROGRESS_DIR", str(tmp_path))
    store = default_store()
    for fake in ("99.fake", "00.not_an_exercise"):
        with pytest.raises(InvalidExerciseIdError, match="not an exercise of this course"):
            store.record_pass(fake)
        with pytest.raises(InvalidExerciseIdError, match="not an exercise of this course"):
            store.record_failure(fake, ["wrong"])
    assert not (tmp_path / "progress.json").exists()  # nothing written
    assert store.record_pass("00.hounsfield") is True
    assert set(store.passed()) == {"00.hounsfield"}
    # a store for a folder of its own still takes any well-formed id (tests, class tools)
    assert ProgressStore(tmp_path / "other").record_pass("99.fake") is True
