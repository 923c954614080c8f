"""ClickableImage and LesionMarker: clicks (set as the browser sets them), keyboard cursor,
head-up planes with orientation letters, marking, correction and measurements, checked on
the PNG pixels they display."""

from __future__ import annotations

import base64

import numpy as np
import pytest

from medlab import measure, metrics, segment
from medlab.render import decode_png, parse_color
from medlab.widgets import ClickableImage, LesionMarker
from medlab.widgets._clickable import ORIENTATION, DisplayGrid, _glyph, draw_letters, head_up_plane

ORANGE = parse_color("orange")  # the marking's outline
CYAN = parse_color("cyan")  # the reference's outline (sky blue: safe for colour-blind readers)
YELLOW = (255, 215, 0)  # the cursor


# --------------------------------------------------------------------------- ClickableImage


def test_clickable_image_shows_the_pixels_and_reports_browser_clicks():
    pixels = np.arange(4 * 6 * 3, dtype=np.uint8).reshape(4, 6, 3)
    image = ClickableImage(pixels, alt="a test pattern", width=60, height=40)
    assert np.array_equal(decode_png(image.value), pixels)
    assert image.shape == (4, 6) and image.alt == "a test pattern"
    seen = []
    image.on_click(lambda row, col: seen.append((row, col)))
    # what the browser's script sets on a click: the cursor and the click with a counter
    image.cursor = (2, 5)
    image.click = {"row": 2, "col": 5, "shift": False, "count": 1}
    image.click = {"row": 2, "col": 5, "shift": False, "count": 2}  # the same pixel again
    assert seen == [(2, 5), (2, 5)]
    image.click_at(0, 1)
    assert seen[-1] == (0, 1) and image.cursor == (0, 1) and image.click["count"] == 3
    with pytest.raises(ValueError, match="outside the 4 x 6 image"):
        image.click_at(4, 0)


def test_clickable_image_script_is_offline_and_keyboard_operable():
    script = ClickableImage._esm
    assert "http" not in script and "import " not in script  # nothing to fetch
    assert "export default" in script
    for key in ("ArrowUp", "ArrowDown", "ArrowLeft", "ArrowRight", "Enter"):
        assert key in script
    assert "aria-label" in script and "tabIndex = 0" in script
    assert 'model.set("click"' in script and 'model.set("cursor"' in script


def test_clickable_image_leaves_a_static_png_in_its_output():
    pixels = np.full((3, 5), 200, np.uint8)
    data, _ = ClickableImage(pixels)._repr_mimebundle_()
    assert np.array_equal(decode_png(base64.b64decode(data["image/png"])), pixels)
    assert data["text/plain"] == "ClickableImage(shape=(3, 5))"
    assert "application/vnd.jupyter.widget-view+json" in data


# --------------------------------------------------------------------------- planes and letters


def test_planes_are_head_up_in_the_radiological_convention():
    volume = np.arange(4 * 5 * 6).reshape(4, 5, 6)  # (z, y, x)
    assert np.array_equal(head_up_plane(volume, "axial", 1), volume[1])
    coronal = head_up_plane(volume, "coronal", 2)
    assert np.array_equal(coronal[0], volume[3, 2, :])  # the top row is the highest slice
    sagittal = head_up_plane(volume, "sagittal", 3)
    assert np.array_equal(sagittal[:, 0], volume[::-1, 0, 3])  # anterior (y = 0) on the left
    assert ORIENTATION["axial"] == ("A", "P", "R", "L")
    assert ORIENTATION["coronal"][:2] == ("H", "F") and ORIENTATION["sagittal"][2:] == ("A", "P")
    with pytest.raises(ValueError, match="plane"):
        head_up_plane(volume, "oblique", 0)


def test_display_grid_keeps_proportions_and_maps_both_ways():
    grid = DisplayGrid((48, 512), (5.0, 0.57), max_px=300)  # a coronal plane: 240 x 292 mm
    assert grid.size == (round(300 * 240 / 291.84), 300)
    for row, col in ((0, 0), (47, 511), (20, 100), (33, 257)):
        back_row, back_col = grid.to_plane(*grid.to_screen(row, col))
        assert back_row == row  # 48 slices on 246 rows: each slice keeps its own rows
        assert abs(back_col - col) <= 1  # 512 columns on 300: within a column
    assert np.array_equal(
        grid.resample(np.arange(48)[:, None] * np.ones((1, 512)))[:, 0], grid.rows
    )


def test_orientation_letters_are_drawn_on_each_side():
    rgb = np.zeros((140, 200, 3), np.uint8)
    draw_letters(rgb, ("H", "F", "R", "L"))
    white = np.all(rgb == 255, axis=2)
    glyph = _glyph("R", 2)
    top, left = (140 - 14) // 2, 4  # the left side, vertically centred, 2 + scale from the edge
    assert np.array_equal(white[top : top + 14, left : left + 10], glyph)
    assert white[:20, 90:110].any() and white[-20:, 90:110].any() and white[60:80, -20:].any()
    assert np.all(rgb[top - 1, left : left + 10] == 0)  # a black rim around each letter


# --------------------------------------------------------------------------- LesionMarker


@pytest.fixture
def chest():
    """A small chest-like volume: aerated lung, two solid nodules, one joined by a vessel."""
    ct = np.full((20, 64, 80), -1000.0, np.float32)
    lungs = np.zeros(ct.shape, bool)
    lungs[2:18, 8:56, 6:74] = True
    ct[lungs] = -850.0
    zz, yy, xx = np.indices(ct.shape)
    spacing = (5.0, 1.0, 1.0)
    near = ((zz - 10) * 5.0) ** 2 + (yy - 30) ** 2 + (xx - 22) ** 2 <= 8.0**2
    far = ((zz - 10) * 5.0) ** 2 + (yy - 30) ** 2 + (xx - 58) ** 2 <= 6.0**2
    ct[near | far] = 40.0
    tail = (zz == 10) & (np.abs(yy - 30) <= 2) & (xx >= 30) & (xx < 44)  # 5 mm thick, off "near"
    ct[tail] = 40.0
    return ct, spacing, lungs, near, far, tail


def _screen_box(marker, plane, voxels):
    """Screen pixels of the voxels of a mask in one plane (at the cursor)."""
    grid = marker.grids[plane]
    shown = grid.resample(head_up_plane(voxels, plane, marker._index(plane)))
    return shown


def _colour(rgb, color):
    return np.all(rgb == np.array(color, np.uint8), axis=2)


def test_a_click_marks_the_nodule_in_all_three_planes(chest):
    ct, spacing, lungs, near, far, _ = chest
    marker = LesionMarker(ct, spacing, lungs=lungs, reference=near, radius_mm=12, max_px=200)
    marker.click(10, 30, 22)
    assert marker.seed == (10, 30, 22) and marker.cursor == (10, 30, 22)
    assert metrics.dice(near, marker.mask) > 0.95 and not (marker.mask & far).any()
    m = marker.measurements
    assert m["volume_mm3"] == pytest.approx(measure.volume_mm3(marker.mask, spacing))
    assert m["mean_mm"] == pytest.approx(
        measure.axial_diameters_mm(marker.mask, spacing)["mean_mm"]
    )
    assert m["dice"] == pytest.approx(metrics.dice(near, marker.mask))
    for plane in ("axial", "coronal", "sagittal"):
        rgb = decode_png(marker.images[plane].value)
        assert rgb.shape[:2] == marker.grids[plane].size
        marked = _screen_box(marker, plane, marker.mask)
        outline = _colour(rgb, ORANGE)
        assert marked[outline].all(), plane  # the orange outline is the marking's
        assert (outline | _colour(rgb, CYAN)).any(), plane  # (the expert's, cyan, drawn over it)
        fill = (rgb[..., 0].astype(int) - rgb[..., 2] > 60) & ~_colour(rgb, YELLOW)
        painted = fill | _colour(rgb, CYAN) | _colour(rgb, YELLOW)  # outline, cursor on top
        assert painted[_screen_box(marker, plane, near)].mean() > 0.97, plane
        assert not fill[_screen_box(marker, plane, far)].any(), plane
        assert _colour(rgb, CYAN).any(), plane  # the reference outline
        assert _colour(rgb, YELLOW).any(), plane  # the cursor
        assert "marking of" in marker.images[plane].alt and plane in marker.images[plane].alt
    assert "Dice" in marker.readout.value and "mm³" in marker.readout.value


def test_a_click_on_screen_maps_to_the_voxel_head_up(chest):
    ct, spacing, lungs, near, far, _ = chest
    marker = LesionMarker(ct, spacing, lungs=lungs, radius_mm=12, max_px=200, cursor=(3, 30, 40))
    coronal = marker.images["coronal"]
    grid = marker.grids["coronal"]
    # the far nodule at z = 10, x = 58: head-up, row = (nz - 1 - z) on the plane
    row, col = grid.to_screen(ct.shape[0] - 1 - 10, 58)
    coronal.cursor = (row, col)  # what the browser sets on a click, then the click itself
    coronal.click = {"row": row, "col": col, "shift": False, "count": 1}
    assert marker.seed == (10, 30, 58)
    assert metrics.dice(far, marker.mask) > 0.9 and not (marker.mask & near).any()
    # the top of the coronal image is the head: a click there is a high slice
    coronal.click_at(0, col)
    assert marker.cursor[0] == ct.shape[0] - 1


def test_arrow_keys_move_the_cursor_through_the_planes(chest):
    ct, spacing, lungs, *_ = chest
    marker = LesionMarker(ct, spacing, lungs=lungs, max_px=200, cursor=(10, 30, 22))
    sagittal = marker.images["sagittal"]
    assert sagittal.step[0] == round(marker.grids["sagittal"].size[0] / ct.shape[0])
    row, col = sagittal.cursor
    sagittal.cursor = (row - sagittal.step[0], col)  # ArrowUp: one slice toward the head
    assert marker.cursor == (11, 30, 22)
    assert marker.images["axial"].alt.startswith("CT axial plane z=11")
    before = decode_png(marker.images["axial"].value)
    marker.set_cursor(2, 30, 22)
    assert not np.array_equal(before, decode_png(marker.images["axial"].value))
    assert marker.images["sagittal"].cursor == marker.grids["sagittal"].to_screen(17, 30)


def test_erase_cuts_a_leak_and_undo_brings_it_back(chest):
    ct, spacing, lungs, near, _, tail = chest
    marker = LesionMarker(ct, spacing, lungs=lungs, reference=near, radius_mm=25, max_px=200)
    marker.click(10, 30, 22)
    assert (marker.mask & tail).sum() > 0.9 * tail.sum()  # the growth follows the tail
    leaked = marker.measurements["dice"]
    marker.eraser_slider.value = 3.0
    marker.mode = "erase"
    marker.click(10, 30, 33)  # the tail's neck, just outside the nodule
    beyond = tail.copy()
    beyond[..., :37] = False  # the tail past the 3 mm ball
    assert not marker.mask[beyond].any()  # the cut-off piece went, not just the ball
    assert marker.mask[tail].sum() < 0.1 * tail.sum()
    assert (marker.mask & near).sum() > 0.97 * near.sum()
    assert marker.measurements["dice"] > leaked and marker.seeds == [(10, 30, 22)]
    marker.undo()
    assert (marker.mask & tail).sum() > 0.9 * tail.sum()
    marker.images["axial"].click_at(*marker.grids["axial"].to_screen(30, 33), shift=True)
    assert not marker.mask[beyond].any()  # Shift-click erases whatever the mode
    marker.clear()
    assert not marker.mask.any() and marker.seed is None
    assert "no marking yet" in marker.readout.value


def test_limits_re_run_every_seed(chest):
    ct, spacing, lungs, near, far, tail = chest
    marker = LesionMarker(ct, spacing, lungs=lungs, radius_mm=25, max_px=200)
    marker.click(10, 30, 22)
    marker.click(10, 30, 58)  # a second seed adds the far nodule
    assert marker.mask[far].all() and marker.seeds == [(10, 30, 22), (10, 30, 58)]
    assert marker.mask[tail].any()
    marker.radius_slider.value = 9.0
    beyond = tail.copy()
    beyond[..., :32] = False  # farther than 9 mm from the first seed
    assert not marker.mask[beyond].any() and marker.mask[far].all() and marker.mask[near].all()
    marker.threshold_slider.value = 100.0  # above the nodules' 40 HU: nothing is solid enough
    assert not marker.mask.any()


def test_a_click_on_air_says_why_nothing_was_marked(chest):
    ct, spacing, lungs, *_ = chest
    marker = LesionMarker(ct, spacing, lungs=lungs, max_px=200)
    marker.click(10, 12, 12)
    assert not marker.mask.any()
    assert "nothing marked at (10, 12, 12): -850 HU" in marker.readout.value


def test_static_picture_is_the_three_planes_as_shown(chest):
    ct, spacing, lungs, *_ = chest
    marker = LesionMarker(ct, spacing, lungs=lungs, max_px=200)
    marker.click(10, 30, 22)
    picture = marker.static_image()
    axial = decode_png(marker.images["axial"].value)
    assert np.array_equal(picture[: axial.shape[0], : axial.shape[1]], axial)
    sagittal = decode_png(marker.images["sagittal"].value)
    assert np.array_equal(picture[: sagittal.shape[0], -sagittal.shape[1] :], sagittal)
    assert "Marking (orange)" in marker.alt_text() and "head-up" in marker.alt_text()
    bundle = marker._repr_mimebundle_()
    stored = decode_png(base64.b64decode(bundle["image/png"]))  # what a saved notebook shows
    assert stored.ndim >= 2 and max(stored.shape[:2]) >= 200
    assert bundle["text/plain"] == (
        "LesionMarker(shape=(20, 64, 80), spacing=(5.0, 1.0, 1.0))"  # whatever is marked
    )


def test_bad_inputs_are_refused(chest):
    ct, spacing, *_ = chest
    with pytest.raises(ValueError, match="reference has shape"):
        LesionMarker(ct, spacing, reference=np.zeros((2, 2, 2), bool))
    with pytest.raises(ValueError, match="spacing"):
        LesionMarker(ct, None)
    marker = LesionMarker(ct, spacing, max_px=120)
    with pytest.raises(ValueError, match="not a voxel"):
        marker.click(20, 0, 0)
    with pytest.raises(ValueError, match="mode"):
        marker.mode = "paint"


def test_one_click_marks_the_real_nodule_close_to_the_expert():
    from medlab import datasets

    if not datasets.available("lung_ct_tumours"):
        pytest.fail("lung_ct_tumours is not cached: run `medlab datasets fetch --all`")
    ds = datasets.load("lung_ct_tumours", case="lung1")
    lungs = segment.lung_masks(ds.ct, ds.spacing)["lungs"]
    marker = LesionMarker(ds.ct, ds.spacing, lungs=lungs, reference=ds.tumour)
    marker.click(33, 359, 218)  # where a reader clicks on the nodule
    assert marker.measurements["dice"] > 0.9
    assert abs(marker.measurements["volume_difference"]) < 0.10
    rgb = decode_png(marker.images["axial"].value)
    assert _colour(rgb, ORANGE).any() and _colour(rgb, CYAN).any()
