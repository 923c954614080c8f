"""Every run-time setting of MedLab, in one place: :data:`config`.

The library, the widgets, the course runtime, the server extension and the lessons
read their settings from here and nowhere else. Each setting has an environment
variable and a default; a value assigned in Python (``config.fast = True``) wins over
both until it is deleted again (``del config.fast``)::

    setting        environment variable     default
    fast           MEDLAB_FAST=1            off
    data_dir       MEDLAB_DATA_DIR          platformdirs' user data dir for "medlab"
    progress_dir   MEDLAB_PROGRESS_DIR      <jupyter data dir>/medlab
    workspace      MEDLAB_WORKSPACE         ~/medlab
    lessons_dir    MEDLAB_LESSONS_DIR       the lessons bundled with MedLab

Environment variables are read each time a setting is read (not once at import), so
a test, a classroom launcher or a server started with another environment sees its
own values.

Fast mode shrinks data sizes and epochs so that every lesson runs in about a minute
on two CPU cores; CI sets it.
"""

from __future__ import annotations

import os
import random
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, Generic, TypeVar

import numpy as np

__all__ = ["SETTINGS", "Config", "config", "seed"]

T = TypeVar("T")
_TRUE = {"1", "true", "yes", "on"}


def _flag(text: str) -> bool:
    return text.strip().lower() in _TRUE


def _path(text: str) -> Path:
    return Path(text).expanduser()


def _default_data_dir() -> Path:
    import platformdirs

    return Path(platformdirs.user_data_dir("medlab", appauthor=False))


def _default_progress_dir() -> Path:
    from jupyter_core.paths import jupyter_data_dir

    return Path(jupyter_data_dir()) / "medlab"


def _default_workspace() -> Path:
    return Path.home() / "medlab"


def _default_lessons_dir() -> Path:
    from medlab._resources import lessons_dir

    return lessons_dir()


class _Setting(Generic[T]):
    """A descriptor: an assigned value, else the environment variable, else the default."""

    def __init__(
        self, env: str, parse: Callable[[str], T], default: Callable[[], T], doc: str
    ) -> None:
        self.env, self.parse, self.default, self.__doc__ = env, parse, default, doc

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, obj: Any, owner: type | None = None) -> Any:
        if obj is None:
            return self
        if self.name in obj._assigned:
            return obj._assigned[self.name]
        text = os.environ.get(self.env, "")
        if text.strip():
            return self.parse(text)
        return self.default()

    def __set__(self, obj: Any, value: Any) -> None:
        if self.parse is _flag:
            if not isinstance(value, bool):
                raise TypeError(f"config.{self.name} must be True or False, got {value!r}")
        else:
            value = _path(os.fspath(value))
        obj._assigned[self.name] = value

    def __delete__(self, obj: Any) -> None:
        obj._assigned.pop(self.name, None)

    def source(self, obj: Any) -> str:
        """Where the current value comes from: ``"set in Python"``, the variable, or default."""
        if self.name in obj._assigned:
            return "set in Python"
        if os.environ.get(self.env, "").strip():
            return f"{self.env}={os.environ[self.env]!r}"
        return "default"


class Config:
    """MedLab's settings (use the shared instance :data:`config`).

    Attributes
    ----------
    fast : bool
        Fast mode: smaller data and fewer epochs (``MEDLAB_FAST``).
    data_dir : pathlib.Path
        Per-user data folder; datasets are cached in ``data_dir / "datasets"``
        (``MEDLAB_DATA_DIR``).
    progress_dir : pathlib.Path
        Folder of the learner's ``progress.json`` (``MEDLAB_PROGRESS_DIR``).
    workspace : pathlib.Path
        Folder that ``medlab lab`` fills with the learner's lessons (``MEDLAB_WORKSPACE``).
    lessons_dir : pathlib.Path
        Folder of the source lesson notebooks (``MEDLAB_LESSONS_DIR``).
    seed : int or None
        The last seed passed to :func:`seed`, or ``None``.
    """

    fast = _Setting("MEDLAB_FAST", _flag, lambda: False, "Fast mode (smaller data, fewer epochs).")
    data_dir = _Setting("MEDLAB_DATA_DIR", _path, _default_data_dir, "Per-user data folder.")
    progress_dir = _Setting(
        "MEDLAB_PROGRESS_DIR", _path, _default_progress_dir, "Folder of progress.json."
    )
    workspace = _Setting("MEDLAB_WORKSPACE", _path, _default_workspace, "The learner's folder.")
    lessons_dir = _Setting(
        "MEDLAB_LESSONS_DIR", _path, _default_lessons_dir, "Source lesson notebooks."
    )

    def __init__(self) -> None:
        self._assigned: dict[str, Any] = {}
        self.seed: int | None = None

    @property
    def cache_dir(self) -> Path:
        """Where datasets are cached: ``data_dir / "datasets"``."""
        return self.data_dir / "datasets"

    def pick(self, fast: T, full: T) -> T:
        """Return ``fast`` in fast mode and ``full`` otherwise.

        Parameters
        ----------
        fast, full : object
            The value for fast mode and the value for a full run.

        Returns
        -------
        object
            One of the two.

        Examples
        --------
        >>> epochs = config.pick(fast=2, full=10)
        """
        return fast if self.fast else full

    def describe(self) -> list[tuple[str, str, str]]:
        """Every setting as ``(name, value, where it comes from)``, for ``medlab env``."""
        rows = []
        for name in SETTINGS:
            setting = type(self).__dict__[name]
            rows.append((name, str(getattr(self, name)), setting.source(self)))
        return rows

    def __repr__(self) -> str:
        body = ", ".join(f"{name}={value!r}" for name, value, _ in self.describe())
        return f"Config({body}, seed={self.seed!r})"


#: The names of the settings, in the order ``medlab env`` prints them.
SETTINGS = ("fast", "data_dir", "progress_dir", "workspace", "lessons_dir")

#: The shared settings object.
config = Config()


def seed(n: int = 0) -> None:
    """Seed Python's ``random``, NumPy and Keras, whatever the import order.

    If Keras is already imported it is seeded now; otherwise the seed is kept in
    ``config.seed`` and applied by :func:`medlab._keras.import_keras` when MedLab
    first imports Keras (every model, loss and widget imports Keras through it).

    Parameters
    ----------
    n : int
        The seed, a non-negative integer.

    Raises
    ------
    ValueError
        If ``n`` is not a non-negative integer.
    """
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
        raise ValueError(f"seed must be a non-negative integer, got {n!r}")
    n = int(n)
    random.seed(n)
    np.random.seed(n)  # noqa: NPY002 - seeds the legacy global generator learners use
    config.seed = n
    if "keras" in sys.modules:
        from medlab._keras import apply_seed

        apply_seed()
