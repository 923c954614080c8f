"""Figures that survive: every widget's output also holds a picture of its view.

A notebook saved without widget state, opened on a static viewer or exported to HTML
shows the image/png of each widget output; nbval compares only text/plain, which must
not change with the view (issue 12 item 3).
"""

from __future__ import annotations

import base64
import io

import nbformat
import numpy as np
import pytest
from nbclient import NotebookClient
from PIL import Image

from medlab.render import decode_png
from medlab.widgets import (
    KernelPlayground,
    LossExplorer,
    ScatterExplorer,
    SegmentationOverlay,
    SliceViewer,
    ThresholdExplorer,
    VolumeViewer,
    _base,
)
from medlab.widgets._base import static_png

VIEW = "application/vnd.jupyter.widget-view+json"


def _widgets():
    rng = np.random.default_rng(0)
    ct = rng.uniform(-1000, 1000, (6, 40, 30)).astype(np.float32)
    mask = np.zeros(ct.shape, bool)
    mask[2:4, 10:20, 10:20] = True
    y = rng.integers(0, 2, 80)
    return {
        "SliceViewer": SliceViewer(
            ct, window="lung", units="HU", overlays={"mask": mask, "name": "lesion"}
        ),
        "VolumeViewer": VolumeViewer(ct, mask, units="HU", mode="planes"),
        "SegmentationOverlay": SegmentationOverlay(ct, mask, rng.uniform(0, 1, ct.shape)),
        "KernelPlayground": KernelPlayground(ct[3], kernel="edges"),
        "LossExplorer": LossExplorer(),
        "ThresholdExplorer": ThresholdExplorer(y, np.clip(0.3 * y + rng.uniform(0, 0.7, 80), 0, 1)),
        "ScatterExplorer": ScatterExplorer(
            rng.normal(size=(20, 2)), rng.uniform(size=(20, 8, 8)), rng.integers(0, 2, 20)
        ),
    }


@pytest.fixture(scope="module")
def widgets():
    return _widgets()


@pytest.mark.parametrize("name", sorted(_widgets()))
def test_each_widget_output_holds_its_view_a_picture_and_a_stable_summary(widgets, name):
    widget = widgets[name]
    data, metadata = widget.static_bundle()
    assert set(data) == {VIEW, "image/png", "text/plain"}  # always the same three
    assert data["text/plain"] == widget.summary() == repr(widget)
    png = base64.b64decode(data["image/png"])
    picture = Image.open(io.BytesIO(png))
    assert picture.mode == "P" and len(png) < 90_000  # a small palette PNG
    alt = metadata["image/png"]["alt"]
    assert alt == widget.alt_text() and len(alt) > 40
    assert (picture.width, picture.height) == (
        metadata["image/png"]["width"],
        metadata["image/png"]["height"],
    )
    assert widget._repr_mimebundle_() == data


def test_the_picture_shows_the_view_under_a_caption_of_its_alt_text(widgets):
    viewer = widgets["SliceViewer"]
    data, metadata = viewer.static_bundle()
    rgb = np.asarray(Image.open(io.BytesIO(base64.b64decode(data["image/png"]))).convert("RGB"))
    width, height = viewer.display_size  # 30 columns of 1 mm, 40 rows of 1 mm: 360 x 480
    assert rgb.shape[1] == max(width, 240) and rgb.shape[0] > height
    caption = rgb[: rgb.shape[0] - height]
    assert caption.mean() > 200 and (caption < 100).any()  # dark text on white
    view = rgb[rgb.shape[0] - height :, :width].astype(int)
    expected = np.asarray(
        Image.fromarray(decode_png(viewer.image_widget.value)).resize(
            (width, height), Image.Resampling.NEAREST
        )
    ).astype(int)
    assert np.abs(view - expected).mean() < 6  # the same picture, in 128 colours
    assert "window -600/1500 HU (lung)" in metadata["image/png"]["alt"]
    assert "lesion (sky blue outline and fill)" in metadata["image/png"]["alt"]


def test_charts_are_transparent_and_marked_for_a_light_background(widgets):
    for name in ("LossExplorer", "ThresholdExplorer"):
        widget = widgets[name]
        assert widget.plot.figure  # inverted in a dark theme by the Picture's CSS
        assert decode_png(widget.plot.value).shape[2] == 4
        assert decode_png(widget.plot.value)[0, 0, 3] == 0  # no white box
        _, metadata = widget.static_bundle()
        assert metadata["image/png"]["needs_background"] == "light"
    _, metadata = widgets["SliceViewer"].static_bundle()
    assert "needs_background" not in metadata["image/png"]


def test_alt_texts_say_what_each_view_shows(widgets):
    seg = widgets["SegmentationOverlay"]
    assert f"Dice {seg.scores['dice_slice']:.3f}" in seg.image_widget.alt
    assert "truth only (missed) in sky blue" in seg.image_widget.alt
    roc = widgets["ThresholdExplorer"]
    assert f"AUC {roc.auc:.3f}" in roc.plot.alt and "threshold 0.500" in roc.plot.alt
    vol = widgets["VolumeViewer"]
    assert vol.images["coronal"].alt.startswith("Coronal plane y=20 of 40 (head up")
    loss = widgets["LossExplorer"]
    assert "positive example is at ŷ=0.800" in loss.plot.alt


def test_static_png_shrinks_large_views_and_keeps_transparency():
    big = np.zeros((1000, 2000, 3), np.uint8)
    png, (w, h) = static_png(big, "a caption")
    assert w == 560 and h > 280
    rgba = np.zeros((50, 60, 4), np.uint8)
    png, _ = static_png(rgba)
    assert "transparency" in Image.open(io.BytesIO(png)).info or Image.open(
        io.BytesIO(png)
    ).mode in ("RGBA", "PA")


def test_changes_outside_a_cell_do_not_replace_the_picture(widgets, monkeypatch):
    viewer = widgets["SliceViewer"]
    monkeypatch.setattr(viewer, "_display_id", "some-display")
    monkeypatch.setattr(_base, "_IN_CELL", [False])  # a drag in the browser: a comm message
    monkeypatch.setattr(_base, "_PENDING", {})
    viewer.slice_slider.value = 1
    assert _base._PENDING == {}
    _base._IN_CELL[0] = True  # a cell sets it
    viewer.slice_slider.value = 2
    assert list(_base._PENDING.values()) == [viewer]


def test_a_later_cell_replaces_the_stored_picture_once_and_keeps_the_summary():
    nb = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_code_cell(c)
            for c in (
                "import numpy as np\nfrom medlab.widgets import SliceViewer\n"
                "ct = np.linspace(-1000, 1000, 40 * 30, dtype=np.float32).reshape(40, 30)\n"
                "viewer = SliceViewer(ct, window='lung', units='HU')\nviewer",
                "viewer.controls.preset.value = 'bone'\nviewer.controls.preset.value = 'brain'\n"
                "viewer.controls.preset.value = 'bone'",
                "x = 1",
            )
        ]
    )
    client = NotebookClient(nb, kernel_name="python3", timeout=120)
    updates = []
    update_display = client._update_display_id

    def recording(display_id, msg):
        if msg["header"]["msg_type"] == "update_display_data":
            updates.append(display_id)
        return update_display(display_id, msg)

    client._update_display_id = recording
    client.execute()
    (out,) = nb.cells[0].outputs
    assert out["output_type"] == "display_data"
    assert set(out["data"]) == {VIEW, "image/png", "text/plain"}
    assert out["data"]["text/plain"].startswith("SliceViewer(shape=(40, 30)")
    alt = out["metadata"]["image/png"]["alt"]
    assert "window 400/1800 HU (bone)" in alt  # the last view, not the first (lung)
    assert nb.cells[1].outputs == [] and nb.cells[2].outputs == []
    assert len(updates) == 1  # one replacement, after the cell that changed it (3 changes)

    ct = np.linspace(-1000, 1000, 40 * 30, dtype=np.float32).reshape(40, 30)
    bone = SliceViewer(ct, window="bone", units="HU")
    assert out["data"]["image/png"] == bone.static_bundle()[0]["image/png"]


def test_caption_font_draws_the_signs_captions_use():
    # Pillow's own font draws a missing-glyph box for these; a box is the same for all of
    # them, so every sign must differ from a private-use character (no font has a glyph).
    from medlab.widgets._base import _caption_font

    font = _caption_font(13)

    def ink(text: str) -> bytes:
        return bytes(font.getmask(text))

    missing = ink("\ue000")
    for sign in "−×²³≥≤μ·°":
        assert ink(sign) != missing, f"{sign!r} is drawn as a missing glyph"
