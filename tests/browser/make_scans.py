"""Write the scans the browser tests open from the file browser into argv[1]/scans.

- ``chest.nrrd``: a SYNTHETIC CT phantom, int16 in HU, 8 × 48 × 64 (z, y, x), spacing
  2.5 × 0.8 × 0.8 mm, written as 3D Slicer writes NRRD (LPS, file axes x, y, z): air
  -1000 HU, a body of 40 HU, two lungs of -850 HU; the centre voxel (4, 24, 32), where the
  viewer's cursor starts, is 40 HU.
- ``ct_series/``: three DICOM slices made from pydicom's real ``CT_small.dcm`` at 2.5 mm
  steps (plus a README the viewer must ignore).
- ``brain.nii.gz``: nibabel's real test volume ``anatomical.nii`` (LAS), gzipped.
- ``notes/``: a folder with no DICOM in it.
"""

import os
import sys
from pathlib import Path

import nibabel as nib
import nrrd
import numpy as np
import pydicom
from pydicom.data import get_testdata_file
from pydicom.uid import generate_uid


def chest_phantom() -> np.ndarray:
    _, y, x = np.mgrid[0:8, 0:48, 0:64]
    volume = np.full((8, 48, 64), -1000, np.int16)
    volume[((y - 24) / 20.0) ** 2 + ((x - 32) / 30.0) ** 2 < 1] = 40
    for cx in (17, 47):
        volume[((y - 22) / 12.0) ** 2 + ((x - cx) / 9.0) ** 2 < 1] = -850
    assert volume[4, 24, 32] == 40
    return volume


def main(root: Path) -> None:
    scans = root / "scans"
    scans.mkdir(parents=True, exist_ok=True)

    header = {
        "space": "left-posterior-superior",
        "space directions": np.diag([0.8, 0.8, 2.5]),
        "space origin": np.zeros(3),
    }
    nrrd.write(str(scans / "chest.nrrd"), np.ascontiguousarray(chest_phantom().T), header)

    series = scans / "ct_series"
    series.mkdir(exist_ok=True)
    template = pydicom.dcmread(get_testdata_file("CT_small.dcm"))
    uid = generate_uid()
    for k in range(3):
        ds = template.copy()
        ds.ImagePositionPatient = [-158.1358, -179.0358, -30.0 + 2.5 * k]
        ds.InstanceNumber = k + 1
        ds.SeriesInstanceUID = uid
        ds.SOPInstanceUID = generate_uid()
        ds.save_as(series / f"slice{k:03d}.dcm")
    (series / "README.txt").write_text("Three slices made from pydicom's CT_small.dcm.\n")

    anatomical = os.path.join(os.path.dirname(nib.__file__), "tests", "data", "anatomical.nii")
    nib.save(nib.load(anatomical), scans / "brain.nii.gz")

    notes = scans / "notes"
    notes.mkdir(exist_ok=True)
    (notes / "readme.txt").write_text("No scans here.\n")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
