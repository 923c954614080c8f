"""Synthetic chest-radiograph-like images with and without pneumonia-like opacities.

SYNTHETIC: every image is drawn from a few random shapes; none depicts a
patient. The data exist so that a small CNN can be trained on a laptop CPU in
seconds, with a difficulty chosen to be learnable but not trivial.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from medlab.datasets._cards import get_card
from medlab.datasets._dataset import Dataset

__all__ = ["chest_xray", "smooth_noise"]

_CHUNK_PIXELS = 1 << 16


def smooth_noise(
    rng: np.random.Generator, n: int, shape: tuple[int, ...], cells: int = 6
) -> np.ndarray:
    """Smooth random fields: Gaussian noise on a coarse grid, bilinearly upsampled.

    Parameters
    ----------
    rng : numpy.random.Generator
    n : int
        Number of fields.
    shape : tuple of int
        Shape of each field (2D or 3D).
    cells : int
        Coarse grid size per axis (more cells, finer texture).

    Returns
    -------
    ndarray, shape (n, *shape), float32, roughly zero mean and unit variance.
    """
    coarse = rng.standard_normal((n,) + (cells + 1,) * len(shape)).astype(np.float32)
    out = coarse
    for axis, size in enumerate(shape, start=1):
        # linear interpolation along one axis as a (size, cells + 1) matrix product
        pos = np.linspace(0, cells, size, dtype=np.float32)
        lo = np.minimum(pos.astype(int), cells - 1)
        weights = np.zeros((size, cells + 1), dtype=np.float32)
        weights[np.arange(size), lo] = 1 - (pos - lo)
        weights[np.arange(size), lo + 1] = pos - lo
        out = np.moveaxis(np.moveaxis(out, axis, -1) @ weights.T, -1, axis)
    return np.ascontiguousarray(out, dtype=np.float32)


def _soft_ellipse(x, y, cx, cy, ax, ay, edge):
    r = np.sqrt(((x - cx) / ax) ** 2 + ((y - cy) / ay) ** 2)
    return 0.5 - 0.5 * np.tanh((r - 1.0) / (2 * edge))  # logistic, without overflow


def _render(rng: np.random.Generator, labels: np.ndarray, size: int):
    """Render one image per label; returns images (n, H, W) and opacity maps."""
    n = labels.size
    col = lambda lo, hi: rng.uniform(lo, hi, (n, 1, 1)).astype(np.float32)  # noqa: E731
    g = np.linspace(-1, 1, size, dtype=np.float32)
    v, u = g[None, :, None], g[None, None, :]
    # patient positioning: shift, scale, small rotation
    dx, dy, scale = col(-0.08, 0.08), col(-0.08, 0.08), col(0.85, 1.05)
    theta = col(-0.1, 0.1)
    cos, sin = np.cos(theta), np.sin(theta)
    x = (cos * (u - dx) + sin * (v - dy)) / scale
    y = (-sin * (u - dx) + cos * (v - dy)) / scale

    body = _soft_ellipse(x, y, 0.0, 0.3, 0.96, 1.3, 0.04)
    breath = col(0.9, 1.08)  # depth of inspiration changes lung size
    right = _soft_ellipse(x, y, -0.42, -0.06, 0.31 * breath, 0.66 * breath, 0.05)
    left = _soft_ellipse(x, y, 0.41, -0.04, 0.28 * breath, 0.63 * breath, 0.05)
    heart_w = col(0.3, 0.4)  # heart size varies
    heart = _soft_ellipse(x, y, 0.12, 0.38, heart_w, 0.3, 0.08)
    lungs = np.maximum(right, left) * (1 - 0.7 * heart)
    spine = (0.5 - 0.5 * np.tanh((np.abs(x) - 0.1) / 0.06)) * body
    phase = (y - 0.3 * x**2 - col(0.0, 0.2)) / 0.18
    ribs = np.maximum(np.cos(2 * np.pi * phase), 0) ** 8 * body * lungs
    texture = smooth_noise(rng, n, (size, size), cells=10)

    # pneumonia-like opacities: 1-3 soft patchy blobs inside one or both lungs
    opacity = np.zeros((n, size, size), dtype=np.float32)
    pos = np.flatnonzero(labels == 1)
    m = pos.size
    xp, yp = x[pos], y[pos]
    blobs = np.zeros((m, size, size), dtype=np.float32)
    for k in range(3):
        present = (k == 0) | (rng.random(m) < 0.45)
        side = np.where(rng.random(m) < 0.5, -1.0, 1.0)
        rad, ang = np.sqrt(rng.random(m)) * 0.7, rng.uniform(0, 2 * np.pi, m)
        cx = (side * 0.41 + rad * np.cos(ang) * 0.28).astype(np.float32)[:, None, None]
        cy = (rad * np.sin(ang) * 0.6 - 0.05).astype(np.float32)[:, None, None]
        sigma = rng.uniform(0.08, 0.17, m).astype(np.float32)[:, None, None]
        amp = (rng.uniform(1.2, 2.4, m) * present).astype(np.float32)[:, None, None]
        blobs += amp * np.exp(-((xp - cx) ** 2 + (yp - cy) ** 2) / (2 * sigma**2))
    patchy = np.clip(0.6 + 0.5 * smooth_noise(rng, m, (size, size), cells=12), 0.0, 1.5)
    # consolidation: the fraction of alveolar air replaced by fluid (0-0.9)
    opacity[pos] = np.clip(blobs * patchy, 0.0, 0.9) * lungs[pos]

    lung_air = col(0.5, 0.68)  # how dark aerated lung is (exposure, inspiration)
    density = 0.55 * body * (1 - lung_air * lungs * (1 - opacity))
    density += 0.12 * heart + 0.2 * spine * (1 - 0.4 * lungs) + 0.07 * ribs
    density += lungs * (0.03 * texture)
    gain, offset, gamma = col(0.8, 1.2), col(0.0, 0.12), col(0.8, 1.25)
    img = np.clip(offset + gain * density, 0, 1) ** gamma
    img += rng.standard_normal(img.shape, dtype=np.float32) * col(0.015, 0.04)
    return np.clip(img, 0, 1).astype(np.float32), opacity


def _split_counts(n: int, split: Sequence[float]) -> list[int]:
    fractions = np.asarray(split, dtype=float)
    if fractions.shape != (3,) or np.any(fractions < 0) or not np.isclose(fractions.sum(), 1):
        raise ValueError(
            f"split must be three non-negative fractions (train, val, test) summing to 1, "
            f"got {tuple(split)!r}"
        )
    counts = np.floor(fractions * n).astype(int)
    counts[0] += n - counts.sum()
    return counts.tolist()


def chest_xray(
    n: int = 1000,
    size: int = 64,
    prevalence: float = 0.5,
    split: Sequence[float] = (0.7, 0.15, 0.15),
    seed: int = 0,
) -> Dataset:
    """Synthetic chest-radiograph-like images, normal vs pneumonia-like (SYNTHETIC).

    Each image shows a thorax (soft tissue), two dark lung fields, ribs, spine
    and heart/mediastinum shadow, with random positioning, inspiration depth,
    heart size, exposure (gain, offset, gamma), lung texture and noise.
    Positive images (label 1) carry 1-3 soft, patchy opacities of random
    size and density in one or both lungs. Deterministic for a given ``seed``.

    Parameters
    ----------
    n : int, optional
        Total number of images (default 1000).
    size : int, optional
        Image side in pixels (default 64; 16-512).
    prevalence : float, optional
        Fraction of positive images, in [0, 1] (default 0.5). Each split has
        the same prevalence (stratified).
    split : sequence of 3 floats, optional
        Train/validation/test fractions (default (0.7, 0.15, 0.15)).
    seed : int, optional
        Random seed (default 0).

    Returns
    -------
    Dataset
        ``x_train``, ``x_val``, ``x_test`` : (m, size, size, 1) float32 in
        [0, 1], bright = dense (as on a radiograph).
        ``y_train``, ``y_val``, ``y_test`` : (m,) int64, 0 normal, 1 pneumonia-like.
        ``mask_train``, ``mask_val``, ``mask_test`` : (m, size, size) bool,
        where opacities were drawn (all False for normals): ground truth for
        saliency / Grad-CAM.

    Notes
    -----
    SYNTHETIC data generated by MedLab (licence: BSD-3-Clause, as MedLab); it
    depicts no patient and must not be used to draw clinical conclusions.
    The defaults take well under a second on one CPU core.

    Examples
    --------
    >>> ds = chest_xray(n=100, seed=1)
    >>> ds["x_train"].shape
    (70, 64, 64, 1)
    """
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 3:
        raise ValueError(f"n must be an integer >= 3, got {n!r}")
    if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or not 16 <= size <= 512:
        raise ValueError(f"size must be an integer from 16 to 512 pixels, got {size!r}")
    if not 0.0 <= float(prevalence) <= 1.0:
        raise ValueError(f"prevalence must be in [0, 1], got {prevalence!r}")
    counts = np.array(_split_counts(int(n), split))
    rng = np.random.default_rng(seed)
    n_pos = round(float(prevalence) * n)
    # stratified: exact split sizes, positives divided with the same fractions
    pos = np.array(_split_counts(n_pos, split))
    if np.any(counts - pos < 0):  # rounding at prevalence near 1: divide negatives instead
        pos = counts - np.array(_split_counts(n - n_pos, split))
    parts = [
        rng.permutation(np.repeat(np.array([1, 0], dtype=np.int64), [p, c - p]))
        for p, c in zip(pos, counts, strict=True)
    ]
    labels = np.concatenate(parts)
    images = np.empty((n, size, size), dtype=np.float32)
    masks = np.empty((n, size, size), dtype=bool)
    chunk = max(1, _CHUNK_PIXELS // (size * size))  # small batches stay in CPU cache
    for start in range(0, n, chunk):
        stop = min(n, start + chunk)
        images[start:stop], opacity = _render(rng, labels[start:stop], int(size))
        masks[start:stop] = opacity > 0.1
    data = {}
    start = 0
    for name, part in zip(("train", "val", "test"), parts, strict=True):
        stop = start + part.size
        data[f"x_{name}"] = images[start:stop, ..., None]
        data[f"y_{name}"] = labels[start:stop]
        data[f"mask_{name}"] = masks[start:stop]
        start = stop
    meta = {
        "seed": seed,
        "n": int(n),
        "size": int(size),
        "prevalence": float(prevalence),
        "split": tuple(float(s) for s in split),
    }
    return Dataset(get_card("synthetic_chest_xray"), data, meta=meta)
