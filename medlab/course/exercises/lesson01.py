"""Exercises of lesson 01 (medical images as data)."""

from __future__ import annotations

from functools import lru_cache, partial

import numpy as np

from medlab.course.exercises import ExerciseDef
from medlab.course.exercises._declarative import (
    Array,
    FunctionCheck,
    Mistake,
    Numbers,
    ValueCheck,
)

__all__ = ["EXERCISES"]

_HOMOGENEOUS = Mistake(
    "drop the homogeneous coordinate, the trailing 1",
    when=lambda got, want, *_: got.shape == (np.size(want) + 1,),
)


# --------------------------------------------------------------------------- 01.fov


@lru_cache(maxsize=1)
def _ct_geometry() -> tuple[tuple[int, int], tuple[float, float], float]:
    """(shape, pixel spacing in mm, slice thickness in mm) of pydicom's CT_small.dcm."""
    import pydicom

    from medlab.datasets import bundled_path

    ds = pydicom.dcmread(bundled_path("pydicom", "data/test_files/CT_small.dcm"))
    row_mm, column_mm = (float(s) for s in ds.PixelSpacing)
    return (int(ds.Rows), int(ds.Columns)), (row_mm, column_mm), float(ds.SliceThickness)


# fov_mm: the physical size (rows, columns) in mm of CT_small.dcm
check_fov = ValueCheck(
    "fov_mm",
    given=_ct_geometry,
    reference=lambda shape, spacing, thickness: np.multiply(shape, spacing),
    expect=Numbers(2, shape_mistakes=[_HOMOGENEOUS]),
    close=partial(np.allclose, atol=0.01),
    mistakes=(
        Mistake(
            "these are pixel counts, not millimetres: use the pixel spacing",
            like=lambda shape, spacing, thickness: np.array(shape, float),
        ),
        Mistake(
            "PixelSpacing is millimetres per pixel: multiply, do not divide",
            like=lambda shape, spacing, thickness: np.divide(shape, spacing),
            close=partial(np.allclose, rtol=1e-3),
        ),
        Mistake(
            "SliceThickness is the size across the slice; in-plane size uses PixelSpacing",
            like=lambda shape, spacing, thickness: np.multiply(shape, thickness),
        ),
        Mistake(
            "that is the size of one pixel; the image has many",
            like=lambda shape, spacing, thickness: np.array(spacing),
        ),
    ),
    otherwise="the physical size should be a few centimetres on each side",
    detail=lambda got, *_: f" (you found {got[0]:.4g} × {got[1]:.4g} mm)",
    passed=lambda got, want, *_: f"the image covers {want[0]:.1f} × {want[1]:.1f} mm",
)


# --------------------------------------------------------------------------- 01.window


def _window(hu: np.ndarray, center: float, width: float) -> np.ndarray:
    from medlab.preprocess import window

    return window(hu, center, width).astype(np.float64)


_HU = np.linspace(-1200.0, 1500.0, 541).reshape(1, -1).repeat(2, axis=0)

# my_window(hu, center, width) -> [0, 1] array, as medlab.preprocess.window
check_window = FunctionCheck(
    "my_window",
    cases=[(_HU, -600.0, 1500.0), (_HU, 40.0, 400.0), (_HU, 400.0, 1800.0), (_HU, 40.0, 80.0)],
    reference=_window,
    call=lambda hu, c, w: f"my_window(hu, {c:g}, {w:g})",
    returns=Array(
        wrong_shape=lambda got, want, *_: (
            f"the output should have the input's shape {want.shape}, found {got.shape}"
        )
    ),
    close=partial(np.allclose, atol=1e-5),
    mistakes=(
        Mistake(
            lambda got, *_: (
                "values should stay in [0, 1]: clip everything below the window "
                f"to 0 and above it to 1 (found {got.min():.3g} to "
                f"{got.max():.3g})"
            ),
            when=lambda got, *_: got.min() < -1e-6 or got.max() > 1 + 1e-6,
        ),
        Mistake(
            "the window starts at center − width/2, not at center",
            like=lambda hu, c, w: np.clip((hu - c) / w, 0, 1),
        ),
        Mistake(
            "the window spans the whole width, not half of it",
            like=lambda hu, c, w: np.clip((hu - (c - w / 2)) / (w / 2), 0, 1),
        ),
        Mistake(
            "values are rounded: keep them as floats",
            when=lambda got, want, *_: (
                np.allclose(got * 255, want * 255, atol=0.51) and got.max() <= 1
            ),
        ),
    ),
    otherwise=lambda got, want, hu, c, w: (
        f"with center {c:g} and width {w:g}, {c - w / 2:g} HU "
        f"should map to 0, {c:g} HU to 0.5 and {c + w / 2:g} "
        "HU to 1"
    ),
    passed="matches the lung, soft-tissue, bone and brain windows",
)


# --------------------------------------------------------------------------- 01.voxel_index


@lru_cache(maxsize=1)
def _mni_affine() -> np.ndarray:
    """The voxel-to-world affine of the 1 mm MNI152 T1 file shipped by nilearn."""
    import nibabel as nib

    from medlab.datasets import bundled_path

    path = bundled_path("nilearn", "datasets/data/mni_icbm152_t1_tal_nlin_sym_09a_converted.nii.gz")
    return np.asarray(nib.Nifti1Image.from_filename(path).affine, dtype=np.float64)


def _world_mm(affine: np.ndarray, index: np.ndarray) -> np.ndarray:
    return (affine @ np.append(index, 1.0))[:3]


# origin_index: the (i, j, k) voxel index of world point (0, 0, 0) mm in the 1 mm MNI152 volume
check_voxel_index = ValueCheck(
    "origin_index",
    given=lambda: (_mni_affine(),),
    reference=lambda affine: (np.linalg.inv(affine) @ np.array([0.0, 0.0, 0.0, 1.0]))[:3],
    expect=Numbers(3, shape_mistakes=[_HOMOGENEOUS]),
    close=partial(np.allclose, atol=1e-3),
    mistakes=(
        Mistake(
            "that is the world position of voxel (0, 0, 0), the opposite question",
            like=lambda affine: affine[:3, 3],
        ),
        Mistake(
            "close: the rotation/scaling part of the affine matters too",
            like=lambda affine: -affine[:3, 3],
        ),
    ),
    otherwise="the index should map to (0, 0, 0) mm through the affine",
    detail=lambda got, want, affine: "; your index maps to ({:.4g}, {:.4g}, {:.4g}) mm".format(
        *_world_mm(affine, got)
    ),
    passed="the voxel index maps back to (0, 0, 0) mm through the affine",
)


EXERCISES = (
    ExerciseDef(
        id="01.fov",
        title="The physical size of an image",
        checker=check_fov,
        hints=(
            "A pixel is not a unit of length: the header says how many millimetres one pixel "
            "covers, along rows and along columns.",
            "Use the image's shape and its spacing (ct.spacing, from the PixelSpacing tag); "
            "SliceThickness is the size across the slice, not in the image plane.",
            "size along an axis = number of pixels × millimetres per pixel, for each of the "
            "two axes.",
        ),
        solution="fov_mm = np.array(ct.shape) * np.array(ct.spacing)",
    ),
    ExerciseDef(
        id="01.window",
        title="Window/level by hand",
        checker=check_window,
        hints=(
            "The window shows the HU range [center − width/2, center + width/2]; below it is "
            "black (0), above it white (1), linear in between.",
            "Subtract the lower edge of the window, divide by the width, then clip to [0, 1] "
            "with np.clip.",
            "low = center − width / 2; result = clip((hu − low) / width, 0, 1).",
        ),
        solution=(
            "def my_window(hu, center, width):\n"
            "    low = center - width / 2  # the HU value shown black\n"
            "    return np.clip((hu - low) / width, 0.0, 1.0)"
        ),
    ),
    ExerciseDef(
        id="01.voxel_index",
        title="From millimetres to voxel indices",
        checker=check_voxel_index,
        hints=(
            "The affine maps a voxel index (i, j, k, 1) to world millimetres (x, y, z, 1). "
            "You need the other direction.",
            "Invert the affine with np.linalg.inv and apply it to the point (0, 0, 0, 1).",
            "index = inv(affine) @ [0, 0, 0, 1]; keep the first three numbers.",
        ),
        solution="origin_index = (np.linalg.inv(mri.affine) @ np.array([0.0, 0.0, 0.0, 1.0]))[:3]",
    ),
)
