"""Run-time settings shared by the library, the widgets and the lessons.

Lessons read fast mode from here (``medlab.config.fast``) and never re-implement
the check. Fast mode is switched on by the environment variable ``MEDLAB_FAST=1``
(CI sets it) and shrinks data sizes and epochs so that every lesson runs in about
a minute on two CPU cores.
"""

from __future__ import annotations

import os
import random
from dataclasses import dataclass, field
from typing import TypeVar

import numpy as np

__all__ = ["Config", "config", "seed"]

_TRUE = {"1", "true", "yes", "on"}
T = TypeVar("T")


def _env_flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in _TRUE


@dataclass
class Config:
    """MedLab settings.

    Attributes
    ----------
    fast : bool
        Fast mode: smaller data and fewer epochs. Defaults to ``MEDLAB_FAST``.
    seed : int or None
        The last seed passed to :func:`seed`, or ``None``.
    """

    fast: bool = field(default_factory=lambda: _env_flag("MEDLAB_FAST"))
    seed: int | None = None

    def pick(self, fast: T, full: T) -> T:
        """Return ``fast`` in fast mode and ``full`` otherwise.

        Examples
        --------
        >>> epochs = config.pick(fast=2, full=10)
        """
        return fast if self.fast else full


config = Config()


def seed(n: int = 0) -> None:
    """Seed Python's ``random``, NumPy and (if already imported) Keras/TensorFlow.

    Keras is seeded only if it has been imported, so calling ``seed`` does not
    pull TensorFlow in; :mod:`medlab.models` re-applies the seed when it first
    imports Keras.

    Parameters
    ----------
    n : int
        The seed, a non-negative integer.

    The seed is remembered in ``config.seed``.
    """
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
        raise ValueError(f"seed must be a non-negative integer, got {n!r}")
    n = int(n)
    random.seed(n)
    np.random.seed(n)  # noqa: NPY002 - seeds the legacy global generator learners use
    config.seed = n
    import sys

    if "keras" in sys.modules:
        import keras

        keras.utils.set_random_seed(n)
