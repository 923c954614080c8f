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
"""

from __future__ import annotations

import os
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from medlab.errors import ImageNotFoundError, ImageReadError

__all__ = [
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


def _check_file(path: PathLike) -> Path:
    p = Path(path).expanduser()
    if not p.exists():
        raise ImageNotFoundError(p, "no such file")
    if p.is_dir():
        raise ImageReadError(p, "this is a folder, not a file")
    if p.stat().st_size == 0:
        raise ImageReadError(p, "the file is empty (0 bytes)")
    return p


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


def _dicom_meta(ds) -> dict[str, Any]:
    """Top-level tags by keyword; a sequence becomes a list of dicts (one per item).

    Only the dataset's own level is flattened into the dict, so a tag inside a sequence
    (say the Modality of a referenced image) never overwrites the image's own tag.
    """
    meta: dict[str, Any] = {}
    for elem in ds:
        if elem.keyword in ("", "PixelData"):
            continue
        try:
            if elem.VR == "SQ":
                meta[elem.keyword] = [_dicom_meta(item) for item in elem.value]
            else:
                meta[elem.keyword] = _meta_value(elem.value)
        except Exception:  # an undecodable value must not stop the reading
            meta[elem.keyword] = str(elem.value)
    return meta


def _dicom_spacing(ds, ndim: int) -> tuple[float, ...]:
    spacing = ds.get("PixelSpacing") or ds.get("ImagerPixelSpacing") or [1.0, 1.0]
    row, col = (float(s) for s in spacing[:2])
    if ndim == 3:
        thickness = ds.get("SpacingBetweenSlices") or ds.get("SliceThickness") or 1.0
        return (float(thickness), row, col)
    return (row, col)


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
        If the file is not DICOM, is truncated or corrupt, or holds no pixel data.

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
    try:
        raw = ds.pixel_array
    except Exception as exc:
        raise ImageReadError(
            p, f"cannot decode the pixel data ({type(exc).__name__}: {exc})"
        ) from exc

    modality = str(ds.get("Modality", ""))
    slope = float(ds.get("RescaleSlope", 1.0) or 1.0)
    intercept = float(ds.get("RescaleIntercept", 0.0) or 0.0)
    if "ModalityLUTSequence" in ds:
        from pydicom.pixels import apply_modality_lut

        array = np.asarray(apply_modality_lut(raw, ds), dtype=np.float32)
    else:
        array = to_hounsfield(raw, slope, intercept)
    is_colour = int(ds.get("SamplesPerPixel", 1)) > 1
    ndim = array.ndim - (1 if is_colour else 0)
    return MedicalImage(
        array=array,
        spacing=_dicom_spacing(ds, ndim),
        meta=_dicom_meta(ds),
        modality=modality,
        units="HU" if modality == "CT" else "a.u.",
        path=str(p),
    )


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
        If there are no readable slices, or the slices differ in shape.
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

    def position(img: MedicalImage) -> float:
        ipp = img.meta.get("ImagePositionPatient")
        iop = img.meta.get("ImageOrientationPatient")
        if ipp and iop and len(iop) == 6:
            normal = np.cross(np.asarray(iop[:3], float), np.asarray(iop[3:], float))
            return float(np.dot(normal, np.asarray(ipp, float)))
        return float(img.meta.get("InstanceNumber", 0))

    slices.sort(key=position)
    positions = np.array([position(s) for s in slices])
    dz = float(np.median(np.diff(positions))) if len(slices) > 1 else 0.0
    if dz <= 0:
        dz = float(slices[0].meta.get("SliceThickness", 1.0) or 1.0)
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
        fails here, not later).
    """
    import nibabel as nib
    from nibabel.filebasedimages import ImageFileError

    p = _check_file(path)
    try:
        img = nib.load(str(p))
    except ImageFileError as exc:
        raise ImageReadError(p, f"not a NIfTI file ({exc})") from exc
    except Exception as exc:
        raise ImageReadError(p, f"corrupt NIfTI header ({type(exc).__name__}: {exc})") from exc
    if not isinstance(img, (nib.Nifti1Image, nib.Nifti2Image)):
        raise ImageReadError(p, f"expected NIfTI, found {type(img).__name__}")
    try:
        array = np.asarray(img.get_fdata(dtype=np.float32), dtype=np.float32)
    except (EOFError, OSError, ValueError, zlib.error) as exc:
        raise ImageReadError(
            p, f"truncated or corrupt voxel data ({type(exc).__name__}: {exc})"
        ) from exc
    header = img.header
    zooms = tuple(float(z) for z in header.get_zooms()[: min(3, array.ndim)])
    xyz_units, t_units = header.get_xyzt_units()
    meta = {
        "dim": [int(d) for d in header["dim"][1 : array.ndim + 1]],
        "datatype": str(header.get_data_dtype()),
        "xyz_units": xyz_units,
        "time_units": t_units,
        "description": header["descrip"].item().decode("latin-1", "replace").strip("\x00 "),
        "axis_codes": "".join(nib.aff2axcodes(img.affine)),
        "zooms": [float(z) for z in header.get_zooms()],
    }
    return MedicalImage(
        array=array,
        spacing=zooms,
        meta=meta,
        modality="NIfTI",
        units="a.u.",
        path=str(p),
        affine=np.asarray(img.affine, dtype=np.float64),
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
    directions = np.asarray(header.get("space directions"), dtype=np.float64)
    origin = np.asarray(header.get("space origin", np.zeros(3)), dtype=np.float64)
    if directions.shape != (3, 3) or not np.all(np.isfinite(directions)):
        raise ImageReadError(p, "the header has no valid 'space directions'")
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
        If the file is not a picture Pillow can decode, or is truncated.
    """
    from PIL import Image, UnidentifiedImageError

    p = _check_file(path)
    try:
        with Image.open(p) as im:
            im.load()  # decode now: truncated files fail here, not later
            fmt = im.format
            mode = im.mode
            if as_gray:
                im = im.convert("L") if mode not in ("I;16", "I", "F", "L") else im
            elif mode not in ("L", "RGB", "I;16", "I", "F"):
                im = im.convert("RGB")
            raw = np.asarray(im)
    except UnidentifiedImageError as exc:
        raise ImageReadError(p, "not a picture Pillow can read (PNG, JPEG, TIFF ...)") from exc
    except (OSError, SyntaxError, ValueError) as exc:
        raise ImageReadError(p, f"truncated or corrupt picture ({exc})") from exc
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
