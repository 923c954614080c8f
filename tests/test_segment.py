"""medlab.segment on real chest CT (pyradiomics' lung cases, offline from the cache) and on
hand-made volumes: body, airways, lungs, lesion marking, chest regions."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage

from medlab import datasets, measure, metrics, segment


@pytest.fixture(scope="module", params=["lung1", "lung2"])
def case(request):
    if not datasets.available("lung_ct_tumours"):
        pytest.fail("lung_ct_tumours is not cached: run `medlab datasets fetch --all`")
    ds = datasets.load("lung_ct_tumours", case=request.param)
    return ds, segment.lung_masks(ds.ct, ds.spacing)


def test_two_lungs_of_adult_size_without_the_airways(case):
    ds, masks = case
    right, left = (measure.volume_ml(masks[k], ds.spacing) for k in ("right", "left"))
    assert 1000 < right < 3500 and 700 < left < 3000  # adult lungs, the right larger
    assert right > left
    assert not (masks["right"] & masks["left"]).any()
    assert ndimage.label(masks["right"])[1] == 1 and ndimage.label(masks["left"])[1] == 1
    # the right lung lies on the patient's right: the smaller column indices
    columns = [np.nonzero(masks[k].any(axis=(0, 1)))[0].mean() for k in ("right", "left")]
    assert columns[0] < columns[1]
    # the airways are a tube from the top of the trachea, apart from the lungs
    airways = masks["airways"]
    assert 5 < measure.volume_ml(airways, ds.spacing) < 60
    assert not (airways & masks["lungs"]).any()
    top = np.nonzero(airways.any(axis=(1, 2)))[0].max()
    assert top >= ds.ct.shape[0] - 8  # starts near the top slice


def test_the_naive_two_largest_air_components_fail_on_real_ct(case):
    """What the phantom lesson did: on a real scan the trachea joins both lungs."""
    ds, masks = case
    air = (ds.ct < -400) & masks["body"]
    labels, _ = ndimage.label(air)
    sizes = np.bincount(labels.ravel())
    sizes[0] = 0
    first, second = np.argsort(sizes)[::-1][:2]
    # one air space holds both lungs and the trachea; the second largest is something else
    # (a few bronchi cut off, or the stomach's air bubble below the diaphragm in lung2)
    assert sizes[second] < 0.05 * sizes[first]
    for side in ("right", "left"):
        assert (labels[masks[side]] == first).mean() > 0.9


def test_a_click_on_the_tumour_marks_it_close_to_the_expert(case):
    ds, masks = case
    field = segment.chest_regions(masks["lungs"], masks["body"])["hull"]
    seed = np.round(ndimage.center_of_mass(ds.tumour)).astype(int)
    marked = segment.mark_lesion(ds.ct, seed, ds.spacing, field=field, radius_mm=25)
    assert metrics.dice(ds.tumour, marked) > 0.85
    volume_error = measure.volume_ml(marked, ds.spacing) / measure.volume_ml(ds.tumour, ds.spacing)
    assert 0.85 < volume_error < 1.15
    # the same marking from the lung masks (hull computed inside) agrees
    again = segment.mark_lesion(ds.ct, seed, ds.spacing, lungs=masks["lungs"], radius_mm=25)
    assert metrics.dice(marked, again) > 0.99


def test_chest_regions_split_the_body_around_the_lungs(case):
    ds, masks = case
    regions = segment.chest_regions(masks["lungs"], masks["body"])
    wall, mediastinum, lungs = regions["chest_wall"], regions["mediastinum"], masks["lungs"]
    assert not (wall & mediastinum).any() and not (wall & lungs).any()
    assert not (mediastinum & lungs).any()
    assert ((wall | mediastinum | lungs) == masks["body"]).mean() > 0.999
    # the heart sits in the mediastinum: the body's centre at mid-height is there or in lung
    z = ds.ct.shape[0] // 2
    ys, xs = np.nonzero(masks["body"][z])
    assert mediastinum[z, int(ys.mean()), int(xs.mean())]


def test_with_the_ct_the_spine_is_split_off_the_mediastinum(case):
    """ITMIG's line 1 cm behind the vertebral bodies' front: the spine lies behind it, the
    heart in front; together they are the old mediastinum, and the body is still covered."""
    ds, masks = case
    plain = segment.chest_regions(masks["lungs"], masks["body"])
    regions = segment.chest_regions(masks["lungs"], masks["body"], ds.ct, ds.spacing)
    mediastinum, paravertebral = regions["mediastinum"], regions["paravertebral"]
    assert not (mediastinum & paravertebral).any()
    assert ((mediastinum | paravertebral) == plain["mediastinum"]).all()
    assert (regions["chest_wall"] == plain["chest_wall"]).all()
    z = ds.ct.shape[0] // 2
    ys, xs = np.nonzero(masks["body"][z])
    assert mediastinum[z, int(ys.mean()), int(xs.mean())]  # the heart stays in front
    # the spine (dense bone between the lungs, behind the hull's middle, near the midline)
    # lies mostly behind the line, in the paravertebral region: all but the front
    # centimetre of the vertebral bodies, which ITMIG gives to the visceral compartment
    rows = np.arange(ds.ct.shape[1])[None, :, None]
    cols = np.arange(ds.ct.shape[2])[None, None, :]
    middle = np.nonzero(masks["body"].any(axis=(0, 1)))[0].mean()
    near_midline = np.abs(cols - middle) * ds.spacing[2] < 10
    hull_rows = np.nonzero(regions["hull"].any(axis=(0, 2)))[0]
    spine = (ds.ct > 150) & plain["mediastinum"] & near_midline
    spine &= rows > (hull_rows.min() + hull_rows.max()) / 2
    assert 0.6 < paravertebral[spine].mean() < 0.95


def test_the_paravertebral_line_lies_1_cm_behind_the_vertebral_body():
    ct = np.full((5, 100, 100), 40.0)  # soft tissue, 1 mm pixels, 5 mm slices
    lungs = np.zeros(ct.shape, bool)
    lungs[:, 20:90, 10:40] = lungs[:, 20:90, 60:90] = True
    ct[lungs] = -850.0
    yy, xx = np.mgrid[:100, :100]
    ct[:, (yy - 72) ** 2 + (xx - 50) ** 2 <= 10**2] = 400.0  # a vertebral body, front at 62
    body = np.zeros(ct.shape, bool)
    body[:, 5:98, 2:98] = True
    regions = segment.chest_regions(lungs, body, ct, (5.0, 1.0, 1.0))
    inside = regions["hull"] & ~lungs
    assert (regions["paravertebral"] == (inside & (yy >= 72))).all()
    assert (regions["mediastinum"] == (inside & (yy < 72))).all()
    with pytest.raises(ValueError, match="spacing"):
        segment.chest_regions(lungs, body, ct)
    # no vertebra (no dense bone between the lungs): nothing is split off
    soft = np.where(lungs, -850.0, 40.0)
    assert not segment.chest_regions(lungs, body, soft, (5.0, 1.0, 1.0))["paravertebral"].any()


def test_marking_is_local_and_refuses_bad_seeds():
    ct = np.full((20, 40, 40), -850.0)  # aerated lung
    ct[8:12, 10:16, 10:16] = 30.0  # a small solid nodule
    ct[8:12, 24:34, 24:34] = 40.0  # another lesion 12 mm away
    marked = segment.mark_lesion(ct, (10, 12, 12), (1.0, 1.0, 1.0), radius_mm=8)
    assert marked[8:12, 10:16, 10:16].all() and not marked[:, 24:, 24:].any()
    assert not segment.mark_lesion(ct, (2, 2, 2), (1.0, 1.0, 1.0)).any()  # air: nothing
    with pytest.raises(ValueError, match="inside the volume"):
        segment.mark_lesion(ct, (25, 2, 2), (1.0, 1.0, 1.0))
    with pytest.raises(ValueError, match="3D volume"):
        segment.lung_masks(ct[0], (1.0, 1.0))


def test_a_nodule_thinner_than_the_opening_is_marked_not_the_vessel_beside_it():
    """Regression (review of lesson 08, finding 9): a 3 mm nodule that the 2 mm opening
    removes, with a 6 mm vessel 18 mm away inside the default 30 mm radius. The click on
    the nodule used to return the nearest surviving structure: the vessel, and none of the
    nodule."""
    ct = np.full((40, 60, 60), -850.0)  # aerated lung, 1 mm voxels
    zz, yy, xx = np.mgrid[:40, :60, :60]
    nodule = (zz - 20) ** 2 + (yy - 30) ** 2 + (xx - 20) ** 2 <= 1.5**2  # 3 mm across
    vessel = (yy - 30) ** 2 + (xx - 38) ** 2 <= 3.0**2  # 6 mm across, 18 mm away
    ct[nodule | vessel] = 40.0
    marked = segment.mark_lesion(ct, (20, 30, 20), (1.0, 1.0, 1.0))  # default 30 mm, 2 mm
    assert (marked == nodule).all()
    # the same vessel, clicked, is marked (within the radius) and the nodule is not
    on_vessel = segment.mark_lesion(ct, (20, 30, 38), (1.0, 1.0, 1.0))
    assert not (on_vessel & nodule).any() and on_vessel[20][vessel[20]].all()


def test_a_click_on_a_rim_the_opening_shaves_keeps_the_lesion_not_its_strand():
    """A click on a 1 mm strand leaving a 10 mm nodule gives the nodule (the opened part
    within two ball radii), and the strand is cut off."""
    ct = np.full((30, 50, 50), -850.0)
    zz, yy, xx = np.mgrid[:30, :50, :50]
    nodule = (zz - 15) ** 2 + (yy - 25) ** 2 + (xx - 20) ** 2 <= 5.0**2
    strand = (zz == 15) & (yy == 25) & (xx >= 20) & (xx < 40)
    ct[nodule | strand] = 40.0
    marked = segment.mark_lesion(ct, (15, 25, 27), (1.0, 1.0, 1.0), radius_mm=20)
    assert marked[nodule].mean() > 0.95 and not marked[15, 25, 29:].any()


def test_on_thick_slices_the_opening_ball_is_a_disc():
    ball = segment._ball(2.0, np.array([5.0, 0.6, 0.6]))
    assert ball.shape == (1, 7, 7) and ball[0, 3].all()
    assert segment._ball(2.0, np.array([1.0, 1.0, 1.0])).shape == (5, 5, 5)


def test_slice_hulls_equal_scikit_image():
    from skimage.morphology import convex_hull_image

    rng = np.random.default_rng(0)
    mask = np.zeros((3, 60, 70), bool)
    for z in range(3):
        for _ in range(4):
            y, x = rng.integers(5, 55), rng.integers(5, 65)
            mask[z, y - 3 : y + 3, x - 4 : x + 4] = True
    ours = segment._slice_hulls(mask)
    for z in range(3):
        ref = convex_hull_image(mask[z])
        edge = ref ^ ndimage.binary_erosion(ref)
        near_edge = ndimage.binary_dilation(edge)
        differ = ours[z] ^ ref
        assert differ.sum() <= 0.05 * ref.sum()
        assert not (differ & ~near_edge).any()  # they differ only in pixels on the outline


def test_not_a_chest_ct_is_a_clear_error():
    head_like = np.full((10, 64, 64), 40.0)
    head_like[:, :4] = -1000
    with pytest.raises(ValueError, match="lung-sized air regions"):
        segment.lung_masks(head_like, (5.0, 1.0, 1.0))


def test_lung_field_is_the_slice_wise_hull_of_both_lungs():
    lungs = np.zeros((2, 40, 60), bool)
    lungs[:, 10:30, 5:20] = True  # right lung
    lungs[:, 10:30, 40:55] = True  # left lung
    lungs[1, 10:30, 40:55] = False  # one slice with one lung only
    field = segment.lung_field(lungs)
    assert field[0].sum() == 20 * 50 and field[0, 10:30, 5:55].all()  # the gap between is in
    assert (field[1] == lungs[1]).all()
    body = np.ones_like(lungs)
    assert (segment.chest_regions(lungs, body)["hull"] == field).all()
