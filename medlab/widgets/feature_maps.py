"""FeatureMapExplorer: pick a layer of a CNN and see its feature maps for one image."""

from __future__ import annotations

from typing import Any

import numpy as np

from medlab.render import encode_png, montage, scale01, to_uint8
from medlab.widgets._base import MedlabWidget

__all__ = ["FeatureMapExplorer"]


def _fixed(width: str):
    """Layout of an image with a fixed width, its own aspect ratio, never stretched."""
    import ipywidgets as w

    return w.Layout(width=width, height="auto", align_self="flex-start", object_fit="contain")


class FeatureMapExplorer(MedlabWidget):
    """Feature maps of a chosen layer (and the first layer's filters) for one image.

    Parameters
    ----------
    model : keras.Model
        A built CNN with an ``Input``.
    image : array_like
        One image, (H, W) or (H, W, C), scaled as the model expects.
    layer : str, optional
        Initial layer (default: the first layer with spatial output).
    max_maps : int
        Maps shown per page (a slider pages through the rest).

    Attributes
    ----------
    maps : numpy.ndarray
        The chosen layer's activations (H', W', C) from :func:`medlab.explain.feature_maps`.
    shown : numpy.ndarray
        The channel indices on screen.
    filters : numpy.ndarray or None
        First-layer kernels (kh, kw, in, out), shown when the first conv layer is chosen.
    """

    def __init__(
        self, model: Any, image: Any, layer: str | None = None, *, max_maps: int = 16,
        max_px: int = 420,
    ) -> None:
        import ipywidgets as w

        from medlab import explain

        self.model = model
        self.image = explain.prepare_input(model, image)
        self.layers = explain.spatial_layers(model)
        if not self.layers:
            raise ValueError("FeatureMapExplorer: the model has no layer with 2D feature maps")
        if layer is not None and layer not in self.layers:
            raise ValueError(
                f"FeatureMapExplorer: layer {layer!r} has no 2D maps; choose one of {self.layers}"
            )
        self.max_maps = int(max_maps)
        self._cache: dict[str, np.ndarray] = {}
        convs = explain.conv_layers(model)
        self.first_conv = convs[0] if convs else None
        self.layer_choice = w.Dropdown(
            options=self.layers, value=layer or self.layers[0], description="layer"
        )
        self.page = w.IntSlider(value=0, min=0, max=0, description="first map")
        self.input_widget = w.Image(format="png", layout=_fixed("160px"))
        self.image_widget = w.Image(format="png", layout=_fixed(f"{max_px}px"))
        self.filters_widget = w.Image(format="png", layout=_fixed(f"{max_px // 2}px"))
        self.filters_title = w.HTML("<b>first-layer filters</b> (weights, mean over input "
                                    "channels; bright = positive)")
        self.info = w.HTML()
        self.input_widget.value = encode_png(to_uint8(scale01(self.image.mean(axis=2))))
        self.layer_choice.observe(lambda _c: self._layer_changed(), "value")
        self.page.observe(lambda _c: self.render(), "value")
        self.filters_box = w.VBox([self.filters_title, self.filters_widget])
        self.widget = w.VBox(
            [
                w.HBox([self.layer_choice, self.page]),
                self.info,
                w.HBox([self.input_widget, self.image_widget]),
                self.filters_box,
            ]
        )
        self._layer_changed()

    @property
    def layer(self) -> str:
        """The chosen layer's name."""
        return str(self.layer_choice.value)

    def summary(self) -> str:
        return f"FeatureMapExplorer(layers={self.layers})"

    def _layer_changed(self) -> None:
        from medlab import explain

        if self.layer not in self._cache:
            self._cache[self.layer] = explain.feature_maps(self.model, self.image, self.layer)
        self.maps = self._cache[self.layer]
        n = self.maps.shape[-1]
        self.page.max = max(0, n - 1)
        self.page.step = self.max_maps
        self.page.layout.display = None if n > self.max_maps else "none"
        if self.layer == self.first_conv:
            self.filters = explain.first_layer_filters(self.model)
            kernels = np.moveaxis(self.filters.mean(axis=2), -1, 0)  # (out, kh, kw)
            big = np.kron(kernels, np.ones((8, 8), np.float32))  # 8× nearest-neighbour
            self.filters_widget.value = encode_png(to_uint8(montage(big, pad=2)))
            self.filters_box.layout.display = None
        else:
            self.filters = None
            self.filters_box.layout.display = "none"
        if self.page.value != 0:
            self.page.value = 0  # triggers render
        else:
            self.render()

    def render(self) -> None:
        """Draw the current page of maps."""
        n = self.maps.shape[-1]
        start = min(int(self.page.value), max(0, n - 1))
        self.shown = np.arange(start, min(n, start + self.max_maps))
        tiles = np.moveaxis(self.maps[..., self.shown], -1, 0)
        self.image_widget.value = encode_png(to_uint8(montage(tiles, pad=2)))
        h, w_, _ = self.maps.shape
        self.info.value = (
            f"<code>{self.layer}: {n} maps of {h}×{w_}; showing {self.shown[0]}–"
            f"{self.shown[-1]} (each scaled to its own min–max)</code>"
        )
