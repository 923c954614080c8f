"""FeatureMapExplorer: pick a layer of a CNN and see its feature maps for one image."""

from __future__ import annotations

import html
from typing import Any

import numpy as np

from medlab.render import encode_png, montage, scale01, to_uint8
from medlab.widgets._base import MedlabWidget
from medlab.widgets._controls import IntSlider
from medlab.widgets._picture import Picture

__all__ = ["FeatureMapExplorer"]


def _fixed(width: int) -> Picture:
    """An image of a fixed width in pixels, its own aspect ratio, never stretched."""
    import ipywidgets as w

    return Picture(width=width, layout=w.Layout(align_self="flex-start"))


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
    title : str, optional
        Shown above the widget and first in its text alternative and stored picture's caption
        (e.g. "SYNTHETIC chest radiograph").

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
        self,
        model: Any,
        image: Any,
        layer: str | None = None,
        *,
        max_maps: int = 16,
        max_px: int = 420,
        title: str | None = None,
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
        self.page = IntSlider(value=0, min=0, max=0, description="first map")
        self.input_widget = _fixed(160)
        self.image_widget = _fixed(max_px)
        self.filters_widget = _fixed(max_px // 2)
        self.filters_title = w.HTML(
            "<b>first-layer filters</b> (weights, mean over input channels; bright = positive)"
        )
        self.info = w.HTML()
        self._input_pixels = to_uint8(scale01(self.image.mean(axis=2)))
        self.input_widget.value = encode_png(self._input_pixels)
        h, w_, c = self.image.shape
        self.input_widget.alt = f"The input image, {h} × {w_} pixels" + (
            f" (mean of its {c} channels)." if c > 1 else "."
        )
        self.layer_choice.observe(lambda _c: self._layer_changed(), "value")
        self.page.observe(lambda _c: self.render(), "value")
        self.filters_box = w.VBox([self.filters_title, self.filters_widget])
        self.title = str(title) if title else None
        heading = [w.HTML(f"<b>{html.escape(self.title)}</b>")] if self.title else []
        self.widget = w.VBox(
            [
                *heading,
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
        """One line naming the widget and its main settings (its text form)."""
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
            kh, kw = kernels.shape[1:]
            self.filters_widget.alt = (
                f"The {len(kernels)} learned {kh}×{kw} filters of {self.layer} (weights "
                "averaged over input channels, bright = positive), tiled row by row."
            )
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
        self._maps_pixels = to_uint8(montage(tiles, pad=2))
        self.image_widget.value = encode_png(self._maps_pixels)
        h, w_, _ = self.maps.shape
        self.info.value = (
            f"<code>{self.layer}: {n} maps of {h}×{w_}; showing {self.shown[0]}–"
            f"{self.shown[-1]} (each scaled to its own min–max)</code>"
        )
        self.image_widget.alt = (
            f"Feature maps {self.shown[0]} to {self.shown[-1]} of the {n} maps of layer "
            f"{self.layer} ({h}×{w_} each) for the input image, tiled row by row, each "
            "scaled from its own minimum (black) to maximum (white)."
        )
        self._changed()

    def alt_text(self) -> str:
        """Text alternative for the current view: what the images show, in words."""
        lead = f"{self.title}. " if self.title else ""
        return f"{lead}{self.input_widget.alt} {self.image_widget.alt}"

    def static_image(self) -> Any:
        """The input (scaled to 160 px wide) beside the tiled maps (to ``max_px``)."""
        from PIL import Image

        def to_width(gray: np.ndarray, width: int) -> np.ndarray:
            height = max(1, round(gray.shape[0] * width / gray.shape[1]))
            return np.asarray(
                Image.fromarray(gray).resize((width, height), Image.Resampling.NEAREST)
            )

        left = to_width(self._input_pixels, 160)
        right = to_width(self._maps_pixels, self.image_widget.width)
        canvas = np.full(
            (max(left.shape[0], right.shape[0]), left.shape[1] + 6 + right.shape[1]), 255, np.uint8
        )
        canvas[: left.shape[0], : left.shape[1]] = left
        canvas[: right.shape[0], left.shape[1] + 6 :] = right
        return canvas
