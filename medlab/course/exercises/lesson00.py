"""Exercises of lesson 00 (welcome and tour)."""

from __future__ import annotations

from functools import lru_cache, partial
from typing import NamedTuple

import numpy as np

from medlab.course.exercises import ExerciseDef
from medlab.course.exercises._declarative import Array, Mistake, ValueCheck, describe_range
from medlab.preprocess import WINDOWS, window

__all__ = ["EXERCISES"]

_TOLERANCE = 1e-3


class _CT(NamedTuple):
    """pydicom's CT_small.dcm: reference HU image, raw stored values and the rescale tags."""

    hu: np.ndarray
    raw: np.ndarray
    slope: float
    intercept: float


@lru_cache(maxsize=1)
def _ct_small() -> _CT:
    import pydicom

    from medlab.datasets import bundled_path
    from medlab.io import read_dicom

    path = bundled_path("pydicom", "data/test_files/CT_small.dcm")
    ds = pydicom.dcmread(path)
    return _CT(
        hu=np.asarray(read_dicom(path).array, dtype=np.float64),
        raw=np.asarray(ds.pixel_array, dtype=np.float64),
        slope=float(getattr(ds, "RescaleSlope", 1.0)),
        intercept=float(getattr(ds, "RescaleIntercept", 0.0)),
    )


def _close(a: np.ndarray, b: np.ndarray) -> bool:
    return bool(np.allclose(a, b, rtol=0, atol=_TOLERANCE))


# hu: compared with medlab.io.read_dicom on CT_small.dcm
check_hounsfield = ValueCheck(
    "hu",
    given=lambda: (_ct_small(),),
    reference=lambda ct: ct.hu,
    expect=Array(floating=True, strict=True),
    close=_close,
    mistakes=(
        Mistake(
            "it looks like you forgot to add RescaleIntercept", like=lambda ct: ct.raw * ct.slope
        ),
        Mistake(
            "it looks like you added RescaleIntercept but did not multiply by RescaleSlope",
            like=lambda ct: ct.raw + ct.intercept,
        ),
        Mistake(
            "it looks like you subtracted RescaleIntercept instead of adding it",
            like=lambda ct: ct.raw * ct.slope - ct.intercept,
        ),
        Mistake(
            "multiply by RescaleSlope first, then add RescaleIntercept",
            like=lambda ct: (ct.raw + ct.intercept) * ct.slope,
        ),
        Mistake(
            "these are still the raw stored values: apply RescaleSlope and RescaleIntercept",
            like=lambda ct: ct.raw,
        ),
        Mistake(
            lambda got, want, ct: (
                f"every value is off by the same amount ({float((got - want).mean()):.4g} HU)"
            ),
            when=lambda got, want, ct: np.ptp(got - want) < _TOLERANCE,
        ),
    ),
    otherwise="values differ from the reference",
    detail=lambda got, want, ct: (
        f"; your values run {describe_range(got)}, expected {describe_range(want)} HU"
    ),
    passed=lambda got, want, ct: (
        f"values match the reference within {_TOLERANCE:g} HU ({describe_range(want)} HU)"
    ),
)

_within_1e6 = partial(np.allclose, atol=1e-6)

# lung_view: window(hu, center=-600, width=1500) of CT_small; the argument is the HU image
check_lung_window = ValueCheck(
    "lung_view",
    given=lambda: (_ct_small().hu,),
    reference=lambda hu: window(hu, *WINDOWS["lung"]).astype(np.float64),
    expect=Array(floating=True, strict=True),
    close=_within_1e6,
    mistakes=(
        Mistake(
            lambda got, want, hu: (
                f"a windowed image runs from 0 to 1; yours runs "
                f"{describe_range(got)}: use the `window` function"
            ),
            when=lambda got, want, hu: got.min() < -1e-6 or got.max() > 1 + 1e-6,
        ),
        *(
            Mistake(
                f"this is the {name.replace('_', ' ')} window; the lung preset is another "
                "entry of WINDOWS",
                like=partial(window, center=center, width=width),
            )
            for name, (center, width) in WINDOWS.items()
            if name != "lung"
        ),
        Mistake(
            "centre and width seem swapped: window(hu, center, width)",
            like=lambda hu: window(hu, WINDOWS["lung"][1], abs(WINDOWS["lung"][0])),
        ),
    ),
    otherwise="these values are not the lung window of the HU image",
    passed="this is the lung window (level −600 HU, width 1500 HU)",
)


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
