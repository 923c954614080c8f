"""Figures that survive an export: lessons with widgets, as HTML, still show them.

A notebook saved without widget state (as the course stores its lessons) and exported
with nbconvert shows each widget's stored picture where the widget was (issue 12 item 3).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbconvert import HTMLExporter

ROOT = Path(__file__).resolve().parents[2]
VIEW = "application/vnd.jupyter.widget-view+json"


def widget_pictures(nb) -> list[tuple[str, str]]:
    """(summary, base64 PNG) of every widget output of a notebook."""
    found = []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            if VIEW in data:
                assert "image/png" in data, f"a widget output without a picture: {data}"
                found.append((data["text/plain"], data["image/png"]))
    return found


def images_in(html: str) -> list[str]:
    return re.findall(r'<img [^>]*src="data:image/png;base64,([^"]+)"', html)


@pytest.mark.parametrize(
    ("lesson", "widgets"),
    [
        ("00_welcome", ["SliceViewer"]),
        (
            "A1_widget_gallery",
            [
                "SliceViewer",
                "SliceViewer",
                "VolumeViewer",
                "KernelPlayground",
                "LossExplorer",
                "TrainingMonitor",
                "ThresholdExplorer",
                "FeatureMapExplorer",
                "GradCAMViewer",
                "SegmentationOverlay",
            ],
        ),
    ],
)
def test_a_stored_lesson_exported_to_html_shows_every_widget_as_a_picture(lesson, widgets):
    path = ROOT / "lessons" / f"{lesson}.ipynb"
    nb = nbformat.read(path, as_version=4)
    assert "widgets" not in nb.metadata  # stored without widget state (no 5 MB scripts)
    pictures = widget_pictures(nb)
    assert [summary.split("(")[0] for summary, _ in pictures] == widgets
    html, _ = HTMLExporter().from_notebook_node(nb)
    shown = images_in(html)
    for summary, png in pictures:
        assert png in shown, f"{summary}: its picture is not in the HTML"
    # no widget state, so no widget's script (NiiVue's is 5 MB) travels with the page
    assert "application/vnd.jupyter.widget-state+json" not in html
    assert len(html) < 2_000_000 and path.stat().st_size < 1_000_000


def test_a_lesson_executed_by_nbconvert_exports_its_widgets_final_view(tmp_path):
    env = dict(
        os.environ,
        MEDLAB_FAST="1",
        MEDLAB_PROGRESS_DIR=str(tmp_path / "progress"),
        TF_CPP_MIN_LOG_LEVEL="1",
        PYTHONDONTWRITEBYTECODE="1",
    )
    subprocess.run(
        [
            sys.executable,
            "-m",
            "jupyter",
            "nbconvert",
            "--to",
            "html",
            "--execute",
            "--ExecutePreprocessor.timeout=240",
            "--ExecutePreprocessor.store_widget_state=False",
            "--output-dir",
            str(tmp_path),
            str(ROOT / "lessons" / "00_welcome.ipynb"),
        ],
        check=True,
        env=env,
        cwd=tmp_path,
        capture_output=True,
        timeout=600,
    )
    html = (tmp_path / "00_welcome.html").read_text(encoding="utf-8")
    shown = images_in(html)
    assert len(shown) == 2  # the lesson's matplotlib figure and the SliceViewer's picture
    assert VIEW not in html  # no widget left to draw: the picture stands in for it
    # the SliceViewer's picture is its last view: the bone window that a later cell chose,
    # drawn (with its caption) exactly as the same viewer draws it here
    from pydicom.data import get_testdata_file

    from medlab.io import read_dicom
    from medlab.widgets import SliceViewer

    ct = read_dicom(get_testdata_file("CT_small.dcm"))
    bone = SliceViewer(ct.array, spacing=ct.spacing, window="bone")
    data, metadata = bone.static_bundle()
    assert "window 400/1800 (bone)" in metadata["image/png"]["alt"]
    assert data["image/png"] in shown
