"""SegmentationOverlay: truth and prediction over an image, with live Dice and IoU."""

from __future__ import annotations

from typing import Any

import numpy as np

from medlab.render import (
    OKABE_ITO,
    blend,
    color_name,
    display_size,
    encode_png,
    outline,
    paint_mask,
    scale01,
    to_rgb,
)
from medlab.render import to_uint8 as _to_uint8
from medlab.widgets._base import MedlabWidget, as_image
from medlab.widgets._controls import FloatSlider, IntSlider
from medlab.widgets._picture import Picture

__all__ = ["SegmentationOverlay"]

# Okabe–Ito colours, told apart by readers with any common colour-vision deficiency
# (the red/green pair of many overlays is not): blue, vermillion and yellow also differ
# in lightness, and every region is outlined as well as filled.
TRUTH_COLOR = OKABE_ITO["sky blue"]  # truth only (missed)
PRED_COLOR = OKABE_ITO["vermillion"]  # prediction only (false positive)
BOTH_COLOR = OKABE_ITO["yellow"]  # both (true positive)


class SegmentationOverlay(MedlabWidget):
    """Compare a predicted segmentation with the truth, slice by slice.

    Parameters
    ----------
    image : array_like
        2D image or 3D volume (slices first). Shown min–max scaled, or with ``window``.
    y_true : array_like
        Ground-truth mask (boolean, or 0/1), same shape as ``image`` (named as in
        :mod:`medlab.metrics`).
    y_pred : array_like
        Predicted mask, or probabilities in [0, 1] (a threshold slider then appears).
    threshold : float
        Initial threshold for probabilistic predictions (``y_pred >= threshold``).
    window : (center, width), optional
        Display window for the image, in its units.
    mode : {"fill", "contour"}
        Filled regions, each inside its opaque outline (yellow where both agree, sky
        blue where only the truth is, vermillion where only the prediction is), or the
        two outlines (truth sky blue, prediction vermillion).

    Attributes
    ----------
    scores : dict
        ``{"dice_slice", "iou_slice", "dice_total", "iou_total"}`` from
        :func:`medlab.metrics.dice` / :func:`medlab.metrics.iou` at the current threshold.
    readout : ipywidgets.HTML
        The same numbers as text.
    """

    def __init__(
        self,
        image: Any,
        y_true: Any,
        y_pred: Any,
        *,
        threshold: float = 0.5,
        window: Any = None,
        mode: str = "fill",
        opacity: float = 0.45,
        spacing: Any = None,
        max_px: int = 420,
    ) -> None:
        import ipywidgets as w

        data, sp, _ = as_image(image, spacing, name="SegmentationOverlay image")
        truth_arr = np.asarray(y_true)
        pred_arr = np.asarray(y_pred)
        for label, arr in (("y_true", truth_arr), ("y_pred", pred_arr)):
            if arr.shape != data.shape:
                raise ValueError(
                    f"SegmentationOverlay {label} has shape {arr.shape}, "
                    f"expected the image's shape {data.shape}"
                )
        if mode not in ("fill", "contour"):
            raise ValueError(f"SegmentationOverlay mode must be 'fill' or 'contour', got {mode!r}")
        self.data = data
        self.truth = truth_arr.astype(bool)
        self.probabilistic = pred_arr.dtype.kind == "f" and not np.isin(pred_arr, (0.0, 1.0)).all()
        if self.probabilistic and (pred_arr.min() < 0 or pred_arr.max() > 1):
            raise ValueError(
                "SegmentationOverlay y_pred: probabilities must lie in [0, 1], got range "
                f"[{pred_arr.min():.3g}, {pred_arr.max():.3g}]"
            )
        dtype = np.float32 if self.probabilistic else bool
        self.prediction = pred_arr.astype(dtype)
        if window is None:
            self._lo, self._hi = float(data.min()), float(data.max())
        else:
            c, wd = (float(v) for v in window)
            self._lo, self._hi = c - wd / 2, c + wd / 2
        self.scores: dict[str, float] = {}
        self._ready = False

        n = data.shape[0] if data.ndim == 3 else 1
        start = int(np.argmax(self.truth.reshape(n, -1).sum(axis=1))) if data.ndim == 3 else 0
        self.slice_slider = IntSlider(
            value=start,
            min=0,
            max=n - 1,
            description="slice",
            layout=w.Layout(display=None if data.ndim == 3 else "none"),
        )
        self.threshold_slider = FloatSlider(
            value=threshold,
            min=0.0,
            max=1.0,
            step=0.01,
            description="threshold",
            readout_format=".2f",
            layout=w.Layout(display=None if self.probabilistic else "none"),
        )
        self.opacity_slider = FloatSlider(
            value=opacity,
            min=0.0,
            max=1.0,
            step=0.05,
            description="opacity",
            readout_format=".2f",
        )
        self.mode_buttons = w.ToggleButtons(options=["fill", "contour"], value=mode)
        self.show_truth = w.Checkbox(value=True, description="truth", indent=False)
        self.show_pred = w.Checkbox(value=True, description="prediction", indent=False)

        def swatch(rgb: tuple[int, int, int], text: str) -> str:
            return (
                f"<span style='white-space:nowrap; margin-right:10px'><span "
                f"aria-hidden='true' style='display:inline-block; width:11px; height:11px; "
                f"border:2px solid rgb{rgb}; background:rgba{(*rgb, 0.45)}; "
                f"vertical-align:middle'></span> {text} ({color_name(rgb)})</span>"
            )

        legend = w.HTML(
            swatch(TRUTH_COLOR, "truth only (missed)")
            + swatch(PRED_COLOR, "prediction only (false positive)")
            + swatch(BOTH_COLOR, "both")
        )
        plane = data.shape[-2:]
        plane_sp = sp[-2:]
        dw, dh = display_size(plane, plane_sp, max_px)
        self.display_size = (dw, dh)
        self.image_widget = Picture(width=dw, height=dh)
        self.readout = w.HTML()
        for ctl in (
            self.slice_slider,
            self.opacity_slider,
            self.mode_buttons,
            self.show_truth,
            self.show_pred,
        ):
            ctl.observe(lambda _c: self.render(), "value")
        self.threshold_slider.observe(lambda _c: self._threshold_changed(), "value")
        self.widget = w.VBox(
            [
                w.HBox([self.slice_slider, self.threshold_slider]),
                w.HBox([self.mode_buttons, self.opacity_slider]),
                w.HBox([self.show_truth, self.show_pred, legend]),
                self.image_widget,
                self.readout,
            ]
        )
        self._ready = True
        self._threshold_changed()

    # ----------------------------------------------------------------- state
    @property
    def slice_index(self) -> int:
        """The slice on screen (0 for a 2D image)."""
        return int(self.slice_slider.value)

    @property
    def threshold(self) -> float:
        """The threshold applied to a probabilistic prediction."""
        return float(self.threshold_slider.value)

    def predicted_mask(self) -> np.ndarray:
        """The boolean prediction at the current threshold (whole image/volume)."""
        if self.probabilistic:
            return self.prediction >= self.threshold
        return self.prediction

    def summary(self) -> str:
        """One line naming the widget and its main settings (its text form)."""
        return f"SegmentationOverlay(shape={self.data.shape}, probabilistic={self.probabilistic})"

    # --------------------------------------------------------------- drawing
    def _threshold_changed(self) -> None:
        if not self._ready:
            return
        from medlab.metrics import dice, iou

        self._pred_mask = self.predicted_mask()
        self.scores["dice_total"] = float(dice(self.truth, self._pred_mask))
        self.scores["iou_total"] = float(iou(self.truth, self._pred_mask))
        self.render()

    def _take(self, arr: np.ndarray) -> np.ndarray:
        return arr[self.slice_index] if arr.ndim == 3 else arr

    def render(self) -> None:
        """Redraw the overlay and the per-slice and total scores."""
        if not self._ready:
            return
        from medlab.metrics import dice, iou

        truth = self._take(self.truth)
        pred = self._take(self._pred_mask)
        rgb = to_rgb(_to_uint8(scale01(self._take(self.data), self._lo, self._hi)))
        a = self.opacity_slider.value
        contour = self.mode_buttons.value == "contour"
        show_t, show_p = self.show_truth.value, self.show_pred.value
        if contour:
            if show_t:
                blend(rgb, outline(truth), TRUTH_COLOR, 1.0, inplace=True)
            if show_p:
                blend(rgb, outline(pred), PRED_COLOR, 1.0, inplace=True)
        elif show_t and show_p:
            paint_mask(rgb, truth & ~pred, TRUTH_COLOR, a, inplace=True)
            paint_mask(rgb, pred & ~truth, PRED_COLOR, a, inplace=True)
            paint_mask(rgb, truth & pred, BOTH_COLOR, a, inplace=True)
        elif show_t or show_p:
            paint_mask(
                rgb,
                truth if show_t else pred,
                TRUTH_COLOR if show_t else PRED_COLOR,
                a,
                inplace=True,
            )
        self._pixels = rgb
        self.image_widget.value = encode_png(rgb)
        self.scores["dice_slice"] = float(dice(truth, pred))
        self.scores["iou_slice"] = float(iou(truth, pred))
        s = self.scores
        where = f"slice {self.slice_index}" if self.data.ndim == 3 else "image"
        self.readout.value = (
            f"<code>{where}: Dice {s['dice_slice']:.3f} · IoU {s['iou_slice']:.3f}"
            + (
                f" | all slices: Dice {s['dice_total']:.3f} · IoU {s['iou_total']:.3f}"
                if self.data.ndim == 3
                else ""
            )
            + (f" | threshold {self.threshold:.2f}" if self.probabilistic else "")
            + "</code>"
        )
        self.image_widget.alt = self.alt_text()
        self._changed()

    def alt_text(self) -> str:
        """What the overlay shows now, in words: slice, regions and colours, Dice, IoU."""
        s = self.scores
        where = (
            f"Slice {self.slice_index} of {self.data.shape[0]}" if self.data.ndim == 3 else "Image"
        )
        shown = []
        contour = self.mode_buttons.value == "contour"
        if self.show_truth.value and self.show_pred.value and not contour:
            shown = [
                f"truth only (missed) in {color_name(TRUTH_COLOR)}",
                f"prediction only (false positive) in {color_name(PRED_COLOR)}",
                f"both in {color_name(BOTH_COLOR)}",
            ]
        else:
            if self.show_truth.value:
                shown.append(f"truth in {color_name(TRUTH_COLOR)}")
            if self.show_pred.value:
                shown.append(f"prediction in {color_name(PRED_COLOR)}")
        style = (
            "outlines"
            if contour
            else (f"filled at {round(100 * self.opacity_slider.value)} % inside outlines")
        )
        text = f"{where}: {', '.join(shown) or 'no overlay'} ({style}); "
        text += f"Dice {s['dice_slice']:.3f}, IoU {s['iou_slice']:.3f} on this slice"
        if self.data.ndim == 3:
            text += f", Dice {s['dice_total']:.3f} over all slices"
        if self.probabilistic:
            text += f"; threshold {self.threshold:.2f}"
        return text + "."

    def static_image(self) -> Any:
        """Pixels of the current view, for the picture stored in the notebook."""
        return self._pixels, self.display_size
