"""Exercises of lesson 02 (image processing and enhancement).

Every answer is a function; the checkers call it on their own small inputs and compare
with independent references (SciPy, scikit-image, NumPy).
"""

from __future__ import annotations

from functools import partial

import numpy as np

from medlab.course.exercises import ExerciseDef
from medlab.course.exercises._declarative import Array, FunctionCheck, Mistake, Number

__all__ = ["EXERCISES"]


# --------------------------------------------------------------------------- 02.convolve


def _convolve_cases() -> list[tuple[np.ndarray, np.ndarray]]:
    rng = np.random.default_rng(2)
    image = rng.random((9, 12))
    sobel_x = np.array([[1.0, 0.0, -1.0], [2.0, 0.0, -2.0], [1.0, 0.0, -1.0]])
    return [(image, sobel_x), (image, rng.normal(size=(5, 5)))]


def _convolve(image: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    from scipy import ndimage

    return ndimage.convolve(image, kernel, mode="reflect")


def _correlate(image: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    from scipy import ndimage

    return ndimage.correlate(image, kernel, mode="reflect")


def _inner(kernel: np.ndarray) -> tuple[slice, slice]:
    """The pixels whose neighbourhood does not cross the border."""
    (kh, kw) = kernel.shape
    return slice(kh // 2, -(kh // 2)), slice(kw // 2, -(kw // 2))


_within_1e6 = partial(np.allclose, atol=1e-6)

# convolve(image, kernel): true 2D convolution, same size, reflected borders
check_convolve = FunctionCheck(
    "convolve",
    cases=_convolve_cases,
    reference=_convolve,
    returns=Array(
        wrong_shape=lambda got, want, *_: (
            f"the output should have shape {want.shape}, found {got.shape}"
        ),
        shape_mistakes=[
            Mistake(
                "the output should be the same size as the input (pad the border first)",
                when=lambda got, want, *_: (
                    got.ndim == 2 and all(a < s for a, s in zip(got.shape, want.shape, strict=True))
                ),
            ),
        ],
    ),
    close=_within_1e6,
    mistakes=(
        Mistake(
            "this is correlation (what Conv2D computes): convolution flips the kernel in "
            "both directions first",
            like=_correlate,
        ),
        Mistake(
            "the interior is right but the border is not: pad by mirroring, the edge pixel "
            "included (SciPy's mode='reflect')",
            when=lambda got, want, image, kernel: _within_1e6(
                got[_inner(kernel)], want[_inner(kernel)]
            ),
        ),
        Mistake(
            "the kernel is not flipped (that is correlation), and the border padding differs too",
            when=lambda got, want, image, kernel: _within_1e6(
                got[_inner(kernel)], _correlate(image, kernel)[_inner(kernel)]
            ),
        ),
    ),
    otherwise="the values differ from scipy.ndimage.convolve",
    detail=lambda got, want, image, kernel: f" (kernel {kernel.shape[0]}×{kernel.shape[1]})",
    passed="equals scipy.ndimage.convolve for a 3×3 and a 5×5 kernel, borders included",
)


# --------------------------------------------------------------------------- 02.psnr


def _psnr_cases() -> list[tuple[np.ndarray, np.ndarray, float]]:
    rng = np.random.default_rng(3)
    reference = rng.random((16, 16))
    cases = []
    for data_range, noise in ((1.0, 0.05), (255.0, 20.0)):
        ref = reference * data_range
        cases.append((ref, ref + rng.normal(0, noise, ref.shape), data_range))
    return cases


def _psnr(reference: np.ndarray, test: np.ndarray, data_range: float) -> float:
    from skimage.metrics import peak_signal_noise_ratio

    return float(peak_signal_noise_ratio(reference, test, data_range=data_range))


def _mse(reference: np.ndarray, test: np.ndarray) -> float:
    return float(np.mean((reference - test) ** 2))


# psnr(reference, test, data_range) in dB, as skimage.metrics
check_psnr = FunctionCheck(
    "psnr",
    cases=_psnr_cases,
    reference=_psnr,
    returns=Number("decibels"),
    close=lambda got, want: bool(np.isclose(got, want, rtol=1e-6)),
    mistakes=(
        Mistake(
            "with 20·log10 use the root of the MSE (or 10·log10 of the MSE itself)",
            like=lambda r, t, d: 20 * np.log10(d / _mse(r, t)),
        ),
        Mistake(
            "the peak signal is squared too: data_range², divided by the MSE",
            like=lambda r, t, d: 10 * np.log10(d / _mse(r, t)),
        ),
        Mistake(
            "decibels use log10, not the natural logarithm",
            like=lambda r, t, d: 10 * np.log(d**2 / _mse(r, t)),
        ),
        Mistake(
            "use the mean squared error, not its root",
            like=lambda r, t, d: 10 * np.log10(d**2 / np.sqrt(_mse(r, t))),
        ),
        Mistake("the ratio is upside down: peak² over MSE", like=lambda r, t, d: -_psnr(r, t, d)),
    ),
    otherwise="the value differs from the peak signal-to-noise ratio",
    detail=lambda got, want, r, t, d: f" (data_range {d:g}: you returned {got:.4g} dB)",
    passed="equals skimage.metrics.peak_signal_noise_ratio for data ranges 1 and 255",
)


# --------------------------------------------------------------------------- 02.zscore


def _zscore_case() -> list[tuple[np.ndarray, np.ndarray]]:
    rng = np.random.default_rng(4)
    image = rng.normal(300.0, 10.0, (20, 24))
    image[:, :6] = rng.normal(20.0, 3.0, (20, 6))  # a dark background outside the "brain"
    mask = np.zeros(image.shape, bool)
    mask[:, 6:] = True
    return [(image, mask)]


def _zscore(image: np.ndarray, mask: np.ndarray) -> np.ndarray:
    return (image - image[mask].mean()) / image[mask].std()


# zscore(image, mask): zero mean, unit std inside the mask, applied to the whole image
check_zscore = FunctionCheck(
    "zscore",
    cases=_zscore_case,
    reference=_zscore,
    returns=Array(
        shape_mistakes=[
            Mistake(
                "return the whole image normalised, not only the pixels inside the mask",
                when=lambda got, want, image, mask: got.ndim == 1 and got.size == mask.sum(),
            ),
        ]
    ),
    close=partial(np.allclose, rtol=1e-3, atol=1e-3),
    mistakes=(
        Mistake(
            "the statistics come from the whole image, background included: compute the "
            "mean and standard deviation inside the mask only",
            like=lambda image, mask: (image - image.mean()) / image.std(),
        ),
        Mistake(
            "divide by the standard deviation, not the variance",
            like=lambda image, mask: (image - image[mask].mean()) / image[mask].var(),
        ),
        Mistake(
            "that is the sample standard deviation (ddof=1): use the population one, "
            "np.std's default ddof=0, so that the standard deviation inside the mask is "
            "exactly 1",
            like=lambda image, mask: (image - image[mask].mean()) / image[mask].std(ddof=1),
        ),
        Mistake(
            "the mean is removed but the result is not divided by the standard deviation",
            like=lambda image, mask: image - image[mask].mean(),
        ),
        Mistake(
            "this looks like min-max scaling to [0, 1]; a z-score has mean 0 and std 1",
            when=lambda got, *_: got.min() >= 0 and got.max() <= 1,
        ),
    ),
    otherwise="inside the mask the result should have mean 0 and standard deviation 1",
    passed=(
        "the output has the input's shape (20, 24)",  # the one case's image
        "inside the mask: mean 0 and standard deviation 1",
    ),
)


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
            '    padded = np.pad(image, pad, mode="symmetric")  # SciPy\'s mode="reflect"\n'
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
