"""The one place where MedLab imports Keras.

Every module that needs Keras calls :func:`import_keras` at the point of use, never
``import keras`` at module level, so that ``import medlab`` stays free of TensorFlow
and so that the settings below are applied however the modules are imported:

- the TensorFlow backend unless the user chose another (``KERAS_BACKEND``);
- TensorFlow's C++ INFO lines silenced (``TF_CPP_MIN_LOG_LEVEL=1`` unless set), which
  would otherwise land in notebook outputs;
- the seed of :func:`medlab.seed`, when it was called before Keras was imported.
"""

from __future__ import annotations

import os
import sys
from typing import Any

__all__ = ["apply_seed", "import_keras"]

# The seed last given to Keras (by apply_seed), so a repeat import does not re-seed.
_applied_seed: int | None = None


def apply_seed() -> None:
    """Seed Keras (Python, NumPy and the backend) with ``config.seed``, if one was set."""
    global _applied_seed
    from medlab.config import config

    if config.seed is None:
        return
    import keras

    keras.utils.set_random_seed(config.seed)
    _applied_seed = config.seed


def import_keras() -> Any:
    """Import and return the ``keras`` module, configured for MedLab.

    Returns
    -------
    module
        ``keras`` (Keras 3), on the TensorFlow backend unless ``KERAS_BACKEND``
        says otherwise.

    Notes
    -----
    The first call takes a few seconds (TensorFlow loads). A seed set with
    :func:`medlab.seed` before that is applied once, right after the import.
    """
    if "keras" not in sys.modules:
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "1")
        os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    import keras

    from medlab.config import config

    if config.seed is not None and _applied_seed is None:
        apply_seed()  # medlab.seed() ran before Keras was imported
    return keras
