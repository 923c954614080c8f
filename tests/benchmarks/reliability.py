"""Reliability figures of the course's per-user state: progress file, workspace, server.

Run ``python tests/benchmarks/reliability.py`` (add ``--quick`` for a short run). Prints a
table, writes ``tests/artifacts/reliability.json`` and exits 1 if any check failed:

- **fuzz**: seeded damaged progress files (bytes flipped, cut, inserted; valid JSON of
  the wrong shape; deep nesting; huge files). Reading must never raise, the next
  ``record_pass`` must keep the damaged file byte for byte under its own name and leave a
  valid file holding every usable entry plus the new one.
- **concurrency**: processes recording passes into one progress file at once; none may
  be lost.
- **kill -9**: a process recording passes (and one editing a lesson then resetting it,
  as a learner would) killed at a random moment, over and over. Every pass and edit it
  acknowledged must survive (in the progress file; in the lesson copy or a backup), the
  files must stay valid, and the next start must leave no temporary file behind.
- **lock held**: a real Jupyter server with the MedLab extension while another process
  holds ``progress.lock`` and ``.medlab/workspace.lock``: latency of ``/api/status``,
  ``/medlab/api/catalog`` and ``/medlab/api/progress``, and how a reset is answered.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import json
import os
import platform
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

from medlab.course.progress import ProgressStore
from medlab.course.workspace import Workspace

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "tests" / "artifacts"
LESSONS = ROOT / "lessons"  # copied into the run's folder: lessons being edited cannot interfere

HOLD_LOCKS = (
    "import fcntl, sys, time\n"
    "handles = [open(p, 'a+b') for p in sys.argv[1:]]\n"
    "for h in handles:\n"
    "    fcntl.flock(h.fileno(), fcntl.LOCK_EX)\n"
    "print('locked', flush=True)\n"
    "time.sleep(600)\n"
)
RECORD_FOREVER = (
    "import sys\n"
    "from medlab.course.progress import ProgressStore\n"
    "store = ProgressStore(sys.argv[1])\n"
    "i = int(sys.argv[2])\n"
    "print('ready', flush=True)\n"
    "while True:\n"
    "    store.record_pass(f'00.ex_{i}')\n"
    "    print(i, flush=True)\n"
    "    i += 1\n"
)
EDIT_AND_RESET_FOREVER = (
    "import sys\n"
    "from medlab.course.workspace import Workspace\n"
    "ws = Workspace(sys.argv[1], sys.argv[2])\n"
    "path = ws.root / sys.argv[3]\n"
    "i = int(sys.argv[4])\n"
    "print('ready', flush=True)\n"
    "while True:\n"
    "    (ws.root / 'saving').write_text(f'edit {i}')\n"
    "    (ws.root / 'saving').replace(path)  # the learner saves (atomically, as Jupyter)\n"
    "    print(i, flush=True)\n"
    "    ws.reset(sys.argv[5])\n"
    "    i += 1\n"
)
RECORD_MANY = (
    "import sys\n"
    "from medlab.course.progress import ProgressStore\n"
    "store = ProgressStore(sys.argv[1], lock_timeout_s=120)\n"
    "for i in range(int(sys.argv[3])):\n"
    "    store.record_pass(f'{int(sys.argv[2]):02d}.ex_{i}')\n"
)


# -- fuzz ---------------------------------------------------------------------------------
def _mutate(rng: random.Random, valid: bytes) -> bytes:
    kind = rng.choice(("bytes", "bytes", "bytes", "shape", "nesting", "huge"))
    if kind == "nesting":
        return rng.choice((b"[", b'{"a": ', b'{"passed": ')) * rng.randint(1_000, 200_000)
    if kind == "huge":
        return b" " * (4 * 1024 * 1024 + rng.randint(1, 1000)) + valid
    if kind == "shape":
        return json.dumps(
            rng.choice(
                (
                    None,
                    [],
                    "text",
                    1.5,
                    {"version": rng.choice((0, 2, "1", True, None))},
                    {"passed": ["00.a"]},
                    {"passed": {"00.a": rng.choice((1, None, [], "t" * 100))}},
                    {"passed": {"bad id": "t", "00.a": "t"}},
                    {"passed": {}, "other": 1},
                )
            )
        ).encode()
    data = bytearray(valid)
    for _ in range(rng.randint(1, 6)):
        i = rng.randrange(len(data) or 1)
        op = rng.choice(("flip", "cut", "insert", "truncate"))
        if op == "flip" and data:
            data[i] ^= 1 << rng.randrange(8)
        elif op == "cut":
            del data[i : i + rng.randint(1, 30)]
        elif op == "insert":
            data[i:i] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 12)))
        else:
            del data[i:]
    return bytes(data)


def fuzz(cases: int, workdir: Path) -> dict:
    rng = random.Random(13)
    valid = json.dumps(
        {"version": 1, "passed": {f"0{i}.ex": "2026-11-30T10:00:00Z" for i in range(8)}}, indent=1
    ).encode()
    outcomes = {"valid": 0, "damaged, kept aside": 0}
    failures = []
    started = time.perf_counter()
    for case in range(cases):
        folder = workdir / f"fuzz{case}"
        folder.mkdir()
        content = _mutate(rng, valid)
        store = ProgressStore(folder)
        store.path.write_bytes(content)
        try:
            before = store.read()
            store.record_pass("09.new")
            after = store.read()
            copies = list(folder.glob("progress.damaged-*.json"))
            ok = after.problem is None and set(after.passed) == set(before.passed) | {"09.new"}
            if before.problem:
                ok = ok and [c.read_bytes() for c in copies] == [content]
                outcomes["damaged, kept aside"] += 1
            else:
                ok = ok and copies == []
                outcomes["valid"] += 1
            if not ok:
                failures.append(f"case {case}: wrong result")
        except Exception as exc:  # the point is that nothing escapes
            failures.append(f"case {case}: {type(exc).__name__}: {exc}")
        for path in folder.iterdir():
            if path.is_file():
                path.unlink()
    return {
        "cases": cases,
        "outcomes": outcomes,
        "failures": failures,
        "seconds": round(time.perf_counter() - started, 1),
    }


# -- concurrency --------------------------------------------------------------------------
def concurrency(processes: int, each: int, workdir: Path) -> dict:
    folder = workdir / f"concurrent{processes}"
    started = time.perf_counter()
    procs = [
        subprocess.Popen([sys.executable, "-c", RECORD_MANY, str(folder), str(w), str(each)])
        for w in range(processes)
    ]
    codes = [p.wait(600) for p in procs]
    seconds = time.perf_counter() - started
    passed = ProgressStore(folder).passed()
    expected = {f"{w:02d}.ex_{i}" for w in range(processes) for i in range(each)}
    return {
        "processes": processes,
        "writes": processes * each,
        "recorded": len(passed),
        "lost": len(expected - set(passed)),
        "exit_codes_ok": codes == [0] * processes,
        "seconds": round(seconds, 2),
    }


# -- kill -9 ------------------------------------------------------------------------------
def _kill_at_random(command: list[str], rng: random.Random, window_s: float) -> list[int]:
    """Start ``command``, kill -9 it at a random moment; the numbers it acknowledged."""
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "ready"
    time.sleep(rng.uniform(0.02, window_s))
    os.kill(proc.pid, signal.SIGKILL)
    out, _ = proc.communicate(timeout=30)
    if proc.returncode != -signal.SIGKILL:  # it stopped by itself: a failure, not a kill
        raise RuntimeError(f"the writer exited with {proc.returncode} before it was killed")
    return [int(line) for line in out.split() if line.isdigit()]


def _temporaries(folder: Path) -> list[Path]:
    return [p for p in folder.rglob(".*") if p.suffix == ".tmp" and p.is_file()]


def kill_progress(rounds: int, workdir: Path) -> dict:
    rng = random.Random(9)
    folder = workdir / "kill_progress"
    acknowledged: set[str] = set()
    start, left_behind, problems = 0, 0, []
    for round_ in range(rounds):
        numbers = _kill_at_random(
            [sys.executable, "-c", RECORD_FOREVER, str(folder), str(start)], rng, 0.4
        )
        acknowledged |= {f"00.ex_{n}" for n in numbers}
        start = (max(numbers) if numbers else start) + 2
        state = ProgressStore(folder).read()
        if state.problem or not acknowledged <= set(state.passed):
            problems.append(f"round {round_}: {state.problem or 'a pass was lost'}")
        left_behind += bool(_temporaries(folder))
        if round_ % 5 == 4:  # a next start now and then; other rounds pile up leftovers
            ProgressStore(folder).record_pass("01.next_start")
            if _temporaries(folder):
                problems.append(f"round {round_}: a temporary file survived the next start")
    ProgressStore(folder).record_pass("01.next_start")
    if _temporaries(folder):
        problems.append("a temporary file survived the last start")
    return {
        "rounds": rounds,
        "passes_acknowledged": len(acknowledged),
        "rounds_leaving_a_temporary": left_behind,
        "problems": problems,
    }


def private_lessons(workdir: Path) -> Path:
    """A copy of the first lesson of the course, the source of every workspace here."""
    from medlab.course.catalog import read_lesson

    folder = workdir / "lessons"
    folder.mkdir()
    source = sorted(LESSONS.glob("[0-9][0-9]_*.ipynb"))[0]
    (folder / source.name).write_bytes(source.read_bytes())
    read_lesson(folder / source.name)  # a whole notebook
    return folder


def kill_reset(rounds: int, workdir: Path, lessons: Path) -> dict:
    rng = random.Random(6)
    root = workdir / "kill_reset"
    lesson = next(p for p in sorted(lessons.glob("[0-9][0-9]_*.ipynb")))
    ws = Workspace(root, lessons)
    ws.sync()
    fresh = (root / lesson.name).read_text()
    start, left_behind, acknowledged, problems = 0, 0, 0, []
    backups: set[str] = set()
    for round_ in range(rounds):
        numbers = _kill_at_random(
            [
                sys.executable,
                "-c",
                EDIT_AND_RESET_FOREVER,
                str(root),
                str(lessons),
                lesson.name,
                str(start),
                lesson.stem,
            ],
            rng,
            0.6,
        )
        acknowledged += len(numbers)
        edits = [f"edit {n}" for n in numbers]
        unacknowledged = f"edit {(max(numbers) if numbers else start - 1) + 1}"
        start = (max(numbers) if numbers else start) + 2
        current = (root / lesson.name).read_text()
        before, backups = backups, {p.read_text() for p in (root / "backups").glob("*.ipynb")}
        # Every edit it acknowledged was backed up by the reset that followed, except the
        # last, which is the copy itself when the kill came before its reset finished.
        # (The next round's first save overwrites that copy, as a learner's save would.)
        lost = set(edits[:-1]) - backups
        if edits and edits[-1] not in backups and current != edits[-1]:
            lost.add(edits[-1])
        if lost or not before <= backups or current not in {fresh, unacknowledged, *edits[-1:]}:
            problems.append(f"round {round_}: an acknowledged edit was lost: {sorted(lost)[:3]}")
        left_behind += bool(_temporaries(root))
        if round_ % 5 == 4:
            Workspace(root, lessons).sync()
            if _temporaries(root):
                problems.append(f"round {round_}: a temporary file survived the next start")
    Workspace(root, lessons).sync()
    if _temporaries(root):
        problems.append("a temporary file survived the last start")
    json.loads((root / ".medlab" / "manifest.json").read_text())
    return {
        "rounds": rounds,
        "edits_acknowledged": acknowledged,
        "rounds_leaving_a_temporary": left_behind,
        "problems": problems,
    }


# -- lock held ----------------------------------------------------------------------------
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _request(url: str, method: str = "GET") -> tuple[int, float, dict]:
    request = urllib.request.Request(
        url,
        method=method,
        data=b"" if method == "POST" else None,
        headers={"Authorization": "token reliability"},
    )
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            code, body = response.status, response.read()
    except urllib.error.HTTPError as exc:
        code, body = exc.code, exc.read()
    return code, time.perf_counter() - started, json.loads(body or b"{}")


def lock_held(workdir: Path, samples: int, lessons: Path) -> dict:
    root, progress = workdir / "server_root", workdir / "server_progress"
    Workspace(root, lessons).sync()
    ProgressStore(progress).record_pass("00.hounsfield")
    port = _free_port()
    env = {
        **os.environ,
        "MEDLAB_PROGRESS_DIR": str(progress),
        "MEDLAB_LESSONS_DIR": str(lessons),
        "JUPYTER_CONFIG_DIR": str(workdir / "jupyter_config"),
    }
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "jupyter_server",
            f"--ServerApp.root_dir={root}",
            f"--ServerApp.port={port}",
            "--ServerApp.port_retries=0",
            "--ServerApp.open_browser=False",
            "--IdentityProvider.token=reliability",
            "--ServerApp.allow_root=True",
            "--ServerApp.jpserver_extensions={'medlab.server': True}",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    holder = None
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if _request(f"{base}/api/status")[0] == 200:
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        idle = [_request(f"{base}/api/status")[1] for _ in range(samples)]
        holder = subprocess.Popen(
            [
                sys.executable,
                "-c",
                HOLD_LOCKS,
                str(progress / "progress.lock"),
                str(root / ".medlab" / "workspace.lock"),
            ],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert holder.stdout.readline().strip() == "locked"
        lesson = next(p.stem for p in sorted(lessons.glob("[0-9][0-9]_*.ipynb")))
        with concurrent.futures.ThreadPoolExecutor(4) as pool:
            resets = [
                pool.submit(_request, f"{base}/medlab/api/lessons/{lesson}/reset", "POST")
                for _ in range(2)
            ]
            time.sleep(0.2)  # the resets now wait for the workspace lock
            held = [_request(f"{base}/api/status")[1] for _ in range(samples)]
            catalog = [_request(f"{base}/medlab/api/catalog") for _ in range(5)]
            progress_reads = [_request(f"{base}/medlab/api/progress") for _ in range(5)]
            reset_results = [r.result() for r in resets]
        return {
            "status_idle_ms": {
                "median": round(statistics.median(idle) * 1000, 1),
                "max": round(max(idle) * 1000, 1),
            },
            "status_with_locks_held_ms": {
                "median": round(statistics.median(held) * 1000, 1),
                "max": round(max(held) * 1000, 1),
            },
            "catalog_with_locks_held_ms": round(max(c[1] for c in catalog) * 1000, 1),
            "catalog_codes": sorted({c[0] for c in catalog}),
            "progress_with_locks_held_ms": round(max(p[1] for p in progress_reads) * 1000, 1),
            "progress_codes": sorted({p[0] for p in progress_reads}),
            "reset_codes": [r[0] for r in reset_results],
            "reset_seconds": [round(r[1], 2) for r in reset_results],
            "reset_message": reset_results[0][2].get("message", ""),
        }
    finally:
        if holder:
            holder.kill()
            holder.wait(10)
        server.terminate()
        try:
            server.wait(15)
        except subprocess.TimeoutExpired:
            server.kill()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer cases and rounds")
    args = parser.parse_args(argv)
    n_fuzz, n_kill, each, samples = (300, 10, 20, 10) if args.quick else (3000, 100, 100, 50)
    results: dict = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}"
    }
    with tempfile.TemporaryDirectory(prefix="medlab-reliability-") as tmp:
        work = Path(tmp)
        lessons = private_lessons(work)
        results["filesystem_folder"] = str(work)
        results["fuzz"] = fuzz(n_fuzz, work)
        results["concurrency"] = [concurrency(p, each, work) for p in (4, 8)]
        results["kill_progress"] = kill_progress(n_kill, work)
        results["kill_reset"] = kill_reset(n_kill, work, lessons)
        results["lock_held"] = lock_held(work, samples, lessons)

    f, lk = results["fuzz"], results["lock_held"]
    rows = [
        (
            "fuzz: damaged progress files",
            f"{f['cases']} cases ({f['outcomes']}), {len(f['failures'])} failures",
        ),
        *[
            (
                f"concurrency: {c['processes']} processes",
                f"{c['writes']} passes, {c['lost']} lost, {c['seconds']} s",
            )
            for c in results["concurrency"]
        ],
        (
            "kill -9 of record_pass",
            f"{results['kill_progress']['rounds']} rounds, "
            f"{results['kill_progress']['passes_acknowledged']} passes acknowledged, "
            f"{results['kill_progress']['rounds_leaving_a_temporary']} rounds left a temporary, "
            f"{len(results['kill_progress']['problems'])} problems",
        ),
        (
            "kill -9 of edit + reset",
            f"{results['kill_reset']['rounds']} rounds, "
            f"{results['kill_reset']['edits_acknowledged']} edits acknowledged, "
            f"{results['kill_reset']['rounds_leaving_a_temporary']} rounds left a temporary, "
            f"{len(results['kill_reset']['problems'])} problems",
        ),
        (
            "/api/status, idle",
            f"median {lk['status_idle_ms']['median']} ms, max {lk['status_idle_ms']['max']} ms",
        ),
        (
            "/api/status, locks held",
            f"median {lk['status_with_locks_held_ms']['median']} ms, "
            f"max {lk['status_with_locks_held_ms']['max']} ms",
        ),
        (
            "catalog / progress, locks held",
            f"max {lk['catalog_with_locks_held_ms']} / "
            f"{lk['progress_with_locks_held_ms']} ms ({lk['catalog_codes']}, "
            f"{lk['progress_codes']})",
        ),
        ("reset, lock held", f"{lk['reset_codes']} after {lk['reset_seconds']} s"),
    ]
    width = max(len(r[0]) for r in rows)
    for name, value in rows:
        print(f"{name:<{width}}  {value}")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "reliability.json").write_text(json.dumps(results, indent=1))

    failed = (
        f["failures"]
        or any(c["lost"] or not c["exit_codes_ok"] for c in results["concurrency"])
        or results["kill_progress"]["problems"]
        or results["kill_reset"]["problems"]
        or lk["status_with_locks_held_ms"]["max"] >= 100
        or lk["catalog_codes"] != [200]
        or lk["progress_codes"] != [200]
        or set(lk["reset_codes"]) != {503}
    )
    for problem in (
        f["failures"] + results["kill_progress"]["problems"] + results["kill_reset"]["problems"]
    )[:20]:
        print("FAILED:", problem)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
