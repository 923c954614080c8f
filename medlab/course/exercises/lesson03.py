"""Exercises of lesson 03 (convolution to CNN)."""

from __future__ import annotations

from typing import Any

import numpy as np

from medlab.course.exercises import ExerciseDef, Item, NotAttempted
from medlab.course.exercises._arrays import as_array_items
from medlab.course.exercises._functions import call_safely, require_function

__all__ = ["EXERCISES"]

_SIZE_CASES = [
    # (n, kernel, stride, padding) -> expected, by the output-size formula
    (150, 3, 1, 0),
    (148, 2, 2, 0),
    (74, 3, 1, 0),
    (17, 3, 1, 1),
    (224, 7, 2, 3),
    (64, 5, 1, 2),
    (33, 3, 2, 0),
]


def _expected_size(n: int, kernel: int, stride: int, padding: int) -> int:
    return (n + 2 * padding - kernel) // stride + 1


def check_output_size(answer: Any) -> list[Item]:
    """The learner's ``conv_output_size(n, kernel, stride=1, padding=0)`` on several layers."""
    items = require_function(answer, "conv_output_size")
    if not items[0].ok:
        return items
    wrong = []
    for n, k, s, p in _SIZE_CASES:
        got, error = call_safely(answer, f"conv_output_size({n}, {k}, {s}, {p})", n, k, s, p)
        if error:
            return [*items, error]
        if got != _expected_size(n, k, s, p):
            wrong.append((n, k, s, p, got))
    if not wrong:
        items.append(
            Item(
                True,
                f"correct on all {len(_SIZE_CASES)} layer configurations, "
                "including strided and padded ones",
            )
        )
        return items
    n, k, s, p, got = wrong[0]
    detail = f"conv_output_size({n}, {k}, stride={s}, padding={p}) gave {got!r}"
    if any(w[2] == 1 and w[3] == 0 for w in wrong):
        items.append(
            Item(
                False,
                f"{detail}; check the unpadded, stride-1 case first: "
                "how many positions can a k-wide kernel take in n pixels?",
            )
        )
    elif isinstance(got, float):
        items.append(Item(False, f"{detail}; sizes are whole numbers of pixels (use //)"))
    else:
        items.append(
            Item(
                False,
                f"{detail}; {len(wrong)} of {len(_SIZE_CASES)} cases are off — "
                "look at how stride and padding enter",
            )
        )
    return items


def _sobel_x() -> np.ndarray:
    from medlab.preprocess import KERNELS

    return np.asarray(KERNELS["sobel_x"], dtype=np.float64)


def check_flipped_kernel(answer: Any) -> list[Item]:
    """The kernel that makes Keras' Conv2D (cross-correlation) equal a true convolution."""
    expected = _sobel_x()[::-1, ::-1]
    items, values = as_array_items(answer, expected, "conv2d_kernel")
    if values is None:
        return items
    if np.allclose(values, expected):
        items.append(Item(True, "Conv2D with this kernel reproduces convolve2d(image, sobel_x)"))
    elif np.allclose(values, _sobel_x()):
        items.append(
            Item(
                False,
                "this is sobel_x unchanged: Conv2D slides the kernel without "
                "flipping it, so the result would be the negative edge map",
            )
        )
    elif np.allclose(values, _sobel_x().T) or np.allclose(values, _sobel_x()[::-1, ::-1].T):
        items.append(
            Item(
                False,
                "a transpose swaps rows and columns: that turns an x-gradient into "
                "a y-gradient, not what we want",
            )
        )
    else:
        items.append(Item(False, "Conv2D with this kernel does not reproduce the convolution"))
    return items


def _reference_pool(x: np.ndarray) -> np.ndarray:
    h, w = x.shape[0] // 2 * 2, x.shape[1] // 2 * 2
    return x[:h, :w].reshape(h // 2, 2, w // 2, 2).max(axis=(1, 3))


def check_max_pool(answer: Any) -> list[Item]:
    """The learner's ``max_pool_2x2(x)`` against a reference, on even and odd sizes."""
    items = require_function(answer, "max_pool_2x2")
    if not items[0].ok:
        return items
    rng = np.random.default_rng(3)
    for shape in [(4, 4), (6, 8), (7, 5), (1, 1)]:
        x = rng.normal(size=shape)  # negative values too: max, not abs-max, not sum
        expected = _reference_pool(x)
        got, error = call_safely(answer, f"max_pool_2x2 on a {shape} array", x)
        if error:
            return [*items, error]
        got = np.asarray(got)
        if got.shape != expected.shape:
            hint = (
                " (odd sizes drop the last row/column, as Keras' 'valid' pooling)"
                if (shape[0] % 2 or shape[1] % 2)
                else ""
            )
            return [
                *items,
                Item(
                    False,
                    f"on a {shape} array the output shape is {got.shape}, "
                    f"expected {expected.shape}{hint}",
                ),
            ]
        if not np.allclose(got, expected):
            if np.allclose(got, x[: expected.shape[0] * 2 : 2, : expected.shape[1] * 2 : 2]):
                msg = "you kept the top-left value of each 2×2 block, not its maximum"
            elif np.allclose(got, _reference_pool(np.abs(x))):
                msg = "you took the largest absolute value; max-pooling keeps the largest value"
            else:
                msg = "values differ from the maximum of each non-overlapping 2×2 block"
            return [*items, Item(False, f"on a {shape} array: {msg}")]
    items.append(Item(True, "correct on even, odd and tiny arrays with negative values"))
    return items


_DENSE_IN = 17 * 17 * 128
_DENSE_PARAMS = _DENSE_IN * 512 + 512


def check_dense_params(answer: Any) -> list[Item]:
    """The number of parameters of seed_cnn's Dense(512) layer at 150×150×3."""
    if answer is None or answer is Ellipsis:
        raise NotAttempted
    if isinstance(answer, bool) or not isinstance(answer, (int, np.integer)):
        return [Item(False, f"`dense_params` should be an integer, found {type(answer).__name__}")]
    answer = int(answer)
    if answer == _DENSE_PARAMS:
        share = _DENSE_PARAMS / 19_034_177
        return [Item(True, f"{answer:,} parameters: {share:.1%} of the whole model")]
    if answer == _DENSE_IN * 512:
        msg = "close: every one of the 512 units also has a bias"
    elif answer == _DENSE_IN:
        msg = "that is the number of inputs (the flattened features), not of weights"
    elif answer in (18 * 18 * 128 * 512 + 512, 18 * 18 * 128 * 512):
        msg = "check the spatial size after the last pooling: 34 // 2 = 17"
    else:
        msg = (
            f"{answer:,} is not it: the layer connects every flattened feature to every unit, "
            "plus one bias per unit"
        )
    return [Item(False, msg)]


EXERCISES = (
    ExerciseDef(
        id="03.output_size",
        title="Output size of a convolution",
        checker=check_output_size,
        hints=(
            "Without padding and with stride 1, a kernel of width k fits in n − k + 1 positions.",
            "Padding adds p pixels on both sides; stride s keeps every s-th position.",
            "Count the positions as (n + 2p − k) // s, then add the first one.",
        ),
        solution=(
            "def conv_output_size(n, kernel, stride=1, padding=0):\n"
            "    return (n + 2 * padding - kernel) // stride + 1\n"
        ),
    ),
    ExerciseDef(
        id="03.flip",
        title="Conv2D is a cross-correlation",
        checker=check_flipped_kernel,
        hints=(
            "Conv2D slides its kernel as it is; a textbook convolution first rotates it.",
            "Rotating a 2D kernel by 180° reverses both its rows and its columns.",
            "NumPy reverses an axis with the slice ::-1.",
        ),
        solution='conv2d_kernel = KERNELS["sobel_x"][::-1, ::-1]\n',
    ),
    ExerciseDef(
        id="03.maxpool",
        title="2×2 max-pooling in NumPy",
        checker=check_max_pool,
        hints=(
            "Drop a last odd row or column first, so both sides are even.",
            "A (2H, 2W) array reshaped to (H, 2, W, 2) puts each 2×2 block on axes 1 and 3.",
            "Then take the maximum over axes 1 and 3.",
        ),
        solution=(
            "def max_pool_2x2(x):\n"
            "    h, w = x.shape[0] // 2 * 2, x.shape[1] // 2 * 2\n"
            "    return x[:h, :w].reshape(h // 2, 2, w // 2, 2).max(axis=(1, 3))\n"
        ),
    ),
    ExerciseDef(
        id="03.dense_params",
        title="Where the parameters are",
        checker=check_dense_params,
        hints=(
            "After three conv+pool blocks a 150×150 image is 17×17 with 128 channels.",
            "Flatten gives 17 × 17 × 128 inputs; each of the 512 units has one weight per input.",
            "Weights plus one bias per unit.",
        ),
        solution="dense_params = 17 * 17 * 128 * 512 + 512\n",
    ),
)
