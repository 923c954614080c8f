"""Sliders everyone can use: the W3C ARIA slider pattern, drawn by a small anywidget.

ipywidgets' sliders have a thumb that screen readers cannot name (no label is linked to
it) and that echoes values back to the kernel when it is drawn. :class:`IntSlider` and
:class:`FloatSlider` here keep ipywidgets' Python API (``value``, ``min``, ``max``,
``step``, ``description``, ``readout_format``, ``continuous_update``, ``disabled``,
``layout``, ``observe``) and follow the ARIA Authoring Practices slider pattern:

- the thumb has ``role="slider"``, is in the tab order, is named by the visible label
  (``aria-labelledby``) and tells its value (``aria-valuenow/min/max`` and
  ``aria-valuetext``, e.g. "-600 HU");
- arrow keys move one step (Right/Up more, Left/Down less), Page Up/Page Down ten steps,
  Home and End jump to the minimum and maximum; a click or drag on the track moves it;
- the browser sends a value only when the learner moves the slider, never when it
  merely shows a value the kernel set: a cell that sets ``slider.value`` is never
  overwritten by a stale or rounded echo (the ipywidgets slider did that after *Run All*).

The JavaScript is the inline string below (no file to fetch, no CDN), so it works offline.
"""

from __future__ import annotations

from typing import Any

import anywidget
import traitlets

__all__ = ["FloatSlider", "IntSlider"]

_ESM = r"""
let counter = 0;

function decimalsOf(step) {
  const text = String(step);
  if (text.includes("e-")) return Number(text.split("e-")[1]);
  const dot = text.indexOf(".");
  return dot < 0 ? 0 : text.length - dot - 1;
}

function format(value, spec, step) {
  const m = /^\.?(\d*)([fgde%]?)$/.exec(spec || "");
  if (!m) return String(value);
  const digits = m[1] === "" ? null : Number(m[1]);
  switch (m[2]) {
    case "f": return value.toFixed(digits ?? 6);
    case "e": return value.toExponential(digits ?? 6);
    case "%": return (100 * value).toFixed(digits ?? 6) + "%";
    case "d": return String(Math.round(value));
    case "g": return String(Number(value.toPrecision(Math.max(1, digits ?? 6))));
    default: return value.toFixed(Math.min(20, decimalsOf(step)));
  }
}

function render({ model, el }) {
  const uid = `medlab-slider-${++counter}-${Math.random().toString(36).slice(2, 8)}`;
  const root = document.createElement("div");
  root.className = "medlab-slider";
  const label = document.createElement("span");
  label.className = "medlab-slider-label";
  label.id = `${uid}-label`;
  const track = document.createElement("div");
  track.className = "medlab-slider-track";
  const fill = document.createElement("div");
  fill.className = "medlab-slider-fill";
  const thumb = document.createElement("div");
  thumb.className = "medlab-slider-thumb";
  thumb.setAttribute("role", "slider");
  thumb.setAttribute("aria-labelledby", label.id);
  thumb.setAttribute("aria-orientation", "horizontal");
  thumb.setAttribute("data-lm-suppress-shortcuts", "true");
  const readout = document.createElement("span");
  readout.className = "medlab-slider-readout";
  readout.setAttribute("aria-hidden", "true");
  track.append(fill, thumb);
  root.append(label, track, readout);
  el.append(root);

  let shown = model.get("value");
  let pending = null;

  const lo = () => model.get("min");
  const hi = () => model.get("max");
  const step = () => model.get("step") || 1;

  function snap(value) {
    const s = step();
    const d = decimalsOf(s);
    let v = Math.round(value / s) * s;
    v = Math.min(hi(), Math.max(lo(), v));
    return Number(v.toFixed(Math.min(20, d)));
  }
  function text(value) {
    const units = model.get("units");
    return format(value, model.get("readout_format"), step()) + (units ? ` ${units}` : "");
  }
  function draw(value) {
    shown = value;
    const span = hi() - lo();
    const frac = span > 0 ? (value - lo()) / span : 0;
    const pct = `${Math.max(0, Math.min(1, frac)) * 100}%`;
    thumb.style.left = pct;
    fill.style.width = pct;
    thumb.setAttribute("aria-valuenow", String(value));
    thumb.setAttribute("aria-valuemin", String(lo()));
    thumb.setAttribute("aria-valuemax", String(hi()));
    thumb.setAttribute("aria-valuetext", text(value));
    readout.textContent = text(value);
  }
  function showLabel() {
    label.textContent = model.get("description");
  }
  function showDisabled() {
    const off = model.get("disabled");
    thumb.tabIndex = off ? -1 : 0;
    thumb.setAttribute("aria-disabled", off ? "true" : "false");
    root.classList.toggle("medlab-mod-disabled", off);
  }
  function send(value) {
    model.set("value", value);
    model.save_changes();
  }
  function choose(value, final) {
    const v = snap(value);
    if (v === shown && !final) return;
    draw(v);
    if (model.get("continuous_update") || final) {
      if (pending !== null) cancelAnimationFrame(pending);
      pending = requestAnimationFrame(() => { pending = null; send(shown); });
    }
  }
  function fromPointer(event) {
    const rect = track.getBoundingClientRect();
    const frac = rect.width > 0 ? (event.clientX - rect.left) / rect.width : 0;
    return lo() + Math.max(0, Math.min(1, frac)) * (hi() - lo());
  }
  function onPointerDown(event) {
    if (model.get("disabled") || event.button !== 0) return;
    track.setPointerCapture(event.pointerId);
    thumb.focus();
    choose(fromPointer(event), false);
    event.preventDefault();
  }
  function onPointerMove(event) {
    if (!track.hasPointerCapture(event.pointerId)) return;
    choose(fromPointer(event), false);
  }
  function onPointerUp(event) {
    if (!track.hasPointerCapture(event.pointerId)) return;
    track.releasePointerCapture(event.pointerId);
    choose(fromPointer(event), true);
  }
  function onKey(event) {
    if (model.get("disabled")) return;
    const s = step();
    const page = Math.max(s, Math.round((hi() - lo()) / 10 / s) * s);
    const moves = {
      ArrowRight: shown + s, ArrowUp: shown + s, ArrowLeft: shown - s, ArrowDown: shown - s,
      PageUp: shown + page, PageDown: shown - page, Home: lo(), End: hi(),
    };
    if (!(event.key in moves)) return;
    event.preventDefault();
    event.stopPropagation();
    choose(moves[event.key], true);
  }
  label.addEventListener("click", () => thumb.focus());
  track.addEventListener("pointerdown", onPointerDown);
  track.addEventListener("pointermove", onPointerMove);
  track.addEventListener("pointerup", onPointerUp);
  thumb.addEventListener("keydown", onKey);

  // The kernel's values are shown, never sent back: no echo can overwrite a later change.
  const redraw = () => draw(model.get("value"));
  const handlers = {
    "change:value": redraw, "change:min": redraw, "change:max": redraw,
    "change:step": redraw, "change:readout_format": redraw, "change:units": redraw,
    "change:description": showLabel, "change:disabled": showDisabled,
  };
  for (const [name, fn] of Object.entries(handlers)) model.on(name, fn);
  showLabel(); showDisabled(); redraw();
  return () => {
    for (const [name, fn] of Object.entries(handlers)) model.off(name, fn);
    if (pending !== null) cancelAnimationFrame(pending);
  };
}

export default { render };
"""

_CSS = """
.medlab-slider { display: flex; align-items: center; gap: 8px; min-width: 260px;
  height: var(--jp-widgets-inline-height, 28px); font-size: var(--jp-widgets-font-size, 13px);
  color: var(--jp-widgets-label-color, var(--jp-ui-font-color1, #000)); }
.medlab-slider-label { flex: 0 0 auto; width: var(--jp-widgets-inline-label-width, 80px);
  text-align: right; overflow: hidden; text-overflow: ellipsis; white-space: nowrap;
  cursor: default; }
.medlab-slider-track { position: relative; flex: 1 1 120px; min-width: 100px; height: 6px;
  border-radius: 3px; cursor: pointer; touch-action: none;
  background: var(--jp-layout-color3, #bdbdbd); }
.medlab-slider-fill { position: absolute; left: 0; top: 0; bottom: 0; border-radius: 3px;
  background: var(--jp-brand-color1, #1976d2); }
.medlab-slider-thumb { position: absolute; top: 50%; width: 16px; height: 16px;
  transform: translate(-50%, -50%); border-radius: 50%; box-sizing: border-box;
  background: var(--jp-layout-color1, #fff); border: 2px solid var(--jp-brand-color1, #1976d2);
  outline: none; }
.medlab-slider-thumb:focus-visible { box-shadow: 0 0 0 3px var(--jp-brand-color2, #64b5f6); }
.medlab-slider-readout { flex: 0 0 auto; min-width: 56px; font-variant-numeric: tabular-nums; }
.medlab-slider.medlab-mod-disabled { opacity: 0.6; }
.medlab-slider.medlab-mod-disabled .medlab-slider-track { cursor: not-allowed; }
"""


class _Slider(anywidget.AnyWidget):
    """Shared traits and bounds checks of the two sliders (as ipywidgets' bounded ones)."""

    _esm = _ESM
    _css = _CSS

    description = traitlets.Unicode("").tag(sync=True)
    readout_format = traitlets.Unicode("").tag(sync=True)
    units = traitlets.Unicode("").tag(sync=True)
    continuous_update = traitlets.Bool(True).tag(sync=True)
    disabled = traitlets.Bool(False).tag(sync=True)

    def __init__(
        self,
        value: Any = None,
        min: Any = None,
        max: Any = None,
        step: Any = None,
        **kwargs: Any,
    ) -> None:
        for name, given in (("value", value), ("min", min), ("max", max), ("step", step)):
            if given is not None:
                kwargs[name] = given
        super().__init__(**kwargs)

    @traitlets.validate("value")
    def _clamp_value(self, proposal: dict) -> Any:
        return type(proposal["value"])(sorted((self.min, proposal["value"], self.max))[1])

    @traitlets.validate("min")
    def _check_min(self, proposal: dict) -> Any:
        low = proposal["value"]
        if low > self.max:
            raise traitlets.TraitError(f"setting min ({low}) > max ({self.max})")
        if low > self.value:
            self.value = low
        return low

    @traitlets.validate("max")
    def _check_max(self, proposal: dict) -> Any:
        high = proposal["value"]
        if high < self.min:
            raise traitlets.TraitError(f"setting max ({high}) < min ({self.min})")
        if high < self.value:
            self.value = high
        return high

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(value={self.value!r}, min={self.min!r}, "
            f"max={self.max!r}, step={self.step!r}, description={self.description!r})"
        )


class IntSlider(_Slider):
    """An integer slider (ARIA slider pattern; see the module notes).

    Parameters
    ----------
    value, min, max, step : int
        As ipywidgets' ``IntSlider`` (0, 0, 100, 1 by default).
    description : str
        The visible label, which also names the slider for screen readers.
    units : str
        Said after the value (``aria-valuetext``) and shown in the readout.
    readout_format : str
        Python-style format of the readout (``"d"``, ``".0f"``, ``".3g"`` ...).
    """

    value = traitlets.CInt(0).tag(sync=True)
    min = traitlets.CInt(0).tag(sync=True)
    max = traitlets.CInt(100).tag(sync=True)
    step = traitlets.CInt(1).tag(sync=True)


class FloatSlider(_Slider):
    """A float slider (ARIA slider pattern; see the module notes).

    Parameters
    ----------
    value, min, max, step : float
        As ipywidgets' ``FloatSlider`` (0, 0, 10, 0.1 by default). Values the learner
        chooses lie on multiples of ``step``.
    description, units, readout_format : str
        As :class:`IntSlider`.
    """

    value = traitlets.CFloat(0.0).tag(sync=True)
    min = traitlets.CFloat(0.0).tag(sync=True)
    max = traitlets.CFloat(10.0).tag(sync=True)
    step = traitlets.CFloat(0.1).tag(sync=True)
