"""SliceViewer: drive the controls, check the pixels and numbers it shows."""

from types import SimpleNamespace

import numpy as np
import pytest

from medlab.render import decode_png
from medlab.widgets import SliceViewer


def reference_gray(hu, center, width):
    """Window/level written independently: linear from center-width/2 (0) to +width/2 (255)."""
    x = (np.asarray(hu, np.float64) - (center - width / 2)) / width
    return np.round(np.clip(x, 0, 1) * 255).astype(np.uint8)


@pytest.fixture
def ct():
    rng = np.random.default_rng(1)
    vol = rng.uniform(-1100, 1500, size=(6, 40, 30)).astype(np.float32)
    return SimpleNamespace(array=vol, spacing=(5.0, 0.5, 1.0), modality="CT")


def test_slice_slider_changes_the_image_to_that_slice(ct):
    v = SliceViewer(ct, window="lung", cursor=False)
    assert v.units == "HU" and v.window == (-600.0, 1500.0)
    v.slice_slider.value = 4
    shown = decode_png(v.image_widget.value)
    assert v.slice_index == 4
    assert np.abs(shown.astype(int) - reference_gray(ct.array[4], -600, 1500)).max() <= 1
    v.slice_slider.value = 1
    assert (
        np.abs(
            decode_png(v.image_widget.value).astype(int) - reference_gray(ct.array[1], -600, 1500)
        ).max()
        <= 1
    )


def test_presets_and_sliders_set_the_window(ct):
    v = SliceViewer(ct, cursor=False)
    assert v.window == (40.0, 400.0)  # soft tissue is the CT default
    assert v.controls.preset.value == "soft_tissue"
    v.controls.preset.value = "bone"
    assert v.window == (400.0, 1800.0)
    shown = decode_png(v.image_widget.value)
    assert np.abs(shown.astype(int) - reference_gray(ct.array[3], 400, 1800)).max() <= 1
    v.controls.width.value = 1000.0
    assert v.window == (400.0, 1000.0) and v.controls.preset.value == "custom"
    v.controls.center.value = 40.0
    v.controls.width.value = 80.0
    assert v.controls.preset.value == "brain"


def test_readout_shows_the_value_under_the_cursor_in_hu(ct):
    v = SliceViewer(ct)
    v.slice_slider.value = 2
    v.row_slider.value, v.col_slider.value = 7, 11
    expected = f"{float(ct.array[2, 7, 11]):.1f} HU"
    assert "z=2, y=7, x=11" in v.readout.value and expected in v.readout.value
    assert v.cursor_value == pytest.approx(float(ct.array[2, 7, 11]))
    rgb = decode_png(v.image_widget.value)
    assert rgb[7, 0].tolist() == [255, 215, 0]  # the crosshair row


def test_aspect_ratio_follows_the_spacing(ct):
    v = SliceViewer(ct, cursor=False, max_px=400)
    w, h = v.display_size  # 40 rows × 0.5 mm = 20 mm tall, 30 cols × 1 mm = 30 mm wide
    assert (w, h) == (400, 267)
    assert (v.image_widget.width, v.image_widget.height) == (400, 267)
    # along axis 2 the planes are 6 rows × 5 mm = 30 mm tall, 40 columns × 0.5 mm = 20 mm wide
    side = SliceViewer(ct, axis=2, cursor=False, max_px=400)
    assert side.display_size == (267, 400)


def test_overlay_is_blended_with_its_colour_and_opacity():
    img = np.zeros((10, 12), np.float32)
    mask = np.zeros((10, 12), bool)
    mask[2:5, 3:8] = True
    v = SliceViewer(
        img, window=(0.5, 1.0), overlays={"mask": mask, "color": (200, 100, 0)}, cursor=False
    )
    v.opacity_slider.value = 0.5
    rgb = decode_png(v.image_widget.value)
    assert rgb[3, 4].tolist() == [100, 50, 0] and rgb[0, 0].tolist() == [0, 0, 0]
    v.opacity_slider.value = 0.0
    assert decode_png(v.image_widget.value)[3, 4].tolist() == [0, 0, 0]


def test_two_dimensional_image_has_no_slice_control_and_auto_window():
    img = np.linspace(0, 100, 20 * 20, dtype=np.float32).reshape(20, 20)
    v = SliceViewer(img, cursor=False)
    assert v.slice_slider.layout.display == "none" and v.units == ""
    c, w = v.window
    assert c == pytest.approx(50, abs=1) and w == pytest.approx(99, abs=1)
    assert "shape=(20, 20)" in repr(v)
    assert v._repr_mimebundle_()["text/plain"] == repr(v)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"image": np.zeros((2, 3, 4, 5))}, "2D or 3D"),
        ({"image": np.zeros((4, 4)), "spacing": (1.0,)}, "spacing"),
        ({"image": np.zeros((4, 4)), "window": "lungs"}, "preset"),
        ({"image": np.zeros((4, 4)), "window": (0, -5)}, "width"),
        ({"image": np.zeros((4, 4)), "overlays": np.zeros((3, 4), bool)}, "overlay mask"),
        ({"image": np.array([["a"]])}, "numeric"),
    ],
)
def test_bad_inputs_raise_clear_errors(kwargs, message):
    with pytest.raises(ValueError, match=message):
        SliceViewer(**kwargs)


def test_a_ct_preset_by_name_works_on_a_plain_array():
    v = SliceViewer(np.zeros((4, 4), np.float32), window="lung", cursor=False)
    assert v.window == (-600.0, 1500.0) and "bone" in v.controls.preset.options


def test_window_presets_lie_on_the_slider_grid():
    # the browser snaps slider values to multiples of the step; presets must already be there
    img = np.random.default_rng(0).normal(size=(30, 30)).astype(np.float32)
    v = SliceViewer(img, cursor=False)
    step = v.controls.center.step
    for center, width in v.controls.presets.values():
        assert abs(center / step - round(center / step)) < 1e-6
        assert abs(width / step - round(width / step)) < 1e-6
    assert v.controls.preset.value == "auto"


def test_sliders_are_the_accessible_ones_with_units_and_bounds(ct):
    from medlab.widgets._controls import FloatSlider, IntSlider

    v = SliceViewer(ct, window="lung")
    assert isinstance(v.slice_slider, IntSlider) and isinstance(v.controls.center, FloatSlider)
    assert v.controls.center.units == "HU" and v.controls.center.description == "level"
    v.slice_slider.value = 99  # clamped as ipywidgets does
    assert v.slice_slider.value == 5
    with pytest.raises(Exception, match="min"):
        v.slice_slider.min = 10


def test_a_level_off_by_browser_rounding_still_names_its_preset(ct):
    v = SliceViewer(ct, window="lung")
    v.controls.center.value = -600.4  # within half a 1 HU step
    assert v.controls.preset.value == "lung" and v.controls.preset_name == "lung"
    v.controls.center.value = -598.0
    assert v.controls.preset.value == "custom"


def test_alt_text_says_slice_window_overlay_and_value(ct):
    mask = np.zeros(ct.array.shape, bool)
    mask[3, 5:9, 5:9] = True
    v = SliceViewer(ct, window="bone", overlays={"mask": mask, "name": "nodule", "color": "red"})
    v.slice_slider.value = 3
    alt = v.image_widget.alt
    assert alt.startswith("Slice z=3 of 6 (axis 0) of a 6 × 40 × 30 volume, window 400/1800 HU")
    assert "(bone)" in alt and "nodule (vermillion outline and fill)" in alt
    assert f"{v.cursor_value:.1f} HU" in alt
