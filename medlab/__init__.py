"""MedLab: an interactive course on AI for medical imaging.

The package is organised by idea, one module each:

``medlab.io``          read DICOM, NIfTI and ordinary images into arrays in physical units
``medlab.preprocess``  window/level, normalisation, equalisation, filters, resampling, augmentation
``medlab.losses``      NumPy reference losses and their gradients, plus Keras versions
``medlab.metrics``     Dice, IoU, sensitivity, specificity, confusion matrix, ROC/AUC
``medlab.models``      the classic pneumonia CNN, a configurable CNN and a U-Net (Keras)
``medlab.datasets``    real data shipped in installed packages, honest synthetic data, MedMNIST
``medlab.config``      run-time settings such as fast mode (``MEDLAB_FAST=1``)

``import medlab`` is cheap: TensorFlow/Keras are only imported when a model or a
Keras loss is first used, and submodules are imported on first attribute access.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from medlab._version import __version__
from medlab.config import config, seed
from medlab.errors import MedlabError

__all__ = [
    "MedlabError",
    "__version__",
    "config",
    "datasets",
    "io",
    "losses",
    "metrics",
    "models",
    "preprocess",
    "seed",
]

_SUBMODULES = {
    "course",
    "datasets",
    "explain",
    "io",
    "losses",
    "metrics",
    "models",
    "preprocess",
    "widgets",
}

if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs only
    from medlab import datasets, io, losses, metrics, models, preprocess


def __getattr__(name: str):
    """Import submodules lazily so that ``import medlab`` stays fast."""
    if name in _SUBMODULES:
        module = importlib.import_module(f"medlab.{name}")
        globals()[name] = module
        return module
    raise AttributeError(f"module 'medlab' has no attribute {name!r}")


def _jupyter_labextension_paths() -> list[dict[str, str]]:
    """Where JupyterLab finds MedLab's prebuilt extension (the side panel)."""
    return [{"src": "labextension", "dest": "@medlab/labextension"}]


def __dir__() -> list[str]:
    return sorted(set(globals()) | _SUBMODULES)
