"""Exercise checkers of lessons 03 and 05: the reference passes (and agrees with an
independent library), typical mistakes fail with specific feedback, never the solution."""

from __future__ import annotations

import numpy as np
import pytest
from exercise_feedback import failed_with

from medlab.course import evaluate, solution
from medlab.preprocess import KERNELS


def _reference(exercise_id: str, name: str):
    namespace = {"np": np, "KERNELS": KERNELS}
    exec(solution(exercise_id).code, namespace)
    return namespace[name]


# --------------------------------------------------------------------------- lesson 03


def test_output_size_reference_agrees_with_keras_layers():
    keras = pytest.importorskip("keras")
    conv_output_size = _reference("03.output_size", "conv_output_size")
    assert evaluate("03.output_size", conv_output_size).passed
    conv = keras.layers.Conv2D(1, 5, strides=2)
    assert conv.compute_output_shape((None, 33, 33, 1))[1] == conv_output_size(33, 5, 2)
    pool = keras.layers.MaxPooling2D(2)
    assert pool.compute_output_shape((None, 35, 35, 1))[1] == conv_output_size(35, 2, 2)


def test_output_size_mistakes():
    failed_with("03.output_size", lambda n, kernel, stride=1, padding=0: n - kernel, "gave")
    failed_with(
        "03.output_size", lambda n, kernel, stride=1, padding=0: (n - kernel) / stride + 1, "gave"
    )
    failed_with("03.output_size", lambda n, kernel, stride=1, padding=0: 1 / 0, "ZeroDivisionError")
    failed_with("03.output_size", 148, "should be a function")
    assert evaluate("03.output_size", None).status == "not attempted"


def test_flip_reference_reproduces_convolution_with_scipy_correlate():
    from scipy import ndimage

    kernel = _reference("03.flip", "conv2d_kernel")
    image = np.random.default_rng(0).random((20, 20))
    # Conv2D computes a cross-correlation: correlating with the flipped kernel == convolving
    np.testing.assert_allclose(
        ndimage.correlate(image, kernel, mode="constant"),
        ndimage.convolve(image, KERNELS["sobel_x"], mode="constant"),
    )
    assert evaluate("03.flip", kernel).passed


def test_flip_mistakes():
    failed_with("03.flip", np.array(KERNELS["sobel_x"]), "without flipping")
    # sobel_x is symmetric top-to-bottom: flipping its rows alone changes nothing
    failed_with("03.flip", np.array(KERNELS["sobel_x"])[::-1], "without flipping")
    failed_with("03.flip", np.array(KERNELS["sobel_x"]).T, "transpose")


def test_maxpool_reference_agrees_with_keras():
    keras = pytest.importorskip("keras")
    max_pool_2x2 = _reference("03.maxpool", "max_pool_2x2")
    x = np.random.default_rng(1).normal(size=(7, 9)).astype(np.float32)
    expected = np.asarray(keras.layers.MaxPooling2D(2)(x[None, :, :, None]))[0, :, :, 0]
    np.testing.assert_allclose(max_pool_2x2(x), expected)
    assert evaluate("03.maxpool", max_pool_2x2).passed


def test_maxpool_mistakes():
    failed_with("03.maxpool", lambda x: x[::2, ::2], "top-left")
    failed_with(
        "03.maxpool",
        lambda x: (
            np.abs(x)[: x.shape[0] // 2 * 2, : x.shape[1] // 2 * 2]
            .reshape(x.shape[0] // 2, 2, x.shape[1] // 2, 2)
            .max(axis=(1, 3))
        ),
        "absolute",
    )
    failed_with("03.maxpool", lambda x: x, "output shape")


def test_dense_params_reference_equals_keras_count_and_mistakes():
    keras = pytest.importorskip("keras")
    namespace = {}
    exec(solution("03.dense_params").code, namespace)
    dense = keras.layers.Dense(512)
    dense.build((None, 17 * 17 * 128))
    assert namespace["dense_params"] == dense.count_params()
    assert evaluate("03.dense_params", namespace["dense_params"]).passed
    failed_with("03.dense_params", 17 * 17 * 128 * 512, "bias")
    failed_with("03.dense_params", 17 * 17 * 128, "inputs")
    failed_with("03.dense_params", 18 * 18 * 128 * 512 + 512, "34 // 2")
    failed_with("03.dense_params", "18940416", "integer")


# --------------------------------------------------------------------------- lesson 05


def test_sens_spec_reference_agrees_with_sklearn_and_mistakes():
    from sklearn.metrics import recall_score

    fn = _reference("05.sens_spec", "sensitivity_specificity")
    y = np.array([1, 1, 1, 0, 0, 0, 0, 1])
    p = np.array([1, 0, 1, 0, 1, 0, 0, 1])
    assert np.allclose(fn(y, p), (recall_score(y, p), recall_score(y, p, pos_label=0)))
    assert evaluate("05.sens_spec", fn).passed
    failed_with("05.sens_spec", lambda y, p: fn(y, p)[::-1], "swapped")
    failed_with("05.sens_spec", lambda y, p: (float(np.mean(p == y)), 0.5), "sensitivity")
    failed_with("05.sens_spec", lambda y, p: 0.9, "two numbers")


def test_threshold_reference_is_optimal_on_roc_and_mistakes():
    from sklearn.metrics import roc_curve

    fn = _reference("05.threshold", "threshold_for_sensitivity")
    rng = np.random.default_rng(2)
    y = rng.integers(0, 2, 200)
    scores = np.round(rng.random(200) * 0.6 + 0.4 * y, 3)
    t = fn(y, scores, 0.9)
    _fpr, tpr, thresholds = roc_curve(y, scores, drop_intermediate=False)
    assert t == pytest.approx(thresholds[tpr >= 0.9].max())  # highest threshold reaching 90 %
    assert evaluate("05.threshold", fn).passed
    failed_with("05.threshold", lambda y, s, target: 0.0, "pick the highest")
    failed_with("05.threshold", lambda y, s, target: 1.0, "below the target")


def test_class_weight_reference_agrees_with_sklearn_and_mistakes():
    from sklearn.utils.class_weight import compute_class_weight

    fn = _reference("05.class_weight", "balanced_class_weight")
    y = np.array([0] * 75 + [1] * 25)
    assert np.allclose(
        [fn(y)[0], fn(y)[1]], compute_class_weight("balanced", classes=np.array([0, 1]), y=y)
    )
    assert evaluate("05.class_weight", fn).passed
    failed_with(
        "05.class_weight",
        lambda y: {0: float(np.mean(y == 0)), 1: float(np.mean(y == 1))},
        "rarer class",
    )
    failed_with(
        "05.class_weight", lambda y: {0: 1.0, 1: float(np.sum(y == 0) / np.sum(y == 1))}, "scale"
    )
    failed_with("05.class_weight", lambda y: [1, 2], "dict")
