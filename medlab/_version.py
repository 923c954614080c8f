"""The MedLab version.

There is one version number, ``"version"`` in ``extension/package.json``: the build
(``hatch-nodejs-version``, ``[tool.hatch.version]`` in ``pyproject.toml``) copies it into
the Python package's metadata, so the wheel, the npm package and the labextension agree.

In a source checkout (editable install or none) ``__version__`` is read from that file;
from an installed wheel, where the file is not beside the package, from the installed
metadata. The checkout comes first because ``importlib.metadata`` alone adds about 50 ms
to ``import medlab``, and because the file is the source the metadata was copied from.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["__version__"]

#: Where the version lives in a source checkout.
PACKAGE_JSON = Path(__file__).resolve().parent.parent / "extension" / "package.json"

#: The npm package whose version is ours (guards against another ``extension/`` folder).
NPM_NAME = "@medlab/labextension"

#: Said when neither ``extension/package.json`` nor the installed metadata can be read.
UNKNOWN = "0+unknown"


def read_version() -> str:
    """Return MedLab's version.

    Returns
    -------
    str
        The ``"version"`` of ``extension/package.json`` beside the package (a source
        checkout); else the installed distribution's version (``importlib.metadata``);
        ``"0+unknown"`` when neither exists (a copied, uninstalled source tree).

    Notes
    -----
    npm and Python spell pre-releases differently (``1.2.0-rc.1`` and ``1.2.0rc1``);
    both parse to the same ``packaging.version.Version``.
    """
    if PACKAGE_JSON.is_file():
        import json

        try:
            package = json.loads(PACKAGE_JSON.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            package = {}
        if isinstance(package, dict) and package.get("name") == NPM_NAME and package.get("version"):
            return str(package["version"])

    from importlib import metadata

    try:
        return metadata.version("medlab")
    except metadata.PackageNotFoundError:
        return UNKNOWN


__version__ = read_version()
