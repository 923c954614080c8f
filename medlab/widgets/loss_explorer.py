"""LossExplorer: drag a prediction and watch the loss and its gradient respond."""

from __future__ import annotations

from typing import Any

import numpy as np

from medlab.render import OKABE_ITO, BlitFigure
from medlab.widgets._base import MedlabWidget
from medlab.widgets._controls import FloatSlider
from medlab.widgets._picture import Picture

__all__ = ["LossExplorer"]

LOSSES = ("BCE", "weighted BCE", "focal")
_P_GRID = np.linspace(0.001, 0.999, 300)
# colour-blind-safe pair (Okabe–Ito vermillion and blue), also told apart by line style
_POSITIVE = "#{:02x}{:02x}{:02x}".format(*OKABE_ITO["vermillion"])
_NEGATIVE = "#{:02x}{:02x}{:02x}".format(*OKABE_ITO["blue"])
_Z_GRID = np.linspace(-8.0, 8.0, 300)


class LossExplorer(MedlabWidget):
    """Binary cross-entropy, weighted BCE and focal loss for one positive and one negative.

    Two sliders set the model's prediction for a positive example (label 1) and a
    negative example (label 0), either as probabilities ŷ or as logits z. The table
    shows each example's loss and the gradient of that loss with respect to ŷ (or z),
    computed by :mod:`medlab.losses`; the plot shows the whole curve with the two
    current points.

    Parameters
    ----------
    loss : {"BCE", "weighted BCE", "focal"}
    inputs : {"probability", "logit"}
    positive, negative : float
        Initial predictions (probabilities in (0, 1), or logits in [-8, 8]).

    Attributes
    ----------
    values : dict
        ``{"positive": {"y", "p", "z", "loss", "grad"}, "negative": {...}, "mean_loss"}``,
        the numbers shown.
    """

    static_is_figure = True

    def __init__(
        self,
        loss: str = "BCE",
        inputs: str = "probability",
        positive: float = 0.8,
        negative: float = 0.3,
        *,
        positive_weight: float = 3.0,
        gamma: float = 2.0,
        alpha: float | None = None,
    ) -> None:
        import ipywidgets as w

        if loss not in LOSSES:
            raise ValueError(f"LossExplorer loss must be one of {LOSSES}, got {loss!r}")
        if inputs not in ("probability", "logit"):
            raise ValueError(
                f"LossExplorer inputs must be 'probability' or 'logit', got {inputs!r}"
            )
        self._ready = False
        self.loss_choice = w.ToggleButtons(options=list(LOSSES), value=loss, description="loss")
        self.inputs = w.ToggleButtons(
            options=["probability", "logit"], value=inputs, description="slide"
        )
        self.positive = FloatSlider(description="ŷ positive", readout_format=".3f")
        self.negative = FloatSlider(description="ŷ negative", readout_format=".3f")
        self._set_ranges(inputs)
        self.positive.value, self.negative.value = positive, negative
        self.weight = FloatSlider(
            value=positive_weight,
            min=0.1,
            max=10.0,
            step=0.1,
            description="w positive",
            readout_format=".1f",
        )
        self.gamma = FloatSlider(
            value=gamma, min=0.0, max=5.0, step=0.5, description="γ", readout_format=".1f"
        )
        self.use_alpha = w.Checkbox(
            value=alpha is not None, description="balance (α)", indent=False
        )
        self.alpha = FloatSlider(
            value=0.25 if alpha is None else alpha,
            min=0.0,
            max=1.0,
            step=0.05,
            description="α",
            readout_format=".2f",
        )
        self.table = w.HTML()
        self.plot = Picture(width=600, height=240, figure=True)
        self._plot = BlitFigure(7.5, 3.0, transparent=True)
        self._fig = self._plot.fig
        self._ax_loss, self._ax_grad = self._fig.subplots(1, 2)
        self._fig.subplots_adjust(left=0.08, right=0.98, bottom=0.17, top=0.9, wspace=0.3)
        self.inputs.observe(self._inputs_changed, "value")
        for ctl in (self.loss_choice, self.weight, self.gamma, self.use_alpha, self.alpha):
            ctl.observe(lambda _c: self.render(curves=True), "value")
        for ctl in (self.positive, self.negative):
            ctl.observe(lambda _c: self.render(curves=False), "value")
        self.params = w.HBox([self.weight, self.gamma, self.use_alpha, self.alpha])
        self.widget = w.VBox(
            [
                self.loss_choice,
                self.inputs,
                self.positive,
                self.negative,
                self.params,
                self.table,
                self.plot,
            ]
        )
        self._ready = True
        self.render(curves=True)

    # ----------------------------------------------------------------- state
    @property
    def from_logits(self) -> bool:
        """Whether the sliders are logits."""
        return self.inputs.value == "logit"

    def loss_kwargs(self) -> dict[str, Any]:
        """Keyword arguments passed to :mod:`medlab.losses` for the current choice."""
        kw: dict[str, Any] = {"from_logits": self.from_logits}
        if self.loss_choice.value == "weighted BCE":
            kw["class_weight"] = {0: 1.0, 1: float(self.weight.value)}
        elif self.loss_choice.value == "focal":
            kw["gamma"] = float(self.gamma.value)
            kw["alpha"] = float(self.alpha.value) if self.use_alpha.value else None
        return kw

    def loss_functions(self):
        """The (loss, gradient) pair of :mod:`medlab.losses` functions in use."""
        from medlab import losses

        if self.loss_choice.value == "focal":
            return losses.focal_loss, losses.focal_loss_gradient
        return losses.binary_cross_entropy, losses.binary_cross_entropy_gradient

    def summary(self) -> str:
        """One line naming the widget and its main settings (its text form)."""
        return f"LossExplorer(loss={self.loss_choice.value!r}, inputs={self.inputs.value!r})"

    # --------------------------------------------------------------- drawing
    def _set_ranges(self, inputs: str) -> None:
        for s in (self.positive, self.negative):
            if inputs == "logit":
                s.min, s.max, s.step = -8.0, 8.0, 0.05
            else:
                s.max, s.min, s.step = 0.999, 0.001, 0.001
        label = "z" if inputs == "logit" else "ŷ"
        self.positive.description = f"{label} positive"
        self.negative.description = f"{label} negative"

    def _inputs_changed(self, change: dict) -> None:
        """Keep the same predictions when switching between ŷ and z."""
        p_pos, p_neg = self.values["positive"]["p"], self.values["negative"]["p"]
        self._ready = False
        try:
            if change["new"] == "logit":
                self._set_ranges("logit")
                self.positive.value = float(np.clip(np.log(p_pos / (1 - p_pos)), -8, 8))
                self.negative.value = float(np.clip(np.log(p_neg / (1 - p_neg)), -8, 8))
            else:
                self._set_ranges("probability")
                self.positive.value = float(np.clip(p_pos, 0.001, 0.999))
                self.negative.value = float(np.clip(p_neg, 0.001, 0.999))
        finally:
            self._ready = True
        self.render(curves=True)

    def _point(self, y: float, x: float) -> dict[str, float]:
        loss_fn, grad_fn = self.loss_functions()
        kw = self.loss_kwargs()
        yt, xp = np.array([y]), np.array([x])
        z = x if self.from_logits else float(np.log(x / (1 - x)))
        p = float(1 / (1 + np.exp(-x))) if self.from_logits else x
        return {
            "y": y,
            "p": p,
            "z": float(z),
            "loss": float(loss_fn(yt, xp, reduction="none", **kw)[0]),
            "grad": float(grad_fn(yt, xp, reduction="none", **kw)[0]),
        }

    def render(self, curves: bool = True) -> None:
        """Recompute the two points (and, if asked, the curves) and redraw."""
        if not self._ready:
            return
        choice = self.loss_choice.value
        self.weight.layout.display = None if choice == "weighted BCE" else "none"
        for ctl in (self.gamma, self.use_alpha, self.alpha):
            ctl.layout.display = None if choice == "focal" else "none"
        pos = self._point(1.0, float(self.positive.value))
        neg = self._point(0.0, float(self.negative.value))
        mean = (pos["loss"] + neg["loss"]) / 2
        self.values = {"positive": pos, "negative": neg, "mean_loss": mean}
        d = "∂L/∂z" if self.from_logits else "∂L/∂ŷ"
        rows = "".join(
            f"<tr><td>{name} (y={int(v['y'])})</td><td>{v['p']:.3f}</td><td>{v['z']:+.3f}</td>"
            f"<td>{v['loss']:.4f}</td><td>{v['grad']:+.4f}</td></tr>"
            for name, v in (("positive", pos), ("negative", neg))
        )
        self.table.value = (
            "<table><tr><th>example</th><th>ŷ</th><th>z</th><th>loss</th>"
            f"<th>{d}</th></tr>{rows}</table>"
            f"<code>mean loss over the two: {self.values['mean_loss']:.4f}</code>"
        )
        self._draw(curves)

    def _draw(self, curves: bool) -> None:
        loss_fn, grad_fn = self.loss_functions()
        kw = self.loss_kwargs()
        grid = _Z_GRID if self.from_logits else _P_GRID
        xlabel = "logit z" if self.from_logits else "predicted probability ŷ"
        if curves or not hasattr(self, "_markers"):
            for ax in (self._ax_loss, self._ax_grad):
                ax.clear()
                ax.set_xlabel(xlabel)
                ax.grid(alpha=0.3)
            self._markers = {}
            self._plot.animated.clear()
            for y, color, name in (
                (1.0, _POSITIVE, "positive (y=1)"),
                (0.0, _NEGATIVE, "negative (y=0)"),
            ):
                yt = np.full_like(grid, y)
                style = "-" if y == 1.0 else "--"
                self._ax_loss.plot(
                    grid, loss_fn(yt, grid, reduction="none", **kw), style, color=color, label=name
                )
                g = grad_fn(yt, grid, reduction="none", **kw)
                self._ax_grad.plot(grid, g, style, color=color)
                marker = "o" if y == 1.0 else "s"
                (m1,) = self._ax_loss.plot([], [], marker, color=color, ms=8)
                (m2,) = self._ax_grad.plot([], [], marker, color=color, ms=8)
                self._markers[y] = (m1, m2)
                self._plot.animate(m1, m2)
            self._ax_loss.set_title(f"{self.loss_choice.value} loss")
            self._ax_grad.set_title("gradient " + ("∂L/∂z" if self.from_logits else "∂L/∂ŷ"))
            if not self.from_logits:
                self._ax_grad.set_ylim(-20, 20)
            self._ax_loss.legend(loc="upper center", fontsize=8)
            self._plot.redraw()
        x_of = "z" if self.from_logits else "p"
        for key, y in (("positive", 1.0), ("negative", 0.0)):
            v = self.values[key]
            m1, m2 = self._markers[y]
            m1.set_data([v[x_of]], [v["loss"]])
            m2.set_data([v[x_of]], [v["grad"]])
        self.plot.value = self._plot.png()
        self.plot.alt = self.alt_text()
        self._changed()

    def alt_text(self) -> str:
        """The two curves and the two points, in words."""
        x = "logit z" if self.from_logits else "predicted probability ŷ"
        d = "∂L/∂z" if self.from_logits else "∂L/∂ŷ"
        pos, neg = self.values["positive"], self.values["negative"]
        at = "z" if self.from_logits else "p"
        name = "ŷ" if not self.from_logits else "z"
        return (
            f"Left: {self.loss_choice.value} loss against the {x}, for a positive example "
            f"(solid line) and a negative one (dashed). Right: its gradient {d}. The positive "
            f"example is at {name}={pos[at]:.3f} (loss {pos['loss']:.4f}, gradient "
            f"{pos['grad']:+.4f}), the negative at {name}={neg[at]:.3f} (loss "
            f"{neg['loss']:.4f}, gradient {neg['grad']:+.4f})."
        )

    def static_image(self) -> Any:
        """Pixels of the current view, for the picture stored in the notebook."""
        return self.plot.value
