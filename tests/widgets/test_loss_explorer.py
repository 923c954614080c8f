"""LossExplorer: the numbers shown are the losses and gradients of the dragged predictions."""

import numpy as np
import pytest

from medlab.widgets import LossExplorer


def test_bce_values_and_gradients_match_the_formulas():
    ex = LossExplorer(positive=0.8, negative=0.3)
    pos, neg = ex.values["positive"], ex.values["negative"]
    assert pos["loss"] == pytest.approx(-np.log(0.8), rel=1e-6)
    assert pos["grad"] == pytest.approx(-1 / 0.8, rel=1e-5)
    assert neg["loss"] == pytest.approx(-np.log(0.7), rel=1e-6)
    assert neg["grad"] == pytest.approx(1 / 0.7, rel=1e-5)
    assert ex.values["mean_loss"] == pytest.approx((-np.log(0.8) - np.log(0.7)) / 2, rel=1e-6)
    assert f"{-np.log(0.8):.4f}" in ex.table.value


def test_dragging_a_slider_updates_numbers_and_plot():
    ex = LossExplorer()
    png = ex.plot.value
    ex.positive.value = 0.1
    assert ex.values["positive"]["loss"] == pytest.approx(-np.log(0.1), rel=1e-6)
    assert f"{-np.log(0.1):.4f}" in ex.table.value
    assert ex.plot.value != png


def test_logit_mode_keeps_the_prediction_and_gives_sigmoid_minus_y():
    ex = LossExplorer(positive=0.8, negative=0.3)
    ex.inputs.value = "logit"
    assert ex.positive.value == pytest.approx(np.log(0.8 / 0.2), abs=0.01)
    ex.positive.value, ex.negative.value = 2.0, -1.0
    pos, neg = ex.values["positive"], ex.values["negative"]
    sig = 1 / (1 + np.exp(-2.0))
    assert pos["p"] == pytest.approx(sig)
    assert pos["loss"] == pytest.approx(np.log1p(np.exp(-2.0)), rel=1e-6)
    assert pos["grad"] == pytest.approx(sig - 1, rel=1e-6)
    assert neg["grad"] == pytest.approx(1 / (1 + np.exp(1.0)), rel=1e-6)
    assert "∂L/∂z" in ex.table.value
    ex.inputs.value = "probability"
    assert ex.positive.value == pytest.approx(sig, abs=1e-3)


def test_weighted_bce_scales_only_the_positive_example():
    ex = LossExplorer(loss="weighted BCE", positive=0.6, negative=0.4, positive_weight=3.0)
    assert ex.values["positive"]["loss"] == pytest.approx(-3 * np.log(0.6), rel=1e-6)
    assert ex.values["negative"]["loss"] == pytest.approx(-np.log(0.6), rel=1e-6)
    ex.weight.value = 5.0
    assert ex.values["positive"]["grad"] == pytest.approx(-5 / 0.6, rel=1e-5)


def test_focal_loss_down_weights_easy_examples():
    ex = LossExplorer(loss="focal", positive=0.9, negative=0.2, gamma=2.0)
    assert ex.values["positive"]["loss"] == pytest.approx(-(0.1**2) * np.log(0.9), rel=1e-5)
    assert ex.values["negative"]["loss"] == pytest.approx(-(0.2**2) * np.log(0.8), rel=1e-5)
    ex.gamma.value = 0.0  # γ = 0 is plain BCE
    assert ex.values["positive"]["loss"] == pytest.approx(-np.log(0.9), rel=1e-6)
    ex.use_alpha.value = True
    ex.alpha.value = 0.25
    assert ex.values["positive"]["loss"] == pytest.approx(-0.25 * np.log(0.9), rel=1e-6)
    assert ex.values["negative"]["loss"] == pytest.approx(-0.75 * np.log(0.8), rel=1e-6)


def test_unknown_loss_or_inputs_raise():
    with pytest.raises(ValueError, match="loss must be one of"):
        LossExplorer(loss="mse")
    with pytest.raises(ValueError, match="inputs must be"):
        LossExplorer(inputs="odds")
