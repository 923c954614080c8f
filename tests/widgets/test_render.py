"""The shared NumPy → PNG rendering pipeline."""

import numpy as np
import pytest

from medlab.widgets._render import (
    blend,
    decode_png,
    display_size,
    encode_png,
    montage,
    outline,
    parse_color,
    to_uint8,
)


def test_png_round_trip_is_lossless_for_grey_and_rgb():
    rng = np.random.default_rng(0)
    for shape in ((17, 23), (9, 11, 3)):
        img = rng.integers(0, 256, shape, dtype=np.uint8)
        assert np.array_equal(decode_png(encode_png(img)), img)


def test_to_uint8_rounds_and_clips():
    assert to_uint8(np.array([-1.0, 0.0, 0.5, 1.0, 2.0, np.nan])).tolist() == [0, 0, 128, 255, 255, 0]


def test_blend_follows_the_alpha_formula_inside_the_mask_only():
    rgb = np.full((4, 4, 3), 100, np.uint8)
    mask = np.zeros((4, 4), bool)
    mask[1, 2] = True
    out = blend(rgb, mask, (200, 0, 50), 0.25)
    assert out[1, 2].tolist() == [125, 75, 88]  # 0.75*100 + 0.25*c, rounded
    assert np.array_equal(out[~mask], rgb[~mask])
    assert np.array_equal(rgb, np.full((4, 4, 3), 100, np.uint8))  # input untouched


def test_blend_rejects_a_mask_of_another_shape():
    with pytest.raises(ValueError, match="shape"):
        blend(np.zeros((4, 4, 3), np.uint8), np.zeros((3, 4), bool), "red", 0.5)


def test_outline_of_a_square_is_its_border():
    m = np.zeros((7, 7), bool)
    m[1:6, 1:6] = True
    expected = m.copy()
    expected[2:5, 2:5] = False
    assert np.array_equal(outline(m), expected)


def test_display_size_keeps_the_physical_aspect_ratio():
    # 100 rows of 2 mm and 50 columns of 1 mm: 200 mm tall, 50 mm wide
    assert display_size((100, 50), (2.0, 1.0), max_px=400) == (100, 400)
    assert display_size((10, 10), None, max_px=300) == (300, 300)


def test_montage_scales_each_map_and_tiles_row_major():
    maps = np.stack([np.full((2, 2), 5.0), np.arange(4.0).reshape(2, 2)])
    out = montage(maps, n_cols=2, pad=1)
    assert out.shape == (2, 5)
    assert np.array_equal(out[:, 0:2], np.zeros((2, 2)))  # flat map → 0
    assert np.allclose(out[:, 3:5], np.arange(4.0).reshape(2, 2) / 3)
    assert np.all(out[:, 2] == 1.0)  # white gap


def test_parse_color_accepts_names_hex_triples_and_rejects_others():
    assert parse_color("#ff8000") == (255, 128, 0)
    assert parse_color((1, 2, 3)) == (1, 2, 3)
    with pytest.raises(ValueError, match="colour"):
        parse_color("chartreuse-ish")
    with pytest.raises(ValueError, match="colour"):
        parse_color((300, 0, 0))


def test_png_encoder_matches_pillow_decoding_for_rgba_and_rejects_other_shapes():
    img = np.random.default_rng(1).integers(0, 256, (5, 7, 4), dtype=np.uint8)
    assert np.array_equal(decode_png(encode_png(img)), img)
    with pytest.raises(ValueError, match="encode_png"):
        encode_png(np.zeros((2, 2, 2), np.uint8))


def test_image_widgets_import_no_heavy_libraries():
    import subprocess
    import sys

    code = (
        "import sys, numpy as np\n"
        "import medlab.widgets as w\n"
        "w.SliceViewer(np.zeros((4, 4, 4)))\n"
        "w.VolumeViewer(np.zeros((4, 4, 4)), mode='planes')\n"
        "w.KernelPlayground(np.zeros((8, 8)))\n"
        "w.SegmentationOverlay(np.zeros((4, 4)), np.zeros((4, 4), bool), np.zeros((4, 4)))\n"
        "print([m for m in ('matplotlib', 'keras', 'tensorflow', 'itkwidgets') "
        "if m in sys.modules])\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "[]"
