"""Package-level promises: cheap import, one list of public names, seeding, fast mode."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import medlab
from medlab.config import Config


def test_import_medlab_does_not_import_tensorflow_keras_or_matplotlib():
    code = (
        "import sys, json, medlab, medlab.io, medlab.preprocess, medlab.losses, medlab.metrics, "
        "medlab.datasets, medlab.models; "
        "print(json.dumps([m for m in ('tensorflow', 'keras', 'matplotlib') if m in sys.modules]))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == []


# Entry points run by their own runner (the `medlab` command, the JupyterLab launcher, the
# Jupyter server extension): modules of the package, but not attributes of `medlab`.
SURFACES = {"app", "cli", "server"}
PACKAGE = Path(medlab.__file__).parent


def _public_module_names() -> set[str]:
    names = {p.stem for p in PACKAGE.glob("*.py")}
    names |= {p.parent.name for p in PACKAGE.glob("*/__init__.py")}
    return {name for name in names if not name.startswith("_")}


# The names in medlab.__all__ that are not modules.
OBJECTS = {"MedlabError", "__version__", "seed"}


def test_every_public_module_is_in_the_one_list():
    # `config` is both a module and, as `medlab.config`, the settings object it defines.
    assert _public_module_names() - SURFACES == set(medlab.__all__) - OBJECTS


def test_lazy_table_dir_and_type_checking_imports_come_from_the_one_list():
    assert medlab.__all__ == sorted(medlab.__all__)
    assert medlab._SUBMODULES == set(medlab.__all__) - OBJECTS - {"config", "errors"}
    assert set(medlab.__all__) <= set(dir(medlab))
    tree = ast.parse((PACKAGE / "__init__.py").read_text(encoding="utf-8"))
    [block] = [
        node
        for node in tree.body
        if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING"
    ]
    imported = [alias.name for node in block.body for alias in node.names]
    assert imported == sorted(set(medlab.__all__) - OBJECTS - {"config"})
    for name in set(medlab.__all__) - OBJECTS:
        assert f"``medlab.{name}``" in medlab.__doc__, f"medlab.{name} is not described"


def test_star_import_gives_every_public_name_without_tensorflow():
    code = (
        "import sys, json; from medlab import *; import medlab; "
        "missing = [n for n in medlab.__all__ if n not in globals()]; "
        "heavy = [m for m in ('tensorflow', 'keras', 'matplotlib') if m in sys.modules]; "
        "print(json.dumps([missing, heavy]))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == [[], []]


def test_lazy_submodules():
    assert medlab.losses.binary_cross_entropy([1], [0.5]) == pytest.approx(np.log(2))
    with pytest.raises(AttributeError):
        medlab.not_a_module  # noqa: B018


def test_seed_makes_numpy_reproducible():
    medlab.seed(3)
    a = np.random.rand(3)
    medlab.seed(3)
    np.testing.assert_array_equal(a, np.random.rand(3))
    with pytest.raises(ValueError):
        medlab.seed(-1)


def test_fast_mode_from_environment(monkeypatch):
    monkeypatch.setenv("MEDLAB_FAST", "1")
    assert Config().fast is True and Config().pick(fast=1, full=10) == 1
    monkeypatch.setenv("MEDLAB_FAST", "0")
    assert Config().fast is False and Config().pick(fast=1, full=10) == 10


def test_cli_entry_point_runs():
    out = subprocess.run(
        [sys.executable, "-m", "medlab", "--version"], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == f"medlab {medlab.__version__}"
