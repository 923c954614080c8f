"""Parsers of the real images that ship inside installed packages.

The packages are nilearn, pydicom and scikit-image. Each loader receives the files the
fetch layer located (:mod:`medlab.datasets._fetch`: for these datasets, paths inside the
installed packages) and only builds arrays. Nothing here touches the network.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np

from medlab.datasets._cards import get_card
from medlab.datasets._dataset import Dataset

__all__ = ["dicom_samples", "mni152", "pydicom_ct", "pydicom_mr", "retina"]


def _block_mean(volume: np.ndarray, factor: int) -> np.ndarray:
    """Average non-overlapping ``factor``-sized cubes (edges that do not fill one are dropped)."""
    if factor == 1:
        return volume
    shape = tuple(s // factor for s in volume.shape)
    cropped = volume[tuple(slice(0, s * factor) for s in shape)]
    blocks = cropped.reshape(shape[0], factor, shape[1], factor, shape[2], factor)
    return blocks.mean(axis=(1, 3, 5), dtype=np.float64).astype(np.float32)


def mni152(files: Mapping[str, Path], resolution: int = 1) -> Dataset:
    """The MNI152 (ICBM 2009a symmetric) T1 brain template with tissue maps.

    Parameters
    ----------
    files : mapping of str to Path
        The three NIfTI files of the card, by name (found in the installed nilearn).
    resolution : int, optional
        Voxel size in mm (1, 2, 3 or 4). Values above 1 average ``resolution³``
        blocks of the 1 mm volumes (2 gives a 98×116×94 volume, 8× smaller).

    Returns
    -------
    Dataset
        ``t1`` : (197, 233, 189) float32 ndarray at ``resolution=1``, T1-weighted
        MRI intensity scaled to [0, 1] (MRI has no physical unit); axes are
        (x, y, z) in RAS+ orientation, as stored in the NIfTI file.
        ``gm``, ``wm`` : same shape, float32 probability maps in [0, 1] of grey
        and white matter.
        ``labels`` : same shape, uint8, 0 = other, 1 = grey matter,
        2 = white matter (the more probable tissue where its probability ≥ 0.5).
        ``ds.spacing`` is ``(resolution,) * 3`` mm; ``ds.affine`` the 4×4
        voxel-to-MNI-mm matrix.

    Notes
    -----
    Read with nibabel from the files that the nilearn wheel ships in
    ``nilearn/datasets/data/`` (uint8 on disk, rescaled to [0, 1] by their
    maximum, as nilearn's ``load_mni152_template`` does). No network is used.

    Licence: the ICBM 2009 templates are free to use, copy and distribute with
    the copyright notice of the McConnell Brain Imaging Centre, Montreal
    Neurological Institute, McGill University (see the card).

    References
    ----------
    .. [1] Fonov V, Evans AC, Botteron K, et al. Unbiased average age-appropriate
       atlases for pediatric studies. NeuroImage 54(1), 2011.

    Examples
    --------
    >>> from medlab import datasets
    >>> datasets.load("mni152", resolution=2)["t1"].shape
    (98, 116, 94)
    """
    import nibabel as nib

    if (
        isinstance(resolution, bool)
        or not isinstance(resolution, (int, np.integer))
        or not (1 <= resolution <= 4)
    ):
        raise ValueError(f"resolution must be an integer from 1 to 4 (mm), got {resolution!r}")
    factor = int(resolution)
    paths = dict(files)
    arrays = {}
    affine = None
    for key, fname in (
        ("t1", "mni_icbm152_t1_tal_nlin_sym_09a_converted.nii.gz"),
        ("gm", "mni_icbm152_gm_tal_nlin_sym_09a_converted.nii.gz"),
        ("wm", "mni_icbm152_wm_tal_nlin_sym_09a_converted.nii.gz"),
    ):
        img = nib.Nifti1Image.from_filename(paths[fname])
        data = np.asarray(img.get_fdata(dtype=np.float32))
        data /= data.max()
        arrays[key] = _block_mean(data, factor)
        affine = img.affine
    scale = np.diag([factor, factor, factor, 1.0])
    scale[:3, 3] = (factor - 1) / 2.0  # centre of each block, in old voxel units
    affine = affine @ scale
    gm, wm = arrays["gm"], arrays["wm"]
    labels = np.zeros(gm.shape, dtype=np.uint8)
    labels[(gm >= 0.5) & (gm >= wm)] = 1
    labels[(wm >= 0.5) & (wm > gm)] = 2
    arrays["labels"] = labels
    return Dataset(
        get_card("mni152"),
        arrays,
        spacing=(float(factor),) * 3,
        affine=affine,
        meta={"paths": {k: str(v) for k, v in paths.items()}, "resolution": factor},
    )


_TAGS = (
    "Modality",
    "Manufacturer",
    "BodyPartExamined",
    "Rows",
    "Columns",
    "PixelSpacing",
    "SliceThickness",
    "RescaleSlope",
    "RescaleIntercept",
    "WindowCenter",
    "WindowWidth",
    "PhotometricInterpretation",
    "BitsStored",
)


def _read_dicom_slice(name: str, path: Path) -> Dataset:
    import pydicom

    from medlab.io import read_dicom

    header = pydicom.dcmread(path)
    image = read_dicom(path)
    array = np.asarray(image.array, dtype=np.float32)
    spacing = tuple(image.spacing)[-2:]
    meta = {}
    for tag in _TAGS:
        value = header.get(tag)
        if value is None:
            continue
        if isinstance(value, pydicom.multival.MultiValue):
            value = [float(v) for v in value]
        elif isinstance(value, (pydicom.valuerep.DSfloat, pydicom.valuerep.IS)):
            value = float(value)
        else:
            value = value if isinstance(value, (int, float)) else str(value)
        meta[tag] = value
    meta["path"] = str(path)
    return Dataset(get_card(name), {"image": array}, spacing=spacing, meta=meta)


def pydicom_ct(files: Mapping[str, Path]) -> Dataset:
    """The CT test slice of pydicom, ``CT_small.dcm``, in Hounsfield units.

    Parameters
    ----------
    files : mapping of str to Path
        ``{"CT_small.dcm": path}`` (in the installed pydicom).

    Returns
    -------
    Dataset
        ``image`` : (128, 128) float32 ndarray, Hounsfield units (stored values
        × RescaleSlope 1 + RescaleIntercept −1024). ``ds.spacing`` is the
        pixel spacing (row, column) in mm, about (0.66, 0.66); ``ds.meta``
        holds the main DICOM tags and ``ds.meta["path"]`` the file (to open it
        with pydicom yourself).

    Notes
    -----
    The file ships in the pydicom wheel (``pydicom/data/test_files``); no network. Converted with
    :func:`medlab.io.read_dicom`. Licence: pydicom's test files are
    distributed with pydicom under its MIT licence (see the card).
    """
    return _read_dicom_slice("pydicom_ct", files["CT_small.dcm"])


def pydicom_mr(files: Mapping[str, Path]) -> Dataset:
    """The MR test slice of pydicom, ``MR_small.dcm``.

    Parameters
    ----------
    files : mapping of str to Path
        ``{"MR_small.dcm": path}`` (in the installed pydicom).

    Returns
    -------
    Dataset
        ``image`` : (64, 64) float32 ndarray, MR signal intensity (arbitrary
        units; the file has no rescale). ``ds.spacing`` is (0.3125, 0.3125) mm;
        ``ds.meta`` holds the main DICOM tags and the file path.

    Notes
    -----
    Ships in the pydicom wheel; no network. Licence as for :func:`pydicom_ct`.
    """
    return _read_dicom_slice("pydicom_mr", files["MR_small.dcm"])


_DICOM_SAMPLES = {"chest_radiograph": "RG1_UNCR.dcm", "head_ct": "693_UNCR.dcm"}


def dicom_samples(files: Mapping[str, Path], case: str = "chest_radiograph") -> Dataset:
    """A real chest radiograph (CR, MONOCHROME1) or head CT slice from pydicom-data.

    Parameters
    ----------
    files : mapping of str to Path
        The two DICOM files (fetched and verified), by name.
    case : {"chest_radiograph", "head_ct"}
        Which file (default the radiograph).

    Returns
    -------
    Dataset
        ``image`` : float32, (1955, 1841) stored values of the radiograph (MONOCHROME1:
        high values are dark) or (512, 512) HU of the head CT. ``ds.meta`` holds the main
        DICOM tags (``PhotometricInterpretation``, ``WindowCenter`` ...) and the path;
        ``ds.spacing`` is the pixel spacing, or ``None`` when the file gives none (the
        radiograph's PixelSpacing is 0/0).

    Notes
    -----
    Real data from pydicom's external test files (pydicom-data 1.0.0, MIT); the head CT
    belongs to the CQ500 collection (CC BY-NC-SA 4.0). See the card.
    """
    if case not in _DICOM_SAMPLES:
        raise ValueError(f"case must be one of {list(_DICOM_SAMPLES)}, got {case!r}")
    ds = _read_dicom_slice("dicom_samples", files[_DICOM_SAMPLES[case]])
    if ds.spacing is not None and not all(s > 0 for s in ds.spacing):
        ds.spacing = None  # 0/0 in the header: unknown
    ds.meta["case"] = case
    return ds


def retina(files: Mapping[str, Path]) -> Dataset:
    """A human retina fundus photograph (scikit-image's ``data.retina()``).

    Parameters
    ----------
    files : mapping of str to Path
        ``{"retina.jpg": path}`` (in the installed scikit-image).

    Returns
    -------
    Dataset
        ``image`` : (1411, 1411, 3) uint8 ndarray, RGB colour photograph.
        ``green`` : (1411, 1411) float32 in [0, 1], the green channel, where
        vessels and microaneurysms have the most contrast.
        No physical spacing is known (``ds.spacing`` is ``None``).

    Notes
    -----
    Read from the file shipped in the scikit-image wheel; no network.
    Source: Häggström, Mikael (2014), "Medical gallery of Mikael Häggström
    2014", WikiJournal of Medicine 1(2), DOI:10.15347/wjm/2014.008, via
    Wikimedia Commons. Licence: public domain (CC0), per scikit-image.
    """
    from skimage import io

    image = io.imread(files["retina.jpg"])
    green = image[..., 1].astype(np.float32) / 255.0
    return Dataset(get_card("retina"), {"image": image, "green": green})
