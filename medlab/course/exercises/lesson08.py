"""Exercises of lesson 08 (3D and computer-assisted surgery): measurements in mm and mL."""

from __future__ import annotations

import numpy as np

from medlab.course.exercises import ExerciseDef
from medlab.course.exercises._declarative import FunctionCheck, Mistake, Number

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


def _volume_ml(mask: np.ndarray, spacing) -> float:
    return int(mask.sum()) * float(np.prod(spacing)) / 1000.0


# nodule_volume_ml(mask, spacing): voxel count × voxel volume, in mL
check_volume = FunctionCheck(
    "nodule_volume_ml",
    cases=_cases,
    reference=_volume_ml,
    returns=Number("the volume in mL"),
    close=lambda got, want: bool(np.isclose(got, want, rtol=1e-6)),
    mistakes=(
        Mistake("that is the number of voxels, not a volume: each voxel has a size in mm",
                like=(lambda mask, sp: mask.sum(), lambda mask, sp: mask.sum() / 1000)),
        Mistake("that is the volume in mm³; 1 mL = 1 cm³ = 1000 mm³",
                like=lambda mask, sp: _volume_ml(mask, sp) * 1000),
        Mistake("a voxel is a box: use the spacing of all three axes",
                like=(lambda mask, sp: mask.sum() * sp[1] * sp[2] / 1000,
                      lambda mask, sp: mask.sum() * sp[0] ** 3 / 1000)),
    ),
    otherwise=lambda got, want, mask, sp: f"{got:.4g} mL is not the volume of "
                                          f"{_describe(mask, sp)}",
    passed="volumes in mL are right on three ellipsoids with different spacings",
)


def _diameter(mask: np.ndarray, sp) -> float:
    from scipy.spatial.distance import pdist

    return float(pdist(np.argwhere(mask) * np.asarray(sp)).max())


def _extent(mask: np.ndarray, sp) -> np.ndarray:
    """The bounding box's sides in mm (between voxel centres)."""
    idx = np.argwhere(mask)
    return (idx.max(axis=0) - idx.min(axis=0)) * np.asarray(sp)


# longest_diameter(mask, spacing): the farthest pair of voxel centres, in mm
check_diameter = FunctionCheck(
    "longest_diameter",
    cases=_cases,
    reference=_diameter,
    returns=Number("the diameter in mm"),
    close=lambda got, want: abs(got - want) <= 1e-6 * want + 1e-9,
    mistakes=(
        Mistake("that is a distance in voxels: scale the indices by the spacing first",
                like=lambda mask, sp: _diameter(mask, (1, 1, 1)), close=np.isclose),
        Mistake("that is the diagonal of the bounding box, longer than any distance inside a "
                "tilted or rounded object",
                like=lambda mask, sp: np.linalg.norm(_extent(mask, sp)), close=np.isclose),
        Mistake("that is the extent along one axis: the longest chord can point anywhere",
                when=lambda got, want, mask, sp: np.any(np.isclose(got, _extent(mask, sp)))),
        Mistake(lambda got, want, mask, sp: f"{got:.4g} mm is too short for "
                                            f"{_describe(mask, sp)}: some pair is farther",
                when=lambda got, want, *_: got < want),
    ),
    otherwise=lambda got, want, mask, sp: f"{got:.4g} mm is longer than any distance between "
                                          f"voxel centres of {_describe(mask, sp)}",
    passed="longest diameters in mm are right on three tilted ellipsoids",
)


def _wall_cases() -> list[tuple[np.ndarray, np.ndarray, tuple[float, float, float]]]:
    sp = (2.5, 1.5, 1.5)
    wall = np.zeros((16, 40, 40), bool)
    wall[:, :, :4] = True  # a flat wall on the right
    wall[:, :3, :] = True  # and one in front
    nodule = _ellipsoid(wall.shape, (8.2, 20.3, 21.0), (6.0, 5.0, 5.0), sp, 0.4)
    moved = np.roll(nodule, (3, -6, -9), axis=(0, 1, 2))
    return [(nodule, wall, sp), (moved, wall, sp),
            (moved.transpose(0, 2, 1), wall.transpose(0, 2, 1), (2.0, 1.0, 0.5))]


def _points_mm(mask: np.ndarray, spacing) -> np.ndarray:
    return np.argwhere(mask) * spacing


def _shortest(mask: np.ndarray, wall: np.ndarray, spacing) -> float:
    from scipy.spatial.distance import cdist

    return float(cdist(_points_mm(mask, spacing), _points_mm(wall, spacing)).min())


def _in_voxels(mask: np.ndarray, wall: np.ndarray, spacing) -> float:
    from scipy import ndimage

    return float(ndimage.distance_transform_edt(~wall)[mask].min())


def _from_centre(mask: np.ndarray, wall: np.ndarray, spacing) -> float:
    from scipy.spatial.distance import cdist

    centre = _points_mm(mask, spacing).mean(axis=0, keepdims=True)
    return float(cdist(centre, _points_mm(wall, spacing)).min())


# distance_to_wall(mask, wall, spacing): nearest voxel centres, in mm
check_wall_distance = FunctionCheck(
    "distance_to_wall",
    cases=_wall_cases,
    reference=_shortest,
    returns=Number("the distance in mm"),
    close=lambda got, want: bool(np.isclose(got, want, rtol=1e-6)),
    mistakes=(
        Mistake("that is a distance in voxels: tell the distance transform the spacing",
                like=_in_voxels),
        Mistake("that is measured from the nodule's centre; the surgeon needs the nearest "
                "nodule voxel", like=_from_centre, close=lambda a, b: np.isclose(a, b, rtol=1e-3)),
    ),
    otherwise=lambda got, *_: f"{got:.4g} mm is not the shortest distance between the two masks",
    passed="distances in mm match a brute-force search on three geometries",
)


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
