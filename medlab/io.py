"""Read medical images into arrays in physical units.

Three readers, one result type:

- :func:`read_dicom` — a DICOM file (pydicom); CT is returned in Hounsfield units
  (RescaleSlope/RescaleIntercept applied); :func:`read_dicom_series` stacks a folder of slices.
- :func:`read_nifti` — a NIfTI-1/2 volume (nibabel) with its voxel spacing and affine.
- :func:`read_nrrd` — a NRRD volume (pynrrd), as 3D Slicer writes it, in the course's
  (z, y, x) CT orientation with its spacing and affine.
- :func:`read_image` — an ordinary PNG/JPEG/TIFF picture (Pillow), scaled to [0, 1].

Each returns a :class:`MedicalImage` whose ``array`` is float32, ``spacing`` gives millimetres per
array axis, and ``meta`` holds the header tags. A file that is missing, truncated, corrupt or not an
image raises :class:`~medlab.errors.ImageReadError` naming the file; nothing is half-loaded.

A bad file never escapes as pydicom's, nibabel's, pynrrd's or Pillow's own exception: each library
call is wrapped, and the library's exception is chained as ``__cause__``. Headers are checked
for sense before any pixels are decoded (a header declaring more than :data:`MAX_ARRAY_BYTES` is
refused rather than allocated). A header that nibabel repaired, or a damaged DICOM element left
out of ``meta``, is reported as a :class:`~medlab.errors.HeaderFixedWarning`; nothing is printed.
"""

from __future__ import annotations

import logging
import math
import os
import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from medlab.errors import HeaderFixedWarning, ImageNotFoundError, ImageReadError

__all__ = [
    "MAX_ARRAY_BYTES",
    "MedicalImage",
    "read_dicom",
    "read_dicom_series",
    "read_image",
    "read_nifti",
    "read_nrrd",
    "to_hounsfield",
]

PathLike = str | os.PathLike


@dataclass(frozen=True, repr=False)
class MedicalImage:
    """An image or volume in physical units with its spacing and header.

    Attributes
    ----------
    array : numpy.ndarray
        Pixel or voxel values, float32. CT is in Hounsfield units (HU).
    spacing : tuple of float
        Size of one pixel/voxel along each array axis, in millimetres
        (``(row, column)`` for 2D, ``(slice, row, column)`` or the NIfTI axis order for 3D).
    meta : dict
        Header fields (DICOM keywords or NIfTI header fields) as plain Python values.
    modality : str
        ``"CT"``, ``"MR"``, ``"CR"`` ... for DICOM, ``"NIfTI"`` or ``"photo"`` otherwise.
    units : str
        Units of ``array``: ``"HU"`` for CT, ``"a.u."`` (arbitrary units) otherwise.
    path : str
        The file the image was read from.
    affine : numpy.ndarray or None
        Voxel-to-world (mm) 4×4 affine for NIfTI volumes.
    """

    array: np.ndarray
    spacing: tuple[float, ...]
    meta: dict[str, Any] = field(default_factory=dict)
    modality: str = ""
    units: str = "a.u."
    path: str = ""
    affine: np.ndarray | None = None

    @property
    def shape(self) -> tuple[int, ...]:
        """Shape of :attr:`array`."""
        return self.array.shape

    @property
    def ndim(self) -> int:
        """Number of array dimensions."""
        return self.array.ndim

    def __repr__(self) -> str:
        spacing = " × ".join(f"{s:g}" for s in self.spacing)
        lo, hi = (float(self.array.min()), float(self.array.max())) if self.array.size else (0, 0)
        return (
            f"MedicalImage({self.modality or 'image'}, shape={self.shape}, "
            f"spacing={spacing} mm, range=[{lo:g}, {hi:g}] {self.units}, "
            f"path={Path(self.path).name!r})"
        )


MAX_ARRAY_BYTES = 2 * 1024**3
"""The largest float32 array (in bytes) a reader allocates. A header that declares more is
refused as corrupt instead of allocating it (a 512 × 512 × 2048 CT volume is exactly 2 GiB)."""


def _check_file(path: PathLike) -> Path:
    p = Path(path).expanduser()
    if not p.exists():
        raise ImageNotFoundError(p, "no such file")
    if p.is_dir():
        raise ImageReadError(p, "this is a folder, not a file")
    if p.stat().st_size == 0:
        raise ImageReadError(p, "the file is empty (0 bytes)")
    return p


@contextmanager
def _library_errors(path: Path, doing: str) -> Iterator[None]:
    """Re-raise whatever a library raises inside the block as an :class:`ImageReadError`.

    ``doing`` says what failed ("cannot decode the pixel data"); the library's exception type
    and message follow it, and the original is chained as ``__cause__``. Readers wrap each
    library call in this, so a bad file never escapes as pydicom's, nibabel's or Pillow's own
    exception (``NotImplementedError``, ``BytesLengthException``, ``OverflowError`` ...).
    """
    try:
        yield
    except ImageReadError:
        raise
    except Exception as exc:
        raise ImageReadError(path, f"{doing} ({type(exc).__name__}: {exc})") from exc


def _check_array_size(path: Path, shape: tuple[int, ...], what: str) -> None:
    """Refuse a header whose declared shape would need more than :data:`MAX_ARRAY_BYTES`."""
    nbytes = math.prod(shape) * 4  # float32
    if nbytes > MAX_ARRAY_BYTES:
        raise ImageReadError(
            path,
            f"the header declares {what} of shape {shape} ({nbytes / 2**30:.1f} GiB as float32); "
            f"expected at most {MAX_ARRAY_BYTES / 2**30:g} GiB (medlab.io.MAX_ARRAY_BYTES), "
            "so the header is probably corrupt",
        )


def _shown(value: Any, limit: int = 60) -> str:
    """``repr`` of a header value, shortened for an error message."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _warn_header_fixed(path: Path, notes: list[str], stacklevel: int = 3) -> None:
    """Tell the caller, as one :class:`HeaderFixedWarning`, what was wrong with a header."""
    if notes:
        warnings.warn(
            HeaderFixedWarning(f"{str(path)!r}: damaged header: {'; '.join(notes)}"),
            stacklevel=stacklevel,
        )


# --------------------------------------------------------------------------- DICOM


def to_hounsfield(raw: np.ndarray, slope: float = 1.0, intercept: float = 0.0) -> np.ndarray:
    """Convert stored CT pixel values to Hounsfield units.

    ``HU = raw × RescaleSlope + RescaleIntercept`` (DICOM PS3.3 C.11.1.1.2, the modality LUT
    for CT).

    Parameters
    ----------
    raw : array_like
        Stored pixel values (``Dataset.pixel_array``).
    slope, intercept : float
        The DICOM tags (0028,1053) RescaleSlope and (0028,1052) RescaleIntercept.

    Returns
    -------
    numpy.ndarray
        float32 array in HU, same shape as ``raw``.

    Examples
    --------
    >>> to_hounsfield(np.array([0, 1024]), slope=1, intercept=-1024)
    array([-1024.,     0.], dtype=float32)
    """
    return (np.asarray(raw, dtype=np.float64) * float(slope) + float(intercept)).astype(np.float32)


def _meta_value(value: Any) -> Any:
    """Make a pydicom element value plain Python (numbers, strings, lists)."""
    from pydicom.multival import MultiValue
    from pydicom.valuerep import IS, DSfloat, PersonName

    if isinstance(value, (MultiValue, list, tuple)):
        return [_meta_value(v) for v in value]
    if isinstance(value, DSfloat):
        return float(value)
    if isinstance(value, IS):
        return int(value)
    if isinstance(value, PersonName):
        return str(value)
    if isinstance(value, bytes):
        return f"<{len(value)} bytes>"
    if isinstance(value, (int, float, str)):
        return value
    return str(value)


def _dicom_meta(ds, skipped: list[str]) -> dict[str, Any]:
    """Top-level tags by keyword; a sequence becomes a list of dicts (one per item).

    Only the dataset's own level is flattened into the dict, so a tag inside a sequence
    (say the Modality of a referenced image) never overwrites the image's own tag.
    An element pydicom cannot decode (unknown VR, a length that does not fit its VR) is
    left out and described in ``skipped``; tags without a keyword are never decoded.
    """
    from pydicom.datadict import keyword_for_tag

    meta: dict[str, Any] = {}
    for tag in list(ds.keys()):
        keyword = keyword_for_tag(tag)
        if keyword in ("", "PixelData"):
            continue
        try:
            elem = ds[tag]  # pydicom decodes the raw element here
        except Exception as exc:  # a damaged element must not stop the reading
            skipped.append(
                f"element {keyword} {tag} left out of meta ({type(exc).__name__}: {exc})"
            )
            continue
        try:
            if elem.VR == "SQ":
                meta[keyword] = [_dicom_meta(item, skipped) for item in elem.value]
            else:
                meta[keyword] = _meta_value(elem.value)
        except Exception:  # an undecodable value must not stop the reading
            meta[keyword] = str(elem.value)
    return meta


def _dicom_value(ds, keyword: str, path: Path) -> Any:
    """A DICOM element's value (``None`` when absent); pydicom decodes it lazily, here."""
    with _library_errors(path, f"cannot decode the DICOM element {keyword}"):
        return ds.get(keyword)


#: The type of a header reader's ``default`` (``None`` or a number), returned for an absent element.
_Default = TypeVar("_Default")


def _dicom_number(ds, keyword: str, path: Path, default: _Default) -> float | _Default:
    """A single finite number from the header; ``default`` when the element is absent or empty."""
    value = _dicom_value(ds, keyword, path)
    if value is None or (isinstance(value, (str, bytes)) and not value.strip()):
        return default
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError) as exc:
        raise ImageReadError(path, f"{keyword} must be one number, found {_shown(value)}") from exc
    if not math.isfinite(number):
        raise ImageReadError(path, f"{keyword} must be a finite number, found {_shown(value)}")
    return number


def _dicom_count(ds, keyword: str, path: Path, default: _Default) -> int | _Default:
    """A whole number from the header (Rows, Columns ...); ``default`` when absent or empty."""
    number = _dicom_number(ds, keyword, path, None)
    if number is None:
        return default
    if not number.is_integer():
        raise ImageReadError(path, f"{keyword} must be a whole number, found {number:g}")
    return int(number)


def _dicom_pixels(ds, keyword: str, path: Path) -> int:
    """Rows or Columns from the header: a positive whole number of pixels."""
    value = _dicom_count(ds, keyword, path, None)
    if value is None or value < 1:
        found = "it is missing" if value is None else f"found {value}"
        raise ImageReadError(path, f"{keyword} must be a positive number of pixels, {found}")
    return value


def _dicom_pixel_shape(ds, path: Path) -> tuple[int, ...]:
    """The shape ``ds.pixel_array`` must have, from the Image Pixel module, checked for sense.

    ``(frames, rows, columns, samples)`` with the frame axis only for several frames and the
    sample axis only for colour, as pydicom returns it.
    """
    rows = _dicom_pixels(ds, "Rows", path)
    columns = _dicom_pixels(ds, "Columns", path)
    frames = _dicom_count(ds, "NumberOfFrames", path, 1) or 1  # 0 means 1, as pydicom reads it
    if frames < 1:
        raise ImageReadError(path, f"NumberOfFrames must be at least 1, found {frames}")
    samples = _dicom_count(ds, "SamplesPerPixel", path, 1)
    if samples not in (1, 3):
        raise ImageReadError(
            path, f"SamplesPerPixel must be 1 (grey) or 3 (colour), found {samples}"
        )
    bits = _dicom_count(ds, "BitsAllocated", path, None)
    if bits is None or not (bits == 1 or (bits % 8 == 0 and 8 <= bits <= 64)):
        found = "it is missing" if bits is None else f"found {bits}"
        raise ImageReadError(path, f"BitsAllocated must be 1 or 8, 16, 32 or 64, {found}")
    shape: tuple[int, ...] = (frames,) if frames > 1 else ()
    shape += (rows, columns) + ((samples,) if samples > 1 else ())
    _check_array_size(path, shape, "pixel data")
    return shape


def _dicom_physical(ds, raw: np.ndarray, path: Path) -> np.ndarray:
    """Apply the modality LUT (RescaleSlope/Intercept, or a ModalityLUTSequence), as float32."""
    if "ModalityLUTSequence" in ds:
        from pydicom.pixels import apply_modality_lut

        with _library_errors(path, "cannot apply the ModalityLUTSequence"):
            array = np.asarray(apply_modality_lut(raw, ds), dtype=np.float32)
        how = "the ModalityLUTSequence"
    else:
        slope = _dicom_number(ds, "RescaleSlope", path, 1.0) or 1.0
        intercept = _dicom_number(ds, "RescaleIntercept", path, 0.0) or 0.0
        with np.errstate(over="ignore", invalid="ignore"):
            array = to_hounsfield(raw, slope, intercept)
        how = f"RescaleSlope {slope:g} and RescaleIntercept {intercept:g}"
    if not np.all(np.isfinite(array)):
        raise ImageReadError(
            path, f"expected finite values after applying {how}, found NaN or overflow"
        )
    return array


def _dicom_length(ds, keywords: tuple[str, ...], path: Path) -> tuple[str, Any]:
    """The first of ``keywords`` present with a non-empty, non-zero value, and that value."""
    for keyword in keywords:
        value = _dicom_value(ds, keyword, path)
        if value:
            return keyword, value
    return "", None


def _dicom_spacing(ds, ndim: int, path: Path) -> tuple[float, ...]:
    """(row, column) spacing in mm, with the slice spacing first for multi-frame data."""
    keyword, value = _dicom_length(ds, ("PixelSpacing", "ImagerPixelSpacing"), path)
    if value is None:
        row, col = 1.0, 1.0
    else:
        try:
            if isinstance(value, (str, bytes)):  # an undecodable DS is left as text
                raise TypeError(f"{keyword} is text")
            row, col = (float(s) for s in value[:2])
        except (TypeError, ValueError, IndexError) as exc:
            raise ImageReadError(
                path, f"{keyword} must be two numbers (row, column) in mm, found {_shown(value)}"
            ) from exc
        if not all(math.isfinite(s) and s >= 0 for s in (row, col)):  # 0/0 means "not known"
            raise ImageReadError(
                path, f"{keyword} must be two numbers ≥ 0 in mm, found {_shown(value)}"
            )
    if ndim != 3:
        return (row, col)
    keyword, value = _dicom_length(ds, ("SpacingBetweenSlices", "SliceThickness"), path)
    thickness = 1.0 if value is None else _dicom_number(ds, keyword, path, 1.0)
    if not thickness > 0:
        raise ImageReadError(path, f"{keyword} must be a positive number of mm, found {value}")
    return (thickness, row, col)


def read_dicom(path: PathLike) -> MedicalImage:
    """Read one DICOM file into a :class:`MedicalImage` in physical units.

    Parameters
    ----------
    path : str or os.PathLike
        A DICOM Part 10 file (with or without the 128-byte preamble).

    Returns
    -------
    MedicalImage
        ``array`` is float32 with the modality LUT applied: for CT,
        ``raw × RescaleSlope + RescaleIntercept`` in Hounsfield units; for other
        modalities the same rescale when the tags are present (else the stored values).
        ``spacing`` is ``(row, column)`` in mm from PixelSpacing (or ImagerPixelSpacing),
        with ``SliceThickness`` first for multi-frame data. ``meta`` maps DICOM keywords
        to values (pixel data excluded).

    Raises
    ------
    ImageNotFoundError
        If the file does not exist.
    ImageReadError
        If the file is not DICOM, is truncated or corrupt, or holds no pixel data; if an
        element the image needs (Rows, Columns, BitsAllocated, RescaleSlope, PixelSpacing
        ...) cannot be decoded or makes no sense; if the pixel data does not decode to the
        shape the header declares, or would need more than :data:`MAX_ARRAY_BYTES`.

    Warns
    -----
    HeaderFixedWarning
        If some other element cannot be decoded: it is left out of ``meta``.

    Notes
    -----
    MONOCHROME1 images (some radiographs) are returned as stored: high values are dark
    on screen. ``meta["PhotometricInterpretation"]`` says which convention applies.

    Examples
    --------
    >>> from pydicom.data import get_testdata_file
    >>> ct = read_dicom(get_testdata_file("CT_small.dcm"))
    >>> ct.units, ct.array.dtype
    ('HU', dtype('float32'))
    """
    import pydicom
    from pydicom.errors import InvalidDicomError

    p = _check_file(path)
    try:
        ds = pydicom.dcmread(p)
    except InvalidDicomError as exc:
        raise ImageReadError(p, f"not a DICOM file ({exc})") from exc
    except Exception as exc:  # truncated headers raise EOFError, OSError, struct errors ...
        raise ImageReadError(
            p, f"corrupt or truncated DICOM header ({type(exc).__name__}: {exc})"
        ) from exc
    if "PixelData" not in ds:
        raise ImageReadError(p, "the DICOM file holds no pixel data (PixelData tag missing)")
    shape = _dicom_pixel_shape(ds, p)
    with _library_errors(p, "cannot decode the pixel data"):
        raw = ds.pixel_array
    if raw.shape != shape:
        raise ImageReadError(
            p,
            f"the pixel data decodes to shape {raw.shape}, but the header declares {shape} "
            "(NumberOfFrames, Rows, Columns, SamplesPerPixel)",
        )
    array = _dicom_physical(ds, raw, p)
    with _library_errors(p, "cannot decode the DICOM element Modality"):
        modality = str(ds.get("Modality", ""))
    is_colour = _dicom_count(ds, "SamplesPerPixel", p, 1) == 3
    ndim = array.ndim - (1 if is_colour else 0)
    spacing = _dicom_spacing(ds, ndim, p)
    skipped: list[str] = []
    meta = _dicom_meta(ds, skipped)
    _warn_header_fixed(p, skipped)
    return MedicalImage(
        array=array,
        spacing=spacing,
        meta=meta,
        modality=modality,
        units="HU" if modality == "CT" else "a.u.",
        path=str(p),
    )


def _slice_position(image: MedicalImage) -> float:
    """Where a slice lies along the normal of its image plane (mm), else its InstanceNumber."""
    ipp = image.meta.get("ImagePositionPatient")
    iop = image.meta.get("ImageOrientationPatient")
    if ipp and isinstance(iop, list) and len(iop) == 6:
        try:
            position = np.asarray(ipp, dtype=float)
            orientation = np.asarray(iop, dtype=float)
        except (TypeError, ValueError):
            position = orientation = np.array([np.nan])
        if (
            position.shape != (3,)
            or orientation.shape != (6,)
            or not (np.all(np.isfinite(position)) and np.all(np.isfinite(orientation)))
        ):
            raise ImageReadError(
                image.path,
                "expected ImagePositionPatient to be 3 and ImageOrientationPatient 6 finite "
                f"numbers, found {_shown(ipp)} and {_shown(iop)}",
            )
        normal = np.cross(orientation[:3], orientation[3:])
        return float(np.dot(normal, position))
    number = image.meta.get("InstanceNumber", 0)
    try:
        return float(number)
    except (TypeError, ValueError) as exc:
        raise ImageReadError(
            image.path, f"InstanceNumber must be a number, found {_shown(number)}"
        ) from exc


def read_dicom_series(source: PathLike | list[PathLike]) -> MedicalImage:
    """Read a folder (or list) of single-slice DICOM files into one 3D volume.

    Slices are ordered along the normal of the image plane using ImagePositionPatient
    (falling back to InstanceNumber), and the slice spacing is measured from the
    positions rather than trusted from SliceThickness.

    Parameters
    ----------
    source : str, os.PathLike or list of them
        A folder holding the slices, or the slice files themselves.

    Returns
    -------
    MedicalImage
        ``array`` of shape (slices, rows, columns) in HU for CT, ``spacing`` (dz, dy, dx) mm.

    Raises
    ------
    ImageReadError
        If there are no readable slices, or the slices differ in shape, or a slice is
        unreadable or its position is not numbers (the message names that slice's file).
    """
    if isinstance(source, (list, tuple)):
        files = [Path(f) for f in source]
        where = Path(files[0]).parent if files else Path(".")
    else:
        where = Path(source).expanduser()
        if not where.is_dir():
            raise ImageReadError(where, "expected a folder of DICOM slices")
        files = sorted(f for f in where.iterdir() if f.is_file() and not f.name.startswith("."))
    slices = [read_dicom(f) for f in files]
    if not slices:
        raise ImageReadError(where, "no DICOM slices found")
    shapes = {s.shape for s in slices}
    if len(shapes) != 1:
        raise ImageReadError(where, f"slices have different shapes {sorted(shapes)}")

    positions_of = {id(s): _slice_position(s) for s in slices}
    slices.sort(key=lambda s: positions_of[id(s)])
    positions = np.array([positions_of[id(s)] for s in slices])
    dz = float(np.median(np.diff(positions))) if len(slices) > 1 else 0.0
    if dz <= 0:
        thickness = slices[0].meta.get("SliceThickness", 1.0) or 1.0
        try:
            dz = float(thickness)
        except (TypeError, ValueError):
            dz = math.nan
        if not (math.isfinite(dz) and dz > 0):
            raise ImageReadError(
                slices[0].path,
                "cannot tell the slice spacing: the slice positions coincide and "
                f"SliceThickness is {_shown(thickness)}, expected a positive number of mm",
            )
    first = slices[0]
    return MedicalImage(
        array=np.stack([s.array for s in slices]).astype(np.float32),
        spacing=(dz, *first.spacing[-2:]),
        meta=first.meta,
        modality=first.modality,
        units=first.units,
        path=str(where),
    )


# --------------------------------------------------------------------------- NIfTI


_DEFLATE_MAX_RATIO = 1032  # deflate (gzip) cannot expand data by more than about 1032:1


class _NibabelMessages(logging.Filter):
    """Collect what nibabel logs on this thread (header repairs) instead of printing it."""

    def __init__(self) -> None:
        super().__init__()
        self.thread = threading.get_ident()
        self.messages: list[str] = []

    def filter(self, record: logging.LogRecord) -> bool:
        if threading.get_ident() != self.thread:
            return True  # another thread's message: nibabel handles it as usual
        self.messages.append(record.getMessage())
        return False


@contextmanager
def _nibabel_messages() -> Iterator[list[str]]:
    """Capture nibabel's header-check messages in a list while the block runs.

    nibabel reports the header fields it repairs ("qform_code 99 not valid; setting to 0")
    on its logger ``nibabel.global`` (``nibabel.imageglobals.logger``), which prints them to
    stderr; a filter on that logger keeps them for :func:`read_nifti` to re-issue as a
    :class:`HeaderFixedWarning`.
    """
    from nibabel.imageglobals import logger

    capture = _NibabelMessages()
    logger.addFilter(capture)
    try:
        yield capture.messages
    finally:
        logger.removeFilter(capture)


def _check_nifti_size(img, path: Path) -> tuple[int, ...]:
    """The declared shape, refused when the file cannot hold it or it is absurdly large."""
    header = img.header
    with _library_errors(path, "corrupt NIfTI header"):
        shape = tuple(int(n) for n in header.get_data_shape())
        itemsize = header.get_data_dtype().itemsize
        # the offset the array proxy reads from (the loaded header's own may be reset to 0)
        offset = int(getattr(img.dataobj, "offset", header.get_data_offset()))
    if not shape or min(shape) < 1:
        raise ImageReadError(
            path, f"expected at least one voxel along each axis, the header declares {shape}"
        )
    _check_array_size(path, shape, "a volume")
    data_bytes = math.prod(shape) * itemsize
    size = path.stat().st_size
    if path.suffix.lower() == ".gz" and data_bytes > _DEFLATE_MAX_RATIO * size:
        raise ImageReadError(
            path,
            f"the header declares {shape} voxels ({data_bytes} bytes), more than a gzip file "
            f"of {size} bytes can hold: the header is corrupt or the file truncated",
        )
    if path.suffix.lower() == ".nii" and offset + data_bytes > size:
        raise ImageReadError(
            path,
            f"truncated: the header declares {data_bytes} bytes of voxels from byte {offset}, "
            f"the file has {size} bytes",
        )
    return shape


def read_nifti(path: PathLike) -> MedicalImage:
    """Read a NIfTI-1/NIfTI-2 image (``.nii`` or ``.nii.gz``) with nibabel.

    Parameters
    ----------
    path : str or os.PathLike
        The NIfTI file.

    Returns
    -------
    MedicalImage
        ``array`` float32 with the header's scaling (scl_slope/scl_inter) applied, in the
        file's axis order (usually x, y, z); ``spacing`` from the header's voxel sizes
        (``get_zooms``) for the spatial axes; ``affine`` the voxel-to-world (mm) matrix;
        ``meta`` a few header fields (dimensions, datatype, units, description, axis codes).

    Raises
    ------
    ImageNotFoundError
        If the file does not exist.
    ImageReadError
        If the file is not NIfTI, or is truncated or corrupt (a truncated ``.nii.gz``
        fails here, not later); if the header declares more voxels than the file can
        hold, voxel sizes that are not finite and positive, or a non-finite affine.

    Warns
    -----
    HeaderFixedWarning
        If nibabel repaired the header on loading (its messages, which it would otherwise
        print), or the units or orientation fields are unreadable (``meta`` then says
        ``"unknown"`` or ``"?"``).
    """
    import nibabel as nib
    from nibabel.filebasedimages import ImageFileError

    p = _check_file(path)
    # numpy's overflow warnings from nibabel's arithmetic on a corrupt header are not shown:
    # every result is checked below (finite zooms, affine and scaled voxels)
    with _nibabel_messages() as notes, np.errstate(all="ignore"):
        try:
            img = nib.load(str(p))
        except ImageFileError as exc:
            raise ImageReadError(p, f"not a NIfTI file ({exc})") from exc
        except Exception as exc:
            raise ImageReadError(p, f"corrupt NIfTI header ({type(exc).__name__}: {exc})") from exc
        if not isinstance(img, (nib.Nifti1Image, nib.Nifti2Image)):
            raise ImageReadError(p, f"expected NIfTI, found {type(img).__name__}")
        _check_nifti_size(img, p)
        header = img.header
        # nibabel moves scl_slope/scl_inter from the header to the array proxy on loading
        slope = float(getattr(img.dataobj, "slope", 1.0))
        inter = float(getattr(img.dataobj, "inter", 0.0))
        with _library_errors(p, "truncated or corrupt voxel data"):
            array = np.asarray(img.get_fdata(dtype=np.float32), dtype=np.float32)
        if (slope, inter) != (1.0, 0.0) and np.isinf(array).any():
            raise ImageReadError(
                p,
                "expected finite voxel values, found infinities after scaling by scl_slope "
                f"{slope:g} and scl_inter {inter:g} (a corrupt header?)",
            )
        with _library_errors(p, "corrupt NIfTI header"):
            all_zooms = [float(z) for z in header.get_zooms()]
            affine = np.asarray(img.affine, dtype=np.float64)
            description = header["descrip"].item().decode("latin-1", "replace").strip("\x00 ")
            dims = [int(d) for d in header["dim"][1 : array.ndim + 1]]
            datatype = str(header.get_data_dtype())
        notes = list(notes)
    zooms = tuple(all_zooms[: min(3, array.ndim)])
    if not all(math.isfinite(z) and z > 0 for z in zooms):
        raise ImageReadError(p, f"voxel sizes (pixdim) must be finite and positive, found {zooms}")
    if not np.all(np.isfinite(affine)):
        raise ImageReadError(
            p, "the voxel-to-world affine (qform/sform fields) holds NaN or infinite values"
        )
    try:
        xyz_units, t_units = header.get_xyzt_units()
    except KeyError:  # a units code nibabel does not know
        xyz_units = t_units = "unknown"
        notes.append(f"xyzt_units code {int(header['xyzt_units'])} is not a NIfTI unit")
    with _library_errors(p, "corrupt NIfTI orientation"), np.errstate(all="ignore"):
        codes = nib.aff2axcodes(affine)
    if None in codes:
        notes.append("the affine is degenerate: axis codes unknown ('?')")
    meta = {
        "dim": dims,
        "datatype": datatype,
        "xyz_units": xyz_units,
        "time_units": t_units,
        "description": description,
        "axis_codes": "".join(c or "?" for c in codes),
        "zooms": all_zooms,
    }
    _warn_header_fixed(p, notes)
    return MedicalImage(
        array=array,
        spacing=zooms,
        meta=meta,
        modality="NIfTI",
        units="a.u.",
        path=str(p),
        affine=affine,
    )


# --------------------------------------------------------------------------- NRRD

_LPS_TO_RAS = np.diag([-1.0, -1.0, 1.0])


def read_nrrd(path: PathLike) -> MedicalImage:
    """Read a 3D NRRD volume (``.nrrd``, as 3D Slicer and pyradiomics write them) with pynrrd.

    The array is returned in the course's CT convention: axes ``(slice, row, column)`` =
    ``(z, y, x)``, with slices running feet → head, rows anterior → posterior and columns
    patient right → left (the radiological view of an axial slice). Axes stored in the
    opposite direction are flipped so that this holds whatever the file's order.

    Parameters
    ----------
    path : str or os.PathLike
        The NRRD file (attached header, raw or gzip encoding).

    Returns
    -------
    MedicalImage
        ``array`` float32 (z, y, x) in the file's units (CT files written from DICOM are
        in HU); ``spacing`` (dz, dy, dx) in mm from ``space directions``; ``affine`` the
        4×4 matrix from array index ``(z, y, x, 1)`` to world RAS+ millimetres (as for
        NIfTI); ``meta`` the header fields (``space``, ``sizes``, ``type``, ``encoding``,
        ``space origin``) and ``meta["axis_codes"]`` the patient direction of each array
        axis (``"SPL"`` for the convention above: toward Superior, Posterior, Left).

    Raises
    ------
    ImageNotFoundError
        If the file does not exist.
    ImageReadError
        If the file is not a 3D NRRD volume, or it is truncated or corrupt.

    Notes
    -----
    NRRD stores physical directions in ``space`` (here left-posterior-superior, the
    DICOM patient system) and one direction vector per axis. Only volumes whose axes
    follow the patient axes (diagonal directions, the usual case) are reordered;
    oblique volumes are refused.
    """
    import nrrd

    p = _check_file(path)
    try:
        data, header = nrrd.read(str(p))
    except Exception as exc:  # pynrrd raises NRRDError, ValueError, OSError, zlib/gzip errors
        raise ImageReadError(p, f"not a readable NRRD file ({type(exc).__name__}: {exc})") from exc
    if data.ndim != 3:
        raise ImageReadError(p, f"expected a 3D volume, found {data.ndim} dimensions")
    space = str(header.get("space", "")).lower()
    if space not in ("left-posterior-superior", "right-anterior-superior"):
        raise ImageReadError(
            p, f"expected space left-posterior-superior or right-anterior-superior, found {space!r}"
        )
    with _library_errors(p, "the header's 'space directions' or 'space origin' are not numbers"):
        directions = np.asarray(header.get("space directions"), dtype=np.float64)
        origin = np.asarray(header.get("space origin", np.zeros(3)), dtype=np.float64)
    if directions.shape != (3, 3) or not np.all(np.isfinite(directions)):
        raise ImageReadError(p, "the header has no valid 'space directions'")
    if origin.shape != (3,) or not np.all(np.isfinite(origin)):
        raise ImageReadError(
            p, f"expected a 'space origin' of 3 finite numbers, found {_shown(origin.tolist())}"
        )
    if space == "right-anterior-superior":  # make it LPS like DICOM
        directions = directions @ _LPS_TO_RAS
        origin = _LPS_TO_RAS @ origin
    # axis i of the file points (mostly) along patient axis perm[i] (0 L, 1 P, 2 S)
    perm = np.argmax(np.abs(directions), axis=1)
    off_axis = np.abs(directions).sum(axis=1) - np.abs(directions).max(axis=1)
    if sorted(perm.tolist()) != [0, 1, 2] or np.any(off_axis > 1e-3 * np.abs(directions).max()):
        raise ImageReadError(p, "oblique volumes (non-diagonal space directions) are not supported")
    # reorder file axes to (S, P, L) = (z, y, x), flipping those stored the other way
    order = [int(np.where(perm == axis)[0][0]) for axis in (2, 1, 0)]
    volume = np.transpose(np.asarray(data), order)
    vectors = directions[order]  # row a: the LPS step of array axis a
    start = origin.copy()
    for a in range(3):
        if vectors[a, (2, 1, 0)[a]] < 0:
            volume = np.flip(volume, axis=a)
            start = start + vectors[a] * (volume.shape[a] - 1)
            vectors[a] = -vectors[a]
    affine = np.eye(4)
    affine[:3, :3] = _LPS_TO_RAS @ vectors.T
    affine[:3, 3] = _LPS_TO_RAS @ start
    spacing = tuple(float(np.linalg.norm(v)) for v in vectors)
    meta = {
        "space": space,
        "sizes": [int(s) for s in header.get("sizes", data.shape)],
        "type": str(header.get("type", "")),
        "encoding": str(header.get("encoding", "")),
        "space origin": [float(v) for v in header.get("space origin", np.zeros(3))],
        "axis_codes": "SPL",
    }
    return MedicalImage(
        array=np.ascontiguousarray(volume, dtype=np.float32),
        spacing=spacing,
        meta=meta,
        modality="NRRD",
        units="a.u.",
        path=str(p),
        affine=affine,
    )


# --------------------------------------------------------------------------- pictures


def read_image(path: PathLike, *, as_gray: bool = False) -> MedicalImage:
    """Read a PNG, JPEG or TIFF picture (for example an exported chest X-ray).

    Parameters
    ----------
    path : str or os.PathLike
        The picture file.
    as_gray : bool
        Convert colour pictures to one grey channel (ITU-R 601-2 luma).

    Returns
    -------
    MedicalImage
        ``array`` float32 scaled to [0, 1] (8-bit and 16-bit pictures alike): shape
        (rows, columns) for grey, (rows, columns, 3) for colour. Pictures carry no physical
        size, so ``spacing`` is (1.0, 1.0) and ``meta["spacing_units"]`` is ``"pixel"``.

    Raises
    ------
    ImageNotFoundError
        If the file does not exist.
    ImageReadError
        If the file is not a picture Pillow can decode, is truncated, or its header
        declares more pixels than Pillow or :data:`MAX_ARRAY_BYTES` allow.
    """
    from PIL import Image, UnidentifiedImageError

    p = _check_file(path)
    try:
        with Image.open(p) as im:
            width, height = im.size
            _check_array_size(p, (height, width, len(im.getbands())), "a picture")
            im.load()  # decode now: truncated files fail here, not later
            fmt = im.format
            mode = im.mode
            if as_gray:
                im = im.convert("L") if mode not in ("I;16", "I", "F", "L") else im
            elif mode not in ("L", "RGB", "I;16", "I", "F"):
                im = im.convert("RGB")
            raw = np.asarray(im)
    except ImageReadError:
        raise
    except UnidentifiedImageError as exc:
        raise ImageReadError(p, "not a picture Pillow can read (PNG, JPEG, TIFF ...)") from exc
    except Image.DecompressionBombError as exc:
        raise ImageReadError(
            p, f"the header declares more pixels than Pillow accepts (corrupt header? {exc})"
        ) from exc
    except (OSError, SyntaxError, ValueError) as exc:
        raise ImageReadError(p, f"truncated or corrupt picture ({exc})") from exc
    except Exception as exc:  # Pillow's decoders raise struct, index, memory errors ...
        raise ImageReadError(
            p, f"truncated or corrupt picture ({type(exc).__name__}: {exc})"
        ) from exc
    if raw.dtype == np.uint8:
        array = raw.astype(np.float32) / 255.0
    elif raw.dtype in (np.uint16, np.int32) or mode.startswith("I"):
        array = raw.astype(np.float32) / 65535.0
    else:
        array = raw.astype(np.float32)
    return MedicalImage(
        array=array,
        spacing=(1.0, 1.0),
        meta={"format": fmt, "mode": mode, "spacing_units": "pixel"},
        modality="photo",
        units="a.u.",
        path=str(p),
    )
