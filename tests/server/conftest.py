"""Jupyter server fixtures (pytest-jupyter) with the MedLab extension enabled."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pytest_jupyter.jupyter_server import *  # noqa: F403 - registers jp_* fixtures


def _lesson(folder: Path, stem: str, number: int, exercises: list[str]) -> None:
    meta = {
        "id": stem,
        "number": number,
        "title": f"Lesson {number}",
        "minutes": 5 + number,
        "objectives": ["Something"],
        "exercises": [{"id": e, "title": e} for e in exercises],
    }
    nb = {
        "nbformat": 4,
        "nbformat_minor": 5,
        "metadata": {"medlab": meta},
        "cells": [
            {
                "cell_type": "code",
                "id": "a",
                "metadata": {},
                "outputs": [],
                "execution_count": None,
                "source": "x = 1\n",
            }
        ],
    }
    (folder / f"{stem}.ipynb").write_text(json.dumps(nb), encoding="utf-8")


@pytest.fixture
def medlab_lessons(tmp_path, monkeypatch) -> Path:
    folder = tmp_path / "source_lessons"
    folder.mkdir()
    _lesson(folder, "00_welcome", 0, ["00.hounsfield"])
    _lesson(folder, "01_images", 1, ["01.window", "01.spacing"])
    monkeypatch.setenv("MEDLAB_LESSONS_DIR", str(folder))
    monkeypatch.setenv("MEDLAB_PROGRESS_DIR", str(tmp_path / "progress"))
    return folder


@pytest.fixture
def jp_server_config(medlab_lessons):
    return {"ServerApp": {"jpserver_extensions": {"medlab.server": True}}}
