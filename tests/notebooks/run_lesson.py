"""Execute lesson notebooks in place, as CI will check them: the one way to store outputs.

    .venv/bin/python tests/notebooks/run_lesson.py 05            # execute lessons/05_*.ipynb
    .venv/bin/python tests/notebooks/run_lesson.py 05 --check    # then strict nbval of it and
                                                                 # of its learner version
    .venv/bin/python tests/notebooks/run_lesson.py 05 --check-only

Runs exactly like `make test-notebooks`: fast mode (``MEDLAB_FAST=1``),
``TF_CPP_MIN_LOG_LEVEL=1``, a private progress folder and a private data folder into which
the real datasets from the user's cache are linked (so a developer's MedMNIST downloads do not
change the outputs). Widget state is not stored (it can embed megabytes of JavaScript); the
widgets leave static images instead. Only one lesson executes at a time on this machine: the
script holds ``/tmp/medlab-cpu.lock`` while a kernel runs (two trainings at once would make
both slow and change timings).
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LESSONS = ROOT / "lessons"
LOCK = Path(tempfile.gettempdir()) / "medlab-cpu.lock"
CELL_TIMEOUT = 240
SIZE_WARNING = 1_000_000


@contextlib.contextmanager
def cpu_lock():
    """Hold the machine-wide lock that serialises lesson runs and trainings."""
    with open(LOCK, "a+") as handle:
        started = time.perf_counter()
        fcntl.flock(handle, fcntl.LOCK_EX)
        waited = time.perf_counter() - started
        if waited > 1:
            print(f"[run_lesson] waited {waited:.0f} s for {LOCK}", flush=True)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def private_environment(tmp: Path) -> dict[str, str]:
    """The environment of `make test-notebooks`, with a private data and progress folder."""
    sys.path.insert(0, str(ROOT))
    from medlab.config import config

    cache = config.cache_dir
    linked = tmp / "data" / "datasets"
    linked.mkdir(parents=True)
    for folder in cache.glob("*-*/"):
        (linked / folder.name).symlink_to(folder)
    env = dict(os.environ)
    env.update(
        MEDLAB_FAST="1",
        TF_CPP_MIN_LOG_LEVEL="1",
        MEDLAB_DATA_DIR=str(tmp / "data"),
        MEDLAB_PROGRESS_DIR=str(tmp / "progress"),
        PYTHONDONTWRITEBYTECODE="1",
    )
    return env


def execute(path: Path, env: dict[str, str]) -> float:
    """Execute ``path`` in a fresh kernel and write the outputs back; return seconds."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    old = dict(os.environ)
    os.environ.update(env)
    try:
        client = NotebookClient(
            nb,
            timeout=CELL_TIMEOUT,
            kernel_name="python3",
            store_widget_state=False,
            resources={"metadata": {"path": str(path.parent)}},
            # Lines that libraries write straight to file descriptor 2 (TensorFlow's
            # "oneDNN custom operations are on" on AVX-512 machines, printed whatever
            # TF_CPP_MIN_LOG_LEVEL says) stay out of the stored outputs: nbval under
            # pytest never captures them, so a stored copy could never match.
            extra_arguments=["--IPKernelApp.capture_fd_output=False"],
        )
        start = time.perf_counter()
        client.execute()
        took = time.perf_counter() - start
    finally:
        os.environ.clear()
        os.environ.update(old)
    nb.metadata.pop("widgets", None)
    nbformat.write(nb, path)
    size = path.stat().st_size
    note = " (over 1 MB: keep stored outputs small)" if size > SIZE_WARNING else ""
    print(f"[run_lesson] {path.name}: executed in {took:.0f} s, {size // 1024} KB{note}")
    return took


def check(path: Path, env: dict[str, str], tmp: Path) -> int:
    """Strict nbval of the lesson and of its learner version, as in `make test-notebooks`."""
    venv_bin = Path(sys.executable).parent
    sanitize = ROOT / "tests" / "notebooks" / "sanitize.cfg"
    common = [
        "-p",
        "no:cacheprovider",
        "-q",
        "--nbval-sanitize-with",
        str(sanitize),
        f"--nbval-cell-timeout={CELL_TIMEOUT}",
    ]
    rc = subprocess.call(
        [str(venv_bin / "pytest"), "--nbval", str(path), *common], env=env, cwd=ROOT
    )
    if rc:
        return rc
    learner = tmp / "learner"
    subprocess.check_call(
        [
            str(venv_bin / "medlab"),
            "lessons",
            "build-learner",
            str(learner),
            "--from",
            str(path.parent),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
    )
    env = dict(env, MEDLAB_PROGRESS_DIR=str(tmp / "progress-learner"))
    return subprocess.call(
        [
            str(venv_bin / "pytest"),
            "--nbval",
            str(learner / path.name),
            *common,
            f"--rootdir={tmp}",
            "-c",
            "/dev/null",
        ],
        env=env,
        cwd=ROOT,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("lessons", nargs="+", help="lesson numbers or name prefixes (05, A1)")
    parser.add_argument("--check", action="store_true", help="nbval both versions afterwards")
    parser.add_argument("--check-only", action="store_true", help="only run nbval")
    args = parser.parse_args(argv)
    status = 0
    for prefix in args.lessons:
        matches = sorted(LESSONS.glob(f"{prefix}*.ipynb"))
        if len(matches) != 1:
            print(f"[run_lesson] {prefix!r} matches {[m.name for m in matches]}", file=sys.stderr)
            return 2
        path = matches[0]
        with tempfile.TemporaryDirectory(prefix="medlab-lesson-") as tmp_name:
            tmp = Path(tmp_name)
            env = private_environment(tmp)
            with cpu_lock():
                if not args.check_only:
                    execute(path, env)
                if args.check or args.check_only:
                    rc = check(path, env, tmp)
                    print(f"[run_lesson] {path.name}: nbval {'passed' if rc == 0 else 'FAILED'}")
                    status = status or rc
    return status


if __name__ == "__main__":
    sys.exit(main())
