"""open_scan: show any scan file or DICOM folder in the MedLab viewers, in one call.

JupyterLab's "Open in MedLab viewer" (right-click a ``.dcm`` file or folder, a ``.nii``,
``.nii.gz`` or ``.nrrd`` file) writes a small notebook that calls :func:`open_scan`; learners
can call it themselves too::

    from medlab.widgets import open_scan
    open_scan("my_scans/chest.nii.gz")

What is read is put in the course's conventions first (:func:`read_scan`): volumes are
indexed (z, y, x) with slices running feet → head, rows anterior → posterior and columns
patient right → left, the radiological view of an axial slice used by every lesson.
"""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from medlab.errors import ImageNotFoundError, ImageReadError
from medlab.io import MedicalImage, read_dicom, read_dicom_series, read_nifti, read_nrrd

__all__ = ["SUPPORTED", "open_scan", "read_scan"]

#: What :func:`open_scan` reads, by file-name ending (case-insensitive).
SUPPORTED = {
    ".nii.gz": "NIfTI",
    ".nii": "NIfTI",
    ".nrrd": "NRRD",
    ".nhdr": "NRRD",
    ".dcm": "DICOM",
    ".dicom": "DICOM",
    ".ima": "DICOM",
}

#: The course's axis directions: array axes (z, y, x) point toward Superior, Posterior, Left.
COURSE_AXCODES = ("S", "P", "L")

PathLike = str | os.PathLike

_SUPPORTED_TEXT = (
    "a DICOM file (.dcm) or a folder of DICOM slices, a NIfTI volume (.nii, .nii.gz) "
    "or a NRRD volume (.nrrd)"
)


# --------------------------------------------------------------------------- reading


def _kind(path: Path) -> str | None:
    """The reader for a file name (None: no known ending)."""
    name = path.name.lower()
    for ending, kind in SUPPORTED.items():
        if name.endswith(ending):
            return kind
    return None


def _dicom_series_files(folder: Path) -> tuple[list[Path], str]:
    """The DICOM image files of the largest series in ``folder``, and a note on what was skipped.

    Files that are not DICOM (a README, a DICOMDIR index, hidden files) are ignored; when the
    folder holds several series, the one with the most slices is chosen and the note says so.
    """
    import pydicom

    series: dict[str, list[Path]] = {}
    others = 0
    for f in sorted(folder.iterdir()):
        if not f.is_file() or f.name.startswith(".") or f.name.upper() == "DICOMDIR":
            continue
        try:
            ds = pydicom.dcmread(f, stop_before_pixels=True)
        except Exception:  # not DICOM (pydicom raises several types): not part of the series
            others += 1
            continue
        if "Rows" not in ds:  # a DICOM object without an image (report, index ...)
            others += 1
            continue
        series.setdefault(str(ds.get("SeriesInstanceUID", "")), []).append(f)
    if not series:
        subfolders = sorted(p.name for p in folder.iterdir() if p.is_dir())
        hint = f"; open one of its subfolders: {', '.join(subfolders[:5])}" if subfolders else ""
        raise ImageReadError(folder, f"expected a folder of DICOM image files, found none{hint}")
    chosen = max(series.values(), key=len)
    notes = []
    if len(series) > 1:
        notes.append(
            f"the folder holds {len(series)} series: showing the largest "
            f"({len(chosen)} of {sum(map(len, series.values()))} images)"
        )
    if others:
        notes.append(f"{others} other file(s) ignored")
    return chosen, "; ".join(notes)


def _to_course_axes(image: MedicalImage) -> MedicalImage:
    """Reorient a NIfTI volume (usually x, y, z in RAS+) to the course's (z, y, x) = S, P, L.

    The axes are permuted and flipped (no resampling) to the patient directions closest to
    the affine's, as ``nibabel.as_closest_canonical`` does; the affine is updated so that it
    still maps array indices to the same world millimetres.
    """
    from nibabel.orientations import (
        apply_orientation,
        axcodes2ornt,
        inv_ornt_aff,
        io_orientation,
        ornt_transform,
    )

    array = image.array
    if array.ndim == 2:
        array = array[:, :, np.newaxis]
    affine = np.asarray(image.affine, dtype=np.float64)
    transform = ornt_transform(io_orientation(affine), axcodes2ornt(COURSE_AXCODES))
    volume = apply_orientation(array, transform)
    new_affine = affine @ inv_ornt_aff(transform, array.shape)
    spacing = tuple(float(s) for s in np.linalg.norm(new_affine[:3, :3], axis=0))
    meta = {
        **image.meta,
        "axis_codes": "".join(COURSE_AXCODES),
        "file_axis_codes": image.meta.get("axis_codes", ""),
    }
    return replace(
        image,
        array=np.ascontiguousarray(volume, dtype=np.float32),
        spacing=spacing,
        meta=meta,
        affine=new_affine,
    )


def read_scan(path: PathLike) -> tuple[MedicalImage, list[str]]:
    """Read a scan file or DICOM folder into the course's (z, y, x) conventions.

    Parameters
    ----------
    path : str or os.PathLike
        A folder of DICOM slices (one series), a DICOM file (``.dcm``, ``.dicom``, ``.ima``
        or no ending), a NIfTI file (``.nii``, ``.nii.gz``) or a NRRD file (``.nrrd``,
        ``.nhdr``).

    Returns
    -------
    image : MedicalImage
        ``array`` float32: 2D (rows, columns) for a single image, 3D (z, y, x) for a
        volume, in HU for DICOM CT. NIfTI volumes are reoriented from their stored axes
        (usually x, y, z, RAS+) to (z, y, x) with slices feet → head, rows anterior →
        posterior and columns patient right → left, like :func:`medlab.io.read_nrrd`;
        ``spacing`` and ``affine`` follow the new axes. A 4D NIfTI gives its first volume.
    notes : list of str
        What was changed or chosen while reading (reorientation, first volume of a
        series, series chosen in a folder), in words for the learner.

    Raises
    ------
    ImageNotFoundError
        If ``path`` does not exist.
    ImageReadError
        If the file type is not supported, the file cannot be read, it is a colour
        image, or the folder holds no DICOM images.
    """
    p = Path(path).expanduser()
    if not p.exists():
        raise ImageNotFoundError(p, f"no such file or folder (expected {_SUPPORTED_TEXT})")
    notes: list[str] = []
    if p.is_dir():
        files, note = _dicom_series_files(p)
        if note:
            notes.append(note)
        image = read_dicom(files[0]) if len(files) == 1 else read_dicom_series(files)
        image = replace(image, path=str(p))
    else:
        kind = _kind(p)
        if kind is None and p.suffix:
            raise ImageReadError(
                p,
                f"not a supported scan: expected {_SUPPORTED_TEXT}, found a "
                f"{p.suffix!r} file (pictures: medlab.io.read_image)",
            )
        if kind == "NIfTI":
            image = read_nifti(p)
        elif kind == "NRRD":
            image = read_nrrd(p)
        else:  # DICOM, or a file without an ending (many DICOM files have none)
            try:
                image = read_dicom(p)
            except ImageReadError as exc:
                if kind is None:
                    raise ImageReadError(
                        p, f"not a supported scan: expected {_SUPPORTED_TEXT} ({exc.reason})"
                    ) from exc
                raise

    photometric = str(image.meta.get("PhotometricInterpretation", ""))
    if int(image.meta.get("SamplesPerPixel", 1) or 1) > 1 or photometric.startswith("PALETTE"):
        raise ImageReadError(
            p,
            f"expected a greyscale scan, found a colour image ({photometric}, shape {image.shape})",
        )
    if image.modality == "NIfTI":
        if image.ndim == 4:
            notes.append(f"4D series of {image.shape[3]} volumes: showing the first")
            image = replace(image, array=image.array[..., 0])
        if image.ndim not in (2, 3):
            raise ImageReadError(
                p, f"expected a 2D, 3D or 4D NIfTI image, found shape {image.shape}"
            )
        stored = image.meta.get("axis_codes", "")
        image = _to_course_axes(image)
        notes.append(
            f"NIfTI axes ({stored}) reoriented to (z, y, x): slices feet→head, "
            "rows anterior→posterior, columns right→left"
        )
    if image.ndim == 3 and image.shape[0] == 1:  # one slice: a 2D image
        image = replace(image, array=image.array[0], spacing=tuple(image.spacing[1:]))
    if image.ndim not in (2, 3) or min(image.shape) < 1:
        raise ImageReadError(p, f"expected a 2D image or 3D volume, found shape {image.shape}")
    if not all(s > 0 for s in image.spacing):  # DICOM's PixelSpacing 0\0: "not known"
        notes.append("the pixel size is not recorded: shown with square 1 mm pixels")
        image = replace(image, spacing=tuple(s if s > 0 else 1.0 for s in image.spacing))
    if photometric == "MONOCHROME1":
        notes.append("MONOCHROME1: high values are meant to look dark; shown as stored")
    return image, notes


def _guess_units(image: MedicalImage) -> tuple[str, str]:
    """Units of the values and how they were decided (for the one-line summary)."""
    if image.units == "HU":
        return "HU", "DICOM CT"
    if image.modality in ("NIfTI", "NRRD") and image.array.size:
        lo, hi = float(np.min(image.array)), float(np.max(image.array))
        # Only CT has large negative values (air is -1000 HU); MR, PET and masks do not.
        if -3100 <= lo <= -900 and 0 < hi <= 32767:
            return "HU", (
                f"assumed: {image.modality} stores no modality, and values from "
                f"{lo:g} look like CT air"
            )
    return "a.u.", "arbitrary units"


# --------------------------------------------------------------------------- viewing


def open_scan(path: PathLike, *, window: Any = None, units: str | None = None) -> Any:
    """Read a scan and return the viewer that fits it, after one line saying what was read.

    Parameters
    ----------
    path : str or os.PathLike
        A DICOM file or folder of DICOM slices, a NIfTI (``.nii``, ``.nii.gz``) or NRRD
        (``.nrrd``) file; relative paths are relative to the notebook's folder.
    window : str or (center, width), optional
        Initial window preset (``"lung"``, ``"bone"`` ... for CT) or pair; default: soft
        tissue for CT, the 0.5–99.5 percentile range otherwise.
    units : str, optional
        Units of the values, shown in the readout. Default: ``"HU"`` for DICOM CT and
        for NIfTI/NRRD volumes whose values look like CT (down to about -1000), else
        ``"a.u."`` (arbitrary units). NIfTI and NRRD store no modality: pass ``units``
        when the guess is wrong.

    Returns
    -------
    SliceViewer or VolumeViewer
        A :class:`~medlab.widgets.SliceViewer` for a 2D image, a
        :class:`~medlab.widgets.VolumeViewer` (linked head-up planes, and the offline 3D
        rendering once a browser shows it) for a 3D volume, both with window presets and a
        value readout. The last expression of a cell displays it.

    Raises
    ------
    ImageNotFoundError
        If ``path`` does not exist.
    ImageReadError
        If it is not a supported scan or cannot be read (the message names the file).

    Notes
    -----
    The printed line names the file and says it is **your own data**: MedLab cannot tell
    whether a file you bring is real or synthetic.

    Examples
    --------
    >>> from pydicom.data import get_testdata_file
    >>> viewer = open_scan(get_testdata_file("CT_small.dcm"))  # doctest: +ELLIPSIS
    Your own data (not a MedLab dataset), 'CT_small.dcm': CT image 128 × 128 (y, x), ...
    """
    image, notes = read_scan(path)
    found_units, how = _guess_units(image)
    if units is None:
        units = found_units
    else:
        how = "as given"
    axes = "(z, y, x)" if image.ndim == 3 else "(y, x)"
    what = "volume" if image.ndim == 3 else "image"
    shape = " × ".join(str(n) for n in image.shape)
    spacing = " × ".join(f"{s:.4g}" for s in image.spacing)
    name = Path(image.path).name or str(path)
    print(
        f"Your own data (not a MedLab dataset), {name!r}: {image.modality or 'scan'} {what} "
        f"{shape} {axes}, spacing {spacing} mm, values in {units} ({how})."
    )
    for note in notes:
        print(f"  {note}.")
    if image.ndim == 2:
        from medlab.widgets.slice_viewer import SliceViewer

        return SliceViewer(image, window=window, units=units)
    from medlab.widgets.volume_viewer import VolumeViewer

    return VolumeViewer(image, window=window, units=units)
