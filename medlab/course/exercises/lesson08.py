"""Exercises of lesson 08 (3D and computer-assisted surgery): measurements in mm and mL."""

from __future__ import annotations

from typing import Any

import numpy as np

from medlab.course.exercises import ExerciseDef, Item
from medlab.course.exercises._functions import as_number, call_safely, require_function

__all__ = ["EXERCISES"]


def _ellipsoid(shape, centre, semi_axes_mm, spacing, tilt=0.0):
    """A voxelised ellipsoid (semi-axes in mm), optionally rotated in the (y, x) plane."""
    z, y, x = (np.indices(shape).astype(float).T - np.asarray(centre)).T * np.reshape(
        spacing, (3, 1, 1, 1)
    )
    c, s = np.cos(tilt), np.sin(tilt)
    y, x = c * y - s * x, s * y + c * x
    az, ay, ax = semi_axes_mm
    return (z / az) ** 2 + (y / ay) ** 2 + (x / ax) ** 2 <= 1.0


def _cases() -> list[tuple[np.ndarray, tuple[float, float, float]]]:
    return [
        (_ellipsoid((16, 30, 30), (7.3, 14.6, 15.2), (9.0, 8.0, 12.0), (2.5, 1.5, 1.5), 0.6),
         (2.5, 1.5, 1.5)),
        (_ellipsoid((20, 20, 20), (9.5, 9.5, 9.5), (6.0, 4.0, 5.0), (1.0, 1.0, 1.0)),
         (1.0, 1.0, 1.0)),
        (_ellipsoid((12, 40, 40), (5.5, 20.0, 19.0), (12.0, 10.0, 6.0), (3.0, 0.7, 0.7), 0.3),
         (3.0, 0.7, 0.7)),
    ]


def _describe(mask: np.ndarray, spacing) -> str:
    return f"a {int(mask.sum())}-voxel ellipsoid with spacing {spacing} mm"


def check_volume(answer: Any) -> list[Item]:
    """``nodule_volume_ml(mask, spacing)``: voxel count × voxel volume, in mL."""
    items = require_function(answer, "nodule_volume_ml")
    if not items[0].ok:
        return items
    for mask, sp in _cases():
        got, error = call_safely(answer, "nodule_volume_ml", mask, sp)
        if error:
            return [*items, error]
        value, bad = as_number(got, "the volume in mL")
        if bad:
            return [*items, bad]
        count = int(mask.sum())
        want = count * float(np.prod(sp)) / 1000.0
        if np.isclose(value, want, rtol=1e-6):
            continue
        if np.isclose(value, count) or np.isclose(value, count / 1000):
            msg = "that is the number of voxels, not a volume: each voxel has a size in mm"
        elif np.isclose(value, want * 1000, rtol=1e-6):
            msg = "that is the volume in mm³; 1 mL = 1 cm³ = 1000 mm³"
        elif np.isclose(value, count * sp[1] * sp[2] / 1000) or np.isclose(
            value, count * sp[0] ** 3 / 1000
        ):
            msg = "a voxel is a box: use the spacing of all three axes"
        else:
            msg = f"{value:.4g} mL is not the volume of {_describe(mask, sp)}"
        return [*items, Item(False, msg)]
    items.append(Item(True, "volumes in mL are right on three ellipsoids with different spacings"))
    return items


def _diameter(mask: np.ndarray, sp) -> float:
    from scipy.spatial.distance import pdist

    return float(pdist(np.argwhere(mask) * np.asarray(sp)).max())


def check_diameter(answer: Any) -> list[Item]:
    """``longest_diameter(mask, spacing)``: the farthest pair of voxel centres, in mm."""
    items = require_function(answer, "longest_diameter")
    if not items[0].ok:
        return items
    for mask, sp in _cases():
        got, error = call_safely(answer, "longest_diameter", mask, sp)
        if error:
            return [*items, error]
        value, bad = as_number(got, "the diameter in mm")
        if bad:
            return [*items, bad]
        want = _diameter(mask, sp)
        if abs(value - want) <= 1e-6 * want + 1e-9:
            continue
        idx = np.argwhere(mask)
        extent = (idx.max(axis=0) - idx.min(axis=0)) * np.asarray(sp)
        if np.isclose(value, _diameter(mask, (1, 1, 1))):
            msg = "that is a distance in voxels: scale the indices by the spacing first"
        elif np.isclose(value, np.linalg.norm(extent)):
            msg = (
                "that is the diagonal of the bounding box, longer than any distance inside a "
                "tilted or rounded object"
            )
        elif np.any(np.isclose(value, extent)):
            msg = "that is the extent along one axis: the longest chord can point anywhere"
        elif value < want:
            msg = f"{value:.4g} mm is too short for {_describe(mask, sp)}: some pair is farther"
        else:
            msg = f"{value:.4g} mm is longer than any distance between voxel centres of " + (
                _describe(mask, sp)
            )
        return [*items, Item(False, msg)]
    items.append(Item(True, "longest diameters in mm are right on three tilted ellipsoids"))
    return items


def _wall_case():
    sp = (2.5, 1.5, 1.5)
    wall = np.zeros((16, 40, 40), bool)
    wall[:, :, :4] = True  # a flat wall on the right
    wall[:, :3, :] = True  # and one in front
    nodule = _ellipsoid(wall.shape, (8.2, 20.3, 21.0), (6.0, 5.0, 5.0), sp, 0.4)
    return nodule, wall, sp


def check_wall_distance(answer: Any) -> list[Item]:
    """``distance_to_wall(mask, wall, spacing)``: nearest voxel centres, in mm."""
    from scipy import ndimage
    from scipy.spatial.distance import cdist

    items = require_function(answer, "distance_to_wall")
    if not items[0].ok:
        return items
    nodule, wall, sp = _wall_case()
    cases = [(nodule, wall, sp), (np.roll(nodule, (3, -6, -9), axis=(0, 1, 2)), wall, sp)]
    cases.append((cases[1][0].transpose(0, 2, 1), wall.transpose(0, 2, 1), (2.0, 1.0, 0.5)))
    for mask, target, spacing in cases:
        got, error = call_safely(answer, "distance_to_wall", mask, target, spacing)
        if error:
            return [*items, error]
        value, bad = as_number(got, "the distance in mm")
        if bad:
            return [*items, bad]
        a, b = np.argwhere(mask) * spacing, np.argwhere(target) * spacing
        want = float(cdist(a, b).min())
        if np.isclose(value, want, rtol=1e-6):
            continue
        voxels = float(ndimage.distance_transform_edt(~target)[mask].min())
        centre = float(cdist(a.mean(axis=0, keepdims=True), b).min())
        if np.isclose(value, voxels):
            msg = "that is a distance in voxels: tell the distance transform the spacing"
        elif np.isclose(value, centre, rtol=1e-3):
            msg = (
                "that is measured from the nodule's centre; the surgeon needs the nearest "
                "nodule voxel"
            )
        else:
            msg = f"{value:.4g} mm is not the shortest distance between the two masks"
        return [*items, Item(False, msg)]
    items.append(Item(True, "distances in mm match a brute-force search on three geometries"))
    return items


EXERCISES = (
    ExerciseDef(
        id="08.volume",
        title="Nodule volume in mL",
        checker=check_volume,
        hints=(
            "A volume is a number of voxels times the volume of one voxel.",
            "One voxel measures spacing[0] × spacing[1] × spacing[2] mm³.",
            "1 mL = 1 cm³ = 1000 mm³.",
        ),
        solution=(
            "def nodule_volume_ml(mask, spacing):\n"
            "    voxel_mm3 = np.prod(spacing)\n"
            "    return np.count_nonzero(mask) * voxel_mm3 / 1000.0\n"
        ),
    ),
    ExerciseDef(
        id="08.diameter",
        title="Longest diameter in mm",
        checker=check_diameter,
        hints=(
            "The longest diameter is the largest distance between any two voxels of the mask.",
            "np.argwhere(mask) gives voxel indices; multiply them by the spacing to get mm.",
            "scipy.spatial.distance.pdist computes all pairwise distances; take the maximum.",
        ),
        solution=(
            "def longest_diameter(mask, spacing):\n"
            "    from scipy.spatial.distance import pdist\n"
            "    points_mm = np.argwhere(mask) * np.asarray(spacing)\n"
            "    return pdist(points_mm).max()\n"
        ),
    ),
    ExerciseDef(
        id="08.wall_distance",
        title="Distance to the chest wall",
        checker=check_wall_distance,
        hints=(
            "A distance transform gives, for every voxel, the distance to the nearest voxel "
            "of a structure.",
            "scipy.ndimage.distance_transform_edt(~wall, sampling=spacing) measures in mm to "
            "the nearest wall voxel.",
            "Read that map inside the nodule and take the smallest value.",
        ),
        solution=(
            "def distance_to_wall(mask, wall, spacing):\n"
            "    dist_mm = ndimage.distance_transform_edt(~wall, sampling=spacing)\n"
            "    return dist_mm[mask].min()\n"
        ),
    ),
)
