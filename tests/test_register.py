"""medlab.register: a known patient motion on a real CT, recovered by registration."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage

from medlab import datasets, metrics, register
from medlab.segment import _shrink


@pytest.fixture(scope="module")
def planning():
    if not datasets.available("lung_ct_tumours"):
        pytest.fail("lung_ct_tumours is not cached: run `medlab datasets fetch --all`")
    ds = datasets.load("lung_ct_tumours", case="lung1")
    ct = _shrink(ds.ct, 4)
    tumour = _shrink(ds.tumour.astype(np.float32), 4) > 0.5
    spacing = (ds.spacing[0], ds.spacing[1] * 4, ds.spacing[2] * 4)
    return ct, tumour, spacing


def test_the_motion_maps_points_as_documented():
    motion = register.PatientMotion(
        (10, 20, 20),
        (2.0, 1.0, 1.0),
        rotation_deg=(0, 0, 0),
        translation_mm=(1.0, 2.0, 3.0),
        breathing_mm=0.0,
    )
    np.testing.assert_allclose(motion.table_to_planning([4.0, 5.0, 6.0]), [5.0, 7.0, 9.0])
    # breathing is largest at the bottom slice and zero at the top
    breathing = register.PatientMotion(
        (10, 20, 20),
        (2.0, 1.0, 1.0),
        rotation_deg=(0, 0, 0),
        translation_mm=(0, 0, 0),
        breathing_mm=8.0,
    )
    bottom, top = breathing.table_to_planning(np.array([[0.0, 19.0, 10.0], [20.0, 19.0, 10.0]]))
    assert bottom[0] == pytest.approx(8.0) and top[0] == pytest.approx(20.0)
    # a 90° turn about z swaps y and x around the centre
    turn = register.PatientMotion(
        (1, 11, 11),
        (1.0, 1.0, 1.0),
        rotation_deg=(90, 0, 0),
        translation_mm=(0, 0, 0),
        breathing_mm=0.0,
    )
    np.testing.assert_allclose(turn.table_to_planning([0.0, 5.0, 8.0]), [0.0, 2.0, 5.0], atol=1e-9)


def test_applying_the_motion_samples_the_planning_ct_where_the_map_says(planning):
    ct, _, spacing = planning
    motion = register.PatientMotion(ct.shape, spacing)
    table = motion.apply(ct)
    q = np.array([30.0, 10.0 * spacing[1], 60.0 * spacing[2]])  # a table point (mm)
    p = motion.table_to_planning(q) / spacing
    expected = ndimage.map_coordinates(ct, p.reshape(3, 1), order=1)[0]
    index = tuple(np.round(q / spacing).astype(int))
    assert table[index] == pytest.approx(expected, abs=1e-3)


@pytest.mark.slow
def test_registration_recovers_the_motion_and_carries_the_tumour(planning):
    ct, tumour, spacing = planning
    motion = register.PatientMotion(ct.shape, spacing)
    table = motion.apply(ct)
    truth = motion.apply(tumour, order=0, fill=0)
    rng = np.random.default_rng(0)
    lung = np.argwhere(table < -400)
    points = np.vstack(
        [
            np.array(ndimage.center_of_mass(truth)) * spacing,
            lung[rng.choice(len(lung), 40)] * spacing,
        ]
    )
    before = register.target_registration_error_mm(lambda q: q, motion.table_to_planning, points)
    rigid = register.register(table, ct, spacing, deformable=False)
    full = register.register(table, ct, spacing)
    after_rigid = register.target_registration_error_mm(
        rigid.table_to_planning, motion.table_to_planning, points
    )
    after = register.target_registration_error_mm(
        full.table_to_planning, motion.table_to_planning, points
    )
    assert before.mean() > 10  # the plan would miss a 14 mm nodule
    assert after_rigid.mean() < 4.0 and after.mean() < 1.5 and after[0] < 1.0
    assert metrics.dice(truth, tumour) < 0.2
    assert metrics.dice(truth, full.apply(tumour, mask=True)) > 0.9
    assert set(full.seconds) == {"rigid", "deformable"}


def test_registration_refuses_mismatched_volumes():
    with pytest.raises(ValueError, match="same shape|one shape"):
        register.register(np.zeros((4, 8, 8)), np.zeros((4, 8, 9)), (1, 1, 1))
