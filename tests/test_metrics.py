"""medlab.metrics agree with scikit-learn and hand-worked examples, with defined edge cases."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn import metrics as skm

from medlab import metrics

RNG = np.random.default_rng(7)
Y = RNG.integers(0, 2, 300)
SCORES = np.round(RNG.random(300) * 0.7 + Y * 0.3, 2)  # rounded: many ties
PRED = (SCORES >= 0.5).astype(int)


def test_confusion_matrix_matches_sklearn_order():
    np.testing.assert_array_equal(metrics.confusion_matrix(Y, PRED), skm.confusion_matrix(Y, PRED))


def test_rates_match_sklearn():
    assert metrics.sensitivity(Y, PRED) == pytest.approx(skm.recall_score(Y, PRED))
    assert metrics.specificity(Y, PRED) == pytest.approx(skm.recall_score(Y, PRED, pos_label=0))
    assert metrics.ppv(Y, PRED) == pytest.approx(skm.precision_score(Y, PRED))
    assert metrics.npv(Y, PRED) == pytest.approx(skm.precision_score(Y, PRED, pos_label=0))
    assert metrics.accuracy(Y, PRED) == pytest.approx(skm.accuracy_score(Y, PRED))


def test_hand_worked_rates():
    y = [1, 1, 1, 1, 0, 0, 0, 0, 0, 0]
    p = [1, 1, 1, 0, 1, 0, 0, 0, 0, 0]
    assert metrics.confusion_matrix(y, p).tolist() == [[5, 1], [1, 3]]
    assert metrics.sensitivity(y, p) == 0.75
    assert metrics.specificity(y, p) == pytest.approx(5 / 6)


@pytest.mark.parametrize("drop", [True, False])
def test_roc_curve_matches_sklearn_with_ties(drop):
    ours = metrics.roc_curve(Y, SCORES, drop_intermediate=drop)
    theirs = skm.roc_curve(Y, SCORES, drop_intermediate=drop)
    for a, b in zip(ours, theirs, strict=True):
        np.testing.assert_allclose(a, b)


def test_roc_auc_matches_sklearn_and_rank_definition():
    assert metrics.roc_auc(Y, SCORES) == pytest.approx(skm.roc_auc_score(Y, SCORES), abs=1e-12)
    pos, neg = SCORES[Y == 1], SCORES[Y == 0]
    pairs = (pos[:, None] > neg[None, :]).mean() + 0.5 * (pos[:, None] == neg[None, :]).mean()
    assert metrics.roc_auc(Y, SCORES) == pytest.approx(pairs)


def test_perfect_and_inverted_scores():
    y = [0, 0, 1, 1]
    assert metrics.roc_auc(y, [0.1, 0.2, 0.8, 0.9]) == 1.0
    assert metrics.roc_auc(y, [0.9, 0.8, 0.2, 0.1]) == 0.0


def test_classification_report_is_consistent():
    rep = metrics.classification_report(Y, SCORES, threshold=0.5)
    assert rep["tp"] + rep["fn"] == int(Y.sum())
    assert rep["sensitivity"] == pytest.approx(skm.recall_score(Y, PRED))
    assert rep["auc"] == pytest.approx(skm.roc_auc_score(Y, SCORES))


def test_undefined_rates_are_nan_with_a_warning():
    with pytest.warns(RuntimeWarning, match="sensitivity is undefined"):
        assert np.isnan(metrics.sensitivity([0, 0], [0, 1]))


def test_bad_classification_input():
    with pytest.raises(ValueError, match="binary labels"):
        metrics.confusion_matrix([0, 1], [0.2, 0.7])
    with pytest.raises(ValueError, match="length"):
        metrics.confusion_matrix([0, 1], [0])
    with pytest.raises(ValueError, match="both classes"):
        metrics.roc_auc([1, 1], [0.2, 0.3])
    with pytest.raises(ValueError, match="NaN"):
        metrics.roc_curve([0, 1], [np.nan, 0.3])


def test_dice_and_iou_match_sklearn_on_masks():
    a = RNG.random((20, 30)) > 0.6
    b = RNG.random((20, 30)) > 0.5
    assert metrics.dice(a, b) == pytest.approx(skm.f1_score(a.ravel(), b.ravel()))
    assert metrics.iou(a, b) == pytest.approx(skm.jaccard_score(a.ravel(), b.ravel()))
    d = metrics.dice(a, b)
    assert metrics.iou(a, b) == pytest.approx(d / (2 - d))


def test_dice_hand_worked_and_3d():
    a = np.zeros((4, 4, 4), bool)
    b = np.zeros((4, 4, 4), bool)
    a[:2] = True  # 32 voxels
    b[1:3] = True  # 32 voxels, 16 shared
    assert metrics.dice(a, b) == 0.5
    assert metrics.iou(a, b) == pytest.approx(16 / 48)


def test_empty_masks_have_a_defined_answer():
    empty = np.zeros((5, 5), bool)
    full = np.ones((5, 5), bool)
    assert metrics.dice(empty, empty) == 1.0 and metrics.iou(empty, empty) == 1.0
    assert metrics.dice(empty, empty, empty=0.0) == 0.0
    assert metrics.dice(empty, full) == 0.0 and metrics.iou(full, empty) == 0.0


def test_masks_must_be_binary_and_same_shape():
    with pytest.raises(ValueError, match="threshold"):
        metrics.dice(np.ones((2, 2)), np.full((2, 2), 0.7))
    with pytest.raises(ValueError, match="shape"):
        metrics.iou(np.ones((2, 2)), np.ones((2, 3)))


def test_hausdorff_distance_mm():
    a = np.zeros((20, 20), bool)
    b = np.zeros((20, 20), bool)
    a[5:10, 5:10] = True
    b[5:10, 8:13] = True  # shifted 3 columns
    assert metrics.hausdorff_distance_mm(a, b) == pytest.approx(3.0)
    assert metrics.hausdorff_distance_mm(a, b, spacing=(1.0, 0.5)) == pytest.approx(1.5)
    assert metrics.hausdorff_distance_mm(a, a) == 0.0
    assert metrics.hausdorff_distance_mm(a, np.zeros_like(a)) == float("inf")
