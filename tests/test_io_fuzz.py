"""medlab.io on damaged files: every failure is an ImageReadError naming the file, nothing printed.

A seeded fuzz of a few hundred cases (the fuzzer of ``tests/benchmarks/fuzz_readers.py``, which
runs 3,000), then one regression test for each kind of library exception that used to escape
the readers: pydicom's NotImplementedError (unknown VR) and BytesLengthException, a plain
ValueError from a malformed decimal string, TypeError from a one-valued PixelSpacing, nibabel's
OverflowError, KeyError and LinAlgError, its printed header repairs, Pillow's
DecompressionBombError, a MemoryError from a header declaring a huge volume, and a ValueError
from a NRRD origin of the wrong length.
"""

from __future__ import annotations

import collections
import gzip
import importlib.util
import logging
import struct
import sys
import warnings
import zlib
from pathlib import Path

import nibabel as nib
import numpy as np
import pydicom
import pytest
from nibabel import nifti1
from PIL import Image
from pydicom.data import get_testdata_file
from pydicom.errors import BytesLengthException

from medlab import io as medlab_io
from medlab.errors import HeaderFixedWarning, ImageReadError
from medlab.io import read_dicom, read_dicom_series, read_image, read_nifti


def _load_fuzzer():
    path = Path(__file__).parent / "benchmarks" / "fuzz_readers.py"
    spec = importlib.util.spec_from_file_location("fuzz_readers", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules["fuzz_readers"] = module  # dataclasses look their module up here
    spec.loader.exec_module(module)
    return module


fuzz = _load_fuzzer()
CT_SMALL = get_testdata_file("CT_small.dcm")
MR_SMALL = get_testdata_file("MR_small.dcm")
MR_RLE = get_testdata_file("MR_small_RLE.dcm")


# --------------------------------------------------------------------------- the fuzz


def test_seeded_fuzz_returns_valid_images_or_typed_errors_and_prints_nothing(tmp_path, capfd):
    failures, statuses, readers = [], collections.Counter(), collections.Counter()
    for case in fuzz.make_cases(500, seed=13):
        outcome = fuzz.run_case(case, tmp_path, capture=False)
        out, err = capfd.readouterr()
        statuses[outcome.status] += 1
        readers[case.reader] += 1
        if outcome.failed or out or err:
            failures.append(
                f"case {case.index} ({case.reader}, {case.seed}, {case.mutation}): "
                f"{outcome.status} {outcome.error_type} {outcome.message[:200]!r} "
                f"stdout={out[:200]!r} stderr={err[:200]!r}"
            )
    assert not failures, "\n".join(failures)
    # the fuzz really exercised each reader and both outcomes
    assert set(readers) == set(fuzz.READERS)
    assert statuses["ok"] >= 30 and statuses["typed"] >= 100, statuses


def test_the_fuzzer_is_reproducible():
    first = [c.files for c in fuzz.make_cases(20, seed=5)]
    again = [c.files for c in fuzz.make_cases(20, seed=5)]
    other = [c.files for c in fuzz.make_cases(20, seed=6)]
    assert first == again and first != other


def test_check_image_catches_a_wrong_shape_and_bad_spacing(tmp_path):
    ct = read_dicom(CT_SMALL)
    path = [Path(CT_SMALL)]
    assert fuzz.check_image(ct, "dicom", path) == ""
    wrong = medlab_io.MedicalImage(ct.array[:5], ct.spacing, ct.meta, "CT", "HU", ct.path)
    assert "differs from the header" in fuzz.check_image(wrong, "dicom", path)
    nan = medlab_io.MedicalImage(ct.array, (np.nan, 1.0), ct.meta, "CT", "HU", ct.path)
    assert "spacing" in fuzz.check_image(nan, "dicom", path)


# --------------------------------------------------------------------------- DICOM helpers


def _element(path, keyword):
    """(value offset, length, VR) of a top-level element, from pydicom's raw reading."""
    ds = pydicom.dcmread(path)
    raw = ds.get_item(pydicom.datadict.tag_for_keyword(keyword))
    return raw.value_tell, raw.length, raw.VR


def _with_vr(path, keyword, new_vr: bytes) -> bytes:
    """The file's bytes with one element's VR replaced (explicit VR little endian, short VR)."""
    tell, _, _ = _element(path, keyword)
    data = bytearray(Path(path).read_bytes())
    data[tell - 4 : tell - 2] = new_vr
    return bytes(data)


def _with_value(path, keyword, value: bytes) -> bytes:
    """The file's bytes with one element's value (and its 2-byte length) replaced."""
    tell, length, _ = _element(path, keyword)
    data = Path(path).read_bytes()
    return data[: tell - 2] + struct.pack("<H", len(value)) + value + data[tell + length :]


def _write(tmp_path, name, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


# --------------------------------------------------------------------------- DICOM regressions


def test_unknown_vr_in_a_needed_element_is_a_typed_error(tmp_path):
    # was: NotImplementedError "Unknown Value Representation 'ZZ' in tag (0028,0010)"
    path = _write(tmp_path, "unknown_vr_rows.dcm", _with_vr(CT_SMALL, "Rows", b"ZZ"))
    with pytest.raises(ImageReadError, match=r"unknown_vr_rows\.dcm.*Rows") as info:
        read_dicom(path)
    assert isinstance(info.value.__cause__, NotImplementedError)


def test_unknown_vr_in_another_element_is_left_out_with_a_warning(tmp_path, capfd):
    # was: NotImplementedError from iterating over the dataset to build meta
    path = _write(tmp_path, "unknown_vr_station.dcm", _with_vr(MR_SMALL, "SeriesTime", b"TL"))
    with pytest.warns(HeaderFixedWarning, match=r"unknown_vr_station\.dcm.*SeriesTime"):
        mr = read_dicom(path)
    assert "SeriesTime" not in mr.meta and mr.meta["Modality"] == "MR"
    np.testing.assert_array_equal(mr.array, read_dicom(MR_SMALL).array)
    assert capfd.readouterr() == ("", "")


def test_a_value_whose_length_does_not_fit_its_vr_is_a_typed_error(tmp_path):
    # was: pydicom's BytesLengthException (3 bytes for a 2-byte US value)
    path = _write(tmp_path, "odd_rows.dcm", _with_value(CT_SMALL, "Rows", b"\x80\x00\x00"))
    with pytest.raises(ImageReadError, match=r"odd_rows\.dcm.*Rows") as info:
        read_dicom(path)
    assert isinstance(info.value.__cause__, BytesLengthException)


@pytest.mark.parametrize(
    ("keyword", "value", "expected"),
    [
        ("RescaleIntercept", b"+ ", r"RescaleIntercept must be one number, found '\+'"),
        ("RescaleSlope", b"abc ", "RescaleSlope must be one number"),
        ("RescaleSlope", b"nan ", "RescaleSlope must be a finite number"),
        ("RescaleSlope", b"1e38", "expected finite values after applying RescaleSlope 1e\\+38"),
        ("PixelSpacing", b"abc\\1.0 ", "PixelSpacing must be two numbers"),
        ("PixelSpacing", b"0.5 ", "PixelSpacing must be two numbers"),  # was a TypeError
        ("PixelSpacing", b"nan\\nan ", "PixelSpacing must be two numbers ≥ 0"),
        ("PixelSpacing", b"-1\\-1 ", "PixelSpacing must be two numbers ≥ 0"),
    ],
)
def test_a_malformed_decimal_string_is_a_typed_error(tmp_path, keyword, value, expected):
    # was: a plain ValueError (could not convert string to float: '+') or a TypeError
    path = _write(tmp_path, "bad_ds.dcm", _with_value(CT_SMALL, keyword, value))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pydicom warns about the invalid DS itself
        with pytest.raises(ImageReadError, match=expected) as info:
            read_dicom(path)
    assert "bad_ds.dcm" in str(info.value)


def test_pixel_data_that_does_not_match_rows_and_columns_is_refused(tmp_path):
    # Columns 9 instead of 128: pydicom would return 14 "excess" frames of 128 × 9
    path = _write(tmp_path, "columns.dcm", _with_value(CT_SMALL, "Columns", struct.pack("<H", 9)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(ImageReadError, match=r"columns\.dcm.*decodes to shape \(14, 128, 9\)"):
            read_dicom(path)


def test_a_header_declaring_gigabytes_is_refused_before_decoding(tmp_path):
    ds = pydicom.dcmread(MR_RLE)  # RLE: pydicom allocates the declared size, then decodes
    ds.Rows = ds.Columns = 65535
    ds.NumberOfFrames = 1000
    path = tmp_path / "huge.dcm"
    ds.save_as(path)
    with pytest.raises(ImageReadError, match=r"huge\.dcm.*GiB.*MAX_ARRAY_BYTES"):
        read_dicom(path)


@pytest.mark.parametrize(
    ("keyword", "value", "expected"),
    [
        ("Rows", 0, "Rows must be a positive number of pixels, found 0"),
        ("SamplesPerPixel", 2, "SamplesPerPixel must be 1 .* or 3"),
        ("BitsAllocated", 12, "BitsAllocated must be 1 or 8, 16, 32 or 64, found 12"),
    ],
)
def test_image_pixel_module_values_are_checked(tmp_path, keyword, value, expected):
    ds = pydicom.dcmread(CT_SMALL)
    setattr(ds, keyword, value)
    path = tmp_path / "pixel_module.dcm"
    ds.save_as(path)
    with pytest.raises(ImageReadError, match=expected):
        read_dicom(path)


def test_a_series_slice_with_a_bad_position_is_named(tmp_path):
    # was: TypeError "only 0-dimensional arrays can be converted to Python scalars"
    for i in range(3):
        ds = pydicom.dcmread(CT_SMALL)
        ds.ImagePositionPatient = [0, 0, 2.5 * i]
        ds.save_as(tmp_path / f"slice{i}.dcm")
    bad = _with_value(tmp_path / "slice1.dcm", "ImagePositionPatient", b"1\\2 ")
    (tmp_path / "slice1.dcm").write_bytes(bad)
    with pytest.raises(ImageReadError, match=r"slice1\.dcm.*ImagePositionPatient"):
        read_dicom_series(tmp_path)


# --------------------------------------------------------------------------- NIfTI


def _nifti_bytes(tmp_path) -> bytes:
    """A small little-endian NIfTI-1 file written by nibabel."""
    data = np.arange(3 * 4 * 5, dtype=np.int16).reshape(3, 4, 5)
    path = tmp_path / "base.nii"
    nib.save(nib.Nifti1Image(data, np.diag([1.5, 2.0, 3.0, 1.0])), path)
    return path.read_bytes()


def _with_field(raw: bytes, name: str, value, index: int | None = None) -> bytes:
    header = np.frombuffer(raw[:348], dtype=nifti1.header_dtype).copy()
    if index is None:
        header[name] = value
    else:
        header[name][0, index] = value
    return header.tobytes() + raw[348:]


def test_nibabel_reports_header_repairs_on_this_logger():
    # the logger read_nifti filters; pinned so a nibabel rename shows up here
    from nibabel.imageglobals import logger

    assert logger is logging.getLogger("nibabel.global")


def test_a_bad_qform_code_is_a_warning_not_printed_noise(tmp_path, capfd):
    # was: nibabel printed "qform_code 99 not valid; setting to 0" to stderr
    raw = _with_field(_nifti_bytes(tmp_path), "qform_code", 99)
    path = _write(tmp_path, "bad_qform.nii", raw)
    filters = list(logging.getLogger("nibabel.global").filters)
    with pytest.warns(HeaderFixedWarning, match=r"bad_qform\.nii.*qform_code 99 not valid"):
        img = read_nifti(path)
    assert capfd.readouterr() == ("", "")
    assert img.shape == (3, 4, 5) and img.spacing == (1.5, 2.0, 3.0)
    assert logging.getLogger("nibabel.global").filters == filters  # the capture is removed


def test_a_sound_nifti_gives_no_warning(tmp_path, capfd):
    path = _write(tmp_path, "fine.nii", _nifti_bytes(tmp_path))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        read_nifti(path)
    assert capfd.readouterr() == ("", "")


@pytest.mark.parametrize(
    ("field", "value", "index", "expected", "cause"),
    [
        # was: OverflowError (cannot convert float infinity to integer)
        ("vox_offset", np.inf, None, "OverflowError", OverflowError),
        # was: OverflowError (Python int too large to convert to C long)
        ("vox_offset", 1e30, None, "truncated|Overflow", None),
        # an overflowing dimension: 32767 × 4 × 5 voxels in a 472-byte file
        ("dim", 32767, 1, r"truncated: the header declares 1310680 bytes", None),
        ("dim", -5, 2, "expected at least one voxel along each axis", None),
        # was: a returned image with NaN spacing
        ("pixdim", np.nan, 1, r"voxel sizes \(pixdim\) must be finite", None),
        # was: LinAlgError "SVD did not converge" computing the axis codes
        ("srow_x", np.nan, 0, "affine .* NaN or infinite", None),
        ("scl_slope", 3e38, None, "infinities after scaling by scl_slope 3e\\+38", None),
    ],
)
def test_a_corrupt_nifti_header_is_a_typed_error(
    tmp_path, capfd, field, value, index, expected, cause
):
    raw = _nifti_bytes(tmp_path)
    if field == "srow_x":
        raw = _with_field(raw, "sform_code", 1)
    path = _write(tmp_path, "corrupt.nii", _with_field(raw, field, value, index))
    with pytest.raises(ImageReadError, match=expected) as info:
        read_nifti(path)
    assert "corrupt.nii" in str(info.value)
    if cause is not None:
        assert isinstance(info.value.__cause__, cause)
    assert capfd.readouterr().out == ""


def test_unknown_units_are_a_warning_and_unknown(tmp_path):
    # was: KeyError np.uint8(7) from get_xyzt_units
    path = _write(tmp_path, "units.nii", _with_field(_nifti_bytes(tmp_path), "xyzt_units", 7))
    with pytest.warns(HeaderFixedWarning, match=r"units\.nii.*xyzt_units code 7"):
        img = read_nifti(path)
    assert img.meta["xyz_units"] == "unknown"


def test_a_degenerate_affine_gives_unknown_axis_codes(tmp_path):
    # was: TypeError "sequence item 0: expected str instance, NoneType found"
    raw = _with_field(_nifti_bytes(tmp_path), "sform_code", 1)
    for row in ("srow_x", "srow_y", "srow_z"):
        raw = _with_field(raw, row, 0.0, 0)
    path = _write(tmp_path, "flat.nii", raw)
    with pytest.warns(HeaderFixedWarning, match=r"flat\.nii.*degenerate"):
        img = read_nifti(path)
    assert img.meta["axis_codes"] == "?AS" and img.shape == (3, 4, 5)  # first column zeroed


def test_a_gzip_too_small_for_its_header_is_refused_without_allocating(tmp_path):
    # was: MemoryError from nibabel allocating the declared volume
    raw = _with_field(_nifti_bytes(tmp_path), "dim", 2000, 1)  # 2000 × 2000 × 5 int16
    raw = _with_field(raw, "dim", 2000, 2)
    path = _write(tmp_path, "bomb.nii.gz", gzip.compress(raw))
    with pytest.raises(ImageReadError, match=r"bomb\.nii\.gz.*more than a gzip file"):
        read_nifti(path)


# --------------------------------------------------------------------------- pictures


def test_a_png_declaring_billions_of_pixels_is_a_typed_error(tmp_path):
    # was: Pillow's DecompressionBombError
    Image.fromarray(np.zeros((8, 8), np.uint8)).save(tmp_path / "ok.png")
    data = bytearray((tmp_path / "ok.png").read_bytes())
    data[16:24] = struct.pack(">II", 300_000, 300_000)  # IHDR width, height
    data[29:33] = struct.pack(">I", zlib.crc32(bytes(data[12:29])))
    path = _write(tmp_path, "bomb.png", bytes(data))
    with pytest.raises(ImageReadError, match=r"bomb\.png.*more pixels than Pillow accepts"):
        read_image(path)


# --------------------------------------------------------------------------- NRRD


def test_a_nrrd_origin_of_two_numbers_is_a_typed_error(tmp_path):
    # was: ValueError "matmul: Input operand 1 has a mismatch in its core dimension 0"
    import nrrd

    path = tmp_path / "origin.nrrd"
    header = {"space": "right-anterior-superior", "space directions": np.eye(3), "encoding": "raw"}
    nrrd.write(str(path), np.zeros((2, 3, 4), np.int16), header)
    text = path.read_bytes().replace(b"encoding: raw", b"encoding: raw\nspace origin: (1,2)")
    path.write_bytes(text)
    with pytest.raises(ImageReadError, match=r"origin\.nrrd.*'space origin' of 3 finite numbers"):
        medlab_io.read_nrrd(path)


def test_a_zero_pixel_spacing_still_means_not_known(tmp_path):
    # real radiographs (pydicom-data's RG1_UNCR.dcm) give PixelSpacing 0/0: kept, not refused
    path = _write(tmp_path, "zero.dcm", _with_value(CT_SMALL, "PixelSpacing", b"0.000\\0.000 "))
    assert read_dicom(path).spacing == (0.0, 0.0)
