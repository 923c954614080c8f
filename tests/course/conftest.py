"""Fixture lessons for the course runtime tests (notebooks written by the tests)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

HOUNSFIELD_CELL = (
    "import pydicom\n"
    "from pydicom.data import get_testdata_file\n"
    "from medlab.course import check\n"
    'ds = pydicom.dcmread(get_testdata_file("CT_small.dcm"))\n'
    "raw = ds.pixel_array\n"
    "### BEGIN SOLUTION\n"
    "hu = raw * float(ds.RescaleSlope) + float(ds.RescaleIntercept)\n"
    "### END SOLUTION\n"
    'check("00.hounsfield", hu)\n'
)


def write_lesson(folder: Path, stem: str, meta: dict, cells: list[tuple[str, str]]) -> Path:
    """Write a minimal nbformat-4 notebook with ``meta`` under ``metadata.medlab``."""
    nb = {
        "nbformat": 4,
        "nbformat_minor": 5,
        "metadata": {
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
            "medlab": meta,
        },
        "cells": [
            {
                "cell_type": kind,
                "id": f"c{i}",
                "metadata": {},
                "source": src,
                **(
                    {
                        "outputs": [{"output_type": "stream", "name": "stdout", "text": "old\n"}],
                        "execution_count": 1,
                    }
                    if kind == "code"
                    else {}
                ),
            }
            for i, (kind, src) in enumerate(cells)
        ],
    }
    path = folder / f"{stem}.ipynb"
    path.write_text(json.dumps(nb, indent=1), encoding="utf-8")
    return path


@pytest.fixture
def lessons_dir(tmp_path: Path) -> Path:
    """Two lessons: 00_welcome (one exercise, with a solution region) and 01_images."""
    folder = tmp_path / "lessons"
    folder.mkdir()
    write_lesson(
        folder,
        "00_welcome",
        {
            "id": "00_welcome",
            "number": 0,
            "title": "Welcome and tour",
            "minutes": 10,
            "objectives": ["How checks work", "How progress is saved"],
            "exercises": [{"id": "00.hounsfield", "title": "Raw pixels to Hounsfield units"}],
        },
        [("markdown", "# Welcome"), ("code", HOUNSFIELD_CELL), ("code", "mean_hu = hu.mean()")],
    )
    write_lesson(
        folder,
        "01_images",
        {
            "id": "01_images",
            "number": 1,
            "title": "Medical images as data",
            "minutes": 45,
            "objectives": ["DICOM"],
            "exercises": [],
        },
        [("code", "x = 1")],
    )
    (folder / "scratch.ipynb").write_text("{}", encoding="utf-8")  # not NN_topic: ignored
    return folder


@pytest.fixture(autouse=True)
def progress_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own empty progress folder."""
    folder = tmp_path / "progress"
    monkeypatch.setenv("MEDLAB_PROGRESS_DIR", str(folder))
    return folder
