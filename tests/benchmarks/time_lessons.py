"""Time every lesson notebook, top to bottom, in a fresh kernel.

    python tests/benchmarks/time_lessons.py            # fast mode (MEDLAB_FAST=1), all lessons
    python tests/benchmarks/time_lessons.py --full     # full mode (what a learner gets)
    python tests/benchmarks/time_lessons.py 05 07      # only lessons whose name starts so

Prints one line per lesson (wall seconds, kernel start included) and writes
``tests/artifacts/lesson_times_{fast,full}.json``. Progress is recorded in a throw-away folder.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def time_notebook(path: Path, fast: bool, timeout: int) -> float:
    """Execute ``path`` in a new kernel and return the wall time in seconds."""
    import nbformat
    from nbclient import NotebookClient

    os.environ["MEDLAB_FAST"] = "1" if fast else "0"
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "1")
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
    )
    start = time.perf_counter()
    client.execute()
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("prefixes", nargs="*", help="lesson name prefixes (default: all)")
    parser.add_argument("--full", action="store_true", help="full mode instead of fast mode")
    parser.add_argument("--timeout", type=int, default=600, help="per-cell timeout (s)")
    args = parser.parse_args(argv)
    lessons = sorted((ROOT / "lessons").glob("*.ipynb"))
    if args.prefixes:
        lessons = [p for p in lessons if p.name.startswith(tuple(args.prefixes))]
    mode = "full" if args.full else "fast"
    results: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as progress:
        os.environ["MEDLAB_PROGRESS_DIR"] = progress
        for path in lessons:
            seconds = time_notebook(path, fast=not args.full, timeout=args.timeout)
            results[path.stem] = round(seconds, 1)
            print(f"{path.stem:<32} {mode:>4} {seconds:7.1f} s", flush=True)
    out = ROOT / "tests" / "artifacts"
    out.mkdir(parents=True, exist_ok=True)
    (out / f"lesson_times_{mode}.json").write_text(json.dumps(results, indent=2))
    return results


if __name__ == "__main__":
    sys.exit(0 if main() else 1)
