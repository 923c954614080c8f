"""Exercises of lesson 07 (U-Net segmentation)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from medlab.course.exercises import ExerciseDef, Item
from medlab.course.exercises._declarative import Converted, FunctionCheck, Mistake, Number
from medlab.course.exercises._learner import (
    call_safely,
    describe,
    is_numeric,
    plain_array,
    plain_number,
)

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


def _dice(truth: np.ndarray, pred: np.ndarray) -> float:
    return 2 * np.sum(truth & pred) / (truth.sum() + pred.sum())


def _empty_masks_agree(dice_score: Callable) -> list[Item]:
    """Two empty masks: Dice 1.0 (0 / 0 is the usual slip, so NaN is not refused first)."""
    empty = np.zeros((4, 4), bool)
    got, error = call_safely(dice_score, "dice_score", empty, empty)
    if error:
        return [
            Item(
                False,
                f"when both masks are empty: {error.message}; two empty masks agree "
                "perfectly (return 1.0)",
            )
        ]
    if plain_number(got) != 1.0:
        return [Item(False, f"two empty masks agree perfectly: return 1.0, not {describe(got)}")]
    return [Item(True, "Dice is right on 2D, 3D and 1D masks, and for empty masks")]


# dice_score(truth, pred) on boolean masks, 1.0 when both are empty
check_dice = FunctionCheck(
    "dice_score",
    cases=_mask_cases,
    reference=_dice,
    returns=Number("the Dice coefficient"),
    mistakes=(
        Mistake(
            "that is IoU (intersection over union); Dice divides 2·|A∩B| by |A| + |B|",
            like=lambda a, b: np.sum(a & b) / np.sum(a | b),
        ),
        Mistake(
            "the overlap counts for both masks: multiply the intersection by 2",
            like=lambda a, b: np.sum(a & b) / (a.sum() + b.sum()),
        ),
        Mistake(
            "that is the pixel accuracy, which the large background inflates; Dice looks "
            "only at the foreground",
            like=lambda a, b: np.mean(a == b),
        ),
    ),
    otherwise=lambda got, want, truth, pred: (
        f"{got:.4f} is not the Dice of two masks of {truth.size} pixels"
    ),
    then=_empty_masks_agree,
)


# --------------------------------------------------------------------------- 07.soft_dice


def _soft_cases() -> list[tuple[np.ndarray, np.ndarray, float]]:
    rng = np.random.default_rng(70)
    cases = []
    for n, shape, smooth in [(4, (12, 10), 1.0), (3, (8, 8), 0.5), (5, (6, 9), 1.0)]:
        y = (rng.random((n, *shape)) < np.linspace(0.05, 0.6, n)[:, None, None]).astype(float)
        p = np.clip(0.7 * y + 0.3 * rng.random(y.shape), 0, 1)
        cases.append((y, p, smooth))
    return cases


def _soft_dice_loss(y: np.ndarray, p: np.ndarray, smooth: float) -> float:
    """Mean over images of 1 − soft Dice (sums over each image's pixels)."""
    y, p = y.reshape(len(y), -1), p.reshape(len(p), -1)
    dice = (2 * (y * p).sum(1) + smooth) / (y.sum(1) + p.sum(1) + smooth)
    return float(np.mean(1.0 - dice))


def _vnet_dice_loss(y: np.ndarray, p: np.ndarray, smooth: float) -> float:
    """V-Net's variant (Milletari et al., 2016): squares in the denominator."""
    y, p = y.reshape(len(y), -1), p.reshape(len(p), -1)
    dice = (2 * (y * p).sum(1) + smooth) / ((y**2).sum(1) + (p**2).sum(1) + smooth)
    return float(np.mean(1.0 - dice))


# soft_dice_loss(y_true, y_pred, smooth): mean over images of 1 − soft Dice
check_soft_dice = FunctionCheck(
    "soft_dice_loss",
    cases=_soft_cases,
    reference=_soft_dice_loss,
    returns=Number("the loss"),
    mistakes=(
        Mistake(
            "that is one Dice over the whole batch; compute one per image (sums over that "
            "image's pixels), then average",
            like=lambda y, p, smooth: _soft_dice_loss(y.reshape(1, -1), p.reshape(1, -1), smooth),
        ),
        Mistake(
            "that is the Dice coefficient; the loss to minimise is 1 − Dice",
            like=lambda y, p, smooth: 1 - _soft_dice_loss(y, p, smooth),
        ),
        Mistake(
            lambda got, want, y, p, smooth: (
                f"add smooth = {smooth} to both the numerator and the denominator"
            ),
            like=lambda y, p, smooth: _soft_dice_loss(y, p, 0.0),
        ),
        Mistake(
            "you thresholded the predictions; the soft Dice uses the probabilities "
            "themselves, so that it has a gradient",
            like=lambda y, p, smooth: _soft_dice_loss(y, (p >= 0.5).astype(float), smooth),
        ),
        Mistake(
            "that is V-Net's variant, with squares in the denominator (Σ ŷ² + Σ y²); this "
            "exercise uses the linear one: Σ y + Σ ŷ",
            like=_vnet_dice_loss,
        ),
    ),
    otherwise=lambda got, want, y, p, smooth: (
        f"{got:.4f} is not the loss for {len(y)} images with smooth = {smooth}"
    ),
    passed="the soft Dice loss is right on three batches",
)


# --------------------------------------------------------------------------- 07.skip_shape


def _skip_reference(height: int, width: int, level: int, base_filters: int) -> tuple[int, ...]:
    scale = 2 ** (level - 1)
    return (height // scale, width // scale, 2 * base_filters * scale)


def _sizes(got: object) -> tuple[int, ...] | None:
    """A few numbers as a tuple of ints (truncated, as ``int``); ``None`` for anything else."""
    values = plain_array(got)
    if values.ndim != 1 or values.size > 8 or not is_numeric(values):
        return None
    return tuple(int(v) for v in values.tolist())


def _where(h: int, w: int, level: int, base: int) -> str:
    return f"for a {h}×{w} input, level {level}, base_filters {base}"


# skip_shape(height, width, level, base_filters): output shape of skip{level}
check_skip_shape = FunctionCheck(
    "skip_shape",
    cases=[(80, 96, 1, 8), (80, 96, 2, 8), (128, 64, 3, 16), (64, 64, 2, 4)],
    reference=_skip_reference,
    returns=Converted(_sizes, "a tuple (height, width, channels)"),
    close=lambda got, want: got == want,
    mistakes=(
        Mistake(
            lambda got, *_: f"return three numbers (height, width, channels), got {got}",
            when=lambda got, *_: len(got) != 3,
        ),
        Mistake(
            lambda got, want, *case: (
                f"{_where(*case)} the height and width are {got[:2]}; "
                "level 1 is at full size and each level below halves it"
            ),
            when=lambda got, want, *_: got[:2] != want[:2],
        ),
        Mistake(
            lambda got, want, *case: (
                f"{_where(*case)} the channels are too few by half: the "
                "skip concatenates the upsampled maps and the encoder's "
                "maps"
            ),
            when=lambda got, want, *_: got[2] * 2 == want[2],
        ),
    ),
    otherwise=lambda got, want, *case: f"{_where(*case)} the number of channels is not {got[2]}",
    passed="the skip-connection shapes are right at levels 1 to 3",
)


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
