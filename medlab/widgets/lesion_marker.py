"""LesionMarker: mark a lesion in a CT volume by clicking it, correct the marking, measure it.

Three planes (axial, coronal, sagittal) are drawn head-up in the radiological convention
with orientation letters on each side. A click in any plane puts the cursor there and,
in *mark* mode, seeds :func:`medlab.segment.mark_lesion` at the clicked voxel: the
marking appears in all three planes. The learner corrects it the way a planning
workstation lets them:

- the **threshold** (HU) and **radius** (mm) sliders re-run every seed with new limits;
- a second click on a part that was missed adds it (the marking is the union of seeds);
- in *erase* mode (or with Shift held) a click removes a ball of the **eraser** radius,
  and with it whatever that cut off from the seeds (a vessel or a leak into the
  mediastinum goes with one click on its neck);
- **undo** takes back the last click, **clear** starts again.

The readout gives the volume in mm³ and the mean of the long and short axes measured on
axial slices (:func:`medlab.measure.axial_diameters_mm`; guidelines measure on the plane
where the nodule is largest, which on thick slices is in practice the axial one), and,
when a reference mask is given as ``reference``, the Dice coefficient and the volume
difference.

Everything a click does is available from Python, so a lesson (or a test) drives the
widget exactly as a learner would: ``marker.click(z, y, x)``, ``marker.mask``,
``marker.seed``, ``marker.measurements``.
"""

from __future__ import annotations

import base64
import functools
import time
from typing import Any

import numpy as np

from medlab.render import blend, encode_png, outline, parse_color, to_rgb, to_uint8
from medlab.widgets._base import MedlabWidget, WindowControls, as_image
from medlab.widgets._clickable import (
    ORIENTATION,
    PLANES,
    ClickableImage,
    DisplayGrid,
    draw_letters,
    head_up_plane,
)

__all__ = ["LesionMarker", "niivue_view", "plane_picture"]

MODES = ("mark", "erase", "move")
# the render palette's (Okabe-Ito) orange and sky blue: told apart without red/green vision
_MARK_COLOR = parse_color("orange")
_REFERENCE_COLOR = parse_color("cyan")
_CURSOR_COLOR = np.array((255, 215, 0), np.uint8)
_BACKGROUND = (40, 40, 40)


class LesionMarker(MedlabWidget):
    """Mark a lesion with clicks in three planes; correct it; read its volume and diameters.

    Parameters
    ----------
    ct : array_like or MedicalImage
        CT volume in HU, indexed (z, y, x): z feet → head, y anterior → posterior,
        x patient right → left.
    spacing : sequence of 3 floats
        Voxel size in mm (z, y, x).
    lungs : array_like of bool, optional
        Both lungs (:func:`medlab.segment.lung_masks`); the marking grows only inside
        their slice-wise hull, the lung field (:func:`medlab.segment.lung_field`).
    field : array_like of bool, optional
        The lung field itself, if already computed (instead of ``lungs``).
    reference : array_like of bool, optional
        An expert mask to compare with (Dice, volume difference) and to outline in cyan.
    window : str or (center, width)
        Display window (default ``"lung"``).
    threshold_hu, radius_mm, opening_mm : float
        Starting limits of :func:`medlab.segment.mark_lesion` (−300 HU, 30 mm, 2 mm).
    eraser_mm : float
        Radius of the eraser ball (default 5 mm).
    cursor : (z, y, x), optional
        Where the planes start (default: the volume's centre).
    max_px : int
        Longer side of each plane on screen, in pixels (default 340).

    Attributes
    ----------
    mask : numpy.ndarray of bool
        The current marking, the shape of ``ct``.
    seed : tuple of 3 int or None
        The last seed clicked in *mark* mode.
    seeds : list of tuple
        Every seed of the marking, in order.
    measurements : dict
        ``voxels``, ``volume_mm3``, ``long_mm``, ``short_mm``, ``mean_mm`` (mean axial
        diameter), ``dice`` and ``volume_difference`` (vs ``reference``, else None),
        ``ms`` (time the last click took, marking and drawing).
    images : dict of str to ClickableImage
        The three planes; ``images["axial"].click_at(row, col)`` is a click on screen.
    mode_buttons, threshold_slider, radius_slider, eraser_slider : ipywidgets
        The controls.

    Examples
    --------
    >>> marker = LesionMarker(ct, spacing, lungs=lungs["lungs"], reference=tumour)  # doctest: +SKIP
    >>> marker.click(33, 359, 218)        # as a click on the nodule           # doctest: +SKIP
    >>> round(marker.measurements["dice"], 2)                                   # doctest: +SKIP
    0.93
    """

    def __init__(
        self,
        ct: Any,
        spacing: Any,
        *,
        lungs: Any = None,
        field: Any = None,
        reference: Any = None,
        window: Any = "lung",
        threshold_hu: float = -300.0,
        radius_mm: float = 30.0,
        opening_mm: float = 2.0,
        eraser_mm: float = 5.0,
        cursor: Any = None,
        max_px: int = 340,
    ) -> None:
        import ipywidgets as w

        data, sp, _ = as_image(ct, spacing, name="LesionMarker ct", ndims=(3,))
        if spacing is None:
            raise ValueError("LesionMarker needs the voxel spacing (z, y, x) in mm")
        self.ct = data
        self.spacing = sp
        self.shape = data.shape
        self.field = self._optional_mask(field, "field")
        if self.field is None and lungs is not None:
            from medlab.segment import lung_field

            self.field = lung_field(self._optional_mask(lungs, "lungs"))
        self.reference = self._optional_mask(reference, "reference")
        self._reference_voxels = (
            int(np.count_nonzero(self.reference)) if self.reference is not None else 0
        )
        self.opening_mm = float(opening_mm)
        self.mask = np.zeros(self.shape, bool)
        self.seeds: list[tuple[int, int, int]] = []
        self._ops: list[tuple] = []
        self._markings: dict[tuple, np.ndarray] = {}
        self._grey: dict[str, tuple[tuple, np.ndarray]] = {}
        self._rgb: dict[str, np.ndarray] = {}
        self._syncing = False
        self._ready = False
        self.measurements: dict[str, Any] = {}
        self.message = ""

        nz, ny, nx = self.shape
        start = tuple(int(c) for c in cursor) if cursor is not None else (nz // 2, ny // 2, nx // 2)
        self._check_voxel(start, "cursor")
        self.z_slider = w.IntSlider(value=start[0], min=0, max=nz - 1, description="z (axial)")
        self.y_slider = w.IntSlider(value=start[1], min=0, max=ny - 1, description="y (coronal)")
        self.x_slider = w.IntSlider(value=start[2], min=0, max=nx - 1, description="x (sagittal)")
        sample = data[:: max(1, nz // 16), :: max(1, ny // 64), :: max(1, nx // 64)]
        self.controls = WindowControls(sample, "HU", window, self.render)
        self.mode_buttons = w.ToggleButtons(
            options=[("mark", "mark"), ("erase", "erase"), ("move cursor", "move")],
            value="mark",
            description="a click",
            tooltips=[
                "a click marks the lesion under it (adds to the marking)",
                "a click erases a ball of the eraser radius (Shift-click too)",
                "a click only moves the cursor",
            ],
        )
        self.threshold_slider = w.FloatSlider(
            value=float(threshold_hu),
            min=-900.0,
            max=200.0,
            step=10.0,
            description="threshold HU",
            continuous_update=False,
            readout_format=".0f",
        )
        self.radius_slider = w.FloatSlider(
            value=float(radius_mm),
            min=3.0,
            max=100.0,
            step=1.0,
            description="radius mm",
            continuous_update=False,
            readout_format=".0f",
        )
        self.eraser_slider = w.FloatSlider(
            value=float(eraser_mm),
            min=1.0,
            max=30.0,
            step=0.5,
            description="eraser mm",
            continuous_update=False,
            readout_format=".1f",
        )
        self.undo_button = w.Button(description="undo", tooltip="take back the last click")
        self.clear_button = w.Button(description="clear", tooltip="remove the whole marking")
        self.show_reference = w.Checkbox(
            value=self.reference is not None,
            description="reference outline (cyan)",
            layout=w.Layout(display=None if self.reference is not None else "none"),
        )
        self.grids = {
            p: DisplayGrid(self._plane_shape(p), self._plane_spacing(p), max_px) for p in PLANES
        }
        self.images: dict[str, ClickableImage] = {}
        for plane in PLANES:
            rows, cols = self.grids[plane].size
            image = ClickableImage(width=cols, height=rows)
            plane_rows, plane_cols = self.grids[plane].shape
            image.step = (max(1, round(rows / plane_rows)), max(1, round(cols / plane_cols)))
            image.on_click(functools.partial(self._screen_click, plane))
            image.observe(functools.partial(self._screen_cursor, plane), "cursor")
            self.images[plane] = image
        self.readout = w.HTML()
        self.position = w.HTML()

        for s in (self.z_slider, self.y_slider, self.x_slider):
            s.observe(lambda _c: self.render(), "value")
        for s in (self.threshold_slider, self.radius_slider):
            s.observe(lambda _c: self._limits_changed(), "value")
        self.show_reference.observe(lambda _c: self.render(), "value")
        self.undo_button.on_click(lambda _b: self.undo())
        self.clear_button.on_click(lambda _b: self.clear())
        titles = {p: w.HTML(f"<b>{p}</b>") for p in PLANES}
        self.widget = w.VBox(
            [
                w.HBox([self.mode_buttons, self.undo_button, self.clear_button]),
                w.HBox([self.threshold_slider, self.radius_slider, self.eraser_slider]),
                self.controls.box,
                w.HBox([w.VBox([titles[p], self.images[p]]) for p in PLANES]),
                w.HBox([self.z_slider, self.y_slider, self.x_slider, self.show_reference]),
                self.readout,
                self.position,
            ]
        )
        self._ready = True
        self._measure(0.0)
        self.render()

    # ------------------------------------------------------------------ inputs
    def _optional_mask(self, mask: Any, name: str) -> np.ndarray | None:
        if mask is None:
            return None
        m = np.asarray(mask)
        if m.shape != self.shape:
            raise ValueError(
                f"LesionMarker {name} has shape {m.shape}, expected the CT's shape {self.shape}"
            )
        return m.astype(bool, copy=False)

    def _check_voxel(self, voxel: tuple, name: str) -> None:
        if len(voxel) != 3 or not all(0 <= v < n for v, n in zip(voxel, self.shape, strict=True)):
            raise ValueError(
                f"{name} {tuple(voxel)!r} is not a voxel (z, y, x) of the CT {self.shape}"
            )

    # ------------------------------------------------------------------- state
    @property
    def cursor(self) -> tuple[int, int, int]:
        """The cursor (z, y, x) the three planes go through."""
        return int(self.z_slider.value), int(self.y_slider.value), int(self.x_slider.value)

    @property
    def seed(self) -> tuple[int, int, int] | None:
        """The last seed of the marking (None before the first marking click)."""
        return self.seeds[-1] if self.seeds else None

    @property
    def mode(self) -> str:
        """What a click does: ``"mark"``, ``"erase"`` or ``"move"``."""
        return str(self.mode_buttons.value)

    @mode.setter
    def mode(self, value: str) -> None:
        if value not in MODES:
            raise ValueError(f"LesionMarker mode must be one of {MODES}, got {value!r}")
        self.mode_buttons.value = value

    def set_cursor(self, z: int, y: int, x: int) -> None:
        """Move the cursor (one redraw)."""
        self._check_voxel((z, y, x), "cursor")
        self._ready = False
        try:
            self.z_slider.value, self.y_slider.value, self.x_slider.value = int(z), int(y), int(x)
        finally:
            self._ready = True
        self.render()

    def summary(self) -> str:
        """``LesionMarker(shape=..., spacing=...)``: stable, whatever is marked (nbval)."""
        return f"LesionMarker(shape={self.shape}, spacing={self.spacing})"

    # ---------------------------------------------------------------- clicking
    def click(self, z: int, y: int, x: int, *, erase: bool = False) -> None:
        """What a click on voxel (z, y, x) does: mark, erase or move, as :attr:`mode` says.

        The cursor moves to the voxel in every mode; ``erase=True`` erases whatever the
        mode (a Shift-click).
        """
        voxel = (int(z), int(y), int(x))
        self._check_voxel(voxel, "click")
        started = time.perf_counter()
        mode = "erase" if erase else self.mode
        self._ready = False
        try:
            self.z_slider.value, self.y_slider.value, self.x_slider.value = voxel
        finally:
            self._ready = True
        if mode == "mark":
            self._ops.append(("mark", voxel))
            self.seeds.append(voxel)
            self._replay()
            if not self._marking(voxel).any():
                self.message = (
                    f"nothing marked at {voxel}: {self.ct[voxel]:.0f} HU is not above "
                    f"the threshold ({self.threshold_slider.value:.0f} HU) inside the "
                    "lung field"
                )
        elif mode == "erase":
            self._ops.append(("erase", voxel, float(self.eraser_slider.value)))
            self._replay()
        self._measure(started)
        self.render()
        self.measurements["ms"] = (time.perf_counter() - started) * 1000.0
        self._show_readout()

    def mark(self, z: int, y: int, x: int) -> None:
        """Add the lesion under voxel (z, y, x) to the marking (a click in *mark* mode)."""
        with self._mode("mark"):
            self.click(z, y, x)

    def erase(self, z: int, y: int, x: int) -> None:
        """Erase a ball of the eraser radius at (z, y, x) and what it cuts off from the seeds."""
        self.click(z, y, x, erase=True)

    def undo(self) -> None:
        """Take back the last marking or erasing click."""
        if not self._ops:
            return
        op = self._ops.pop()
        if op[0] == "mark":
            self.seeds.pop()
        self._replay()
        self._measure(time.perf_counter())
        self.render()

    def clear(self) -> None:
        """Remove the whole marking."""
        self._ops.clear()
        self.seeds.clear()
        self._replay()
        self._measure(time.perf_counter())
        self.render()

    def _mode(self, mode: str) -> Any:
        from contextlib import contextmanager

        @contextmanager
        def switched():
            before = self.mode_buttons.value
            self.mode_buttons.value = mode
            try:
                yield
            finally:
                self.mode_buttons.value = before

        return switched()

    def _screen_click(self, plane: str, row: int, col: int) -> None:
        shift = bool(self.images[plane].click.get("shift", False))
        self.click(*self._voxel(plane, row, col), erase=shift)

    def _screen_cursor(self, plane: str, change: dict) -> None:
        """Arrow keys moved a plane's cursor: move the 3D cursor with it."""
        if self._syncing:
            return
        row, col = change["new"]
        rows, cols = self.grids[plane].size
        if 0 <= row < rows and 0 <= col < cols:
            voxel = self._voxel(plane, row, col)
            if voxel != self.cursor:
                self.set_cursor(*voxel)

    def _voxel(self, plane: str, row: int, col: int) -> tuple[int, int, int]:
        """The voxel shown at screen pixel (row, col) of a plane."""
        z, y, x = self.cursor
        r, c = self.grids[plane].to_plane(row, col)
        top = self.shape[0] - 1
        return {"axial": (z, r, c), "coronal": (top - r, y, c), "sagittal": (top - r, c, x)}[plane]

    def _screen(self, plane: str) -> tuple[int, int]:
        """The screen pixel of the cursor in a plane."""
        z, y, x = self.cursor
        top = self.shape[0] - 1
        r, c = {"axial": (y, x), "coronal": (top - z, x), "sagittal": (top - z, y)}[plane]
        return self.grids[plane].to_screen(r, c)

    # ----------------------------------------------------------------- marking
    def _limits_changed(self) -> None:
        if self._ops:
            started = time.perf_counter()
            self._replay()
            self._measure(started)
        self.render()

    def _marking(self, seed: tuple[int, int, int]) -> np.ndarray:
        """The marking of one seed with the current limits (cached)."""
        from medlab.segment import mark_lesion

        key = (seed, float(self.threshold_slider.value), float(self.radius_slider.value))
        if key not in self._markings:
            if len(self._markings) >= 8:
                self._markings.pop(next(iter(self._markings)))
            self._markings[key] = mark_lesion(
                self.ct,
                seed,
                self.spacing,
                field=self.field,
                threshold_hu=key[1],
                radius_mm=key[2],
                opening_mm=self.opening_mm,
            )
        return self._markings[key]

    def _replay(self) -> None:
        """Rebuild :attr:`mask` from the clicks, in order, with the current limits."""
        mask = np.zeros(self.shape, bool)
        seeds: list[tuple[int, int, int]] = []
        for op in self._ops:
            if op[0] == "mark":
                mask |= self._marking(op[1])
                seeds.append(op[1])
            else:
                self._erase_ball(mask, op[1], op[2], seeds)
        self.mask = mask
        self.message = ""

    def _erase_ball(
        self, mask: np.ndarray, centre: tuple, radius_mm: float, seeds: list[tuple[int, int, int]]
    ) -> None:
        """Clear a ball in ``mask`` (in place), then the pieces it cut off from every seed."""
        from scipy import ndimage

        sp = np.asarray(self.spacing)
        half = np.ceil(radius_mm / sp).astype(int)
        lo = np.maximum(np.subtract(centre, half), 0)
        hi = np.minimum(np.add(centre, half) + 1, self.shape)
        grid = np.ogrid[tuple(slice(a - c, b - c) for a, b, c in zip(lo, hi, centre, strict=True))]
        ball = sum((g * d) ** 2 for g, d in zip(grid, sp, strict=True)) <= radius_mm**2
        box = tuple(slice(a, b) for a, b in zip(lo, hi, strict=True))
        mask[box] &= ~ball
        bounds = _bounds(mask)
        if bounds is None:
            return
        labels, _ = ndimage.label(mask[bounds], structure=np.ones((3, 3, 3), bool))
        start = np.array([b.start for b in bounds])
        stop = np.array([b.stop for b in bounds])
        keep = {
            int(labels[tuple(np.subtract(s, start))])
            for s in seeds
            if np.all(np.asarray(s) >= start) and np.all(np.asarray(s) < stop)
        } - {0}
        if keep:  # pieces that hold no seed any more go; with no seed left, keep all
            mask[bounds] = np.isin(labels, sorted(keep))

    # --------------------------------------------------------------- measuring
    def _measure(self, started: float) -> None:
        from medlab.measure import axial_diameters_mm

        voxels = int(np.count_nonzero(self.mask))
        m: dict[str, Any] = {
            "voxels": voxels,
            "volume_mm3": voxels * float(np.prod(self.spacing)),
            "long_mm": None,
            "short_mm": None,
            "mean_mm": None,
            "dice": None,
            "volume_difference": None,
            "ms": (time.perf_counter() - started) * 1000.0 if started else 0.0,
        }
        bounds = _bounds(self.mask) if voxels else None
        if bounds is not None:
            d = axial_diameters_mm(self.mask[bounds], self.spacing)
            m.update(long_mm=d["long_mm"], short_mm=d["short_mm"], mean_mm=d["mean_mm"])
        if self.reference is not None and self._reference_voxels:
            both = (
                int(np.count_nonzero(self.mask[bounds] & self.reference[bounds]))
                if bounds is not None
                else 0
            )
            m["dice"] = 2.0 * both / (voxels + self._reference_voxels)
            m["volume_difference"] = voxels / self._reference_voxels - 1.0
        self.measurements = m
        self._show_readout()

    def _show_readout(self) -> None:
        m = self.measurements
        if not m.get("voxels"):
            text = "no marking yet: click the lesion in any plane"
        else:
            text = (
                f"marking: <b>{m['volume_mm3']:,.0f} mm³</b> ({m['volume_mm3'] / 1000:.2f} mL)"
                f" · mean axial diameter <b>{m['mean_mm']:.1f} mm</b> (long "
                f"{m['long_mm']:.1f} × short {m['short_mm']:.1f} mm)"
            )
            if m["dice"] is not None:
                text += (
                    f" · vs reference: Dice <b>{m['dice']:.3f}</b>, volume "
                    f"{m['volume_difference']:+.0%}"
                )
            text += f" · {len(self.seeds)} seed(s), {m['ms']:.0f} ms"
        if self.message:
            text += f"<br>{self.message}"
        self.readout.value = text

    # ----------------------------------------------------------------- drawing
    def _plane_shape(self, plane: str) -> tuple[int, int]:
        nz, ny, nx = self.shape
        return {"axial": (ny, nx), "coronal": (nz, nx), "sagittal": (nz, ny)}[plane]

    def _plane_spacing(self, plane: str) -> tuple[float, float]:
        sz, sy, sx = self.spacing
        return {"axial": (sy, sx), "coronal": (sz, sx), "sagittal": (sz, sy)}[plane]

    def _index(self, plane: str) -> int:
        z, y, x = self.cursor
        return {"axial": z, "coronal": y, "sagittal": x}[plane]

    def _grey_plane(self, plane: str) -> np.ndarray:
        """The windowed plane on the screen grid, grey uint8 (cached)."""
        from medlab.preprocess import window

        key = (self._index(plane), self.controls.value)
        hit = self._grey.get(plane)
        if hit is None or hit[0] != key:
            picture = self.grids[plane].resample(head_up_plane(self.ct, plane, key[0]))
            hit = (key, to_uint8(window(picture, *key[1])))
            self._grey[plane] = hit
        return hit[1]

    def plane_rgb(self, plane: str) -> np.ndarray:
        """The plane as shown: CT, marking, reference outline, cursor, orientation letters.

        Returns
        -------
        numpy.ndarray
            (rows, cols, 3) uint8 on the screen grid.
        """
        grid, index = self.grids[plane], self._index(plane)
        rgb = to_rgb(self._grey_plane(plane))
        marked = grid.resample(head_up_plane(self.mask, plane, index))
        if marked.any():
            blend(rgb, marked, _MARK_COLOR, 0.45, inplace=True)
            blend(rgb, outline(marked), _MARK_COLOR, 1.0, inplace=True)
        if self.reference is not None and self.show_reference.value:
            expert = grid.resample(head_up_plane(self.reference, plane, index))
            if expert.any():
                blend(rgb, outline(expert), _REFERENCE_COLOR, 1.0, inplace=True)
        _draw_cursor(rgb, *self._screen(plane))
        return draw_letters(rgb, ORIENTATION[plane])

    def render(self) -> None:
        """Redraw the three planes and the position readout."""
        if not self._ready:
            return
        z, y, x = self.cursor
        center, width = self.controls.value
        self._syncing = True
        try:
            for plane in PLANES:
                rgb = self.plane_rgb(plane)
                self._rgb[plane] = rgb
                image = self.images[plane]
                with image.hold_sync():
                    image.set_image(rgb)
                    image.alt = self._alt(plane, center, width)
                    here = self._screen(plane)
                    if image.cursor[0] < 0 or self._voxel(plane, *image.cursor) != self.cursor:
                        image.cursor = here
        finally:
            self._syncing = False
        sz, sy, sx = self.spacing
        self.position.value = (
            f"<code>cursor (z={z}, y={y}, x={x}) = ({z * sz:.1f}, {y * sy:.1f}, {x * sx:.1f}) "
            f"mm: {float(self.ct[z, y, x]):.0f} HU{' · marked' if self.mask[z, y, x] else ''}"
            "</code>"
        )
        changed = getattr(self, "_changed", None)  # the stored picture follows the view
        if changed is not None:
            changed()

    def _alt(self, plane: str, center: float, width: float) -> str:
        index = self._index(plane)
        axis = {"axial": "z", "coronal": "y", "sagittal": "x"}[plane]
        top, bottom, left, right = ORIENTATION[plane]
        m = self.measurements
        marked = (
            f"marking of {m['volume_mm3']:.0f} cubic mm in orange"
            if m.get("voxels")
            else "no marking"
        )
        if m.get("dice") is not None:
            marked += f", expert outline in cyan, Dice {m['dice']:.2f}"
        return (
            f"CT {plane} plane {axis}={index}, head-up ({top} top, {bottom} bottom, {left} "
            f"left, {right} right), window {center:.0f}/{width:.0f} HU, {marked}"
        )

    def alt_text(self) -> str:
        """What the three planes show now, in words (the static picture's caption)."""
        z, y, x = self.cursor
        m = self.measurements
        center, width = self.controls.value
        text = (
            f"CT planes through (z={z}, y={y}, x={x}), head-up, patient's right on the left, "
            f"window {center:.0f}/{width:.0f} HU: axial, coronal, sagittal. "
        )
        if m.get("voxels"):
            text += (
                f"Marking (orange): {m['volume_mm3']:,.0f} cubic mm, mean axial diameter "
                f"{m['mean_mm']:.1f} mm, {len(self.seeds)} seed(s)"
            )
            if m.get("dice") is not None:
                text += f"; expert outline (cyan), Dice {m['dice']:.2f}"
        else:
            text += "No marking yet."
        return text

    def static_image(self) -> np.ndarray:
        """The three planes as shown (:meth:`rgb`): the picture kept in a saved notebook."""
        return self.rgb()

    def rgb(self) -> np.ndarray:
        """The three planes side by side, as shown (uint8 RGB): the widget's static picture."""
        planes = [self._rgb[p] if p in self._rgb else self.plane_rgb(p) for p in PLANES]
        height = max(p.shape[0] for p in planes)
        gap = np.zeros((height, 6, 3), np.uint8)
        gap[:] = _BACKGROUND
        parts: list[np.ndarray] = []
        for p in planes:
            padded = np.empty((height, p.shape[1], 3), np.uint8)
            padded[:] = _BACKGROUND
            padded[: p.shape[0]] = p
            parts += [padded, gap]
        return np.concatenate(parts[:-1], axis=1)

    def png(self) -> bytes:
        """:meth:`rgb` as PNG bytes."""
        return encode_png(self.rgb())

    def _repr_mimebundle_(self, **kwargs: Any) -> dict | None:
        bundle = super()._repr_mimebundle_(**kwargs)
        if bundle is not None and "image/png" not in bundle:  # a picture for saved notebooks
            bundle["image/png"] = base64.b64encode(self.png()).decode("ascii")
        return bundle


def plane_picture(
    ct: Any,
    spacing: Any,
    plane: str,
    cursor: Any,
    *,
    window: tuple[float, float] = (-600.0, 1500.0),
    fills: Any = (),
    outlines: Any = (),
    cross: bool = False,
    around_mm: float | None = None,
    max_px: int = 340,
) -> np.ndarray:
    """One plane of a CT as LesionMarker draws it, for a static figure.

    Head-up, radiological, square pixels, orientation letters on each side.

    Parameters
    ----------
    ct : array_like
        (z, y, x) volume in HU.
    spacing : sequence of 3 floats
        Voxel size in mm (z, y, x).
    plane : {"axial", "coronal", "sagittal"}
    cursor : (z, y, x)
        The voxel the plane goes through.
    window : (center, width)
        Display window in HU (default the lung window, −600/1500).
    fills, outlines : sequence of (mask, colour)
        Masks of the CT's shape painted at 45 % opacity, or outlined, in a colour
        (a name of :data:`medlab.render.LABEL_COLORS`' palette or an RGB triple).
    cross : bool
        Draw the cursor's crosshair.
    around_mm : float, optional
        Show only a square of this half-width around the cursor (a close-up).
    max_px : int
        Longer side in pixels.

    Returns
    -------
    numpy.ndarray
        (rows, cols, 3) uint8.
    """
    from medlab.preprocess import window as apply_window

    volume = np.asarray(ct)
    sp = tuple(float(v) for v in spacing)
    z, y, x = (int(c) for c in cursor)
    index = {"axial": z, "coronal": y, "sagittal": x}[plane]
    shape2d = {
        "axial": volume.shape[1:],
        "coronal": (volume.shape[0], volume.shape[2]),
        "sagittal": volume.shape[:2],
    }[plane]
    spacing2d = {"axial": (sp[1], sp[2]), "coronal": (sp[0], sp[2]), "sagittal": (sp[0], sp[1])}[
        plane
    ]
    top = volume.shape[0] - 1
    r, c = {"axial": (y, x), "coronal": (top - z, x), "sagittal": (top - z, y)}[plane]
    window_rc = (slice(0, shape2d[0]), slice(0, shape2d[1]))
    if around_mm is not None:  # a close-up: plane rows and columns around the cursor
        half = [max(1, round(around_mm / s)) for s in spacing2d]
        window_rc = (
            slice(max(r - half[0], 0), min(r + half[0] + 1, shape2d[0])),
            slice(max(c - half[1], 0), min(c + half[1] + 1, shape2d[1])),
        )
    shape2d = (window_rc[0].stop - window_rc[0].start, window_rc[1].stop - window_rc[1].start)
    grid = DisplayGrid(shape2d, spacing2d, max_px)

    def shown(array: np.ndarray) -> np.ndarray:
        return grid.resample(head_up_plane(array, plane, index)[window_rc])

    rgb = to_rgb(to_uint8(apply_window(shown(volume), *window)))
    for mask, color in fills:
        blend(rgb, shown(np.asarray(mask, bool)), color, 0.45, inplace=True)
    for mask, color in outlines:
        blend(rgb, outline(shown(np.asarray(mask, bool))), color, 1.0, inplace=True)
    if cross:
        _draw_cursor(rgb, *grid.to_screen(r - window_rc[0].start, c - window_rc[1].start))
    return draw_letters(rgb, ORIENTATION[plane])


def niivue_view(
    ct: Any,
    spacing: Any,
    overlays: Any = (),
    *,
    shrink: int = 4,
    window: tuple[float, float] = (-600.0, 1500.0),
    height: int = 420,
) -> Any:
    """A 3D view of a CT and masks with ipyniivue (offline: its script ships in the wheel).

    Three planes and a volume rendering that the learner can rotate. The data travel
    over the widget connection as gzip NIfTI (no file, no network); the CT is shrunk
    ``shrink`` times in-plane to keep that small (1.3 MB for a 512 × 512 × 61 CT at the
    default 4, voxels of 2.5 mm: enough to turn the anatomy around). The
    widget's saved state would embed NiiVue's 5 MB script: keep it out of stored lesson
    outputs (``run_lesson.py`` stores no widget state).

    Parameters
    ----------
    ct : array_like
        (z, y, x) volume in HU, axes feet → head, anterior → posterior, right → left.
    spacing : sequence of 3 floats
        Voxel size in mm (z, y, x).
    overlays : sequence of (mask, colormap)
        Masks drawn over the CT in a NiiVue colour map (``"red"``, ``"green"``, ``"blue"``,
        ``"warm"`` ...).
    shrink : int
        In-plane shrink factor.
    window : (center, width)
        Display window of the CT in HU.
    height : int
        Height on screen in pixels.

    Returns
    -------
    ipyniivue.NiiVue
    """
    import gzip

    import nibabel as nib
    from ipyniivue import NiiVue, ShowRender, SliceType

    def nifti(array: np.ndarray, dtype: Any) -> bytes:
        f = int(shrink)
        nz, ny, nx = array.shape
        cut = np.asarray(array, np.float32)[:, : ny - ny % f, : nx - nx % f]
        small = cut.reshape(nz, ny // f, f, nx // f, f).mean(axis=(2, 4))
        data = np.round(small).astype(dtype) if dtype != np.uint8 else (small > 0.5).astype(dtype)
        sz, sy, sx = (float(v) for v in spacing)
        # NIfTI is (x, y, z) in RAS+: x grows to the patient's right, y to the front, z up
        affine = np.diag([-sx * f, -sy * f, sz, 1.0])
        image = nib.Nifti1Image(np.ascontiguousarray(data.transpose(2, 1, 0)), affine)
        return gzip.compress(image.to_bytes(), compresslevel=1)

    center, width = window
    volumes = [
        {
            "data": nifti(np.asarray(ct), np.int16),
            "name": "ct.nii.gz",
            "colormap": "gray",
            "cal_min": center - width / 2,
            "cal_max": center + width / 2,
        }
    ]
    for k, (mask, colormap) in enumerate(overlays):
        volumes.append(
            {
                "data": nifti(np.asarray(mask, np.float32), np.uint8),
                "name": f"mask{k}.nii.gz",
                "colormap": colormap,
                "opacity": 0.8,
                "cal_min": 0.5,
                "cal_max": 1.0,
            }
        )
    view = NiiVue(
        height=height, slice_type=SliceType.MULTIPLANAR, multiplanar_show_render=ShowRender.ALWAYS
    )
    view.load_volumes(volumes)
    return view


def _bounds(mask: np.ndarray) -> tuple[slice, ...] | None:
    """The bounding box of a mask's True voxels, or None when it has none."""
    spans = []
    for axis in range(mask.ndim):
        others = tuple(a for a in range(mask.ndim) if a != axis)
        hit = np.flatnonzero(mask.any(axis=others))
        if hit.size == 0:
            return None
        spans.append(slice(int(hit[0]), int(hit[-1]) + 1))
    return tuple(spans)


def _draw_cursor(rgb: np.ndarray, r: int, c: int) -> None:
    """A crosshair with a gap around (r, c), so that what is under it stays visible."""
    gap = max(3, min(rgb.shape[:2]) // 30)
    rgb[r, : max(0, c - gap)] = _CURSOR_COLOR
    rgb[r, c + gap + 1 :] = _CURSOR_COLOR
    rgb[: max(0, r - gap), c] = _CURSOR_COLOR
    rgb[r + gap + 1 :, c] = _CURSOR_COLOR
