"""Exercise checkers of lessons 06 and 07: the reference passes (and agrees with an
independent implementation), typical mistakes fail with specific feedback, never the solution."""

from __future__ import annotations

import numpy as np
import pytest
from exercise_feedback import failed_with

from medlab.course import evaluate, solution


def _reference(exercise_id: str, name: str):
    namespace = {"np": np}
    exec(solution(exercise_id).code, namespace)
    return namespace[name]


# --------------------------------------------------------------------------- lesson 06


def test_gradcam_reference_equals_gradient_tape_on_a_keras_model():
    keras = pytest.importorskip("keras")
    tf = pytest.importorskip("tensorflow")
    from medlab import explain

    keras.utils.set_random_seed(3)
    inputs = keras.Input((12, 10, 1))
    maps_t = keras.layers.Conv2D(6, 3, padding="same", activation="relu", name="feat")(inputs)
    pooled = keras.layers.GlobalAveragePooling2D()(maps_t)
    logit_t = keras.layers.Dense(1)(pooled)  # the class score, before the sigmoid
    model = keras.Model(inputs, keras.layers.Activation("sigmoid")(logit_t))
    image = np.random.default_rng(0).random((12, 10, 1)).astype(np.float32)
    grad_model = keras.Model(inputs, [maps_t, logit_t])
    with tf.GradientTape() as tape:
        maps, logit = grad_model(image[None])
    grads = tape.gradient(logit, maps)
    grad_cam_from = _reference("06.gradcam", "grad_cam_from")
    cam = grad_cam_from(maps.numpy()[0], grads.numpy()[0])
    expected = explain.grad_cam(model, image, "feat")  # same resolution: no resizing
    assert cam.max() > 0
    np.testing.assert_allclose(cam / cam.max(), expected, atol=1e-5)
    assert evaluate("06.gradcam", grad_cam_from).passed


def test_gradcam_mistakes():
    def no_relu(maps, grads):
        return (maps * grads.mean(axis=(0, 1))).sum(axis=-1)

    def summed(maps, grads):
        return np.maximum((maps * grads.sum(axis=(0, 1))).sum(axis=-1), 0)

    def pixelwise(maps, grads):
        return np.maximum((maps * grads).sum(axis=-1), 0)

    failed_with("06.gradcam", no_relu, "ReLU")
    failed_with("06.gradcam", summed, "average the gradients")
    failed_with("06.gradcam", pixelwise, "one weight")
    failed_with("06.gradcam", lambda maps, grads: maps.mean(axis=-1).T, "shape")
    failed_with("06.gradcam", lambda maps, grads: maps @ grads, "raised")
    failed_with("06.gradcam", np.zeros((3, 3)), "should be a function")
    assert evaluate("06.gradcam", None).status == "not attempted"


def test_gradcam_accepts_a_map_scaled_to_one():
    fn = _reference("06.gradcam", "grad_cam_from")

    def scaled(maps, grads):
        cam = fn(maps, grads)
        return cam / cam.max()

    assert evaluate("06.gradcam", scaled).passed


def test_heat_fraction_reference_and_mistakes():
    fn = _reference("06.heat_fraction", "heat_fraction")
    cam = np.array([[0.0, 1.0], [2.0, 1.0]])
    mask = np.array([[True, True], [False, False]])
    assert fn(cam, mask) == pytest.approx(1.0 / 4.0)  # hand-worked: heat 1 of 4 inside
    assert fn(np.zeros((3, 3)), np.ones((3, 3), bool)) == 0.0
    assert evaluate("06.heat_fraction", fn).passed
    failed_with("06.heat_fraction", lambda c, m: float(m.mean()), "area")
    failed_with("06.heat_fraction", lambda c, m: float(c[m].mean()), "mean heat")
    failed_with("06.heat_fraction", lambda c, m: float(c[m].sum()), "divide it by the total")
    failed_with("06.heat_fraction", lambda c, m: float(c[m].sum() / c.sum()), "all zeros")
    failed_with("06.heat_fraction", lambda c, m: [0.1, 0.2], "one number")


def test_occlusion_reference_matches_a_direct_loop_and_mistakes():
    fn = _reference("06.occlusion", "occlusion_map")
    rng = np.random.default_rng(1)
    weights = rng.normal(size=(16, 24))
    image = rng.random((16, 24, 1))

    def predict(batch):
        return (np.asarray(batch)[..., 0] * weights).sum(axis=(1, 2))

    drop = fn(predict, image, 8, 0.0)
    # a linear score drops by exactly the weighted pixels that were covered
    for r in range(2):
        for c in range(3):
            block = np.s_[r * 8 : (r + 1) * 8, c * 8 : (c + 1) * 8]
            assert drop[r, c] == pytest.approx((weights[block] * image[block][..., 0]).sum())
    assert evaluate("06.occlusion", fn).passed

    failed_with("06.occlusion", lambda p, im, patch=8, fill=0.0: -fn(p, im, patch, fill), "sign")
    failed_with(
        "06.occlusion",
        lambda p, im, patch=8, fill=0.0: p(im[None])[0] - fn(p, im, patch, fill),
        "scores of the covered images",
    )
    failed_with(
        "06.occlusion", lambda p, im, patch=8, fill=0.0: fn(p, im, patch, fill).T, "swapped"
    )
    failed_with("06.occlusion", lambda p, im, patch=8, fill=0.0: fn(p, im, patch, 1.0), "differ")


# --------------------------------------------------------------------------- lesson 07


def test_dice_reference_agrees_with_sklearn_f1_and_medlab_and_mistakes():
    from sklearn.metrics import f1_score

    from medlab import metrics

    fn = _reference("07.dice", "dice_score")
    rng = np.random.default_rng(3)
    truth, pred = rng.random((2, 30, 20)) < 0.3
    assert fn(truth, pred) == pytest.approx(f1_score(truth.ravel(), pred.ravel()))
    assert fn(truth, pred) == pytest.approx(metrics.dice(truth, pred))
    assert fn(np.zeros(5, bool), np.zeros(5, bool)) == 1.0
    assert evaluate("07.dice", fn).passed

    failed_with("07.dice", lambda a, b: float(np.sum(a & b) / np.sum(a | b)), "IoU")
    failed_with("07.dice", lambda a, b: float(np.sum(a & b) / (a.sum() + b.sum())), "by 2")
    failed_with("07.dice", lambda a, b: float(np.mean(a == b)), "pixel accuracy")
    failed_with(
        "07.dice", lambda a, b: float(2 * np.sum(a & b) / (a.sum() + b.sum())), "return 1.0"
    )
    failed_with(
        "07.dice", lambda a, b: 2 * np.sum(a & b) / (a.sum() + b.sum() + 1e-9), "return 1.0"
    )
    failed_with("07.dice", lambda a, b: [0.9], "one number")
    assert evaluate("07.dice", ...).status == "not attempted"


def test_soft_dice_reference_agrees_with_medlab_and_keras_losses_and_mistakes():
    from medlab import losses

    fn = _reference("07.soft_dice", "soft_dice_loss")
    rng = np.random.default_rng(4)
    y = (rng.random((3, 10, 12)) < 0.3).astype(float)
    p = rng.random((3, 10, 12))
    assert fn(y, p) == pytest.approx(losses.dice_loss(y, p))
    assert fn(y, p, 0.5) == pytest.approx(losses.dice_loss(y, p, smooth=0.5))
    # by hand for one 2-pixel image: overlap 0.8, sizes 1 and 1.0 -> 1 - (1.6 + 1) / (2.0 + 1)
    assert fn(np.array([[1.0, 0.0]]), np.array([[0.8, 0.2]])) == pytest.approx(1 - 2.6 / 3.0)
    assert evaluate("07.soft_dice", fn).passed

    def whole_batch(y_true, y_pred, smooth=1.0):
        return fn(np.reshape(y_true, (1, -1)), np.reshape(y_pred, (1, -1)), smooth)

    failed_with("07.soft_dice", whole_batch, "per image")
    failed_with("07.soft_dice", lambda y, p, smooth=1.0: 1 - fn(y, p, smooth), "1 − Dice")
    failed_with("07.soft_dice", lambda y, p, smooth=1.0: fn(y, p, 0.0), "smooth")
    failed_with(
        "07.soft_dice", lambda y, p, smooth=1.0: fn(y, (p >= 0.5) * 1.0, smooth), "thresholded"
    )

    def vnet(y_true, y_pred, smooth=1.0):  # Milletari et al.: Σŷ² + Σy² in the denominator
        y = np.reshape(y_true, (len(y_true), -1))
        p = np.reshape(y_pred, (len(y_pred), -1))
        dice = (2 * (y * p).sum(1) + smooth) / ((y**2).sum(1) + (p**2).sum(1) + smooth)
        return float(np.mean(1 - dice))

    failed_with("07.soft_dice", vnet, "V-Net")
    # on hard 0/1 predictions the two denominators agree (ŷ² = ŷ), on soft ones they do not
    assert vnet(y, (p >= 0.5) * 1.0) == pytest.approx(fn(y, (p >= 0.5) * 1.0))
    assert vnet(y, p) < fn(y, p)


def test_skip_shape_reference_matches_keras_unet_and_mistakes():
    pytest.importorskip("keras")
    from medlab.models import unet

    fn = _reference("07.skip_shape", "skip_shape")
    model = unet((64, 48, 1), depth=3, base_filters=4, compile=False)
    for level in (1, 2, 3):
        assert tuple(model.get_layer(f"skip{level}").output.shape[1:]) == fn(64, 48, level, 4)
    assert evaluate("07.skip_shape", fn).passed

    failed_with(
        "07.skip_shape",
        lambda h, w, level, b: (h // 2 ** (level - 1), w // 2 ** (level - 1), b * 2 ** (level - 1)),
        "concatenates",
    )
    failed_with(
        "07.skip_shape",
        lambda h, w, level, b: (h // 2**level, w // 2**level, 2 * b * 2 ** (level - 1)),
        "halves",
    )
    failed_with("07.skip_shape", lambda h, w, level, b: (h, w), "three numbers")
    failed_with("07.skip_shape", lambda h, w, level, b: None, "tuple")
