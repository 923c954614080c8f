"""Exercises of lesson 03 (convolution to CNN)."""

from __future__ import annotations

from typing import Any

import numpy as np

from medlab.course.exercises import ExerciseDef, Item
from medlab.course.exercises._declarative import (
    Array,
    Converted,
    FunctionCheck,
    Mistake,
    ValueCheck,
)
from medlab.course.exercises._learner import (
    call_safely,
    describe,
    plain_integer,
    plain_number,
    require_function,
)

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
    """The learner's ``conv_output_size(n, kernel, stride=1, padding=0)`` on several layers.

    Bespoke rather than a :class:`FunctionCheck`: the feedback looks at *all* wrong cases
    at once (is any unpadded, stride-1 case wrong? how many are?).
    """
    items = require_function(answer, "conv_output_size")
    if not items[0].ok:
        return items
    wrong = []
    for n, k, s, p in _SIZE_CASES:
        got, error = call_safely(answer, f"conv_output_size({n}, {k}, {s}, {p})", n, k, s, p)
        if error:
            return [*items, error]
        if plain_number(got) != _expected_size(n, k, s, p):
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
    detail = f"conv_output_size({n}, {k}, stride={s}, padding={p}) gave {describe(got)}"
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


# conv2d_kernel: the kernel that makes Keras' Conv2D (cross-correlation) equal a convolution
check_flipped_kernel = ValueCheck(
    "conv2d_kernel",
    reference=lambda: _sobel_x()[::-1, ::-1],
    expect=Array(floating=True, strict=True),
    mistakes=(
        Mistake(
            "this is sobel_x unchanged: Conv2D slides the kernel without flipping it, so "
            "the result would be the negative edge map",
            like=_sobel_x,
        ),
        Mistake(
            "a transpose swaps rows and columns: that turns an x-gradient into a "
            "y-gradient, not what we want",
            like=(lambda: _sobel_x().T, lambda: _sobel_x()[::-1, ::-1].T),
        ),
    ),
    otherwise="Conv2D with this kernel does not reproduce the convolution",
    passed='Conv2D with this kernel reproduces convolve2d(image, sobel_x, mode="constant")',
)


def _pool_cases() -> list[tuple[np.ndarray]]:
    rng = np.random.default_rng(3)
    # negative values too: max, not abs-max, not sum
    return [(rng.normal(size=shape),) for shape in [(4, 4), (6, 8), (7, 5), (1, 1)]]


def _reference_pool(x: np.ndarray) -> np.ndarray:
    h, w = x.shape[0] // 2 * 2, x.shape[1] // 2 * 2
    return x[:h, :w].reshape(h // 2, 2, w // 2, 2).max(axis=(1, 3))


def _top_left(x: np.ndarray) -> np.ndarray:
    return x[: x.shape[0] // 2 * 2 : 2, : x.shape[1] // 2 * 2 : 2]


# max_pool_2x2(x) against a reference, on even and odd sizes
check_max_pool = FunctionCheck(
    "max_pool_2x2",
    cases=_pool_cases,
    reference=_reference_pool,
    call=lambda x: f"max_pool_2x2 on a {x.shape} array",
    returns=Array(
        wrong_shape=lambda got, want, x: (
            f"on a {x.shape} array the output shape is {got.shape}, expected {want.shape}"
        ),
        shape_mistakes=[
            Mistake(
                "odd sizes drop the last row/column, as Keras' 'valid' pooling",
                when=lambda got, want, x: x.shape[0] % 2 or x.shape[1] % 2,
            ),
        ],
    ),
    mistakes=(
        Mistake("you kept the top-left value of each 2×2 block, not its maximum", like=_top_left),
        Mistake(
            "you took the largest absolute value; max-pooling keeps the largest value",
            like=lambda x: _reference_pool(np.abs(x)),
        ),
    ),
    otherwise="values differ from the maximum of each non-overlapping 2×2 block",
    detail=lambda got, want, x: f" (on a {x.shape} array)",
    passed="correct on even, odd and tiny arrays with negative values",
)


_DENSE_IN = 17 * 17 * 128
_DENSE_PARAMS = _DENSE_IN * 512 + 512
_MODEL_PARAMS = 19_034_177

# dense_params: the number of parameters of seed_cnn's Dense(512) layer at 150×150×3
check_dense_params = ValueCheck(
    "dense_params",
    reference=lambda: _DENSE_PARAMS,
    expect=Converted(plain_integer, "an integer"),
    close=lambda got, want: got == want,
    mistakes=(
        Mistake("close: every one of the 512 units also has a bias", like=lambda: _DENSE_IN * 512),
        Mistake(
            "that is the number of inputs (the flattened features), not of weights",
            like=lambda: _DENSE_IN,
        ),
        Mistake(
            "check the spatial size after the last pooling: 34 // 2 = 17",
            like=(lambda: 18 * 18 * 128 * 512 + 512, lambda: 18 * 18 * 128 * 512),
        ),
    ),
    otherwise=lambda got, want: (
        f"{got:,} is not it: the layer connects every flattened "
        "feature to every unit, plus one bias per unit"
    ),
    passed=lambda got, want: f"{got:,} parameters: {got / _MODEL_PARAMS:.1%} of the whole model",
)


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
