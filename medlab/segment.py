"""Classical segmentation of a chest CT: body, airways, lungs, and a lesion marked from a click.

These are the steps a surgical-planning tool takes before any measurement, written with
SciPy and scikit-image so that each one can be read and questioned:

- :func:`body_mask` — the patient, without the air around them or the table;
- :func:`airway_mask` — the trachea and main bronchi, grown down from the neck with a
  check that stops the growth when it "explodes" into the lungs;
- :func:`lung_masks` — the right and left lung, with the airways taken out (on a real scan
  the trachea joins both lungs into one air space, so "the two largest air components",
  enough on a phantom, fails);
- :func:`mark_lesion` — a lesion marked from one seed point (a click): region growing in an
  intensity window, limited to a radius around the seed and to the lung field, with a
  morphological opening that cuts the thin vessels a tumour touches;
- :func:`lung_field` — the slice-wise convex hull of both lungs, where a lesion is marked;
- :func:`chest_regions` — the chest wall, the mediastinum and the paravertebral region
  around the lungs, for distances.

Volumes are CT in Hounsfield units, indexed ``(z, y, x)`` (slices feet → head, rows
anterior → posterior, columns patient right → left), with ``spacing`` in mm per axis, as
:func:`medlab.datasets.load` returns them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = [
    "airway_mask",
    "body_mask",
    "chest_regions",
    "lung_field",
    "lung_masks",
    "mark_lesion",
]

AIR_HU = -400.0  # aerated lung and air are darker than this; soft tissue is brighter


def _volume(ct: Any, name: str = "ct") -> np.ndarray:
    v = np.asarray(ct)
    if v.ndim != 3:
        raise ValueError(f"{name} must be a 3D volume (z, y, x), found shape {v.shape}")
    if not np.issubdtype(v.dtype, np.number):
        raise ValueError(f"{name} must be numeric (Hounsfield units), found {v.dtype}")
    return v


def _spacing(spacing: Sequence[float]) -> np.ndarray:
    sp = np.asarray(spacing, dtype=np.float64)
    if sp.shape != (3,) or not np.all(sp > 0):
        raise ValueError(f"spacing must be three positive sizes in mm (z, y, x), got {spacing!r}")
    return sp


def _largest(mask: np.ndarray, n: int = 1, structure: np.ndarray | None = None) -> np.ndarray:
    """The ``n`` largest connected components of ``mask``, as one mask."""
    from scipy import ndimage

    labels, count = ndimage.label(mask, structure=structure)
    if count == 0:
        return np.zeros_like(mask, dtype=bool)
    sizes = np.bincount(labels.ravel())
    sizes[0] = 0
    keep = np.argsort(sizes)[::-1][:n]
    lookup = np.zeros(count + 1, bool)
    lookup[keep[sizes[keep] > 0]] = True
    return lookup[labels]


# connectivity within a slice only: 3D labelling that treats every slice on its own
_IN_SLICE = np.zeros((3, 3, 3), bool)
_IN_SLICE[1] = [[0, 1, 0], [1, 1, 1], [0, 1, 0]]


def _fill_slices(mask: np.ndarray) -> np.ndarray:
    """Fill the holes of every axial slice (background not connected to the slice's edge)."""
    from scipy import ndimage

    background, count = ndimage.label(~mask, structure=_IN_SLICE)
    edge = np.zeros(count + 1, bool)
    for face in (
        background[:, 0, :],
        background[:, -1, :],
        background[:, :, 0],
        background[:, :, -1],
    ):
        edge[np.unique(face)] = True
    edge[0] = True  # label 0 is the mask itself
    return ~edge[background] | mask


def body_mask(ct: Any, threshold_hu: float = -500.0) -> np.ndarray:
    """The patient's body: tissue denser than ``threshold_hu``, its largest part, holes filled.

    The air around the patient is outside; the lungs and airways, being inside the body
    outline, are filled in slice by slice. The table, a separate object, is dropped.

    Parameters
    ----------
    ct : array_like
        CT volume in HU, (z, y, x).
    threshold_hu : float
        Tissue/air boundary (default −500 HU).

    Returns
    -------
    numpy.ndarray of bool
        Same shape as ``ct``.
    """
    v = _volume(ct)
    tissue = _largest(v > threshold_hu)
    return _fill_slices(tissue)


def airway_mask(
    ct: Any,
    spacing: Sequence[float],
    *,
    body: np.ndarray | None = None,
    threshold_hu: float = -900.0,
    max_area_mm2: float = 700.0,
    growth_limit: float = 2.5,
) -> np.ndarray:
    """The trachea and main bronchi, grown from the top slice down until they reach the lungs.

    The trachea is the air-filled tube nearest the middle of the body in the highest
    slice that has one. From there the airway is followed down slice by slice: each
    slice keeps the very dark (``< threshold_hu``) regions that overlap the airway just
    above. Where the airway enters the lung, a region suddenly becomes large (its area
    jumps by more than ``growth_limit`` times, or passes ``max_area_mm2``): that branch is
    stopped there ("explosion control", the classic guard of airway region growing).

    Parameters
    ----------
    ct : array_like
        CT volume in HU, (z, y, x), covering the upper chest.
    spacing : sequence of 3 floats
        Voxel size in mm (z, y, x).
    body : ndarray of bool, optional
        The body mask (computed if not given).
    threshold_hu : float
        Air in the airways is darker than this (default −900 HU).
    max_area_mm2 : float
        A cross-section larger than this is lung, not airway (default 700 mm², a tube of
        about 30 mm).
    growth_limit : float
        A region more than this many times larger than the airway above it has leaked.

    Returns
    -------
    numpy.ndarray of bool
        The airways (all False if no trachea is found).
    """
    from scipy import ndimage

    v = _volume(ct)
    sp = _spacing(spacing)
    body = body_mask(v) if body is None else np.asarray(body, bool)
    pixel_mm2 = sp[1] * sp[2]
    dark = (v < threshold_hu) & ndimage.binary_erosion(body, iterations=2)
    airways = np.zeros_like(dark)
    above: np.ndarray | None = None
    above_area = 0.0
    for z in range(v.shape[0] - 1, -1, -1):  # from the head down
        labels, n = ndimage.label(dark[z])
        if n == 0:
            if above is not None:
                break
            continue
        areas = np.bincount(labels.ravel())[1:] * pixel_mm2
        if above is None:  # looking for the trachea: a tube near the body's middle
            ys, xs = np.nonzero(body[z])
            if ys.size == 0:
                continue
            centre = np.array([ys.mean(), xs.mean()])
            best, best_d = 0, np.inf
            for i in range(1, n + 1):
                if not 50.0 <= areas[i - 1] <= max_area_mm2:
                    continue
                c = np.array(ndimage.center_of_mass(labels == i))
                d = float(np.linalg.norm((c - centre) * sp[1:]))
                if d < best_d and d < 40.0:
                    best, best_d = i, d
            if best:
                above = labels == best
                above_area = areas[best - 1]
                airways[z] = above
            continue
        touching = np.unique(labels[ndimage.binary_dilation(above, iterations=1) & (labels > 0)])
        keep = np.zeros_like(above)
        for i in touching:
            area = areas[i - 1]
            if area > max_area_mm2 or area > growth_limit * max(above_area, 50.0):
                continue  # exploded into the lung: stop this branch here
            keep |= labels == i
        if not keep.any():
            break
        airways[z] = keep
        above, above_area = keep, float(keep.sum() * pixel_mm2)
    return airways


def lung_masks(
    ct: Any,
    spacing: Sequence[float],
    *,
    threshold_hu: float = AIR_HU,
    fill: bool = True,
    step: int = 2,
) -> dict[str, np.ndarray]:
    """Right and left lung masks of a chest CT, the airways removed.

    Air inside the body (``< threshold_hu``) is found, the airways
    (:func:`airway_mask`, slightly dilated) are taken out, and the two largest remaining
    air components are the lungs; the one on the patient's right (smaller column index,
    the left of the screen) is the right lung. If the lungs still touch (an anterior
    junction), they are split at the midline between them. With ``fill``, vessels and
    nodules inside the lungs are included (holes filled slice by slice and a small
    closing), as a clinical lung mask does; a tumour on the lung's edge (touching the
    chest wall) stays outside, which is why :func:`mark_lesion` uses the lungs' hull.

    Parameters
    ----------
    ct : array_like
        CT volume in HU, (z, y, x).
    spacing : sequence of 3 floats
        Voxel size in mm (z, y, x).
    threshold_hu : float
        Aerated lung is darker than this (default −400 HU).
    fill : bool
        Include the vessels and nodules inside the lungs (default True).
    step : int
        Work on ``step × step`` pixel blocks (their mean HU): the default 2 segments a
        512 × 512 CT at 256 × 256, four times faster, with pixels still finer than the
        slices are thick; the masks are returned at full resolution (edges in steps of
        ``step`` pixels). 1 works at full resolution.

    Returns
    -------
    dict of str to numpy.ndarray of bool
        ``"right"``, ``"left"``, ``"lungs"`` (both), ``"airways"``, ``"body"``, each the
        shape of ``ct``.

    Raises
    ------
    ValueError
        If fewer than two lung-sized air regions are found (not a chest CT?).
    """
    from scipy import ndimage

    full = _volume(ct)
    f = int(step)
    if f < 1:
        raise ValueError(f"step must be a positive integer, got {step!r}")
    v = _shrink(full, f)
    sp = _spacing(spacing) * np.array([1.0, f, f])
    body = body_mask(v)
    airways = airway_mask(v, sp, body=body)
    air = (v < threshold_hu) & body & ~ndimage.binary_dilation(airways, iterations=2)
    air = ndimage.binary_opening(air, iterations=1)  # cut thin bridges
    lungs = _largest(air, 2)
    labels, n = ndimage.label(lungs)
    voxel_ml = float(np.prod(sp)) / 1000.0
    if n == 1:  # the lungs touch: split at the gap between them along x
        profile = lungs.sum(axis=(0, 1)).astype(float)
        xs = np.nonzero(profile)[0]
        middle = xs[len(xs) // 4 : 3 * len(xs) // 4]
        cut = int(middle[np.argmin(profile[middle])])
        labels = np.where(lungs, np.where(np.arange(v.shape[2]) < cut, 1, 2), 0)
        n = 2
    sizes = np.bincount(labels.ravel())[1:] * voxel_ml
    if n < 2 or sorted(sizes)[-2] < 100.0:
        raise ValueError(
            f"found {n} lung-sized air regions (volumes {np.round(sizes, 1).tolist()} mL); "
            "expected two lungs of at least 100 mL: is this a chest CT in HU?"
        )
    first, second = (labels == 1), (labels == 2)
    x = np.arange(v.shape[2])
    mean_x = [float((m.sum(axis=(0, 1)) * x).sum() / m.sum()) for m in (first, second)]
    right, left = (first, second) if mean_x[0] < mean_x[1] else (second, first)
    if fill:
        width = max(3, 2 * round(2.0 / sp[1]) + 1)  # a closing about 4 mm across
        ball = np.ones((1, width, width), bool)
        right = _fill_slices(ndimage.binary_closing(right, structure=ball) | right)
        left = _fill_slices(ndimage.binary_closing(left, structure=ball) | left)
        left &= ~right
        right &= ~airways  # the main bronchi stay out even where the lung wraps them
        left &= ~airways
    masks = {"right": right, "left": left, "lungs": right | left, "airways": airways, "body": body}
    return {name: _grow(mask, f, full.shape) for name, mask in masks.items()}


def _shrink(v: np.ndarray, f: int) -> np.ndarray:
    """Mean of ``f × f`` in-plane blocks (edges that do not fill a block are dropped)."""
    if f == 1:
        return v
    nz, ny, nx = v.shape
    cropped = np.asarray(v[:, : ny - ny % f, : nx - nx % f], dtype=np.float32)
    return cropped.reshape(nz, ny // f, f, nx // f, f).mean(axis=(2, 4))


def _grow(mask: np.ndarray, f: int, shape: tuple[int, ...]) -> np.ndarray:
    """Back to full resolution: repeat each pixel ``f × f`` times, pad to ``shape``."""
    if f == 1:
        return mask
    big = np.repeat(np.repeat(mask, f, axis=1), f, axis=2)
    out = np.zeros(shape, bool)
    out[:, : big.shape[1], : big.shape[2]] = big
    return out


def _slice_hulls(mask: np.ndarray) -> np.ndarray:
    """The convex hull of the mask in every axial slice.

    The hull's corners are outline pixels' corners; each row of pixel centres meets the
    convex polygon in one interval, found by intersecting the row with every edge.
    """
    from scipy import ndimage
    from scipy.spatial import ConvexHull, QhullError

    hulls = np.zeros_like(mask, dtype=bool)
    outline = mask & ~ndimage.binary_erosion(mask, structure=_IN_SLICE)
    for z, plane in enumerate(mask):
        points = np.argwhere(outline[z])
        if len(points) < 3:
            hulls[z] = plane
            continue
        corners = np.concatenate([points + d for d in ((0, 0), (0, 1), (1, 0), (1, 1))]) - 0.5
        try:
            vertices = corners[ConvexHull(corners).vertices]  # counter-clockwise
        except QhullError:  # all points on a line
            hulls[z] = plane
            continue
        # a convex polygon meets each row in one interval: intersect the row with every edge
        rows = np.arange(points[:, 0].min(), points[:, 0].max() + 1, dtype=np.float64)
        a, b = vertices, np.roll(vertices, -1, axis=0)
        dr = b[:, 0] - a[:, 0]
        with np.errstate(divide="ignore", invalid="ignore"):
            t = (rows[:, None] - a[None, :, 0]) / dr[None, :]
        on_edge = (t >= 0) & (t <= 1) & (dr[None, :] != 0)
        col = a[None, :, 1] + t * (b[None, :, 1] - a[None, :, 1])
        low = np.where(on_edge, col, np.inf).min(axis=1)
        high = np.where(on_edge, col, -np.inf).max(axis=1)
        for r, lo_c, hi_c in zip(rows.astype(int), np.ceil(low), np.floor(high), strict=True):
            if lo_c <= hi_c:
                hulls[z, r, max(int(lo_c), 0) : min(int(hi_c), plane.shape[1] - 1) + 1] = True
        hulls[z] |= plane
    return hulls


def lung_field(lungs: Any) -> np.ndarray:
    """The lung field: the convex hull of both lungs in every axial slice.

    It holds the lungs and what lies between and within them on each slice (the
    mediastinum, a tumour on the lung's edge), and stops at the chest wall: the region
    :func:`mark_lesion` grows in. Compute it once when marking repeatedly.

    Parameters
    ----------
    lungs : array_like of bool
        Both lungs (:func:`lung_masks`), (z, y, x).

    Returns
    -------
    numpy.ndarray of bool
        Same shape.
    """
    return _slice_hulls(np.asarray(lungs, bool))


def chest_regions(
    lungs: Any,
    body: Any,
    ct: Any | None = None,
    spacing: Sequence[float] | None = None,
) -> dict[str, np.ndarray]:
    """The chest wall, the mediastinum and the paravertebral region around the lungs.

    In each axial slice the convex hull of both lungs approximates the thoracic cavity as
    seen on that slice; inside the body but outside the hull lies the **chest wall**
    (ribs, muscle, fat, skin). Inside the hull but outside the lungs lies what is between
    and behind them. Given the CT (and its spacing), that part is split the way the ITMIG
    classification of mediastinal compartments does (Carter et al., 2014): in each slice
    the front of the vertebral body is found (bone denser than 150 HU, in the middle of the
    back), and a line 1 cm behind it separates the **mediastinum** in front (ITMIG's
    prevascular and visceral compartments: heart, great vessels, trachea, oesophagus,
    descending aorta) from the **paravertebral** region behind (the spine and the tissue
    beside it). Without the CT the whole of it is called mediastinum, spine included.

    A geometric approximation, good enough to measure how far a lesion is from each, with
    known errors: the hull's chord between the lungs' posterior edges puts posterior ribs
    and back muscles into the paravertebral region, and the chord between their anterior
    edges a little of the anterior chest wall into the mediastinum; at the lung bases the
    upper abdomen under the domes of the diaphragm (liver, spleen, stomach) falls inside
    the hull; aerated lung that the lung mask missed counts as mediastinum.

    Parameters
    ----------
    lungs, body : array_like of bool
        Masks from :func:`lung_masks`, (z, y, x).
    ct : array_like, optional
        The CT in HU, (z, y, x): with it the paravertebral region is split off.
    spacing : sequence of 3 floats, optional
        Voxel size in mm (z, y, x); required with ``ct``.

    Returns
    -------
    dict of str to numpy.ndarray of bool
        ``"hull"``, ``"mediastinum"``, ``"paravertebral"`` (empty without ``ct``, or if no
        vertebra is found), ``"chest_wall"``; the last three and the lungs do not overlap.

    Raises
    ------
    ValueError
        If ``ct`` is given without ``spacing``, or the shapes differ.

    References
    ----------
    B. W. Carter et al., *ITMIG definitions and policies: a modern definition of
    mediastinal compartments*, J. Thorac. Oncol. 9 (2014) S97–S101.
    """
    lungs = np.asarray(lungs, bool)
    body = np.asarray(body, bool)
    hull = lung_field(lungs) & body
    inside = hull & ~lungs
    paravertebral = np.zeros_like(inside)
    if ct is not None:
        v = _volume(ct)
        if spacing is None:
            raise ValueError("chest_regions needs the CT's spacing (mm) to find the spine")
        sp = _spacing(spacing)
        if v.shape != lungs.shape or body.shape != lungs.shape:
            raise ValueError(
                f"ct, lungs and body must have one shape, got {v.shape}, {lungs.shape}, "
                f"{body.shape}"
            )
        front = _vertebral_fronts(v, inside, body, sp)
        if front is not None:
            boundary = front + 10.0 / sp[1]  # ITMIG: 1 cm behind the vertebral body's front
            rows = np.arange(v.shape[1])
            paravertebral = inside & (rows[None, :, None] >= boundary[:, None, None])
    return {
        "hull": hull,
        "mediastinum": inside & ~paravertebral,
        "paravertebral": paravertebral,
        "chest_wall": body & ~hull,
    }


def _vertebral_fronts(
    ct: np.ndarray, inside: np.ndarray, body: np.ndarray, sp: np.ndarray
) -> np.ndarray | None:
    """The row of the vertebral body's front in every slice (None if no vertebra is found).

    In each slice, the dense (> 150 HU, gaps closed, holes filled) piece between the
    lungs with the most pixels within 15 mm of the body's midline, behind the middle of
    the hull, is the vertebra; its front is its most anterior pixel within 10 mm of the
    midline. Slices without one are interpolated; a running median over five slices
    removes single-slice slips.
    """
    from scipy import ndimage

    nz, _, nx = ct.shape
    found = np.full(nz, np.nan)
    columns = np.arange(nx)
    for z in range(nz):
        if not inside[z].any() or not body[z].any():
            continue
        x_mid = np.nonzero(body[z].any(axis=0))[0].mean()
        hull_rows = np.nonzero(inside[z].any(axis=1))[0]
        y_mid = (hull_rows.min() + hull_rows.max()) / 2
        dense = ndimage.binary_closing((ct[z] > 150.0) & inside[z], iterations=2)
        labels, count = ndimage.label(ndimage.binary_fill_holes(dense))
        if count == 0:
            continue
        offset_mm = np.abs(columns - x_mid) * sp[2]
        rows_of, cols_of = np.nonzero(labels)
        central = (offset_mm[cols_of] < 15.0) & (rows_of > y_mid)
        votes = np.bincount(labels[rows_of, cols_of][central], minlength=count + 1)
        votes[0] = 0
        best = int(votes.argmax())
        if votes[best] * sp[1] * sp[2] < 100.0:  # less than 1 cm² of bone there: none
            continue
        in_front = (labels[rows_of, cols_of] == best) & (offset_mm[cols_of] < 10.0)
        if in_front.any():
            found[z] = rows_of[in_front].min()
    ok = np.isfinite(found)
    if not ok.any():
        return None
    filled = np.interp(np.arange(nz), np.nonzero(ok)[0], found[ok])
    return ndimage.median_filter(filled, size=5, mode="nearest")


def mark_lesion(
    ct: Any,
    seed: Sequence[int],
    spacing: Sequence[float],
    *,
    lungs: np.ndarray | None = None,
    field: np.ndarray | None = None,
    threshold_hu: float = -300.0,
    radius_mm: float = 30.0,
    opening_mm: float = 2.0,
) -> np.ndarray:
    """Mark the lesion under ``seed``: region growing limited in intensity, space and shape.

    1. Voxels denser than ``threshold_hu`` (a solid lesion is, aerated lung is not)
       within ``radius_mm`` of the seed;
    2. limited to the lung field — the slice-wise convex hull of ``lungs`` — so that the
       growth stops at the chest wall even where a tumour touches it (it does not stop at
       the diaphragm or the mediastinum, which lie inside that hull: a too large radius
       leaks there, and the user corrects it);
    3. the connected piece that holds the seed;
    4. a morphological opening with a ball of ``opening_mm`` cuts the vessels and bronchial
       walls attached to the lesion (thinner than the ball): the part of the piece that
       survives it at the seed (or within two ball radii of it, for a click on the
       lesion's rim) is kept, with the rim the opening shaved off given back. If nothing
       survives near the seed, the lesion itself is thinner than the ball: the piece is
       kept as it was before the opening, without the thicker structures it runs into.
       Only the seed's own piece is ever returned, never another structure nearby;
    5. holes filled, slice by slice.

    Parameters
    ----------
    ct : array_like
        CT volume in HU, (z, y, x).
    seed : sequence of 3 ints
        A voxel (z, y, x) inside the lesion, e.g. where the user clicked.
    spacing : sequence of 3 floats
        Voxel size in mm (z, y, x).
    lungs : ndarray of bool, optional
        Both lungs (:func:`lung_masks`); their slice-wise hull is the lung field.
    field : ndarray of bool, optional
        The lung field itself (:func:`lung_field`), if already computed:
        faster when marking repeatedly. Without ``lungs`` or ``field`` the growth is
        limited by intensity and radius only.
    threshold_hu : float
        Lower HU limit of the lesion (default −300 HU: solid tissue; a lower value takes
        in part-solid and ground-glass margins, and more of the vessels).
    radius_mm : float
        Nothing farther than this from the seed is marked (default 30 mm).
    opening_mm : float
        Radius of the opening ball; 0 to skip. Structures thinner than about twice this
        are cut off (a lesion thinner than that is kept whole, see step 4). The ball is
        measured in mm on the voxel grid: where the slices are thicker than the radius
        (5 mm slices, 2 mm ball) it is one slice deep, a disc, and the opening works in
        the axial plane only.

    Returns
    -------
    numpy.ndarray of bool
        The marked lesion, same shape as ``ct`` (empty if the seed is not dense).

    Notes
    -----
    Only a box of ``radius_mm`` around the seed is processed, so one call takes a few tens
    of milliseconds on a 512 × 512 CT, fast enough to follow clicks.
    """
    from scipy import ndimage

    v = _volume(ct)
    sp = _spacing(spacing)
    seed = tuple(int(s) for s in seed)
    if len(seed) != 3 or not all(0 <= s < n for s, n in zip(seed, v.shape, strict=True)):
        raise ValueError(f"seed {seed!r} is not a voxel index inside the volume {v.shape}")
    half = np.ceil(radius_mm / sp).astype(int)
    lo = np.maximum(np.subtract(seed, half), 0)
    hi = np.minimum(np.add(seed, half) + 1, v.shape)
    box = tuple(slice(a, b) for a, b in zip(lo, hi, strict=True))
    local_seed = tuple(int(s - a) for s, a in zip(seed, lo, strict=True))
    grid = np.ogrid[tuple(slice(a - s, b - s) for a, b, s in zip(lo, hi, seed, strict=True))]
    near = sum((g * d) ** 2 for g, d in zip(grid, sp, strict=True)) <= radius_mm**2
    candidate = (v[box] > threshold_hu) & near
    if field is None and lungs is not None:
        zs = slice(lo[0], hi[0])  # hulls of whole slices: a box may cut the lungs off
        field_box = _slice_hulls(np.asarray(lungs, bool)[zs])[:, box[1], box[2]]
    elif field is not None:
        field_box = np.asarray(field, bool)[box]
    else:
        field_box = None
    if field_box is not None:
        candidate &= field_box
    out = np.zeros(v.shape, bool)
    if not candidate[local_seed]:
        return out
    region = _seed_component(candidate, local_seed)  # the piece the click is on
    if opening_mm > 0:
        cube = np.ones((3, 3, 3), bool)
        opened = ndimage.binary_opening(candidate, structure=_ball(opening_mm, sp)) & region
        kept = _opened_part(opened, local_seed, sp, 2 * opening_mm)
        if kept is not None:  # give back the rim the opening shaved off, within the piece
            region = ndimage.binary_dilation(kept, structure=cube) & region
        elif opened.any():  # a lesion thinner than the ball: keep it, not the thick
            rest = region & ~ndimage.binary_dilation(opened, structure=cube)  # parts it joins
            if rest[local_seed]:
                region = _seed_component(rest, local_seed)
    out[box] = _fill_slices(region)
    return out


def _seed_component(mask: np.ndarray, seed: tuple[int, ...]) -> np.ndarray:
    """The 26-connected component of ``mask`` that holds ``seed``."""
    from scipy import ndimage

    labels, _ = ndimage.label(mask, structure=np.ones((3, 3, 3), bool))
    return labels == labels[seed]


def _ball(radius_mm: float, sp: np.ndarray) -> np.ndarray:
    """A ball of ``radius_mm`` on the voxel grid.

    Flat (one slice) where slices are thicker than the radius, so that on 5 mm slices the
    opening works in-plane only.
    """
    r = np.maximum(np.floor(radius_mm / sp).astype(int), 0)
    g = np.ogrid[tuple(slice(-k, k + 1) for k in r)]
    return sum((gi * d / radius_mm) ** 2 for gi, d in zip(g, sp, strict=True)) <= 1.0


def _opened_part(
    opened: np.ndarray, seed: tuple[int, ...], sp: np.ndarray, reach_mm: float
) -> np.ndarray | None:
    """The opened component that holds ``seed`` or lies within ``reach_mm`` of it.

    ``opened`` is already limited to the seed's own piece, so a structure that was never
    connected to the seed (a vessel beside a small nodule) can never be chosen. ``None``
    when nothing of the piece survived the opening near the seed: the lesion itself is
    thinner than the ball, and the piece is kept whole.
    """
    from scipy import ndimage

    labels, count = ndimage.label(opened, structure=np.ones((3, 3, 3), bool))
    if count == 0:
        return None
    label = labels[seed]
    if label == 0:  # the click sat on a rim or strand the opening removed: the nearest part
        distance, (iz, iy, ix) = ndimage.distance_transform_edt(
            labels == 0, sampling=sp, return_indices=True
        )
        if distance[seed] > reach_mm:
            return None
        label = labels[iz[seed], iy[seed], ix[seed]]
    return labels == label
