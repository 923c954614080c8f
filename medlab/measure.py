"""Measurements on 3D (or 2D) masks in physical units: millimetres and millilitres.

A mask is a boolean array; ``spacing`` gives the size of a voxel along each array axis
in mm, in the array's axis order (for a CT volume indexed (z, y, x), typically
(2.5, 0.7, 0.7): slices are thicker than pixels are wide). Every function converts
voxel indices to millimetres with that spacing, so anisotropic volumes are measured
correctly.

Positions are those of voxel *centres*, in mm from the centre of voxel (0, 0, 0), the
convention of :func:`medlab.datasets.synthetic_ct.chest_ct`'s ground truth.

Functions
---------
:func:`volume_ml` and :func:`volume_mm3`, :func:`longest_diameter_mm` (3D),
:func:`axial_diameters_mm` (long and short axis on an axial slice, as lung-nodule
guidelines measure), :func:`centroid_mm`,
:func:`distance_to_mask_mm` (with :func:`box_around` to measure it in a box),
:func:`label_components` (connected components with their measurements),
:func:`line_profile` (the values along a straight path) and :func:`crossed_mm` (how many
millimetres of each tissue a straight path crosses).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = [
    "axial_diameters_mm",
    "box_around",
    "centroid_mm",
    "crossed_mm",
    "distance_to_mask_mm",
    "label_components",
    "line_profile",
    "longest_diameter_mm",
    "volume_ml",
    "volume_mm3",
]


def _mask(mask: Any, name: str = "mask") -> np.ndarray:
    m = np.asarray(mask)
    if m.dtype != bool:
        if m.dtype.kind not in "biuf" or (m.size and not np.all(np.isin(m, (0, 1)))):
            raise ValueError(
                f"{name} must be a boolean mask (or 0/1 integers), found dtype {m.dtype}"
                + (f" with values {np.unique(m)[:5]}" if m.dtype.kind in "biuf" else "")
            )
        m = m.astype(bool)
    if m.ndim == 0:
        raise ValueError(f"{name} must be an array with at least one axis, found a scalar")
    return m


def _spacing(spacing: Any, ndim: int) -> np.ndarray:
    try:
        sp = np.asarray(spacing, dtype=float).ravel()
    except (TypeError, ValueError):
        raise ValueError(f"spacing must be {ndim} positive numbers (mm), got {spacing!r}") from None
    if sp.size != ndim or not np.all(np.isfinite(sp)) or np.any(sp <= 0):
        raise ValueError(
            f"spacing must be {ndim} positive numbers (mm per axis, one per mask axis), "
            f"got {spacing!r}"
        )
    return sp


def _nonempty(m: np.ndarray, name: str = "mask") -> None:
    if not m.any():
        raise ValueError(f"{name} is empty (no True voxel): nothing to measure")


def volume_ml(mask: Any, spacing: Sequence[float]) -> float:
    """Volume of a mask in millilitres (1 mL = 1 cm³ = 1000 mm³).

    Parameters
    ----------
    mask : array_like of bool
        The object, any number of axes (3 for a volume).
    spacing : sequence of float
        Voxel size in mm along each axis of ``mask``.

    Returns
    -------
    float
        Number of voxels × voxel volume (mm³) / 1000. An empty mask has volume 0.

    Examples
    --------
    >>> volume_ml(np.ones((4, 10, 10), bool), (2.5, 1.0, 1.0))
    1.0
    """
    m = _mask(mask)
    sp = _spacing(spacing, m.ndim)
    return float(np.count_nonzero(m) * np.prod(sp) / 1000.0)


def volume_mm3(mask: Any, spacing: Sequence[float]) -> float:
    """Volume of a mask in cubic millimetres, the unit lung-nodule guidelines use.

    Parameters
    ----------
    mask : array_like of bool
        The object.
    spacing : sequence of float
        Voxel size in mm along each axis.

    Returns
    -------
    float
        ``count × voxel volume``; :func:`volume_ml` × 1000.
    """
    return volume_ml(mask, spacing) * 1000.0


def axial_diameters_mm(mask: Any, spacing: Sequence[float]) -> dict[str, Any]:
    """Long- and short-axis diameters of a lesion, measured on axial slices.

    Lung-nodule guidelines describe a nodule by the **mean of its long axis and the
    perpendicular short axis**, measured on the image where the nodule is largest:
    Lung-RADS v2022 allows both axes in any plane, to reflect the true size, each to one
    decimal (the mean too); the Fleischner Society's measurement statement (Bankier et al.,
    2017) takes the axial, coronal or sagittal image with the greatest dimension, averages
    the two axes of small nodules and rounds to the nearest millimetre (larger nodules and
    masses are reported with both axes). This function measures on **axial slices only**,
    because reformats of thick (5 mm) slices are too coarse to measure on: the long axis is
    the greatest diameter on the slice where it is longest; the short axis is the lesion's
    **width perpendicular to the long axis** (the distance between the two lines parallel
    to it that touch the outline). For an ellipse that width is the short axis; for a
    tilted or irregular outline it can exceed the radiological short axis, the longest
    line *inside* the lesion perpendicular to the long axis. Diameters run edge to edge
    (from the outer corners of the outline pixels), as calipers do, not between voxel
    centres.

    Parameters
    ----------
    mask : array_like of bool
        The lesion, (z, y, x) with z the slice axis (a 2D mask is one axial slice).
    spacing : sequence of float
        Voxel size in mm (z, y, x) (or (y, x) for a 2D mask).

    Returns
    -------
    dict
        ``long_mm``, ``short_mm`` (the width across the long axis), ``mean_mm`` (their
        average) and ``mean_rounded_mm`` (to the nearest millimetre, as Fleischner
        reports small nodules); ``slice`` (the axial index measured),
        ``long_axis`` (the two end points (y, x) in mm, for drawing).

    Raises
    ------
    ValueError
        If the mask is empty.

    Notes
    -----
    On thick slices (5 mm here) the true greatest diameter can fall between slices, so
    axial measurements of small nodules carry an error of a few millimetres, as large as the
    growth the guidelines look for (a mean diameter increase of more than 1.5 mm in
    Lung-RADS, 2 mm in the Fleischner statement). The Fleischner Society asks for
    contiguous slices of 1.5 mm or thinner (typically 1 mm).

    Examples
    --------
    >>> disc = np.zeros((1, 21, 21), bool)
    >>> yy, xx = np.mgrid[-10:11, -10:11]
    >>> disc[0] = yy**2 + xx**2 <= 100
    >>> round(axial_diameters_mm(disc, (5.0, 1.0, 1.0))["mean_mm"])
    21
    """
    from scipy.spatial import ConvexHull
    from scipy.spatial.distance import pdist, squareform

    m = _mask(mask)
    if m.ndim == 2:
        m = m[np.newaxis]
        spacing = (1.0, *tuple(spacing))
    sp = _spacing(spacing, 3)
    _nonempty(m)
    best: dict[str, Any] | None = None
    for z in np.nonzero(m.any(axis=(1, 2)))[0]:
        pixels = np.argwhere(m[z])
        corners = (
            np.concatenate(
                [pixels + d for d in ((-0.5, -0.5), (-0.5, 0.5), (0.5, -0.5), (0.5, 0.5))]
            )
            * sp[1:]
        )
        if len(corners) > 8:
            try:
                corners = corners[ConvexHull(corners).vertices]
            except Exception:  # collinear corners: keep them all
                pass
        distances = squareform(pdist(corners))
        i, j = np.unravel_index(np.argmax(distances), distances.shape)
        long_mm = float(distances[i, j])
        if best is not None and long_mm <= best["long_mm"]:
            continue
        axis = (corners[j] - corners[i]) / long_mm
        across = corners @ np.array([-axis[1], axis[0]])
        short_mm = float(across.max() - across.min())
        best = {
            "long_mm": long_mm,
            "short_mm": short_mm,
            "slice": int(z),
            "long_axis": (tuple(corners[i]), tuple(corners[j])),
        }
    assert best is not None
    best["mean_mm"] = (best["long_mm"] + best["short_mm"]) / 2.0
    best["mean_rounded_mm"] = int(np.floor(best["mean_mm"] + 0.5))
    return best


def _surface_points_mm(m: np.ndarray, sp: np.ndarray) -> np.ndarray:
    from scipy import ndimage

    surface = m & ~ndimage.binary_erosion(m, border_value=0)
    return np.argwhere(surface) * sp


def longest_diameter_mm(mask: Any, spacing: Sequence[float]) -> float:
    """Longest distance between two voxel centres of a mask, in mm.

    The maximum of all pairwise distances (the "maximum 3D diameter" of radiomics).
    Only the mask's surface voxels, and of those only the vertices of their convex
    hull, can be the farthest pair, so large masks stay fast.

    Parameters
    ----------
    mask : array_like of bool
        The object (2D or 3D).
    spacing : sequence of float
        Voxel size in mm along each axis.

    Returns
    -------
    float
        The diameter in mm; 0 for a single voxel. Measured between voxel centres, it is
        about one voxel shorter than the object's true extent.

    Raises
    ------
    ValueError
        If the mask is empty.
    """
    from scipy.spatial import ConvexHull
    from scipy.spatial.distance import pdist

    m = _mask(mask)
    sp = _spacing(spacing, m.ndim)
    _nonempty(m)
    points = _surface_points_mm(m, sp)
    if len(points) > 200:
        try:
            points = points[ConvexHull(points).vertices]
        except Exception:  # flat (coplanar) point sets: keep all points
            pass
    if len(points) < 2:
        return 0.0
    return float(pdist(points).max())


def centroid_mm(mask: Any, spacing: Sequence[float]) -> tuple[float, ...]:
    """Centre of mass of a mask, in mm from the centre of voxel (0, 0, ...), per axis.

    Raises
    ------
    ValueError
        If the mask is empty.
    """
    m = _mask(mask)
    sp = _spacing(spacing, m.ndim)
    _nonempty(m)
    return tuple(float(c) for c in np.argwhere(m).mean(axis=0) * sp)


def distance_to_mask_mm(mask: Any, target: Any, spacing: Sequence[float]) -> float:
    """Shortest distance from a mask to a target structure, in mm, voxel centre to centre.

    Computed with a Euclidean distance transform of the target's complement, with
    ``sampling=spacing`` so that anisotropic voxels are measured in mm; 0 if the two
    overlap.

    Parameters
    ----------
    mask, target : array_like of bool
        Same shape.
    spacing : sequence of float
        Voxel size in mm along each axis.

    Raises
    ------
    ValueError
        If either mask is empty or their shapes differ.
    """
    from scipy import ndimage

    m = _mask(mask)
    t = _mask(target, "target")
    if m.shape != t.shape:
        raise ValueError(f"mask and target must have the same shape, got {m.shape} and {t.shape}")
    sp = _spacing(spacing, m.ndim)
    _nonempty(m)
    _nonempty(t, "target")
    dist = ndimage.distance_transform_edt(~t, sampling=sp)
    return float(dist[m].min())


def box_around(mask: Any, spacing: Sequence[float], margin_mm: float) -> tuple[slice, ...]:
    """The bounding box of a mask grown by ``margin_mm`` on every side, as slices.

    Every voxel within ``margin_mm`` of the mask lies inside the box, so a distance up to
    ``margin_mm`` measured on the box (``distance_to_mask_mm(mask[box], target[box], ...)``)
    is the distance in the whole volume, for a fraction of the work; a larger result (or
    an empty target in the box) means "farther than ``margin_mm``".

    Parameters
    ----------
    mask : array_like of bool
    spacing : sequence of float
        Voxel size in mm along each axis.
    margin_mm : float
        Non-negative margin.

    Returns
    -------
    tuple of slice
        One per axis, clipped to the array.

    Raises
    ------
    ValueError
        If the mask is empty or the margin negative.

    Examples
    --------
    >>> m = np.zeros((10, 10), bool); m[4, 5] = True
    >>> box_around(m, (1.0, 2.0), 2.0)
    (slice(2, 7, None), slice(4, 7, None))
    """
    m = _mask(mask)
    sp = _spacing(spacing, m.ndim)
    _nonempty(m)
    if not (np.isfinite(margin_mm) and margin_mm >= 0):
        raise ValueError(f"margin_mm must be a non-negative number, got {margin_mm!r}")
    grow = np.floor(margin_mm / sp + 1e-9).astype(int)
    boxes = []
    for axis in range(m.ndim):
        others = tuple(a for a in range(m.ndim) if a != axis)
        hit = np.flatnonzero(m.any(axis=others))
        lo = max(int(hit[0]) - int(grow[axis]), 0)
        hi = min(int(hit[-1]) + int(grow[axis]) + 1, m.shape[axis])
        boxes.append(slice(lo, hi))
    return tuple(boxes)


def label_components(
    mask: Any, spacing: Sequence[float], *, min_volume_ml: float = 0.0
) -> tuple[np.ndarray, list[dict[str, Any]]]:
    """Connected components (26-connected in 3D) with their measurements, largest first.

    Parameters
    ----------
    mask : array_like of bool
    spacing : sequence of float
        Voxel size in mm along each axis.
    min_volume_ml : float
        Components smaller than this are dropped.

    Returns
    -------
    labels : ndarray of int32
        0 background, 1..k the kept components, 1 the largest.
    stats : list of dict
        One per label (``stats[i - 1]`` for label ``i``): ``label``, ``voxels``,
        ``volume_ml``, ``centroid_mm``, ``longest_diameter_mm``.
    """
    from scipy import ndimage

    m = _mask(mask)
    sp = _spacing(spacing, m.ndim)
    raw, n = ndimage.label(m, structure=np.ones((3,) * m.ndim, bool))
    counts = np.bincount(raw.ravel(), minlength=n + 1)[1:]
    voxel_ml = float(np.prod(sp)) / 1000.0
    order = [
        i + 1 for i in np.argsort(-counts, kind="stable") if counts[i] * voxel_ml >= min_volume_ml
    ]
    labels = np.zeros(m.shape, np.int32)
    stats: list[dict[str, Any]] = []
    boxes = ndimage.find_objects(raw)
    for new, old in enumerate(order, start=1):
        box = boxes[old - 1]
        sub = raw[box] == old
        labels[box][sub] = new
        offset = np.array([b.start for b in box]) * sp
        stats.append(
            {
                "label": new,
                "voxels": int(counts[old - 1]),
                "volume_ml": float(counts[old - 1] * voxel_ml),
                "centroid_mm": tuple(float(c) for c in np.add(centroid_mm(sub, spacing), offset)),
                "longest_diameter_mm": longest_diameter_mm(sub, spacing),
            }
        )
    return labels, stats


def line_profile(
    volume: Any,
    start_mm: Sequence[float],
    end_mm: Sequence[float],
    spacing: Sequence[float],
    *,
    step_mm: float = 0.5,
) -> tuple[np.ndarray, np.ndarray]:
    """Values of a volume along a straight segment (nearest voxel), e.g. a needle path.

    Parameters
    ----------
    volume : array_like
        Image or label volume.
    start_mm, end_mm : sequence of float
        End points in mm (voxel-centre convention, as :func:`centroid_mm`).
    spacing : sequence of float
        Voxel size in mm along each axis.
    step_mm : float
        Distance between samples.

    Returns
    -------
    distance_mm : ndarray
        Distance of each sample from ``start_mm``.
    values : ndarray
        The volume's value at each sample (nearest voxel).
    """
    v = np.asarray(volume)
    sp = _spacing(spacing, v.ndim)
    a = np.asarray(start_mm, float)
    b = np.asarray(end_mm, float)
    if a.shape != sp.shape or b.shape != sp.shape:
        raise ValueError(
            f"start_mm and end_mm must have {v.ndim} coordinates, got {tuple(start_mm)!r} and "
            f"{tuple(end_mm)!r}"
        )
    if not (np.isfinite(step_mm) and step_mm > 0):
        raise ValueError(f"step_mm must be a positive number, got {step_mm!r}")
    length = float(np.linalg.norm(b - a))
    n = max(int(np.ceil(length / step_mm)), 1) + 1
    t = np.linspace(0.0, 1.0, n)
    points = a + t[:, None] * (b - a)
    idx = np.round(points / sp).astype(int)
    if np.any(idx < 0) or np.any(idx >= np.asarray(v.shape)):
        raise ValueError("the segment leaves the volume: check start_mm and end_mm (in mm)")
    return t * length, v[tuple(idx.T)]


def crossed_mm(
    layers: dict[str, Any],
    start_mm: Sequence[float],
    end_mm: Sequence[float],
    spacing: Sequence[float],
    *,
    step_mm: float = 0.5,
) -> dict[str, float]:
    """How many millimetres of each tissue a straight path crosses, e.g. a biopsy needle.

    Each point of the path (sampled every ``step_mm`` or less, nearest pixel) belongs to
    the **first** layer that holds it, in the order given, so a layer can be listed before
    a larger one that contains it (the tumour before the lung, bone before the body).

    Parameters
    ----------
    layers : dict of str to array_like of bool
        Tissue masks of one shape, most specific first.
    start_mm, end_mm : sequence of float
        End points in mm (voxel-centre convention, as :func:`line_profile`).
    spacing : sequence of float
        Pixel (voxel) size in mm along each axis.
    step_mm : float
        Largest distance between samples (default 0.5 mm).

    Returns
    -------
    dict of str to float
        Millimetres per layer, in the layers' order, plus ``"outside"`` (no layer) and
        ``"length"`` (the path's length); the layers and ``"outside"`` add up to it.

    Examples
    --------
    >>> wall = np.zeros((1, 10), bool); wall[0, 4:] = True
    >>> lung = np.zeros((1, 10), bool); lung[0, 6:] = True
    >>> crossed_mm({"lung": lung, "wall": wall}, (0, 0), (0, 9), (1.0, 1.0), step_mm=1.0)
    {'lung': 3.5, 'wall': 2.0, 'outside': 3.5, 'length': 9.0}
    """
    if not layers:
        raise ValueError("layers must name at least one tissue mask")
    masks = [_mask(m, f"layers[{name!r}]") for name, m in layers.items()]
    shape = masks[0].shape
    if any(m.shape != shape for m in masks):
        raise ValueError(f"layers must have one shape, got {[m.shape for m in masks]}")
    code = np.zeros(shape, np.int16)  # 0 outside; layer i is i + 1, the first one wins
    for i in range(len(masks) - 1, -1, -1):
        code[masks[i]] = i + 1
    distance, along = line_profile(code, start_mm, end_mm, spacing, step_mm=step_mm)
    length = float(distance[-1])
    # each sample stands for the stretch around it: half a step at either end
    step = length / max(len(along) - 1, 1)
    weight = np.full(len(along), step)
    weight[[0, -1]] = step / 2
    totals = np.bincount(along, weights=weight, minlength=len(masks) + 1)
    result = {name: float(totals[i + 1]) for i, name in enumerate(layers)}
    result["outside"] = float(totals[0])
    result["length"] = length
    return result
