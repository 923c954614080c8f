"""GradCAMViewer: where does the network look? Grad-CAM over the image."""

from __future__ import annotations

import html
from typing import Any

import numpy as np

from medlab.render import encode_png, overlay_heatmap, scale01, to_uint8
from medlab.widgets._base import MedlabWidget
from medlab.widgets._controls import FloatSlider
from medlab.widgets._picture import Picture

#: Heat-map colours offered, the first the default: viridis (yellow = high) reads the same
#: for colour-blind readers and in grey; jet (red = high) is the Grad-CAM paper's.
COLORMAPS = ("viridis", "jet")
_HIGH = {"viridis": "yellow", "jet": "red"}

__all__ = ["GradCAMViewer"]


class GradCAMViewer(MedlabWidget):
    """Grad-CAM heat map of a chosen layer and class, blended over the image.

    Parameters
    ----------
    model : keras.Model
    image : array_like
        One image (H, W) or (H, W, C), scaled as the model expects.
    layer : str, optional
        Default: the output of the last convolution block
        (:func:`medlab.explain.default_cam_layer`).
    class_index : int, optional
        For a single sigmoid output, 1 = positive (default) and 0 = negative.
    colormap : {"viridis", "jet"}
        Colours of the heat map (default viridis: yellow where the score rises most,
        readable by colour-blind readers; jet is red there).
    title : str, optional
        Shown above the widget and first in its text alternative and stored picture's caption
        (e.g. "SYNTHETIC chest radiograph").

    Attributes
    ----------
    heatmap : numpy.ndarray
        :func:`medlab.explain.grad_cam` for the current layer and class, (H, W) in [0, 1].
    prediction : numpy.ndarray
        The model's output for the image.
    """

    def __init__(
        self,
        model: Any,
        image: Any,
        layer: str | None = None,
        class_index: int | None = None,
        *,
        opacity: float = 0.4,
        max_px: int = 300,
        colormap: str = "viridis",
        title: str | None = None,
    ) -> None:
        import ipywidgets as w

        from medlab import explain

        self.model = model
        self.image = explain.prepare_input(model, image)
        layers = explain.spatial_layers(model)
        if not layers:
            raise ValueError("GradCAMViewer: the model has no convolutional layer")
        if layer is not None and layer not in layers:
            raise ValueError(f"GradCAMViewer: layer {layer!r} has no 2D maps; choose from {layers}")
        self.prediction = np.asarray(model(self.image[None], training=False))[0]
        n_out = int(self.prediction.shape[-1])
        classes = [("positive", 1), ("negative", 0)] if n_out == 1 else list(range(n_out))
        if class_index is None:
            class_index = 1 if n_out == 1 else int(np.argmax(self.prediction))
        self._cache: dict[tuple[str, int], np.ndarray] = {}
        self.layer_choice = w.Dropdown(
            options=layers, value=layer or explain.default_cam_layer(model), description="layer"
        )
        self.class_choice = w.Dropdown(options=classes, value=class_index, description="class")
        if colormap not in COLORMAPS:
            raise ValueError(f"GradCAMViewer colormap must be one of {COLORMAPS}, got {colormap!r}")
        self.colormap_choice = w.Dropdown(
            options=list(COLORMAPS), value=colormap, description="colours"
        )
        self.opacity_slider = FloatSlider(
            value=opacity,
            min=0.0,
            max=1.0,
            step=0.05,
            description="opacity",
            readout_format=".2f",
        )
        self.max_px = int(max_px)
        self.input_widget = Picture(width=max_px, height=max_px)
        self.image_widget = Picture(width=max_px, height=max_px)
        self.info = w.HTML()
        self._input_pixels = to_uint8(scale01(self.image.mean(axis=2)))
        self.input_widget.value = encode_png(self._input_pixels)
        h, w_ = self.image.shape[:2]
        self.input_widget.alt = f"The input image, {h} × {w_} pixels."
        for ctl in (self.layer_choice, self.class_choice):
            ctl.observe(lambda _c: self._compute(), "value")
        self.opacity_slider.observe(lambda _c: self.render(), "value")
        self.colormap_choice.observe(lambda _c: self.render(), "value")
        self.title = str(title) if title else None
        heading = [w.HTML(f"<b>{html.escape(self.title)}</b>")] if self.title else []
        self.widget = w.VBox(
            [
                *heading,
                w.HBox(
                    [
                        self.layer_choice,
                        self.class_choice,
                        self.opacity_slider,
                        self.colormap_choice,
                    ]
                ),
                self.info,
                w.HBox([self.input_widget, self.image_widget]),
            ]
        )
        self._compute()

    def summary(self) -> str:
        """One line naming the widget and its main settings (its text form)."""
        return f"GradCAMViewer(layer={self.layer_choice.value!r})"

    def _compute(self) -> None:
        from medlab import explain

        key = (str(self.layer_choice.value), int(self.class_choice.value))
        if key not in self._cache:
            self._cache[key] = explain.grad_cam(self.model, self.image, *key)
        self.heatmap = self._cache[key]
        self.render()

    def render(self) -> None:
        """Blend the heat map at the current opacity."""
        cmap = self.colormap_choice.value
        self._pixels = overlay_heatmap(
            self.image, self.heatmap, self.opacity_slider.value, colormap=cmap
        )
        self.image_widget.value = encode_png(self._pixels)
        pred = ", ".join(f"{v:.3f}" for v in np.atleast_1d(self.prediction))
        self.info.value = (
            f"<code>prediction [{pred}] · Grad-CAM of {self.layer_choice.value} for class "
            f"{self.class_choice.label} ({_HIGH[cmap]} = raises that score most)</code>"
        )
        self.image_widget.alt = self._heat_alt()
        self._changed()

    def _heat_alt(self) -> str:
        cmap = self.colormap_choice.value
        heat = self.heatmap
        r, c = np.unravel_index(int(np.argmax(heat)), heat.shape)
        h, w_ = heat.shape
        where = (
            ("top" if r < h / 3 else "bottom" if r >= 2 * h / 3 else "middle")
            + " "
            + ("left" if c < w_ / 3 else "right" if c >= 2 * w_ / 3 else "centre")
        )
        hot = float(np.mean(heat >= 0.5))
        return (
            f"Grad-CAM heat map of layer {self.layer_choice.value} for class "
            f"{self.class_choice.label} over the input image, in {cmap} colours at "
            f"{round(100 * self.opacity_slider.value)} % ({_HIGH[cmap]} = raises the score "
            f"most); hottest at row {r}, column {c} ({where}); {100 * hot:.0f} % of the image "
            "at half the maximum or more."
        )

    def alt_text(self) -> str:
        """Text alternative for the current view: what the images show, in words."""
        lead = f"{self.title}. " if self.title else ""
        return f"{lead}{self.input_widget.alt} Beside it: {self._heat_alt()}"

    def static_image(self) -> Any:
        """The input and the heat map side by side, as on screen."""
        from PIL import Image

        size = (self.max_px, self.max_px)
        left = np.asarray(
            Image.fromarray(self._input_pixels)
            .convert("RGB")
            .resize(size, Image.Resampling.NEAREST)
        )
        right = np.asarray(Image.fromarray(self._pixels).resize(size, Image.Resampling.NEAREST))
        canvas = np.full((self.max_px, 2 * self.max_px + 6, 3), 255, np.uint8)
        canvas[:, : self.max_px] = left
        canvas[:, self.max_px + 6 :] = right
        return canvas
