"""GradCAMViewer: where does the network look? Grad-CAM over the image."""

from __future__ import annotations

from typing import Any

import numpy as np

from medlab.render import encode_png, overlay_heatmap, scale01, to_uint8
from medlab.widgets._base import MedlabWidget

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

    Attributes
    ----------
    heatmap : numpy.ndarray
        :func:`medlab.explain.grad_cam` for the current layer and class, (H, W) in [0, 1].
    prediction : numpy.ndarray
        The model's output for the image.
    """

    def __init__(
        self, model: Any, image: Any, layer: str | None = None, class_index: int | None = None,
        *, opacity: float = 0.4, max_px: int = 300,
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
        self.opacity_slider = w.FloatSlider(
            value=opacity, min=0.0, max=1.0, step=0.05, description="opacity"
        )
        side = f"{max_px}px"
        self.input_widget = w.Image(format="png", layout=w.Layout(width=side, height=side))
        self.image_widget = w.Image(format="png", layout=w.Layout(width=side, height=side))
        self.info = w.HTML()
        self.input_widget.value = encode_png(to_uint8(scale01(self.image.mean(axis=2))))
        for ctl in (self.layer_choice, self.class_choice):
            ctl.observe(lambda _c: self._compute(), "value")
        self.opacity_slider.observe(lambda _c: self.render(), "value")
        self.widget = w.VBox(
            [
                w.HBox([self.layer_choice, self.class_choice, self.opacity_slider]),
                self.info,
                w.HBox([self.input_widget, self.image_widget]),
            ]
        )
        self._compute()

    def summary(self) -> str:
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
        self.image_widget.value = encode_png(
            overlay_heatmap(self.image, self.heatmap, self.opacity_slider.value)
        )
        pred = ", ".join(f"{v:.3f}" for v in np.atleast_1d(self.prediction))
        self.info.value = (
            f"<code>prediction [{pred}] · Grad-CAM of {self.layer_choice.value} for class "
            f"{self.class_choice.label} (red = raises that score most)</code>"
        )
