"""Exercises of lesson 00 (welcome and tour)."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import numpy as np

from medlab.course.exercises import ExerciseDef, Item
from medlab.course.exercises._arrays import as_array_items, describe_range

__all__ = ["EXERCISES"]

_TOLERANCE = 1e-3


@lru_cache(maxsize=1)
def _ct_small() -> tuple[np.ndarray, np.ndarray, float, float]:
    """(reference HU array, raw stored values, slope, intercept) of pydicom's CT_small.dcm."""
    import pydicom
    from pydicom.data import get_testdata_file

    from medlab.io import read_dicom

    path = get_testdata_file("CT_small.dcm")
    ds = pydicom.dcmread(path)
    raw = np.asarray(ds.pixel_array, dtype=np.float64)
    slope = float(getattr(ds, "RescaleSlope", 1.0))
    intercept = float(getattr(ds, "RescaleIntercept", 0.0))
    return np.asarray(read_dicom(path).array, dtype=np.float64), raw, slope, intercept


def _close(a: np.ndarray, b: np.ndarray) -> bool:
    return bool(np.allclose(a, b, rtol=0, atol=_TOLERANCE))


def check_hounsfield(answer: Any) -> list[Item]:
    """Compare the learner's HU array with :func:`medlab.io.read_dicom` on CT_small.dcm."""
    expected, raw, slope, intercept = _ct_small()
    items, values = as_array_items(answer, expected, "hu")
    if values is None:
        return items
    if _close(values, expected):
        items.append(
            Item(
                True,
                f"values match the reference within {_TOLERANCE:g} HU "
                f"({describe_range(expected)} HU)",
            )
        )
        return items
    found = f"your values run {describe_range(values)}, expected {describe_range(expected)} HU"
    if _close(values, raw * slope):
        message = "it looks like you forgot to add RescaleIntercept"
    elif _close(values, raw + intercept) and slope != 1.0:
        message = "it looks like you added RescaleIntercept but did not multiply by RescaleSlope"
    elif _close(values, raw * slope - intercept):
        message = "it looks like you subtracted RescaleIntercept instead of adding it"
    elif _close(values, (raw + intercept) * slope) and slope != 1.0:
        message = "multiply by RescaleSlope first, then add RescaleIntercept"
    elif _close(values, raw):
        message = "these are still the raw stored values: apply RescaleSlope and RescaleIntercept"
    else:
        offset = values - expected
        if np.ptp(offset) < _TOLERANCE:
            message = f"every value is off by the same amount ({float(offset.mean()):.4g} HU)"
        else:
            message = "values differ from the reference"
    items.append(Item(False, f"{message}; {found}"))
    return items


def check_lung_window(answer: Any) -> list[Item]:
    """The lung-window view of CT_small: ``window(hu, center=-600, width=1500)``."""
    from medlab.preprocess import WINDOWS, window

    hu = _ct_small()[0]
    expected = window(hu, *WINDOWS["lung"]).astype(np.float64)
    items, values = as_array_items(answer, expected, "lung_view")
    if values is None:
        return items
    if np.allclose(values, expected, atol=1e-6):
        items.append(Item(True, "this is the lung window (level −600 HU, width 1500 HU)"))
        return items
    if values.min() < -1e-6 or values.max() > 1 + 1e-6:
        items.append(
            Item(
                False,
                f"a windowed image runs from 0 to 1; yours runs "
                f"{describe_range(values)}: use the `window` function",
            )
        )
        return items
    for name, (center, width) in WINDOWS.items():
        if name != "lung" and np.allclose(values, window(hu, center, width), atol=1e-6):
            items.append(
                Item(
                    False,
                    f"this is the {name.replace('_', ' ')} window; the "
                    "lung preset is another entry of WINDOWS",
                )
            )
            return items
    center, width = WINDOWS["lung"]
    if np.allclose(values, window(hu, width, abs(center)), atol=1e-6):
        message = "centre and width seem swapped: window(hu, center, width)"
    else:
        message = "these values are not the lung window of the HU image"
    items.append(Item(False, message))
    return items


EXERCISES = (
    ExerciseDef(
        id="00.hounsfield",
        title="Raw pixels to Hounsfield units",
        checker=check_hounsfield,
        hints=(
            "A CT scanner stores integers; the DICOM header says how to turn them into "
            "Hounsfield units with two tags: RescaleSlope and RescaleIntercept.",
            "The conversion is linear: multiply by one tag, then add the other. "
            "Read them as ds.RescaleSlope and ds.RescaleIntercept.",
            "hu = raw × RescaleSlope + RescaleIntercept; make it a float array so that "
            "non-integer slopes work.",
        ),
        solution="hu = raw * float(ds.RescaleSlope) + float(ds.RescaleIntercept)",
    ),
    ExerciseDef(
        id="00.lung_window",
        title="A lung window",
        checker=check_lung_window,
        hints=(
            "WINDOWS is a dictionary of presets; each entry is a (center, width) pair.",
            'Look up WINDOWS["lung"] and pass its two numbers to window(hu, center, width).',
            'window(ct.array, *WINDOWS["lung"]) unpacks the pair for you.',
        ),
        solution='lung_view = window(ct.array, *WINDOWS["lung"])',
    ),
)
