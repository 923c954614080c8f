"""TrainingMonitor: live loss and metric curves during ``model.fit``, in one display.

Importing this module imports Keras (it subclasses ``keras.callbacks.Callback``);
``medlab.widgets`` imports it only when ``TrainingMonitor`` is first used.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from medlab._keras import import_keras
from medlab.render import OKABE_ITO, figure_png, new_figure
from medlab.widgets._base import MedlabWidget
from medlab.widgets._picture import Picture

__all__ = ["TrainingMonitor"]

keras = import_keras()

_TRAIN = "#{:02x}{:02x}{:02x}".format(*OKABE_ITO["blue"])
_VALIDATION = "#{:02x}{:02x}{:02x}".format(*OKABE_ITO["vermillion"])


class TrainingMonitor(keras.callbacks.Callback, MedlabWidget):
    """A Keras callback that draws training and validation curves as epochs end.

    The monitor displays itself once when training begins (unless it was already
    displayed, or ``display=False``) and then updates that one display in place: no
    new output per epoch, so a notebook's stored outputs stay small and stable. The
    stored output keeps a picture of the final curves (after the cell), so the curves
    survive in a saved or exported notebook.
    Use ``model.fit(..., verbose=0, callbacks=[TrainingMonitor()])`` so that Keras'
    own progress bar does not print alongside.

    Parameters
    ----------
    metrics : list of str, optional
        Which logged quantities to plot (without ``val_``); default: all of them,
        loss first.
    display : bool
        Display automatically at the start of ``fit``.
    title : str, optional
        Drawn above the curves and put first in their text alternative (the stored
        picture's caption): say what the model trains on, e.g. ``"SYNTHETIC images"``.

    Attributes
    ----------
    history : dict
        Every logged value per epoch, e.g. ``{"loss": [...], "val_loss": [...]}``.
    epochs : list of int
        The epochs (1-based) seen so far.
    """

    static_is_figure = True

    def __init__(
        self, metrics: list[str] | None = None, *, display: bool = True, title: str | None = None
    ) -> None:
        import ipywidgets as w

        super().__init__()
        self.metrics = list(metrics) if metrics is not None else None
        self.title = str(title) if title else None
        self.auto_display = bool(display)
        self._shown = False
        self.history: dict[str, list[float]] = {}
        self.epochs: list[int] = []
        self.status = w.HTML("<code>waiting for the first epoch …</code>")
        self.plot = Picture(figure=True, alt=self.alt_text())
        self.widget = w.VBox([self.status, self.plot])
        self.redraws = 0

    def summary(self) -> str:
        """One line naming the widget and its main settings (its text form)."""
        return "TrainingMonitor(live training curves)"

    def _repr_mimebundle_(self, **kwargs: Any) -> dict | None:
        self._shown = True
        return MedlabWidget._repr_mimebundle_(self, **kwargs)

    def _ipython_display_(self) -> None:
        self._shown = True
        MedlabWidget._ipython_display_(self)

    def alt_text(self) -> str:
        """The curves in words: what is plotted, over how many epochs, the last values."""
        lead = f"{self.title}. " if self.title else ""
        if not self.epochs:
            return f"{lead}Training curves: no epoch finished yet."
        names = self.plotted_metrics()
        last = "; ".join(
            f"{key} {values[-1]:.4g}"
            for key, values in self.history.items()
            if key.removeprefix("val_") in names
        )
        return (
            f"{lead}Training curves of {', '.join(names)} over {len(self.epochs)} epochs: "
            f"training (solid, blue) and validation (dashed, vermillion). "
            f"After the last epoch: {last}."
        )

    def static_image(self) -> Any:
        """Pixels of the current view, for the picture stored in the notebook."""
        if not self.plot.value:  # before the first epoch: the caption says so
            return np.zeros((8, 240, 4), np.uint8)
        return self.plot.value

    # ------------------------------------------------------------ Keras hooks
    def on_train_begin(self, logs: dict | None = None) -> None:
        """Keras callback: show the monitor when training starts (if auto_display)."""
        if self.auto_display and not self._shown:
            from IPython.display import display

            display(self)
            self._shown = True

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        """Keras callback: add the epoch's losses and metrics to the curves."""
        self.update(epoch, logs or {})

    # --------------------------------------------------------------- updates
    def update(self, epoch: int, logs: dict[str, float]) -> None:
        """Record one epoch's logs (0-based ``epoch``, as Keras passes it) and redraw."""
        self.epochs.append(int(epoch) + 1)
        n = len(self.epochs)
        for key, value in logs.items():
            values = self.history.setdefault(key, [float("nan")] * (n - 1))
            values.append(float(value))
        for values in self.history.values():  # a key missing this epoch gets NaN
            if len(values) < n:
                values.append(float("nan"))
        total = (self.params or {}).get("epochs") if hasattr(self, "params") else None
        shown = ", ".join(f"{k} {v[-1]:.4f}" for k, v in self.history.items())
        of = f"/{total}" if total else ""
        self.status.value = f"<code>epoch {self.epochs[-1]}{of} · {shown}</code>"
        self.plot.value = figure_png(self._figure())
        self.plot.alt = self.alt_text()
        self.redraws += 1
        self._changed()

    def plotted_metrics(self) -> list[str]:
        """Base names plotted, one panel each (loss first)."""
        if self.metrics is not None:
            return self.metrics
        names = [k for k in self.history if not k.startswith("val_") and k != "learning_rate"]
        names += [k[4:] for k in self.history if k.startswith("val_") and k[4:] not in names]
        return sorted(names, key=lambda k: (k != "loss", names.index(k)))[:3]

    def _figure(self):
        names = self.plotted_metrics()
        if not hasattr(self, "_fig") or len(self._fig.axes) != max(1, len(names)):
            self._fig = new_figure(3.4 * max(1, len(names)), 2.8, transparent=True)
            self.plot.width = round(3.4 * max(1, len(names)) * 80)
            self.plot.height = round(2.8 * 80)
            self._fig.subplots(1, max(1, len(names)), squeeze=False)
            top = 0.88
            if self.title:
                self._fig.suptitle(self.title, fontsize=9)
                top = 0.8
            self._fig.subplots_adjust(left=0.1, right=0.98, bottom=0.18, top=top, wspace=0.3)
        for ax, name in zip(self._fig.axes, names, strict=False):
            ax.clear()
            for key, style, color, label in (
                (name, "-o", _TRAIN, "train"),
                (f"val_{name}", "--s", _VALIDATION, "validation"),
            ):
                if key in self.history:
                    ax.plot(self.epochs, self.history[key], style, ms=3, color=color, label=label)
            ax.set_title(name)
            ax.set_xlabel("epoch")
            ax.grid(alpha=0.3)
            ax.legend(fontsize=7)
        return self._fig
