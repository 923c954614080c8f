"""medlab._keras: the one place that imports Keras; seeding whatever the import order."""

from __future__ import annotations

import ast
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import medlab

PACKAGE = Path(medlab.__file__).parent


def _runtime_imports_of(path: Path) -> set[str]:
    """Top-level names imported outside ``if TYPE_CHECKING:`` blocks."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            node.body = []
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


def test_only_the_keras_entry_imports_keras():
    offenders = [
        str(path.relative_to(PACKAGE))
        for path in sorted(PACKAGE.rglob("*.py"))
        if path.name != "_keras.py" and "keras" in _runtime_imports_of(path)
    ]
    assert offenders == []


SEEDED_WEIGHTS = """
import numpy as np
import medlab
medlab.seed(7)
{import_line}
import keras
layer = keras.layers.Dense(8)
layer.build((None, 16))
print(float(np.sum(layer.get_weights()[0])))
"""


def _first_kernel_sum(import_line: str) -> float:
    code = textwrap.dedent(SEEDED_WEIGHTS.format(import_line=import_line))
    env_code = "import os; os.environ['TF_CPP_MIN_LOG_LEVEL'] = '3'\n" + code
    done = subprocess.run(
        [sys.executable, "-c", env_code], capture_output=True, text=True, timeout=240, check=True
    )
    return float(done.stdout.strip().splitlines()[-1])


@pytest.mark.slow
def test_seed_before_keras_applies_whichever_medlab_module_imports_keras_first():
    via_models = _first_kernel_sum("medlab.models.keras()")
    via_losses = _first_kernel_sum("medlab.losses.DiceLoss")
    via_widgets = _first_kernel_sum("medlab.widgets.TrainingMonitor")
    assert via_models == via_losses == via_widgets
    unseeded = _first_kernel_sum("medlab.config.seed = None")
    assert unseeded != via_models
