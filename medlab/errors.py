"""Exceptions raised by MedLab.

Every error names the input it was given, what was expected and what was found,
in the spirit of pydicom's ``InvalidDicomError``. They subclass the standard
exception that fits (``ValueError``, ``FileNotFoundError`` ...) so that generic
``except`` clauses keep working.
"""

from __future__ import annotations

__all__ = [
    "ChecksumError",
    "DatasetNotAvailableError",
    "HeaderFixedWarning",
    "ImageNotFoundError",
    "ImageReadError",
    "MedlabError",
    "UnknownDatasetError",
]


class MedlabError(Exception):
    """Base class of every exception raised on purpose by MedLab."""


class ImageReadError(MedlabError, ValueError):
    """A file could not be read as a medical image (corrupt, truncated or not an image).

    Attributes
    ----------
    path : str
        The file that could not be read.
    """

    def __init__(self, path: object, reason: str) -> None:
        self.path = str(path)
        self.reason = reason
        super().__init__(f"Cannot read {self.path!r} as an image: {reason}")


class UnknownDatasetError(MedlabError, KeyError):
    """A dataset name that is not in the registry."""

    def __str__(self) -> str:  # KeyError would otherwise quote the message
        return str(self.args[0]) if self.args else ""


class DatasetNotAvailableError(MedlabError, FileNotFoundError):
    """A downloadable dataset is neither cached nor reachable (for example offline)."""


class ChecksumError(MedlabError, ValueError):
    """A downloaded or user-supplied data file does not match its registered checksum."""


class ImageNotFoundError(ImageReadError, FileNotFoundError):
    """The image file does not exist."""


class HeaderFixedWarning(UserWarning):
    """A damaged image header was repaired, or a damaged field left out, while reading it.

    The image itself was read. The message names the file and says what was wrong, for
    example nibabel's own repair ("qform_code 99 not valid; setting to 0") or a DICOM
    element that could not be decoded and is missing from ``meta``.
    """
