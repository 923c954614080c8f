"""medlab.measure against hand-worked shapes and independent references."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from medlab import measure


def _box(shape=(20, 30, 40), lo=(5, 10, 8), hi=(9, 16, 20)):
    m = np.zeros(shape, bool)
    m[lo[0] : hi[0], lo[1] : hi[1], lo[2] : hi[2]] = True
    return m


def _sphere(radius_mm, spacing, shape=(40, 60, 60)):
    grid = np.indices(shape).astype(float)
    centre = (np.array(shape) - 1) / 2
    d2 = sum(((g - c) * s) ** 2 for g, c, s in zip(grid, centre, spacing, strict=True))
    return d2 <= radius_mm**2


def test_volume_of_a_box_by_hand():
    # 4 × 6 × 12 voxels of 2.5 × 1.5 × 1.5 mm = 288 × 5.625 mm³ = 1.62 mL
    assert measure.volume_ml(_box(), (2.5, 1.5, 1.5)) == pytest.approx(1.62)
    assert measure.volume_ml(np.zeros((3, 3), bool), (1, 1)) == 0.0


def test_volume_of_a_voxelised_sphere_approaches_the_formula():
    sp = (1.0, 0.5, 0.5)
    exact = 4 / 3 * np.pi * 10.0**3 / 1000
    assert measure.volume_ml(_sphere(10.0, sp), sp) == pytest.approx(exact, rel=0.02)


def test_longest_diameter_of_a_box_is_its_centre_to_centre_diagonal():
    sp = (2.5, 1.5, 1.5)
    # extents between first and last voxel centres: 3, 5, 11 voxels
    want = np.sqrt((3 * 2.5) ** 2 + (5 * 1.5) ** 2 + (11 * 1.5) ** 2)
    assert measure.longest_diameter_mm(_box(), sp) == pytest.approx(want)


def test_longest_diameter_matches_brute_force_and_regionprops():
    from scipy.spatial.distance import pdist
    from skimage.measure import regionprops

    rng = np.random.default_rng(0)
    m = np.zeros((12, 14, 16), bool)
    m[rng.integers(0, 12, 60), rng.integers(0, 14, 60), rng.integers(0, 16, 60)] = True
    sp = (2.0, 1.0, 0.5)
    brute = pdist(np.argwhere(m) * sp).max()
    assert measure.longest_diameter_mm(m, sp) == pytest.approx(brute)
    # a large anisotropic ellipsoid (many surface points: the convex-hull path) against all
    # pairs of its voxels and against the exact diameter
    sp3 = (1.5, 1.0, 0.8)
    s = _sphere(12.0, sp3)
    assert measure.longest_diameter_mm(s, sp3) == pytest.approx(pdist(np.argwhere(s) * sp3).max())
    assert measure.longest_diameter_mm(s, sp3) == pytest.approx(24.0, abs=2 * max(sp3))
    # 2D: regionprops' feret_diameter_max (its own convex-hull code) on a square, whose
    # centre-to-centre diagonal is (n - 1)√2
    square = np.zeros((12, 12), bool)
    square[2:9, 2:9] = True
    assert regionprops(square.astype(int))[0].feret_diameter_max >= 6 * np.sqrt(2)
    assert measure.longest_diameter_mm(square, (1, 1)) == pytest.approx(6 * np.sqrt(2))
    assert measure.longest_diameter_mm(_box((3, 3, 3), (1, 1, 1), (2, 2, 2)), (1, 1, 1)) == 0.0


def test_centroid_matches_scipy_center_of_mass_in_mm():
    from scipy import ndimage

    m = _box()
    sp = (2.5, 1.5, 1.5)
    want = np.array(ndimage.center_of_mass(m)) * sp
    np.testing.assert_allclose(measure.centroid_mm(m, sp), want)
    np.testing.assert_allclose(measure.centroid_mm(m, sp), [6.5 * 2.5, 12.5 * 1.5, 13.5 * 1.5])


def test_distance_between_two_boxes_by_hand_and_by_brute_force():
    from scipy.spatial.distance import cdist

    a = _box(lo=(2, 2, 2), hi=(4, 4, 4))
    b = _box(lo=(10, 2, 2), hi=(12, 4, 4))
    sp = (2.5, 1.5, 1.5)
    # nearest voxel centres: slices 3 and 10, 7 slices apart
    assert measure.distance_to_mask_mm(a, b, sp) == pytest.approx(7 * 2.5)
    c = _box(lo=(6, 20, 30), hi=(8, 22, 33))
    brute = cdist(np.argwhere(a) * sp, np.argwhere(c) * sp).min()
    assert measure.distance_to_mask_mm(a, c, sp) == pytest.approx(brute)
    assert measure.distance_to_mask_mm(a, a, sp) == 0.0


def test_label_components_sorted_by_size_with_measurements():
    m = _box(lo=(2, 2, 2), hi=(4, 4, 4)) | _box(lo=(10, 10, 10), hi=(15, 15, 15))
    m[0, 0, 0] = True  # one voxel: dropped by min_volume_ml
    labels, stats = measure.label_components(m, (1, 1, 1), min_volume_ml=0.005)
    assert [s["voxels"] for s in stats] == [125, 8]
    assert labels.max() == 2 and labels[0, 0, 0] == 0
    np.testing.assert_allclose(stats[0]["centroid_mm"], (12, 12, 12))
    assert stats[1]["longest_diameter_mm"] == pytest.approx(np.sqrt(3))
    # diagonal neighbours are connected (26-connectivity)
    d = np.zeros((3, 3, 3), bool)
    d[0, 0, 0] = d[1, 1, 1] = True
    assert measure.label_components(d, (1, 1, 1))[0].max() == 1


def test_line_profile_samples_the_nearest_voxels():
    v = np.zeros((5, 5, 20))
    v[:, :, 10:] = 1
    dist, values = measure.line_profile(v, (2, 2, 0), (2, 2, 19 * 2.0), (1, 1, 2.0), step_mm=1.0)
    assert dist[-1] == pytest.approx(38.0)
    assert values[0] == 0 and values[-1] == 1
    assert np.sum(values == 1) == pytest.approx(np.sum(dist >= 19.0), abs=1)


@pytest.mark.parametrize(
    ("call", "fragment"),
    [
        (lambda: measure.volume_ml(np.ones((2, 2), bool), (1, 1, 1)), "2 positive numbers"),
        (lambda: measure.volume_ml(np.ones((2, 2), bool), (1, -1)), "positive"),
        (lambda: measure.volume_ml(np.full((2, 2), 0.5), (1, 1)), "boolean mask"),
        (lambda: measure.longest_diameter_mm(np.zeros((3, 3), bool), (1, 1)), "empty"),
        (lambda: measure.centroid_mm(np.zeros((3, 3), bool), (1, 1)), "empty"),
        (
            lambda: measure.distance_to_mask_mm(
                np.ones((2, 2), bool), np.ones((3, 3), bool), (1, 1)
            ),
            "same shape",
        ),
        (lambda: measure.line_profile(np.zeros((3, 3)), (0, 0), (10, 0), (1, 1)), "leaves"),
    ],
)
def test_bad_input(call, fragment):
    with pytest.raises(ValueError, match=fragment):
        call()


def test_measurements_recover_the_phantom_truth():
    from medlab import datasets

    ds = datasets.load("synthetic_chest_ct", shape=(32, 64, 64), n_nodules=2, seed=3)
    sp = ds.spacing
    for t in ds["truth"]:
        m = ds["nodules"] == t["label"]
        assert measure.volume_ml(m, sp) == pytest.approx(t["voxel_volume_ml"])
        np.testing.assert_allclose(measure.centroid_mm(m, sp), t["centre_mm"], atol=max(sp))
        assert measure.distance_to_mask_mm(m, ds["chest_wall"], sp) == pytest.approx(
            t["distance_to_chest_wall_mm"]
        )
        assert abs(measure.longest_diameter_mm(m, sp) - t["longest_diameter_mm"]) <= 2 * max(sp)


def test_all_pairs_agree_with_itertools_on_tiny_masks():
    m = np.zeros((3, 4, 5), bool)
    pts = [(0, 0, 0), (2, 3, 1), (1, 1, 4)]
    for p in pts:
        m[p] = True
    sp = np.array([3.0, 1.0, 2.0])
    want = max(np.linalg.norm((np.subtract(p, q)) * sp) for p, q in itertools.combinations(pts, 2))
    assert measure.longest_diameter_mm(m, sp) == pytest.approx(want)


# --------------------------------------------------------------------------- guideline diameters


def test_axial_diameters_of_an_ellipse_edge_to_edge():
    from medlab.measure import axial_diameters_mm

    yy, xx = np.mgrid[-30:31, -30:31]
    mask = np.zeros((3, 61, 61), bool)
    mask[1] = (yy / 20.0) ** 2 + (xx / 10.0) ** 2 <= 1  # 41 × 21 pixels across
    mask[0] = (yy / 5.0) ** 2 + (xx / 5.0) ** 2 <= 1  # a smaller slice is ignored
    d = axial_diameters_mm(mask, (5.0, 0.5, 0.5))
    assert d["slice"] == 1
    assert d["long_mm"] == pytest.approx(41 * 0.5, abs=0.5)
    assert d["short_mm"] == pytest.approx(21 * 0.5, abs=0.5)
    assert d["mean_mm"] == pytest.approx((d["long_mm"] + d["short_mm"]) / 2)
    assert d["mean_rounded_mm"] == round(d["mean_mm"] + 1e-9)


def test_axial_short_axis_is_perpendicular_to_a_tilted_long_axis():
    from medlab.measure import axial_diameters_mm

    yy, xx = np.mgrid[-40:41, -40:41]
    u, v = (yy + xx) / np.sqrt(2), (yy - xx) / np.sqrt(2)  # a 45° rotated ellipse
    mask = ((u / 30.0) ** 2 + (v / 10.0) ** 2 <= 1)[np.newaxis]
    d = axial_diameters_mm(mask, (1.0, 1.0, 1.0))
    assert d["long_mm"] == pytest.approx(61, abs=1.5)
    assert d["short_mm"] == pytest.approx(21, abs=1.5)


def test_volume_mm3_is_a_thousand_times_volume_ml():
    from medlab.measure import volume_ml, volume_mm3

    mask = np.ones((2, 3, 4), bool)
    assert volume_mm3(mask, (2.0, 1.0, 0.5)) == pytest.approx(24.0)
    assert volume_mm3(mask, (2.0, 1.0, 0.5)) == pytest.approx(
        1000 * volume_ml(mask, (2.0, 1.0, 0.5))
    )


def test_box_around_holds_every_voxel_within_the_margin_and_gives_the_same_distance():
    from scipy import ndimage

    rng = np.random.default_rng(4)
    sp = (5.0, 0.7, 0.7)
    mask = np.zeros((20, 80, 90), bool)
    mask[9:11, 30:36, 40:47] = True
    target = rng.random(mask.shape) > 0.999
    box = measure.box_around(mask, sp, 12.0)
    near = ndimage.distance_transform_edt(~mask, sampling=sp) <= 12.0
    inside = np.zeros_like(mask)
    inside[box] = True
    assert not (near & ~inside).any()  # nothing within 12 mm is left out
    assert box[0] == slice(7, 13) and box[1] == slice(13, 53)  # 2 slices, 17 pixels each side
    whole = measure.distance_to_mask_mm(mask, target, sp)
    assert whole <= 12.0
    assert measure.distance_to_mask_mm(mask[box], target[box], sp) == pytest.approx(whole)
    with pytest.raises(ValueError, match="margin_mm"):
        measure.box_around(mask, sp, -1.0)
    with pytest.raises(ValueError, match="empty"):
        measure.box_around(np.zeros((3, 3), bool), (1.0, 1.0), 1.0)


def test_axial_short_axis_is_the_width_across_the_long_axis_not_a_chord_inside():
    """An L-shaped outline: the short axis (as documented) is the width perpendicular to
    the long axis, wider than the longest line inside the lesion in that direction."""
    from medlab.measure import axial_diameters_mm

    mask = np.zeros((1, 12, 12), bool)
    mask[0, 1:11, 1:3] = True  # a 10 × 2 bar
    mask[0, 9:11, 1:11] = True  # and its foot: an L
    d = axial_diameters_mm(mask, (5.0, 1.0, 1.0))
    # corner to corner, edge to edge: from (0.5, 0.5) to (10.5, 10.5) mm
    assert d["long_mm"] == pytest.approx(np.hypot(10, 10))
    # the outline's farthest corners on either side of that diagonal: the L's outer corner
    # (10.5, 0.5) at 10/√2 mm, the inner ends (0.5, 2.5) and (8.5, 10.5) at 2/√2 mm
    assert d["short_mm"] == pytest.approx(12 / np.sqrt(2))
    # a line inside the L across the diagonal crosses a 2 mm arm: at most 2√2 mm long
    assert d["short_mm"] > 2.9 * 2 * np.sqrt(2)


# --------------------------------------------------------------------------- needle paths


def test_crossed_mm_gives_each_stretch_to_the_first_layer_that_holds_it():
    rows = np.zeros((5, 41), bool)
    body = rows.copy()
    body[:, 5:] = True  # the skin at x = 5 pixels
    lung = rows.copy()
    lung[:, 15:] = True
    tumour = rows.copy()
    tumour[:, 35:] = True
    sp = (0.5, 0.5)
    got = measure.crossed_mm(
        {"tumour": tumour, "lung": lung, "soft tissue": body},
        (1.0, 0.0),
        (1.0, 20.0),
        sp,
        step_mm=0.5,
    )
    # samples every 0.5 mm = every pixel; pixels 0-4 outside, 5-14 soft, 15-34 lung, 35-40
    # tumour, each the half-step on either side of its centre (half at both ends)
    assert got == pytest.approx(
        {"tumour": 2.75, "lung": 10.0, "soft tissue": 5.0, "outside": 2.25, "length": 20.0}
    )
    assert sum(v for k, v in got.items() if k != "length") == pytest.approx(got["length"])
    # the order decides: listing the body first swallows the lung and the tumour
    first = measure.crossed_mm({"soft tissue": body, "lung": lung}, (1.0, 0.0), (1.0, 20.0), sp)
    assert first["lung"] == 0.0 and first["soft tissue"] == pytest.approx(17.75)
    with pytest.raises(ValueError, match="one shape"):
        measure.crossed_mm({"a": body, "b": body[:, :5]}, (0, 0), (0, 1), sp)
