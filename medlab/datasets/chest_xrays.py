"""Parser of the 16 real paediatric chest radiographs (Kermany et al. 2018).

The JPEG files come from a package archive fetched once and verified by
:mod:`medlab.datasets._fetch`; here they are only decoded and, on request, resized.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np

from medlab.datasets._cards import get_card
from medlab.datasets._dataset import Dataset

__all__ = ["chest_xray_real", "patient_id", "square_resize"]


def square_resize(image: np.ndarray, size: int) -> np.ndarray:
    """Centre-crop a 2D image to a square and resize it to ``size × size`` (as MedMNIST).

    Parameters
    ----------
    image : ndarray
        2D float image.
    size : int
        Output side in pixels.

    Returns
    -------
    ndarray
        float32 (size, size), anti-aliased bilinear resize of the central square.
    """
    from skimage.transform import resize

    h, w = image.shape
    side = min(h, w)
    top, left = (h - side) // 2, (w - side) // 2
    square = image[top : top + side, left : left + side]
    return resize(square, (size, size), order=1, anti_aliasing=True).astype(np.float32)


def chest_xray_real(files: Mapping[str, Path], size: int | None = None) -> Dataset:
    """Sixteen real chest radiographs of children: 8 normal, 8 bacterial pneumonia.

    Parameters
    ----------
    files : mapping of str to Path
        The 16 JPEG files (fetched and verified), by name.
    size : int, optional
        If given (16-1024), also return ``x``: every image centre-cropped to a square and
        resized to ``size × size``, ready for a model trained on such images.

    Returns
    -------
    Dataset
        ``images`` : list of 16 float32 arrays in [0, 1] at their original size (bright =
        dense). ``y`` : (16,) int64, 0 normal, 1 pneumonia (from the file names).
        ``filenames`` : list of str. ``original_shapes`` : (16, 2) int64.
        ``x`` (with ``size``) : (16, size, size, 1) float32 in [0, 1].

    Notes
    -----
    Real data, 16 images of 15 children (two show one child), from Kermany et al.
    (2018), CC BY 4.0; no physical
    pixel size is known. The normal images are larger than the pneumonia ones (image
    size alone ranks them with an AUC of 0.91): a shortcut a model can learn (see the card).
    """
    from PIL import Image

    if size is not None and (
        isinstance(size, bool) or not isinstance(size, (int, np.integer)) or not 16 <= size <= 1024
    ):
        raise ValueError(f"size must be an integer from 16 to 1024 pixels, got {size!r}")
    names = sorted(files)
    images, labels, shapes = [], [], []
    for name in names:
        with Image.open(files[name]) as picture:
            grey = np.asarray(picture.convert("L"), dtype=np.float32) / np.float32(255.0)
        images.append(grey)
        shapes.append(grey.shape)
        labels.append(0 if name.upper().startswith("NORMAL") else 1)
    data = {
        "images": images,
        "y": np.asarray(labels, dtype=np.int64),
        "filenames": names,
        "original_shapes": np.asarray(shapes, dtype=np.int64),
    }
    if size is not None:
        data["x"] = np.stack([square_resize(im, int(size)) for im in images])[..., np.newaxis]
    return Dataset(
        get_card("chest_xray_real"),
        data,
        meta={
            "images": len(names),
            "patients": len({patient_id(name) for name in names}),
            "folder": str(Path(files[names[0]]).parent),
        },
    )


def patient_id(filename: str) -> str:
    """The patient part of a Kermany file name: two images can show one child.

    ``person1946_bacteria_4875`` → ``person1946``, ``NORMAL2-IM-1427-0001`` →
    ``NORMAL2-IM-1427``.
    """
    stem = Path(filename).stem
    if stem.upper().startswith("NORMAL"):
        return stem.rsplit("-", 1)[0]
    return stem.split("_", 1)[0]
