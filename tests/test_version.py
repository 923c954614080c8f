"""One version number: extension/package.json is the source for the Python package too."""

from __future__ import annotations

import json
from importlib import metadata
from pathlib import Path

import pytest
from packaging.version import Version

import medlab
from medlab import _version

PACKAGE_JSON = Path(__file__).resolve().parent.parent / "extension" / "package.json"


def npm_version() -> str:
    return json.loads(PACKAGE_JSON.read_text(encoding="utf-8"))["version"]


def not_installed(name: str) -> str:
    raise metadata.PackageNotFoundError(name)


def test_python_and_npm_packages_have_one_version():
    installed = metadata.version("medlab")
    assert medlab.__version__ == npm_version()
    # npm writes pre-releases as 1.2.0-rc.1 where Python writes 1.2.0rc1: compare as versions.
    assert Version(installed) == Version(npm_version()), (
        f"installed medlab {installed} but extension/package.json says {npm_version()}: "
        "reinstall (make install) after changing the version"
    )


def test_installed_wheel_takes_the_version_from_its_metadata(monkeypatch, tmp_path):
    # A wheel has no extension/package.json beside the package.
    monkeypatch.setattr(_version, "PACKAGE_JSON", tmp_path / "extension" / "package.json")
    assert _version.read_version() == metadata.version("medlab")


def test_another_projects_package_json_is_not_ours(monkeypatch, tmp_path):
    foreign = tmp_path / "extension" / "package.json"
    foreign.parent.mkdir()
    foreign.write_text(json.dumps({"name": "someone-else", "version": "9.9.9"}))
    monkeypatch.setattr(_version, "PACKAGE_JSON", foreign)
    assert _version.read_version() == metadata.version("medlab")


def test_version_is_unknown_without_package_json_or_metadata(monkeypatch, tmp_path):
    monkeypatch.setattr(_version, "PACKAGE_JSON", tmp_path / "extension" / "package.json")
    monkeypatch.setattr(metadata, "version", not_installed)
    assert _version.read_version() == "0+unknown"


def test_pyproject_takes_its_version_from_package_json():
    tomllib = pytest.importorskip("tomllib")
    pyproject = tomllib.loads((PACKAGE_JSON.parent.parent / "pyproject.toml").read_text())
    assert "version" not in pyproject["project"]
    assert "version" in pyproject["project"]["dynamic"]
    assert pyproject["tool"]["hatch"]["version"] == {
        "source": "nodejs",
        "path": "extension/package.json",
    }
