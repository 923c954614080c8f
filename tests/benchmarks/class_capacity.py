"""What one learner costs, and how many learners a 2-core / 24 GiB class server holds.

    python tests/benchmarks/class_capacity.py                  # fast mode, lessons 00 05-10
    python tests/benchmarks/class_capacity.py --full           # and full mode too
    python tests/benchmarks/class_capacity.py --lessons 05 07  # only these lessons
    python tests/benchmarks/class_capacity.py --on-disk ...    # the lessons as on disk, not as
                                                               # committed

Measures, on this machine:

- **the learner's Jupyter server**: a JupyterLab server with MedLab's extension (what
  JupyterHub starts for each learner), after it served the JupyterLab page and the
  catalog, opened a lesson and started its kernel.
- **the learner's kernel**, running each lesson top to bottom in a fresh kernel as
  ``make test-notebooks`` does (private data and progress folders, the real datasets of the
  cache linked in): memory sampled every 0.5 s and the kernel's CPU time per cell. The cell
  that takes the most CPU time is the lesson's training.

Memory is counted as each learner's own (anonymous memory: arrays, models, heaps) and as
shared (resident pages of files: Python, NumPy and TensorFlow's libraries, which the page
cache holds once for every learner); RSS, USS and PSS are recorded too. Then estimates how
many learners fit: memory (24 GiB, minus a reserve for the system and the hub) and CPU
(2 cores shared by the trainings that run at the same moment). Prints both and writes
``tests/artifacts/class_capacity.json`` (``--out``). Each lesson runs while holding
``/tmp/medlab-cpu.lock``, like ``tests/notebooks/run_lesson.py``, so no other lesson or
training of this machine runs at the same time; the load average before and after each
run is recorded, because timings taken on a shared machine are upper bounds.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from dataclasses import asdict, astuple, dataclass, field
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "tests" / "artifacts"
sys.path.insert(0, str(ROOT / "tests" / "notebooks"))
from run_lesson import cpu_lock, private_environment  # noqa: E402

MIB = 1024 * 1024
GIB = 1024 * MIB
DEFAULT_LESSONS = ("00", "05", "06", "07", "08", "09", "10")
SAMPLE_S = 0.5
CELL_TIMEOUT_S = 900
#: The class server of issue 14: 2 cores, 24 GiB.
SERVER_CORES = 2
SERVER_MEMORY = 24 * GIB
#: Kept free for the system, the page cache of the shared libraries and the datasets.
SYSTEM_RESERVE = 2 * GIB
#: JupyterHub and configurable-http-proxy together, as `make test-hub` prints them
#: ("[hub] memory: hub ... RSS 108 MiB", "proxy ... RSS 64 MiB"), rounded up.
HUB_AND_PROXY = 200 * MIB
#: The single-user server under JupyterHub holds more than the plain JupyterLab server
#: measured here (the hub's extension, its OAuth state): `make test-hub` prints USS
#: 131-153 MiB for it, against about 107 MiB here.
HUB_SERVER_EXTRA = 45 * MIB
#: How long a learner may wait for one fast-mode training before the lesson suffers.
ACCEPTABLE_TRAINING_S = 120.0


@dataclass
class Memory:
    """Memory of one process (bytes).

    ``rss`` resident; ``uss`` only in this process; ``pss`` its proportional share;
    ``anon`` resident anonymous memory and shared memory (``RssAnon + RssShmem``: the
    arrays, models and heaps, which every learner has their own of); ``file`` resident
    pages of files (``RssFile``: Python, NumPy, TensorFlow's libraries, which the page
    cache holds once however many learners map them).
    """

    rss: int = 0
    uss: int = 0
    pss: int = 0
    anon: int = 0
    file: int = 0

    @classmethod
    def of(cls, process: psutil.Process) -> Memory:
        info = process.memory_full_info()
        status = {}
        with open(f"/proc/{process.pid}/status") as handle:
            for line in handle:
                key, _, value = line.partition(":")
                if key in {"RssAnon", "RssFile", "RssShmem"}:
                    status[key] = int(value.split()[0]) * 1024
        return cls(
            rss=info.rss,
            uss=info.uss,
            pss=info.pss,
            anon=status.get("RssAnon", 0) + status.get("RssShmem", 0),
            file=status.get("RssFile", 0),
        )

    def peak(self, other: Memory) -> Memory:
        return Memory(*(max(a, b) for a, b in zip(astuple(self), astuple(other), strict=True)))

    def mib(self) -> dict[str, int]:
        return {name: round(value / MIB) for name, value in asdict(self).items()}


class PeakSampler(threading.Thread):
    """Samples a process's memory every ``SAMPLE_S`` seconds and keeps the peaks."""

    def __init__(self, process: psutil.Process) -> None:
        super().__init__(daemon=True)
        self.process, self.peak, self._stop_event = process, Memory(), threading.Event()

    def run(self) -> None:
        while not self._stop_event.is_set():
            try:
                self.peak = self.peak.peak(Memory.of(self.process))
            except psutil.Error:
                return
            self._stop_event.wait(SAMPLE_S)

    def stop(self) -> Memory:
        self._stop_event.set()
        self.join(5)
        return self.peak


@dataclass
class CellCost:
    index: int
    first_line: str
    wall_s: float
    cpu_s: float


@dataclass
class LessonCost:
    lesson: str
    mode: str
    minutes: int
    wall_s: float
    cpu_s: float
    kernel_started: dict
    after_imports: dict
    peak: dict
    at_end: dict
    training: dict
    data: str
    load_before: float
    load_after: float
    cells: list = field(default_factory=list)


def _cpu_seconds(process: psutil.Process) -> float:
    times = process.cpu_times()
    return times.user + times.system + times.children_user + times.children_system


def run_lesson(path: Path, fast: bool, env: dict[str, str], committed: bool = True) -> LessonCost:
    """Execute ``path`` cell by cell in a fresh kernel: memory and CPU time.

    ``committed``: run the lesson as committed (a lesson being edited in this working tree
    may be half-way through), else as it is on disk.
    """
    import nbformat
    from nbclient import NotebookClient

    if committed:
        text = subprocess.run(
            ["git", "show", f"HEAD:{path.relative_to(ROOT).as_posix()}"],
            cwd=ROOT,
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    else:
        text = path.read_text(encoding="utf-8")
    nb = nbformat.reads(text, as_version=4)
    old = dict(os.environ)
    os.environ.update(env, MEDLAB_FAST="1" if fast else "0")
    client = NotebookClient(
        nb,
        timeout=CELL_TIMEOUT_S,
        kernel_name="python3",
        store_widget_state=False,
        resources={"metadata": {"path": str(path.parent)}},
        extra_arguments=["--IPKernelApp.capture_fd_output=False"],
    )
    load_before = os.getloadavg()[0]
    cells: list[CellCost] = []
    try:
        with client.setup_kernel():
            kernel = psutil.Process(client.km.provisioner.pid)
            started = Memory.of(kernel)
            sampler = PeakSampler(kernel)
            sampler.start()
            after_imports = None
            begin = time.perf_counter()
            for index, cell in enumerate(nb.cells):
                if cell.cell_type != "code":
                    continue
                cpu0, wall0 = _cpu_seconds(kernel), time.perf_counter()
                client.execute_cell(cell, index)
                cells.append(
                    CellCost(
                        index,
                        cell.source.strip().splitlines()[0][:60],
                        round(time.perf_counter() - wall0, 2),
                        round(_cpu_seconds(kernel) - cpu0, 2),
                    )
                )
                if after_imports is None:
                    after_imports = Memory.of(kernel)
            wall = time.perf_counter() - begin
            at_end = Memory.of(kernel)
            peak = sampler.stop().peak(at_end)
            cpu = sum(c.cpu_s for c in cells)
    finally:
        os.environ.clear()
        os.environ.update(old)
    training = max(cells, key=lambda c: c.cpu_s)
    text = json.dumps([c.get("outputs", []) for c in nb.cells])
    # Every printed result on data says real or SYNTHETIC (MNI152: REAL-DATA-DERIVED).
    kinds = {
        "real": re.search(r"\breal\b|REAL-DATA", text, re.IGNORECASE),
        "SYNTHETIC": "SYNTHETIC" in text,
    }
    data = " and ".join(kind for kind, found in kinds.items() if found) or "no"
    return LessonCost(
        lesson=path.stem,
        mode="fast" if fast else "full",
        minutes=int(nb.metadata.get("medlab", {}).get("minutes", 0)),
        wall_s=round(wall, 1),
        cpu_s=round(cpu, 1),
        kernel_started=started.mib(),
        after_imports=(after_imports or started).mib(),
        peak=peak.mib(),
        at_end=at_end.mib(),
        training={
            **asdict(training),
            "cores": round(training.cpu_s / training.wall_s, 2) if training.wall_s else 0,
        },
        data=data,
        load_before=round(load_before, 2),
        load_after=round(os.getloadavg()[0], 2),
        cells=[asdict(c) for c in cells],
    )


# -- the learner's Jupyter server ---------------------------------------------------------
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _call(url: str, method: str = "GET", body: dict | None = None) -> tuple[int, dict]:
    data = json.dumps(body).encode() if body is not None else (b"" if method != "GET" else None)
    request = urllib.request.Request(
        url, method=method, data=data, headers={"Authorization": "token capacity"}
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            text = response.read()
            status = response.status
    except urllib.error.HTTPError as exc:
        return exc.code, {}
    try:
        return status, json.loads(text or b"{}")
    except ValueError:
        return status, {}


def _get(url: str, method: str = "GET") -> int:
    return _call(url, method)[0]


def measure_server(tmp: Path) -> dict:
    """A JupyterLab server with MedLab, after the page, the catalog and opening lesson 00.

    It also starts lesson 00's kernel (a session, as opening the notebook does): the
    server then holds that kernel's connections. The kernel's own memory is measured
    with the lessons, not here.
    """
    root = tmp / "server_root"
    root.mkdir()
    port = _free_port()
    env = {
        **os.environ,
        "MEDLAB_PROGRESS_DIR": str(tmp / "server_progress"),
        "JUPYTER_CONFIG_DIR": str(tmp / "jupyter_config"),
        "JUPYTER_RUNTIME_DIR": str(tmp / "jupyter_runtime"),
    }
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "jupyterlab",
            f"--ServerApp.root_dir={root}",
            "--ServerApp.ip=127.0.0.1",
            f"--ServerApp.port={port}",
            "--ServerApp.port_retries=0",
            "--ServerApp.open_browser=False",
            "--IdentityProvider.token=capacity",
            "--ServerApp.allow_root=True",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if _get(f"{base}/api/status") == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline or server.poll() is not None:
                raise RuntimeError("the Jupyter server did not start within 120 s")
            time.sleep(0.3)
        process = psutil.Process(server.pid)
        idle = Memory.of(process)
        codes = [
            _get(f"{base}/lab"),
            _get(f"{base}/medlab/api/catalog"),
            _get(f"{base}/medlab/api/lessons/00_welcome/open", "POST"),
            _get(f"{base}/api/contents/00_welcome.ipynb"),
            _get(f"{base}/api/kernelspecs"),
        ]
        status, session = _call(
            f"{base}/api/sessions",
            "POST",
            {
                "path": "00_welcome.ipynb",
                "type": "notebook",
                "name": "",
                "kernel": {"name": "python3"},
            },
        )
        codes.append(status)
        if codes != [200, 200, 200, 200, 200, 201]:
            raise RuntimeError(f"the Jupyter server answered {codes}")
        time.sleep(3)
        used = Memory.of(process)
        _call(f"{base}/api/sessions/{session['id']}", "DELETE")
        return {"started": idle.mib(), "after_use": used.mib()}
    finally:
        server.terminate()
        try:
            server.wait(20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(10)


# -- capacity -----------------------------------------------------------------------------
def capacity(server: dict, lessons: list[LessonCost]) -> dict:
    """How many learners fit, lesson by lesson: memory, and CPU when trainings coincide.

    Assumes one running kernel per learner (the lesson the class is on; kernels of other
    lessons shut down or culled when idle) and the class on the same lesson.
    """
    served = server["after_use"]
    server_own = served["anon"] + HUB_SERVER_EXTRA / MIB
    # Files mapped by every learner's processes (libraries) are resident once.
    shared = max([served["file"]] + [lesson.peak["file"] for lesson in lessons])
    for_learners = (SERVER_MEMORY - SYSTEM_RESERVE - HUB_AND_PROXY) / MIB
    rows = {}
    for lesson in lessons:
        own = server_own + lesson.peak["anon"]
        everything = served["rss"] + HUB_SERVER_EXTRA / MIB + lesson.peak["rss"]
        cpu, alone = lesson.training["cpu_s"], lesson.training["wall_s"]
        rows[f"{lesson.lesson} {lesson.mode}"] = {
            "own_mib": round(own),
            "learners_by_memory": math.floor((for_learners - shared) / own),
            "learners_if_nothing_shared": math.floor(for_learners / everything),
            "training_cpu_s": cpu,
            "training_wall_s_alone": alone,
            "training_cores": lesson.training["cores"],
            # k trainings at once share the cores: each takes about max(alone, k * cpu / cores).
            "trainings_at_once_within_limit": math.floor(ACCEPTABLE_TRAINING_S * SERVER_CORES / cpu)
            if cpu
            else None,
            "wait_s_if_at_once": {
                k: round(max(alone, k * cpu / SERVER_CORES)) for k in (10, 20, 30)
            },
            "lesson_cpu_s": lesson.cpu_s,
            "lesson_minutes": lesson.minutes,
            "mean_cores_per_learner": round(lesson.cpu_s / (lesson.minutes * 60), 4)
            if lesson.minutes
            else None,
        }
    fast = {name: row for name, row in rows.items() if name.endswith(" fast")}
    limiting = min(fast, key=lambda name: fast[name]["learners_by_memory"]) if fast else None
    return {
        "assumptions": {
            "server_memory_gib": SERVER_MEMORY / GIB,
            "cores": SERVER_CORES,
            "system_reserve_gib": SYSTEM_RESERVE / GIB,
            "hub_and_proxy_mib": HUB_AND_PROXY / MIB,
            "hub_server_extra_mib": HUB_SERVER_EXTRA / MIB,
            "acceptable_training_s": ACCEPTABLE_TRAINING_S,
            "one_running_kernel_per_learner": True,
        },
        "server_own_mib": round(server_own),
        "shared_once_mib": shared,
        "lessons": rows,
        "class_size_fast_mode": fast[limiting]["learners_by_memory"] if limiting else None,
        "limited_by": limiting,
    }


def report(result: dict) -> None:
    """Print the capacity table."""
    c = result["capacity"]
    print(
        f"\nper learner: server {c['server_own_mib']} MiB of its own + the kernel's; "
        f"libraries {c['shared_once_mib']} MiB, resident once for the class"
    )
    print(
        f"{'lesson':<28} {'own MiB':>8} {'learners':>8} {'(no sharing)':>12} "
        f"{'training':>16} {'10/20/30 at once wait':>22}"
    )
    for name, row in c["lessons"].items():
        waits = "/".join(str(v) for v in row["wait_s_if_at_once"].values())
        print(
            f"{name:<28} {row['own_mib']:>8} {row['learners_by_memory']:>8} "
            f"{row['learners_if_nothing_shared']:>12} "
            f"{row['training_cpu_s']:>6.0f} CPU-s/{row['training_wall_s_alone']:>4.0f} s "
            f"{waits:>20} s"
        )
    print(
        f"class size in fast mode, by memory: {c['class_size_fast_mode']} "
        f"(limited by {c['limited_by']})"
    )


def _print_lesson(cost: LessonCost) -> None:
    t = cost.training
    print(
        f"{cost.lesson:<30} {cost.mode:>4} {cost.wall_s:6.0f} s wall {cost.cpu_s:6.0f} CPU-s | "
        f"kernel RSS start {cost.kernel_started['rss']:5d}, peak {cost.peak['rss']:5d}, "
        f"end {cost.at_end['rss']:5d}, anon peak {cost.peak['anon']:5d} MiB | training: cell {t['index']} {t['cpu_s']:.0f} CPU-s "
        f"in {t['wall_s']:.0f} s ({t['cores']:.2f} cores) | {cost.data} data | "
        f"load {cost.load_before:.1f}->{cost.load_after:.1f}",
        flush=True,
    )


def recompute(files: list[Path], out: Path) -> int:
    """The capacity from stored measurements (server from the first file)."""
    stored = [json.loads(path.read_text()) for path in files]
    result = {key: stored[0][key] for key in ("machine", "server")}
    lessons: dict[tuple[str, str], LessonCost] = {}
    for data in stored:
        for item in data.get("lessons", []):
            lessons[item["lesson"], item["mode"]] = LessonCost(**item)
    result["lessons"] = [asdict(cost) for cost in lessons.values()]
    result["sources"] = [str(path) for path in files]
    result["capacity"] = capacity(result["server"], list(lessons.values()))
    out.write_text(json.dumps(result, indent=1))
    report(result)
    print(f"wrote {out}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--lessons",
        nargs="+",
        default=list(DEFAULT_LESSONS),
        help="lesson number prefixes (default: %(default)s)",
    )
    parser.add_argument("--full", action="store_true", help="full mode too (slow)")
    parser.add_argument(
        "--out",
        default="class_capacity.json",
        help="JSON file name in tests/artifacts (default: %(default)s)",
    )
    parser.add_argument(
        "--on-disk",
        action="store_true",
        help="run the lessons as they are on disk, not as committed",
    )
    parser.add_argument(
        "--recompute",
        nargs="+",
        metavar="JSON",
        type=Path,
        help="only recompute the capacity from these files' measurements "
        "(later files replace a lesson and mode of earlier ones)",
    )
    args = parser.parse_args(argv)
    if args.recompute:
        return recompute(args.recompute, ARTIFACTS / args.out)
    paths = []
    for prefix in args.lessons:
        matches = sorted((ROOT / "lessons").glob(f"{prefix}*.ipynb"))
        if len(matches) != 1:
            parser.error(f"{prefix!r} matches {[m.name for m in matches]}")
        paths.append(matches[0])
    modes = [True, False] if args.full else [True]
    result: dict = {
        "machine": {
            "cpus": os.cpu_count(),
            "memory_gib": round(psutil.virtual_memory().total / GIB, 1),
            "processor": platform.processor() or platform.machine(),
            "load_at_start": round(os.getloadavg()[0], 2),
        }
    }
    with tempfile.TemporaryDirectory(prefix="medlab-capacity-") as name:
        tmp = Path(name)
        result["server"] = measure_server(tmp)
        print(f"Jupyter server with MedLab: {result['server']}", flush=True)
        env = private_environment(tmp / "lessons")
        lessons, failed = [], []
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        out = ARTIFACTS / args.out
        for fast in modes:
            for path in paths:
                try:
                    with cpu_lock():
                        cost = run_lesson(path, fast, env, committed=not args.on_disk)
                except Exception as exc:  # one broken lesson must not lose the others
                    failed.append(
                        f"{path.stem} ({'fast' if fast else 'full'}): "
                        f"{type(exc).__name__}: {str(exc)[-300:]}"
                    )
                    print(f"{path.stem}: FAILED, {failed[-1]}", flush=True)
                    continue
                _print_lesson(cost)
                lessons.append(cost)
                result["lessons"] = [asdict(cost) for cost in lessons]
                out.write_text(json.dumps(result, indent=1))  # kept whatever follows
    result["failed"] = failed
    if not any(cost.mode == "fast" for cost in lessons):
        print("no lesson ran in fast mode: no capacity estimate", file=sys.stderr)
        return 1
    result["capacity"] = capacity(result["server"], lessons)
    out.write_text(json.dumps(result, indent=1))
    report(result)
    print(f"wrote {out.relative_to(ROOT)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
