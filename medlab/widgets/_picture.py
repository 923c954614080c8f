"""Picture: a PNG image with a text alternative, and charts that follow the page's theme.

ipywidgets' ``Image`` draws an ``<img>`` without ``alt``, so a screen reader says
nothing about a CT slice or a ROC curve. :class:`Picture` shows the same PNG bytes
(``value``) with ``alt``, the words a reader hears: what the image shows now (plane,
slice, window, overlay, Dice ...). Widgets update ``alt`` with the picture.

Charts (``figure=True``: matplotlib figures drawn with a transparent background and
dark ink) follow JupyterLab's theme: in a dark theme their ink is inverted with its
hues kept, so curves and labels are light on the dark page instead of a white box.
Medical images are never inverted.

The JavaScript is the inline string below (no file to fetch, no CDN), so it works offline.
"""

from __future__ import annotations

from typing import Any

import anywidget
import traitlets

__all__ = ["Picture"]

_ESM = r"""
function render({ model, el }) {
  const root = document.createElement("div");
  root.className = "medlab-picture";
  const img = document.createElement("img");
  img.className = "widget-image medlab-picture-img";
  img.draggable = false;
  root.append(img);
  el.append(root);
  let url = null;

  function showImage() {
    const data = model.get("value");
    const next = data && data.byteLength
      ? URL.createObjectURL(new Blob([data], { type: "image/png" }))
      : null;
    if (next) img.src = next; else img.removeAttribute("src");
    if (url) URL.revokeObjectURL(url);
    url = next;
  }
  function showSize() {
    const w = model.get("width"), h = model.get("height");
    img.style.width = w > 0 ? `${w}px` : "";
    img.style.height = h > 0 ? `${h}px` : (w > 0 ? "auto" : "");
  }
  function showAlt() { img.alt = model.get("alt"); }
  function showKind() { root.classList.toggle("medlab-figure", model.get("figure")); }
  const handlers = { "change:value": showImage, "change:width": showSize,
                     "change:height": showSize, "change:alt": showAlt,
                     "change:figure": showKind };
  for (const [name, fn] of Object.entries(handlers)) model.on(name, fn);
  showImage(); showSize(); showAlt(); showKind();
  return () => {
    for (const [name, fn] of Object.entries(handlers)) model.off(name, fn);
    if (url) URL.revokeObjectURL(url);
  };
}

export default { render };
"""

_CSS = """
.medlab-picture { display: inline-block; line-height: 0; }
.medlab-picture img { display: block; object-fit: fill; max-width: none; }
body[data-jp-theme-light="false"] .medlab-picture.medlab-figure img,
body.vscode-dark .medlab-picture.medlab-figure img {
  filter: invert(1) hue-rotate(180deg); }
"""


class Picture(anywidget.AnyWidget):
    """PNG bytes shown as an image with a text alternative.

    Parameters
    ----------
    value : bytes
        A PNG file (:func:`medlab.render.encode_png`).
    alt : str
        What the image shows, for screen readers (the ``alt`` attribute).
    width, height : int
        Size on screen in CSS pixels; 0 keeps the image's own size (a width alone keeps
        the aspect ratio).
    figure : bool
        A chart with a transparent background and dark ink, inverted in a dark theme.
    """

    _esm = _ESM
    _css = _CSS

    value = traitlets.Bytes(b"").tag(sync=True)
    alt = traitlets.Unicode("").tag(sync=True)
    width = traitlets.Int(0).tag(sync=True)
    height = traitlets.Int(0).tag(sync=True)
    figure = traitlets.Bool(False).tag(sync=True)

    def __init__(self, value: bytes = b"", **kwargs: Any) -> None:
        super().__init__(value=value, **kwargs)

    def __repr__(self) -> str:
        return f"Picture({len(self.value)} bytes, alt={self.alt!r})"
