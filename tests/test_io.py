"""medlab.io: readers return physical units, spacing and metadata, or fail clearly."""

from __future__ import annotations

import gzip
import shutil

import nibabel as nib
import numpy as np
import pydicom
import pytest
from PIL import Image
from pydicom.data import get_testdata_file
from pydicom.pixels import apply_modality_lut

from medlab.errors import ImageNotFoundError, ImageReadError, MedlabError
from medlab.io import (
    MedicalImage,
    read_dicom,
    read_dicom_series,
    read_image,
    read_nifti,
    to_hounsfield,
)

CT_SMALL = get_testdata_file("CT_small.dcm")
MR_SMALL = get_testdata_file("MR_small.dcm")


def test_ct_hounsfield_units_match_pydicom_modality_lut():
    ds = pydicom.dcmread(CT_SMALL)
    expected = apply_modality_lut(ds.pixel_array, ds)
    ct = read_dicom(CT_SMALL)
    assert ct.array.dtype == np.float32
    assert ct.units == "HU" and ct.modality == "CT"
    np.testing.assert_allclose(ct.array, expected, atol=1e-3)
    # CT_small: slope 1, intercept -1024, so HU is raw - 1024
    assert ds.RescaleIntercept == -1024
    np.testing.assert_allclose(ct.array, ds.pixel_array.astype(float) - 1024)


def test_ct_spacing_and_meta_come_from_the_header():
    ct = read_dicom(CT_SMALL)
    ds = pydicom.dcmread(CT_SMALL)
    assert ct.spacing == pytest.approx(tuple(float(s) for s in ds.PixelSpacing))
    assert ct.meta["RescaleIntercept"] == -1024
    assert ct.meta["Rows"] == 128 and "PixelData" not in ct.meta
    assert "CT" in repr(ct) and "HU" in repr(ct)


def test_tags_inside_sequences_do_not_overwrite_the_image_tags(tmp_path):
    from pydicom.dataset import Dataset
    from pydicom.sequence import Sequence

    ds = pydicom.dcmread(CT_SMALL)
    referenced = Dataset()
    referenced.Modality = "MR"
    referenced.SOPInstanceUID = "1.2.3.4"
    ds.ReferencedImageSequence = Sequence([referenced])
    path = tmp_path / "with_sequence.dcm"
    ds.save_as(path)
    ct = read_dicom(path)
    assert ct.meta["Modality"] == "CT"
    assert ct.meta["SOPInstanceUID"] == str(ds.SOPInstanceUID)
    assert ct.meta["ReferencedImageSequence"] == [{"Modality": "MR", "SOPInstanceUID": "1.2.3.4"}]


def test_mr_is_not_labelled_hounsfield():
    mr = read_dicom(MR_SMALL)
    assert mr.modality == "MR" and mr.units == "a.u."
    np.testing.assert_array_equal(mr.array, pydicom.dcmread(MR_SMALL).pixel_array)


def test_to_hounsfield_by_hand():
    np.testing.assert_array_equal(
        to_hounsfield(np.array([0, 1024, 2048]), slope=2, intercept=-1024), [-1024, 1024, 3072]
    )


def test_missing_file_raises_typed_error_naming_the_file(tmp_path):
    missing = tmp_path / "nothing_here.dcm"
    for reader in (read_dicom, read_nifti, read_image):
        with pytest.raises(ImageNotFoundError, match="nothing_here.dcm"):
            reader(missing)
    with pytest.raises(FileNotFoundError):  # also a standard FileNotFoundError
        read_dicom(missing)


def test_non_dicom_file_is_refused(tmp_path):
    junk = tmp_path / "notes.dcm"
    junk.write_text("this is not a DICOM file, just text\n" * 20)
    with pytest.raises(ImageReadError, match="notes.dcm"):
        read_dicom(junk)


def test_truncated_dicom_is_refused_not_half_loaded(tmp_path):
    data = open(CT_SMALL, "rb").read()
    cut = tmp_path / "cut.dcm"
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(ImageReadError, match="cut.dcm"):
        read_dicom(cut)


def test_dicom_without_pixel_data_is_refused(tmp_path):
    ds = pydicom.dcmread(CT_SMALL)
    del ds.PixelData
    path = tmp_path / "no_pixels.dcm"
    ds.save_as(path)
    with pytest.raises(ImageReadError, match="no pixel data"):
        read_dicom(path)


def test_empty_file_and_folder_are_refused(tmp_path):
    empty = tmp_path / "empty.nii"
    empty.write_bytes(b"")
    with pytest.raises(ImageReadError, match="empty"):
        read_nifti(empty)
    with pytest.raises(ImageReadError, match="folder"):
        read_dicom(tmp_path)


def test_dicom_series_is_sorted_by_position_with_measured_spacing(tmp_path):
    ds = pydicom.dcmread(CT_SMALL)
    z0 = float(ds.ImagePositionPatient[2])
    for i in (2, 0, 1):  # written out of order
        s = pydicom.dcmread(CT_SMALL)
        s.ImagePositionPatient = [
            ds.ImagePositionPatient[0],
            ds.ImagePositionPatient[1],
            z0 + 2.5 * i,
        ]
        s.InstanceNumber = i + 1
        arr = s.pixel_array.copy()
        arr[0, 0] = i  # mark the slice
        s.PixelData = arr.tobytes()
        s.save_as(tmp_path / f"slice{i}.dcm")
    vol = read_dicom_series(tmp_path)
    assert vol.shape == (3, 128, 128)
    assert vol.spacing[0] == pytest.approx(2.5)
    np.testing.assert_array_equal(vol.array[:, 0, 0], np.array([0, 1, 2]) - 1024)


def _write_nifti(path, data, zooms=(1.5, 2.0, 3.0)):
    affine = np.diag([*zooms, 1.0])
    img = nib.Nifti1Image(data, affine)
    img.header.set_zooms(zooms)
    nib.save(img, path)


def test_nifti_array_spacing_and_affine_match_nibabel(tmp_path):
    data = np.arange(4 * 5 * 6, dtype=np.int16).reshape(4, 5, 6)
    path = tmp_path / "vol.nii.gz"
    _write_nifti(path, data)
    img = read_nifti(path)
    ref = nib.load(path)
    assert img.array.dtype == np.float32
    np.testing.assert_array_equal(img.array, ref.get_fdata())
    assert img.spacing == (1.5, 2.0, 3.0)
    np.testing.assert_array_equal(img.affine, ref.affine)
    assert img.meta["axis_codes"] == "RAS"


def test_truncated_gzipped_nifti_fails_at_read_time(tmp_path):
    path = tmp_path / "vol.nii.gz"
    _write_nifti(path, np.random.default_rng(0).random((30, 30, 30)).astype(np.float32))
    data = path.read_bytes()
    cut = tmp_path / "cut.nii.gz"
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(ImageReadError, match="cut.nii.gz"):
        read_nifti(cut)


def test_non_nifti_file_is_refused(tmp_path):
    path = tmp_path / "fake.nii"
    path.write_bytes(b"\x00" * 400)
    with pytest.raises(ImageReadError, match="fake.nii"):
        read_nifti(path)
    gz = tmp_path / "text.nii.gz"
    with gzip.open(gz, "wb") as f:
        f.write(b"hello" * 100)
    with pytest.raises(MedlabError):
        read_nifti(gz)


def test_read_image_scales_to_unit_range(tmp_path):
    arr = np.array([[0, 128], [255, 64]], dtype=np.uint8)
    Image.fromarray(arr).save(tmp_path / "x.png")
    img = read_image(tmp_path / "x.png")
    assert isinstance(img, MedicalImage)
    np.testing.assert_allclose(img.array, arr / 255.0, rtol=1e-6)
    assert img.meta["spacing_units"] == "pixel"


def test_read_image_colour_and_gray(tmp_path):
    rgb = np.zeros((4, 4, 3), np.uint8)
    rgb[..., 0] = 255
    Image.fromarray(rgb).save(tmp_path / "red.jpg", quality=100)
    assert read_image(tmp_path / "red.jpg").shape == (4, 4, 3)
    gray = read_image(tmp_path / "red.jpg", as_gray=True)
    assert gray.shape == (4, 4)
    assert gray.array.mean() == pytest.approx(76 / 255, abs=0.02)  # ITU-R 601 luma of pure red


def test_truncated_jpeg_and_non_image_are_refused(tmp_path):
    rng = np.random.default_rng(0)
    Image.fromarray(rng.integers(0, 255, (64, 64), dtype=np.uint8)).save(tmp_path / "a.jpg")
    data = (tmp_path / "a.jpg").read_bytes()
    (tmp_path / "cut.jpg").write_bytes(data[: len(data) // 3])
    with pytest.raises(ImageReadError, match="cut.jpg"):
        read_image(tmp_path / "cut.jpg")
    shutil.copy(CT_SMALL, tmp_path / "ct.png")
    with pytest.raises(ImageReadError, match="ct.png"):
        read_image(tmp_path / "ct.png")
