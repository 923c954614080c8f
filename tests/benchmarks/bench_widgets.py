"""Widget responsiveness: time from a control change to the new image being ready.

Run::

    python tests/benchmarks/bench_widgets.py            # prints a table
    python tests/benchmarks/bench_widgets.py --json out.json
    python tests/benchmarks/bench_widgets.py --browser  # + the 3D view in headless Chromium
    pytest -m benchmark tests/benchmarks/bench_widgets.py   # asserts the targets

For each scenario a MedLab widget control is set programmatically (as a slider drag
does) and the time until the widget's PNG bytes are updated is measured; in the same
run, the same view is redrawn the naive way (a new matplotlib figure with ``imshow``
of the windowed slice and the mask overlay, saved as PNG, as ``interact`` + inline
plotting does). Medians over ``--repeat`` changes, each to a new slider value.

The data are a synthetic CT-like phantom (a body ellipse in HU with noise and a
spherical "lesion" mask), made here; not patient data.

Targets (issue 3): median under 30 ms for a 512×512 slice, and at least 3× faster
than the naive redraw.

The offline 3D view (issue 12): in the kernel, the time to build it (NIfTI and label
meshes) and a cursor change with it open (three planes redrawn and the 3D crosshair
sent); with ``--browser``, the browser test ``tests/browser/widgets.spec.ts`` renders
VolumeViewer's 3D view of the real lung CT in headless Chromium (WebGL on SwiftShader,
network blocked) and times its first draw and a cursor change (a click in a plane) to
the new 3D frame, which this script reads back from ``tests/artifacts``.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import statistics
import subprocess
import time
from pathlib import Path

import numpy as np


def phantom(shape: tuple[int, ...], seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Synthetic CT-like volume in HU (air, soft tissue ellipse, bone rim) and a lesion mask."""
    rng = np.random.default_rng(seed)
    grids = np.meshgrid(*[np.linspace(-1, 1, n, dtype=np.float32) for n in shape], indexing="ij")
    r2 = sum((g / a) ** 2 for g, a in zip(grids, (0.9, 0.7, 0.9)[-len(shape) :], strict=True))
    hu = np.full(shape, -1000.0, np.float32)
    hu[r2 < 1.0] = 40.0
    hu[(r2 > 0.9) & (r2 < 1.0)] = 700.0
    lesion = sum((g - 0.2) ** 2 for g in grids) < 0.04
    hu[lesion] = 80.0
    hu += rng.normal(0, 20, shape).astype(np.float32)
    return hu, lesion


def _median_ms(fn, values) -> float:
    times = []
    for v in values:
        t0 = time.perf_counter()
        fn(v)
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def naive_redraw(planes, masks, center, width) -> bytes:
    """A new matplotlib figure per change: imshow the window, overlay the mask, save PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(
        1, len(planes), figsize=(5.12 * len(planes), 5.12), dpi=100, squeeze=False
    )
    for ax, plane, mask in zip(axes[0], planes, masks, strict=True):
        ax.imshow(plane, cmap="gray", vmin=center - width / 2, vmax=center + width / 2)
        ax.imshow(np.ma.masked_where(~mask, mask), cmap="autumn", alpha=0.4)
        ax.axis("off")
    buf = io.BytesIO()
    fig.savefig(buf, format="png", bbox_inches="tight")  # what the inline backend does
    plt.close(fig)
    return buf.getvalue()


def run(repeat: int = 30) -> list[dict]:
    from medlab.widgets import SliceViewer, ThresholdExplorer, VolumeViewer

    rows = []
    widths = np.linspace(300, 1800, repeat)

    # 1. 512×512 slice: window width slider
    img, mask = phantom((512, 512))
    viewer = SliceViewer(img, window="soft_tissue", overlays=mask, units="HU")
    fast = _median_ms(lambda w: setattr(viewer.controls.width, "value", float(w)), widths)
    naive = _median_ms(lambda w: naive_redraw([img], [mask], 40.0, float(w)), widths[:10])
    rows.append({"scenario": "512×512 slice, window change", "medlab_ms": fast, "naive_ms": naive})

    # 2. 256³ volume: slice slider
    vol, lesion = phantom((256, 256, 256))
    viewer3 = SliceViewer(vol, window="soft_tissue", overlays=lesion, units="HU")
    idx = np.linspace(20, 235, repeat).astype(int)
    fast = _median_ms(lambda i: setattr(viewer3.slice_slider, "value", int(i)), idx)
    naive = _median_ms(lambda i: naive_redraw([vol[i]], [lesion[i]], 40.0, 400.0), idx[:10])
    rows.append({"scenario": "256³ volume, slice change", "medlab_ms": fast, "naive_ms": naive})

    # 3. 256³ volume, three linked planes: axial cursor
    vv = VolumeViewer(vol, lesion.astype(np.uint8), window="soft_tissue", units="HU", mode="planes")
    fast = _median_ms(lambda i: setattr(vv.z_slider, "value", int(i)), idx)
    y, x = vv.y_slider.value, vv.x_slider.value
    naive = _median_ms(
        lambda i: naive_redraw(
            [vol[i], vol[:, y, :], vol[:, :, x]],
            [lesion[i], lesion[:, y, :], lesion[:, :, x]],
            40.0,
            400.0,
        ),
        idx[:10],
    )
    rows.append(
        {"scenario": "256³ volume, 3 planes, cursor change", "medlab_ms": fast, "naive_ms": naive}
    )

    # 3b. the same with the offline 3D view open: planes + the 3D crosshair message
    t0 = time.perf_counter()
    vv3d = VolumeViewer(vol, lesion.astype(np.uint8), window="soft_tissue", units="HU", mode="3d")
    build = (time.perf_counter() - t0) * 1000
    rows.append(
        {
            "scenario": "256³ volume, 3D view built (NIfTI + mesh)",
            "medlab_ms": build,
            "naive_ms": None,
        }
    )
    fast = _median_ms(lambda i: setattr(vv3d.z_slider, "value", int(i)), idx)
    rows.append(
        {
            "scenario": "256³ volume, 3 planes + 3D, cursor change",
            "medlab_ms": fast,
            "naive_ms": None,
        }
    )

    # 4. ROC operating point (a plot widget; matplotlib, blitted)
    rng = np.random.default_rng(0)
    y_true = rng.integers(0, 2, 1000)
    scores = np.clip(0.3 * y_true + rng.normal(0.35, 0.2, 1000), 0, 1)
    te = ThresholdExplorer(y_true, scores)
    fast = _median_ms(
        lambda t: setattr(te.threshold_slider, "value", float(t)), np.linspace(0.1, 0.9, repeat)
    )
    rows.append(
        {
            "scenario": "ROC threshold change (ThresholdExplorer)",
            "medlab_ms": fast,
            "naive_ms": None,
        }
    )
    for r in rows:
        r["speedup"] = r["naive_ms"] / r["medlab_ms"] if r["naive_ms"] else None
    return rows


ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"


def browser_rows(run_browser: bool) -> list[dict]:
    """The 3D view's timings in headless Chromium (runs the browser test when asked)."""
    if run_browser:
        root = Path(__file__).resolve().parents[2]
        subprocess.run(
            ["bash", "tests/browser/run.sh", "widgets", "-g", "3D view"], cwd=root, check=True
        )
    found = ARTIFACTS / "widget-3d-timings.json"
    if not found.exists():
        return []
    t = json.loads(found.read_text())
    return [
        {
            "scenario": "real CT 3D view: first draw (browser)",
            "medlab_ms": t["3d_first_draw_ms"],
            "naive_ms": None,
        },
        {
            "scenario": "real CT 3D: click in a plane → 3D frame",
            "medlab_ms": t["click_to_3d_frame_ms"],
            "naive_ms": None,
        },
        {
            "scenario": "real CT 3D: rotate (slider) → 3D frame",
            "medlab_ms": t["rotate_to_frame_ms"],
            "naive_ms": None,
        },
    ]


def _cpu() -> str:
    try:
        with open("/proc/cpuinfo") as fh:
            model = next(line.split(":", 1)[1].strip() for line in fh if "model name" in line)
    except (OSError, StopIteration):
        model = platform.processor() or platform.machine()
    return f"{model}, {os.cpu_count()} cores"


def table(rows: list[dict]) -> str:
    lines = [f"{'scenario':<44} {'medlab ms':>10} {'naive ms':>10} {'speed-up':>9}"]
    for r in rows:
        naive = f"{r['naive_ms']:.1f}" if r["naive_ms"] else "—"
        speed = f"{r['speedup']:.1f}×" if r.get("speedup") else "—"
        lines.append(f"{r['scenario']:<44} {r['medlab_ms']:>10.1f} {naive:>10} {speed:>9}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=30, help="control changes per scenario")
    parser.add_argument("--json", help="also write the results to this file")
    parser.add_argument(
        "--browser",
        action="store_true",
        help="also render the 3D view in headless Chromium (tests/browser)",
    )
    args = parser.parse_args(argv)
    rows = run(args.repeat)
    rows += browser_rows(args.browser)
    print(
        f"medians over {args.repeat} changes (naive redraw: 10) · {_cpu()} · "
        f"Python {platform.python_version()}"
    )
    print(table(rows))
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(rows, fh, indent=2)
    return 0


try:  # collected only when pytest is pointed at this file (benchmarks are norecursedirs)
    import pytest

    @pytest.mark.benchmark
    def test_widget_latency_targets():
        rows = {r["scenario"]: r for r in run(repeat=15)}
        print(table(list(rows.values())))
        slice512 = rows["512×512 slice, window change"]
        assert slice512["medlab_ms"] < 30
        with3d = rows["256³ volume, 3 planes + 3D, cursor change"]
        assert with3d["medlab_ms"] < rows["256³ volume, 3 planes, cursor change"]["medlab_ms"] + 20
        for r in rows.values():
            if r["naive_ms"]:
                assert r["speedup"] >= 3, r
except ImportError:  # pragma: no cover - running the script without pytest installed
    pass


if __name__ == "__main__":
    raise SystemExit(main())
