"""Tests of medlab.datasets, all with the network blocked.

Real loaders are compared with the independent libraries that read the same
files (nibabel, pydicom, scikit-image); synthetic data with its own ground
truth recomputed independently; MedMNIST with small fake files whose MD5 is
registered for the test.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
import urllib.request
from pathlib import Path
from types import MappingProxyType

import numpy as np
import pytest
from _network import NetworkBlockedError, block_network

from medlab import datasets
from medlab.datasets import _cards
from medlab.datasets._fetch import FETCH_OPTIONS
from medlab.datasets._loaders import LOADERS
from medlab.errors import ChecksumError, DatasetNotAvailableError, UnknownDatasetError

REQUIRED = {
    "mni152",
    "pydicom_ct",
    "pydicom_mr",
    "retina",
    "synthetic_chest_xray",
    "synthetic_chest_ct",
    "pneumoniamnist",
    "chestmnist",
    "breastmnist",
    "organamnist",
    "organmnist3d",
}


@pytest.fixture(autouse=True)
def offline(monkeypatch, tmp_path):
    """No network, and a fresh, empty dataset cache for every test."""
    block_network(monkeypatch)
    monkeypatch.setenv("MEDLAB_DATA_DIR", str(tmp_path / "data"))


def test_network_is_really_blocked():
    import socket
    import urllib.error

    with pytest.raises(urllib.error.URLError) as exc:
        urllib.request.urlopen("http://example.com", timeout=1)
    assert isinstance(exc.value.reason, NetworkBlockedError)
    with pytest.raises(NetworkBlockedError):
        socket.create_connection(("example.com", 443), timeout=1)


# --------------------------------------------------------------------------- registry


def test_list_returns_sorted_cards_with_required_datasets():
    cards = datasets.list()
    names = [c.name for c in cards]
    assert names == sorted(names)
    assert REQUIRED <= set(names)
    assert all(isinstance(c, datasets.DatasetCard) for c in cards)


@pytest.mark.parametrize("name", sorted(REQUIRED))
def test_card_is_complete_and_consistent_with_its_loader(name):
    import inspect

    card = datasets.info(name)
    for field in ("title", "description", "source", "licence", "citation", "modality", "task"):
        assert getattr(card, field).strip(), f"{name}: empty {field}"
    assert card.synthetic == (card.kind == "synthetic")
    loader = LOADERS[name]
    params = set(inspect.signature(loader.function).parameters) | set(FETCH_OPTIONS)
    assert set(card.options) <= params, f"{name}: card options not in the loader"
    assert set(loader.fixed) <= params
    if card.kind == "download":
        assert card.url.startswith("https://zenodo.org/records/10519652/files/")
        assert 28 in [f.size for f in card.files]
        assert all(re.fullmatch(r"[0-9a-f]{32}", f.md5) for f in card.files)
        assert card.licence.startswith("CC BY 4.0")
    if card.synthetic:
        assert "SYNTHETIC" in card.title and "SYNTHETIC" in card.summary()


def test_medmnist_cards_carry_the_checksums_published_by_medmnist():
    # values from medmnist 3.0.2's INFO dict (medmnist/info.py)
    card = datasets.info("pneumoniamnist")
    assert card.file(28).md5 == "28209eda62fecd6e6a2d98b1501bb15f"
    assert card.file(224).md5 == "d6a3c71de1b945ea11211b03746c1fe1"
    assert datasets.info("organmnist3d").file(64).md5 == "58a2205adf14a9d0a189cb06dc78bf10"
    assert card.url_for("pneumoniamnist_64.npz") == (
        "https://zenodo.org/records/10519652/files/pneumoniamnist_64.npz?download=1"
    )
    assert card.labels == {0: "normal", 1: "pneumonia"}


def test_unknown_name_lists_the_valid_names_and_the_closest_match():
    with pytest.raises(UnknownDatasetError) as exc:
        datasets.info("pneumonia_mnist")
    message = str(exc.value)
    assert "Did you mean 'pneumoniamnist'" in message
    assert "mni152" in message and "synthetic_chest_ct" in message
    with pytest.raises(UnknownDatasetError):
        datasets.load("no_such_dataset")
    with pytest.raises(KeyError):  # still a KeyError for generic handlers
        datasets.fetch("no_such_dataset")


def test_load_rejects_an_option_the_dataset_does_not_have():
    with pytest.raises(TypeError, match="resolution"):
        datasets.load("mni152", size=64)


def test_summary_and_markdown_name_licence_and_synthetic_status():
    text = str(datasets.info("pydicom_ct"))
    assert "licence" in text and "MIT" in text and "real data" in text
    md = datasets.info("synthetic_chest_ct")._repr_markdown_()
    assert "**SYNTHETIC**" in md


def test_read_card_rejects_bad_cards(tmp_path):
    good = (_cards.cards_dir() / "pydicom_mr.toml").read_text()
    path = tmp_path / "pydicom_mr.toml"
    path.write_text('colour = "blue"\n' + good)
    with pytest.raises(ValueError, match="unknown keys \\['colour'\\]"):
        _cards.read_card(path)
    path.write_text(good + 'colour = "blue"\n')  # lands in the last [[files]] entry
    with pytest.raises(ValueError, match="files"):
        _cards.read_card(path)
    path.write_text(good.replace("synthetic = false", "synthetic = true"))
    with pytest.raises(ValueError, match="synthetic must be true exactly when"):
        _cards.read_card(path)
    path.write_text(good.replace('name = "pydicom_mr"', 'name = "other"'))
    with pytest.raises(ValueError, match="must equal the file name"):
        _cards.read_card(path)
    path.write_text("name = [")
    with pytest.raises(ValueError, match="not valid TOML"):
        _cards.read_card(path)


# --------------------------------------------------------------------------- real data


@pytest.fixture(scope="module")
def mni_files():
    card = datasets.info("mni152")
    return {f.name.split("_")[2]: datasets.fetch("mni152")[i] for i, f in enumerate(card.files)}


def test_mni152_matches_nibabel_at_full_resolution(mni_files):
    import nibabel as nib

    ds = datasets.load("mni152")
    for key in ("t1", "gm", "wm"):
        ref = nib.load(mni_files[key])
        raw = np.asanyarray(ref.dataobj).astype(np.float64)
        assert ds[key].dtype == np.float32 and ds[key].shape == (197, 233, 189)
        np.testing.assert_allclose(ds[key], raw / raw.max(), atol=1e-6)
        np.testing.assert_array_equal(ds.affine, ref.affine)
    assert ds.spacing == (1.0, 1.0, 1.0)
    assert 0.0 <= ds.gm.min() and ds.gm.max() == 1.0 and 0.0 <= ds.wm.min() <= ds.wm.max() <= 1
    labels = ds["labels"]
    assert set(np.unique(labels)) == {0, 1, 2}
    assert np.all(ds.gm[labels == 1] >= 0.5) and np.all(ds.wm[labels == 2] >= 0.5)
    assert not ds.synthetic and "SYNTHETIC" not in repr(ds)


def test_mni152_resolution_2_averages_blocks_and_keeps_world_coordinates(mni_files):
    import nibabel as nib

    ds = datasets.load("mni152", resolution=2)
    ref = nib.load(mni_files["gm"])
    raw = np.asanyarray(ref.dataobj).astype(np.float64) / 255.0
    assert ds.gm.shape == (98, 116, 94) and ds.spacing == (2.0, 2.0, 2.0)
    for i, j, k in [(50, 60, 40), (30, 70, 50), (0, 0, 0)]:
        block = raw[2 * i : 2 * i + 2, 2 * j : 2 * j + 2, 2 * k : 2 * k + 2]
        assert ds.gm[i, j, k] == pytest.approx(block.mean(), abs=1e-6)
    # the new voxel (i, j, k) sits at the mean world position of its 8 old voxels
    old_centre = ref.affine @ np.array([2 * 10 + 0.5, 2 * 20 + 0.5, 2 * 30 + 0.5, 1.0])
    np.testing.assert_allclose(ds.affine @ np.array([10, 20, 30, 1.0]), old_centre)


def test_mni152_t1_is_skull_stripped_and_nilearn_brain_mask_is_its_threshold():
    """What the card says: no scalp or skull in the bundled T1 (brain extraction is no task
    on it), and nilearn's brain mask is this T1 above 0.2 rather than a file of its own."""
    from nilearn.datasets import load_mni152_brain_mask
    from scipy import ndimage

    ds = datasets.load("mni152")
    nilearn_mask = np.asarray(load_mni152_brain_mask(resolution=1).get_fdata()) > 0
    np.testing.assert_array_equal(nilearn_mask, ds["t1"] > 0.2)
    near_tissue = ndimage.binary_dilation(ds["gm"] + ds["wm"] > 0.05, iterations=3)
    head = ds["t1"] > 0
    assert np.sum(head & ~near_tissue) < 1e-3 * np.sum(head)  # nothing beyond 3 mm of tissue


@pytest.mark.parametrize("bad", [0, 5, 1.5, True, "2"])
def test_mni152_rejects_bad_resolution(bad):
    with pytest.raises(ValueError, match="resolution"):
        datasets.load("mni152", resolution=bad)


def test_pydicom_ct_is_in_hounsfield_units_like_pydicom_modality_lut():
    import pydicom
    from pydicom.data import get_testdata_file
    from pydicom.pixels import apply_modality_lut

    ref = pydicom.dcmread(get_testdata_file("CT_small.dcm"))
    ds = datasets.load("pydicom_ct")
    expected = apply_modality_lut(ref.pixel_array, ref)
    assert ds.image.dtype == np.float32 and ds.image.shape == (128, 128)
    np.testing.assert_array_equal(ds.image, expected.astype(np.float32))
    assert ds.spacing == pytest.approx(tuple(float(s) for s in ref.PixelSpacing))
    assert ds.meta["Modality"] == "CT" and ds.meta["RescaleIntercept"] == -1024.0
    assert -1100 < ds.image.min() < -800  # air/lung present, in HU
    assert Path(ds.meta["path"]).name == "CT_small.dcm"


def test_pydicom_mr_matches_pydicom_pixel_array():
    import pydicom
    from pydicom.data import get_testdata_file

    ref = pydicom.dcmread(get_testdata_file("MR_small.dcm"))
    ds = datasets.load("pydicom_mr")
    np.testing.assert_array_equal(ds.image, ref.pixel_array.astype(np.float32))
    assert ds.spacing == (0.3125, 0.3125) and ds.meta["Modality"] == "MR"


def test_missing_pydicom_test_file_is_a_clear_error(monkeypatch):
    card = datasets.info("pydicom_ct")
    moved = dataclasses.replace(card.files[0], path="data/test_files/gone/CT_small.dcm")
    cards = dict(_cards.registry())
    cards["pydicom_ct"] = dataclasses.replace(card, files=(moved,))
    monkeypatch.setattr(_cards, "registry", lambda: MappingProxyType(cards))
    with pytest.raises(DatasetNotAvailableError, match="CT_small.dcm.*reinstall pydicom"):
        datasets.load("pydicom_ct")


def test_every_card_has_a_loader_and_every_loader_a_card():
    assert set(LOADERS) == {card.name for card in datasets.list()}


def test_retina_matches_scikit_image():
    from skimage import data

    ref = data.retina()
    ds = datasets.load("retina")
    np.testing.assert_array_equal(ds.image, ref)
    np.testing.assert_allclose(ds.green, ref[..., 1] / 255.0, atol=1e-7)
    assert ds.green.dtype == np.float32 and ds.spacing is None


def test_fetch_and_available_for_bundled_and_synthetic_data():
    paths = datasets.fetch("pydicom_ct")
    assert len(paths) == 1 and paths[0].is_file()
    assert all(p.is_file() for p in datasets.fetch("mni152"))
    assert datasets.fetch("synthetic_chest_xray") == []
    assert datasets.available("retina") and datasets.available("synthetic_chest_ct")
    assert not datasets.available("pneumoniamnist")


def test_dataset_is_a_read_only_mapping_with_attribute_access():
    ds = datasets.load("pydicom_mr")
    assert list(ds.keys()) == ["image"] and "image" in ds and len(ds) == 1
    assert ds.image is ds["image"] and ds.name == "pydicom_mr" and ds.card.kind == "bundled"
    with pytest.raises(KeyError, match="has no key 'mask'; keys: image"):
        ds["mask"]
    with pytest.raises(AttributeError, match="mask"):
        getattr(ds, "mask")  # noqa: B009 - attribute access is what is tested
    with pytest.raises(TypeError):
        ds["image"] = None
    assert ds == ds and ds != datasets.load("pydicom_mr")  # identity, no array ambiguity


# --------------------------------------------------------------------------- synthetic X-ray

XRAY_STYLES = ["blobs", "radiograph"]


@pytest.mark.parametrize("style", XRAY_STYLES)
def test_synthetic_chest_xray_shapes_types_and_labelling(style):
    ds = datasets.load("synthetic_chest_xray", n=200, seed=3, style=style)
    assert ds.synthetic and ds.meta["synthetic"] is True and "SYNTHETIC" in ds.meta["note"]
    assert "SYNTHETIC" in repr(ds) and ds.meta["style"] == style
    sizes = {"train": 140, "val": 30, "test": 30}
    for split, m in sizes.items():
        x, y, mask = ds[f"x_{split}"], ds[f"y_{split}"], ds[f"mask_{split}"]
        lungs = ds[f"lungs_{split}"]
        assert x.shape == (m, 64, 64, 1) and x.dtype == np.float32
        assert 0.0 <= x.min() and x.max() <= 1.0
        assert y.shape == (m,) and set(np.unique(y)) == {0, 1}
        assert mask.shape == (m, 64, 64) and mask.dtype == bool
        assert not mask[y == 0].any()  # normals have no opacity
        assert mask[y == 1].reshape(int(y.sum()), -1).any(axis=1).all()
        assert lungs.shape == mask.shape and lungs.dtype == bool
        assert not (mask & ~lungs).any()  # every opacity lies in a lung field
        assert 0.2 < lungs.mean() < 0.45


def test_synthetic_chest_xray_is_deterministic_by_seed():
    for style in XRAY_STYLES:
        a = datasets.load("synthetic_chest_xray", n=60, seed=7, style=style)
        b = datasets.load("synthetic_chest_xray", n=60, seed=7, style=style)
        c = datasets.load("synthetic_chest_xray", n=60, seed=8, style=style)
        for key in a:
            np.testing.assert_array_equal(a[key], b[key])
        assert not np.array_equal(a["x_train"], c["x_train"])
    assert datasets.load("synthetic_chest_xray", n=60, seed=7).meta["style"] == "blobs"


@pytest.mark.parametrize("prevalence", [0.5, 0.2])
def test_synthetic_chest_xray_prevalence_is_exact_and_stratified(prevalence):
    ds = datasets.load("synthetic_chest_xray", n=400, prevalence=prevalence, size=32)
    y = np.concatenate([ds.y_train, ds.y_val, ds.y_test])
    assert y.sum() == round(400 * prevalence)
    for split in ("train", "val", "test"):
        assert ds[f"y_{split}"].mean() == pytest.approx(prevalence, abs=0.02)


def _auc(y, score):
    """ROC AUC as the Mann-Whitney probability P(score_pos > score_neg), ties count 1/2."""
    pos, neg = score[y == 1][:, None], score[y == 0][None, :]
    return float(np.mean(pos > neg) + 0.5 * np.mean(pos == neg))


@pytest.mark.parametrize("style", XRAY_STYLES)
def test_synthetic_chest_xray_is_learnable_but_not_trivial(style):
    ds = datasets.load("synthetic_chest_xray", n=800, size=32, seed=1, style=style)
    x_all = np.concatenate([ds.x_train, ds.x_val, ds.x_test]).reshape(800, -1).astype(float)
    y_all = np.concatenate([ds.y_train, ds.y_val, ds.y_test])
    # no single global brightness statistic separates the classes ...
    for stat in (np.mean, np.std, np.median):
        auc = _auc(y_all, stat(x_all, axis=1))
        assert 0.35 < auc < 0.65, f"{stat.__name__} gives AUC {auc:.2f}"
    # ... but the images carry learnable signal: even a ridge-regularised
    # linear model on the pixels (closed form) finds it on held-out images
    x_tr, y_tr = x_all[:560] - x_all[:560].mean(0), y_all[:560] - y_all[:560].mean()
    w = np.linalg.solve(x_tr.T @ x_tr + 100.0 * np.eye(x_tr.shape[1]), x_tr.T @ y_tr)
    assert _auc(y_all[680:], x_all[680:] @ w) > 0.75


def _lung_bottoms(lung: np.ndarray) -> np.ndarray:
    """For each column of one lung field, the lowest row it reaches."""
    columns = np.flatnonzero(lung.any(axis=0))
    return np.array([np.flatnonzero(lung[:, c]).max() for c in columns])


def test_radiograph_style_has_diaphragm_domes_and_costophrenic_angles():
    ds = datasets.load("synthetic_chest_xray", n=300, size=64, seed=2, style="radiograph")
    dome_rows = []
    for lungs in ds.lungs_train[ds.y_train == 0]:
        rows = []
        for side, half in (("right", lungs[:, :32]), ("left", lungs[:, 32:])):
            bottom = _lung_bottoms(half)
            k = max(2, bottom.size // 6)
            lateral = bottom[:k] if side == "right" else bottom[-k:]  # image left = right lung
            dome = bottom[bottom.size // 2 - 1 : bottom.size // 2 + 2].min()
            # the lung reaches lower at its lateral edge than under the dome's top: the
            # costophrenic recess, where the chest wall meets the diaphragm
            assert lateral.max() >= dome + 3, f"{side} lung has no costophrenic recess"
            rows.append(dome)
        dome_rows.append(rows)
    right, left = np.array(dome_rows).T
    assert np.mean(right < left) > 0.8  # the right hemidiaphragm usually sits higher


def test_radiograph_style_opacities_are_lobar_segmental_or_multifocal():
    from scipy import ndimage

    ds = datasets.load("synthetic_chest_xray", n=400, size=64, seed=4, style="radiograph")
    masks, lungs = ds.mask_train[ds.y_train == 1], ds.lungs_train[ds.y_train == 1]
    lung_share, multifocal = [], []
    for mask, lung in zip(masks, lungs, strict=True):
        half = slice(0, 32) if mask[:, :32].sum() >= mask[:, 32:].sum() else slice(32, 64)
        lung_share.append(mask[:, half].sum() / lung[:, half].sum())
        multifocal.append(ndimage.label(mask)[1] >= 2)
    lung_share = np.array(lung_share)
    assert np.mean(lung_share > 0.3) > 0.3, "lobar consolidation fills much of a lung"
    assert np.mean(lung_share < 0.3) > 0.1, "segmental and patchy ones less"
    assert np.mean(multifocal) > 0.1, "some are multifocal, as bronchopneumonia"


@pytest.mark.parametrize(
    "options, match",
    [
        ({"n": 2}, "n must be"),
        ({"size": 8}, "size must be"),
        ({"prevalence": 1.5}, "prevalence"),
        ({"split": (0.5, 0.5, 0.5)}, "split"),
        ({"split": (1.0, 0.0)}, "split"),
        ({"style": "cartoon"}, "style must be one of"),
    ],
)
def test_synthetic_chest_xray_rejects_bad_options(options, match):
    with pytest.raises(ValueError, match=match):
        datasets.load("synthetic_chest_xray", **options)


# --------------------------------------------------------------------------- synthetic CT


@pytest.fixture(scope="module")
def ct():
    return datasets.load("synthetic_chest_ct", seed=0)


def test_synthetic_chest_ct_shapes_units_and_labelling(ct):
    vol = ct.volume
    assert vol.shape == (128, 128, 128) and vol.dtype == np.float32
    assert ct.spacing == (2.5, 2.5, 2.5)
    assert ct.synthetic and "SYNTHETIC" in repr(ct) and ct.meta["synthetic"] is True
    outside = ~ct.body
    assert abs(np.median(vol[outside]) + 1000) < 10
    assert -900 < np.median(vol[ct.lungs & (ct.nodules == 0)]) < -700
    assert np.median(vol[ct.bone]) > 300
    soft = ct.body & ~ct.lungs & ~ct.bone
    assert -150 < np.median(vol[soft]) < 80
    for t in ct.truth:
        inside = vol[ct.nodules == t["label"]]
        assert -60 < np.median(inside) < 100


def test_synthetic_chest_ct_masks_agree_with_truth(ct):
    from scipy.spatial import cKDTree

    labels = ct.nodules
    assert len(ct.truth) == 3 and set(np.unique(labels)) == {0, 1, 2, 3}
    assert np.all(ct.lungs[labels > 0]), "nodules must lie inside the lungs"
    assert not np.any(ct.lungs & ~ct.body) and not np.any(ct.lungs & ct.chest_wall)
    sp = np.array(ct.spacing)
    voxel_ml = np.prod(sp) / 1000.0
    wall = np.argwhere(ct.chest_wall) * sp
    tree = cKDTree(wall)
    for i, t in enumerate(ct.truth, start=1):
        assert t["label"] == i
        mask = labels == i
        count = int(mask.sum())
        assert t["voxel_count"] == count
        assert t["voxel_volume_ml"] == pytest.approx(count * voxel_ml)
        a, b, c = t["semi_axes_mm"]
        assert t["volume_ml"] == pytest.approx(4 / 3 * np.pi * a * b * c / 1000)
        assert t["radius_mm"] == pytest.approx((a * b * c) ** (1 / 3))
        assert 3.0 * 0.85 <= t["radius_mm"] <= 12.0 * 1.15
        assert t["longest_diameter_mm"] == pytest.approx(2 * max(a, b, c))
        # voxel counting approximates the exact volume (better for big nodules)
        tolerance = 0.15 if t["radius_mm"] > 5 else 0.35
        assert t["voxel_volume_ml"] == pytest.approx(t["volume_ml"], rel=tolerance)
        centroid = np.argwhere(mask).mean(axis=0)
        np.testing.assert_allclose(centroid, t["centre_voxel"], atol=0.5)
        np.testing.assert_allclose(t["centre_mm"], np.array(t["centre_voxel"]) * sp)
        dist, _ = tree.query(np.argwhere(mask) * sp)
        assert t["distance_to_chest_wall_mm"] == pytest.approx(dist.min())
        for name in ("heart", "aorta"):  # brute force over every voxel of the structure
            pts = np.argwhere(ct[name]) * sp
            nod = np.argwhere(mask) * sp
            best = min(
                np.min(np.sum((pts - q) ** 2, axis=1)) for q in nod[:: max(1, len(nod) // 50)]
            )
            assert t[f"distance_to_{name}_mm"] <= np.sqrt(best) + 1e-9
            assert t[f"distance_to_{name}_mm"] == pytest.approx(cKDTree(pts).query(nod)[0].min())
        x_side = "right" if t["centre_voxel"][2] < labels.shape[2] / 2 else "left"
        assert t["lung"] == x_side


def test_synthetic_chest_ct_is_adult_sized(ct):
    """Adult total lung capacity is 4-6 L; the former defaults made 0.8 L, a child's."""
    from medlab import measure

    lungs_l = measure.volume_ml(ct.lungs, ct.spacing) / 1000
    assert 4.0 < lungs_l < 6.0
    body = np.argwhere(ct.body[ct.body.shape[0] // 2]) * np.array(ct.spacing[1:])
    depth_mm, width_mm = np.ptp(body, axis=0) + np.array(ct.spacing[1:])
    assert 260 < width_mm < 360 and 180 < depth_mm < 260  # an adult chest, in mm
    child = datasets.load("synthetic_chest_ct", shape=(64, 128, 128), spacing=(2.5, 1.5, 1.5))
    assert measure.volume_ml(child.lungs, child.spacing) < 1000  # what lesson 08 used to show


def test_synthetic_chest_ct_nodules_are_solitary_with_guideline_diameters(ct):
    """No vessel within 2 mm of a nodule, so the nodule's edge (its truth) is unambiguous;
    the axial diameters are those of the ellipsoid's central axial section."""
    from scipy import ndimage

    sp = np.array(ct.spacing)
    dense = ct.lungs & (ct.volume > -400) & (ct.nodules == 0)
    for t in ct.truth:
        nodule = ct.nodules == t["label"]
        near = ndimage.distance_transform_edt(~nodule, sampling=sp) <= 2.0
        blurred_rim = ndimage.binary_dilation(nodule, iterations=1)  # the scanner's blur
        assert not (dense & near & ~blurred_rim).any()
        _, ay, ax = t["semi_axes_mm"]
        assert t["long_axis_mm"] == pytest.approx(2 * max(ay, ax))
        assert t["short_axis_mm"] == pytest.approx(2 * min(ay, ax))
        assert t["mean_axial_diameter_mm"] == pytest.approx(ay + ax)
        # the voxelised nodule's central slice has about those diameters, edge to edge
        from medlab import measure

        measured = measure.axial_diameters_mm(nodule, sp)
        assert measured["mean_mm"] == pytest.approx(t["mean_axial_diameter_mm"], abs=sp[1])


def test_synthetic_chest_ct_is_deterministic_and_configurable():
    a = datasets.load("synthetic_chest_ct", shape=(24, 64, 64), n_nodules=1, seed=5)
    b = datasets.load("synthetic_chest_ct", shape=(24, 64, 64), n_nodules=1, seed=5)
    c = datasets.load("synthetic_chest_ct", shape=(24, 64, 64), n_nodules=1, seed=6)
    np.testing.assert_array_equal(a.volume, b.volume)
    assert a.truth == b.truth and a.truth != c.truth
    quiet = datasets.load("synthetic_chest_ct", shape=(24, 64, 64), n_nodules=0, noise_hu=0)
    assert quiet.truth == [] and not quiet.nodules.any()
    assert np.all(quiet.volume[:, :8, :8] == -1000.0)  # air far from the body, no noise


@pytest.mark.parametrize(
    "options, match",
    [
        ({"shape": (8, 64, 64)}, "shape"),
        ({"shape": (32, 64)}, "shape"),
        ({"spacing": (1, 0, 1)}, "spacing"),
        ({"n_nodules": 11}, "n_nodules"),
        ({"radius_mm": (12, 3)}, "radius_mm"),
        ({"noise_hu": -1}, "noise_hu"),
        ({"shape": (16, 32, 32), "n_nodules": 10, "radius_mm": (12, 12)}, "cannot fit"),
    ],
)
def test_synthetic_chest_ct_rejects_bad_options(options, match):
    with pytest.raises(ValueError, match=match):
        datasets.load("synthetic_chest_ct", **options)


# --------------------------------------------------------------------------- MedMNIST


def _fake_medmnist(path: Path, *, n=(6, 2, 3), side=28, channels=None, labels_cols=1, seed=0):
    rng = np.random.default_rng(seed)
    arrays = {}
    for split, m in zip(("train", "val", "test"), n, strict=True):
        shape = (m,) + (side,) * (3 if channels == "3d" else 2)
        if channels == 3:
            shape += (3,)
        arrays[f"{split}_images"] = rng.integers(0, 256, shape, dtype=np.uint8)
        arrays[f"{split}_labels"] = rng.integers(0, 2, (m, labels_cols), dtype=np.uint8)
    np.savez(path, **arrays)
    return arrays


def _register_md5(monkeypatch, name, md5, size=28, url=None):
    card = datasets.info(name)
    files = tuple(dataclasses.replace(f, md5=md5) if f.size == size else f for f in card.files)
    changes = {"files": files} if url is None else {"files": files, "url": url}
    cards = dict(_cards.registry())
    cards[name] = dataclasses.replace(card, **changes)
    monkeypatch.setattr(_cards, "registry", lambda: MappingProxyType(cards))
    return cards[name]


def _md5(path):
    return hashlib.md5(Path(path).read_bytes()).hexdigest()


def _cache_files():
    folder = datasets.cache_dir()
    return sorted(p.name for p in folder.rglob("*")) if folder.exists() else []


def test_cache_dir_follows_medlab_data_dir(tmp_path):
    assert datasets.cache_dir() == tmp_path / "data" / "datasets"


def test_offline_download_names_the_url_and_the_destination():
    with pytest.raises(DatasetNotAvailableError) as exc:
        datasets.load("pneumoniamnist", size=64)
    message = str(exc.value)
    assert "https://zenodo.org/records/10519652/files/pneumoniamnist_64.npz?download=1" in message
    assert str(datasets.cache_dir() / "medmnist" / "pneumoniamnist_64.npz") in message
    assert "path=" in message
    assert [p for p in _cache_files() if p.endswith(".npz") or p.endswith(".part")] == []


def test_download_false_never_touches_the_network(monkeypatch):
    def no_call(*args, **kwargs):
        raise AssertionError("urlopen must not be called")

    monkeypatch.setattr(urllib.request, "urlopen", no_call)
    with pytest.raises(DatasetNotAvailableError, match="download=False"):
        datasets.load("breastmnist", download=False)


def test_load_from_a_user_file_verifies_and_caches_it(monkeypatch, tmp_path):
    src = tmp_path / "Downloads" / "pneumoniamnist.npz"
    src.parent.mkdir()
    raw = _fake_medmnist(src)
    _register_md5(monkeypatch, "pneumoniamnist", _md5(src))
    ds = datasets.load("pneumoniamnist", path=src)
    assert ds.x_train.shape == (6, 28, 28, 1) and ds.x_train.dtype == np.float32
    np.testing.assert_allclose(ds.x_train[..., 0], raw["train_images"] / 255.0, atol=1e-7)
    np.testing.assert_array_equal(ds.y_test, raw["test_labels"][:, 0])
    assert ds.y_test.shape == (3,) and ds.labels[1] == "pneumonia"
    cached = datasets.cache_dir() / "medmnist" / "pneumoniamnist.npz"
    assert _md5(cached) == _md5(src) and _cache_files() == ["medmnist", "pneumoniamnist.npz"]
    # the cached copy is reused without the user file and without the network
    src.unlink()
    again = datasets.load("pneumoniamnist", as_float=False)
    np.testing.assert_array_equal(again.x_val[..., 0], raw["val_images"])
    assert again.x_val.dtype == np.uint8
    assert datasets.available("pneumoniamnist") and datasets.fetch("pneumoniamnist") == [cached]


def test_user_file_may_be_given_as_its_folder(monkeypatch, tmp_path):
    _fake_medmnist(tmp_path / "breastmnist.npz")
    _register_md5(monkeypatch, "breastmnist", _md5(tmp_path / "breastmnist.npz"))
    assert datasets.fetch("breastmnist", path=tmp_path)[0].is_file()


def test_user_file_with_wrong_checksum_is_rejected_and_not_cached(tmp_path):
    src = tmp_path / "pneumoniamnist.npz"
    _fake_medmnist(src)
    with pytest.raises(ChecksumError, match="28209eda62fecd6e6a2d98b1501bb15f"):
        datasets.load("pneumoniamnist", path=src)
    assert _cache_files() == []


def test_missing_user_file_is_a_clear_error(tmp_path):
    with pytest.raises(DatasetNotAvailableError, match="is not a file"):
        datasets.load("pneumoniamnist", path=tmp_path / "nope.npz")


def test_download_writes_atomically_after_checking_md5(monkeypatch, tmp_path):
    server = tmp_path / "server"
    server.mkdir()
    _fake_medmnist(server / "organmnist3d.npz", channels="3d", labels_cols=1)
    url = server.as_uri() + "/{filename}"
    _register_md5(monkeypatch, "organmnist3d", _md5(server / "organmnist3d.npz"), url=url)
    ds = datasets.load("organmnist3d")
    assert ds.x_train.shape == (6, 28, 28, 28, 1) and ds.y_train.shape == (6,)
    assert _cache_files() == ["medmnist", "organmnist3d.npz"]


def test_download_with_wrong_md5_leaves_nothing_in_the_cache(monkeypatch, tmp_path):
    server = tmp_path / "server"
    server.mkdir()
    _fake_medmnist(server / "chestmnist.npz", labels_cols=14)
    _register_md5(monkeypatch, "chestmnist", "0" * 32, url=server.as_uri() + "/{filename}")
    with pytest.raises(ChecksumError, match="discarded"):
        datasets.load("chestmnist")
    assert [p for p in _cache_files() if p != "medmnist"] == []


def test_multilabel_labels_keep_their_columns(monkeypatch, tmp_path):
    src = tmp_path / "chestmnist.npz"
    _fake_medmnist(src, labels_cols=14)
    _register_md5(monkeypatch, "chestmnist", _md5(src))
    ds = datasets.load("chestmnist", path=src)
    assert ds.y_train.shape == (6, 14) and ds.labels[13] == "hernia"


def test_failed_download_midway_leaves_no_partial_file(monkeypatch):
    class Broken:
        def __init__(self):
            self.calls = 0
            self.headers = {"Content-Length": "100"}

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def read(self, n):
            self.calls += 1
            if self.calls == 1:
                return b"x" * 50
            raise ConnectionResetError("connection lost")

    monkeypatch.setattr(urllib.request, "urlopen", lambda url, timeout: Broken())
    with pytest.raises(DatasetNotAvailableError, match="connection lost"):
        datasets.load("organamnist")
    assert [p for p in _cache_files() if p != "medmnist"] == []


def test_bad_size_is_rejected():
    with pytest.raises(ValueError, match="available sizes"):
        datasets.fetch("organmnist3d", size=128)
    with pytest.raises(ValueError, match="no size 100"):
        datasets.load("pneumoniamnist", size=100)
