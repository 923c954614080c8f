"""medlab.io.read_nrrd on small files written by pynrrd: orientation, spacing, bad input."""

from __future__ import annotations

import nrrd
import numpy as np
import pytest

from medlab.errors import ImageReadError
from medlab.io import read_nrrd


def _write(path, data, directions, origin=(0.0, 0.0, 0.0), space="left-posterior-superior"):
    header = {
        "space": space,
        "space directions": np.asarray(directions, dtype=float),
        "space origin": np.asarray(origin, dtype=float),
        "encoding": "gzip",
    }
    nrrd.write(str(path), data, header)
    return path


def test_a_volume_stored_in_lps_order_comes_back_as_z_y_x(tmp_path):
    data = np.arange(4 * 3 * 2, dtype=np.int16).reshape(4, 3, 2)  # file axes (x, y, z)
    path = _write(tmp_path / "a.nrrd", data, np.diag([0.5, 0.7, 2.5]), origin=(-10, 20, 30))
    img = read_nrrd(path)
    assert img.shape == (2, 3, 4) and img.spacing == (2.5, 0.7, 0.5)
    np.testing.assert_array_equal(img.array, np.transpose(data, (2, 1, 0)))
    # index (z, y, x) → RAS mm: LPS (x·0.5 − 10, y·0.7 + 20, z·2.5 + 30) with x, y negated
    np.testing.assert_allclose(
        img.affine @ [1, 2, 3, 1], [-(3 * 0.5 - 10), -(2 * 0.7 + 20), 32.5, 1]
    )
    assert img.meta["axis_codes"] == "SPL"


def test_axes_stored_the_other_way_are_flipped_and_the_origin_follows(tmp_path):
    data = np.arange(4 * 3 * 2, dtype=np.int16).reshape(4, 3, 2)
    plain = read_nrrd(_write(tmp_path / "p.nrrd", data, np.diag([1.0, 1.0, 1.0])))
    # the same voxels stored with y running anterior: flip along y, origin at the far end
    flipped_data = data[:, ::-1, :]
    flipped = read_nrrd(
        _write(tmp_path / "f.nrrd", flipped_data, np.diag([1.0, -1.0, 1.0]), origin=(0, 2, 0))
    )
    np.testing.assert_array_equal(flipped.array, plain.array)
    np.testing.assert_allclose(flipped.affine, plain.affine)


def test_ras_space_is_converted(tmp_path):
    data = np.zeros((2, 2, 2), dtype=np.int16)
    data[1, 0, 0] = 7  # file x=1: one step toward the patient's right; file y=0: posterior
    img = read_nrrd(_write(tmp_path / "r.nrrd", data, np.eye(3), space="right-anterior-superior"))
    # columns run right → left, so the rightmost voxel is column 0; rows run anterior →
    # posterior, so the posterior voxel is row 1
    assert img.array[0, 1, 0] == 7 and img.array.sum() == 7
    np.testing.assert_allclose(img.affine @ [0, 1, 0, 1], [1, 0, 0, 1])  # RAS of that voxel


@pytest.mark.parametrize(
    ("directions", "match"),
    [
        ([[0.7, 0.7, 0], [-0.7, 0.7, 0], [0, 0, 1]], "oblique"),
        ([[np.nan, 0, 0], [0, 1, 0], [0, 0, 1]], "space directions"),
    ],
)
def test_oblique_or_broken_geometry_is_refused(tmp_path, directions, match):
    path = _write(tmp_path / "o.nrrd", np.zeros((2, 2, 2), np.int16), directions)
    with pytest.raises(ImageReadError, match=match):
        read_nrrd(path)


def test_not_nrrd_and_truncated_files_raise_image_read_error(tmp_path):
    junk = tmp_path / "junk.nrrd"
    junk.write_bytes(b"NOT A NRRD FILE\n" * 10)
    with pytest.raises(ImageReadError, match="junk.nrrd"):
        read_nrrd(junk)
    good = _write(tmp_path / "g.nrrd", np.ones((8, 8, 8), np.int16), np.eye(3))
    cut = tmp_path / "cut.nrrd"
    cut.write_bytes(good.read_bytes()[:-20])
    with pytest.raises(ImageReadError, match="cut.nrrd"):
        read_nrrd(cut)
    flat = tmp_path / "flat.nrrd"
    nrrd.write(str(flat), np.zeros((4, 4), np.int16))
    with pytest.raises(ImageReadError, match="3D"):
        read_nrrd(flat)
