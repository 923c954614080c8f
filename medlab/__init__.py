"""MedLab: an interactive course on AI for medical imaging.

The package is organised by idea, one module each:

``medlab.io``          read DICOM, NIfTI and ordinary images into arrays in physical units
``medlab.preprocess``  window/level, normalisation, equalisation, filters, resampling, augmentation
``medlab.losses``      NumPy reference losses and their gradients, plus Keras versions
``medlab.metrics``     classification and segmentation metrics (ROC/AUC, Dice, IoU, Hausdorff)
``medlab.measure``     volumes, diameters and distances on masks, in millimetres and millilitres
``medlab.render``      NumPy drawing: scaling, colour maps, mask blends, heat-map overlays, PNGs
``medlab.segment``     classical chest CT segmentation: body, airways, lungs, a lesion from a click
``medlab.register``    registration of a planning CT to the patient on the table (SimpleITK)
``medlab.radiomics``   first-order, shape and texture features of a region (as pyradiomics)
``medlab.models``      the classic pneumonia CNN, a configurable CNN and a U-Net (Keras)
``medlab.explain``     feature maps, first-layer filters and Grad-CAM
``medlab.deidentify``  DICOM de-identification (a teaching subset of PS3.15 Annex E)
``medlab.datasets``    real data shipped in installed packages, honest synthetic data, MedMNIST
``medlab.widgets``     interactive viewers and explorers for the lessons
``medlab.course``      the course runtime: ``check``, ``hint``, ``solution``, progress, catalog
``medlab.errors``      MedLab's exceptions (each also the matching built-in one)
``medlab.config``      every run-time setting (``MEDLAB_FAST`` ...) and ``medlab.seed(n)``

``import medlab`` is cheap: submodules are imported on first attribute access, and
TensorFlow/Keras only when a model or a Keras loss is first used.

The surfaces ``medlab.cli`` (the ``medlab`` command), ``medlab.app`` (the JupyterLab
launcher) and ``medlab.server`` (the Jupyter server extension) are entry points, not
attributes of the package.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from medlab._version import __version__
from medlab.config import config, seed
from medlab.errors import MedlabError

# The one list of public names, written out so that linters and type checkers read it
# too. The names the imports above have not bound are submodules, imported on first
# attribute access (``errors`` is already bound: importing medlab.errors binds it).
# tests/test_package.py checks this list against the modules in medlab/ and against
# the TYPE_CHECKING imports below; ruff reports an import there that is not listed here.
__all__ = [
    "MedlabError",
    "__version__",
    "config",
    "course",
    "datasets",
    "deidentify",
    "errors",
    "explain",
    "io",
    "losses",
    "measure",
    "metrics",
    "models",
    "preprocess",
    "radiomics",
    "register",
    "render",
    "seed",
    "segment",
    "widgets",
]

_SUBMODULES = frozenset(name for name in __all__ if name not in globals())

if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs: the submodules above
    from medlab import (
        course,
        datasets,
        deidentify,
        errors,
        explain,
        io,
        losses,
        measure,
        metrics,
        models,
        preprocess,
        radiomics,
        register,
        render,
        segment,
        widgets,
    )


def __getattr__(name: str):
    """Import submodules lazily so that ``import medlab`` stays fast."""
    if name in _SUBMODULES:
        module = importlib.import_module(f"medlab.{name}")
        globals()[name] = module
        return module
    raise AttributeError(f"module 'medlab' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | _SUBMODULES)


def _jupyter_labextension_paths() -> list[dict[str, str]]:
    """Where JupyterLab finds MedLab's prebuilt extension (the side panel)."""
    return [{"src": "labextension", "dest": "@medlab/labextension"}]
