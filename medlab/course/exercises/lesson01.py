"""Exercises of lesson 01 (medical images as data)."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import numpy as np

from medlab.course.exercises import ExerciseDef, Item, NotAttempted

__all__ = ["EXERCISES"]


def _as_vector(answer: Any, n: int, name: str) -> tuple[list[Item], np.ndarray | None]:
    """Feedback on ``answer`` being ``n`` numbers; the float array when it is."""
    if answer is None or answer is Ellipsis:
        raise NotAttempted
    try:
        values = np.asarray(answer, dtype=np.float64)
    except (TypeError, ValueError):
        return [Item(False, f"`{name}` should be {n} numbers, found {type(answer).__name__}")], None
    if values.shape != (n,):
        extra = ""
        if values.shape == (n + 1,):
            extra = " (drop the homogeneous coordinate, the trailing 1)"
        return [Item(False, f"`{name}` should hold {n} numbers, found shape {values.shape}{extra}")
                ], None
    if not np.all(np.isfinite(values)):
        return [Item(False, f"`{name}` contains NaN or infinite values")], None
    return [Item(True, f"`{name}` holds {n} numbers")], values


# --------------------------------------------------------------------------- 01.fov


@lru_cache(maxsize=1)
def _ct_geometry() -> tuple[tuple[int, int], tuple[float, float], float]:
    """(shape, pixel spacing in mm, slice thickness in mm) of pydicom's CT_small.dcm."""
    import pydicom
    from pydicom.data import get_testdata_file

    ds = pydicom.dcmread(get_testdata_file("CT_small.dcm"))
    spacing = tuple(float(s) for s in ds.PixelSpacing)
    return (int(ds.Rows), int(ds.Columns)), spacing, float(ds.SliceThickness)


def check_fov(answer: Any) -> list[Item]:
    """The physical size (rows, columns) in mm of CT_small.dcm."""
    (rows, cols), (dr, dc), thickness = _ct_geometry()
    items, values = _as_vector(answer, 2, "fov_mm")
    if values is None:
        return items
    expected = np.array([rows * dr, cols * dc])
    if np.allclose(values, expected, atol=0.01):
        items.append(Item(True, f"the image covers {expected[0]:.1f} × {expected[1]:.1f} mm"))
        return items
    found = f"you found {values[0]:.4g} × {values[1]:.4g}"
    if np.allclose(values, [rows, cols]):
        message = "these are pixel counts, not millimetres: use the pixel spacing"
    elif np.allclose(values, [rows / dr, cols / dc], rtol=1e-3):
        message = "PixelSpacing is millimetres per pixel: multiply, do not divide"
    elif np.allclose(values, [rows * thickness, cols * thickness]):
        message = "SliceThickness is the size across the slice; in-plane size uses PixelSpacing"
    elif np.allclose(values, [dr, dc]):
        message = "that is the size of one pixel; the image has many"
    else:
        message = "the physical size should be a few centimetres on each side"
    items.append(Item(False, f"{message} ({found} mm)"))
    return items


# --------------------------------------------------------------------------- 01.window


def check_window(answer: Any) -> list[Item]:
    """A function ``(hu, center, width) -> [0, 1] array`` that matches medlab.preprocess.window."""
    from medlab.preprocess import window

    if answer is None or answer is Ellipsis:
        raise NotAttempted
    if not callable(answer):
        return [Item(False, f"`my_window` should be a function, found {type(answer).__name__}")]
    items = [Item(True, "`my_window` is a function")]
    hu = np.linspace(-1200.0, 1500.0, 541).reshape(1, -1).repeat(2, axis=0)
    cases = [(-600.0, 1500.0), (40.0, 400.0), (400.0, 1800.0), (40.0, 80.0)]
    for center, width in cases:
        try:
            out = np.asarray(answer(hu.copy(), center, width), dtype=np.float64)
        except NotImplementedError:
            raise
        except Exception as exc:
            items.append(Item(False, f"my_window(hu, {center:g}, {width:g}) raised "
                                     f"{type(exc).__name__}: {exc}"))
            return items
        expected = window(hu, center, width).astype(np.float64)
        if out.shape != hu.shape:
            items.append(Item(False, f"the output should have the input's shape {hu.shape}, "
                                     f"found {out.shape}"))
            return items
        if np.allclose(out, expected, atol=1e-5):
            continue
        low, high = center - width / 2, center + width / 2
        if out.min() < -1e-6 or out.max() > 1 + 1e-6:
            message = ("values should stay in [0, 1]: clip everything below the window to 0 "
                       f"and above it to 1 (found {out.min():.3g} to {out.max():.3g})")
        elif np.allclose(out, np.clip((hu - center) / width, 0, 1), atol=1e-5):
            message = "the window starts at center − width/2, not at center"
        elif np.allclose(out, np.clip((hu - low) / (width / 2), 0, 1), atol=1e-5):
            message = "the window spans the whole width, not half of it"
        elif np.allclose(out * 255, expected * 255, atol=0.51) and out.max() <= 1:
            message = "values are rounded: keep them as floats"
        else:
            message = (f"with center {center:g} and width {width:g}, {low:g} HU should map to 0, "
                       f"{center:g} HU to 0.5 and {high:g} HU to 1")
        items.append(Item(False, message))
        return items
    items.append(Item(True, "matches the lung, soft-tissue, bone and brain windows"))
    return items


# --------------------------------------------------------------------------- 01.voxel_index


@lru_cache(maxsize=1)
def _mni_affine() -> np.ndarray:
    """The voxel-to-world affine of the 1 mm MNI152 T1 file shipped by nilearn."""
    import nibabel as nib

    from medlab.datasets import bundled_path

    path = bundled_path(
        "nilearn", "datasets/data/mni_icbm152_t1_tal_nlin_sym_09a_converted.nii.gz"
    )
    return np.asarray(nib.load(str(path)).affine, dtype=np.float64)


def check_voxel_index(answer: Any) -> list[Item]:
    """The (i, j, k) voxel index of world point (0, 0, 0) mm in the 1 mm MNI152 volume."""
    affine = _mni_affine()
    items, values = _as_vector(answer, 3, "origin_index")
    if values is None:
        return items
    expected = (np.linalg.inv(affine) @ np.array([0.0, 0.0, 0.0, 1.0]))[:3]
    if np.allclose(values, expected, atol=1e-3):
        items.append(Item(True, "the voxel index maps back to (0, 0, 0) mm through the affine"))
        return items
    back = (affine @ np.append(values, 1.0))[:3]
    found = f"your index maps to ({back[0]:.4g}, {back[1]:.4g}, {back[2]:.4g}) mm"
    if np.allclose(values, affine[:3, 3]):
        message = "that is the world position of voxel (0, 0, 0), the opposite question"
    elif np.allclose(values, -affine[:3, 3]) and not np.allclose(affine[:3, :3], np.eye(3)):
        message = "close: the rotation/scaling part of the affine matters too"
    else:
        message = "the index should map to (0, 0, 0) mm through the affine"
    items.append(Item(False, f"{message}; {found}"))
    return items


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
