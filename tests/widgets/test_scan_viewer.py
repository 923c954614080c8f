"""open_scan: any DICOM file or folder, NIfTI or NRRD file in the right viewer, course axes."""

import os
import shutil

import nibabel as nib
import nrrd
import numpy as np
import pydicom
import pytest
from pydicom.data import get_testdata_file
from pydicom.uid import generate_uid

from medlab.errors import ImageNotFoundError, ImageReadError, MedlabError
from medlab.widgets import SliceViewer, VolumeViewer, open_scan
from medlab.widgets.scan_viewer import read_scan

NIBABEL_DATA = os.path.join(os.path.dirname(nib.__file__), "tests", "data")


def pydicom_file(name):
    path = get_testdata_file(name)
    if path is None:
        pytest.skip(f"pydicom test file {name} not available")
    return path


def course_view_of_canonical(path):
    """Reference orientation by nibabel alone: closest canonical RAS+, then (S, P, L)."""
    canonical = nib.as_closest_canonical(nib.load(path))
    ras = canonical.get_fdata(dtype=np.float32)
    if ras.ndim == 4:
        ras = ras[..., 0]
    return ras.transpose(2, 1, 0)[:, ::-1, ::-1], tuple(canonical.header.get_zooms()[:3][::-1])


def write_ct_series(folder, z_positions, names):
    """Slices made from CT_small.dcm at the given z positions; slice k's pixels are raw + 10 k."""
    folder.mkdir(parents=True, exist_ok=True)
    template = pydicom.dcmread(pydicom_file("CT_small.dcm"))
    series_uid = generate_uid()
    raws = []
    for k, (z, name) in enumerate(zip(z_positions, names, strict=True)):
        ds = template.copy()
        raw = template.pixel_array.astype(np.int16) + 10 * k
        ds.PixelData = raw.tobytes()
        ds.ImagePositionPatient = [-158.1358, -179.0358, float(z)]
        ds.InstanceNumber = k + 1
        ds.SeriesInstanceUID = series_uid
        ds.SOPInstanceUID = generate_uid()
        ds.save_as(folder / name)
        raws.append(raw)
    slope, intercept = float(template.RescaleSlope), float(template.RescaleIntercept)
    return [r * slope + intercept for r in raws]


# --------------------------------------------------------------------------- DICOM


def test_a_single_ct_dicom_opens_in_a_slice_viewer_in_hounsfield_units(capsys):
    path = pydicom_file("CT_small.dcm")
    viewer = open_scan(path)
    ds = pydicom.dcmread(path)
    expected = ds.pixel_array * float(ds.RescaleSlope) + float(ds.RescaleIntercept)
    assert isinstance(viewer, SliceViewer)
    assert np.array_equal(viewer.data, expected)
    assert viewer.spacing == pytest.approx([float(s) for s in ds.PixelSpacing])
    assert viewer.units == "HU" and "soft_tissue" in viewer.controls.presets
    assert "lung" in viewer.controls.presets  # the CT window presets
    r, c = viewer.row_slider.value, viewer.col_slider.value
    assert f"{expected[r, c]:.1f} HU" in viewer.readout.value
    out = capsys.readouterr().out
    assert "Your own data (not a MedLab dataset), 'CT_small.dcm'" in out
    assert "CT image 128 × 128 (y, x)" in out and "values in HU" in out


def test_an_mr_dicom_is_shown_in_arbitrary_units(capsys):
    viewer = open_scan(pydicom_file("MR_small.dcm"))
    assert isinstance(viewer, SliceViewer) and viewer.units == "a.u."
    assert "lung" not in viewer.controls.presets
    assert "a.u." in viewer.readout.value
    assert "MR image 64 × 64" in capsys.readouterr().out


def test_a_dicom_folder_is_stacked_feet_to_head_into_a_volume(tmp_path, capsys):
    folder = tmp_path / "series"
    # file names in the opposite order to the positions: the positions must decide
    hu = write_ct_series(folder, [-30.0, -32.5, -35.0, -37.5], ["a.dcm", "b.dcm", "c.dcm", "d"])
    (folder / "README.txt").write_text("not a slice")
    viewer = open_scan(folder)
    assert isinstance(viewer, VolumeViewer)
    assert viewer.data.shape == (4, 128, 128)
    for z, k in enumerate([3, 2, 1, 0]):  # lowest z (feet) first
        assert np.array_equal(viewer.data[z], hu[k]), z
    assert viewer.spacing[0] == pytest.approx(2.5)
    assert viewer.units == "HU" and "HU" in viewer.readout.value
    out = capsys.readouterr().out
    assert "CT volume 4 × 128 × 128 (z, y, x)" in out
    assert "1 other file(s) ignored" in out


def test_a_folder_with_two_series_shows_the_largest_and_says_so(tmp_path, capsys):
    folder = tmp_path / "mixed"
    write_ct_series(folder, [0.0, 5.0, 10.0], ["s1_a.dcm", "s1_b.dcm", "s1_c.dcm"])
    shutil.copy(pydicom_file("MR_small.dcm"), folder / "other.dcm")
    viewer = open_scan(folder)
    assert viewer.data.shape == (3, 128, 128)
    assert "holds 2 series: showing the largest (3 of 4 images)" in capsys.readouterr().out


def test_a_folder_with_one_slice_is_a_2d_image(tmp_path):
    hu = write_ct_series(tmp_path / "one", [0.0], ["only.dcm"])
    viewer = open_scan(tmp_path / "one")
    assert isinstance(viewer, SliceViewer)
    assert np.array_equal(viewer.data, hu[0])


def test_an_unknown_pixel_size_is_shown_square_and_said(tmp_path, capsys):
    ds = pydicom.dcmread(pydicom_file("CT_small.dcm"))
    ds.PixelSpacing = [0, 0]  # how some real radiographs say "not known"
    ds.save_as(tmp_path / "unknown_size.dcm")
    viewer = open_scan(tmp_path / "unknown_size.dcm")
    assert isinstance(viewer, SliceViewer) and viewer.spacing == (1.0, 1.0)
    assert (
        "the pixel size is not recorded: shown with square 1 mm pixels" in capsys.readouterr().out
    )


def test_a_multi_frame_dicom_opens_as_a_volume():
    path = pydicom_file("rtdose.dcm")
    frames = pydicom.dcmread(path).pixel_array
    viewer = open_scan(path)
    assert isinstance(viewer, VolumeViewer) and viewer.data.shape == frames.shape


# --------------------------------------------------------------------------- NIfTI


@pytest.mark.parametrize("name", ["anatomical.nii", "standard.nii.gz"])
def test_nifti_is_reoriented_like_nibabels_closest_canonical(name, capsys):
    path = os.path.join(NIBABEL_DATA, name)
    expected, spacing = course_view_of_canonical(path)
    viewer = open_scan(path)
    assert isinstance(viewer, VolumeViewer)
    assert viewer.data.shape == expected.shape
    assert np.array_equal(viewer.data, expected)
    assert viewer.spacing == pytest.approx(spacing)
    out = capsys.readouterr().out
    assert "reoriented to (z, y, x): slices feet→head, rows anterior→posterior" in out
    assert "values in a.u." in out


def test_nifti_stored_in_another_axis_order_comes_back_in_course_axes(tmp_path):
    # A volume in the course's axes: v[z, y, x], z toward the head, y toward the back,
    # x toward the patient's left. World (RAS+, mm): R = -x dx, A = -y dy, S = z dz.
    rng = np.random.default_rng(0)
    v = rng.integers(0, 1000, (5, 6, 7)).astype(np.float32)
    dz, dy, dx = 3.0, 1.5, 0.5
    nz = v.shape[0]
    # Stored as f[i, j, k] = v[nz - 1 - i, k, j]: head first, then x, then y.
    f = np.transpose(v[::-1], (0, 2, 1))
    affine = np.array(
        [
            [0.0, -dx, 0.0, 0.0],  # j = x: R decreases
            [0.0, 0.0, -dy, 0.0],  # k = y: A decreases
            [-dz, 0.0, 0.0, (nz - 1) * dz],  # i: from the head down
            [0.0, 0.0, 0.0, 1.0],
        ]
    )
    path = tmp_path / "permuted.nii.gz"
    nib.save(nib.Nifti1Image(f, affine), path)
    image, notes = read_scan(path)
    assert np.array_equal(image.array, v)
    assert image.spacing == pytest.approx((dz, dy, dx))
    # the affine still maps array indices (z, y, x) to the same world millimetres
    z, y, x = 4, 2, 5
    assert image.affine @ [z, y, x, 1] == pytest.approx([-x * dx, -y * dy, z * dz, 1])
    assert image.meta["axis_codes"] == "SPL"
    assert any("reoriented" in n for n in notes)


def test_a_4d_nifti_shows_its_first_volume_and_says_so(capsys):
    path = os.path.join(NIBABEL_DATA, "example4d.nii.gz")
    expected, _ = course_view_of_canonical(path)
    viewer = open_scan(path)
    assert np.array_equal(viewer.data, expected)
    assert "4D series of 2 volumes: showing the first" in capsys.readouterr().out


def test_a_single_slice_nifti_is_a_2d_image(tmp_path):
    plane = np.arange(12, dtype=np.float32).reshape(4, 3)  # (x, y) in RAS+
    path = tmp_path / "slice.nii"
    nib.save(nib.Nifti1Image(plane[:, :, None], np.diag([0.8, 0.6, 2.0, 1.0])), path)
    viewer = open_scan(path)
    assert isinstance(viewer, SliceViewer)
    assert np.array_equal(viewer.data, plane.T[::-1, ::-1])  # rows A→P, columns R→L
    assert viewer.spacing == pytest.approx((0.6, 0.8))


# --------------------------------------------------------------------------- NRRD


def write_nrrd(path, v, spacing):
    """Write v[z, y, x] as 3D Slicer does: LPS space, file axes (x, y, z)."""
    dz, dy, dx = spacing
    header = {
        "space": "left-posterior-superior",
        "space directions": np.diag([dx, dy, dz]),
        "space origin": np.zeros(3),
    }
    nrrd.write(str(path), np.ascontiguousarray(v.transpose(2, 1, 0)), header)


def test_a_ct_nrrd_opens_in_the_volume_viewer_in_assumed_hounsfield_units(tmp_path, capsys):
    rng = np.random.default_rng(3)
    v = rng.integers(-1024, 1500, (6, 9, 8)).astype(np.int16)
    v[0, 0, 0] = -1024
    write_nrrd(tmp_path / "chest.nrrd", v, (5.0, 0.7, 0.7))
    viewer = open_scan(tmp_path / "chest.nrrd", window="lung")
    assert isinstance(viewer, VolumeViewer)
    assert np.array_equal(viewer.data, v)
    assert viewer.spacing == pytest.approx((5.0, 0.7, 0.7))
    assert viewer.units == "HU" and viewer.window == (-600.0, 1500.0)
    z, y, x = viewer.cursor
    assert f"{v[z, y, x]:.1f} HU" in viewer.readout.value
    out = capsys.readouterr().out
    assert "'chest.nrrd': NRRD volume 6 × 9 × 8 (z, y, x), spacing 5 × 0.7 × 0.7 mm" in out
    assert "values in HU (assumed: NRRD stores no modality" in out


def test_a_non_ct_nrrd_is_in_arbitrary_units_unless_told(tmp_path, capsys):
    v = np.arange(4 * 5 * 6, dtype=np.float32).reshape(4, 5, 6)
    write_nrrd(tmp_path / "mr.nrrd", v, (1.0, 1.0, 1.0))
    assert open_scan(tmp_path / "mr.nrrd").units == "a.u."
    told = open_scan(tmp_path / "mr.nrrd", units="T1 signal")
    assert told.units == "T1 signal" and "T1 signal" in told.readout.value
    assert "values in T1 signal (as given)" in capsys.readouterr().out


# --------------------------------------------------------------------------- bad input


def test_a_missing_path_raises_a_not_found_error_naming_it(tmp_path):
    with pytest.raises(ImageNotFoundError, match="nowhere.nii") as info:
        open_scan(tmp_path / "nowhere.nii")
    assert isinstance(info.value, FileNotFoundError) and isinstance(info.value, MedlabError)


def test_an_unsupported_file_type_is_refused_with_the_supported_ones(tmp_path):
    picture = tmp_path / "xray.png"
    picture.write_bytes(b"\x89PNG\r\n\x1a\n")
    with pytest.raises(ImageReadError, match=r"xray\.png.*not a supported scan.*NIfTI.*'\.png'"):
        open_scan(picture)


def test_a_file_without_ending_that_is_not_dicom_is_refused(tmp_path):
    notes = tmp_path / "notes"
    notes.write_text("hello")
    with pytest.raises(ImageReadError, match="not a supported scan"):
        open_scan(notes)


def test_a_folder_without_dicom_images_is_refused_and_subfolders_are_suggested(tmp_path):
    (tmp_path / "study" / "series1").mkdir(parents=True)
    (tmp_path / "study" / "readme.txt").write_text("slices are in series1")
    with pytest.raises(ImageReadError, match=r"found none; open one of its subfolders: series1"):
        open_scan(tmp_path / "study")


def test_a_corrupt_nifti_raises_an_image_read_error(tmp_path):
    good = open(os.path.join(NIBABEL_DATA, "example4d.nii.gz"), "rb").read()
    (tmp_path / "cut.nii.gz").write_bytes(good[: len(good) // 2])
    with pytest.raises(ImageReadError, match="cut.nii.gz"):
        open_scan(tmp_path / "cut.nii.gz")


def test_a_colour_dicom_is_refused(tmp_path):
    with pytest.raises(ImageReadError, match="expected a greyscale scan, found a colour image"):
        open_scan(pydicom_file("SC_rgb_small_odd.dcm"))
