"""Pieces every MedLab widget shares: the display wrapper, input checks, W/L controls."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

__all__ = ["MedlabWidget", "WindowControls", "as_image", "close_tree"]


def close_tree(widget: Any) -> None:
    """Close an ipywidgets widget and, recursively, its children."""
    for child in getattr(widget, "children", ()):
        close_tree(child)
    widget.close()


class MedlabWidget:
    """A Python object that owns an ipywidgets layout and displays as it.

    Subclasses build ``self.widget`` (an ipywidgets container). Displaying the object
    in a notebook shows that container; the plain-text form is a short, stable summary
    (``SliceViewer(shape=(256, 256), ...)``) so that stored notebook outputs compare
    equal run to run under nbval, instead of ipywidgets' long trait dump.
    """

    widget: Any

    def _repr_mimebundle_(self, **kwargs: Any) -> dict | None:
        bundle = self.widget._repr_mimebundle_(**kwargs)
        if bundle is not None:
            bundle = dict(bundle)
            bundle["text/plain"] = self.summary()
        return bundle

    def summary(self) -> str:
        """One line describing the widget (its ``text/plain`` form)."""
        return f"{type(self).__name__}()"

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
            f"{name}: expected a {' or '.join(f'{d}D' for d in ndims)} array, "
            f"got shape {arr.shape}"
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
        c_min = snap(min(lo - span / 2, center) - step)
        c_max = snap(max(hi + span / 2, center) + step)
        w_max = snap(max(2 * span, width, *(p[1] for p in self.presets.values())) + step)
        self.center = w.FloatSlider(
            value=center, min=c_min, max=c_max, step=step, description="level",
            continuous_update=True, readout_format=".0f" if step >= 1 else ".3g",
        )
        self.width = w.FloatSlider(
            value=width, min=step, max=w_max, step=step, description="width",
            readout_format=".0f" if step >= 1 else ".3g",
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

    def _match(self) -> str:
        for name, (c, wd) in self.presets.items():
            if abs(c - self.center_value) < 1e-6 and abs(wd - self.width_value) < 1e-6:
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
