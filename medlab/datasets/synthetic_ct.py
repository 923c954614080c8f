"""A synthetic 3D chest CT phantom in Hounsfield units, with lung nodules.

SYNTHETIC: the volume is built from ellipsoids, cylinders and smooth random
fields; it depicts no patient. Its value for teaching is the exact ground
truth: every nodule's centre, size, volume and distance to the chest wall is
known, so measurements made on the image can be checked.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from medlab.datasets._cards import get_card
from medlab.datasets._dataset import Dataset
from medlab.datasets.synthetic_xray import smooth_noise

__all__ = ["HU", "chest_ct"]

#: Hounsfield units used for each tissue (textbook values).
HU = {
    "air": -1000.0,
    "lung": -850.0,
    "fat": -100.0,
    "soft_tissue": 40.0,
    "blood": 40.0,
    "nodule": 30.0,
    "bone": 700.0,
    "disc": 80.0,
    "csf": 15.0,
}


def _ellipsoid(z, y, x, centre, axes):
    (cz, cy, cx), (az, ay, ax) = centre, axes
    return ((z - cz) / az) ** 2 + ((y - cy) / ay) ** 2 + ((x - cx) / ax) ** 2 <= 1.0


def _check_int_tuple(name: str, value: Any, n: int, lo: int) -> tuple[int, ...]:
    try:
        out = tuple(int(v) for v in value)
    except TypeError:
        out = ()
    if len(out) != n or any(v < lo for v in out) or any(isinstance(v, bool) for v in value):
        raise ValueError(f"{name} must be {n} integers >= {lo}, got {value!r}")
    return out


def _check_float_tuple(name: str, value: Any, n: int) -> tuple[float, ...]:
    try:
        out = tuple(float(v) for v in value)
    except TypeError:
        out = ()
    if len(out) != n or not all(np.isfinite(out)) or any(v <= 0 for v in out):
        raise ValueError(f"{name} must be {n} positive numbers, got {value!r}")
    return out


def chest_ct(
    shape: Sequence[int] = (128, 128, 128),
    spacing: Sequence[float] = (2.5, 2.5, 2.5),
    n_nodules: int = 3,
    radius_mm: Sequence[float] = (3.0, 12.0),
    noise_hu: float = 15.0,
    seed: int = 0,
) -> Dataset:
    """A synthetic chest CT volume in Hounsfield units with nodules (SYNTHETIC).

    The body fills the field of view, so its size in mm scales with
    ``shape × spacing``. The default field of view, 320 mm each way, makes an
    adult: a chest about 29 cm wide and 21 cm deep, lungs of about 4.5 L
    together (an adult's total lung capacity is 4–6 L; the former default,
    (64, 128, 128) voxels of (2.5, 1.5, 1.5) mm, made a child's 0.8 L). It
    holds skin and a fat layer, chest-wall muscle, ribs, sternum, spine with
    discs and spinal canal, heart, descending aorta, trachea, two lungs with
    parenchymal texture, a posterior density gradient and vessels, and
    ``n_nodules`` solid nodules (ellipsoids) inside the lungs. The nodules are
    solitary: vessels stop 3 mm short of them, so that each nodule's edge, and
    with it its true volume and diameters, is unambiguous (real nodules often
    touch a vessel). A slight blur (scanner resolution) and Gaussian noise are
    added.

    Parameters
    ----------
    shape : 3 ints, optional
        Volume shape (z, y, x), default (128, 128, 128); each at least 16.
    spacing : 3 floats, optional
        Voxel size in mm (z, y, x), default (2.5, 2.5, 2.5).
    n_nodules : int, optional
        Number of nodules, 0-10 (default 3).
    radius_mm : 2 floats, optional
        Range of nodule radii in mm (default 3-12); each nodule's three
        semi-axes are its radius ±15 %.
    noise_hu : float, optional
        Standard deviation of the added noise in HU (default 15).
    seed : int, optional
        Random seed (default 0); the same seed gives the same volume.

    Returns
    -------
    Dataset
        ``volume`` : (z, y, x) float32, Hounsfield units (air −1000, lung about
        −850, fat −100, soft tissue and blood 40, nodules 30, bone 700).
        ``body``, ``lungs``, ``chest_wall``, ``bone``, ``heart``, ``aorta`` :
        bool masks (``lungs`` includes the vessels and nodules inside them;
        ``chest_wall`` is the body outside the inner surface of the rib cage).
        ``nodules`` : int32 label mask, 0 background, 1..k one label per nodule.
        ``truth`` : list of k dicts, one per nodule (label ``i`` is
        ``truth[i - 1]``): ``label``, ``lung`` ("right"/"left"),
        ``centre_voxel`` and ``centre_mm`` (z, y, x; mm from the centre of
        voxel (0, 0, 0)), ``semi_axes_mm``, ``radius_mm`` (equivalent sphere),
        ``volume_ml`` (exact ellipsoid volume), ``voxel_count`` and
        ``voxel_volume_ml`` (voxels in the mask × voxel volume),
        ``longest_diameter_mm`` (2 × largest semi-axis), the axial diameters
        as guidelines measure them, ``long_axis_mm`` and ``short_axis_mm``
        (2 × the larger and smaller of the y and x semi-axes: the ellipsoids
        are aligned with the axes, so the largest axial section is through the
        centre) and ``mean_axial_diameter_mm`` (their mean), and
        ``distance_to_chest_wall_mm``, ``distance_to_heart_mm`` and
        ``distance_to_aorta_mm`` (from the nearest nodule voxel centre to the
        nearest voxel centre of that structure).
        ``ds.spacing`` is ``spacing``. Axes: z from feet to head, y from
        anterior to posterior, x from the patient's right to left (so an axial
        slice ``volume[k]`` displays in the radiological convention).

    Notes
    -----
    SYNTHETIC data generated by MedLab (licence BSD-3-Clause, as MedLab); no
    patient. Generation of the defaults takes well under a second.

    Examples
    --------
    >>> ds = chest_ct(seed=1)
    >>> ds["volume"].shape, ds.spacing
    ((128, 128, 128), (2.5, 2.5, 2.5))
    """
    from scipy import ndimage

    shape = _check_int_tuple("shape", shape, 3, 16)
    spacing = _check_float_tuple("spacing", spacing, 3)
    rmin, rmax = _check_float_tuple("radius_mm", radius_mm, 2)
    if rmin > rmax:
        raise ValueError(f"radius_mm must be (min, max) with min <= max, got {radius_mm!r}")
    if (
        isinstance(n_nodules, bool)
        or not isinstance(n_nodules, (int, np.integer))
        or not (0 <= n_nodules <= 10)
    ):
        raise ValueError(f"n_nodules must be an integer from 0 to 10, got {n_nodules!r}")
    if not np.isfinite(noise_hu) or noise_hu < 0:
        raise ValueError(f"noise_hu must be a non-negative number, got {noise_hu!r}")
    rng = np.random.default_rng(seed)
    nz, ny, nx = shape
    # normalised coordinates in [-1, 1] across the field of view
    z = np.linspace(-1, 1, nz, dtype=np.float32)[:, None, None]
    y = np.linspace(-1, 1, ny, dtype=np.float32)[None, :, None]
    x = np.linspace(-1, 1, nx, dtype=np.float32)[None, None, :]

    ell = (x / 0.9) ** 2 + ((y - 0.02) / 0.66) ** 2  # body cross-section, same at all z
    body = np.broadcast_to(ell <= 1.0, shape)
    fat_inner = ell <= 0.9**2
    cavity = ell <= 0.8**2  # inner surface of the rib cage
    rib_shell = (ell <= 0.86**2) & ~cavity
    # ribs: oblique bands, about 10 mm thick with a 25 mm period along z
    z_mm = (z + 1) / 2 * (nz - 1) * spacing[0]
    y_mm = (y + 1) / 2 * (ny - 1) * spacing[1]
    rib_phase = np.cos(2 * np.pi * (z_mm + 0.35 * y_mm) / 25.0)
    ribs = rib_shell & (rib_phase > 0.55)
    sternum = (np.abs(x) < 0.07) & (y < -0.5) & (ell <= 0.88**2) & (np.abs(z) < 0.8)
    spine_body = ((x / 0.13) ** 2 + ((y - 0.42) / 0.12) ** 2) <= 1.0
    disc = np.cos(2 * np.pi * z_mm / 28.0) > 0.8
    canal = ((x / 0.05) ** 2 + ((y - 0.58) / 0.05) ** 2) <= 1.0
    lamina = ((x / 0.12) ** 2 + ((y - 0.58) / 0.09) ** 2 <= 1.0) & ~canal
    heart = _ellipsoid(z, y, x, (-0.45, -0.18, 0.12), (0.4, 0.32, 0.34))
    aorta = ((x - 0.14) ** 2 + (y - 0.3) ** 2 <= 0.075**2) & (z < 0.75)
    trachea = (x**2 + (y + 0.02) ** 2 <= 0.07**2) & (z > 0.3)
    right = _ellipsoid(z, y, x, (0.1, 0.02, -0.42), (1.0, 0.48, 0.34))
    left = _ellipsoid(z, y, x, (0.1, 0.02, 0.42), (1.0, 0.48, 0.32))
    mediastinum = heart | aorta | (np.abs(x) < 0.14) | spine_body
    lungs_right = right & cavity & ~mediastinum
    lungs_left = left & cavity & ~mediastinum
    lungs = lungs_right | lungs_left

    vol = np.full(shape, HU["air"], dtype=np.float32)
    vol[body] = HU["fat"]
    vol[np.broadcast_to(fat_inner, shape)] = HU["soft_tissue"]
    vol[ribs] = HU["bone"]
    vol[np.broadcast_to(sternum, shape)] = HU["bone"] * 0.7
    spine = np.broadcast_to(spine_body | lamina, shape)
    vol[spine] = HU["bone"]
    vol[np.broadcast_to(spine_body, shape) & np.broadcast_to(disc, shape)] = HU["disc"]
    vol[np.broadcast_to(canal, shape)] = HU["csf"]
    vol[heart | np.broadcast_to(aorta, shape)] = HU["blood"]
    vol[np.broadcast_to(trachea, shape)] = HU["air"]

    # lung parenchyma: texture, denser posteriorly (gravity), vessels as
    # thin tubes where two smooth random fields both cross zero
    texture = smooth_noise(rng, 1, shape, cells=12)[0]
    f1, f2 = smooth_noise(rng, 2, shape, cells=14)
    vessels = lungs & (np.abs(f1) < 0.15) & (np.abs(f2) < 0.15)
    parenchyma = HU["lung"] + 25.0 * texture + 60.0 * (y + 1) / 2
    vol[lungs] = np.broadcast_to(parenchyma, shape)[lungs]
    vol[vessels] = HU["blood"] - 10.0

    chest_wall = np.broadcast_to(body & ~cavity, shape)
    aorta_3d = np.broadcast_to(aorta, shape)
    labels, truth = _place_nodules(
        rng, lungs, lungs_right, chest_wall, spacing, int(n_nodules), rmin, rmax, ndimage
    )
    _add_distances(truth, labels, {"heart": heart, "aorta": aorta_3d}, spacing, ndimage)
    rim = _around_nodules(truth, shape, spacing, 3.0) & vessels  # solitary nodules
    vol[rim] = np.broadcast_to(parenchyma, shape)[rim]
    vol[labels > 0] = HU["nodule"] + 8.0 * texture[labels > 0]

    # the scanner's blur: 0.6 of the finest voxel side, at most 0.9 mm (a sharp kernel)
    blur_mm = min(0.6 * min(spacing), 0.9)
    vol = ndimage.gaussian_filter(vol, sigma=blur_mm / np.asarray(spacing))
    if noise_hu > 0:
        vol += rng.standard_normal(shape, dtype=np.float32) * np.float32(noise_hu)
    bone = np.broadcast_to(ribs | sternum | spine_body | lamina, shape) & ~(
        np.broadcast_to(spine_body, shape) & np.broadcast_to(disc, shape)
    )
    data = {
        "volume": vol.astype(np.float32),
        "body": np.ascontiguousarray(body),
        "lungs": lungs,
        "nodules": labels,
        "chest_wall": np.ascontiguousarray(chest_wall),
        "heart": heart,
        "aorta": np.ascontiguousarray(aorta_3d),
        "bone": np.ascontiguousarray(bone),
        "truth": truth,
    }
    meta = {
        "seed": seed,
        "shape": shape,
        "n_nodules": int(n_nodules),
        "radius_mm": (rmin, rmax),
        "noise_hu": float(noise_hu),
        "hu": dict(HU),
        "axes": "z feet->head, y anterior->posterior, x patient right->left",
    }
    return Dataset(get_card("synthetic_chest_ct"), data, spacing=spacing, meta=meta)


def _place_nodules(
    rng: np.random.Generator,
    lungs: np.ndarray,
    lungs_right: np.ndarray,
    chest_wall: np.ndarray,
    spacing: tuple[float, ...],
    n: int,
    rmin: float,
    rmax: float,
    ndimage: Any,
) -> tuple[np.ndarray, list[dict[str, Any]]]:
    """Put ``n`` non-overlapping ellipsoids fully inside the lungs; return labels and truth."""
    labels = np.zeros(lungs.shape, dtype=np.int32)
    truth: list[dict[str, Any]] = []
    if n == 0:
        return labels, truth
    sp = np.asarray(spacing)
    # the chest wall is the same in every slice, so the nearest chest-wall voxel
    # lies in the same slice: a 2D distance transform is exact and fast
    to_wall_2d = ndimage.distance_transform_edt(~chest_wall[0], sampling=sp[1:])
    lung_voxels = np.flatnonzero(lungs.ravel())
    centres: list[tuple[np.ndarray, float]] = []
    voxel_ml = float(np.prod(sp)) / 1000.0
    for label in range(1, n + 1):
        for _attempt in range(500):
            radius = rng.uniform(rmin, rmax)
            axes = radius * rng.uniform(0.85, 1.15, 3)
            margin = axes.max() + 2.0 * sp.max()  # keep clear of the pleura
            idx = np.array(np.unravel_index(rng.choice(lung_voxels), lungs.shape), dtype=float)
            centre = idx + rng.uniform(-0.5, 0.5, 3)
            if any(np.linalg.norm((centre - c) * sp) < axes.max() + r + 3.0 for c, r in centres):
                continue
            ball, box = _ball(centre, margin, sp, lungs.shape)
            if ball is not None and lungs[box][ball].all():
                break
        else:
            raise ValueError(
                f"cannot fit {n} non-overlapping nodules of radius {rmin}-{rmax} mm in the lungs "
                f"of a {lungs.shape} volume with spacing {tuple(spacing)} mm; use fewer or "
                "smaller nodules or a larger field of view"
            )
        centres.append((centre, float(axes.max())))
        half = np.ceil(axes / sp).astype(int) + 1
        lo = np.maximum(np.floor(centre).astype(int) - half, 0)
        hi = np.minimum(np.floor(centre).astype(int) + half + 1, lungs.shape)
        grid = np.ogrid[lo[0] : hi[0], lo[1] : hi[1], lo[2] : hi[2]]
        inside = (
            sum(((g - c) * s / a) ** 2 for g, c, s, a in zip(grid, centre, sp, axes, strict=True))
            <= 1
        )
        box = tuple(slice(a, b) for a, b in zip(lo, hi, strict=True))
        labels[box][inside] = label
        mask = labels == label
        count = int(mask.sum())
        truth.append(
            {
                "label": label,
                "lung": "right" if lungs_right[tuple(np.round(centre).astype(int))] else "left",
                "centre_voxel": tuple(float(c) for c in centre),
                "centre_mm": tuple(float(c) for c in centre * sp),
                "semi_axes_mm": tuple(float(a) for a in axes),
                "radius_mm": float(np.prod(axes) ** (1 / 3)),
                "volume_ml": float(4 / 3 * np.pi * np.prod(axes) / 1000.0),
                "voxel_count": count,
                "voxel_volume_ml": count * voxel_ml,
                "longest_diameter_mm": float(2 * axes.max()),
                "long_axis_mm": float(2 * max(axes[1], axes[2])),
                "short_axis_mm": float(2 * min(axes[1], axes[2])),
                "mean_axial_diameter_mm": float(axes[1] + axes[2]),
                "distance_to_chest_wall_mm": float(to_wall_2d[mask.any(axis=0)].min()),
            }
        )
    return labels, truth


def _around_nodules(truth, shape, spacing, margin_mm):
    """Voxels within about ``margin_mm`` of a nodule (each semi-axis grown by the margin)."""
    near = np.zeros(shape, bool)
    sp = np.asarray(spacing)
    for t in truth:
        centre, axes = np.asarray(t["centre_voxel"]), np.asarray(t["semi_axes_mm"]) + margin_mm
        half = np.ceil(axes / sp).astype(int) + 1
        lo = np.maximum(np.floor(centre).astype(int) - half, 0)
        hi = np.minimum(np.floor(centre).astype(int) + half + 1, shape)
        grid = np.ogrid[lo[0] : hi[0], lo[1] : hi[1], lo[2] : hi[2]]
        terms = zip(grid, centre, sp, axes, strict=True)
        inside = sum(((g - c) * s / a) ** 2 for g, c, s, a in terms)
        near[tuple(slice(a, b) for a, b in zip(lo, hi, strict=True))] |= inside <= 1
    return near


def _ball(centre, radius_mm, sp, shape):
    """Boolean ball of ``radius_mm`` around ``centre`` (voxels) and its box, or None at edges."""
    half = np.ceil(radius_mm / sp).astype(int) + 1
    lo = np.floor(centre).astype(int) - half
    hi = np.floor(centre).astype(int) + half + 1
    if np.any(lo < 0) or np.any(hi > np.asarray(shape)):
        return None, None
    grid = np.ogrid[lo[0] : hi[0], lo[1] : hi[1], lo[2] : hi[2]]
    dist2 = sum(((g - c) * s) ** 2 for g, c, s in zip(grid, centre, sp, strict=True))
    return dist2 <= radius_mm**2, tuple(slice(a, b) for a, b in zip(lo, hi, strict=True))


def _add_distances(truth, labels, structures, spacing, ndimage):
    """Add ``distance_to_<name>_mm`` (nearest voxel centres, in mm) to each nodule's truth."""
    from scipy.spatial import cKDTree

    sp = np.asarray(spacing)
    for name, mask in structures.items():
        boxes = ndimage.find_objects(mask.astype(np.uint8))
        if not boxes:
            points = np.empty((0, 3))
        else:  # the nearest voxel of a solid structure lies on its surface
            box = boxes[0]
            sub = mask[box]
            surface = sub & ~ndimage.binary_erosion(sub, border_value=0)
            points = (np.argwhere(surface) + [b.start for b in box]) * sp
        tree = cKDTree(points) if len(points) else None
        for t in truth:
            if tree is None:
                t[f"distance_to_{name}_mm"] = float("inf")
                continue
            dist, _ = tree.query(np.argwhere(labels == t["label"]) * sp)
            t[f"distance_to_{name}_mm"] = float(dist.min())
