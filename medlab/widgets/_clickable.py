"""An image you can click, and the plane geometry of a volume shown head-up.

:class:`ClickableImage` is a small anywidget: it shows PNG bytes drawn in NumPy
(:mod:`medlab.render`) and reports where the user clicked, in the image's own pixels.
Its JavaScript is the inline string below (no file to fetch, no CDN), so it works
offline. Keyboard users get the same: with the image focused (Tab), the arrow keys move
a cursor (``step`` pixels, ten steps with Shift) and Enter or Space clicks there. ``alt``
is the text alternative, read by screen readers.

The API is small on purpose, for every widget that needs a click:

==================  ================================================================
``value``           PNG bytes shown (set with :meth:`ClickableImage.set_image`)
``shape``           (rows, cols) of that image: the pixel grid clicks refer to
``width/height``    size on screen in CSS pixels (0: the image's own size)
``alt``             text alternative (``aria-label``)
``cursor``          (row, col) of the keyboard cursor, (-1, -1) for none; both sides set it
``step``            (rows, cols) an arrow key moves the cursor (Shift: ten steps)
``click``           the last click ``{"row", "col", "shift", "count"}``, set by the browser
``on_click(f)``     call ``f(row, col)`` after each click
``click_at(r, c)``  what a click does, from Python (tests, lessons)
==================  ================================================================

The plane helpers below draw the three planes of a (z, y, x) volume **head-up** in the
radiological convention (the patient's right on the left of the screen) and label
their sides with orientation letters (R/L, A/P, H/F), so that every view reads the same
way as a radiologist's screen.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

import anywidget
import numpy as np
import traitlets

__all__ = [
    "ORIENTATION",
    "PLANES",
    "ClickableImage",
    "DisplayGrid",
    "draw_letters",
    "head_up_plane",
]

_ESM = r"""
function clamp(value, size) {
  return Math.max(0, Math.min(size - 1, value));
}

function render({ model, el }) {
  const box = document.createElement("div");
  box.className = "medlab-clickable";
  box.tabIndex = 0;
  box.setAttribute("role", "application");
  box.setAttribute("data-lm-suppress-shortcuts", "true");
  const img = document.createElement("img");
  img.draggable = false;
  const mark = document.createElement("div");
  mark.className = "medlab-clickable-cursor";
  box.append(img, mark);
  el.append(box);
  let url = null;

  const shape = () => model.get("shape") || [0, 0];

  function showImage() {
    const data = model.get("value");
    const next = data && data.byteLength
      ? URL.createObjectURL(new Blob([data], { type: "image/png" }))
      : null;
    if (next) img.src = next; else img.removeAttribute("src");
    if (url) URL.revokeObjectURL(url);
    url = next;
  }
  function showSize() {
    const w = model.get("width"), h = model.get("height");
    img.style.width = w > 0 ? `${w}px` : "";
    img.style.height = h > 0 ? `${h}px` : "";
  }
  function showAlt() {
    const alt = model.get("alt");
    img.alt = alt;
    box.setAttribute("aria-label",
      `${alt}. Click, or use the arrow keys and Enter, to choose a point.`);
  }
  function showCursor() {
    const [rows, cols] = shape();
    const [r, c] = model.get("cursor") || [-1, -1];
    if (r < 0 || c < 0 || !rows || !cols) { mark.style.display = "none"; return; }
    mark.style.display = "";
    mark.style.left = `${((c + 0.5) / cols) * 100}%`;
    mark.style.top = `${((r + 0.5) / rows) * 100}%`;
  }
  function pick(row, col, shift) {
    const [rows, cols] = shape();
    if (!rows || !cols) return;
    const [r, c] = [clamp(row, rows), clamp(col, cols)];
    const last = model.get("click") || {};
    model.set("cursor", [r, c]);
    model.set("click", { row: r, col: c, shift: !!shift, count: (last.count || 0) + 1 });
    model.save_changes();
  }
  function onClick(event) {
    const [rows, cols] = shape();
    const rect = img.getBoundingClientRect();
    if (!rows || !cols || !rect.width || !rect.height) return;
    box.focus();
    pick(Math.floor(((event.clientY - rect.top) / rect.height) * rows),
         Math.floor(((event.clientX - rect.left) / rect.width) * cols), event.shiftKey);
  }
  function onKey(event) {
    const [rows, cols] = shape();
    if (!rows || !cols) return;
    let [r, c] = model.get("cursor") || [-1, -1];
    if (r < 0 || c < 0) { r = Math.floor(rows / 2); c = Math.floor(cols / 2); }
    const [sr, sc] = model.get("step") || [1, 1];
    const times = event.shiftKey ? 10 : 1;
    const moves = { ArrowUp: [-sr * times, 0], ArrowDown: [sr * times, 0],
                    ArrowLeft: [0, -sc * times], ArrowRight: [0, sc * times] };
    if (event.key in moves) {
      const [dr, dc] = moves[event.key];
      model.set("cursor", [clamp(r + dr, rows), clamp(c + dc, cols)]);
      model.save_changes();
    } else if (event.key === "Enter" || event.key === " ") {
      pick(r, c, event.shiftKey);
    } else {
      return;
    }
    event.preventDefault();
    event.stopPropagation();
  }
  img.addEventListener("click", onClick);
  box.addEventListener("keydown", onKey);
  const handlers = { "change:value": showImage, "change:width": showSize,
                     "change:height": showSize, "change:alt": showAlt,
                     "change:cursor": showCursor, "change:shape": showCursor };
  for (const [name, fn] of Object.entries(handlers)) model.on(name, fn);
  showImage(); showSize(); showAlt(); showCursor();
  return () => {
    for (const [name, fn] of Object.entries(handlers)) model.off(name, fn);
    if (url) URL.revokeObjectURL(url);
  };
}

export default { render };
"""

_CSS = """
.medlab-clickable { position: relative; display: inline-block; line-height: 0;
  cursor: crosshair; outline: none; }
.medlab-clickable:focus-visible { outline: 2px solid var(--jp-brand-color1, #1976d2);
  outline-offset: 2px; }
.medlab-clickable img { display: block; object-fit: fill; user-select: none; }
.medlab-clickable-cursor { position: absolute; width: 11px; height: 11px;
  transform: translate(-50%, -50%); border: 2px solid #ffd700; border-radius: 50%;
  box-shadow: 0 0 0 1px #000; pointer-events: none; }
.medlab-clickable:not(:focus) .medlab-clickable-cursor { visibility: hidden; }
"""


class ClickableImage(anywidget.AnyWidget):
    """A PNG image that reports clicks, and arrow keys + Enter, in image pixels.

    Parameters
    ----------
    image : numpy.ndarray, optional
        A grey (H, W) or RGB (H, W, 3) uint8 image to show (see :meth:`set_image`).
    alt : str
        Text alternative: what the image shows.
    width, height : int
        Size on screen in CSS pixels; 0 keeps the image's own size.

    Examples
    --------
    >>> img = ClickableImage(np.zeros((4, 6), np.uint8), alt="a black test image")
    >>> seen = []
    >>> img.on_click(lambda row, col: seen.append((row, col)))
    >>> img.click_at(2, 5)          # what a click on pixel (2, 5) does in the browser
    >>> seen, img.cursor
    ([(2, 5)], (2, 5))
    """

    _esm = _ESM
    _css = _CSS

    value = traitlets.Bytes(b"").tag(sync=True)
    shape = traitlets.Tuple(traitlets.Int(), traitlets.Int(), default_value=(0, 0)).tag(sync=True)
    width = traitlets.Int(0).tag(sync=True)
    height = traitlets.Int(0).tag(sync=True)
    alt = traitlets.Unicode("").tag(sync=True)
    cursor = traitlets.Tuple(traitlets.Int(), traitlets.Int(), default_value=(-1, -1)).tag(
        sync=True
    )
    step = traitlets.Tuple(traitlets.Int(), traitlets.Int(), default_value=(1, 1)).tag(sync=True)
    click = traitlets.Dict().tag(sync=True)

    def __init__(
        self, image: Any = None, *, alt: str = "", width: int = 0, height: int = 0, **kwargs: Any
    ) -> None:
        super().__init__(alt=alt, width=int(width), height=int(height), **kwargs)
        self._callbacks: list[Callable[[int, int], None]] = []
        self.observe(self._clicked, "click")
        if image is not None:
            self.set_image(image)

    def set_image(self, image: Any) -> None:
        """Show a grey (H, W) or RGB (H, W, 3) uint8 image; clicks then refer to its pixels."""
        from medlab.render import encode_png

        arr = np.asarray(image)
        if arr.ndim not in (2, 3):
            raise ValueError(f"ClickableImage expects (H, W) or (H, W, 3) pixels, got {arr.shape}")
        with self.hold_sync():
            self.shape = (int(arr.shape[0]), int(arr.shape[1]))
            self.value = encode_png(arr)

    def on_click(self, callback: Callable[[int, int], None]) -> None:
        """Call ``callback(row, col)`` after every click (or Enter) on the image."""
        self._callbacks.append(callback)

    def click_at(self, row: int, col: int, *, shift: bool = False) -> None:
        """Do what a click on pixel (``row``, ``col``) does in the browser.

        Raises
        ------
        ValueError
            If the pixel is outside the image.
        """
        rows, cols = self.shape
        if not (0 <= row < rows and 0 <= col < cols):
            raise ValueError(f"pixel ({row}, {col}) is outside the {rows} x {cols} image")
        count = int(self.click.get("count", 0)) + 1
        self.cursor = (int(row), int(col))
        self.click = {"row": int(row), "col": int(col), "shift": bool(shift), "count": count}

    def _clicked(self, change: dict) -> None:
        new = change["new"] or {}
        if "row" not in new or "col" not in new:
            return
        for callback in list(self._callbacks):
            callback(int(new["row"]), int(new["col"]))

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        bundle = super()._repr_mimebundle_(**kwargs)
        data, metadata = bundle if isinstance(bundle, tuple) else (bundle, {})
        data = dict(data or {})
        data["text/plain"] = f"ClickableImage(shape={tuple(self.shape)})"
        if self.value:  # a static picture for notebooks saved without widget state
            data["image/png"] = base64.b64encode(self.value).decode("ascii")
        return data, metadata


# --------------------------------------------------------------------- three planes, head-up

#: The three planes of a (z, y, x) volume.
PLANES = ("axial", "coronal", "sagittal")

#: Letters on the (top, bottom, left, right) sides of each plane, head-up, radiological:
#: R/L patient right/left, A/P anterior/posterior, H/F head/feet.
ORIENTATION = {
    "axial": ("A", "P", "R", "L"),
    "coronal": ("H", "F", "R", "L"),
    "sagittal": ("H", "F", "A", "P"),
}


def head_up_plane(volume: np.ndarray, plane: str, index: int) -> np.ndarray:
    """The 2D plane of a (z, y, x) volume through ``index``, drawn head-up.

    Axes: z feet → head, y anterior → posterior, x patient right → left. The axial
    plane ``volume[index]`` has the anterior side up and the patient's right on the left;
    the coronal (``volume[:, index, :]``) and sagittal (``volume[:, :, index]``) planes
    are flipped along z so that the head is up, anterior on the left of the sagittal.

    Parameters
    ----------
    volume : numpy.ndarray
        (z, y, x).
    plane : {"axial", "coronal", "sagittal"}
    index : int
        Slice index along the plane's normal (z, y or x).

    Returns
    -------
    numpy.ndarray
        A view: (y, x) axial, (z reversed, x) coronal, (z reversed, y) sagittal.
    """
    if plane == "axial":
        return volume[index]
    if plane == "coronal":
        return volume[::-1, index, :]
    if plane == "sagittal":
        return volume[::-1, :, index]
    raise ValueError(f"plane must be one of {PLANES}, got {plane!r}")


class DisplayGrid:
    """Nearest-neighbour map between a plane's voxels and its pixels on screen.

    A plane of ``shape`` voxels of ``spacing`` mm is shown with square pixels, its
    longer side ``max_px`` pixels, so that thick slices are not squashed.

    Parameters
    ----------
    shape : (int, int)
        (rows, cols) of the plane.
    spacing : (float, float)
        mm per row and per column.
    max_px : int
        Longer side on screen.

    Attributes
    ----------
    size : (int, int)
        (rows, cols) on screen.
    rows, cols : numpy.ndarray
        For each screen row (column), the plane row (column) it shows.
    """

    def __init__(self, shape: tuple[int, int], spacing: tuple[float, float], max_px: int):
        from medlab.render import display_size

        width, height = display_size(shape, spacing, max_px)
        self.shape = (int(shape[0]), int(shape[1]))
        self.size = (int(height), int(width))
        self.rows = ((np.arange(height) + 0.5) * shape[0] / height).astype(np.intp)
        self.cols = ((np.arange(width) + 0.5) * shape[1] / width).astype(np.intp)

    def resample(self, plane: np.ndarray) -> np.ndarray:
        """The plane (2D or with a trailing colour axis) on the screen grid."""
        return plane[self.rows[:, None], self.cols[None, :]]

    def to_plane(self, row: int, col: int) -> tuple[int, int]:
        """The plane pixel shown at screen pixel (``row``, ``col``)."""
        return int(self.rows[row]), int(self.cols[col])

    def to_screen(self, row: int, col: int) -> tuple[int, int]:
        """The screen pixel at the middle of plane pixel (``row``, ``col``)."""
        r = int((row + 0.5) * self.size[0] / self.shape[0])
        c = int((col + 0.5) * self.size[1] / self.shape[1])
        return min(r, self.size[0] - 1), min(c, self.size[1] - 1)


# 5 × 7 glyphs of the orientation letters
_GLYPHS = {
    "R": ("11110", "10001", "10001", "11110", "10100", "10010", "10001"),
    "L": ("10000", "10000", "10000", "10000", "10000", "10000", "11111"),
    "A": ("01110", "10001", "10001", "11111", "10001", "10001", "10001"),
    "P": ("11110", "10001", "10001", "11110", "10000", "10000", "10000"),
    "H": ("10001", "10001", "10001", "11111", "10001", "10001", "10001"),
    "F": ("11111", "10000", "10000", "11110", "10000", "10000", "10000"),
}


def _glyph(letter: str, scale: int) -> np.ndarray:
    rows = _GLYPHS[letter]
    bits = np.array([[c == "1" for c in row] for row in rows], bool)
    return np.kron(bits, np.ones((scale, scale), bool))


def draw_letters(
    rgb: np.ndarray, letters: tuple[str, str, str, str], *, scale: int | None = None
) -> np.ndarray:
    """Write orientation letters in the middle of each side of an RGB image, in place.

    White letters with a black rim, readable on any grey level.

    Parameters
    ----------
    rgb : numpy.ndarray
        (H, W, 3) uint8, modified in place.
    letters : 4 str
        (top, bottom, left, right), each one of R, L, A, P, H, F (or "" for none); see
        :data:`ORIENTATION`.
    scale : int, optional
        Glyph size in multiples of 5 × 7 pixels (default: 2, or 1 on small images).

    Returns
    -------
    numpy.ndarray
        ``rgb``.
    """
    from scipy import ndimage

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
        if not letter or top < 1 or left < 1 or top + gh >= h or left + gw >= w:
            continue
        glyph = _glyph(letter, s)
        rim = ndimage.binary_dilation(np.pad(glyph, 1), np.ones((3, 3), bool))
        region = rgb[top - 1 : top + gh + 1, left - 1 : left + gw + 1]
        region[rim] = 0
        region[1:-1, 1:-1][glyph] = 255
    return rgb
