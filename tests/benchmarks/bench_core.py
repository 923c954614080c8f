"""Core benchmarks: ``import medlab`` time and CPU training throughput.

Run with ``make bench`` (or ``python tests/benchmarks/bench_core.py``). Prints a table
and writes ``tests/artifacts/bench_core.json``. Figures go into the README.

- import time: median of 7 fresh interpreters running ``import medlab`` (and, for
  comparison, ``import keras``).
- training throughput: images per second of ``model.fit`` after a warm-up epoch, for
  ``seed_cnn`` at 150×150×3 and 64×64×1 and a depth-3, 16-filter ``unet`` at 128×128×1.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

ROOT = Path(__file__).resolve().parents[2]


def import_time(module: str, repeats: int = 7) -> float:
    """Median wall time (s) of a fresh interpreter importing ``module``, minus a bare start."""

    def run(code: str) -> float:
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)
        return time.perf_counter() - start

    bare = statistics.median(run("pass") for _ in range(repeats))
    full = statistics.median(run(f"import {module}") for _ in range(repeats))
    return full - bare


def throughput(build, x, y, batch_size: int, epochs: int = 2) -> float:
    """Images per second of the last of ``epochs`` epochs of ``fit`` (the first warms up)."""
    import keras

    class Timer(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.start = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            self.seconds = time.perf_counter() - self.start

    model = build()
    timer = Timer()
    model.fit(x, y, batch_size=batch_size, epochs=epochs, verbose=0, callbacks=[timer])
    return len(x) / timer.seconds


def main() -> dict:
    import numpy as np

    results: dict[str, float] = {}
    results["import medlab (s)"] = import_time("medlab")
    results["import keras (s)"] = import_time("keras", repeats=3)

    from medlab import models

    rng = np.random.default_rng(0)
    x = rng.random((256, 150, 150, 3), dtype=np.float32)
    y = rng.integers(0, 2, 256)
    results["seed_cnn 150×150×3, batch 32 (images/s)"] = throughput(
        lambda: models.seed_cnn((150, 150, 3)), x, y, batch_size=32
    )
    x = rng.random((1024, 64, 64, 1), dtype=np.float32)
    y = rng.integers(0, 2, 1024)
    results["seed_cnn 64×64×1, batch 64 (images/s)"] = throughput(
        lambda: models.seed_cnn((64, 64, 1)), x, y, batch_size=64
    )
    x = rng.random((128, 128, 128, 1), dtype=np.float32)
    m = (rng.random((128, 128, 128, 1)) > 0.5).astype(np.float32)
    start = time.perf_counter()
    models.unet((128, 128, 1), depth=3, base_filters=16)
    results["unet depth 3, 16 filters: build (s)"] = time.perf_counter() - start
    results["unet 128×128×1 depth 3, 16 filters, batch 16 (images/s)"] = throughput(
        lambda: models.unet((128, 128, 1), depth=3, base_filters=16), x, m, batch_size=16
    )

    width = max(len(k) for k in results)
    print(
        f"MedLab core benchmarks — {platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} cores, Python {platform.python_version()}"
    )
    for k, v in results.items():
        print(f"  {k:<{width}}  {v:8.2f}")
    out = ROOT / "tests" / "artifacts"
    out.mkdir(parents=True, exist_ok=True)
    (out / "bench_core.json").write_text(json.dumps(results, indent=2, ensure_ascii=False))
    return results


if __name__ == "__main__":
    main()
