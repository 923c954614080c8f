"""ThresholdExplorer: move the operating point along the ROC curve."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from medlab.render import OKABE_ITO, BlitFigure
from medlab.widgets._base import MedlabWidget
from medlab.widgets._controls import FloatSlider
from medlab.widgets._picture import Picture

_HEX = {name: "#{:02x}{:02x}{:02x}".format(*rgb) for name, rgb in OKABE_ITO.items()}

__all__ = ["ThresholdExplorer"]


class ThresholdExplorer(MedlabWidget):
    """ROC curve with a movable operating point, confusion matrix and derived rates.

    A case is called positive when ``score >= threshold`` (the convention of
    :func:`medlab.metrics.roc_curve` and scikit-learn).

    Parameters
    ----------
    y_true : array_like
        Binary labels (0 = negative, 1 = positive); both classes must occur.
    scores : array_like
        Scores, higher meaning more likely positive (probabilities or logits).
    threshold : float, optional
        Initial threshold (default 0.5 for scores in [0, 1], else the median score).
    title : str, optional
        Drawn above the ROC curve and the histograms and put first in their text
        alternative (the stored picture's caption): say which data the scores are on,
        e.g. ``"SYNTHETIC validation set"``.

    Attributes
    ----------
    confusion : numpy.ndarray
        ``[[tn, fp], [fn, tp]]`` at the current threshold.
    stats : dict
        ``sensitivity``, ``specificity``, ``ppv``, ``npv`` (NaN where undefined),
        ``fpr``, ``tpr``, ``auc``.
    """

    static_is_figure = True

    def __init__(
        self,
        y_true: Any,
        scores: Any,
        threshold: float | None = None,
        *,
        title: str | None = None,
    ) -> None:
        import ipywidgets as w

        from medlab.metrics import roc_auc, roc_curve

        self.title = str(title) if title else None
        self.y_true = np.asarray(y_true).ravel()
        self.scores = np.asarray(scores, dtype=np.float64).ravel()
        self.fpr, self.tpr, self.thresholds = roc_curve(self.y_true, self.scores)
        self.auc = float(roc_auc(self.y_true, self.scores))
        lo, hi = float(self.scores.min()), float(self.scores.max())
        if threshold is None:
            threshold = 0.5 if lo >= 0 and hi <= 1 else float(np.median(self.scores))
        span = hi - lo if hi > lo else 1.0
        # a round step and range on that step's grid: the browser snaps slider values to it
        step = 10.0 ** np.floor(np.log10(span / 200))
        digits = max(0, int(-np.log10(step)))
        s_min = round(float(np.floor(lo / step) * step), digits)
        s_max = round(float(np.ceil(hi / step) * step), digits)
        start = round(float(np.round(np.clip(threshold, s_min, s_max) / step) * step), digits)
        self.threshold_slider = FloatSlider(
            value=start,
            min=float(s_min),
            max=float(s_max),
            step=float(step),
            description="threshold",
            readout_format=".4g",
            continuous_update=True,
            layout=w.Layout(width="480px"),
        )
        self.table = w.HTML()
        self.plot = Picture(width=640, height=256, figure=True)
        self._plot = BlitFigure(8.0, 3.2, transparent=True)
        ax_roc, ax_hist = self._plot.fig.subplots(1, 2)
        top = 0.9
        if self.title:
            self._plot.fig.suptitle(self.title, fontsize=9)
            top = 0.82
        self._plot.fig.subplots_adjust(left=0.08, right=0.98, bottom=0.16, top=top, wspace=0.28)
        ax_roc.plot(self.fpr, self.tpr, color=_HEX["reddish purple"], lw=2)
        ax_roc.plot([0, 1], [0, 1], ":", color="grey")
        ax_roc.set(
            xlabel="1 − specificity (FPR)",
            ylabel="sensitivity (TPR)",
            title=f"ROC, AUC = {self.auc:.3f}",
            xlim=(-0.02, 1.02),
            ylim=(-0.02, 1.02),
        )
        bins = np.linspace(lo, hi if hi > lo else lo + 1, 31)
        ax_hist.hist(
            self.scores[self.y_true == 0],
            bins=bins,
            alpha=0.6,
            label="negatives",
            color=_HEX["blue"],
        )
        ax_hist.hist(
            self.scores[self.y_true == 1],
            bins=bins,
            alpha=0.6,
            label="positives",
            color=_HEX["orange"],
            hatch="//",
        )
        ax_hist.set(xlabel="score", title="scores by true class")
        ax_hist.legend(fontsize=8)
        (self._point,) = ax_roc.plot([], [], "o", color="black", ms=9)
        self._line = ax_hist.axvline(threshold, color="black", lw=2)
        self._plot.animate(self._point, self._line)
        self._plot.redraw()
        self.threshold_slider.observe(lambda _c: self.render(), "value")
        self.widget = w.VBox([self.threshold_slider, self.plot, self.table])
        self.render()

    @property
    def threshold(self) -> float:
        """The current threshold."""
        return float(self.threshold_slider.value)

    def summary(self) -> str:
        """One line naming the widget and its main settings (its text form)."""
        return f"ThresholdExplorer(n={self.scores.size})"

    def render(self) -> None:
        """Recompute the confusion matrix and rates, move the point and redraw."""
        from medlab import metrics

        y_pred = (self.scores >= self.threshold).astype(int)
        self.confusion = np.asarray(metrics.confusion_matrix(self.y_true, y_pred))
        (tn, fp), (fn, tp) = self.confusion
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # undefined rates become NaN
            self.stats = {
                name: float(getattr(metrics, name)(self.y_true, y_pred))
                for name in ("sensitivity", "specificity", "ppv", "npv")
            }
        self.stats["tpr"] = float(tp / (tp + fn))
        self.stats["fpr"] = float(fp / (fp + tn))
        self.stats["auc"] = self.auc
        self._point.set_data([self.stats["fpr"]], [self.stats["tpr"]])
        self._line.set_xdata([self.threshold, self.threshold])
        self.plot.value = self._plot.png()

        def fmt(v: float) -> str:
            return "n/a" if np.isnan(v) else f"{v:.3f}"

        s = self.stats
        self.table.value = (
            "<table><tr><th></th><th>predicted −</th><th>predicted +</th></tr>"
            f"<tr><th>truly −</th><td>TN {tn}</td><td>FP {fp}</td></tr>"
            f"<tr><th>truly +</th><td>FN {fn}</td><td>TP {tp}</td></tr></table>"
            f"<code>threshold {self.threshold:.3f} · sensitivity {fmt(s['sensitivity'])} · "
            f"specificity {fmt(s['specificity'])} · PPV {fmt(s['ppv'])} · "
            f"NPV {fmt(s['npv'])}</code>"
        )
        self.plot.alt = self.alt_text()
        self._changed()

    def alt_text(self) -> str:
        """The ROC curve, the operating point and the score histograms, in words."""
        s = self.stats

        def fmt(v: float) -> str:
            return "not defined" if np.isnan(v) else f"{v:.3f}"

        (tn, fp), (fn, tp) = self.confusion
        lead = f"{self.title}. " if self.title else ""
        return (
            f"{lead}Left: ROC curve, AUC {self.auc:.3f}, with the operating point at threshold "
            f"{self.threshold:.3f}: sensitivity {fmt(s['sensitivity'])} at 1 − specificity "
            f"{fmt(s['fpr'])}. Right: histograms of the scores of {tn + fp} negatives (blue) "
            f"and {tp + fn} positives (orange, hatched) with the threshold as a "
            f"vertical line; TP {tp}, FP {fp}, FN {fn}, TN {tn}."
        )

    def static_image(self) -> Any:
        """Pixels of the current view, for the picture stored in the notebook."""
        return self.plot.value
