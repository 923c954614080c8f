"""Exercises of lesson 02 (image processing and enhancement).

Every answer is a function; the checkers call it on their own small inputs and compare
with independent references (SciPy, scikit-image, NumPy).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from medlab.course.exercises import ExerciseDef, Item
from medlab.course.exercises._functions import call_safely, require_function

__all__ = ["EXERCISES"]


def _as_image(value: Any, shape: tuple[int, ...], name: str) -> tuple[np.ndarray | None, Item]:
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        return None, Item(False, f"`{name}` should return an array, found {type(value).__name__}")
    if arr.shape != shape:
        detail = ""
        if arr.ndim == 2 and all(a < s for a, s in zip(arr.shape, shape, strict=True)):
            detail = ": the output should be the same size as the input (pad the border first)"
        return None, Item(False, f"the output should have shape {shape}, found {arr.shape}"
                                 f"{detail}")
    return arr, Item(True, f"the output has the input's shape {shape}")


# --------------------------------------------------------------------------- 02.convolve


def _convolve_cases() -> list[tuple[np.ndarray, np.ndarray]]:
    rng = np.random.default_rng(2)
    image = rng.random((9, 12))
    sobel_x = np.array([[1.0, 0.0, -1.0], [2.0, 0.0, -2.0], [1.0, 0.0, -1.0]])
    return [(image, sobel_x), (image, rng.normal(size=(5, 5)))]


def check_convolve(answer: Any) -> list[Item]:
    """``convolve(image, kernel)``: true 2D convolution, same size, reflected borders."""
    from scipy import ndimage

    items = require_function(answer, "convolve")
    if not items[0].ok:
        return items
    for image, kernel in _convolve_cases():
        value, error = call_safely(answer, "convolve", image, kernel)
        if error is not None:
            return [*items, error]
        out, shape_item = _as_image(value, image.shape, "convolve")
        if out is None:
            return [*items, shape_item]
        expected = ndimage.convolve(image, kernel, mode="reflect")
        if np.allclose(out, expected, atol=1e-6):
            continue
        inner = (slice(kernel.shape[0] // 2, -(kernel.shape[0] // 2)),
                 slice(kernel.shape[1] // 2, -(kernel.shape[1] // 2)))
        if np.allclose(out, ndimage.correlate(image, kernel, mode="reflect"), atol=1e-6):
            message = ("this is correlation (what Conv2D computes): convolution flips the kernel "
                       "in both directions first")
        elif np.allclose(out[inner], expected[inner], atol=1e-6):
            message = ("the interior is right but the border is not: pad by mirroring, the edge "
                       "pixel included (SciPy's mode='reflect')")
        elif np.allclose(out[inner], ndimage.correlate(image, kernel, mode="reflect")[inner],
                         atol=1e-6):
            message = ("the kernel is not flipped (that is correlation), and the border "
                       "padding differs too")
        else:
            message = "the values differ from scipy.ndimage.convolve"
        return [*items, shape_item, Item(False, f"{message} (kernel {kernel.shape[0]}×"
                                                f"{kernel.shape[1]})")]
    items.append(Item(True, "equals scipy.ndimage.convolve for a 3×3 and a 5×5 kernel, "
                            "borders included"))
    return items


# --------------------------------------------------------------------------- 02.psnr


def check_psnr(answer: Any) -> list[Item]:
    """``psnr(reference, test, data_range)`` in dB, as skimage.metrics."""
    from skimage.metrics import peak_signal_noise_ratio

    items = require_function(answer, "psnr")
    if not items[0].ok:
        return items
    rng = np.random.default_rng(3)
    reference = rng.random((16, 16))
    for data_range, noise in ((1.0, 0.05), (255.0, 20.0)):
        ref = reference * data_range
        test = ref + rng.normal(0, noise, ref.shape)
        value, error = call_safely(answer, "psnr", ref, test, data_range)
        if error is not None:
            return [*items, error]
        try:
            got = float(np.asarray(value, dtype=np.float64).reshape(()))
        except (TypeError, ValueError):
            return [*items, Item(False, "`psnr` should return one number (decibels)")]
        expected = float(peak_signal_noise_ratio(ref, test, data_range=data_range))
        if np.isclose(got, expected, rtol=1e-6):
            continue
        mse = float(np.mean((ref - test) ** 2))
        if np.isclose(got, 20 * np.log10(data_range / mse)):
            message = "with 20·log10 use the root of the MSE (or 10·log10 of the MSE itself)"
        elif np.isclose(got, 10 * np.log10(data_range / mse)):
            message = "the peak signal is squared too: data_range², divided by the MSE"
        elif np.isclose(got, 10 * np.log(data_range**2 / mse)):
            message = "decibels use log10, not the natural logarithm"
        elif np.isclose(got, 10 * np.log10(data_range**2 / np.sqrt(mse))):
            message = "use the mean squared error, not its root"
        elif np.isclose(got, -expected):
            message = "the ratio is upside down: peak² over MSE"
        else:
            message = "the value differs from the peak signal-to-noise ratio"
        return [*items, Item(False, f"{message} (data_range {data_range:g}: you returned "
                                    f"{got:.4g} dB)")]
    items.append(Item(True, "equals skimage.metrics.peak_signal_noise_ratio for data ranges "
                            "1 and 255"))
    return items


# --------------------------------------------------------------------------- 02.zscore


def check_zscore(answer: Any) -> list[Item]:
    """``zscore(image, mask)``: zero mean, unit std inside the mask, applied to the whole image."""
    items = require_function(answer, "zscore")
    if not items[0].ok:
        return items
    rng = np.random.default_rng(4)
    image = rng.normal(300.0, 10.0, (20, 24))
    image[:, :6] = rng.normal(20.0, 3.0, (20, 6))  # a dark background outside the "brain"
    mask = np.zeros(image.shape, bool)
    mask[:, 6:] = True
    value, error = call_safely(answer, "zscore", image, mask)
    if error is not None:
        return [*items, error]
    out, shape_item = _as_image(value, image.shape, "zscore")
    if out is None:
        if np.ndim(value) == 1 and np.size(value) == mask.sum():
            shape_item = Item(False, "return the whole image normalised (shape "
                                     f"{image.shape}), not only the pixels inside the mask")
        return [*items, shape_item]
    mean, std = image[mask].mean(), image[mask].std()
    expected = (image - mean) / std
    if np.allclose(out, expected, rtol=1e-3, atol=1e-3):
        items += [shape_item, Item(True, "inside the mask: mean 0 and standard deviation 1")]
        return items
    if np.allclose(out, (image - image.mean()) / image.std(), atol=1e-3):
        message = ("the statistics come from the whole image, background included: compute "
                   "the mean and standard deviation inside the mask only")
    elif np.allclose(out, (image - mean) / std ** 2, atol=1e-3):
        message = "divide by the standard deviation, not the variance"
    elif np.allclose(out, image - mean, atol=1e-3):
        message = "the mean is removed but the result is not divided by the standard deviation"
    elif out.min() >= 0 and out.max() <= 1:
        message = "this looks like min-max scaling to [0, 1]; a z-score has mean 0 and std 1"
    else:
        message = "inside the mask the result should have mean 0 and standard deviation 1"
    return [*items, shape_item, Item(False, message)]


EXERCISES = (
    ExerciseDef(
        id="02.convolve",
        title="Convolution by hand",
        checker=check_convolve,
        hints=(
            "Pad the image by half the kernel on each side so that the output keeps the input's "
            "size, then slide the kernel: each output pixel is the sum of kernel × patch.",
            "Convolution flips the kernel in both directions (kernel[::-1, ::-1]); without the "
            "flip you get correlation. SciPy's mode='reflect' is np.pad(..., mode='symmetric').",
            "Loop over output pixels (i, j): out[i, j] = (padded[i:i+kh, j:j+kw] * flipped).sum().",
        ),
        solution=(
            "def convolve(image, kernel):\n"
            "    flipped = kernel[::-1, ::-1]  # convolution flips; correlation does not\n"
            "    kh, kw = kernel.shape\n"
            "    pad = ((kh // 2, kh // 2), (kw // 2, kw // 2))  # half the kernel on each side\n"
            "    padded = np.pad(image, pad, mode=\"symmetric\")  # SciPy's mode=\"reflect\"\n"
            "    out = np.zeros(image.shape)\n"
            "    for i in range(image.shape[0]):\n"
            "        for j in range(image.shape[1]):\n"
            "            out[i, j] = (padded[i:i + kh, j:j + kw] * flipped).sum()\n"
            "    return out"
        ),
    ),
    ExerciseDef(
        id="02.psnr",
        title="Peak signal-to-noise ratio",
        checker=check_psnr,
        hints=(
            "PSNR compares the largest possible signal with the average error, on a log scale "
            "in decibels.",
            "Compute the mean squared error between the two images, then 10 × log10 of "
            "(data_range squared / MSE).",
            "10 * np.log10(data_range**2 / np.mean((reference - test) ** 2))",
        ),
        solution=(
            "def psnr(reference, test, data_range):\n"
            "    mse = np.mean((reference - test) ** 2)\n"
            "    return 10 * np.log10(data_range**2 / mse)"
        ),
    ),
    ExerciseDef(
        id="02.zscore",
        title="Z-score normalisation inside a mask",
        checker=check_zscore,
        hints=(
            "MRI intensities have no unit; we make the tissue we care about have mean 0 and "
            "standard deviation 1, ignoring the black background.",
            "Take the statistics of image[mask] (the pixels inside the mask), then apply them "
            "to the whole image.",
            "(image − image[mask].mean()) / image[mask].std()",
        ),
        solution=(
            "def zscore(image, mask):\n"
            "    inside = image[mask]  # statistics from the tissue only, not the background\n"
            "    return (image - inside.mean()) / inside.std()"
        ),
    ),
)
