"""MedMNIST v2 downloads: fetched once from Zenodo, verified by MD5, cached.

Lookup order for a file (like scikit-image's ``_fetch``): the cache in
:func:`medlab.datasets.cache_dir`, then a file the user downloaded (``path=``),
then the network. Files enter the cache only whole and verified: downloads
go to a temporary file in the cache folder that is renamed into place after
the checksum matched, and is deleted otherwise.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import numpy as np

from medlab.datasets._cards import DatasetCard, get_card
from medlab.datasets._dataset import Dataset
from medlab.errors import ChecksumError, DatasetNotAvailableError

__all__ = ["cached_path", "fetch_file", "load_medmnist", "md5sum"]

_CHUNK = 1 << 20
_TIMEOUT_S = 30
_SPLITS = ("train", "val", "test")


def md5sum(path: str | Path) -> str:
    """MD5 hex digest of a file, read in 1 MiB chunks."""
    digest = hashlib.md5(usedforsecurity=False)
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def cached_path(card: DatasetCard, size: int = 28) -> Path:
    """Where the file of ``card`` at image size ``size`` lives in the cache."""
    from medlab.datasets import cache_dir

    return cache_dir() / "medmnist" / card.file(size).name


def _instructions(card: DatasetCard, size: int, target: Path) -> str:
    name = card.file(size).name
    size_opt = "" if size == 28 else f", size={size}"
    return (
        f"Download it yourself from\n    {card.url_for(name)}\n"
        f"and put the file at\n    {target}\n"
        f"or pass its location: medlab.datasets.load({card.name!r}{size_opt}, "
        f"path='~/Downloads/{name}')"
    )


def _verify(path: Path, expected: str, what: str) -> None:
    found = md5sum(path)
    if found != expected:
        raise ChecksumError(
            f"{what} {str(path)!r} has MD5 {found}, expected {expected}: the file is "
            "incomplete, corrupt or a different dataset/size. Download it again."
        )


def _atomic_copy(src: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    os.close(fd)
    try:
        shutil.copyfile(src, tmp)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _download(url: str, target: Path, expected_md5: str) -> None:
    """Stream ``url`` into ``target`` via a temporary file; verify; rename."""
    from tqdm.auto import tqdm

    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    tmp = Path(tmp_name)
    digest = hashlib.md5(usedforsecurity=False)
    try:
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(url, timeout=_TIMEOUT_S) as resp:
            total = resp.headers.get("Content-Length") if resp.headers else None
            with tqdm(
                total=int(total) if total else None,
                unit="B",
                unit_scale=True,
                unit_divisor=1024,
                desc=target.name,
            ) as bar:
                for chunk in iter(lambda: resp.read(_CHUNK), b""):
                    out.write(chunk)
                    digest.update(chunk)
                    bar.update(len(chunk))
        found = digest.hexdigest()
        if found != expected_md5:
            raise ChecksumError(
                f"download of {url} has MD5 {found}, expected {expected_md5}; "
                "it was discarded (nothing was written to the cache). Try again."
            )
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


def fetch_file(
    card: DatasetCard,
    size: int = 28,
    path: str | os.PathLike | None = None,
    download: bool = True,
) -> Path:
    """Make the ``size`` file of ``card`` available in the cache; return its path.

    Parameters
    ----------
    card : DatasetCard
        A downloadable dataset's card.
    size : int, optional
        Image size: 28 (default), 64, 128 or 224 (3D sets: 28 or 64).
    path : path-like, optional
        A file you downloaded yourself (or the folder holding it). It must
        have the registered MD5; it is copied into the cache if not there yet.
    download : bool, optional
        Whether to try the network when the file is not cached (default True).

    Returns
    -------
    pathlib.Path
        The verified file in the cache.

    Raises
    ------
    ValueError
        No file of that ``size``.
    ChecksumError
        The given or downloaded file has the wrong MD5 (nothing is cached).
    DatasetNotAvailableError
        Not cached and not downloadable (offline, ``download=False`` or an
        HTTP error); the message says which URL to fetch and where to put it.
    """
    entry = card.file(size)
    target = cached_path(card, size)
    if path is not None:
        src = Path(path).expanduser()
        if src.is_dir():
            src = src / entry.name
        if not src.is_file():
            raise DatasetNotAvailableError(
                f"path={str(path)!r} given for dataset {card.name!r} (size {size}) is not a "
                f"file (expected the file {entry.name!r}). " + _instructions(card, size, target)
            )
        _verify(src, entry.md5, f"file for dataset {card.name!r} (size {size})")
        if not target.is_file():
            _atomic_copy(src, target)
        return target
    if target.is_file():
        return target
    if not download:
        raise DatasetNotAvailableError(
            f"dataset {card.name!r} (size {size}) is not in the cache and download=False. "
            + _instructions(card, size, target)
        )
    url = card.url_for(entry.name)
    try:
        _download(url, target, entry.md5)
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", None) or exc
        raise DatasetNotAvailableError(
            f"dataset {card.name!r} (size {size}) is not in the cache and could not be "
            f"downloaded ({reason}). " + _instructions(card, size, target)
        ) from exc
    return target


def load_medmnist(
    flag: str,
    size: int = 28,
    path: str | os.PathLike | None = None,
    download: bool = True,
    as_float: bool = True,
    multilabel: bool = False,
    volumetric: bool = False,
) -> Dataset:
    """Load a MedMNIST v2 dataset (the loader behind ``load("pneumoniamnist")`` etc.).

    Parameters
    ----------
    flag : str
        The MedMNIST name (fixed by the card).
    size : int, optional
        Image side in pixels: 28 (default), 64, 128, 224 (3D: 28, 64).
    path : path-like, optional
        A file you downloaded yourself (see :func:`fetch_file`).
    download : bool, optional
        Try the network if the file is not cached (default True).
    as_float : bool, optional
        Return images as float32 in [0, 1] (default) instead of uint8.
    multilabel, volumetric : bool
        Fixed by the card: labels with several columns; 3D images.

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
    if size not in [f.size for f in card.files]:
        raise ValueError(
            f"{flag} has no size {size!r}; available: {[f.size for f in card.files]}"
        )
    file = fetch_file(card, size=size, path=path, download=download)
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
    except (KeyError, ValueError, OSError) as exc:
        raise ChecksumError(
            f"cached file {str(file)!r} for {flag} cannot be read as a MedMNIST npz ({exc}); "
            "delete it and fetch the dataset again"
        ) from exc
    return Dataset(card, data, meta={"path": str(file), "size": size})
