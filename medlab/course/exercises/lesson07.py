"""Exercises of lesson 07 (U-Net segmentation)."""

from __future__ import annotations

from typing import Any

import numpy as np

from medlab.course.exercises import ExerciseDef, Item
from medlab.course.exercises._functions import as_number, call_safely, require_function

__all__ = ["EXERCISES"]


# --------------------------------------------------------------------------- 07.dice


def _mask_cases() -> list[tuple[np.ndarray, np.ndarray]]:
    rng = np.random.default_rng(7)
    cases = []
    for shape, p in [((20, 30), 0.3), ((5, 16, 16), 0.1), ((64,), 0.5)]:
        truth = rng.random(shape) < p
        pred = np.where(rng.random(shape) < 0.8, truth, ~truth)
        cases.append((truth, pred))
    cases.append((np.zeros((6, 6), bool), np.eye(6, dtype=bool)))  # nothing to find: Dice 0
    return cases


def check_dice(answer: Any) -> list[Item]:
    """``dice_score(truth, pred)`` on boolean masks, 1.0 when both are empty."""
    items = require_function(answer, "dice_score")
    if not items[0].ok:
        return items
    for truth, pred in _mask_cases():
        got, error = call_safely(answer, "dice_score", truth, pred)
        if error:
            return [*items, error]
        value, item = as_number(got, "dice_score")
        if item:
            return [*items, item]
        inter, total = np.sum(truth & pred), truth.sum() + pred.sum()
        want = 2 * inter / total
        if np.isclose(value, want):
            continue
        if np.isclose(value, inter / np.sum(truth | pred)):
            msg = "that is IoU (intersection over union); Dice divides 2·|A∩B| by |A| + |B|"
        elif np.isclose(value, inter / total):
            msg = "the overlap counts for both masks: multiply the intersection by 2"
        elif np.isclose(value, np.mean(truth == pred)):
            msg = ("that is the pixel accuracy, which the large background inflates; "
                   "Dice looks only at the foreground")
        else:
            msg = f"{value:.4f} is not the Dice of two masks of {truth.size} pixels"
        return [*items, Item(False, msg)]
    empty = np.zeros((4, 4), bool)
    got, error = call_safely(answer, "dice_score", empty, empty)
    if error:
        return [*items, Item(False, f"when both masks are empty: {error.message}; "
                                    "two empty masks agree perfectly (return 1.0)")]
    try:
        value = float(got)  # NaN (0 / 0) is the typical mistake here, so no finiteness check
    except (TypeError, ValueError):
        value = None
    if value != 1.0:
        return [*items, Item(False, f"two empty masks agree perfectly: return 1.0, not {got!r}")]
    items.append(Item(True, "Dice is right on 2D, 3D and 1D masks, and for empty masks"))
    return items


# --------------------------------------------------------------------------- 07.soft_dice


def _soft_cases() -> list[tuple[np.ndarray, np.ndarray, float]]:
    rng = np.random.default_rng(70)
    cases = []
    for n, shape, smooth in [(4, (12, 10), 1.0), (3, (8, 8), 0.5), (5, (6, 9), 1.0)]:
        y = (rng.random((n, *shape)) < np.linspace(0.05, 0.6, n)[:, None, None]).astype(float)
        p = np.clip(0.7 * y + 0.3 * rng.random(y.shape), 0, 1)
        cases.append((y, p, smooth))
    return cases


def _soft_dice(y, p, smooth, per_sample=True):
    if not per_sample:
        y, p = y.reshape(1, -1), p.reshape(1, -1)
    y, p = y.reshape(len(y), -1), p.reshape(len(p), -1)
    d = (2 * (y * p).sum(1) + smooth) / (y.sum(1) + p.sum(1) + smooth)
    return 1.0 - d


def check_soft_dice(answer: Any) -> list[Item]:
    """``soft_dice_loss(y_true, y_pred, smooth)``: mean over images of 1 − soft Dice."""
    items = require_function(answer, "soft_dice_loss")
    if not items[0].ok:
        return items
    for y, p, smooth in _soft_cases():
        got, error = call_safely(answer, "soft_dice_loss", y, p, smooth)
        if error:
            return [*items, error]
        value, item = as_number(got, "soft_dice_loss")
        if item:
            return [*items, item]
        want = _soft_dice(y, p, smooth).mean()
        if np.isclose(value, want):
            continue
        if np.isclose(value, _soft_dice(y, p, smooth, per_sample=False)[0]):
            msg = ("that is one Dice over the whole batch; compute one per image (sums over "
                   "that image's pixels), then average")
        elif np.isclose(value, 1 - want):
            msg = "that is the Dice coefficient; the loss to minimise is 1 − Dice"
        elif np.isclose(value, _soft_dice(y, p, 0.0).mean()):
            msg = f"add smooth = {smooth} to both the numerator and the denominator"
        elif np.isclose(value, _soft_dice(y, (p >= 0.5).astype(float), smooth).mean()):
            msg = ("you thresholded the predictions; the soft Dice uses the probabilities "
                   "themselves, so that it has a gradient")
        else:
            msg = f"{value:.4f} is not the loss for {len(y)} images with smooth = {smooth}"
        return [*items, Item(False, msg)]
    items.append(Item(True, "the soft Dice loss is right on three batches"))
    return items


# --------------------------------------------------------------------------- 07.skip_shape


def _skip_reference(height: int, width: int, level: int, base_filters: int) -> tuple[int, ...]:
    scale = 2 ** (level - 1)
    return (height // scale, width // scale, 2 * base_filters * scale)


def check_skip_shape(answer: Any) -> list[Item]:
    """``skip_shape(height, width, level, base_filters)``: output shape of ``skip{level}``."""
    items = require_function(answer, "skip_shape")
    if not items[0].ok:
        return items
    for args in [(80, 96, 1, 8), (80, 96, 2, 8), (128, 64, 3, 16), (64, 64, 2, 4)]:
        got, error = call_safely(answer, "skip_shape", *args)
        if error:
            return [*items, error]
        try:
            shape = tuple(int(v) for v in got)
        except (TypeError, ValueError):
            return [*items, Item(False, f"return a tuple (height, width, channels), got {got!r}")]
        want = _skip_reference(*args)
        if shape == want:
            continue
        h, w, level, base = args
        where = f"for a {h}×{w} input, level {level}, base_filters {base}"
        if len(shape) != 3:
            msg = f"return three numbers (height, width, channels), got {shape}"
        elif shape[:2] != want[:2]:
            msg = (f"{where} the height and width are {shape[:2]}; level 1 is at full size and "
                   "each level below halves it")
        elif shape[2] * 2 == want[2]:
            msg = (f"{where} the channels are too few by half: the skip concatenates the "
                   "upsampled maps and the encoder's maps")
        else:
            msg = f"{where} the number of channels is not {shape[2]}"
        return [*items, Item(False, msg)]
    items.append(Item(True, "the skip-connection shapes are right at levels 1 to 3"))
    return items


EXERCISES = (
    ExerciseDef(
        id="07.dice",
        title="The Dice coefficient",
        checker=check_dice,
        hints=(
            "Dice compares the overlap of two masks with their sizes; the background does not "
            "count.",
            "Count the pixels in both masks (logical and), and the pixels in each mask.",
            "Dice = 2·|A∩B| / (|A| + |B|); if |A| + |B| is 0 both are empty: return 1.0.",
        ),
        solution=(
            "def dice_score(truth, pred):\n"
            "    truth, pred = np.asarray(truth, bool), np.asarray(pred, bool)\n"
            "    total = truth.sum() + pred.sum()\n"
            "    if total == 0:\n"
            "        return 1.0  # both empty: perfect agreement\n"
            "    return float(2 * np.sum(truth & pred) / total)\n"
        ),
    ),
    ExerciseDef(
        id="07.soft_dice",
        title="The soft Dice loss",
        checker=check_soft_dice,
        hints=(
            "Replace the masks' pixel counts by sums of probabilities: Σ y·ŷ for the overlap, "
            "Σ y and Σ ŷ for the sizes.",
            "Flatten each image to a row (y_true.reshape(len(y_true), -1)) and sum along "
            "axis 1: one Dice per image.",
            "loss = mean over images of 1 − (2·Σ y·ŷ + smooth) / (Σ y + Σ ŷ + smooth).",
        ),
        solution=(
            "def soft_dice_loss(y_true, y_pred, smooth=1.0):\n"
            "    y = np.asarray(y_true, float).reshape(len(y_true), -1)  # one row per image\n"
            "    p = np.asarray(y_pred, float).reshape(len(y_pred), -1)\n"
            "    dice = (2 * (y * p).sum(axis=1) + smooth) / (y.sum(axis=1) + p.sum(axis=1) + "
            "smooth)\n"
            "    return float(np.mean(1 - dice))\n"
        ),
    ),
    ExerciseDef(
        id="07.skip_shape",
        title="Shapes of the skip connections",
        checker=check_skip_shape,
        hints=(
            "Look at the model summary: `skip{i}` joins `up{i}` and `enc{i}`.",
            "Level i works at 1/2**(i − 1) of the input size with base_filters · 2**(i − 1) "
            "filters; the upsampled maps have as many channels as the encoder's.",
            "(height // 2**(i−1), width // 2**(i−1), 2 · base_filters · 2**(i−1)).",
        ),
        solution=(
            "def skip_shape(height, width, level, base_filters):\n"
            "    scale = 2 ** (level - 1)  # level 1 is at full resolution\n"
            "    filters = base_filters * scale  # filters double at each level\n"
            "    return (height // scale, width // scale, 2 * filters)  # up + encoder maps\n"
        ),
    ),
)
