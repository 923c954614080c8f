"""Exercises of lesson 08 (3D and computer-assisted surgery).

A nodule measured the way guidelines size it (volume in mm³, mean of the long and short axes,
here on an axial slice) and its distance to the chest wall.
"""

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
        (
            _ellipsoid((16, 30, 30), (7.3, 14.6, 15.2), (9.0, 8.0, 12.0), (2.5, 1.5, 1.5), 0.6),
            (2.5, 1.5, 1.5),
        ),
        (
            _ellipsoid((20, 20, 20), (9.5, 9.5, 9.5), (6.0, 4.0, 5.0), (1.0, 1.0, 1.0)),
            (1.0, 1.0, 1.0),
        ),
        (
            _ellipsoid((12, 40, 40), (5.5, 20.0, 19.0), (12.0, 10.0, 6.0), (3.0, 0.7, 0.7), 0.3),
            (3.0, 0.7, 0.7),
        ),
    ]


def _describe(mask: np.ndarray, spacing) -> str:
    return f"a {int(mask.sum())}-voxel ellipsoid with spacing {spacing} mm"


def _volume_mm3(mask: np.ndarray, spacing) -> float:
    return int(mask.sum()) * float(np.prod(spacing))


# nodule_volume_mm3(mask, spacing): voxel count × voxel volume, in mm³ (as guidelines report)
check_volume = FunctionCheck(
    "nodule_volume_mm3",
    cases=_cases,
    reference=_volume_mm3,
    returns=Number("the volume in mm³"),
    close=lambda got, want: bool(np.isclose(got, want, rtol=1e-6)),
    mistakes=(
        Mistake(
            "that is the number of voxels, not a volume: each voxel has a size in mm",
            like=lambda mask, sp: mask.sum(),
        ),
        Mistake(
            "that is the volume in mL (cm³); lung-nodule guidelines report mm³ (1 mL = 1000 mm³)",
            like=lambda mask, sp: _volume_mm3(mask, sp) / 1000,
        ),
        Mistake(
            "a voxel is a box: use the spacing of all three axes",
            like=(
                lambda mask, sp: mask.sum() * sp[1] * sp[2],
                lambda mask, sp: mask.sum() * sp[0] ** 3,
            ),
        ),
    ),
    otherwise=lambda got, want, mask, sp: (
        f"{got:.4g} mm³ is not the volume of {_describe(mask, sp)}"
    ),
    passed="volumes in mm³ are right on three ellipsoids with different spacings",
)


def _ellipse(shape, centre, semi_axes_mm, spacing, tilt) -> np.ndarray:
    """A voxelised ellipse (semi-axes in mm along its own axes), tilted by ``tilt`` rad."""
    r, c = (np.indices(shape).astype(float).T - np.asarray(centre)).T * np.reshape(
        spacing, (2, 1, 1)
    )
    cos, sin = np.cos(tilt), np.sin(tilt)
    u, v = cos * r - sin * c, sin * r + cos * c
    return (u / semi_axes_mm[0]) ** 2 + (v / semi_axes_mm[1]) ** 2 <= 1.0


def _axial_cases() -> list[tuple[np.ndarray, tuple[float, float]]]:
    kidney = _ellipse((40, 40), (19.3, 20.1), (11.0, 6.5), (0.7, 0.7), 0.5)
    kidney &= ~_ellipse((40, 40), (17.0, 26.4), (4.0, 3.0), (0.7, 0.7), 0.0)  # a notch
    return [
        (_ellipse((30, 30), (14.6, 15.2), (8.0, 5.0), (0.7, 0.7), 0.6), (0.7, 0.7)),
        (_ellipse((24, 24), (11.3, 11.8), (9.0, 14.0), (1.5, 1.5), 1.1), (1.5, 1.5)),
        (kidney, (0.7, 0.7)),
        (
            _ellipse((40, 40), (19.5, 20.2), (6.0, 10.0), (0.5703125, 0.5703125), 2.3),
            (0.5703125, 0.5703125),
        ),
    ]


def _axes(points: np.ndarray) -> tuple[float, float]:
    """(long, short): the farthest pair of points and the width across that line.

    For an irregular outline the width is wider than the longest line inside it perpendicular
    to the long axis: the exercise defines the short axis as this width, as
    `measure.axial_diameters_mm` does.
    """
    from scipy.spatial import ConvexHull
    from scipy.spatial.distance import pdist, squareform

    points = points[ConvexHull(points).vertices]
    dist = squareform(pdist(points))
    i, j = np.unravel_index(dist.argmax(), dist.shape)
    axis = (points[j] - points[i]) / dist[i, j]
    across = points @ np.array([-axis[1], axis[0]])
    return float(dist[i, j]), float(across.max() - across.min())


def _corners(mask: np.ndarray, spacing) -> np.ndarray:
    pixels = np.argwhere(mask)
    offsets = ([-0.5, -0.5], [-0.5, 0.5], [0.5, -0.5], [0.5, 0.5])
    return np.concatenate([pixels + d for d in offsets]) * np.asarray(spacing, float)


def _near(got: float, mistaken: float) -> bool:
    """Close enough to a mistaken answer to name the mistake."""
    return bool(np.isclose(got, mistaken))


def _mean_axial(mask: np.ndarray, spacing) -> float:
    from medlab.measure import axial_diameters_mm

    return float(axial_diameters_mm(mask, spacing)["mean_mm"])


def _across_grid(mask: np.ndarray, spacing) -> float:
    """Long axis right, short axis taken along a row or column (a bounding box side)."""
    long_mm, _ = _axes(_corners(mask, spacing))
    sides = (np.ptp(np.argwhere(mask), axis=0) + 1) * np.asarray(spacing, float)
    return (long_mm + float(sides.min())) / 2


# mean_axial_diameter(slice_mask, pixel_spacing): (long + short) / 2, edge to edge
check_diameter = FunctionCheck(
    "mean_axial_diameter",
    cases=_axial_cases,
    reference=_mean_axial,
    returns=Number("the mean diameter in mm"),
    close=lambda got, want: abs(got - want) <= 1e-6 * want + 1e-9,
    mistakes=(
        Mistake(
            "that is in pixels: scale the positions by the pixel spacing",
            like=lambda mask, sp: _mean_axial(mask, (1.0, 1.0)),
            close=_near,
        ),
        Mistake(
            "that is the long axis alone: guidelines report the mean of the long and the "
            "short axis",
            like=lambda mask, sp: _axes(_corners(mask, sp))[0],
            close=_near,
        ),
        Mistake(
            "that is the sum of the two axes; the mean is half of it",
            like=lambda mask, sp: 2 * _mean_axial(mask, sp),
            close=_near,
        ),
        Mistake(
            "that is measured between pixel centres: calipers touch the outer edges of "
            "the lesion, so measure between the pixels' corners",
            like=lambda mask, sp: sum(_axes(np.argwhere(mask) * np.asarray(sp, float))) / 2,
            close=_near,
        ),
        Mistake(
            "the short axis here is the lesion's width perpendicular to the long axis "
            "(project the points on that direction: max − min), not along a row or a column",
            like=_across_grid,
            close=_near,
        ),
    ),
    otherwise=lambda got, want, mask, sp: (
        f"{got:.4g} mm is not the mean of the long and short "
        f"axes of a {int(mask.sum())}-pixel lesion with "
        f"pixels of {sp[0]:g} mm"
    ),
    passed="mean axial diameters in mm are right on four tilted, irregular lesions",
)


def _wall_cases() -> list[tuple[np.ndarray, np.ndarray, tuple[float, float, float]]]:
    sp = (2.5, 1.5, 1.5)
    wall = np.zeros((16, 40, 40), bool)
    wall[:, :, :4] = True  # a flat wall on the right
    wall[:, :3, :] = True  # and one in front
    nodule = _ellipsoid(wall.shape, (8.2, 20.3, 21.0), (6.0, 5.0, 5.0), sp, 0.4)
    moved = np.roll(nodule, (3, -6, -9), axis=(0, 1, 2))
    return [
        (nodule, wall, sp),
        (moved, wall, sp),
        (moved.transpose(0, 2, 1), wall.transpose(0, 2, 1), (2.0, 1.0, 0.5)),
    ]


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
        Mistake(
            "that is a distance in voxels: tell the distance transform the spacing", like=_in_voxels
        ),
        Mistake(
            "that is measured from the nodule's centre; the surgeon needs the nearest nodule voxel",
            like=_from_centre,
            close=lambda a, b: bool(np.isclose(a, b, rtol=1e-3)),
        ),
    ),
    otherwise=lambda got, *_: f"{got:.4g} mm is not the shortest distance between the two masks",
    passed="distances in mm match a brute-force search on three geometries",
)


EXERCISES = (
    ExerciseDef(
        id="08.volume",
        title="Nodule volume in mm³",
        checker=check_volume,
        hints=(
            "A volume is a number of voxels times the volume of one voxel.",
            "One voxel measures spacing[0] × spacing[1] × spacing[2] mm³.",
            "np.count_nonzero(mask) counts the voxels; np.prod(spacing) is one voxel's volume.",
        ),
        solution=(
            "def nodule_volume_mm3(mask, spacing):\n"
            "    voxel_mm3 = np.prod(spacing)\n"
            "    return np.count_nonzero(mask) * voxel_mm3\n"
        ),
    ),
    ExerciseDef(
        id="08.diameter",
        title="Mean axial diameter in mm",
        checker=check_diameter,
        hints=(
            "The long axis is the largest distance between two points of the lesion on the "
            "slice; the short axis is its width perpendicular to the long axis (the distance "
            "between the two lines parallel to the long axis that touch the outline).",
            "Calipers touch the lesion's outer edge: use the four corners of every pixel "
            "(index ± 0.5), times the pixel spacing (row, column) in mm, as the points.",
            "scipy.spatial.distance.pdist gives every distance (keep only the "
            "ConvexHull(points).vertices first: it is faster); project the points on the "
            "direction perpendicular to the long axis and take max − min.",
        ),
        solution=(
            "def mean_axial_diameter(slice_mask, pixel_spacing):\n"
            "    from scipy.spatial import ConvexHull\n"
            "    from scipy.spatial.distance import pdist, squareform\n"
            "    pixels = np.argwhere(slice_mask)\n"
            "    corners = np.concatenate([pixels + d for d in ([-.5, -.5], [-.5, .5], [.5, -.5], "
            "[.5, .5])])\n"
            "    points = corners * np.asarray(pixel_spacing)  # calipers touch the outer edges\n"
            "    points = points[ConvexHull(points).vertices]  # the farthest pair is on the hull\n"
            "    dist = squareform(pdist(points))\n"
            "    i, j = np.unravel_index(dist.argmax(), dist.shape)  # the long axis\n"
            "    axis = (points[j] - points[i]) / dist[i, j]\n"
            "    across = points @ np.array([-axis[1], axis[0]])  # positions across it\n"
            "    return (dist[i, j] + across.max() - across.min()) / 2\n"
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
