"""SegmentationOverlay: the Dice/IoU shown are those of the thresholded prediction."""

import numpy as np
import pytest

from medlab import metrics
from medlab.render import decode_png, outline
from medlab.widgets import SegmentationOverlay


def hand_dice(a, b):
    a, b = a.astype(bool), b.astype(bool)
    return 2 * np.sum(a & b) / (a.sum() + b.sum())


@pytest.fixture
def case():
    rng = np.random.default_rng(3)
    image = rng.normal(size=(5, 24, 24)).astype(np.float32)
    truth = np.zeros((5, 24, 24), bool)
    truth[1:4, 6:16, 6:16] = True
    prob = np.clip(truth * 0.7 + rng.uniform(0, 0.5, truth.shape), 0, 1).astype(np.float32)
    return image, truth, prob


def test_threshold_slider_updates_total_and_slice_dice(case):
    image, truth, prob = case
    seg = SegmentationOverlay(image, truth, prob)
    assert seg.probabilistic and seg.threshold_slider.layout.display is None
    for t in (0.3, 0.6, 0.9):
        seg.threshold_slider.value = t
        pred = prob >= t
        assert seg.scores["dice_total"] == pytest.approx(hand_dice(truth, pred))
        assert seg.scores["dice_total"] == pytest.approx(metrics.dice(truth, pred))
        assert seg.scores["iou_total"] == pytest.approx(np.sum(truth & pred) / np.sum(truth | pred))
        k = seg.slice_index
        assert seg.scores["dice_slice"] == pytest.approx(hand_dice(truth[k], pred[k]))
        assert f"all slices: Dice {hand_dice(truth, pred):.3f}" in seg.readout.value


def test_slice_slider_changes_per_slice_scores_and_image(case):
    image, truth, prob = case
    seg = SegmentationOverlay(image, truth, prob, threshold=0.6)
    before = seg.image_widget.value
    seg.slice_slider.value = 0  # no truth on slice 0: Dice is 0 unless nothing is predicted
    pred0 = prob[0] >= 0.6
    assert seg.scores["dice_slice"] == pytest.approx(metrics.dice(truth[0], pred0))
    assert f"slice 0: Dice {metrics.dice(truth[0], pred0):.3f}" in seg.readout.value
    assert seg.image_widget.value != before


def test_contour_mode_paints_only_the_outlines():
    image = np.zeros((20, 20), np.float32)
    truth = np.zeros((20, 20), bool)
    truth[4:12, 4:12] = True
    pred = np.zeros((20, 20), bool)
    pred[8:16, 8:16] = True
    seg = SegmentationOverlay(image, truth, pred, mode="contour")
    rgb = decode_png(seg.image_widget.value)
    painted = rgb.sum(axis=2) > 0
    assert np.array_equal(painted, outline(truth) | outline(pred))
    assert rgb[8, 15].tolist() == [213, 94, 0]  # prediction outline drawn last, vermillion
    seg.mode_buttons.value = "fill"
    seg.opacity_slider.value = 1.0
    rgb = decode_png(seg.image_widget.value)
    painted = rgb.sum(axis=2) > 0
    assert np.array_equal(painted, truth | pred)
    assert rgb[10, 10].tolist() == [240, 228, 66]  # both: yellow
    assert rgb[5, 5].tolist() == [86, 180, 233]  # truth only (missed): sky blue
    assert rgb[14, 14].tolist() == [213, 94, 0]  # prediction only: vermillion
    assert seg.scores["dice_slice"] == pytest.approx(2 * 16 / 128)
    seg.show_pred.value = False
    painted = decode_png(seg.image_widget.value).sum(axis=2) > 0
    assert np.array_equal(painted, truth)


@pytest.mark.parametrize(
    ("truth_shape", "pred", "message"),
    [
        ((4, 4), np.zeros((4, 5)), "y_pred has shape"),
        ((4, 3), np.zeros((4, 4)), "y_true has shape"),
        ((4, 4), np.full((4, 4), 1.5), r"\[0, 1\]"),
    ],
)
def test_bad_inputs_raise(truth_shape, pred, message):
    with pytest.raises(ValueError, match=message):
        SegmentationOverlay(np.zeros((4, 4)), np.zeros(truth_shape, bool), pred)
