"""medlab.render: the NumPy drawing pipeline shared by explain, the widgets and the lessons."""

import itertools

import numpy as np
import pytest

from medlab.render import (
    LABEL_COLORS,
    OKABE_ITO,
    ORIENTATION,
    blend,
    decode_png,
    display_size,
    draw_orientation_letters,
    encode_png,
    jet,
    montage,
    outline,
    overlay_heatmap,
    paint_mask,
    parse_color,
    scale01,
    to_rgb,
    to_uint8,
    viridis,
)


def test_png_round_trip_is_lossless_for_grey_and_rgb():
    rng = np.random.default_rng(0)
    for shape in ((17, 23), (9, 11, 3)):
        img = rng.integers(0, 256, shape, dtype=np.uint8)
        assert np.array_equal(decode_png(encode_png(img)), img)


def test_to_uint8_rounds_and_clips():
    assert to_uint8(np.array([-1.0, 0.0, 0.5, 1.0, 2.0, np.nan])).tolist() == [
        0,
        0,
        128,
        255,
        255,
        0,
    ]


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


def test_colour_names_are_the_okabe_ito_shades_of_the_paper():
    # Okabe & Ito (2008), "Color Universal Design", the 8 colours in 0..255 RGB
    paper = {
        "orange": (230, 159, 0),
        "sky blue": (86, 180, 233),
        "bluish green": (0, 158, 115),
        "yellow": (240, 228, 66),
        "blue": (0, 114, 178),
        "vermillion": (213, 94, 0),
        "reddish purple": (204, 121, 167),
        "black": (0, 0, 0),
    }
    assert OKABE_ITO == paper
    assert (
        parse_color("red") == paper["vermillion"] and parse_color("green") == paper["bluish green"]
    )
    assert set(LABEL_COLORS) <= set(paper.values()) and (0, 0, 0) not in LABEL_COLORS


# Machado, Oliveira & Fernandes (2009), full-severity dichromacy matrices on linear sRGB
_CVD = {
    "deuteranopia": [
        [0.367322, 0.860646, -0.227968],
        [0.280085, 0.672501, 0.047413],
        [-0.011820, 0.042940, 0.968881],
    ],
    "protanopia": [
        [0.152286, 1.052583, -0.204868],
        [0.114503, 0.786281, 0.099216],
        [-0.003882, -0.048116, 1.051998],
    ],
    "tritanopia": [
        [1.255528, -0.076749, -0.178779],
        [-0.078411, 0.930809, 0.147602],
        [0.004733, 0.691367, 0.303900],
    ],
}


def _seen_as_lab(rgb, deficiency):
    """CIELAB (D65) of an sRGB colour as a dichromat sees it (Machado 2009 simulation)."""
    c = np.asarray(rgb, float) / 255
    lin = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    lin = np.clip(np.asarray(_CVD[deficiency]) @ lin, 0, 1)
    xyz = (
        np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]])
        @ lin
        / np.array([0.95047, 1.0, 1.08883])
    )
    f = np.where(xyz > 0.008856, np.cbrt(xyz), 7.787 * xyz + 16 / 116)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


@pytest.mark.parametrize("deficiency", sorted(_CVD))
def test_label_colours_stay_apart_for_colour_blind_readers(deficiency):
    def delta_e(a, b):
        return float(np.linalg.norm(_seen_as_lab(a, deficiency) - _seen_as_lab(b, deficiency)))

    closest = min(delta_e(a, b) for a, b in itertools.combinations(LABEL_COLORS, 2))
    assert closest > 15, closest  # every pair clearly different (ΔE*ab)
    if deficiency == "deuteranopia":  # the control: the former red and green labels merge
        assert delta_e((230, 25, 75), (60, 180, 75)) < 10


def test_viridis_follows_the_reference_map_and_clips():
    from matplotlib import colormaps  # the reference implementation

    v = np.linspace(0, 1, 101)
    reference = np.round(colormaps["viridis"](v)[:, :3] * 255)
    assert np.abs(viridis(v).astype(int) - reference).max() <= 3  # its 256-entry table
    assert viridis(np.array([-1.0, 2.0])).tolist() == viridis(np.array([0.0, 1.0])).tolist()
    luminance = viridis(v).astype(float) @ [0.2126, 0.7152, 0.0722]
    assert np.all(np.diff(luminance) > -0.5)  # dark to light: readable in grey too


def test_overlay_heatmap_in_viridis_and_unknown_maps():
    heat = np.array([[0.0, 1.0]])
    out = overlay_heatmap(np.zeros((1, 2)), heat, alpha=1.0, colormap="viridis")
    assert out.tolist() == [[[68, 1, 84], [253, 231, 37]]]
    with pytest.raises(ValueError, match="colour map"):
        overlay_heatmap(np.zeros((1, 2)), heat, colormap="rainbow")


def test_paint_mask_fills_translucently_inside_an_opaque_outline():
    rgb = np.full((9, 9, 3), 100, np.uint8)
    mask = np.zeros((9, 9), bool)
    mask[2:7, 2:7] = True
    out = paint_mask(rgb, mask, (200, 0, 50), 0.25)
    edge = outline(mask)
    assert np.all(out[edge] == [200, 0, 50])  # outline at full opacity
    assert np.all(out[mask & ~edge] == [125, 75, 88])  # fill: 0.75 * 100 + 0.25 * colour
    assert np.all(out[~mask] == 100) and np.all(rgb == 100)  # outside and input untouched
    assert np.array_equal(paint_mask(rgb, mask, "red", 0.0), rgb)  # hidden
    flat = paint_mask(rgb, mask, (200, 0, 50), 0.25, outlined=False)
    assert np.array_equal(flat, blend(rgb, mask, (200, 0, 50), 0.25))


def test_orientation_letters_sit_on_their_sides_in_white_with_a_black_rim():
    assert ORIENTATION["coronal"] == ("H", "F", "R", "L")
    img = np.full((140, 160, 3), 128, np.uint8)
    draw_orientation_letters(img, ("H", "F", "R", "L"))
    white = img[..., 0] == 255
    rows, cols = np.nonzero(white)
    # scale 2 (image >= 120 px): 10 x 14 glyphs, 4 px from each edge, centred on the side
    top = white[:30]
    assert top.any() and set(np.nonzero(top)[0]) <= set(range(4, 18))
    h_cols = np.nonzero(top.any(axis=0))[0]
    assert (h_cols.min(), h_cols.max()) == ((160 - 10) // 2, (160 - 10) // 2 + 9)
    assert white[-30:].any() and white[:, :20].any() and white[:, -20:].any()
    # "H" has 17 lit cells of 5 x 7, each 2 x 2 pixels
    assert int(top.sum()) == 17 * 4
    # every white pixel touches black (the rim), the middle of the image is untouched
    assert np.all(img[50:90, 40:120] == 128)
    assert img[rows.min() - 1, cols[rows == rows.min()][0], 0] == 0
    with pytest.raises(ValueError, match="orientation letter"):
        draw_orientation_letters(img, ("X", "", "", ""))


def test_png_encoder_matches_pillow_decoding_for_rgba_and_rejects_other_shapes():
    img = np.random.default_rng(1).integers(0, 256, (5, 7, 4), dtype=np.uint8)
    assert np.array_equal(decode_png(encode_png(img)), img)
    with pytest.raises(ValueError, match="encode_png"):
        encode_png(np.zeros((2, 2, 2), np.uint8))


def test_jet_channels_are_the_trapezoids_of_the_classic_map():
    # hand-worked: channel = clip(1.5 - |4 (v - c)|, 0, 1), c = 0.75 red, 0.5 green, 0.25 blue
    v = np.array([0.125, 0.375, 0.625, 0.875])
    expected = [
        [0, 0, 255],  # blue plateau: 1.5 - 0.5 = 1
        [0, 255, 255],  # cyan: green 1.5 - 0.5, blue 1.5 - 0.5
        [255, 255, 0],  # yellow
        [255, 0, 0],  # red plateau
    ]
    assert jet(v).tolist() == expected
    assert jet(np.array([[-1.0, 2.0]])).shape == (1, 2, 3)  # clipped, any shape
    assert jet(np.array([-1.0, 2.0])).tolist() == jet(np.array([0.0, 1.0])).tolist()


def test_overlay_heatmap_blends_jet_over_the_min_max_grey_image():
    rng = np.random.default_rng(3)
    image = rng.uniform(-100, 300, (5, 6))
    heat = rng.uniform(0, 1, (5, 6))
    grey = (image - image.min()) / (image.max() - image.min()) * 255
    colours = jet(heat).astype(float)
    expected = np.clip(np.floor(0.7 * grey[..., None] + 0.3 * colours + 0.5), 0, 255)
    out = overlay_heatmap(image, heat, alpha=0.3)
    assert out.dtype == np.uint8 and out.shape == (5, 6, 3)
    assert np.abs(out.astype(int) - expected).max() <= 1  # float32 rounding at .5
    rgb = np.stack([image] * 3, axis=2)  # an RGB image is averaged to grey first
    assert np.array_equal(overlay_heatmap(rgb, heat, 0.3), out)
    flat = overlay_heatmap(np.full((2, 2), 7.0), np.zeros((2, 2)), alpha=0.0)
    assert flat.tolist() == [[[0, 0, 0]] * 2] * 2  # a flat image is black
    with pytest.raises(ValueError, match="heat map shape"):
        overlay_heatmap(image, heat[:4])


def test_grey_values_reach_rgb_through_scale01_and_to_uint8():
    img = np.array([[10.0, 20.0], [30.0, np.nan]])
    assert scale01(img)[0].tolist() == [0.0, 0.5]
    assert np.isnan(scale01(img)[1, 1])
    assert to_rgb(to_uint8(scale01(img))).tolist() == [
        [[0, 0, 0], [128, 128, 128]],
        [[255, 255, 255], [0, 0, 0]],
    ]
    assert not scale01(np.full(3, 4.0)).any()  # flat → zeros


def test_explain_keeps_its_drawing_names_as_the_render_functions():
    code = (
        "import sys\n"
        "from medlab import explain, render\n"
        "assert explain.jet is render.jet\n"
        "assert explain.overlay_heatmap is render.overlay_heatmap\n"
        "print(sorted(m for m in ('keras', 'tensorflow', 'matplotlib') if m in sys.modules))\n"
    )
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "[]"


def test_render_is_a_core_module_that_imports_no_widgets_or_plotting():
    import subprocess
    import sys

    code = (
        "import sys\n"
        "import medlab.render\n"
        "print(sorted(m for m in sys.modules if m.startswith(('medlab.widgets', 'medlab.course', "
        "'medlab.server', 'matplotlib', 'ipywidgets', 'PIL'))))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "[]"


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


# ------------------------------------------------- orientation letters on matplotlib axes


@pytest.mark.parametrize(
    ("cosines", "letter"),
    [
        ((1, 0, 0), "L"),
        ((-1, 0, 0), "R"),  # DICOM's LPS: +x towards the patient's left
        ((0, 1, 0), "P"),
        ((0, -1, 0), "A"),
        ((0, 0, 1), "S"),
        ((0, 0, -1), "I"),
        ((0.2, -0.9, 0.39), "A"),  # oblique: the largest component wins
        ((0.0, 0.0, -0.999998), "I"),  # cosines as a header stores them, not exactly 1
    ],
)
def test_patient_direction_follows_dicom_lps_axes(cosines, letter):
    from medlab.render import patient_direction

    assert patient_direction(cosines) == letter


def test_patient_direction_of_the_usual_axial_orientation_is_left_and_posterior():
    from medlab.render import patient_direction

    iop = [1.0, 0.0, 0.0, 0.0, 1.0, 0.0]  # ImageOrientationPatient of an axial slice
    assert (patient_direction(iop[:3]), patient_direction(iop[3:])) == ("L", "P")
    coronal = [1.0, 0.0, 0.0, 0.0, 0.0, -1.0]  # rows to the left, columns to the feet
    assert (patient_direction(coronal[:3]), patient_direction(coronal[3:])) == ("L", "I")


@pytest.mark.parametrize("bad", [(0, 0, 0), (1, 0), (np.nan, 1, 0), (1, 0, 0, 0)])
def test_patient_direction_rejects_what_is_not_a_direction(bad):
    from medlab.render import patient_direction

    with pytest.raises(ValueError, match="three finite numbers"):
        patient_direction(bad)


def _letters_by_edge(right, down):
    from matplotlib.figure import Figure

    from medlab.render import label_orientation

    ax = Figure().subplots()
    ax.imshow(np.zeros((8, 8)))
    texts = label_orientation(ax, right, down)
    assert all(t.get_transform() is ax.transAxes for t in texts)
    # sort by position in axes coordinates: left (x small), right, top (y large), bottom
    by_spot = {t.get_position(): t.get_text() for t in texts}
    return {
        "left": by_spot[(0.03, 0.5)],
        "right": by_spot[(0.97, 0.5)],
        "top": by_spot[(0.5, 0.97)],
        "bottom": by_spot[(0.5, 0.03)],
    }, texts


def test_label_orientation_puts_the_radiological_axial_letters_on_the_right_edges():
    edges, texts = _letters_by_edge("L", "P")  # axial, radiological: R on the left, A on top
    assert edges == {"left": "R", "right": "L", "top": "A", "bottom": "P"}
    assert [t.get_text() for t in texts] == ["R", "L", "A", "P"]  # left, right, top, bottom


def test_label_orientation_letters_other_planes_and_head_feet():
    assert _letters_by_edge("L", "I")[0] == {"left": "R", "right": "L", "top": "S", "bottom": "I"}
    assert _letters_by_edge("P", "I")[0] == {"left": "A", "right": "P", "top": "S", "bottom": "I"}
    assert _letters_by_edge("R", "F")[0] == {"left": "L", "right": "R", "top": "H", "bottom": "F"}


@pytest.mark.parametrize(
    ("right", "down", "message"),
    [
        ("X", "P", "expected one of"),
        ("L", "Q", "expected one of"),
        ("L", "R", "same patient axis"),
        ("S", "F", "same patient axis"),
    ],
)
def test_label_orientation_rejects_unknown_letters_and_one_axis_twice(right, down, message):
    from matplotlib.figure import Figure

    from medlab.render import label_orientation

    with pytest.raises(ValueError, match=message):
        label_orientation(Figure().subplots(), right, down)
