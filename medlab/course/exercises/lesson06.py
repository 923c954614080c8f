"""Exercises of lesson 06 (looking inside the network)."""

from __future__ import annotations

from typing import Any

import numpy as np

from medlab.course.exercises import ExerciseDef, Item
from medlab.course.exercises._functions import call_safely, require_function

__all__ = ["EXERCISES"]


def _as_float_array(got: Any, name: str, shape: tuple[int, ...]) -> tuple[np.ndarray | None, Item]:
    """``got`` as a float64 array of ``shape``, or ``None`` and the item that says why not."""
    try:
        arr = np.asarray(got, dtype=np.float64)
    except (TypeError, ValueError):
        return None, Item(False, f"`{name}` should return a NumPy array, got {type(got).__name__}")
    if arr.shape != shape:
        return None, Item(False, f"`{name}` should return shape {shape}, found {arr.shape}")
    return arr, Item(True, f"`{name}` returns shape {shape}")


# --------------------------------------------------------------------------- 06.gradcam


def _gradcam_cases() -> list[tuple[np.ndarray, np.ndarray]]:
    rng = np.random.default_rng(6)
    cases = []
    for h, w, k in [(7, 9, 5), (4, 4, 12), (11, 6, 3)]:
        maps = np.maximum(rng.normal(size=(h, w, k)), 0.0)  # ReLU outputs are >= 0
        # channel weights of both signs, so that the weighted sum has negative parts
        grads = rng.normal(size=k) + 0.3 * rng.normal(size=(h, w, k))
        cases.append((maps, grads))
    return cases


def check_gradcam(answer: Any) -> list[Item]:
    """``grad_cam_from(maps, grads)``: ReLU of the gradient-average-weighted sum of the maps."""
    items = require_function(answer, "grad_cam_from")
    if not items[0].ok:
        return items
    for maps, grads in _gradcam_cases():
        h, w, _k = maps.shape
        got, error = call_safely(answer, "grad_cam_from", maps, grads)
        if error:
            return [*items, error]
        cam, item = _as_float_array(got, "grad_cam_from", (h, w))
        if cam is None:
            return [*items, item]
        raw = (maps * grads.mean(axis=(0, 1))).sum(axis=-1)
        want = np.maximum(raw, 0.0)
        if np.allclose(cam, want) or (want.max() > 0 and np.allclose(cam, want / want.max())):
            continue
        if np.allclose(cam, raw):
            msg = ("your map has negative values: Grad-CAM keeps only what raises the score "
                   "(apply a ReLU at the end)")
        elif np.allclose(cam, want * h * w) or np.allclose(cam, raw * h * w):
            msg = "the channel weights are too large by H × W: average the gradients, not sum them"
        elif np.allclose(cam, np.maximum((maps * grads).sum(axis=-1), 0.0)):
            msg = ("you weighted each pixel by its own gradient; Grad-CAM gives each channel "
                   "one weight, the average of its gradient map")
        else:
            msg = f"for maps of shape {maps.shape} the values differ from Grad-CAM"
        return [*items, item, Item(False, msg)]
    items.append(Item(True, "the Grad-CAM map is right on three sets of maps and gradients"))
    return items


# --------------------------------------------------------------------------- 06.heat_fraction


def _heat_cases() -> list[tuple[np.ndarray, np.ndarray]]:
    rng = np.random.default_rng(60)
    cases = []
    for shape in [(16, 16), (20, 12), (8, 8)]:
        cam = rng.random(shape) ** 3
        mask = np.zeros(shape, dtype=bool)
        mask[2 : shape[0] // 2, 3 : shape[1] - 2] = True
        cases.append((cam, mask))
    cases.append((np.zeros((8, 8)), np.eye(8, dtype=bool)))  # no heat at all
    return cases


def check_heat_fraction(answer: Any) -> list[Item]:
    """``heat_fraction(cam, mask)``: the share of the total heat that lies inside the mask."""
    items = require_function(answer, "heat_fraction")
    if not items[0].ok:
        return items
    for cam, mask in _heat_cases():
        got, error = call_safely(answer, "heat_fraction", cam, mask)
        if error:
            return [*items, error]
        try:
            value = float(got)
        except (TypeError, ValueError):
            return [*items, Item(False, f"return one number (a fraction), got {got!r}")]
        total = cam.sum()
        if total == 0:
            if value != 0.0:
                return [*items, Item(False, "when the heat map is all zeros there is no heat "
                                            f"anywhere: return 0.0, not {value!r}")]
            continue
        want = cam[mask].sum() / total
        if np.isclose(value, want):
            continue
        if np.isclose(value, mask.mean()):
            msg = "that is the mask's share of the pixels (its area), not the heat's share"
        elif np.isclose(value, cam[mask].mean()):
            msg = "that is the mean heat inside the mask; divide the heat inside by all the heat"
        elif np.isclose(value, cam[mask].sum()):
            msg = "that is the heat inside the mask; divide it by the total heat"
        else:
            msg = f"{value:.4f} is not the share of the heat inside a mask of {mask.sum()} pixels"
        return [*items, Item(False, msg)]
    items.append(Item(True, "the share of heat inside the mask is right, also for an empty map"))
    return items


# --------------------------------------------------------------------------- 06.occlusion


def _linear_model(weights: np.ndarray):
    def predict(batch):
        batch = np.asarray(batch, dtype=np.float64)
        return (batch[..., 0] * weights).sum(axis=(1, 2))

    return predict


def _occlusion_reference(predict, image, patch, fill):
    h, w = image.shape[0] // patch, image.shape[1] // patch
    batch = np.repeat(image[None], h * w, axis=0)
    for k in range(h * w):
        r, c = divmod(k, w)
        batch[k, r * patch : (r + 1) * patch, c * patch : (c + 1) * patch] = fill
    base = predict(image[None])[0]
    return base - np.asarray(predict(batch)).reshape(h, w)


def check_occlusion(answer: Any) -> list[Item]:
    """``occlusion_map(predict, image, patch, fill)``: score drop when each patch is covered."""
    items = require_function(answer, "occlusion_map")
    if not items[0].ok:
        return items
    rng = np.random.default_rng(66)
    for (h, w), patch, fill in [((32, 48), 8, 0.0), ((24, 24), 6, 0.5), ((16, 40), 8, 0.0)]:
        weights = rng.normal(size=(h, w))
        predict = _linear_model(weights)
        image = rng.random((h, w, 1))
        got, error = call_safely(answer, "occlusion_map", predict, image, patch, fill)
        if error:
            return [*items, error]
        shape = (h // patch, w // patch)
        drop, item = _as_float_array(got, "occlusion_map", shape)
        if drop is None:
            if np.shape(got) == shape[::-1]:
                item = Item(False, f"shape should be {shape} (rows, columns of patches), found "
                                   f"{np.shape(got)}: rows and columns are swapped")
            return [*items, item]
        want = _occlusion_reference(predict, image, patch, fill)
        if np.allclose(drop, want):
            continue
        base = predict(image[None])[0]
        if np.allclose(drop, -want):
            msg = "the sign is flipped: a patch that matters should make the score drop (> 0)"
        elif np.allclose(drop, base - want):
            msg = ("those are the scores of the covered images; subtract each from the "
                   "score of the uncovered image")
        elif np.allclose(drop.T.reshape(shape), want) or np.allclose(drop.reshape(-1),
                                                                     want.T.reshape(-1)):
            msg = "the patches are in the wrong order: row by row, patch (i, j) at rows i·patch…"
        else:
            msg = (f"on a {h}×{w} image with patch {patch} and fill {fill} the score drops "
                   "differ from the expected ones")
        return [*items, item, Item(False, msg)]
    items.append(Item(True, "the occlusion map is right on three images, patch sizes and fills"))
    return items


EXERCISES = (
    ExerciseDef(
        id="06.gradcam",
        title="Grad-CAM by hand",
        checker=check_gradcam,
        hints=(
            "Grad-CAM gives each feature map (channel) one importance weight, taken from the "
            "gradient of the score with respect to that map.",
            "The weight of channel k is the average of grads[:, :, k] over all positions; then "
            "add up the maps, each multiplied by its weight.",
            "weights = grads.mean(axis=(0, 1)); cam = (maps * weights).sum(axis=-1); then keep "
            "only the positive part.",
        ),
        solution=(
            "def grad_cam_from(maps, grads):\n"
            "    weights = grads.mean(axis=(0, 1))  # one weight per channel: its mean gradient\n"
            "    cam = (maps * weights).sum(axis=-1)  # weighted sum of the feature maps\n"
            "    return np.maximum(cam, 0.0)  # keep only what raises the score\n"
        ),
    ),
    ExerciseDef(
        id="06.heat_fraction",
        title="How much of the heat is inside the mask?",
        checker=check_heat_fraction,
        hints=(
            "Think of the heat map as an amount of 'attention' spread over the pixels: what share "
            "of it falls on the mask?",
            "Add up the heat on the mask's pixels, and the heat on all pixels.",
            "cam[mask].sum() / cam.sum(), and 0.0 when cam.sum() is 0.",
        ),
        solution=(
            "def heat_fraction(cam, mask):\n"
            "    total = cam.sum()\n"
            "    return float(cam[mask].sum() / total) if total > 0 else 0.0\n"
        ),
    ),
    ExerciseDef(
        id="06.occlusion",
        title="Occlusion sensitivity",
        checker=check_occlusion,
        hints=(
            "Cover one square patch of the image at a time and see how far the score falls.",
            "For patch (i, j), copy the image, set rows i·patch…(i+1)·patch and the matching "
            "columns to `fill`, and predict; do all patches in one batch.",
            "The answer at (i, j) is predict(original) − predict(covered at (i, j)), in an array "
            "of shape (H // patch, W // patch).",
        ),
        solution=(
            "def occlusion_map(predict, image, patch=8, fill=0.0):\n"
            "    rows, cols = image.shape[0] // patch, image.shape[1] // patch\n"
            "    batch = np.repeat(image[None], rows * cols, axis=0)  # one copy per patch\n"
            "    for k in range(rows * cols):\n"
            "        r, c = divmod(k, cols)\n"
            "        batch[k, r * patch:(r + 1) * patch, c * patch:(c + 1) * patch] = fill\n"
            "    base = predict(image[None])[0]\n"
            "    return base - np.asarray(predict(batch)).reshape(rows, cols)\n"
        ),
    ),
)
