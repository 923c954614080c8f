"""Synthetic chest-radiograph-like images with and without pneumonia-like opacities.

SYNTHETIC: every image is drawn from a few random shapes; none depicts a
patient. The data exist so that a small CNN can be trained on a laptop CPU in
seconds, with a difficulty chosen to be learnable but not trivial.

Two styles: ``"blobs"`` (the original: oval lungs, round patchy opacities) and
``"radiograph"`` (a PA film's anatomy: diaphragm domes and costophrenic angles, a heart
that sits on the diaphragm, clavicles, trachea, hila, lung markings and a gastric bubble;
lobar, segmental or patchy multifocal consolidation, with air bronchograms in the dense
ones, and the silhouette sign where a consolidation touches the heart or the diaphragm).
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


def _render_blobs(rng: np.random.Generator, labels: np.ndarray, size: int):
    """Render one image per label (style "blobs"); returns images, opacity masks, lung fields."""
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
    fields = np.maximum(right, left)
    lungs = fields * (1 - 0.7 * heart)
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
    masks = opacity > 0.1
    return np.clip(img, 0, 1).astype(np.float32), masks, (fields > 0.5) | masks


# --------------------------------------------------------------------------- style "radiograph"
#
# Image coordinates: x from -1 (image left, the patient's RIGHT, as a PA radiograph is read)
# to +1, y from -1 (top) to +1 (bottom). Side s = -1 is the right lung, s = +1 the left.


def _step(d, width):
    """Soft step from 0 (d << 0) to 1 (d >> 0) over about ``width``."""
    return 0.5 + 0.5 * np.tanh(d / (2 * width))


def _segment_distance(x, y, x0, y0, x1, y1):
    """Distance to the segment (x0, y0)-(x1, y1), and the position along it in [0, 1]."""
    dx, dy = x1 - x0, y1 - y0
    along = np.clip(((x - x0) * dx + (y - y0) * dy) / (dx**2 + dy**2), 0.0, 1.0)
    return np.hypot(x - x0 - along * dx, y - y0 - along * dy), along


def _dome(x, s, top, curvature):
    """Height of a hemidiaphragm: highest at mid-lung, falling laterally and medially."""
    return top + curvature * (x - s * 0.38) ** 2


def _lung(x, y, s, breath, dome_top):
    """One lung field: narrow rounded apex, wider base with a steep lateral wall.

    It is cut below by its diaphragm dome, so that wall and dome meet at a sharp
    costophrenic angle.
    """
    cx, cy, b = s * 0.42, -0.05, 0.8 * breath
    level = np.clip((y - cy) / b, -1.0, 1.0)
    across = ((x - cx) / ((0.28 + 0.06 * level) * breath)) ** 2  # wider at the base
    up = level**2
    # square below (the costophrenic recess), round at the apex
    r = np.where(level > 0, across**2 + up**2, across + up)
    outline = _step(1.0 - r, 0.05)
    above_dome = _step(_dome(x, s, dome_top, 2.2) - y, 0.012)
    medial = _step(s * x - 0.1, 0.02)  # the mediastinum bounds it medially
    return outline * above_dome * medial


def _anatomy(rng, x, y, n):
    """Densities of a PA chest radiograph's structures; returns a dict of (n, H, W) maps."""
    col = lambda lo, hi: rng.uniform(lo, hi, (n, 1, 1)).astype(np.float32)  # noqa: E731
    breath = col(0.92, 1.06)  # depth of inspiration
    right_top = col(0.26, 0.34)  # the right dome usually sits a little higher
    left_top = right_top + col(0.02, 0.08)
    r = (np.abs(x) / 0.95) ** 4 + (np.abs(y - 0.3) / 1.2) ** 4  # torso, rounded shoulders
    neck = _step(0.25 - np.abs(x), 0.03) * _step(-0.5 - y, 0.05)
    body = np.maximum(_step(1.0 - r, 0.08), neck)
    right = _lung(x, y, -1.0, breath, right_top)
    left = _lung(x, y, 1.0, breath, left_top)
    lungs = np.maximum(right, left)
    heart_w = col(0.3, 0.42)  # heart size varies (children's hearts are relatively large)
    heart = _soft_ellipse(x, y, 0.08 + 0.3 * (heart_w - 0.36), 0.3, heart_w, 0.3, 0.03)
    heart *= _step(_dome(x, 1.0, left_top, 2.2) + 0.03 - y, 0.02)  # it merges with the diaphragm
    knob = _soft_ellipse(x, y, 0.13, -0.33, 0.07, 0.06, 0.05)  # aortic knob
    mediastinum = _step(0.12 - np.abs(x), 0.03) * _step(0.6 - y, 0.1) * body
    trachea = _step(0.035 - np.abs(x - 0.01), 0.01) * _step(-0.3 - y, 0.03) * body
    spine = _step(0.09 - np.abs(x), 0.02) * body * (1 - 0.6 * heart)
    phase = (y - 0.45 * x**2 - col(0.0, 0.2)) / 0.17
    ribs = np.maximum(np.cos(2 * np.pi * phase), 0) ** 8
    ribs *= _step(0.88 - np.abs(x), 0.05) * _step(0.6 - y, 0.1) * body
    clavicles = np.zeros_like(lungs)
    for s in (-1.0, 1.0):
        d, _ = _segment_distance(x, y, s * 0.1, -0.66, s * 0.64, -0.8)
        clavicles = np.maximum(clavicles, _step(0.035 - d, 0.012))
    hila = np.zeros_like(lungs)
    for s in (-1.0, 1.0):
        hila += _soft_ellipse(x, y, s * 0.2, -0.06, 0.07, 0.12, 0.3)
    gastric = (rng.random((n, 1, 1)) < 0.6) * _soft_ellipse(
        x, y, 0.42, _dome(0.42, 1.0, left_top, 2.2) + 0.1, 0.1, 0.06, 0.1
    )
    return {
        "body": body,
        "right": right,
        "left": left,
        "lungs": lungs,
        "heart": heart,
        "knob": knob,
        "mediastinum": mediastinum,
        "trachea": trachea,
        "spine": spine,
        "ribs": ribs,
        "clavicles": clavicles,
        "hila": hila,
        "gastric": gastric,
    }


# lobes as seen on a PA film: (side, edge) with edge(x, y, dome) > 0 inside the lobe and
# a sharpness (a fissure is sharp; an oblique fissure seen en face is not)
_LOBES = {
    "right upper": (-1.0, lambda x, y: -0.14 + 0.08 * (x + 0.4) - y, 0.012),
    "right middle": (
        -1.0,
        lambda x, y: np.minimum(y - (-0.14 + 0.08 * (x + 0.4)), (x + 0.46) * 0.8),
        0.03,
    ),
    "right lower": (-1.0, lambda x, y: y - (0.05 - 0.25 * (x + 0.4)), 0.06),
    "left upper": (1.0, lambda x, y: 0.12 - 0.15 * (x - 0.4) - y, 0.06),
    "left lower": (1.0, lambda x, y: y - (0.08 + 0.2 * (x - 0.4)), 0.06),
}


def _rays(x, y, hilum_x, hilum_y, angles, length, width):
    """Thin tapering lines from a hilum at the given angles (m, k): bronchi or vessels."""
    out = np.zeros(np.broadcast_shapes(x.shape, (angles.shape[0], 1, 1)), dtype=np.float32)
    for k in range(angles.shape[1]):
        ang = angles[:, k][:, None, None]
        x1, y1 = hilum_x + length * np.cos(ang), hilum_y + length * np.sin(ang)
        d, along = _segment_distance(x, y, hilum_x, hilum_y, x1, y1)
        taper = width * (1.0 - 0.6 * along)
        out = np.maximum(out, np.exp(-((d / taper) ** 2)) * (along > 0.1))
    return out


def _consolidation(rng, x, y, anatomy, pos):
    """Pneumonia-like opacities for the positive images ``pos``.

    Lobar (45 %): one lobe, bounded sharply by a fissure or softly where the fissure is
    seen en face; segmental (25 %): a wedge of a lobe, apex towards the hilum, base on
    the pleura; patchy multifocal bronchopneumonia (30 %): 2-4 small patches. Dense
    lobar and segmental ones carry air bronchograms. Returns the opacity, the fraction
    of alveolar air replaced by fluid (0-0.9).
    """
    m = pos.size
    size = x.shape[-1]
    xp, yp = x[pos], y[pos]
    kind = rng.choice(3, size=m, p=[0.45, 0.25, 0.30])
    names = list(_LOBES)
    lobe = rng.integers(0, len(names), m)
    side = np.array([_LOBES[names[j]][0] for j in lobe], dtype=np.float32)
    region = np.zeros((m, size, size), dtype=np.float32)
    for j, name in enumerate(names):
        chosen = lobe == j
        if chosen.any():
            s, edge, sharp = _LOBES[name]
            field = anatomy["right" if s < 0 else "left"][pos][chosen]
            region[chosen] = field * _step(edge(xp[chosen], yp[chosen]), sharp)
    hx, hy = (side * 0.2)[:, None, None], np.float32(-0.06)
    # segmental: a wedge of the lobe, apex towards the hilum, base on the pleura
    towards = np.arctan2(yp - hy, xp - hx)
    weight = region.sum(axis=(1, 2)) + 1e-6
    cx = (region * xp).sum(axis=(1, 2)) / weight
    cy = (region * yp).sum(axis=(1, 2)) / weight
    axis = (np.arctan2(cy - hy, cx - hx[:, 0, 0]) + rng.uniform(-0.6, 0.6, m))[:, None, None]
    spread = np.abs((towards - axis + np.pi) % (2 * np.pi) - np.pi)  # angle to the axis
    wedge = _step(0.5 - spread, 0.06) * _step(np.hypot(xp - hx, yp - hy) - 0.2, 0.04)
    region = np.where((kind == 1)[:, None, None], region * wedge, region)
    # patchy bronchopneumonia: 2-4 small patches in one or both lungs
    patches = np.zeros((m, size, size), dtype=np.float32)
    for k in range(4):
        present = ((k < 2) | (rng.random(m) < 0.5))[:, None, None]
        s = np.where(rng.random(m) < 0.5, -1.0, 1.0)
        px = (s * 0.4 + rng.uniform(-0.16, 0.16, m)).astype(np.float32)[:, None, None]
        py = rng.uniform(-0.45, 0.3, m).astype(np.float32)[:, None, None]
        sigma = rng.uniform(0.08, 0.15, m).astype(np.float32)[:, None, None]
        patches += present * np.exp(-((xp - px) ** 2 + (yp - py) ** 2) / (2 * sigma**2))
    texture = smooth_noise(rng, m, (size, size), cells=14)
    lungs = anatomy["lungs"][pos]
    patchy = np.clip(patches * (1.1 + 0.6 * texture), 0.0, 1.0) * lungs
    region = np.where((kind == 2)[:, None, None], patchy, region)
    density = rng.uniform(0.8, 1.0, m).astype(np.float32)
    opacity = np.clip(density[:, None, None] * region * (0.85 + 0.15 * texture), 0.0, 0.9)
    # air bronchograms: bronchi that stay aerated inside a dense consolidation
    fan = (axis[:, :, 0] + rng.uniform(-0.35, 0.35, (m, 3))).astype(np.float32)
    bronchi = _rays(xp, yp, hx, hy, fan, 0.6, 0.02)
    solid = ((kind < 2) & (density > 0.6))[:, None, None]
    return opacity * (1.0 - 0.5 * solid * bronchi * (opacity > 0.3))


def _render_radiograph(rng: np.random.Generator, labels: np.ndarray, size: int):
    """Render one PA-radiograph-like image per label; returns images, opacity masks, lungs."""
    n = labels.size
    col = lambda lo, hi: rng.uniform(lo, hi, (n, 1, 1)).astype(np.float32)  # noqa: E731
    g = np.linspace(-1, 1, size, dtype=np.float32)
    v, u = g[None, :, None], g[None, None, :]
    dx, dy, scale = col(-0.06, 0.06), col(-0.06, 0.06), col(0.88, 1.04)
    theta = col(-0.08, 0.08)
    cos, sin = np.cos(theta), np.sin(theta)
    x = (cos * (u - dx) + sin * (v - dy)) / scale
    y = (-sin * (u - dx) + cos * (v - dy)) / scale
    a = _anatomy(rng, x, y, n)
    # the heart hides most of the lung behind it; aerated lung is what darkens the film
    aerated = a["lungs"] * (1.0 - 0.85 * a["heart"])
    texture = smooth_noise(rng, n, (size, size), cells=12)
    opacity = np.zeros((n, size, size), dtype=np.float32)
    pos = np.flatnonzero(labels == 1)
    if pos.size:
        opacity[pos] = _consolidation(rng, x, y, a, pos)
    lung_air = col(0.66, 0.76)  # how dark aerated lung is (exposure, inspiration)
    density = 0.55 * a["body"] * (1 - lung_air * aerated * (1 - opacity))
    density += 0.04 * a["heart"] + 0.04 * a["knob"] + 0.05 * a["mediastinum"]
    density += 0.16 * a["spine"] * (1 - 0.4 * a["lungs"]) + 0.06 * a["ribs"]
    density += 0.1 * a["clavicles"] + 0.05 * a["hila"] * (1 - opacity)
    # lung markings: vessels, densest near the hila, fading towards the periphery
    central = np.exp(-np.minimum(np.abs(x - 0.2), np.abs(x + 0.2)) / 0.3)
    density += aerated * (1 - opacity) * (0.02 + 0.03 * central) * (1 + texture)
    density -= 0.08 * a["trachea"] + 0.12 * a["gastric"]
    gain, offset, gamma = col(0.9, 1.1), col(0.0, 0.1), col(0.9, 1.15)
    img = np.clip(offset + gain * density, 0, 1) ** gamma
    img += rng.standard_normal(img.shape, dtype=np.float32) * col(0.015, 0.035)
    lungs = a["lungs"] > 0.5
    return np.clip(img, 0, 1).astype(np.float32), (opacity > 0.1) & lungs, lungs


_RENDERERS = {"radiograph": _render_radiograph, "blobs": _render_blobs}


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
    style: str = "blobs",
) -> Dataset:
    """Synthetic chest-radiograph-like images, normal vs pneumonia-like (SYNTHETIC).

    Each image shows a thorax (soft tissue), two dark lung fields, ribs, spine
    and heart/mediastinum shadow, with random positioning, inspiration depth,
    heart size, exposure (gain, offset, gamma), lung texture and noise.
    With ``style="blobs"`` positive images (label 1) carry 1-3 soft, patchy
    opacities of random size and density in one or both lungs. With
    ``style="radiograph"`` the anatomy is a PA film's (diaphragm domes, the right
    one higher, sharp costophrenic angles, clavicles, trachea, hila, lung markings)
    and positives carry lobar (45 %), segmental (25 %) or patchy multifocal (30 %)
    consolidation, with air bronchograms in the dense lobar and segmental ones.
    Deterministic for a given ``seed``.

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
    style : {"blobs", "radiograph"}, optional
        The drawing (default ``"blobs"``, the original cartoon).

    Returns
    -------
    Dataset
        ``x_train``, ``x_val``, ``x_test`` : (m, size, size, 1) float32 in
        [0, 1], bright = dense (as on a radiograph).
        ``y_train``, ``y_val``, ``y_test`` : (m,) int64, 0 normal, 1 pneumonia-like.
        ``mask_train``, ``mask_val``, ``mask_test`` : (m, size, size) bool,
        where opacities were drawn (all False for normals): ground truth for
        saliency / Grad-CAM.
        ``lungs_train``, ``lungs_val``, ``lungs_test`` : (m, size, size) bool,
        the lung fields; every opacity lies inside, so lesion area / lung area is
        the share of heat a saliency map spread at random over the lungs would give.

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
    if style not in _RENDERERS:
        raise ValueError(f"style must be one of {sorted(_RENDERERS)}, got {style!r}")
    size = int(size)
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
    lungs = np.empty((n, size, size), dtype=bool)
    render = _RENDERERS[style]
    chunk = max(1, _CHUNK_PIXELS // (size * size))  # small batches stay in CPU cache
    for start in range(0, n, chunk):
        stop = min(n, start + chunk)
        images[start:stop], masks[start:stop], lungs[start:stop] = render(
            rng, labels[start:stop], size
        )
    data = {}
    start = 0
    for name, part in zip(("train", "val", "test"), parts, strict=True):
        stop = start + part.size
        data[f"x_{name}"] = images[start:stop, ..., None]
        data[f"y_{name}"] = labels[start:stop]
        data[f"mask_{name}"] = masks[start:stop]
        data[f"lungs_{name}"] = lungs[start:stop]
        start = stop
    meta = {
        "seed": seed,
        "n": int(n),
        "size": int(size),
        "prevalence": float(prevalence),
        "split": tuple(float(s) for s in split),
        "style": style,
    }
    return Dataset(get_card("synthetic_chest_xray"), data, meta=meta)
