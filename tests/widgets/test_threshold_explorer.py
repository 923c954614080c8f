"""ThresholdExplorer: confusion matrix, rates and operating point agree with scikit-learn."""

import numpy as np
import pytest
from sklearn import metrics as skm

from medlab.widgets import ThresholdExplorer


@pytest.fixture
def data():
    rng = np.random.default_rng(7)
    y = rng.integers(0, 2, 200)
    s = np.clip(0.35 * y + rng.normal(0.35, 0.18, 200), 0, 1)
    return y, s


def test_confusion_and_rates_follow_the_threshold(data):
    y, s = data
    ex = ThresholdExplorer(y, s)
    for t in (0.2, 0.5, 0.75):
        ex.threshold_slider.value = t
        pred = (s >= t).astype(int)
        assert np.array_equal(ex.confusion, skm.confusion_matrix(y, pred))
        assert ex.stats["sensitivity"] == pytest.approx(skm.recall_score(y, pred))
        assert ex.stats["specificity"] == pytest.approx(skm.recall_score(1 - y, 1 - pred))
        assert ex.stats["ppv"] == pytest.approx(skm.precision_score(y, pred))
        assert ex.stats["npv"] == pytest.approx(skm.precision_score(1 - y, 1 - pred))
        tn, fp, fn, tp = skm.confusion_matrix(y, pred).ravel()
        for label, count in (("TN", tn), ("FP", fp), ("FN", fn), ("TP", tp)):
            assert f"{label} {count}<" in ex.table.value
    assert ex.auc == pytest.approx(skm.roc_auc_score(y, s))


def test_operating_point_lies_on_the_roc_curve(data):
    y, s = data
    ex = ThresholdExplorer(y, s)
    fpr, tpr, thr = skm.roc_curve(y, s, drop_intermediate=False)
    png = ex.plot.value
    k = len(thr) // 3
    ex.threshold_slider.value = float(thr[k])
    assert ex.threshold == pytest.approx(thr[k])
    assert (ex.stats["fpr"], ex.stats["tpr"]) == pytest.approx((fpr[k], tpr[k]))
    assert ex.plot.value != png


def test_undefined_rates_show_as_not_available(data):
    y, s = data
    ex = ThresholdExplorer(y, s)
    ex.threshold_slider.value = ex.threshold_slider.min  # everything called positive
    assert np.isnan(ex.stats["npv"]) and "NPV n/a" in ex.table.value
    assert ex.stats["sensitivity"] == 1.0


def test_title_is_drawn_and_leads_the_caption(data):
    y, s = data
    ex = ThresholdExplorer(y, s, title="SYNTHETIC validation set")
    assert ex._plot.fig._suptitle.get_text() == "SYNTHETIC validation set"
    assert ex.alt_text().startswith("SYNTHETIC validation set. Left: ROC curve, AUC")
    _, metadata = ex.static_bundle()
    assert metadata["image/png"]["alt"] == ex.alt_text() == ex.plot.alt
    plain = ThresholdExplorer(y, s)
    assert plain._plot.fig._suptitle is None and plain.alt_text().startswith("Left: ROC curve")
    assert plain.stats == ex.stats  # the title changes the picture, not the numbers


def test_a_single_class_is_rejected():
    with pytest.raises(ValueError, match="both classes"):
        ThresholdExplorer(np.ones(5), np.linspace(0, 1, 5))
