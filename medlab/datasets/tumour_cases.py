"""Parsers of the real test cases of pyradiomics.

Chest CT and brain MRI with lesion masks, and pyradiomics' own feature values for them.

The files come from the pyradiomics-bhklab source distribution, fetched once from the
package registry and verified by :mod:`medlab.datasets._fetch`; here they are only read
(NRRD with :func:`medlab.io.read_nrrd`, the baseline tables with :mod:`csv`).
"""

from __future__ import annotations

import csv
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from medlab.datasets._cards import get_card
from medlab.datasets._dataset import Dataset

__all__ = ["brain_mr_lesions", "lung_ct_tumours", "radiomics_baseline"]

_LUNG_CASES = ("lung1", "lung2")
_BRAIN_CASES = ("brain1", "brain2")


def _check_case(case: object, cases: tuple[str, ...]) -> str:
    if case not in cases:
        raise ValueError(f"case must be one of {list(cases)}, got {case!r}")
    return str(case)


def _volume_and_mask(
    name: str, files: Mapping[str, Path], case: str, image_key: str, mask_key: str
) -> Dataset:
    from medlab.io import read_nrrd

    image = read_nrrd(files[f"{case}_image.nrrd"])
    label = read_nrrd(files[f"{case}_label.nrrd"])
    if (
        label.shape != image.shape
        or label.affine is None  # read_nrrd always sets it; an image without one has no grid
        or image.affine is None
        or not np.allclose(label.affine, image.affine, atol=1e-3)
    ):
        raise ValueError(
            f"{case}: the label map does not lie on the image grid ({label.shape} vs {image.shape})"
        )
    mask = label.array > 0
    voxel_mm3 = float(np.prod(image.spacing))
    meta = {
        "case": case,
        "patients": 1,
        "paths": {k: str(files[f"{case}_{k}.nrrd"]) for k in ("image", "label")},
        "lesion_voxels": int(mask.sum()),
        "lesion_volume_ml": mask.sum() * voxel_mm3 / 1000.0,
        "axis_codes": image.meta["axis_codes"],
        "nrrd": image.meta,
    }
    return Dataset(
        get_card(name),
        {image_key: image.array, mask_key: mask},
        spacing=image.spacing,
        affine=image.affine,
        meta=meta,
    )


def lung_ct_tumours(files: Mapping[str, Path], case: str = "lung1") -> Dataset:
    """A real chest CT in Hounsfield units with the reference mask of one lung lesion.

    The mask ships with the data; who drew it is not documented (see the card).

    Parameters
    ----------
    files : mapping of str to Path
        The card's NRRD files (fetched and verified).
    case : {"lung1", "lung2"}
        ``"lung1"`` (default): a small nodule of 837 voxels (about 1.4 mL);
        ``"lung2"``: a large mass of 24,644 voxels (about 48 mL).

    Returns
    -------
    Dataset
        ``ct`` : float32 (z, y, x) in HU — (48, 512, 512) for lung1, (61, 512, 512)
        for lung2 — with slices feet → head, rows anterior → posterior and columns patient
        right → left. ``tumour`` : bool, same shape. ``ds.spacing`` (z, y, x) in mm
        (5 mm slices, 0.57 / 0.63 mm pixels); ``ds.affine`` index → RAS+ mm;
        ``ds.meta["lesion_volume_ml"]`` the mask's volume.

    Notes
    -----
    Real data (one patient per case) from pyradiomics' test cases; provenance beyond
    that is not documented (see the card). Licence: pyradiomics' BSD-3-Clause; none
    stated for the images.

    Examples
    --------
    >>> from medlab import datasets
    >>> ds = datasets.load("lung_ct_tumours", case="lung2")
    >>> ds.ct.shape, ds.spacing
    ((61, 512, 512), (5.0, 0.6269531, 0.6269531))
    """
    case = _check_case(case, _LUNG_CASES)
    return _volume_and_mask("lung_ct_tumours", files, case, "ct", "tumour")


def brain_mr_lesions(files: Mapping[str, Path], case: str = "brain1") -> Dataset:
    """A real brain MRI with the mask of one lesion.

    Parameters
    ----------
    files : mapping of str to Path
        The card's NRRD files (fetched and verified).
    case : {"brain1", "brain2"}
        Which patient (default ``"brain1"``).

    Returns
    -------
    Dataset
        ``mr`` : float32 (z, y, x), MRI signal in arbitrary units — (25, 256, 256) for
        brain1, (23, 256, 256) for brain2 — in the same orientation as the CT cases.
        ``lesion`` : bool, same shape. ``ds.spacing`` (6.5, 0.78, 0.78) mm.

    Notes
    -----
    Real data from pyradiomics' test cases; the MR sequence and the lesion type are not
    documented (see the card).
    """
    case = _check_case(case, _BRAIN_CASES)
    return _volume_and_mask("brain_mr_lesions", files, case, "mr", "lesion")


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def radiomics_baseline(files: Mapping[str, Path]) -> Dataset:
    """The feature values pyradiomics computes for its test cases, from its baseline tables.

    Parameters
    ----------
    files : mapping of str to Path
        The eight ``baseline_<class>.csv`` files (fetched and verified).

    Returns
    -------
    Dataset
        ``features`` : dict, case (``"lung1"`` ...) → feature name (e.g.
        ``"original_shape_MeshVolume"``, ``"original_firstorder_Mean"``) → float, computed on
        the unmodified image with the settings in ``settings``. ``variants`` : the same for
        the other columns (``"lung1_resampling"``, ``"brain1_normalization"`` ...).
        ``settings`` : dict, case → the pyradiomics settings used, as text (bin width 25,
        no resampling for the original columns).

    Notes
    -----
    Only numeric feature rows are kept (the ``diagnostics_*`` rows are text); a feature
    that a table leaves empty for a case is absent from that case's dictionary.
    """
    features: dict[str, dict[str, float]] = {}
    variants: dict[str, dict[str, float]] = {}
    settings: dict[str, str] = {}
    for path in files.values():
        with open(path, newline="", encoding="utf-8") as handle:
            rows = list(csv.reader(handle))
        header, body = rows[0], rows[1:]
        columns = header[1:]
        for row in body:
            name, values = row[0], row[1:]
            for column, text in zip(columns, values, strict=False):
                base, _, variant = column.partition("_")
                target = (
                    variants.setdefault(column, {}) if variant else features.setdefault(base, {})
                )
                if name == "diagnostics_Configuration_Settings" and not variant:
                    settings[base] = text
                value = _number(text) if name.startswith("original_") else None
                if value is not None:
                    target[name] = value
    return Dataset(
        get_card("radiomics_baseline"),
        {"features": features, "variants": variants, "settings": settings},
        meta={"paths": {k: str(v) for k, v in files.items()}},
    )
