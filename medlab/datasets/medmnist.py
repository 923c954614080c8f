"""MedMNIST v2: the parser of the ``.npz`` files (fetched by :mod:`medlab.datasets._fetch`).

The files come once from Zenodo (the card's URL), verified by MD5 and cached; this
module only turns one file into arrays.
"""

from __future__ import annotations

import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from medlab.datasets._cards import get_card
from medlab.datasets._dataset import Dataset
from medlab.errors import ChecksumError

__all__ = ["load_medmnist"]

_SPLITS = ("train", "val", "test")


def load_medmnist(
    files: Mapping[str, Path],
    flag: str,
    as_float: bool = True,
    multilabel: bool = False,
    volumetric: bool = False,
) -> Dataset:
    """Parse a MedMNIST v2 file (the loader behind ``load("pneumoniamnist")`` etc.).

    ``load(name, size=..., path=..., download=...)`` chooses and fetches the file
    (:mod:`medlab.datasets._fetch`); this function only reads it.

    Parameters
    ----------
    files : mapping of str to Path
        The one fetched file, by name (e.g. ``{"pneumoniamnist_64.npz": path}``).
    flag : str
        The MedMNIST name (fixed by the loader registry).
    as_float : bool, optional
        Return images as float32 in [0, 1] (default) instead of uint8.
    multilabel, volumetric : bool
        Fixed by the loader registry: labels with several columns; 3D images.

    Returns
    -------
    Dataset
        ``x_train``, ``x_val``, ``x_test``: (n, size, size, 1) for grey 2D sets,
        (n, size, size, 3) for colour, (n, size, size, size, 1) for 3D; float32
        in [0, 1] (or uint8 0-255 with ``as_float=False``).
        ``y_train``, ``y_val``, ``y_test``: int64, shape (n,) with class
        indices, or (n, 14) 0/1 for multi-label ChestMNIST.
        Class names are in ``ds.labels``.

    Notes
    -----
    Source: MedMNIST v2, Zenodo record 10519652. Licence: CC BY 4.0 (the
    source datasets keep their own licences; see each card).
    """
    card = get_card(flag)
    ((name, file),) = files.items()
    size = next(f.size for f in card.files if f.name == name)
    data: dict[str, Any] = {}
    try:
        with np.load(file, allow_pickle=False) as npz:
            for split in _SPLITS:
                images = npz[f"{split}_images"]
                labels = npz[f"{split}_labels"]
                if images.ndim == (4 if volumetric else 3):
                    images = images[..., np.newaxis]
                data[f"x_{split}"] = (
                    images.astype(np.float32) / np.float32(255.0) if as_float else images
                )
                labels = labels.astype(np.int64)
                if not multilabel and labels.ndim == 2 and labels.shape[1] == 1:
                    labels = labels[:, 0]
                data[f"y_{split}"] = labels
    except (KeyError, ValueError, OSError, EOFError, zipfile.BadZipFile) as exc:
        raise ChecksumError(
            f"cached file {str(file)!r} for {flag} cannot be read as a MedMNIST npz ({exc}); "
            "delete it and fetch the dataset again"
        ) from exc
    return Dataset(card, data, meta={"path": str(file), "size": size})
