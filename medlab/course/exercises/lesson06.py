"""Exercises of lesson 06 (looking inside the network)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from medlab.course.exercises import ExerciseDef
from medlab.course.exercises._declarative import Array, FunctionCheck, Mistake, Number

__all__ = ["EXERCISES"]


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


def _weighted_maps(maps: np.ndarray, grads: np.ndarray) -> np.ndarray:
    """The maps summed with one weight per channel (its mean gradient), before the ReLU."""
    return (maps * grads.mean(axis=(0, 1))).sum(axis=-1)


def _gradcam(maps: np.ndarray, grads: np.ndarray) -> np.ndarray:
    return np.maximum(_weighted_maps(maps, grads), 0.0)


def _same_map(got: np.ndarray, want: np.ndarray) -> bool:
    """Equal, or equal once scaled to a maximum of 1."""
    return np.allclose(got, want) or (want.max() > 0 and np.allclose(got, want / want.max()))


# grad_cam_from(maps, grads): ReLU of the gradient-average-weighted sum of the maps
check_gradcam = FunctionCheck(
    "grad_cam_from",
    cases=_gradcam_cases,
    reference=_gradcam,
    returns=Array(),
    close=_same_map,
    mistakes=(
        Mistake(
            "your map has negative values: Grad-CAM keeps only what raises the score "
            "(apply a ReLU at the end)",
            like=_weighted_maps,
        ),
        Mistake(
            "the channel weights are too large by H × W: average the gradients, not sum them",
            like=(
                lambda maps, grads: _gradcam(maps, grads) * maps[..., 0].size,
                lambda maps, grads: _weighted_maps(maps, grads) * maps[..., 0].size,
            ),
        ),
        Mistake(
            "you weighted each pixel by its own gradient; Grad-CAM gives each channel one "
            "weight, the average of its gradient map",
            like=lambda maps, grads: np.maximum((maps * grads).sum(axis=-1), 0.0),
        ),
    ),
    otherwise=lambda got, want, maps, grads: (
        f"for maps of shape {maps.shape} the values differ from Grad-CAM"
    ),
    passed="the Grad-CAM map is right on three sets of maps and gradients",
)


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


def _heat_fraction(cam: np.ndarray, mask: np.ndarray) -> float:
    total = cam.sum()
    return float(cam[mask].sum() / total) if total > 0 else 0.0


# heat_fraction(cam, mask): the share of the total heat that lies inside the mask
check_heat_fraction = FunctionCheck(
    "heat_fraction",
    cases=_heat_cases,
    reference=_heat_fraction,
    returns=Number("a fraction", finite=False),  # NaN from 0 / 0 has its own message
    mistakes=(
        Mistake(
            lambda got, *_: (
                f"when the heat map is all zeros there is no heat anywhere: return 0.0, not {got!r}"
            ),
            when=lambda got, want, cam, mask: cam.sum() == 0,
        ),
        Mistake(
            "that is the mask's share of the pixels (its area), not the heat's share",
            like=lambda cam, mask: mask.mean(),
        ),
        Mistake(
            "that is the mean heat inside the mask; divide the heat inside by all the heat",
            like=lambda cam, mask: cam[mask].mean(),
        ),
        Mistake(
            "that is the heat inside the mask; divide it by the total heat",
            like=lambda cam, mask: cam[mask].sum(),
        ),
    ),
    otherwise=lambda got, want, cam, mask: (
        f"{got:.4f} is not the share of the heat inside a mask of {mask.sum()} pixels"
    ),
    passed="the share of heat inside the mask is right, also for an empty map",
)


# --------------------------------------------------------------------------- 06.occlusion


def _linear_model(weights: np.ndarray) -> Callable[[np.ndarray], np.ndarray]:
    def predict(batch):
        batch = np.asarray(batch, dtype=np.float64)
        return (batch[..., 0] * weights).sum(axis=(1, 2))

    return predict


def _occlusion_cases() -> list[tuple]:
    rng = np.random.default_rng(66)
    cases = []
    for (h, w), patch, fill in [((32, 48), 8, 0.0), ((24, 24), 6, 0.5), ((16, 40), 8, 0.0)]:
        predict = _linear_model(rng.normal(size=(h, w)))
        cases.append((predict, rng.random((h, w, 1)), patch, fill))
    return cases


def _occlusion(predict, image: np.ndarray, patch: int, fill: float) -> np.ndarray:
    h, w = image.shape[0] // patch, image.shape[1] // patch
    batch = np.repeat(image[None], h * w, axis=0)
    for k in range(h * w):
        r, c = divmod(k, w)
        batch[k, r * patch : (r + 1) * patch, c * patch : (c + 1) * patch] = fill
    base = predict(image[None])[0]
    return base - np.asarray(predict(batch)).reshape(h, w)


def _patches_reordered(got: np.ndarray, want: np.ndarray) -> bool:
    return np.allclose(got.T.reshape(want.shape), want) or np.allclose(
        got.reshape(-1), want.T.reshape(-1)
    )


# occlusion_map(predict, image, patch, fill): score drop when each patch is covered
check_occlusion = FunctionCheck(
    "occlusion_map",
    cases=_occlusion_cases,
    reference=_occlusion,
    returns=Array(
        wrong_shape=lambda got, want, *_: (
            f"shape should be {want.shape} (rows, columns of patches), found {got.shape}"
        ),
        shape_mistakes=[
            Mistake(
                "rows and columns are swapped",
                when=lambda got, want, *_: got.shape == want.shape[::-1],
            )
        ],
    ),
    mistakes=(
        Mistake(
            "the sign is flipped: a patch that matters should make the score drop (> 0)",
            like=lambda *case: -_occlusion(*case),
        ),
        Mistake(
            "those are the scores of the covered images; subtract each from the score of "
            "the uncovered image",
            like=lambda predict, image, *rest: (
                predict(image[None])[0] - _occlusion(predict, image, *rest)
            ),
        ),
        Mistake(
            "the patches are in the wrong order: row by row, patch (i, j) at rows i·patch…",
            when=lambda got, want, *_: _patches_reordered(got, want),
        ),
    ),
    otherwise=lambda got, want, predict, image, patch, fill: (
        f"on a {image.shape[0]}×{image.shape[1]} image with patch {patch} and fill {fill} the "
        "score drops differ from the expected ones"
    ),
    passed="the occlusion map is right on three images, patch sizes and fills",
)


EXERCISES = (
    ExerciseDef(
        id="06.gradcam",
        title="Grad-CAM by hand",
        checker=check_gradcam,
        hints=(
            "Grad-CAM gives each feature map (channel) one importance weight, taken from the "
            "gradient of the class score (the logit, before the sigmoid) with respect to that map.",
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
