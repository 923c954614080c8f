"""VolumeViewer: three orthogonal planes with linked cursors, plus itkwidgets 3D when it can.

Modes
-----
``"planes"``
    The built-in view: axial, coronal and sagittal planes, linked by one cursor,
    with window/level and label overlays. Pure ipywidgets + NumPy; works offline and
    in headless kernels.
``"itk"``
    The planes plus an itkwidgets 1.0 3D viewer (optional ``medlab[3d]`` extra). Its
    viewer is loaded by the browser from the internet.
``"auto"`` (default)
    Start with the planes; add the itkwidgets viewer only once a browser has actually
    rendered this widget (a round trip through the widget's ``_view_count``) and the
    itkwidgets viewer's host is reachable. Headless kernels (nbval, nbconvert) never
    render widgets, so they always stay with the planes.

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

from medlab.render import LABEL_COLORS, blend, display_size, encode_png, to_rgb, to_uint8
from medlab.widgets._base import MedlabWidget, WindowControls, as_image

__all__ = ["VolumeViewer", "itkwidgets_available"]

MODES = ("auto", "itk", "planes")
_CURSOR_COLOR = np.array((255, 215, 0), np.uint8)
PLANES = ("axial", "coronal", "sagittal")


def itkwidgets_available() -> bool:
    """Whether itkwidgets is installed (checked without importing it)."""
    return importlib.util.find_spec("itkwidgets") is not None


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
    """Axial, coronal and sagittal planes of a volume, with linked cursors and labels.

    Parameters
    ----------
    volume : array_like or MedicalImage
        3D array indexed (z, y, x): slices, rows, columns.
    labels : array_like, optional
        Integer label map (0 = background) or boolean mask of the volume's shape,
        drawn in colour over all three planes.
    spacing : sequence of 3 floats, optional
        Voxel size in mm (z, y, x); sets each plane's aspect ratio.
    window : str or (center, width), optional
        As in :class:`~medlab.widgets.SliceViewer`.
    mode : {"auto", "itk", "planes"}
        See the module notes. The mode in use is printed in one line and kept in
        :attr:`mode`.
    itk_timeout : float
        Seconds to wait for the itkwidgets viewer before releasing the notebook.

    Attributes
    ----------
    cursor : tuple of int
        The linked cursor (z, y, x).
    images : dict
        ``{"axial", "coronal", "sagittal"}`` → ``ipywidgets.Image``.
    mode : str
        ``"planes"`` or ``"itk"``: what is in use now.
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
        itk_timeout: float = 20.0,
        opacity: float = 0.4,
        max_px: int = 300,
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
        self.requested_mode = mode
        self.itk_timeout = float(itk_timeout)
        self.itk_viewer = None
        self.itk_state = "off"
        self.max_px = int(max_px)
        self._ready = False
        self._cache: dict[str, tuple[tuple, np.ndarray]] = {}

        nz, ny, nx = data.shape
        self.z_slider = w.IntSlider(value=nz // 2, min=0, max=nz - 1, description="z (axial)")
        self.y_slider = w.IntSlider(value=ny // 2, min=0, max=ny - 1, description="y (coronal)")
        self.x_slider = w.IntSlider(value=nx // 2, min=0, max=nx - 1, description="x (sagittal)")
        self.controls = WindowControls(data, self.units, window, self.render)
        self.opacity_slider = w.FloatSlider(
            value=opacity, min=0.0, max=1.0, step=0.05, description="labels",
            layout=w.Layout(display=None if self.labels is not None else "none"),
        )
        self.images = {}
        for plane in PLANES:
            dw, dh = display_size(self._plane_shape(plane), self._plane_spacing(plane), max_px)
            self.images[plane] = w.Image(
                format="png",
                layout=w.Layout(width=f"{dw}px", height=f"{dh}px", object_fit="fill"),
            )
        self.readout = w.HTML()
        self.status = w.HTML()
        self.itk_box = w.Output(layout=w.Layout(display="none"))
        for s in (self.z_slider, self.y_slider, self.x_slider, self.opacity_slider):
            s.observe(lambda _c: self.render(), "value")
        titles = [w.HTML(f"<b>{p}</b>") for p in PLANES]
        self.widget = w.VBox(
            [
                self.status,
                self.controls.box,
                w.HBox([self.z_slider, self.y_slider, self.x_slider]),
                w.HBox([w.VBox([t, self.images[p]]) for t, p in zip(titles, PLANES, strict=True)]),
                self.readout,
                self.opacity_slider,
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
        """The 2D array (image units) of a plane through the cursor."""
        z, y, x = self.cursor
        return {"axial": lambda a: a[z], "coronal": lambda a: a[:, y, :],
                "sagittal": lambda a: a[:, :, x]}[name](self.data)

    def summary(self) -> str:
        return f"VolumeViewer(shape={self.data.shape}, spacing={self.spacing}, mode={self.mode!r})"

    # --------------------------------------------------------------- drawing
    def render(self) -> None:
        """Redraw the three planes and the readout for the current cursor and window."""
        if not self._ready:
            return
        z, y, x = self.cursor
        cross = {"axial": (y, x), "coronal": (z, x), "sagittal": (z, y)}
        for plane in PLANES:
            rgb = self._plane_rgb(plane).copy()
            self._draw_cursor(rgb, *cross[plane])
            self.images[plane].value = encode_png(rgb)
        value = float(self.data[z, y, x])
        units = f" {self.units}" if self.units else ""
        label = f" · label {int(self.labels[z, y, x])}" if self.labels is not None else ""
        sz, sy, sx = self.spacing
        self.readout.value = (
            f"<code>(z={z}, y={y}, x={x}) = ({z * sz:.1f}, {y * sy:.1f}, {x * sx:.1f}) mm: "
            f"{value:.1f}{units}{label}</code>"
        )

    def _plane_shape(self, plane: str) -> tuple[int, int]:
        nz, ny, nx = self.data.shape
        return {"axial": (ny, nx), "coronal": (nz, nx), "sagittal": (nz, ny)}[plane]

    def _plane_spacing(self, plane: str) -> tuple[float, float]:
        sz, sy, sx = self.spacing
        return {"axial": (sy, sx), "coronal": (sz, sx), "sagittal": (sz, sy)}[plane]

    def _plane_rgb(self, plane: str) -> np.ndarray:
        """Windowed plane with label colours, cached until its inputs change."""
        from medlab.preprocess import window as apply_window

        z, y, x = self.cursor
        index = {"axial": z, "coronal": y, "sagittal": x}[plane]
        key = (index, self.controls.value, self.opacity_slider.value)
        hit = self._cache.get(plane)
        if hit is not None and hit[0] == key:
            return hit[1]
        rgb = to_rgb(to_uint8(apply_window(self.plane(plane), *self.controls.value)))
        if self.labels is not None:
            lab = {"axial": lambda a: a[z], "coronal": lambda a: a[:, y, :],
                   "sagittal": lambda a: a[:, :, x]}[plane](self.labels)
            for value in np.unique(lab):
                if value != 0:
                    color = LABEL_COLORS[(int(value) - 1) % len(LABEL_COLORS)]
                    blend(rgb, lab == value, color, self.opacity_slider.value, inplace=True)
        self._cache[plane] = (key, rgb)
        return rgb

    @staticmethod
    def _draw_cursor(rgb: np.ndarray, r: int, c: int) -> None:
        gap = max(2, min(rgb.shape[:2]) // 40)
        rgb[r, : max(0, c - gap)] = _CURSOR_COLOR
        rgb[r, c + gap + 1 :] = _CURSOR_COLOR
        rgb[: max(0, r - gap), c] = _CURSOR_COLOR
        rgb[r + gap + 1 :, c] = _CURSOR_COLOR

    # ------------------------------------------------------------------ modes
    def _note(self, text: str) -> None:
        self.status.value = f"<code>{text}</code>"

    def _choose_mode(self, mode: str) -> None:
        if mode == "planes":
            print("VolumeViewer: three-plane view (mode='planes').")
            self._note("three-plane view (mode='planes')")
            return
        if mode == "itk":
            if not itkwidgets_available():
                self.itk_state = "not installed"
                print("VolumeViewer: itkwidgets is not installed, showing the three-plane view "
                      "(mode='itk' needs: pip install 'medlab[3d]').")
                self._note("itkwidgets not installed: pip install 'medlab[3d]'")
                return
            print(f"VolumeViewer: itkwidgets 3D view + three planes (mode='itk'); if the 3D "
                  f"viewer has not loaded after {self.itk_timeout:g} s, the notebook is "
                  "released and a note appears here.")
            self._start_itk()
            return
        # auto
        print("VolumeViewer: three-plane view (mode='auto'); itkwidgets 3D is added only "
              "once a browser shows this widget and can load the 3D viewer.")
        if not itkwidgets_available():
            self.itk_state = "not installed"
            self._note("three planes; for 3D rendering: pip install 'medlab[3d]'")
            return
        self.itk_state = "waiting for a browser"
        self._note("three planes; checking whether 3D rendering can load …")
        self.widget._view_count = 0  # the front end counts its views here: a browser probe
        self.widget.observe(self._view_count_changed, "_view_count")

    def _view_count_changed(self, change: dict) -> None:
        if not change["new"] or self.itk_state != "waiting for a browser":
            return
        self.widget.unobserve(self._view_count_changed, "_view_count")
        if not _viewer_host_reachable():
            self.itk_state = "offline"
            self._note("three planes (3D rendering needs internet access to load the "
                       "itkwidgets viewer)")
            return
        self._start_itk()

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
        self._note(f"the itkwidgets 3D viewer did not load within {self.itk_timeout:g} s "
                   "(offline or blocked?); the notebook was released: use the three planes")
