"""Calibration metrics against scikit-learn and hand-worked values; temperature scaling
against an unpenalised logistic regression on the logits (the same one-parameter fit)."""

from __future__ import annotations

import numpy as np
import pytest

from medlab import metrics


def _overconfident(n: int, seed: int, sharpen: float = 3.0):
    """Labels drawn from sigmoid(z), predictions sigmoid(sharpen · z): over-confident."""
    rng = np.random.default_rng(seed)
    z = rng.normal(0, 1.5, n)
    y = (rng.random(n) < 1 / (1 + np.exp(-z))).astype(int)
    return y, 1 / (1 + np.exp(-sharpen * z))


def test_calibration_bins_agree_with_sklearn_calibration_curve_and_count_every_prediction():
    from sklearn.calibration import calibration_curve

    y, p = _overconfident(2000, 0)
    bins = metrics.calibration_bins(y, p, n_bins=10)
    frac_pos, mean_pred = calibration_curve(y, p, n_bins=10, strategy="uniform")
    used = bins["count"] > 0
    np.testing.assert_allclose(bins["fraction_positive"][used], frac_pos, rtol=1e-12)
    np.testing.assert_allclose(bins["mean_predicted"][used], mean_pred, rtol=1e-12)
    assert bins["count"].sum() == 2000
    assert np.array_equal(bins["count"], np.histogram(p, bins=np.linspace(0, 1, 11))[0])
    assert bins["lower"][0] == 0 and bins["upper"][-1] == 1


def test_ece_by_hand_and_against_sklearn():
    from sklearn.calibration import calibration_curve

    # one bin [0.8, 0.9): predicted 0.8, observed 0.5
    assert metrics.expected_calibration_error([1, 1, 0, 0], [0.8] * 4) == pytest.approx(0.3)
    assert metrics.expected_calibration_error([1, 0, 1, 0], [0.5] * 4) == 0.0
    # a probability of exactly 1 falls in the last bin
    assert metrics.expected_calibration_error([1, 0], [1.0, 0.0], n_bins=5) == 0.0
    y, p = _overconfident(3000, 1)
    frac_pos, mean_pred = calibration_curve(y, p, n_bins=15, strategy="uniform")
    counts = np.histogram(p, bins=np.linspace(0, 1, 16))[0]
    expected = np.sum(counts[counts > 0] / len(p) * np.abs(frac_pos - mean_pred))
    assert metrics.expected_calibration_error(y, p, n_bins=15) == pytest.approx(expected)


def test_fit_temperature_equals_logistic_regression_on_the_logits():
    from sklearn.linear_model import LogisticRegression

    y, p = _overconfident(4000, 2, sharpen=3.0)
    logits = np.log(p) - np.log1p(-p)
    lr = LogisticRegression(C=np.inf, fit_intercept=False, tol=1e-12, max_iter=1000)
    slope = lr.fit(logits[:, None], y).coef_[0, 0]  # sigmoid(slope · logit) = sigmoid(logit/T)
    t = metrics.fit_temperature(y, logits, from_logits=True)
    assert t == pytest.approx(1 / slope, rel=1e-6)
    assert t == pytest.approx(3.0, rel=0.1)  # it undoes the sharpening
    # from probabilities: the same up to the clipping of the few beyond 1 - 1e-7
    assert np.sum((p < 1e-7) | (p > 1 - 1e-7)) > 0
    assert metrics.fit_temperature(y, p) == pytest.approx(t, rel=1e-4)


def test_temperature_fitted_on_validation_lowers_ece_on_test_and_keeps_the_auc():
    y_val, p_val = _overconfident(2000, 3)
    y_test, p_test = _overconfident(2000, 4)
    t = metrics.fit_temperature(y_val, p_val)
    scaled = metrics.temperature_scale(p_test, t)
    before = metrics.expected_calibration_error(y_test, p_test)
    after = metrics.expected_calibration_error(y_test, scaled)
    assert before > 0.1 and after < before / 3
    assert metrics.roc_auc(y_test, scaled) == pytest.approx(metrics.roc_auc(y_test, p_test))
    # under-confident predictions get T < 1
    y_u, p_u = _overconfident(3000, 5, sharpen=0.4)
    assert metrics.fit_temperature(y_u, p_u) < 0.6


def test_platt_scaling_equals_logistic_regression_with_intercept_and_fixes_a_bias():
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(6)
    z = rng.normal(0, 1.5, 3000)
    y = (rng.random(3000) < 1 / (1 + np.exp(-z))).astype(int)
    scores = 0.5 * z + 1.0  # under-confident and every prediction too high
    temperature, bias = metrics.fit_platt_scaling(y, scores, from_logits=True)
    lr = LogisticRegression(C=np.inf, tol=1e-12, max_iter=1000).fit(scores[:, None], y)
    assert 1 / temperature == pytest.approx(lr.coef_[0, 0], rel=1e-6)
    assert bias == pytest.approx(lr.intercept_[0], abs=1e-6)
    assert temperature == pytest.approx(0.5, rel=0.1) and bias == pytest.approx(-2.0, abs=0.25)
    p = 1 / (1 + np.exp(-scores))
    platt = metrics.temperature_scale(p, temperature, bias=bias)
    alone = metrics.temperature_scale(p, metrics.fit_temperature(y, p))
    ece = metrics.expected_calibration_error
    assert ece(y, platt) < 0.03 < ece(y, alone) < ece(y, p)  # a bias needs the second number
    assert metrics.roc_auc(y, platt) == pytest.approx(metrics.roc_auc(y, p))
    with pytest.raises(ValueError, match="separate"):
        metrics.fit_platt_scaling([0, 0, 1, 1], [0.1, 0.2, 0.8, 0.9])
    with pytest.raises(ValueError, match="backwards"):
        metrics.fit_platt_scaling(y, -scores, from_logits=True)
    with pytest.raises(ValueError, match="both classes"):
        metrics.fit_platt_scaling([1, 1, 1], [0.2, 0.5, 0.9])


def test_platt_fit_of_a_hedging_shifted_model_changes_nothing_at_one_probability_only():
    # lesson 10's reading: a slope 1/T above 1 (hedging) and a negative bias (shifted up)
    # leave observed = predicted at sigmoid(b / (1 - 1/T)) alone; below it the truth is lower
    # than predicted, above it higher, so a temperature around 0.5 cannot fix both sides
    rng = np.random.default_rng(7)
    z = rng.normal(0, 1.5, 4000)
    y = (rng.random(4000) < 1 / (1 + np.exp(-z))).astype(int)
    p = 1 / (1 + np.exp(-(0.4 * z + 0.3)))  # hedging (0.4 z) and shifted up (+0.3)
    temperature, bias = metrics.fit_platt_scaling(y, p)
    assert 1 / temperature > 1 and bias < 0
    even = 1 / (1 + np.exp(-bias / (1 - 1 / temperature)))
    assert metrics.temperature_scale([even], temperature, bias=bias)[0] == pytest.approx(even)
    below, above = np.array([even - 0.1]), np.array([min(even + 0.1, 0.99)])
    assert metrics.temperature_scale(below, temperature, bias=bias)[0] < below[0]
    assert metrics.temperature_scale(above, temperature, bias=bias)[0] > above[0]
    bins = metrics.calibration_bins(y, p)
    used = bins["count"] > 50
    low = used & (bins["upper"] <= even - 0.05)
    high = used & (bins["lower"] >= even + 0.05)
    assert low.any() and high.any()
    assert np.all(bins["fraction_positive"][low] < bins["mean_predicted"][low])
    assert np.all(bins["fraction_positive"][high] > bins["mean_predicted"][high])
    ece = metrics.expected_calibration_error
    alone = metrics.temperature_scale(p, metrics.fit_temperature(y, p))
    assert ece(y, metrics.temperature_scale(p, temperature, bias=bias)) < ece(y, alone)


def test_temperature_scale_by_hand_and_float32_extremes():
    assert metrics.temperature_scale([0.5], 3.0)[0] == 0.5
    z = 2.0
    p = 1 / (1 + np.exp(-z))
    assert metrics.temperature_scale([p], 2.0)[0] == pytest.approx(1 / (1 + np.exp(-1.0)))
    assert metrics.temperature_scale([z], 2.0, from_logits=True)[0] == pytest.approx(
        1 / (1 + np.exp(-1.0))
    )
    assert metrics.temperature_scale([z], 2.0, bias=-1.0, from_logits=True)[0] == 0.5
    extremes = metrics.temperature_scale(np.array([0.0, 1.0], np.float32), 2.0)
    assert np.all(np.isfinite(extremes)) and 0 < extremes[0] < 0.01 and extremes[1] > 0.99
    assert np.isfinite(metrics.fit_temperature([0, 1, 1], np.array([0.0, 1.0, 1.0], np.float32)))


def test_bad_inputs_name_what_is_wrong():
    with pytest.raises(ValueError, match="probabilities"):
        metrics.expected_calibration_error([0, 1], [0.2, 1.7])
    with pytest.raises(ValueError, match="differ in length"):
        metrics.calibration_bins([0, 1, 1], [0.2, 0.3])
    with pytest.raises(ValueError, match="n_bins"):
        metrics.calibration_bins([0, 1], [0.2, 0.3], n_bins=0)
    with pytest.raises(ValueError, match="binary"):
        metrics.fit_temperature([0, 2], [0.2, 0.3])
    with pytest.raises(ValueError, match="temperature"):
        metrics.temperature_scale([0.2], 0.0)
    with pytest.raises(ValueError, match="empty"):
        metrics.expected_calibration_error([], [])
