"""KernelPlayground: edit a convolution kernel and see the result and its histogram live."""

from __future__ import annotations

from typing import Any

import numpy as np

from medlab.render import encode_png, scale01, to_uint8
from medlab.widgets._base import MedlabWidget, as_image
from medlab.widgets._picture import Picture

__all__ = ["KernelPlayground"]

_HIST_SIZE = (120, 256)  # rows, columns of the histogram image
PRESETS_3 = ("identity", "blur", "gaussian", "sharpen", "edges", "sobel_x", "sobel_y", "emboss")
PRESETS_5 = ("blur5", "gaussian5")


class KernelPlayground(MedlabWidget):
    """Convolve an image with a 3×3 or 5×5 kernel you edit, and watch the result.

    The result is :func:`medlab.preprocess.convolve2d` of the image with the kernel
    (the same function lesson 02 writes by hand). It is shown min–max scaled beside
    the input, with a histogram of its values (64 bins).

    Parameters
    ----------
    image : array_like
        A 2D grey image (any units).
    kernel : str or array_like
        A preset name from :data:`medlab.preprocess.KERNELS` (``"blur"``, ``"sharpen"``,
        ``"edges"``, ``"sobel_x"`` ...) or a 3×3 / 5×5 array.

    Attributes
    ----------
    kernel : numpy.ndarray
        The kernel in the editor.
    result : numpy.ndarray
        The convolution of the image with :attr:`kernel`.
    hist_counts, hist_edges : numpy.ndarray
        The histogram shown (``numpy.histogram(result, bins=64)``).
    """

    def __init__(self, image: Any, kernel: Any = "sharpen", *, max_px: int = 320) -> None:
        import ipywidgets as w

        from medlab.preprocess import KERNELS

        data, _, _ = as_image(image, None, name="KernelPlayground image", ndims=(2,))
        self.image = data
        self._busy = False
        self.preset = w.Dropdown(
            options=[*PRESETS_3, *PRESETS_5, "custom"], value="custom", description="preset"
        )
        self.size = w.ToggleButtons(options=["3×3", "5×5"], value="3×3", description="size")
        # each weight has a name for screen readers (its row and column offset from the
        # centre: "weight at row -1, column +1"), its label kept out of sight: the grid
        # itself shows where it is
        self.cells = [
            w.FloatText(
                value=0.0,
                step=0.1,
                description=f"weight at row {k // 5 - 2:+d}, column {k % 5 - 2:+d}",
                style={"description_width": "0px"},
                layout=w.Layout(width="64px"),
            )
            for k in range(25)
        ]
        self.grid = w.GridBox(layout=w.Layout(grid_template_columns="repeat(3, 68px)"))
        self.normalize = w.Button(description="divide by sum", tooltip="make the weights sum to 1")
        rows, cols = data.shape
        height = round(max_px * rows / cols)
        self.display_size = (max_px, height)
        self.input_widget = Picture(
            width=max_px, height=height, alt=f"The input image, {rows} × {cols} pixels."
        )
        self.image_widget = Picture(width=max_px, height=height)
        self.hist_widget = Picture(
            width=256, height=120, figure=True, layout=w.Layout(flex="0 0 auto")
        )
        self.readout = w.HTML()
        self._input_pixels = to_uint8(scale01(self.image))
        self.input_widget.value = encode_png(self._input_pixels)
        for cell in self.cells:
            cell.observe(self._cell_changed, "value")
        self.preset.observe(self._preset_changed, "value")
        self.size.observe(self._size_changed, "value")
        self.normalize.on_click(lambda _b: self._divide_by_sum())
        self.widget = w.VBox(
            [
                w.HBox([self.preset, self.size, self.normalize]),
                w.HBox(
                    [
                        self.grid,
                        w.VBox([self.hist_widget, self.readout], layout=w.Layout(flex="0 0 auto")),
                    ]
                ),
                w.HBox([self.input_widget, self.image_widget]),
            ]
        )
        if isinstance(kernel, str):
            if kernel not in KERNELS:
                raise ValueError(
                    f"KernelPlayground kernel preset {kernel!r} unknown: expected one of "
                    f"{sorted(KERNELS)} or a 3×3/5×5 array"
                )
            self.preset.value = kernel
        else:
            self.set_kernel(kernel)

    # ----------------------------------------------------------------- state
    @property
    def n(self) -> int:
        """Kernel side (3 or 5)."""
        return 3 if self.size.value == "3×3" else 5

    @property
    def kernel(self) -> np.ndarray:
        """The kernel currently in the editor, shape (n, n)."""
        k = np.array([c.value for c in self.cells], dtype=np.float64).reshape(5, 5)
        return k[1:4, 1:4].copy() if self.n == 3 else k

    def summary(self) -> str:
        """One line naming the widget and its main settings (its text form)."""
        return f"KernelPlayground(image={self.image.shape}, kernel={self.n}×{self.n})"

    # --------------------------------------------------------------- actions
    def set_kernel(self, kernel: Any) -> None:
        """Put a 3×3 or 5×5 kernel in the editor (one redraw)."""
        k = np.asarray(kernel, dtype=np.float64)
        if k.shape not in ((3, 3), (5, 5)) or not np.all(np.isfinite(k)):
            raise ValueError(f"kernel must be a finite 3×3 or 5×5 array, got shape {k.shape}")
        full = np.zeros((5, 5))
        if k.shape == (3, 3):
            full[1:4, 1:4] = k
        else:
            full = k
        self._busy = True
        try:
            self.size.value = "3×3" if k.shape == (3, 3) else "5×5"
            self._layout_grid()
            for cell, v in zip(self.cells, full.ravel(), strict=True):
                cell.value = float(v)
            self._sync_preset()
        finally:
            self._busy = False
        self.render()

    def render(self) -> None:
        """Recompute the convolution, the result image and the histogram."""
        from medlab.preprocess import convolve2d

        self.result = convolve2d(self.image, self.kernel)
        self._result_pixels = to_uint8(scale01(self.result))
        self.image_widget.value = encode_png(self._result_pixels)
        self.hist_counts, self.hist_edges = np.histogram(self.result, bins=64)
        self._hist_pixels = self._histogram_image()
        self.hist_widget.value = encode_png(self._hist_pixels)
        k = self.kernel
        self.readout.value = (
            f"<code>kernel sum {k.sum():.3g} · result range "
            f"[{self.result.min():.3g}, {self.result.max():.3g}]</code>"
        )
        self.image_widget.alt = (
            f"The image convolved with the {self._kernel_words()}, scaled from its minimum "
            f"{self.result.min():.3g} (black) to its maximum {self.result.max():.3g} (white)."
        )
        self.hist_widget.alt = (
            f"Histogram of the result in 64 bins from {self.hist_edges[0]:.3g} to "
            f"{self.hist_edges[-1]:.3g}; the fullest bin holds {int(self.hist_counts.max())} "
            "pixels."
        )
        self._changed()

    def _kernel_words(self) -> str:
        k = self.kernel
        name = self.preset.value if self.preset.value != "custom" else "custom"
        rows = "; ".join(" ".join(f"{v:.3g}" for v in row) for row in k)
        return f"{name} {self.n}×{self.n} kernel [{rows}] (weights summing to {k.sum():.3g})"

    def alt_text(self) -> str:
        """The input, the result and its histogram, in words."""
        return (
            f"Left: the input image. Right: {self.image_widget.alt[0].lower()}"
            f"{self.image_widget.alt[1:]} {self.hist_widget.alt}"
        )

    def static_image(self) -> Any:
        """Input and result side by side (as on screen), the histogram below."""
        from PIL import Image

        width, height = self.display_size

        def screen(gray: np.ndarray) -> np.ndarray:
            return np.asarray(
                Image.fromarray(gray).resize((width, height), Image.Resampling.NEAREST)
            )

        gap = 6
        top = np.full((height, 2 * width + gap), 255, np.uint8)
        top[:, :width] = screen(self._input_pixels)
        top[:, width + gap :] = screen(self._result_pixels)
        hist = np.where(self._hist_pixels[..., 3] > 0, self._hist_pixels[..., 0], 255)
        bottom = np.full((hist.shape[0] + gap, top.shape[1]), 255, np.uint8)
        bottom[gap:, : hist.shape[1]] = hist
        return np.vstack([top, bottom])

    # ---------------------------------------------------------------- helpers
    def _histogram_image(self) -> np.ndarray:
        """Dark bars on a transparent background (RGBA): a chart that follows the theme."""
        rows, cols = _HIST_SIZE
        img = np.zeros((rows, cols, 4), np.uint8)
        counts = self.hist_counts.astype(np.float64)
        heights = np.round(counts / max(counts.max(), 1) * (rows - 2)).astype(int)
        bar = cols // counts.size
        for i, h in enumerate(heights):
            if h > 0:
                img[rows - h :, i * bar : (i + 1) * bar - 1] = (60, 60, 60, 255)
        img[rows - 1, :] = (60, 60, 60, 255)  # the axis
        return img

    def _layout_grid(self) -> None:
        idx = [r * 5 + c for r in range(5) for c in range(5)]
        if self.n == 3:
            idx = [r * 5 + c for r in range(1, 4) for c in range(1, 4)]
        self.grid.children = [self.cells[i] for i in idx]
        self.grid.layout.grid_template_columns = f"repeat({self.n}, 68px)"

    def _sync_preset(self) -> None:
        from medlab.preprocess import KERNELS

        k = self.kernel
        match = next(
            (
                name
                for name in self.preset.options[:-1]
                if KERNELS[name].shape == k.shape and np.allclose(KERNELS[name], k)
            ),
            "custom",
        )
        self.preset.value = match

    def _preset_changed(self, change: dict) -> None:
        if self._busy or change["new"] == "custom":
            return
        from medlab.preprocess import KERNELS

        self.set_kernel(KERNELS[change["new"]])

    def _size_changed(self, change: dict) -> None:
        if self._busy:
            return
        self._busy = True
        try:
            if change["new"] == "3×3":  # clear the outer ring so the 3×3 kernel is what is used
                for r in range(5):
                    for c in range(5):
                        if r in (0, 4) or c in (0, 4):
                            self.cells[r * 5 + c].value = 0.0
            self._layout_grid()
            self._sync_preset()
        finally:
            self._busy = False
        self.render()

    def _cell_changed(self, change: dict) -> None:
        if self._busy:
            return
        self._busy = True
        try:
            self._sync_preset()
        finally:
            self._busy = False
        self.render()

    def _divide_by_sum(self) -> None:
        k = self.kernel
        s = k.sum()
        if abs(s) > 1e-12:
            self.set_kernel(k / s)
