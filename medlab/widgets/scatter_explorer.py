"""ScatterExplorer: a 2D embedding of a cohort (PCA, t-SNE ...) linked to its images."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from medlab.render import (
    LABEL_COLORS,
    BlitFigure,
    color_name,
    display_size,
    encode_png,
    scale01,
    to_rgb,
    to_uint8,
)
from medlab.widgets._base import MedlabWidget
from medlab.widgets._controls import IntSlider
from medlab.widgets._picture import Picture

__all__ = ["ScatterExplorer"]

# colour-blind-safe group colours (Okabe–Ito), each group also with its own marker
_COLORS = tuple("#{:02x}{:02x}{:02x}".format(*rgb) for rgb in LABEL_COLORS)
_MARKERS = ("o", "s", "^", "D", "v", "P", "X")
_MARKER_WORDS = (
    "circles",
    "squares",
    "triangles",
    "diamonds",
    "down triangles",
    "pluses",
    "crosses",
)


class ScatterExplorer(MedlabWidget):
    """Scatter plots of a cohort, one point per image; pick a point, see its image.

    Parameters
    ----------
    embeddings : array or mapping of name → array
        One (n, 2) array per view (e.g. ``{"PCA": ..., "t-SNE": ...}``); a dropdown
        switches between them.
    images : array_like
        (n, H, W) or (n, H, W, 1) images, in the points' order.
    labels : array_like of int, optional
        Group of each point (colour), e.g. 0 normal / 1 abnormal.
    label_names : sequence of str, optional
        Name of each group, for the legend and the readout.
    index : int
        The point selected at first.

    Attributes
    ----------
    point_slider : ipywidgets.IntSlider
        The selected point (what a click on "next nearest" or a drag changes).
    view : ipywidgets.Dropdown
        The embedding on screen.
    readout : ipywidgets.HTML
        The selected point's index, group and coordinates.
    """

    def __init__(
        self,
        embeddings: Any,
        images: Any,
        labels: Any = None,
        *,
        label_names: Sequence[str] | None = None,
        index: int = 0,
        max_px: int = 220,
    ) -> None:
        import ipywidgets as w

        views = embeddings if isinstance(embeddings, Mapping) else {"embedding": embeddings}
        if not views:
            raise ValueError("ScatterExplorer needs at least one embedding, got none")
        self.images = np.asarray(images, dtype=np.float32)
        if self.images.ndim == 4 and self.images.shape[-1] == 1:
            self.images = self.images[..., 0]
        if self.images.ndim != 3:
            raise ValueError(
                f"ScatterExplorer images must be (n, H, W) or (n, H, W, 1), got shape "
                f"{np.shape(images)}"
            )
        n = len(self.images)
        self.embeddings: dict[str, np.ndarray] = {}
        for name, pts in views.items():
            p = np.asarray(pts, dtype=np.float64)
            if p.shape != (n, 2):
                raise ValueError(
                    f"ScatterExplorer embedding {name!r} must have shape ({n}, 2), one 2D point "
                    f"per image, got {p.shape}"
                )
            self.embeddings[str(name)] = p
        self.labels = np.zeros(n, int) if labels is None else np.asarray(labels).astype(int)
        if self.labels.shape != (n,):
            raise ValueError(
                f"ScatterExplorer labels must have shape ({n},), got {self.labels.shape}"
            )
        groups = np.unique(self.labels)
        if groups.min() < 0:
            raise ValueError(f"ScatterExplorer labels must be integers >= 0, got {groups.min()}")
        top = int(groups.max()) + 1
        names = list(label_names) if label_names is not None else [f"group {g}" for g in range(top)]
        if len(names) < groups.max() + 1 and label_names is not None:
            raise ValueError(
                f"label_names has {len(names)} names but the labels go up to {groups.max()}"
            )
        self.label_names = names
        if not 0 <= int(index) < n:
            raise ValueError(f"index must be from 0 to {n - 1}, got {index!r}")

        self.view = w.Dropdown(options=list(self.embeddings), description="view")
        self.point_slider = IntSlider(value=int(index), min=0, max=n - 1, description="point")
        self.neighbour_button = w.Button(description="nearest neighbour")
        self.plot = Picture(width=320, height=272, figure=True)
        h, wd = self.images.shape[1:]
        disp_w, disp_h = display_size((h, wd), (1.0, 1.0), max_px)
        self.display_size = (disp_w, disp_h)
        self.image_widget = Picture(width=disp_w, height=disp_h)
        self.readout = w.HTML()
        self._figure = BlitFigure(4.0, 3.4, transparent=True)
        self._lo, self._hi = float(self.images.min()), float(self.images.max())
        self.view.observe(lambda _c: self._draw_background(), "value")
        self.point_slider.observe(lambda _c: self.render(), "value")
        self.neighbour_button.on_click(lambda _b: self.select_nearest())
        self.widget = w.VBox(
            [
                w.HBox([self.view, self.point_slider, self.neighbour_button]),
                w.HBox([self.plot, self.image_widget]),
                self.readout,
            ]
        )
        self._draw_background()

    # ----------------------------------------------------------------- state
    @property
    def index(self) -> int:
        """The selected point."""
        return int(self.point_slider.value)

    @property
    def points(self) -> np.ndarray:
        """The (n, 2) coordinates of the current view."""
        return self.embeddings[self.view.value]

    def summary(self) -> str:
        """One line naming the widget and its main settings (its text form)."""
        return (
            f"ScatterExplorer(n={len(self.images)}, views={list(self.embeddings)}, "
            f"groups={len(np.unique(self.labels))})"
        )

    # --------------------------------------------------------------- actions
    def nearest(self, k: int = 1) -> np.ndarray:
        """Indices of the ``k`` points nearest the selected one in the current view."""
        d = np.linalg.norm(self.points - self.points[self.index], axis=1)
        d[self.index] = np.inf
        return np.argsort(d, kind="stable")[:k]

    def select_nearest(self) -> None:
        """Move the selection to the nearest other point of the current view."""
        self.point_slider.value = int(self.nearest(1)[0])

    def _draw_background(self) -> None:
        fig = self._figure.fig
        fig.clear()
        ax = fig.add_axes((0.12, 0.12, 0.84, 0.8))
        pts = self.points
        for g in np.unique(self.labels):
            sel = self.labels == g
            name = self.label_names[g] if g < len(self.label_names) else f"group {g}"
            ax.scatter(
                pts[sel, 0],
                pts[sel, 1],
                s=12,
                alpha=0.7,
                color=_COLORS[g % len(_COLORS)],
                marker=_MARKERS[g % len(_MARKERS)],
                label=name,
            )
        ax.legend(loc="best", fontsize=8)
        ax.set_title(self.view.value, fontsize=10)
        ax.tick_params(labelsize=7)
        (self._marker,) = ax.plot([], [], "o", ms=12, mfc="none", mec="black", mew=2)
        self._figure.animated = []
        self._figure.animate(self._marker)
        self._figure.redraw()
        self.render()

    def render(self) -> None:
        """Redraw the marker, the image and the readout."""
        i = self.index
        x, y = self.points[i]
        self._marker.set_data([x], [y])
        self.plot.value = self._figure.png()
        self._pixels = to_rgb(to_uint8(scale01(self.images[i], self._lo, self._hi)))
        self.image_widget.value = encode_png(self._pixels)
        g = int(self.labels[i])
        name = self._group_name(g)
        self.readout.value = f"point {i}: <b>{name}</b> at ({x:.3g}, {y:.3g})"
        self.plot.alt = self._plot_alt()
        self.image_widget.alt = f"Image of point {i} ({name})."
        self._changed()

    def _group_name(self, g: int) -> str:
        return self.label_names[g] if g < len(self.label_names) else f"group {g}"

    def _plot_alt(self) -> str:
        groups = ", ".join(
            f"{int(np.sum(self.labels == g))} {self._group_name(int(g))} "
            f"({color_name(LABEL_COLORS[int(g) % len(LABEL_COLORS)])}, "
            f"{_MARKER_WORDS[int(g) % len(_MARKERS)]})"
            for g in np.unique(self.labels)
        )
        x, y = self.points[self.index]
        chosen = self._group_name(int(self.labels[self.index]))
        return (
            f"{self.view.value} scatter plot of {len(self.images)} images: {groups}; "
            f"the selected point {self.index} ({chosen}) is circled at ({x:.3g}, {y:.3g})."
        )

    def alt_text(self) -> str:
        """Text alternative for the current view: what the images show, in words."""
        image = self.image_widget.alt
        return f"{self._plot_alt()} Beside it: {image[0].lower()}{image[1:]}"

    def static_image(self) -> Any:
        """The scatter plot (on white) and the selected image side by side."""
        import io

        from PIL import Image

        plot = np.asarray(Image.open(io.BytesIO(self.plot.value)).convert("RGBA"))
        alpha = plot[..., 3:4].astype(np.float32) / 255
        plot = (plot[..., :3] * alpha + 255 * (1 - alpha)).astype(np.uint8)
        w, h = self.display_size
        image = np.asarray(Image.fromarray(self._pixels).resize((w, h), Image.Resampling.NEAREST))
        height = max(plot.shape[0], h)
        canvas = np.full((height, plot.shape[1] + 6 + w, 3), 255, np.uint8)
        canvas[: plot.shape[0], : plot.shape[1]] = plot
        canvas[:h, plot.shape[1] + 6 :] = image
        return canvas
