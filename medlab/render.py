"""Drawing with NumPy: arrays → RGB uint8 → PNG bytes.

One small pipeline draws every image MedLab shows, the widgets' and the lessons'
alike, in NumPy so that a control change costs milliseconds rather than a
matplotlib redraw:

1. :func:`scale01` maps values to [0, 1] (or use :func:`medlab.preprocess.window`),
   :func:`to_uint8` maps [0, 1] to 0..255 and :func:`to_rgb` makes grey RGB;
2. :func:`blend` paints a boolean mask in a colour with an opacity, :func:`outline`
   turns a mask into its one-pixel contour first and :func:`paint_mask` does both (a
   translucent fill with an opaque outline, so a region reads by its shape as well as
   by its colour); :func:`viridis` and :func:`jet` colour a [0, 1] map and
   :func:`overlay_heatmap` blends it over an image (Grad-CAM);
3. :func:`draw_orientation_letters` writes R/L, A/P, H/F on the sides of a plane
   (:data:`ORIENTATION`);
4. :func:`encode_png` writes the result as PNG with zlib at a low compression level
   (fast, still lossless, so tests can decode the pixels they expect).

Colours are safe for colour-blind readers: overlays and labels use the Okabe–Ito
palette (:data:`OKABE_ITO`; never red against green alone), heat maps default to a
viridis-like map.

Matplotlib is imported only inside :func:`new_figure`, :func:`figure_png` and
:class:`BlitFigure`, for plots that change rarely (curves); their figures are made
without pyplot, so nothing is ever shown twice in a notebook.
"""

from __future__ import annotations

import io
import struct
import zlib
from typing import Any

import numpy as np

__all__ = [
    "LABEL_COLORS",
    "OKABE_ITO",
    "ORIENTATION",
    "BlitFigure",
    "blend",
    "color_name",
    "decode_png",
    "display_size",
    "draw_orientation_letters",
    "encode_png",
    "figure_png",
    "jet",
    "label_orientation",
    "montage",
    "new_figure",
    "outline",
    "overlay_heatmap",
    "paint_mask",
    "parse_color",
    "patient_direction",
    "robust_range",
    "scale01",
    "to_rgb",
    "to_uint8",
    "viridis",
]

#: The Okabe–Ito palette (Okabe & Ito 2008, "Color Universal Design"): eight colours
#: that stay distinguishable for readers with any common colour-vision deficiency.
OKABE_ITO: dict[str, tuple[int, int, int]] = {
    "orange": (230, 159, 0),
    "sky blue": (86, 180, 233),
    "bluish green": (0, 158, 115),
    "yellow": (240, 228, 66),
    "blue": (0, 114, 178),
    "vermillion": (213, 94, 0),
    "reddish purple": (204, 121, 167),
    "black": (0, 0, 0),
}

#: Colours (RGB, 0..255) given to overlays and label values 1, 2, 3 ... in turn: the
#: Okabe–Ito colours that stand out on grey images (black left out), so that no two
#: labels differ only by red against green.
LABEL_COLORS: tuple[tuple[int, int, int], ...] = (
    OKABE_ITO["sky blue"],
    OKABE_ITO["orange"],
    OKABE_ITO["bluish green"],
    OKABE_ITO["reddish purple"],
    OKABE_ITO["yellow"],
    OKABE_ITO["vermillion"],
    OKABE_ITO["blue"],
)

#: Colour names :func:`parse_color` understands, mapped to Okabe–Ito shades.
_NAMED_COLORS: dict[str, tuple[int, int, int]] = {
    "red": OKABE_ITO["vermillion"],
    "vermillion": OKABE_ITO["vermillion"],
    "green": OKABE_ITO["bluish green"],
    "blue": OKABE_ITO["blue"],
    "sky blue": OKABE_ITO["sky blue"],
    "cyan": OKABE_ITO["sky blue"],
    "yellow": OKABE_ITO["yellow"],
    "orange": OKABE_ITO["orange"],
    "purple": OKABE_ITO["reddish purple"],
    "magenta": OKABE_ITO["reddish purple"],
    "black": (0, 0, 0),
    "white": (255, 255, 255),
}

#: Orientation letters on the (top, bottom, left, right) sides of each plane of a
#: course volume drawn head-up in the radiological convention (the patient's right on
#: the left of the screen): R/L right/left, A/P anterior/posterior, H/F head/feet.
ORIENTATION: dict[str, tuple[str, str, str, str]] = {
    "axial": ("A", "P", "R", "L"),
    "coronal": ("H", "F", "R", "L"),
    "sagittal": ("H", "F", "A", "P"),
}

# viridis at 33 evenly spaced points (the map is CC0; van der Walt & Smith 2015)
_VIRIDIS = np.array(
    [
        (68, 1, 84),
        (71, 13, 96),
        (72, 24, 106),
        (72, 35, 116),
        (71, 45, 123),
        (69, 55, 129),
        (66, 64, 134),
        (62, 73, 137),
        (59, 82, 139),
        (55, 91, 141),
        (51, 99, 141),
        (47, 107, 142),
        (44, 114, 142),
        (41, 122, 142),
        (38, 130, 142),
        (35, 137, 142),
        (33, 145, 140),
        (31, 152, 139),
        (31, 160, 136),
        (34, 167, 133),
        (40, 174, 128),
        (50, 182, 122),
        (63, 188, 115),
        (78, 195, 107),
        (94, 201, 98),
        (112, 207, 87),
        (132, 212, 75),
        (152, 216, 62),
        (173, 220, 48),
        (194, 223, 35),
        (216, 226, 25),
        (236, 229, 27),
        (253, 231, 37),
    ],
    np.float32,
)


# ------------------------------------------------------------------ values → pixels


def robust_range(x: np.ndarray, low: float = 0.5, high: float = 99.5) -> tuple[float, float]:
    """Percentile display range of the finite values of ``x``, never empty.

    Parameters
    ----------
    x : array_like
        Image values.
    low, high : float
        Percentiles of the range's ends.

    Returns
    -------
    (float, float)
        ``(lo, hi)`` with ``hi > lo``: the percentiles, else the min and max, else
        ``(v, v + 1)`` for a flat image and ``(0, 1)`` when nothing is finite.

    Examples
    --------
    >>> robust_range(np.arange(101.0), 10, 90)
    (10.0, 90.0)
    >>> robust_range(np.full(4, 7.0))
    (7.0, 8.0)
    """
    x = np.asarray(x)
    finite = x[np.isfinite(x)] if x.dtype.kind == "f" else x.ravel()
    if finite.size == 0:
        return 0.0, 1.0
    if finite.size > 1_000_000:  # percentiles of a subsample are plenty for a display range
        finite = finite.ravel()[:: finite.size // 1_000_000 + 1]
    lo, hi = (float(v) for v in np.percentile(finite, [low, high]))
    if not hi > lo:
        lo, hi = float(finite.min()), float(finite.max())
        if not hi > lo:
            hi = lo + 1.0
    return lo, hi


def scale01(x: np.ndarray, lo: float | None = None, hi: float | None = None) -> np.ndarray:
    """Map ``[lo, hi]`` linearly to [0, 1], clipping outside.

    Parameters
    ----------
    x : array_like
        Values.
    lo, hi : float, optional
        The values that become 0 and 1; by default the min and max of the finite
        values of ``x``.

    Returns
    -------
    numpy.ndarray
        float32, same shape as ``x``; all zeros when ``hi <= lo`` (a flat image).

    Examples
    --------
    >>> scale01(np.array([0.0, 5.0, 10.0]))
    array([0. , 0.5, 1. ], dtype=float32)
    >>> scale01(np.array([-5.0, 5.0, 15.0]), lo=0.0, hi=10.0)
    array([0. , 0.5, 1. ], dtype=float32)
    """
    x = np.asarray(x, dtype=np.float32)
    if lo is None or hi is None:
        finite = x[np.isfinite(x)]
        lo = float(finite.min()) if finite.size else 0.0
        hi = float(finite.max()) if finite.size else 1.0
    if not hi > lo:
        return np.zeros_like(x)
    out = (x - np.float32(lo)) / np.float32(hi - lo)
    return np.clip(out, 0.0, 1.0, out=out)


def to_uint8(x01: np.ndarray) -> np.ndarray:
    """Map floats in [0, 1] to uint8 0..255, rounded; NaN becomes 0.

    Parameters
    ----------
    x01 : array_like
        Values in [0, 1] (clipped).

    Returns
    -------
    numpy.ndarray
        uint8, same shape.

    Examples
    --------
    >>> to_uint8(np.array([0.0, 0.5, 1.0, 2.0, np.nan]))
    array([  0, 128, 255, 255,   0], dtype=uint8)
    """
    x = np.nan_to_num(np.asarray(x01, dtype=np.float32), nan=0.0)
    return (np.clip(x, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)


def to_rgb(gray: np.ndarray) -> np.ndarray:
    """Stack a 2D uint8 grey image into an RGB image.

    Parameters
    ----------
    gray : array_like
        (H, W) uint8.

    Returns
    -------
    numpy.ndarray
        (H, W, 3) uint8 with three equal channels.

    Examples
    --------
    >>> to_rgb(np.array([[0, 200]], np.uint8)).tolist()
    [[[0, 0, 0], [200, 200, 200]]]
    """
    gray = np.asarray(gray, dtype=np.uint8)
    return np.repeat(gray[:, :, None], 3, axis=2)


# ------------------------------------------------------------------------- colours


def parse_color(color: Any) -> tuple[int, int, int]:
    """An RGB triple (0..255) for a colour name, ``"#rrggbb"`` or an (r, g, b) triple.

    Parameters
    ----------
    color : str or sequence of 3 int
        One of ``red green blue yellow orange purple cyan magenta black white`` (mapped
        to the colour-blind-safe Okabe–Ito shades: red is vermillion, green bluish
        green, cyan sky blue, purple and magenta reddish purple; see :data:`OKABE_ITO`,
        whose names work too), a hex string or three integers in 0..255.

    Returns
    -------
    (int, int, int)

    Raises
    ------
    ValueError
        If the colour is not understood.

    Examples
    --------
    >>> parse_color("#ff8000")
    (255, 128, 0)
    >>> parse_color("green")
    (0, 158, 115)
    """
    if isinstance(color, str):
        if color in _NAMED_COLORS:
            return _NAMED_COLORS[color]
        if color.startswith("#") and len(color) == 7:
            return int(color[1:3], 16), int(color[3:5], 16), int(color[5:7], 16)
        raise ValueError(
            f"colour {color!r} not understood: expected one of {sorted(_NAMED_COLORS)}, "
            "'#rrggbb' or an (r, g, b) triple"
        )
    rgb = tuple(int(c) for c in color)
    if len(rgb) != 3 or not all(0 <= c <= 255 for c in rgb):
        raise ValueError(f"colour {color!r} not understood: expected three integers in 0..255")
    return rgb


def color_name(color: Any) -> str:
    """A colour's name for text alternatives: its Okabe–Ito name, else ``"#rrggbb"``.

    Examples
    --------
    >>> color_name((230, 159, 0)), color_name("red"), color_name((1, 2, 3))
    ('orange', 'vermillion', '#010203')
    """
    rgb = parse_color(color)
    for name, value in OKABE_ITO.items():
        if value == rgb:
            return name
    if rgb == (255, 255, 255):
        return "white"
    return "#{:02x}{:02x}{:02x}".format(*rgb)


def viridis(values: np.ndarray) -> np.ndarray:
    """The viridis colour map: dark purple → blue → green → yellow.

    Perceptually uniform and readable with any common colour-vision deficiency (and in
    grey print), unlike :func:`jet`. Linear interpolation between 33 points of the map.

    Parameters
    ----------
    values : array_like
        Values in [0, 1] (clipped), any shape.

    Returns
    -------
    numpy.ndarray
        uint8 RGB, shape ``values.shape + (3,)``.

    Examples
    --------
    >>> viridis(np.array([0.0, 1.0])).tolist()
    [[68, 1, 84], [253, 231, 37]]
    """
    v = np.clip(np.nan_to_num(np.asarray(values, dtype=np.float32)), 0.0, 1.0)
    pos = v * (len(_VIRIDIS) - 1)
    lo = np.minimum(pos.astype(np.intp), len(_VIRIDIS) - 2)
    frac = (pos - lo)[..., None]
    rgb = _VIRIDIS[lo] * (1.0 - frac) + _VIRIDIS[lo + 1] * frac
    return (rgb + 0.5).astype(np.uint8)


def jet(values: np.ndarray) -> np.ndarray:
    """The classic 'jet' colour map: dark blue → blue → cyan → yellow → red → dark red.

    Each channel is a trapezoid ``clip(1.5 - |4 (v - c)|, 0, 1)`` centred on
    ``c = 0.75`` (red), ``0.5`` (green) and ``0.25`` (blue).

    Parameters
    ----------
    values : array_like
        Values in [0, 1] (clipped), any shape.

    Returns
    -------
    numpy.ndarray
        uint8 RGB, shape ``values.shape + (3,)``.

    Examples
    --------
    >>> jet(np.array([0.0, 0.5, 1.0])).tolist()
    [[0, 0, 128], [128, 255, 128], [128, 0, 0]]
    """
    v = np.clip(np.asarray(values, dtype=np.float32), 0.0, 1.0)[..., None]
    centers = np.array([0.75, 0.5, 0.25], np.float32)  # red, green, blue peaks
    rgb = np.clip(1.5 - np.abs(4.0 * (v - centers)), 0.0, 1.0)
    return (rgb * 255 + 0.5).astype(np.uint8)


# ------------------------------------------------------------------------ overlays


def outline(mask: np.ndarray) -> np.ndarray:
    """The inner one-pixel boundary of a 2D boolean mask (4-connected).

    Parameters
    ----------
    mask : array_like
        (H, W), converted to bool.

    Returns
    -------
    numpy.ndarray
        bool (H, W): the mask pixels with at least one 4-neighbour outside the mask
        (pixels on the image border count as inside there).

    Examples
    --------
    >>> m = np.zeros((5, 5), bool)
    >>> m[1:4, 1:4] = True
    >>> outline(m).astype(int)[1:4, 1:4].tolist()
    [[1, 1, 1], [1, 0, 1], [1, 1, 1]]
    """
    m = np.asarray(mask, dtype=bool)
    interior = m.copy()
    interior[1:, :] &= m[:-1, :]
    interior[:-1, :] &= m[1:, :]
    interior[:, 1:] &= m[:, :-1]
    interior[:, :-1] &= m[:, 1:]
    return m & ~interior


def blend(
    rgb: np.ndarray, mask: np.ndarray, color: Any, opacity: float, *, inplace: bool = False
) -> np.ndarray:
    """Paint ``mask`` over an RGB image in ``color`` with ``opacity``.

    Inside the mask each pixel becomes ``round((1 - opacity) * rgb + opacity * color)``;
    outside, it is unchanged.

    Parameters
    ----------
    rgb : numpy.ndarray
        (H, W, 3) uint8.
    mask : array_like
        (H, W), converted to bool.
    color : str or sequence of 3 int
        See :func:`parse_color`.
    opacity : float
        In [0, 1] (clipped); 0 leaves the image as it is.
    inplace : bool
        Paint into ``rgb`` instead of a copy.

    Returns
    -------
    numpy.ndarray
        (H, W, 3) uint8.

    Raises
    ------
    ValueError
        If the mask's shape is not the image's (H, W).

    Examples
    --------
    >>> out = blend(np.full((1, 2, 3), 100, np.uint8), np.array([[True, False]]),
    ...             (200, 0, 50), 0.25)
    >>> out.tolist()
    [[[125, 75, 88], [100, 100, 100]]]
    """
    out = rgb if inplace else rgb.copy()
    m = np.asarray(mask, dtype=bool)
    if m.shape != out.shape[:2]:
        raise ValueError(f"overlay mask has shape {m.shape}, expected the image's {out.shape[:2]}")
    a = float(np.clip(opacity, 0.0, 1.0))
    if a == 0.0 or not m.any():
        return out
    c = np.asarray(parse_color(color), dtype=np.float32)
    px = out[m].astype(np.float32)
    out[m] = np.clip((1.0 - a) * px + a * c + 0.5, 0, 255).astype(np.uint8)
    return out


def overlay_heatmap(
    image: Any, heatmap: Any, alpha: float = 0.4, colormap: str = "jet"
) -> np.ndarray:
    """Blend a [0, 1] heat map in :func:`jet` (or :func:`viridis`) colours over an image.

    The image is min–max scaled to grey (an RGB image is averaged to grey first);
    each pixel becomes ``round((1 - alpha) * 255 * grey + alpha * colours(heat))``.

    Parameters
    ----------
    image : array_like
        (H, W) or (H, W, C).
    heatmap : array_like
        (H, W) in [0, 1], for example :func:`medlab.explain.grad_cam`.
    alpha : float
        Weight of the heat map colours, in [0, 1] (clipped).
    colormap : {"jet", "viridis"}
        The heat map's colours: ``"jet"`` (the Grad-CAM paper's, red = high) or
        ``"viridis"`` (yellow = high; safe for colour-blind readers).

    Returns
    -------
    numpy.ndarray
        (H, W, 3) uint8 RGB.

    Raises
    ------
    ValueError
        If the heat map's shape differs from the image's (H, W), or the colour map is
        unknown.

    Examples
    --------
    >>> overlay_heatmap(np.array([[0.0, 1.0]]), np.array([[1.0, 0.0]]), alpha=0.5).tolist()
    [[[64, 0, 0], [128, 128, 192]]]
    """
    img = np.asarray(image, dtype=np.float32)
    if img.ndim == 3:
        img = img.mean(axis=2)
    heat = np.asarray(heatmap, dtype=np.float32)
    if heat.shape != img.shape:
        raise ValueError(f"heat map shape {heat.shape} differs from the image's {img.shape}")
    maps = {"jet": jet, "viridis": viridis}
    if colormap not in maps:
        raise ValueError(f"colour map {colormap!r} unknown: expected one of {sorted(maps)}")
    gray = scale01(img, float(img.min()), float(img.max()))
    base = np.repeat(gray[..., None] * 255.0, 3, axis=2)
    a = float(np.clip(alpha, 0.0, 1.0))
    colours = maps[colormap](heat)
    return np.clip((1 - a) * base + a * colours + 0.5, 0, 255).astype(np.uint8)


def paint_mask(
    rgb: np.ndarray,
    mask: np.ndarray,
    color: Any,
    opacity: float,
    *,
    inplace: bool = False,
    outlined: bool = True,
) -> np.ndarray:
    """Paint a mask as a translucent fill with an opaque one-pixel outline.

    The fill is :func:`blend` at ``opacity``; the outline (:func:`outline`) is drawn
    at full opacity in the same colour, so the region stays visible by its shape even
    where its colour is hard to tell from the image (or from another label's colour).

    Parameters
    ----------
    rgb : numpy.ndarray
        (H, W, 3) uint8.
    mask : array_like
        (H, W), converted to bool.
    color : str or sequence of 3 int
        See :func:`parse_color`.
    opacity : float
        Of the fill, in [0, 1]; with 0 the label is hidden, outline included.
    inplace : bool
        Paint into ``rgb`` instead of a copy.
    outlined : bool
        Draw the outline.

    Returns
    -------
    numpy.ndarray
        (H, W, 3) uint8.

    Examples
    --------
    >>> m = np.zeros((5, 5), bool)
    >>> m[1:4, 1:4] = True
    >>> out = paint_mask(np.zeros((5, 5, 3), np.uint8), m, (200, 100, 0), 0.5)
    >>> out[1, 1].tolist(), out[2, 2].tolist(), out[0, 0].tolist()
    ([200, 100, 0], [100, 50, 0], [0, 0, 0])
    """
    out = rgb if inplace else rgb.copy()
    if float(opacity) <= 0.0:
        return out
    m = np.asarray(mask, dtype=bool)
    blend(out, m, color, opacity, inplace=True)
    if outlined:
        blend(out, outline(m), color, 1.0, inplace=True)
    return out


# ------------------------------------------------------------------ orientation letters

# 5 × 7 pixel glyphs of the orientation letters
_GLYPHS = {
    "R": ("11110", "10001", "10001", "11110", "10100", "10010", "10001"),
    "L": ("10000", "10000", "10000", "10000", "10000", "10000", "11111"),
    "A": ("01110", "10001", "10001", "11111", "10001", "10001", "10001"),
    "P": ("11110", "10001", "10001", "11110", "10000", "10000", "10000"),
    "H": ("10001", "10001", "10001", "11111", "10001", "10001", "10001"),
    "F": ("11111", "10000", "10000", "11110", "10000", "10000", "10000"),
}


def _glyph(letter: str, scale: int) -> np.ndarray:
    bits = np.array([[c == "1" for c in row] for row in _GLYPHS[letter]], bool)
    return np.kron(bits, np.ones((scale, scale), bool))


def _dilate(mask: np.ndarray) -> np.ndarray:
    """3 × 3 binary dilation with NumPy shifts (the rim around a glyph)."""
    out = mask.copy()
    out[1:, :] |= mask[:-1, :]
    out[:-1, :] |= mask[1:, :]
    grown = out.copy()
    out[:, 1:] |= grown[:, :-1]
    out[:, :-1] |= grown[:, 1:]
    return out


def draw_orientation_letters(
    rgb: np.ndarray, letters: tuple[str, str, str, str], *, scale: int | None = None
) -> np.ndarray:
    """Write orientation letters in the middle of each side of an RGB image, in place.

    White letters with a one-pixel black rim, readable on any grey level and colour.

    Parameters
    ----------
    rgb : numpy.ndarray
        (H, W, 3) uint8, modified in place; draw at screen resolution (after any
        resampling), or the letters are stretched with the image.
    letters : 4 str
        (top, bottom, left, right), each one of R, L, A, P, H, F, or ``""`` for none;
        see :data:`ORIENTATION`.
    scale : int, optional
        Glyph size in multiples of 5 × 7 pixels (default 2, or 1 below 120 pixels).

    Returns
    -------
    numpy.ndarray
        ``rgb``.

    Raises
    ------
    ValueError
        If a letter is not one of R, L, A, P, H, F.

    Examples
    --------
    >>> img = draw_orientation_letters(np.zeros((60, 60, 3), np.uint8), ORIENTATION["axial"])
    >>> int(img[:, :, 0].max()), int((img[:20, 20:40, 0] == 255).sum())  # "A" at the top
    (255, 18)
    """
    h, w = rgb.shape[:2]
    s = scale or (2 if min(h, w) >= 120 else 1)
    gh, gw = 7 * s, 5 * s
    pad = 2 + s
    spots = (
        (pad, (w - gw) // 2),
        (h - gh - pad, (w - gw) // 2),
        ((h - gh) // 2, pad),
        ((h - gh) // 2, w - gw - pad),
    )
    for letter, (top, left) in zip(letters, spots, strict=True):
        if not letter:
            continue
        if letter not in _GLYPHS:
            raise ValueError(
                f"orientation letter {letter!r} unknown: expected one of {''.join(_GLYPHS)}"
            )
        if top < 1 or left < 1 or top + gh >= h or left + gw >= w:
            continue  # the image is too small for this letter
        glyph = _glyph(letter, s)
        rim = _dilate(np.pad(glyph, 1))
        region = rgb[top - 1 : top + gh + 1, left - 1 : left + gw + 1]
        region[rim] = 0
        region[1:-1, 1:-1][glyph] = 255
    return rgb


# -------------------------------------------------------------------------- layout


def display_size(
    shape: tuple[int, int], spacing: tuple[float, float] | None, max_px: int = 480
) -> tuple[int, int]:
    """Display size in pixels that keeps the physical aspect ratio of a slice.

    Parameters
    ----------
    shape : (int, int)
        (rows, columns).
    spacing : (float, float) or None
        (row spacing, column spacing) in mm; None for square pixels.
    max_px : int
        The longer side on screen.

    Returns
    -------
    (int, int)
        (width, height), each at least 1.

    Examples
    --------
    >>> display_size((100, 50), (2.0, 1.0), max_px=400)  # 200 mm tall, 50 mm wide
    (100, 400)
    """
    rows, cols = shape
    sy, sx = (1.0, 1.0) if spacing is None else (float(spacing[0]), float(spacing[1]))
    height_mm, width_mm = rows * sy, cols * sx
    scale = max_px / max(height_mm, width_mm)
    return max(1, round(width_mm * scale)), max(1, round(height_mm * scale))


def montage(maps: np.ndarray, n_cols: int | None = None, pad: int = 1) -> np.ndarray:
    """Tile (N, H, W) maps row by row into one image, each min–max scaled to [0, 1].

    Parameters
    ----------
    maps : array_like
        (N, H, W), for example a layer's feature maps moved channel-first.
    n_cols : int, optional
        Tiles per row; by default ``ceil(sqrt(N))``.
    pad : int
        Gap between tiles in pixels; gaps are 1.0 (white) so that flat maps (all 0)
        stay distinguishable.

    Returns
    -------
    numpy.ndarray
        float32 (rows * (H + pad) - pad, n_cols * (W + pad) - pad).

    Raises
    ------
    ValueError
        If ``maps`` is not 3D.

    Examples
    --------
    >>> montage(np.stack([np.zeros((1, 1)), np.ones((1, 1))]), n_cols=2).tolist()
    [[0.0, 1.0, 0.0]]
    """
    maps = np.asarray(maps, dtype=np.float32)
    if maps.ndim != 3:
        raise ValueError(f"montage expects (N, H, W) maps, got shape {maps.shape}")
    n, h, w = maps.shape
    n_cols = n_cols or int(np.ceil(np.sqrt(n)))
    n_rows = int(np.ceil(n / n_cols))
    lo = maps.reshape(n, -1).min(axis=1)[:, None, None]
    hi = maps.reshape(n, -1).max(axis=1)[:, None, None]
    span = np.where(hi > lo, hi - lo, 1.0)
    scaled = (maps - lo) / span
    out = np.ones((n_rows * (h + pad) - pad, n_cols * (w + pad) - pad), np.float32)
    for k in range(n):
        r, c = divmod(k, n_cols)
        out[r * (h + pad) : r * (h + pad) + h, c * (w + pad) : c * (w + pad) + w] = scaled[k]
    return out


# ---------------------------------------------------------------------------- PNG


def _png_chunk(tag: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(tag + data) & 0xFFFFFFFF
    return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", crc)


def encode_png(img: np.ndarray, compress_level: int = 1) -> bytes:
    r"""Encode a grey, RGB or RGBA uint8 image as PNG bytes, fast and lossless.

    Written directly (8-bit, no row filter, zlib at ``compress_level``): for a 512×512
    RGB slice this takes about a quarter of the time of Pillow's encoder, whose
    adaptive row filtering dominates the cost, and gives files of similar size.

    Parameters
    ----------
    img : array_like
        (H, W), (H, W, 3) or (H, W, 4), converted to uint8.
    compress_level : int
        zlib level, 0 (none) to 9 (smallest, slowest).

    Returns
    -------
    bytes
        A PNG file (for ``ipywidgets.Image(format="png")`` or a ``.png`` file).

    Raises
    ------
    ValueError
        If the shape is none of the three.

    Examples
    --------
    >>> encode_png(np.zeros((2, 2), np.uint8))[:8]
    b'\x89PNG\r\n\x1a\n'
    """
    arr = np.ascontiguousarray(img, dtype=np.uint8)
    if arr.ndim == 2:
        channels = 1
    elif arr.ndim == 3 and arr.shape[2] in (3, 4):
        channels = arr.shape[2]
    else:
        raise ValueError(f"encode_png expects (H, W), (H, W, 3) or (H, W, 4), got {arr.shape}")
    h, w = arr.shape[:2]
    raw = np.zeros((h, w * channels + 1), np.uint8)  # first byte of each row: filter 0
    raw[:, 1:] = arr.reshape(h, w * channels)
    color_type = {1: 0, 3: 2, 4: 6}[channels]
    header = struct.pack(">IIBBBBB", w, h, 8, color_type, 0, 0, 0)
    return b"".join(
        (
            b"\x89PNG\r\n\x1a\n",
            _png_chunk(b"IHDR", header),
            _png_chunk(b"IDAT", zlib.compress(raw.tobytes(), compress_level)),
            _png_chunk(b"IEND", b""),
        )
    )


def decode_png(data: bytes) -> np.ndarray:
    """Decode PNG bytes into a uint8 array with Pillow (tests and benchmarks read pixels).

    Parameters
    ----------
    data : bytes
        A PNG file.

    Returns
    -------
    numpy.ndarray
        uint8 (H, W), (H, W, 3) or (H, W, 4).

    Examples
    --------
    >>> img = np.arange(6, dtype=np.uint8).reshape(2, 3)
    >>> bool(np.array_equal(decode_png(encode_png(img)), img))
    True
    """
    from PIL import Image

    return np.asarray(Image.open(io.BytesIO(data)))


# ------------------------------------------------------- matplotlib (curves, lazily)


def new_figure(
    width_in: float, height_in: float, dpi: int = 80, *, transparent: bool = False
) -> Any:
    """A matplotlib ``Figure`` with an Agg canvas, made without pyplot (never auto-shown).

    Parameters
    ----------
    width_in, height_in : float
        Size in inches.
    dpi : int
        Pixels per inch.
    transparent : bool
        No figure background (widgets show such charts on the page's own background,
        and invert their dark ink in a dark theme); axes made later are transparent too
        when drawn with :func:`figure_png` or :class:`BlitFigure`.

    Returns
    -------
    matplotlib.figure.Figure
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width_in, height_in), dpi=dpi)
    FigureCanvasAgg(fig)
    if transparent:
        fig.patch.set_alpha(0.0)
    return fig


def _clear_backgrounds(fig: Any) -> None:
    """Transparent axes in a transparent figure (set at drawing time: axes come later)."""
    if fig.patch.get_alpha() == 0.0:
        for ax in fig.axes:
            ax.set_facecolor("none")


def figure_png(fig: Any, dpi: int = 80) -> bytes:
    """Render a matplotlib ``Figure`` (made without pyplot) to PNG bytes with Agg.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
    dpi : int
        Pixels per inch of the PNG.

    Returns
    -------
    bytes
        A PNG file.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    if not isinstance(fig.canvas, FigureCanvasAgg):
        FigureCanvasAgg(fig)
    _clear_backgrounds(fig)
    if fig.patch.get_alpha() == 0.0:  # transparent: RGBA, no colour where nothing is drawn
        if fig.get_dpi() != dpi:
            fig.set_dpi(dpi)
        fig.canvas.draw()
        rgba = np.asarray(fig.canvas.buffer_rgba()).copy()
        rgba[rgba[:, :, 3] == 0] = 0
        return encode_png(rgba)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    return buf.getvalue()


class BlitFigure:
    """A persistent matplotlib figure redrawn cheaply when only a few artists move.

    :meth:`redraw` draws everything except the *animated* artists and keeps that
    background; :meth:`png` restores the background, draws the animated artists on
    top and encodes the pixels, so moving a marker costs a few milliseconds instead
    of a full figure render.

    Parameters
    ----------
    width_in, height_in : float
        Size in inches.
    dpi : int
        Pixels per inch.
    transparent : bool
        No background (see :func:`new_figure`): :meth:`png` gives RGBA pixels.

    Attributes
    ----------
    fig : matplotlib.figure.Figure
    animated : list
        The artists drawn by :meth:`png` over the background.
    """

    def __init__(
        self, width_in: float, height_in: float, dpi: int = 80, *, transparent: bool = False
    ) -> None:
        self.transparent = bool(transparent)
        self.fig = new_figure(width_in, height_in, dpi, transparent=self.transparent)
        self.canvas = self.fig.canvas
        self.animated: list[Any] = []
        self._background = None

    def animate(self, *artists: Any) -> None:
        """Mark artists as animated (drawn by :meth:`png` over the background)."""
        for a in artists:
            a.set_animated(True)
            self.animated.append(a)

    def redraw(self) -> None:
        """Redraw the static parts (call after anything but the animated artists changed)."""
        _clear_backgrounds(self.fig)
        self.canvas.draw()
        self._background = self.canvas.copy_from_bbox(self.fig.bbox)

    def png(self) -> bytes:
        """PNG bytes of the background with the animated artists drawn on top."""
        if self._background is None:
            self.redraw()
        self.canvas.restore_region(self._background)
        for a in self.animated:
            if a.axes is not None and a.get_visible():
                a.axes.draw_artist(a)
        rgba = np.asarray(self.canvas.buffer_rgba())
        if not self.transparent:
            return encode_png(rgba[:, :, :3])
        clear = rgba.copy()
        clear[clear[:, :, 3] == 0] = 0  # fully transparent: no colour either (smaller PNG)
        return encode_png(clear)


# ------------------------------------------------------- orientation letters on axes

#: Each patient direction and its opposite: R/L right/left, A/P anterior/posterior,
#: S/I superior/inferior (H/F, head/feet, as DICOM's PatientOrientation writes them).
_OPPOSITE = dict(zip("RLAPSIHF", "LRPAISFH", strict=True))
_AXIS = dict(zip("RLAPSIHF", (0, 0, 1, 1, 2, 2, 2, 2), strict=True))


def patient_direction(cosines: Any) -> str:
    """The patient direction a DICOM direction vector points to most.

    DICOM's patient axes (LPS) run towards the patient's Left, Posterior and
    Superior; ``ImageOrientationPatient`` holds two such vectors, the direction
    along a row and the direction down a column.

    Parameters
    ----------
    cosines : array_like
        Three direction cosines (x, y, z) in the patient's LPS axes.

    Returns
    -------
    str
        ``"L"``, ``"P"`` or ``"S"`` when the largest component is positive,
        ``"R"``, ``"A"`` or ``"I"`` when it is negative.

    Raises
    ------
    ValueError
        If ``cosines`` is not three finite numbers, not all zero.

    Examples
    --------
    >>> iop = [1, 0, 0, 0, 1, 0]  # the usual axial slice
    >>> patient_direction(iop[:3]), patient_direction(iop[3:])
    ('L', 'P')
    """
    v = np.asarray(cosines, dtype=np.float64)
    if v.shape != (3,) or not np.all(np.isfinite(v)) or not np.any(v):
        raise ValueError(
            f"direction cosines must be three finite numbers, not all zero; "
            f"found {np.asarray(cosines).tolist()!r}"
        )
    axis = int(np.argmax(np.abs(v)))
    return "LPS"[axis] if v[axis] > 0 else "RAI"[axis]


def label_orientation(ax: Any, right: str, down: str, *, color: str = "yellow") -> list[Any]:
    """Letter the four edges of an image drawn on matplotlib axes with the patient's directions.

    Along each row (left to right on screen) the image runs towards ``right``, and
    down each column (top to bottom) towards ``down``: the letter ``right`` goes on the
    right edge, its opposite on the left edge, ``down`` at the bottom and its opposite
    at the top. An axial slice in the radiological convention has ``right="L"``,
    ``down="P"``: R on the left of the screen, A at the top.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        The axes the image is drawn on (``imshow``, rows top to bottom).
    right, down : str
        One of R, L, A, P, S, I (or H, F) each; see :func:`patient_direction`.
    color : str
        Letter colour (on a translucent black box, readable on any grey level).

    Returns
    -------
    list of matplotlib.text.Text
        The letters on the left, right, top and bottom edges, in that order.

    Raises
    ------
    ValueError
        If a letter is unknown, or ``right`` and ``down`` lie on the same axis.
    """
    for name, letter in (("right", right), ("down", down)):
        if letter not in _OPPOSITE:
            raise ValueError(
                f"label_orientation {name}={letter!r}: expected one of {', '.join(_OPPOSITE)}"
            )
    if _AXIS[right] == _AXIS[down]:
        raise ValueError(
            f"label_orientation right={right!r} and down={down!r} lie on the "
            "same patient axis: rows and columns must run along different axes"
        )
    spots = [
        (0.03, 0.5, _OPPOSITE[right]),
        (0.97, 0.5, right),
        (0.5, 0.97, _OPPOSITE[down]),
        (0.5, 0.03, down),
    ]
    box = {"facecolor": "black", "alpha": 0.6, "lw": 0}
    return [
        ax.text(
            x,
            y,
            letter,
            transform=ax.transAxes,
            ha="center",
            va="center",
            color=color,
            fontsize=11,
            fontweight="bold",
            bbox=box,
        )
        for x, y, letter in spots
    ]
