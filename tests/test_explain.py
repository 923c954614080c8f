"""Grad-CAM (medlab.explain.grad_cam) differentiates the class score before the sigmoid or
softmax (Selvaraju et al.).

The reference is independent of the function under test: a hand-built twin of each model
that outputs logits, a GradientTape on it, and the Grad-CAM formula written out in NumPy.
The layer explained is at the input's resolution, so no resizing is involved.
"""

import numpy as np
import pytest

keras = pytest.importorskip("keras")
tf = pytest.importorskip("tensorflow")

from medlab import explain  # noqa: E402

SHAPE = (12, 10, 1)


def _twins(units: int, activation: str, scale: float = 1.0, separate: bool = False):
    """A logits model and the same model with ``activation`` on its output (same weights).

    ``separate`` puts the activation in its own ``Activation`` layer instead of the Dense.
    ``scale`` multiplies the output weights (large values saturate the activation).
    """
    keras.utils.set_random_seed(3)
    inputs = keras.Input(SHAPE)
    maps = keras.layers.Conv2D(6, 3, padding="same", activation="relu", name="feat")(inputs)
    pooled = keras.layers.MaxPooling2D(2)(maps)
    pooled = keras.layers.Conv2D(4, 3, padding="same", activation="relu")(pooled)
    pooled = keras.layers.GlobalAveragePooling2D()(pooled)
    logits = keras.layers.Dense(units, name="head")(pooled)
    logits_model = keras.Model(inputs, logits)
    if separate:
        out = keras.layers.Activation(activation, name="squash")(logits)
    else:
        out = keras.layers.Dense(units, activation=activation, name="head")(pooled)
    squashed_model = keras.Model(inputs, out)
    weights = logits_model.get_weights()
    weights[-2] *= scale
    weights[-1] *= scale
    logits_model.set_weights(weights)
    squashed_model.set_weights(weights)
    return logits_model, squashed_model


def _cam_of(model, image, score_of):
    """Grad-CAM of ``score_of(model output)`` at layer 'feat', by GradientTape and NumPy."""
    grad_model = keras.Model(model.inputs[0], [model.get_layer("feat").output, model.output])
    with tf.GradientTape() as tape:
        maps, out = grad_model(image[None], training=False)
        score = score_of(out)
    grads = tape.gradient(score, maps).numpy()[0]
    maps = maps.numpy()[0]
    cam = np.maximum((maps * grads.mean(axis=(0, 1))).sum(axis=-1), 0.0)
    return cam / cam.max() if cam.max() > 0 else cam


@pytest.fixture(scope="module")
def image():
    return np.random.default_rng(0).random(SHAPE).astype(np.float32)


def test_sigmoid_model_is_explained_on_its_logit_and_class_0_on_minus_the_logit(image):
    logits_model, sigmoid_model = _twins(1, "sigmoid")
    positive = _cam_of(logits_model, image, lambda z: z[:, 0])
    negative = _cam_of(logits_model, image, lambda z: -z[:, 0])
    assert positive.max() == 1 and negative.max() == 1 and not np.allclose(positive, negative)
    np.testing.assert_allclose(explain.grad_cam(sigmoid_model, image, "feat"), positive, atol=1e-5)
    np.testing.assert_allclose(
        explain.grad_cam(sigmoid_model, image, "feat", 1), positive, atol=1e-5
    )
    np.testing.assert_allclose(
        explain.grad_cam(sigmoid_model, image, "feat", 0), negative, atol=1e-5
    )
    # a model that already outputs logits gives the same maps
    np.testing.assert_allclose(
        explain.grad_cam(logits_model, image, "feat", 0), negative, atol=1e-5
    )


@pytest.mark.parametrize("separate", [False, True], ids=["dense-softmax", "activation-layer"])
def test_softmax_model_is_explained_on_the_class_logit(image, separate):
    logits_model, softmax_model = _twins(3, "softmax", separate=separate)
    z = logits_model.predict(image[None], verbose=0)[0]
    for c in range(3):
        want = _cam_of(logits_model, image, lambda out, c=c: out[:, c])
        got = explain.grad_cam(softmax_model, image, "feat", c)
        np.testing.assert_allclose(got, want, atol=1e-5, err_msg=f"class {c}")
    predicted = int(np.argmax(z))
    np.testing.assert_allclose(
        explain.grad_cam(softmax_model, image, "feat"),
        explain.grad_cam(softmax_model, image, "feat", predicted),
    )


def test_the_probability_version_differs_where_it_matters(image):
    # a saturated sigmoid: p rounds to 1.0 in float32, so dp/dmaps is exactly zero and the
    # probability's map is empty, while the logit's is not
    logits_model, sigmoid_model = _twins(1, "sigmoid", scale=400.0)
    z = float(logits_model.predict(image[None], verbose=0)[0, 0])
    assert abs(z) > 20, f"the test needs a saturated sigmoid, the logit is {z:.1f}"
    sign = 1.0 if z > 0 else -1.0
    on_probability = _cam_of(sigmoid_model, image, lambda p: sign * p[:, 0])
    on_logit = _cam_of(logits_model, image, lambda out: sign * out[:, 0])
    assert on_probability.max() == 0 and on_logit.max() == 1
    got = explain.grad_cam(sigmoid_model, image, "feat", 1 if z > 0 else 0)
    np.testing.assert_allclose(got, on_logit, atol=1e-5)
    # a softmax, not saturated: dp_c/dmaps mixes in the other classes' logits
    logits_model, softmax_model = _twins(3, "softmax")
    probabilities = softmax_model.predict(image[None], verbose=0)[0]
    assert probabilities.max() < 0.99
    c = int(np.argmin(probabilities))
    on_probability = _cam_of(softmax_model, image, lambda p: p[:, c])
    got = explain.grad_cam(softmax_model, image, "feat", c)
    assert np.abs(got - on_probability).max() > 0.1


def test_grad_cam_leaves_the_model_as_it_was(image):
    _, sigmoid_model = _twins(1, "sigmoid")
    before = sigmoid_model.predict(image[None], verbose=0)
    explain.grad_cam(sigmoid_model, image, "feat")
    assert sigmoid_model.get_layer("head").activation.__name__ == "sigmoid"
    np.testing.assert_array_equal(sigmoid_model.predict(image[None], verbose=0), before)
    assert 0 < before[0, 0] < 1


def test_grad_cam_rejects_a_class_the_model_does_not_have(image):
    _, sigmoid_model = _twins(1, "sigmoid")
    with pytest.raises(ValueError, match="0 or 1"):
        explain.grad_cam(sigmoid_model, image, "feat", 2)
    _, softmax_model = _twins(3, "softmax")
    with pytest.raises(ValueError, match=r"0\.\.2"):
        explain.grad_cam(softmax_model, image, "feat", 3)
