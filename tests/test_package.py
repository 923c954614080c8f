"""Package-level promises: cheap import, seeding, fast mode, the CLI."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

import medlab
from medlab import cli
from medlab.config import Config


def test_import_medlab_does_not_import_tensorflow_keras_or_matplotlib():
    code = (
        "import sys, json, medlab, medlab.io, medlab.preprocess, medlab.losses, medlab.metrics, "
        "medlab.datasets, medlab.models; "
        "print(json.dumps([m for m in ('tensorflow', 'keras', 'matplotlib') if m in sys.modules]))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == []


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


def test_cli_datasets_list_and_info(capsys):
    assert cli.main(["datasets", "list"]) == 0
    out = capsys.readouterr().out
    assert "mni152" in out and "pneumoniamnist" in out and "SYNTHETIC" in out
    assert cli.main(["datasets", "info", "pydicom_ct"]) == 0
    assert "licence" in capsys.readouterr().out


def test_cli_unknown_dataset_is_a_clear_error(capsys):
    assert cli.main(["datasets", "info", "pneumonia"]) == 2
    assert "pneumoniamnist" in capsys.readouterr().err


def test_cli_entry_point_runs():
    out = subprocess.run(
        [sys.executable, "-m", "medlab", "--version"], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == f"medlab {medlab.__version__}"
