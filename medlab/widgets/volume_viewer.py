"""VolumeViewer: three head-up planes with a linked cursor, and an offline 3D rendering.

Modes
-----
``"planes"``
    Axial, coronal and sagittal planes, linked by one cursor, with window/level and
    label overlays, drawn head-up in the radiological convention with orientation
    letters (R/L, A/P, H/F). A click, or the arrow keys and Enter, in any plane moves
    the cursor. NumPy-drawn; works offline and in headless kernels.
``"3d"``
    The planes plus a 3D rendering by NiiVue (``ipyniivue``, whose viewer ships inside
    its wheel: no network): the volume above a threshold and a surface per label
    (lungs, tumour ...), with the cursor as a 3D crosshair; rotate it with the mouse or
    the azimuth/elevation sliders. Its data travel as bytes over the widget
    connection.
``"auto"`` (default)
    The planes at once, and the 3D rendering once a browser has actually shown this
    widget (a round trip through the widget's ``_view_count``): headless kernels
    (nbval, nbconvert) never show widgets, so they never build or send the 3D data,
    and stored lessons stay small (NiiVue's saved widget state would embed its 5 MB
    script).
``"itk"``
    The planes plus an itkwidgets 1.0 3D viewer (optional ``medlab[3d]`` extra). Its
    viewer is loaded by the browser from the internet, so it stays an explicit choice.

Why the care: itkwidgets 1.0a55 installs a ``CellWatcher`` that queues every later
cell until the viewer reports "ready" from the browser. Without a browser, or offline
(the viewer loads from an IPFS gateway), that never happens and the notebook freezes.
Whenever this module creates an itkwidgets viewer it arms a timer on the kernel's
event loop; if the viewer has not reported ready after ``itk_timeout`` seconds the
timer marks it ready, which releases the queued cells, and a note says so.
"""

from __future__ import annotations

import importlib.util
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlparse

import numpy as np

from medlab.render import (
    LABEL_COLORS,
    ORIENTATION,
    color_name,
    draw_orientation_letters,
    paint_mask,
    to_rgb,
    to_uint8,
)
from medlab.widgets._base import MedlabWidget, WindowControls, as_image
from medlab.widgets._clickable import ClickableImage, DisplayGrid, head_up_plane
from medlab.widgets._controls import FloatSlider, IntSlider

__all__ = ["VolumeViewer", "itkwidgets_available", "niivue_available"]

MODES = ("auto", "3d", "itk", "planes")
_CURSOR_COLOR = np.array((255, 215, 0), np.uint8)
PLANES = ("axial", "coronal", "sagittal")
_NORMAL = {"axial": "z", "coronal": "y", "sagittal": "x"}
_SIDES = {
    "axial": "anterior up, patient's right on the left",
    "coronal": "head up, patient's right on the left",
    "sagittal": "head up, anterior on the left",
}


def itkwidgets_available() -> bool:
    """Whether itkwidgets is installed (checked without importing it)."""
    return importlib.util.find_spec("itkwidgets") is not None


def niivue_available() -> bool:
    """Whether ipyniivue (the offline 3D view) is installed (checked without importing it)."""
    return importlib.util.find_spec("ipyniivue") is not None


def _viewer_host() -> str:
    """Host serving the itkwidgets viewer, read from its config file without importing it.

    Importing itkwidgets installs its CellWatcher in the kernel, so this avoids it.
    """
    import re
    from pathlib import Path

    default = "ipfs.dweb.link"
    spec = importlib.util.find_spec("itkwidgets")
    if spec is None or not spec.submodule_search_locations:
        return default
    config = Path(next(iter(spec.submodule_search_locations))) / "viewer_config.py"
    try:
        match = re.search(r"ITK_VIEWER_SRC = \(?\s*\"([^\"]+)\"", config.read_text())
    except OSError:
        return default
    return (urlparse(match.group(1)).hostname if match else None) or default


def _viewer_host_reachable(timeout: float = 1.5) -> bool:
    """Whether the host serving the itkwidgets viewer answers on port 443."""
    host = _viewer_host()
    result = [False]

    def probe() -> None:
        try:
            with socket.create_connection((host, 443), timeout=timeout):
                result[0] = True
        except OSError:
            pass

    t = threading.Thread(target=probe, daemon=True)
    t.start()
    t.join(timeout + 0.5)
    return result[0]


@contextmanager
def _captured_displays() -> Iterator[list[dict[str, Any]]]:
    """Collect what is displayed inside the block as ``Output.outputs`` entries.

    The displays go to a list in the kernel instead of the notebook; printed text is
    not captured. Updates of earlier displays (``update_display``) are dropped: an
    ``Output`` widget's outputs cannot be updated by display id.
    """
    from IPython import get_ipython
    from IPython.utils.capture import capture_output

    displays: list[dict[str, Any]] = []
    if get_ipython() is None:  # plain Python: nothing is displayed anywhere
        yield displays
        return
    with capture_output(stdout=False, stderr=False, display=True) as captured:
        try:
            yield displays
        finally:  # keep what was displayed before an error too
            displays.extend(
                {"output_type": "display_data", "data": out.data, "metadata": out.metadata}
                for out in captured.outputs
                if not out.update
            )


def _error_output(err: Exception) -> dict[str, Any]:
    """An ``Output.outputs`` entry showing ``err`` and its traceback."""
    import traceback

    return {
        "output_type": "error",
        "ename": type(err).__name__,
        "evalue": str(err),
        "traceback": traceback.format_exception(err),
    }


class VolumeViewer(MedlabWidget):
    """Axial, coronal and sagittal planes of a volume, linked cursor, labels, offline 3D.

    Parameters
    ----------
    volume : array_like or MedicalImage
        3D array indexed (z, y, x) in the course's axes: slices feet → head, rows
        anterior → posterior, columns patient right → left.
    labels : array_like, optional
        Integer label map (0 = background) or boolean mask of the volume's shape,
        drawn over the planes (translucent fill, opaque outline, colour-blind-safe
        colours) and as surfaces in 3D.
    spacing : sequence of 3 floats, optional
        Voxel size in mm (z, y, x); sets each plane's aspect ratio.
    window : str or (center, width), optional
        As in :class:`~medlab.widgets.SliceViewer`.
    mode : {"auto", "3d", "planes", "itk"}
        See the module notes. The mode in use is printed in one line and kept in
        :attr:`mode`.
    label_names : dict or sequence of str, optional
        Name of each label value (``{1: "lungs", 2: "tumour"}`` or ``["lungs",
        "tumour"]`` for 1, 2), for the readout, legend and text alternatives.
    threshold_3d : (low, high), optional
        Values the 3D rendering shows (below ``low`` transparent, opaque from ``high``);
        default 150–1200 HU for CT (bone: the label surfaces show through the ribs), else
        the 75th–99.5th percentiles. A volume counts as CT when its units are HU, its
        window a CT preset, or its values reach air (−900 and below) and bone (+300).
    itk_timeout : float
        Seconds to wait for the itkwidgets viewer before releasing the notebook.
    opacity : float
        Of the label fills (and of the largest label's 3D surface).
    max_px : int
        Longer side of each plane on screen, in pixels.
    height_3d : int
        Height of the 3D view, in pixels.

    Attributes
    ----------
    cursor : tuple of int
        The linked cursor (z, y, x).
    images : dict
        ``{"axial", "coronal", "sagittal"}`` → :class:`ClickableImage` (PNG bytes in
        ``.value``, text alternative in ``.alt``; ``.click_at(row, col)`` is a click).
    grids : dict
        Each plane's :class:`DisplayGrid` (voxels ↔ pixels on screen).
    view3d : View3D or None
        The 3D rendering (``view3d.nv`` is the ipyniivue widget), once built.
    mode : str
        ``"planes"``, ``"3d"`` or ``"itk"``: what is in use now.
    itk_state : str
        ``"off"``, ``"not installed"``, ``"waiting for a browser"``, ``"offline"``,
        ``"loading"``, ``"ready"`` or ``"timed out"``.
    """

    def __init__(
        self,
        volume: Any,
        labels: Any = None,
        *,
        spacing: Any = None,
        window: Any = None,
        units: str | None = None,
        mode: str = "auto",
        label_names: Any = None,
        threshold_3d: Any = None,
        itk_timeout: float = 20.0,
        opacity: float = 0.4,
        max_px: int = 300,
        height_3d: int = 380,
    ) -> None:
        import ipywidgets as w

        if mode not in MODES:
            raise ValueError(f"VolumeViewer mode must be one of {MODES}, got {mode!r}")
        data, sp, found_units = as_image(volume, spacing, name="VolumeViewer volume", ndims=(3,))
        self.data = data
        self.spacing = sp
        self.units = found_units if units is None else units
        self.labels = None
        if labels is not None:
            lab = np.asarray(labels)
            if lab.shape != data.shape:
                raise ValueError(
                    f"VolumeViewer labels have shape {lab.shape}, expected the volume's "
                    f"shape {data.shape}"
                )
            if lab.dtype.kind == "f" and not np.all(lab == np.round(lab)):
                raise ValueError("VolumeViewer labels must be integers or booleans, got fractions")
            self.labels = lab.astype(np.int32)
        self.label_values = (
            [int(v) for v in np.unique(self.labels) if v != 0] if self.labels is not None else []
        )
        self.label_names = self._names(label_names)
        self.label_colors = {
            v: LABEL_COLORS[(v - 1) % len(LABEL_COLORS)] for v in self.label_values
        }
        self.requested_mode = mode
        self.itk_timeout = float(itk_timeout)
        self.itk_viewer = None
        self.itk_state = "off"
        self.view3d = None
        self.height_3d = int(height_3d)
        self.threshold_3d = self._default_threshold(threshold_3d, window)
        self.max_px = int(max_px)
        self._ready = False
        self._cache: dict[str, tuple[tuple, np.ndarray]] = {}

        nz, ny, nx = data.shape
        self.z_slider = IntSlider(value=nz // 2, min=0, max=nz - 1, description="z (axial)")
        self.y_slider = IntSlider(value=ny // 2, min=0, max=ny - 1, description="y (coronal)")
        self.x_slider = IntSlider(value=nx // 2, min=0, max=nx - 1, description="x (sagittal)")
        self.controls = WindowControls(data, self.units, window, self.render)
        self.opacity_slider = FloatSlider(
            value=opacity,
            min=0.0,
            max=1.0,
            step=0.05,
            description="labels",
            readout_format=".2f",
            layout=w.Layout(display=None if self.labels is not None else "none"),
        )
        self.grids = {
            p: DisplayGrid(self._plane_shape(p), self._plane_spacing(p), max_px) for p in PLANES
        }
        self.images = {}
        for plane in PLANES:
            rows, cols = self.grids[plane].size
            image = ClickableImage(width=cols, height=rows)
            screen_rows, screen_cols = self.grids[plane].size
            plane_rows, plane_cols = self.grids[plane].shape
            image.step = (
                max(1, round(screen_rows / plane_rows)),
                max(1, round(screen_cols / plane_cols)),
            )
            image.on_click(lambda r, c, plane=plane: self._clicked(plane, r, c))
            self.images[plane] = image
        self.readout = w.HTML()
        self.legend = w.HTML(self._legend())
        self.status = w.HTML()
        self.itk_box = w.Output(layout=w.Layout(display="none"))
        self.box3d = w.VBox(layout=w.Layout(display="none"))
        for s in (self.z_slider, self.y_slider, self.x_slider, self.opacity_slider):
            s.observe(lambda _c: self.render(), "value")
        titles = {p: w.HTML(f"<b>{p}</b> <small>({_NORMAL[p]})</small>") for p in PLANES}
        self.widget = w.VBox(
            [
                self.status,
                self.controls.box,
                w.HBox([self.z_slider, self.y_slider, self.x_slider]),
                # planes keep their size (letters and clicks stay true) and wrap when narrow
                w.HBox(
                    [
                        w.VBox([titles[p], self.images[p]], layout=w.Layout(flex="0 0 auto"))
                        for p in PLANES
                    ],
                    layout=w.Layout(flex_flow="row wrap", grid_gap="6px"),
                ),
                self.readout,
                w.HBox([self.opacity_slider, self.legend]),
                self.box3d,
                self.itk_box,
            ]
        )
        self._ready = True
        self.render()
        self.mode = "planes"
        self._choose_mode(mode)

    # ----------------------------------------------------------------- state
    @property
    def cursor(self) -> tuple[int, int, int]:
        """The linked cursor (z, y, x)."""
        return int(self.z_slider.value), int(self.y_slider.value), int(self.x_slider.value)

    @property
    def window(self) -> tuple[float, float]:
        """The current window (center, width)."""
        return self.controls.value

    def set_cursor(self, z: int, y: int, x: int) -> None:
        """Move the linked cursor (one redraw)."""
        self._ready = False
        try:
            self.z_slider.value, self.y_slider.value, self.x_slider.value = z, y, x
        finally:
            self._ready = True
        self.render()

    def plane(self, name: str) -> np.ndarray:
        """The 2D array (image units) of a plane through the cursor, in array order."""
        z, y, x = self.cursor
        return {
            "axial": lambda a: a[z],
            "coronal": lambda a: a[:, y, :],
            "sagittal": lambda a: a[:, :, x],
        }[name](self.data)

    def head_up(self, name: str) -> np.ndarray:
        """The plane through the cursor as shown: head (or anterior) up, radiological."""
        return head_up_plane(self.data, name, self._index(name))

    def voxel_at(self, plane: str, row: int, col: int) -> tuple[int, int, int]:
        """The voxel (z, y, x) shown at pixel (row, col) of a plane's image on screen."""
        r, c = self.grids[plane].to_plane(row, col)
        z, y, x = self.cursor
        nz = self.data.shape[0]
        if plane == "axial":
            return z, r, c
        if plane == "coronal":
            return nz - 1 - r, y, c
        return nz - 1 - r, c, x

    def screen_of(self, plane: str, z: int, y: int, x: int) -> tuple[int, int]:
        """The pixel (row, col) of a plane's image on screen where voxel (z, y, x) lies."""
        nz = self.data.shape[0]
        r, c = {"axial": (y, x), "coronal": (nz - 1 - z, x), "sagittal": (nz - 1 - z, y)}[plane]
        return self.grids[plane].to_screen(r, c)

    def summary(self) -> str:
        """One line naming the widget and its main settings (its text form)."""
        return f"VolumeViewer(shape={self.data.shape}, spacing={self.spacing}, mode={self.mode!r})"

    # --------------------------------------------------------------- drawing
    def render(self) -> None:
        """Redraw the three planes, the readout and the 3D cursor."""
        if not self._ready:
            return
        z, y, x = self.cursor
        for plane in PLANES:
            rgb = self._plane_rgb(plane).copy()
            r, c = self.screen_of(plane, z, y, x)
            self._draw_cursor(rgb, r, c)
            draw_orientation_letters(rgb, ORIENTATION[plane])
            image = self.images[plane]
            with image.hold_sync():
                image.set_image(rgb)
                image.cursor = (r, c)
                image.alt = self.plane_alt(plane)
            self._pixels = getattr(self, "_pixels", {})
            self._pixels[plane] = rgb
        value = float(self.data[z, y, x])
        units = f" {self.units}" if self.units else ""
        label = ""
        if self.labels is not None:
            v = int(self.labels[z, y, x])
            label = f" · label {v}" + (f" ({self.label_names[v]})" if v in self.label_names else "")
        sz, sy, sx = self.spacing
        self.readout.value = (
            f"<code>(z={z}, y={y}, x={x}) = ({z * sz:.1f}, {y * sy:.1f}, {x * sx:.1f}) mm: "
            f"{value:.1f}{units}{label}</code>"
        )
        if self.view3d is not None:
            self.view3d.set_cursor(z, y, x)
            self.view3d.set_opacity(self.opacity_slider.value)
            self.description3d.value = self._alt3d()
        self._changed()

    def plane_alt(self, plane: str) -> str:
        """What a plane's image shows, in words (its text alternative)."""
        z, y, x = self.cursor
        index = self._index(plane)
        normal = _NORMAL[plane]
        size = self.data.shape["zyx".index(normal)]
        center, width = self.controls.value
        units = f" {self.units}" if self.units else ""
        preset = self.controls.preset_name
        text = (
            f"{plane.capitalize()} plane {normal}={index} of {size} ({_SIDES[plane]}), "
            f"window {center:g}/{width:g}{units}"
            + (f" ({preset.replace('_', ' ')})" if preset != "custom" else "")
        )
        if self.labels is not None and self.opacity_slider.value > 0:
            lab = self._label_plane(plane)
            shown = [v for v in self.label_values if np.any(lab == v)]
            if shown:
                text += "; labels " + ", ".join(
                    f"{self.label_names[v]} ({color_name(self.label_colors[v])})" for v in shown
                )
        text += f"; yellow cursor at z={z}, y={y}, x={x}"
        return text + "."

    def alt_text(self) -> str:
        """The three planes (and the 3D view) in words."""
        parts = [self.plane_alt(p) for p in PLANES]
        value = float(self.data[self.cursor])
        units = f" {self.units}" if self.units else ""
        parts.append(f"Value at the cursor: {value:.1f}{units}.")
        return " ".join(parts)

    def static_image(self) -> Any:
        """The three planes side by side (as on screen), on a dark background."""
        pictures = [self._pixels[p] for p in PLANES]
        gap = 6
        height = max(p.shape[0] for p in pictures)
        width = sum(p.shape[1] for p in pictures) + gap * (len(pictures) - 1)
        canvas = np.full((height, width, 3), 32, np.uint8)
        left = 0
        for picture in pictures:
            canvas[: picture.shape[0], left : left + picture.shape[1]] = picture
            left += picture.shape[1] + gap
        return canvas

    def _index(self, plane: str) -> int:
        z, y, x = self.cursor
        return {"axial": z, "coronal": y, "sagittal": x}[plane]

    def _plane_shape(self, plane: str) -> tuple[int, int]:
        nz, ny, nx = self.data.shape
        return {"axial": (ny, nx), "coronal": (nz, nx), "sagittal": (nz, ny)}[plane]

    def _plane_spacing(self, plane: str) -> tuple[float, float]:
        sz, sy, sx = self.spacing
        return {"axial": (sy, sx), "coronal": (sz, sx), "sagittal": (sz, sy)}[plane]

    def _label_plane(self, plane: str) -> np.ndarray:
        return head_up_plane(self.labels, plane, self._index(plane))

    def _plane_rgb(self, plane: str) -> np.ndarray:
        """Windowed plane on screen with label colours, cached until its inputs change."""
        from medlab.preprocess import window as apply_window

        key = (self._index(plane), self.controls.value, self.opacity_slider.value)
        hit = self._cache.get(plane)
        if hit is not None and hit[0] == key:
            return hit[1]
        grid = self.grids[plane]
        grey = to_uint8(apply_window(grid.resample(self.head_up(plane)), *self.controls.value))
        rgb = to_rgb(grey)
        if self.labels is not None:
            lab = grid.resample(self._label_plane(plane))
            for value in self.label_values:
                mask = lab == value
                if mask.any():
                    paint_mask(
                        rgb, mask, self.label_colors[value], self.opacity_slider.value, inplace=True
                    )
        self._cache[plane] = (key, rgb)
        return rgb

    @staticmethod
    def _draw_cursor(rgb: np.ndarray, r: int, c: int) -> None:
        gap = max(3, min(rgb.shape[:2]) // 30)
        rgb[r, : max(0, c - gap)] = _CURSOR_COLOR
        rgb[r, c + gap + 1 :] = _CURSOR_COLOR
        rgb[: max(0, r - gap), c] = _CURSOR_COLOR
        rgb[r + gap + 1 :, c] = _CURSOR_COLOR

    def _clicked(self, plane: str, row: int, col: int) -> None:
        self.set_cursor(*self.voxel_at(plane, row, col))

    def _names(self, label_names: Any) -> dict[int, str]:
        names = {v: f"label {v}" for v in self.label_values}
        if label_names is None:
            return names
        if isinstance(label_names, dict):
            given = {int(k): str(v) for k, v in label_names.items()}
        else:
            given = {k + 1: str(v) for k, v in enumerate(label_names)}
        return {**names, **given}

    def _legend(self) -> str:
        if not self.label_values:
            return ""

        def swatch(rgb: tuple[int, int, int]) -> str:
            return (
                f"<span aria-hidden='true' style='display:inline-block; width:12px; "
                f"height:12px; border:2px solid rgb{rgb}; background:rgba{(*rgb, 0.45)}; "
                "vertical-align:middle'></span>"
            )

        items = "".join(
            f"<span style='white-space:nowrap; margin-right:12px'>"
            f"{swatch(self.label_colors[v])} {self.label_names[v]} "
            f"({color_name(self.label_colors[v])})</span>"
            for v in self.label_values
        )
        return f"<div class='medlab-legend'>{items}</div>"

    def _default_threshold(self, threshold: Any, window: Any) -> tuple[float, float]:
        from medlab.preprocess import WINDOWS

        if threshold is not None:
            low, high = (float(v) for v in threshold)
            if not high > low:
                raise ValueError(
                    "VolumeViewer threshold_3d must be (low, high) with high > low, "
                    f"got {threshold!r}"
                )
            return low, high
        ct_like = (
            self.units == "HU"
            or (isinstance(window, str) and window in WINDOWS)
            or (float(self.data.min()) <= -900 and float(self.data.max()) >= 300)
        )
        if ct_like:
            return 150.0, 1200.0
        sample = self.data[:: max(1, self.data.shape[0] // 16)]
        low, high = (float(v) for v in np.percentile(sample, [75.0, 99.5]))
        return (low, high) if high > low else (low, low + 1.0)

    # -------------------------------------------------------------------- 3D
    def _start_3d(self) -> None:
        """Build the NiiVue view (volume, label surfaces, cursor) and show it."""
        import ipywidgets as w

        from medlab.widgets._volume3d import View3D

        self.view3d = View3D(
            self.data,
            self.labels,
            self.spacing,
            colors=self.label_colors,
            names=self.label_names,
            threshold=self.threshold_3d,
            opacity=self.opacity_slider.value,
            height=self.height_3d,
        )
        low, high = self.threshold_3d
        span = max(high - low, 1e-6)
        step = 1.0 if span >= 10 else float(f"{span / 100:.1g}")
        self.azimuth_slider = IntSlider(
            value=180, min=-180, max=180, step=5, description="azimuth", units="°"
        )
        self.elevation_slider = IntSlider(
            value=10, min=-90, max=90, step=5, description="elevation", units="°"
        )
        self.threshold_slider = FloatSlider(
            value=low,
            min=float(np.floor(min(low, float(self.data.min())))),
            max=float(np.ceil(max(high, float(self.data.max())))),
            step=step,
            description="3D above",
            readout_format=".0f" if step >= 1 else ".3g",
            units=self.units,
        )
        self.azimuth_slider.observe(self._turned, "value")
        self.elevation_slider.observe(self._turned, "value")
        self.threshold_slider.observe(self._thresholded, "value")
        self.view3d.nv.on_azimuth_elevation_change(self._rotated_in_browser)
        self.view3d.nv.on_location_change(self._located_in_browser)
        self.description3d = w.HTML()
        self.box3d.children = [
            w.HTML("<b>3D</b> <small>(NiiVue, offline; drag to rotate)</small>"),
            self.view3d.nv,
            w.HBox([self.azimuth_slider, self.elevation_slider, self.threshold_slider]),
            self.description3d,
        ]
        self.box3d.layout.display = None
        self.mode = "3d"
        self.render()
        self._note(f"three planes + offline 3D rendering (mode={self.requested_mode!r})")

    def _alt3d(self) -> str:
        text = self.view3d.description(self.cursor)
        return f"<p class='medlab-alt' role='note'><small>{text}</small></p>"

    def _turned(self, _change: dict) -> None:
        self.view3d.set_view(self.azimuth_slider.value, self.elevation_slider.value)
        self.description3d.value = self._alt3d()

    def _thresholded(self, _change: dict) -> None:
        low = float(self.threshold_slider.value)
        span = self.threshold_3d[1] - self.threshold_3d[0]
        self.view3d.set_threshold(low, low + span)
        self.description3d.value = self._alt3d()

    def _rotated_in_browser(self, data: Any) -> None:
        azimuth, elevation = (
            (data.get("azimuth"), data.get("elevation")) if isinstance(data, dict) else (None, None)
        )
        if azimuth is None or elevation is None:
            return
        az = round(((float(azimuth) + 180) % 360) - 180)
        el = round(max(-90.0, min(90.0, float(elevation))))
        self.view3d.azimuth, self.view3d.elevation = float(az), float(el)
        with self.azimuth_slider.hold_trait_notifications():
            self.azimuth_slider.unobserve(self._turned, "value")
            self.elevation_slider.unobserve(self._turned, "value")
            try:
                self.azimuth_slider.value, self.elevation_slider.value = az, el
            finally:
                self.azimuth_slider.observe(self._turned, "value")
                self.elevation_slider.observe(self._turned, "value")
        self.description3d.value = self._alt3d()

    def _located_in_browser(self, location: Any) -> None:
        vox = location.get("vox") if isinstance(location, dict) else None
        if vox is None or len(vox) < 3:
            return
        target = self.view3d.voxel_of(vox)
        if target != self.cursor:
            self.set_cursor(*target)

    # ------------------------------------------------------------------ modes
    def _note(self, text: str) -> None:
        self.status.value = f"<code>{text}</code>"

    def _choose_mode(self, mode: str) -> None:
        if mode == "planes":
            print("VolumeViewer: three-plane view (mode='planes').")
            self._note("three-plane view (mode='planes')")
            return
        if mode == "3d":
            if not niivue_available():
                print(
                    "VolumeViewer: ipyniivue is not installed, showing the three-plane view "
                    "(mode='3d' needs: pip install ipyniivue)."
                )
                self._note("three planes; the 3D view needs ipyniivue")
                return
            print("VolumeViewer: three planes + offline 3D rendering (mode='3d').")
            self._start_3d()
            return
        if mode == "itk":
            if not itkwidgets_available():
                self.itk_state = "not installed"
                print(
                    "VolumeViewer: itkwidgets is not installed, showing the three-plane view "
                    "(mode='itk' needs: pip install 'medlab[3d]')."
                )
                self._note("itkwidgets not installed: pip install 'medlab[3d]'")
                return
            print(
                f"VolumeViewer: itkwidgets 3D view + three planes (mode='itk'); if the 3D "
                f"viewer has not loaded after {self.itk_timeout:g} s, the notebook is "
                "released and a note appears here."
            )
            self._start_itk()
            return
        # auto: the offline 3D view, built once a browser shows the widget
        print(
            "VolumeViewer: three planes (mode='auto'); the offline 3D rendering is added "
            "when a browser shows this widget."
        )
        if not niivue_available():
            self._note("three planes; for 3D rendering: pip install ipyniivue")
            return
        self._note("three planes; the 3D rendering appears in a moment …")
        self.widget._view_count = 0  # the front end counts its views here: a browser probe
        self.widget.observe(self._view_count_changed, "_view_count")

    def _view_count_changed(self, change: dict) -> None:
        if not change["new"] or self.view3d is not None:
            return
        self.widget.unobserve(self._view_count_changed, "_view_count")
        try:
            self._start_3d()
        except Exception as err:  # shown, and the planes stay
            self._note(
                f"three planes; the 3D rendering could not be built: {type(err).__name__}: {err}"
            )

    def _start_itk(self) -> None:
        """Create the itkwidgets viewer, with a timer that releases the notebook.

        The viewer's display output is collected in the kernel and handed to
        :attr:`itk_box` as widget state, never captured with ``with itk_box:``. A
        ``with`` capture is done by the front end; headless clients such as nbclient
        (``nbconvert --execute``) mimic it by sending a ``comm_msg`` back on the shell
        channel for every captured output, and they send it with a blocking shadow of
        the asyncio socket on which they are awaiting this cell's ``execute_reply``.
        When the reply has already arrived, that send swallows the socket's
        edge-triggered wake-up, and the client sits until its cell timeout (minutes)
        although the reply is there. Setting ``outputs`` makes the client write nothing.
        """
        import itkwidgets

        self.itk_state = "loading"
        self._note(f"loading the itkwidgets 3D viewer (up to {self.itk_timeout:g} s) …")
        self.itk_box.layout.display = None
        kwargs: dict[str, Any] = {"image": self.data}
        if self.labels is not None:
            kwargs["label_image"] = self.labels.astype(np.uint8)
        displays: list[dict[str, Any]] = []
        try:
            with _captured_displays() as displays:
                self.itk_viewer = itkwidgets.view(**kwargs)
        except Exception as err:  # shown in the box; the planes stay and the timer still runs
            displays.append(_error_output(err))
        self.itk_box.outputs = tuple(displays)
        self.mode = "itk"
        self._arm_timeout()

    def _itk_watcher(self):
        try:
            from itkwidgets.viewer import _cell_watcher
        except ImportError:
            return None
        return _cell_watcher

    def itk_ready(self) -> bool:
        """Whether the itkwidgets viewer reported that it loaded."""
        watcher = self._itk_watcher()
        if self.itk_viewer is None or watcher is None:
            return False
        return bool(watcher.viewer_ready(self.itk_viewer.name))

    def _arm_timeout(self) -> None:
        import asyncio

        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # no event loop (plain Python): itkwidgets queues nothing
            return
        self._timer = loop.call_later(self.itk_timeout, self._release)

    def _release(self) -> None:
        """Timeout: mark the viewer ready so that the queued cells run, and say so."""
        if self.itk_ready():
            self.itk_state = "ready"
            self._note("itkwidgets 3D viewer loaded (mode='itk')")
            return
        watcher = self._itk_watcher()
        if watcher is not None and self.itk_viewer is not None:
            watcher.update_viewer_status(self.itk_viewer.name, True)
        self.itk_state = "timed out"
        self.mode = "planes"
        self.itk_box.layout.display = "none"
        self._note(
            f"the itkwidgets 3D viewer did not load within {self.itk_timeout:g} s "
            "(offline or blocked?); the notebook was released: use the three planes"
        )
