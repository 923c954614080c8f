"""Pieces every MedLab widget shares: the display wrapper, input checks, W/L controls.

Figures that survive
--------------------
A widget's live view exists only while a kernel runs. So that a notebook saved without
widget state, shown on a static viewer or exported with ``nbconvert --to html`` still
shows the curves, ROC and overlays, every :class:`MedlabWidget` displays as one output
holding three things: the widget view, an ``image/png`` picture of what it shows now
(with its text alternative as the picture's ``alt`` metadata and as a caption drawn
above it), and its one-line ``text/plain`` summary. Viewers without the widget show the
picture; nbval compares only the summary, which never changes with the view.

The picture follows the widget: when a cell changes the widget (a slider set from
code, a training epoch), the output is replaced in place (``update_display``) once,
after the cell, so ``nbconvert --execute`` and the course's stored lessons keep the
final view. A learner's own drags in the browser are not sent back as new pictures (the
live view already shows them, and a re-sent output would redraw the widget under the
mouse).
"""

from __future__ import annotations

import base64
import functools
import importlib.util
import io
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["MedlabWidget", "WindowControls", "as_image", "close_tree", "static_png"]

#: Longest side of the picture kept in a notebook's output (lesson files stay small).
STATIC_MAX_PX = 560
#: Colours kept in that picture (a palette PNG: a third of the size of RGB).
STATIC_COLORS = 128


def close_tree(widget: Any) -> None:
    """Close an ipywidgets widget and, recursively, its children."""
    for child in getattr(widget, "children", ()):
        close_tree(child)
    widget.close()


@functools.lru_cache(maxsize=4)
def _caption_font(size: int) -> Any:
    """DejaVu Sans from matplotlib's data, found without importing matplotlib.

    Pillow's own scalable font has no glyph for the minus sign, ×, ², ≥ or μ that captions
    use ("1 − specificity", "3×3", "mm³"); DejaVu Sans has them all.
    """
    from PIL import ImageFont

    spec = importlib.util.find_spec("matplotlib")
    if spec is not None and spec.origin is not None:
        dejavu = Path(spec.origin).parent / "mpl-data" / "fonts" / "ttf" / "DejaVuSans.ttf"
        try:
            return ImageFont.truetype(str(dejavu), size)
        except OSError:
            pass
    try:
        return ImageFont.load_default(size=size)
    except TypeError:  # Pillow < 10.1: the fixed bitmap font
        return ImageFont.load_default()


def _wrap(text: str, font: Any, width: int) -> list[str]:
    lines: list[str] = []
    for paragraph in text.splitlines() or [""]:
        line = ""
        for word in paragraph.split(" "):
            trial = f"{line} {word}".strip()
            if line and font.getlength(trial) > width:
                lines.append(line)
                line = word
            else:
                line = trial
        lines.append(line)
    return lines


def static_png(
    image: Any,
    caption: str = "",
    *,
    size: tuple[int, int] | None = None,
    max_px: int = STATIC_MAX_PX,
    colors: int = STATIC_COLORS,
) -> tuple[bytes, tuple[int, int]]:
    """A small PNG of a widget's view for a notebook's stored output, captioned.

    Parameters
    ----------
    image : numpy.ndarray or bytes
        (H, W) grey, (H, W, 3) RGB or (H, W, 4) RGBA uint8 pixels, or PNG bytes.
    caption : str
        Drawn above the picture (dark text on white), wrapped to its width.
    size : (int, int), optional
        (width, height) on screen: the pixels are first stretched to it (nearest
        neighbour), as a widget shows thick slices.
    max_px : int
        Longest side of the picture (it is shrunk, never enlarged).
    colors : int
        Colours of the palette the picture is reduced to (a palette PNG).

    Returns
    -------
    png : bytes
    size : (int, int)
        (width, height) in pixels.
    """
    from PIL import Image, ImageDraw

    if isinstance(image, (bytes, bytearray)):
        picture = Image.open(io.BytesIO(image))
        picture.load()
    else:
        picture = Image.fromarray(np.ascontiguousarray(image, dtype=np.uint8))
    transparent = "A" in picture.getbands() or "transparency" in picture.info
    mode = "RGBA" if transparent else "RGB"
    picture = picture.convert(mode)
    if size is not None and tuple(size) != picture.size:
        picture = picture.resize(
            (max(1, int(size[0])), max(1, int(size[1]))), Image.Resampling.NEAREST
        )
    scale = min(1.0, max_px / max(picture.size))
    if scale < 1.0:
        size = (max(1, round(picture.width * scale)), max(1, round(picture.height * scale)))
        picture = picture.resize(size, Image.Resampling.LANCZOS)
    if caption:
        font = _caption_font(13)
        width = max(picture.width, 240)
        lines = _wrap(caption, font, width - 8)
        line_h = 16
        strip = len(lines) * line_h + 6
        paper = (255, 255, 255, 255) if mode == "RGBA" else (255, 255, 255)
        framed = Image.new(mode, (width, picture.height + strip), paper)
        framed.paste(picture, (0, strip))
        draw = ImageDraw.Draw(framed)
        for k, line in enumerate(lines):
            draw.text((4, 3 + k * line_h), line, fill=(20, 20, 20), font=font)
        picture = framed
    if mode == "RGBA":
        reduced = picture.quantize(
            colors, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE
        )
    else:
        reduced = picture.quantize(
            colors, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE
        )
    buffer = io.BytesIO()
    reduced.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue(), picture.size


# ------------------------------------------------ one picture update per cell, after it

_PENDING: dict[int, MedlabWidget] = {}
_HOOKED: set[int] = set()
_IN_CELL = [False]


def _shell() -> Any:
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython comes with ipywidgets
        return None
    return get_ipython()


def _cell_started(*_args: Any) -> None:
    _IN_CELL[0] = True


def _cell_finished(*_args: Any) -> None:
    _IN_CELL[0] = False
    pending = list(_PENDING.values())
    _PENDING.clear()
    for widget in pending:
        widget._update_display()


def _watch_cells(shell: Any) -> None:
    """Register the pre/post cell hooks once per shell (we are inside a cell now)."""
    if id(shell) in _HOOKED:
        return
    shell.events.register("pre_run_cell", _cell_started)
    shell.events.register("post_run_cell", _cell_finished)
    _HOOKED.add(id(shell))
    _IN_CELL[0] = True


class MedlabWidget:
    """A Python object that owns an ipywidgets layout and displays as it.

    Subclasses build ``self.widget`` (an ipywidgets container) and say what they show:
    :meth:`static_image` (the pixels of the current view) and :meth:`alt_text` (the
    same in words), and call :meth:`_changed` after each redraw.

    Displaying the object in a notebook shows the container, with a picture of the
    view for viewers that cannot show widgets (see the module notes). The plain-text
    form is a short, stable summary (``SliceViewer(shape=(256, 256), ...)``) so that
    stored notebook outputs compare equal run to run under nbval, instead of
    ipywidgets' long trait dump.
    """

    widget: Any
    #: The stored picture is a chart (transparent, dark ink: shown on a light background).
    static_is_figure = False
    _display_id: str | None = None

    # ------------------------------------------------------------ what is shown
    def summary(self) -> str:
        """One line describing the widget (its ``text/plain`` form)."""
        return f"{type(self).__name__}()"

    def alt_text(self) -> str:
        """What the view shows now, in words (the text alternative of its picture)."""
        return self.summary()

    def static_image(self) -> Any:
        """The current view as uint8 pixels ((H, W), (H, W, 3) or (H, W, 4)) or PNG bytes.

        A pair ``(pixels, (width, height))`` gives the size on screen too (pixels of
        thick slices are stretched to it). None: the widget has no picture.
        """
        return None

    # ---------------------------------------------------------------- display
    def static_bundle(self) -> tuple[dict[str, Any], dict[str, Any]]:
        """The output of a display: (data, metadata) with the picture and the summary."""
        data: dict[str, Any] = {}
        view = self.widget._repr_mimebundle_()
        if view:
            data.update(view)
        data["text/plain"] = self.summary()
        metadata: dict[str, Any] = {}
        image = self.static_image()
        if image is not None:
            alt = self.alt_text()
            size = None
            if isinstance(image, tuple):  # (pixels, (width, height) on screen)
                image, size = image
            png, (width, height) = static_png(image, alt, size=size)
            data["image/png"] = base64.b64encode(png).decode("ascii")
            meta = {"width": width, "height": height, "alt": alt}
            if self.static_is_figure:
                meta["needs_background"] = "light"
            metadata["image/png"] = meta
        return data, metadata

    def _repr_mimebundle_(self, **kwargs: Any) -> dict | None:
        data, _ = self.static_bundle()
        return data

    def _ipython_display_(self) -> None:
        from IPython.display import display

        if self._display_id is None:
            self._display_id = uuid.uuid4().hex
        data, metadata = self.static_bundle()
        display(data, raw=True, metadata=metadata, display_id=self._display_id)
        shell = _shell()
        if shell is not None and hasattr(shell, "events"):
            _watch_cells(shell)

    def _changed(self) -> None:
        """Call after a redraw: a change made by a cell replaces the stored picture."""
        if self._display_id is not None and _IN_CELL[0]:
            _PENDING[id(self)] = self

    def _update_display(self) -> None:
        from IPython.display import update_display

        try:
            data, metadata = self.static_bundle()
        except Exception:  # a closed widget: its picture stays as it was, the cell runs on
            self._display_id = None
            return
        update_display(data, raw=True, metadata=metadata, display_id=self._display_id)

    def __repr__(self) -> str:
        return self.summary()

    def close(self) -> None:
        """Close this widget's front-end models (the object is unusable afterwards)."""
        close_tree(self.widget)


def as_image(
    image: Any, spacing: Any, *, name: str, ndims: tuple[int, ...] = (2, 3)
) -> tuple[np.ndarray, tuple[float, ...], str]:
    """Return (float32 array, spacing, units) from an array or a ``MedicalImage``.

    A ``MedicalImage`` (anything with ``.array``) gives its spacing when ``spacing`` is
    None, and its modality decides the units: ``HU`` for CT, none otherwise.

    Raises
    ------
    ValueError
        If the array does not have one of ``ndims`` dimensions, or the spacing does not
        have one positive number per axis.
    """
    units = ""
    if hasattr(image, "array"):
        if spacing is None:
            spacing = getattr(image, "spacing", None)
        if str(getattr(image, "modality", "")).upper() == "CT":
            units = "HU"
        image = image.array
    arr = np.asarray(image)
    if arr.dtype == bool:
        arr = arr.astype(np.float32)
    if arr.dtype.kind not in "biuf":
        raise ValueError(f"{name}: expected a numeric array, got dtype {arr.dtype}")
    arr = arr.astype(np.float32, copy=False)
    if arr.ndim not in ndims:
        raise ValueError(
            f"{name}: expected a {' or '.join(f'{d}D' for d in ndims)} array, got shape {arr.shape}"
        )
    if spacing is None:
        sp = (1.0,) * arr.ndim
    else:
        sp = tuple(float(s) for s in spacing)
        if len(sp) != arr.ndim or not all(np.isfinite(s) and s > 0 for s in sp):
            raise ValueError(
                f"{name}: spacing must have {arr.ndim} positive numbers (mm per axis), "
                f"got {spacing!r}"
            )
    return arr, sp, units


class WindowControls:
    """Window/level sliders plus a preset dropdown, calling ``on_change`` once per change.

    Parameters
    ----------
    data : numpy.ndarray
        The image, to choose slider ranges.
    units : str
        ``"HU"`` adds the CT presets of :data:`medlab.preprocess.WINDOWS` (so does asking
        for one of them by name).
    window : str, (center, width) or None
        Initial window: a preset name, a pair, or None (CT: soft tissue; others: the
        0.5–99.5 percentile range).
    on_change : callable
        Called with no argument after the window changed.
    """

    def __init__(
        self, data: np.ndarray, units: str, window: Any, on_change: Callable[[], None]
    ) -> None:
        import ipywidgets as w

        from medlab.preprocess import WINDOWS
        from medlab.render import robust_range
        from medlab.widgets._controls import FloatSlider

        self._on_change = on_change
        self._busy = False
        lo, hi = robust_range(data, 0.0, 100.0)
        auto = robust_range(data, 0.5, 99.5)
        self.presets: dict[str, tuple[float, float]] = {
            "auto": ((auto[0] + auto[1]) / 2, auto[1] - auto[0]),
            "full range": ((lo + hi) / 2, hi - lo),
        }
        if units == "HU" or (isinstance(window, str) and window in WINDOWS):
            for key in ("lung", "soft_tissue", "bone", "brain", "mediastinum"):
                self.presets[key] = (float(WINDOWS[key].center), float(WINDOWS[key].width))
        if window is None:
            window = "soft_tissue" if units == "HU" else "auto"
        if isinstance(window, str):
            if window not in self.presets:
                raise ValueError(
                    f"window preset {window!r} unknown: expected one of {sorted(self.presets)} "
                    "or a (center, width) pair"
                )
            center, width = self.presets[window]
        else:
            center, width = (float(v) for v in window)
            if not width > 0:
                raise ValueError(f"window width must be positive, got {width!r}")
        span = max(hi - lo, 1e-6)
        step = 1.0 if span >= 10 else float(f"{span / 1000:.1g}")

        def snap(v: float) -> float:  # sliders move in steps from 0: keep values on that grid
            return round(round(v / step) * step, 10)

        self.presets = {k: (snap(c), max(step, snap(wd))) for k, (c, wd) in self.presets.items()}
        if isinstance(window, str):
            center, width = self.presets[window]
        self.step = step
        c_min = snap(min(lo - span / 2, center) - step)
        c_max = snap(max(hi + span / 2, center) + step)
        w_max = snap(max(2 * span, width, *(p[1] for p in self.presets.values())) + step)
        fmt = ".0f" if step >= 1 else ".3g"
        self.center = FloatSlider(
            value=center,
            min=c_min,
            max=c_max,
            step=step,
            description="level",
            continuous_update=True,
            readout_format=fmt,
            units=units,
        )
        self.width = FloatSlider(
            value=width,
            min=step,
            max=w_max,
            step=step,
            description="width",
            readout_format=fmt,
            units=units,
        )
        options = [*self.presets, "custom"]
        self.preset = w.Dropdown(options=options, description="preset", value=self._match())
        self.preset.observe(self._preset_changed, "value")
        self.center.observe(self._slider_changed, "value")
        self.width.observe(self._slider_changed, "value")
        self.box = w.HBox([self.preset, self.center, self.width])

    @property
    def value(self) -> tuple[float, float]:
        """The current (center, width)."""
        return float(self.center.value), float(self.width.value)

    def set(self, center: float, width: float) -> None:
        """Set both sliders with a single redraw."""
        self._busy = True
        try:
            self.center.value = center
            self.width.value = width
            self.preset.value = self._match()
        finally:
            self._busy = False
        self._on_change()

    @property
    def preset_name(self) -> str:
        """The preset the window matches, or ``"custom"``."""
        return self._match()

    def _match(self) -> str:
        # within half a slider step: a value rounded by the browser still names its preset
        tol = getattr(self, "step", 1e-6) / 2
        for name, (c, wd) in self.presets.items():
            if abs(c - self.center_value) < tol and abs(wd - self.width_value) < tol:
                return name
        return "custom"

    @property
    def center_value(self) -> float:
        return float(self.center.value) if hasattr(self, "center") else 0.0

    @property
    def width_value(self) -> float:
        return float(self.width.value) if hasattr(self, "width") else 0.0

    def _preset_changed(self, change: dict) -> None:
        if self._busy or change["new"] == "custom":
            return
        self.set(*self.presets[change["new"]])

    def _slider_changed(self, change: dict) -> None:
        if self._busy:
            return
        self._busy = True
        try:
            self.preset.value = self._match()
        finally:
            self._busy = False
        self._on_change()
