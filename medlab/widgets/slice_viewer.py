"""SliceViewer: scroll through a 2D/3D image with window/level, overlays and a readout."""

from __future__ import annotations

from typing import Any

import numpy as np

from medlab.render import (
    LABEL_COLORS,
    color_name,
    display_size,
    encode_png,
    paint_mask,
    parse_color,
    to_rgb,
    to_uint8,
)
from medlab.widgets._base import MedlabWidget, WindowControls, as_image
from medlab.widgets._controls import FloatSlider, IntSlider
from medlab.widgets._picture import Picture

__all__ = ["SliceViewer"]

_CURSOR_COLOR = (255, 215, 0)


class SliceViewer(MedlabWidget):
    """Slice slider, window/level with presets, overlays and a pixel readout.

    Parameters
    ----------
    image : array_like or MedicalImage
        A 2D image (rows, columns) or 3D volume (slices, rows, columns). A
        :class:`~medlab.io.MedicalImage` brings its spacing and, for CT, HU units.
    spacing : sequence of float, optional
        Millimetres per axis, in the array's axis order. Sets the displayed aspect ratio.
    window : str or (center, width), optional
        A preset (``"lung"``, ``"soft_tissue"``, ``"bone"``, ``"brain"``, ``"mediastinum"``
        for CT; ``"auto"``, ``"full range"`` always) or a (center, width) pair.
        Default: soft tissue for CT, the 0.5–99.5 percentile range otherwise.
    overlays : array or list, optional
        Boolean mask(s) of the image's shape, or dicts ``{"mask", "color", "opacity",
        "name"}``. More can be added with :meth:`add_overlay`. Each is painted as a
        translucent fill inside an opaque outline, in colour-blind-safe colours
        (:data:`medlab.render.LABEL_COLORS`) unless a colour is given.
    units : str, optional
        Units of the pixel values for the readout (``"HU"`` for CT by default).
    axis : int
        For a volume, the axis the slider moves along (default 0).
    cursor : bool
        Draw a crosshair at the readout position.
    max_px : int
        Longer side of the displayed image, in screen pixels.

    Attributes
    ----------
    image_widget : Picture
        The rendered slice, PNG bytes in ``image_widget.value``, its text alternative
        (plane, slice, window, overlays, value at the cursor) in ``image_widget.alt``.
    readout : ipywidgets.HTML
        Position and value under the cursor, e.g. ``"(z=12, y=40, x=63): -812.0 HU"``.

    Examples
    --------
    >>> viewer = SliceViewer(ct, window="lung")      # doctest: +SKIP
    >>> viewer.slice_slider.value = 20                # what a learner's drag does
    """

    def __init__(
        self,
        image: Any,
        spacing: Any = None,
        window: Any = None,
        *,
        overlays: Any = None,
        units: str | None = None,
        axis: int = 0,
        cursor: bool = True,
        max_px: int = 480,
    ) -> None:
        import ipywidgets as w

        data, sp, found_units = as_image(image, spacing, name="SliceViewer image")
        self.data = data
        self.spacing = sp
        self.units = found_units if units is None else units
        self.axis = int(axis) if data.ndim == 3 else None
        if data.ndim == 3 and self.axis not in (0, 1, 2):
            raise ValueError(f"SliceViewer axis must be 0, 1 or 2, got {axis!r}")
        self.cursor = bool(cursor)
        self.max_px = int(max_px)
        self.overlays: list[dict] = []
        self._ready = False

        n = data.shape[self.axis] if self.axis is not None else 1
        self.slice_slider = IntSlider(
            value=n // 2,
            min=0,
            max=n - 1,
            description="slice",
            continuous_update=True,
            layout=w.Layout(display=None if data.ndim == 3 else "none"),
        )
        self.controls = WindowControls(data, self.units, window, self.render)
        rows, cols = self._plane_shape()
        self.row_slider = IntSlider(value=rows // 2, min=0, max=rows - 1, description="row")
        self.col_slider = IntSlider(value=cols // 2, min=0, max=cols - 1, description="column")
        self.opacity_slider = FloatSlider(
            value=0.4,
            min=0.0,
            max=1.0,
            step=0.05,
            description="overlay",
            readout_format=".2f",
            layout=w.Layout(display="none"),
        )
        disp_w, disp_h = display_size((rows, cols), self._plane_spacing(), self.max_px)
        self.image_widget = Picture(width=disp_w, height=disp_h)
        self.readout = w.HTML()
        for s in (self.slice_slider, self.row_slider, self.col_slider, self.opacity_slider):
            s.observe(lambda _change: self.render(), "value")
        self.widget = w.VBox(
            [
                self.slice_slider,
                self.controls.box,
                self.image_widget,
                w.HBox([self.row_slider, self.col_slider]),
                self.readout,
                self.opacity_slider,
            ]
        )
        if overlays is not None:
            items = overlays if isinstance(overlays, (list, tuple)) else [overlays]
            for item in items:
                if isinstance(item, dict):
                    self.add_overlay(**item, _render=False)
                else:
                    self.add_overlay(item, _render=False)
        self._ready = True
        self.render()

    # ----------------------------------------------------------------- state
    @property
    def slice_index(self) -> int:
        """Index of the shown slice along ``axis`` (0 for a 2D image)."""
        return int(self.slice_slider.value)

    @property
    def window(self) -> tuple[float, float]:
        """The current window (center, width), in the image's units."""
        return self.controls.value

    @property
    def display_size(self) -> tuple[int, int]:
        """On-screen (width, height) in pixels, proportional to the physical size."""
        return display_size(self._plane_shape(), self._plane_spacing(), self.max_px)

    @property
    def cursor_value(self) -> float:
        """The image value at the cursor on the current slice."""
        return float(self.current_slice()[self.row_slider.value, self.col_slider.value])

    def summary(self) -> str:
        """One line naming the widget and its main settings (its text form)."""
        return (
            f"SliceViewer(shape={self.data.shape}, spacing={self.spacing}, "
            f"overlays={len(self.overlays)})"
        )

    # --------------------------------------------------------------- actions
    def add_overlay(
        self,
        mask: Any,
        color: Any = None,
        opacity: float | None = None,
        name: str | None = None,
        *,
        _render: bool = True,
    ) -> None:
        """Add a boolean mask overlay (same shape as the image) in a colour."""
        m = np.asarray(mask)
        if m.shape != self.data.shape:
            raise ValueError(
                f"overlay mask has shape {m.shape}, expected the image's shape {self.data.shape}"
            )
        if color is None:
            color = LABEL_COLORS[len(self.overlays) % len(LABEL_COLORS)]
        name = name or f"overlay {len(self.overlays) + 1}"
        self.overlays.append({"mask": m.astype(bool), "color": parse_color(color), "name": name})
        if opacity is not None:
            self.opacity_slider.value = float(opacity)
        self.opacity_slider.layout.display = None
        if _render:
            self.render()

    def current_slice(self) -> np.ndarray:
        """The 2D array (image units) on screen."""
        return self._take(self.data)

    def render(self) -> None:
        """Redraw the slice and the readout from the current control values."""
        if not self._ready:
            return
        from medlab.preprocess import window as apply_window

        sl = self.current_slice()
        gray = to_uint8(apply_window(sl, *self.controls.value))
        if self.overlays or self.cursor:
            rgb = to_rgb(gray)
            for ov in self.overlays:
                paint_mask(
                    rgb,
                    self._take(ov["mask"]),
                    ov["color"],
                    self.opacity_slider.value,
                    inplace=True,
                )
            if self.cursor:
                self._draw_cursor(rgb)
            img = rgb
        else:
            img = gray
        self._pixels = img
        self.image_widget.value = encode_png(img)
        self._update_readout(sl)
        self.image_widget.alt = self.alt_text()
        self._changed()

    def alt_text(self) -> str:
        """What the image shows: plane, slice, window, overlays and the value at the cursor."""
        units = f" {self.units}" if self.units else ""
        shape = " × ".join(str(n) for n in self.data.shape)
        if self.axis is None:
            where = f"Image {shape}"
        else:
            name = "zyx"[self.axis]
            where = (
                f"Slice {name}={self.slice_index} of {self.data.shape[self.axis]} "
                f"(axis {self.axis}) of a {shape} volume"
            )
        center, width = self.controls.value
        preset = self.controls.preset_name
        window = f"window {center:g}/{width:g}{units}" + (
            f" ({preset.replace('_', ' ')})" if preset != "custom" else ""
        )
        parts = [f"{where}, {window}"]
        if self.overlays and self.opacity_slider.value > 0:
            parts.append(
                "overlays: "
                + ", ".join(
                    f"{ov['name']} ({color_name(ov['color'])} outline and fill)"
                    for ov in self.overlays
                )
            )
        r, c = self.row_slider.value, self.col_slider.value
        parts.append(f"value at row {r}, column {c}: {self.cursor_value:.1f}{units}")
        return "; ".join(parts) + "."

    def static_image(self) -> Any:
        """Pixels of the current view, for the picture stored in the notebook."""
        return self._pixels, self.display_size

    # ---------------------------------------------------------------- helpers
    def _take(self, arr: np.ndarray) -> np.ndarray:
        if self.axis is None:
            return arr
        return np.take(arr, self.slice_slider.value, axis=self.axis)

    def _plane_shape(self) -> tuple[int, int]:
        shape = (
            self.data.shape
            if self.axis is None
            else tuple(s for i, s in enumerate(self.data.shape) if i != self.axis)
        )
        return int(shape[0]), int(shape[1])

    def _plane_spacing(self) -> tuple[float, float]:
        sp = (
            self.spacing
            if self.axis is None
            else tuple(s for i, s in enumerate(self.spacing) if i != self.axis)
        )
        return float(sp[0]), float(sp[1])

    def _draw_cursor(self, rgb: np.ndarray) -> None:
        r, c = self.row_slider.value, self.col_slider.value
        rows, cols = rgb.shape[:2]
        gap = max(2, min(rows, cols) // 40)
        color = np.array(_CURSOR_COLOR, np.uint8)
        rgb[r, : max(0, c - gap)] = color
        rgb[r, c + gap + 1 :] = color
        rgb[: max(0, r - gap), c] = color
        rgb[r + gap + 1 :, c] = color

    def _update_readout(self, sl: np.ndarray) -> None:
        r, c = self.row_slider.value, self.col_slider.value
        names = ["z", "y", "x"]
        pos = [r, c]
        if self.axis is not None:
            pos.insert(self.axis, self.slice_slider.value)
        else:
            names = ["y", "x"]
        where = ", ".join(f"{n}={p}" for n, p in zip(names, pos, strict=True))
        units = f" {self.units}" if self.units else ""
        center, width = self.controls.value
        self.readout.value = (
            f"<code>({where}): {float(sl[r, c]):.1f}{units}</code> · "
            f"window {center:.0f}/{width:.0f}{units}"
        )
