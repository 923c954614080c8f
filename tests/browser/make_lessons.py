"""Write the fixture lessons of the browser tests into the folder given as argv[1].

Two lessons in the real schema: 00_welcome with the real exercise 00.hounsfield (its
solution region matches the exercise definition) and 01_images without exercises.
"""

import json
import sys
from pathlib import Path

CELL = (
    "import pydicom\n"
    "from pydicom.data import get_testdata_file\n"
    "from medlab.course import check\n"
    'ds = pydicom.dcmread(get_testdata_file("CT_small.dcm"))\n'
    "raw = ds.pixel_array\n"
    "### BEGIN SOLUTION\n"
    "hu = raw * float(ds.RescaleSlope) + float(ds.RescaleIntercept)\n"
    "### END SOLUTION\n"
    'check("00.hounsfield", hu)'
)


def notebook(meta: dict, cells: list) -> dict:
    return {
        "nbformat": 4,
        "nbformat_minor": 5,
        "metadata": {
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
            "medlab": meta,
        },
        "cells": [
            {
                "cell_type": kind,
                "id": f"cell{i}",
                "metadata": {},
                "source": src,
                **({"outputs": [], "execution_count": None} if kind == "code" else {}),
            }
            for i, (kind, src) in enumerate(cells)
        ],
    }


def main(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    welcome = notebook(
        {
            "id": "00_welcome",
            "number": 0,
            "title": "Welcome and tour",
            "minutes": 10,
            "objectives": ["How checks work"],
            "exercises": [{"id": "00.hounsfield", "title": "Raw pixels to Hounsfield units"}],
        },
        [("markdown", "# Welcome and tour"), ("code", CELL)],
    )
    images = notebook(
        {
            "id": "01_images",
            "number": 1,
            "title": "Medical images as data",
            "minutes": 45,
            "objectives": ["DICOM"],
            "exercises": [],
        },
        [("markdown", "# Medical images as data")],
    )
    (folder / "00_welcome.ipynb").write_text(json.dumps(welcome, indent=1))
    (folder / "01_images.ipynb").write_text(json.dumps(images, indent=1))


if __name__ == "__main__":
    main(Path(sys.argv[1]))
