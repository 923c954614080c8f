"""medlab.losses: exact against Keras, hand-worked numbers and finite differences."""

from __future__ import annotations

import os

import numpy as np
import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
keras = pytest.importorskip("keras")
import tensorflow as tf  # noqa: E402

from medlab import losses  # noqa: E402

RNG = np.random.default_rng(42)
Y = RNG.integers(0, 2, size=64).astype(np.float32)
P = RNG.uniform(0.01, 0.99, size=64).astype(np.float32)
Z = RNG.normal(0, 4, size=64).astype(np.float32)


def keras_mean(loss_obj, y, p):
    return float(loss_obj(y.reshape(-1, 1), p.reshape(-1, 1)))


def numerical_gradient(f, x, h=1e-6):
    x = np.asarray(x, dtype=np.float64)
    g = np.zeros_like(x)
    for i in range(x.size):
        e = np.zeros_like(x)
        e.flat[i] = h
        g.flat[i] = (f(x + e) - f(x - e)) / (2 * h)
    return g


# --------------------------------------------------------------------------- BCE


def test_bce_hand_worked_example():
    # -(log 0.9 + log 0.8) / 2, written out
    expected = -(np.log(0.9) + np.log(0.8)) / 2
    assert losses.binary_cross_entropy([1, 0], [0.9, 0.2]) == pytest.approx(expected, abs=1e-12)


def test_bce_is_the_mean_not_the_sum_and_brackets_matter():
    y, p = np.array([1.0, 0.0, 0.0]), np.array([0.7, 0.4, 0.1])
    correct = losses.binary_cross_entropy(y, p)
    total = losses.binary_cross_entropy(y, p, reduction="sum")
    assert total == pytest.approx(3 * correct)
    # the popular mis-bracketed form negates only the first term: a different number
    misbracketed = -np.sum(y * np.log(p)) + np.sum((1 - y) * np.log(1 - p))
    assert misbracketed != pytest.approx(total)
    assert misbracketed < 0 < total  # it can even go negative, which no likelihood loss can


def test_bce_matches_keras_probabilities():
    ours = losses.binary_cross_entropy(Y, P)
    theirs = keras_mean(keras.losses.BinaryCrossentropy(), Y, P)
    assert ours == pytest.approx(theirs, abs=1e-6)


def test_bce_matches_keras_from_logits():
    ours = losses.binary_cross_entropy(Y, Z, from_logits=True)
    theirs = keras_mean(keras.losses.BinaryCrossentropy(from_logits=True), Y, Z)
    assert ours == pytest.approx(theirs, abs=1e-6)


def test_bce_matches_keras_at_probability_zero_and_one():
    y = np.array([1, 0, 1, 0], np.float32)
    p = np.array([0, 1, 1, 0], np.float32)
    ours = losses.binary_cross_entropy(y, p, reduction="none")
    theirs = keras.losses.binary_crossentropy(y.reshape(-1, 1), p.reshape(-1, 1)).numpy()
    np.testing.assert_allclose(ours, theirs, atol=1e-5)
    assert np.all(np.isfinite(ours))
    assert ours[0] == pytest.approx(-np.log(1e-7), rel=1e-2)  # ~16.1 nats, not infinity
    assert ours[2] == pytest.approx(0, abs=1e-6)


def test_bce_from_logits_is_exact_for_huge_logits():
    z = np.array([1000.0, -1000.0, 1000.0, -1000.0, 40.0])
    y = np.array([1.0, 0.0, 0.0, 1.0, 0.0])
    per = losses.binary_cross_entropy(y, z, from_logits=True, reduction="none")
    np.testing.assert_allclose(per, [0.0, 0.0, 1000.0, 1000.0, 40.0], atol=1e-12)
    # naive sigmoid-then-log gives inf/nan here
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        naive = -np.log(1 / (1 + np.exp(-z)))
    assert not np.all(np.isfinite(naive))


def test_bce_class_weight_matches_keras_sample_weight():
    w = {0: 0.3, 1: 2.5}
    sample_weight = np.where(Y == 1, w[1], w[0])
    theirs = float(
        keras.losses.BinaryCrossentropy()(
            Y.reshape(-1, 1), P.reshape(-1, 1), sample_weight=sample_weight
        )
    )
    assert losses.binary_cross_entropy(Y, P, class_weight=w) == pytest.approx(theirs, abs=1e-6)
    assert losses.binary_cross_entropy(Y, P, class_weight=(0.3, 2.5)) == pytest.approx(
        theirs, abs=1e-6
    )


def test_bce_gradient_matches_finite_differences_and_tensorflow():
    g = losses.binary_cross_entropy_gradient(Y, P)
    num = numerical_gradient(lambda p: losses.binary_cross_entropy(Y, p), P.astype(np.float64))
    np.testing.assert_allclose(g, num, rtol=1e-4, atol=1e-8)
    p_var = tf.Variable(P.reshape(-1, 1))
    with tf.GradientTape() as tape:
        loss = keras.losses.BinaryCrossentropy()(Y.reshape(-1, 1), p_var)
    np.testing.assert_allclose(g, tape.gradient(loss, p_var).numpy().ravel(), rtol=1e-3)


def test_bce_logit_gradient_is_sigmoid_minus_label_over_n():
    g = losses.binary_cross_entropy_gradient(Y, Z, from_logits=True)
    np.testing.assert_allclose(
        g, (1 / (1 + np.exp(-Z.astype(np.float64))) - Y) / Y.size, atol=1e-12
    )
    z_var = tf.Variable(Z.reshape(-1, 1))
    with tf.GradientTape() as tape:
        loss = keras.losses.BinaryCrossentropy(from_logits=True)(Y.reshape(-1, 1), z_var)
    np.testing.assert_allclose(g, tape.gradient(loss, z_var).numpy().ravel(), atol=1e-7)


def test_bce_gradient_is_zero_where_clipped_and_weighted():
    g = losses.binary_cross_entropy_gradient([1.0, 0.0], [0.0, 0.5], reduction="none")
    assert g[0] == 0.0 and g[1] == pytest.approx(2.0)
    gw = losses.binary_cross_entropy_gradient([0.0], [0.5], class_weight={0: 3.0}, reduction="none")
    assert gw[0] == pytest.approx(6.0)


def _certain_mistake_model():
    """One positive, x = 1, a sigmoid unit whose weight gives the logit -30 (ŷ ≈ 1e-13)."""
    model = keras.Sequential(
        [keras.Input((1,)), keras.layers.Dense(1, activation="sigmoid", use_bias=False)]
    )
    model.layers[0].set_weights([np.array([[-30.0]], np.float32)])
    return model, np.ones((1, 1), np.float32), np.ones((1, 1), np.float32)


def _loss_and_weight_gradient(model, x, y, loss):
    with tf.GradientTape() as tape:
        value = tf.reduce_mean(loss(y, model(x)))
    return float(value), float(tape.gradient(value, model.trainable_weights)[0][0, 0])


def test_keras_bce_uses_the_logits_of_a_sigmoid_output_but_clips_bare_probabilities():
    model, x, y = _certain_mistake_model()
    bce = keras.losses.BinaryCrossentropy()
    # the sigmoid's output carries its logit: the loss is softplus(30) = 30, gradient σ(z) − y = −1
    eager = _loss_and_weight_gradient(model, x, y, bce)
    exact = losses.binary_cross_entropy([1.0], [-30.0], from_logits=True)
    assert eager == pytest.approx((exact, -1.0), abs=1e-4)

    @tf.function
    def in_graph():
        with tf.GradientTape() as tape:
            value = bce(y, model(x))
        return value, tape.gradient(value, model.trainable_weights)[0]

    value, grad = in_graph()
    assert float(value) == pytest.approx(30.0, abs=1e-4)  # the same inside a tf.function (fit)
    assert float(grad[0, 0]) == pytest.approx(-1.0, abs=1e-6)
    # the same probability as a bare tensor: clipped at 1e-7, about 16.1 nats, no gradient
    bare = tf.Variable(model(x).numpy())
    with tf.GradientTape() as tape:
        value = bce(y, bare)
    assert float(value) == pytest.approx(losses.binary_cross_entropy(y, bare.numpy()), abs=1e-4)
    assert float(value) == pytest.approx(-np.log(1e-7), abs=1e-3)
    assert float(tape.gradient(value, bare)[0, 0]) == 0.0


def test_keras_fit_learns_from_a_certain_mistake_of_a_sigmoid_output():
    model, x, y = _certain_mistake_model()
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss="binary_crossentropy")
    history = model.fit(x, y, epochs=1, verbose=0)
    assert history.history["loss"][0] == pytest.approx(30.0, abs=1e-3)
    assert model.layers[0].get_weights()[0][0, 0] == pytest.approx(-30.0 + 0.1, abs=1e-5)


@pytest.mark.parametrize(
    "make",
    [
        lambda: keras.losses.BinaryCrossentropy(),
        lambda: losses.WeightedBinaryCrossentropy({0: 1.0, 1: 1.0}),
        lambda: losses.FocalLoss(gamma=0.0),
        lambda: losses.BCEDiceLoss(),
    ],
    ids=["keras_bce", "weighted_bce", "focal", "bce_dice"],
)
def test_loss_classes_keep_the_gradient_of_a_saturated_sigmoid_output(make):
    model, x, y = _certain_mistake_model()
    _, grad = _loss_and_weight_gradient(model, x, y, make())
    assert grad == pytest.approx(-1.0, abs=1e-3)  # not 0: the logit was used, not a clip


@pytest.mark.parametrize(
    ("y", "p", "kwargs", "match"),
    [
        ([1, 0], [0.5], {}, "same shape"),
        ([1, 0], [0.5, 1.5], {}, "from_logits=True"),
        ([2, 0], [0.5, 0.5], {}, r"y_true must be in \[0, 1\]"),
        ([1, 0], [np.nan, 0.5], {}, "NaN"),
        ([], [], {}, "empty"),
        ([1, 0], [0.5, 0.5], {"reduction": "avg"}, "reduction"),
        ([1, 0], [0.5, 0.5], {"class_weight": {2: 1.0}}, "class_weight"),
    ],
)
def test_bce_bad_input_raises_clear_error(y, p, kwargs, match):
    with pytest.raises(ValueError, match=match):
        losses.binary_cross_entropy(y, p, **kwargs)


# --------------------------------------------------------------------------- categorical CE


def test_cce_matches_keras_probabilities_and_logits():
    logits = RNG.normal(0, 3, size=(20, 4)).astype(np.float32)
    labels = RNG.integers(0, 4, size=20)
    onehot = np.eye(4, dtype=np.float32)[labels]
    probs = tf.nn.softmax(logits).numpy()
    theirs_p = float(keras.losses.CategoricalCrossentropy()(onehot, probs))
    theirs_z = float(keras.losses.CategoricalCrossentropy(from_logits=True)(onehot, logits))
    assert losses.categorical_cross_entropy(onehot, probs) == pytest.approx(theirs_p, abs=1e-6)
    assert losses.categorical_cross_entropy(onehot, logits, from_logits=True) == pytest.approx(
        theirs_z, abs=1e-6
    )
    # integer labels give the same answer as one-hot (sparse CE)
    sparse = float(keras.losses.SparseCategoricalCrossentropy(from_logits=True)(labels, logits))
    assert losses.categorical_cross_entropy(labels, logits, from_logits=True) == pytest.approx(
        sparse, abs=1e-6
    )


def test_cce_with_two_classes_equals_bce():
    p = np.array([0.9, 0.2, 0.6])
    y = np.array([1, 0, 0])
    two = np.stack([1 - p, p], axis=1)
    assert losses.categorical_cross_entropy(y, two) == pytest.approx(
        losses.binary_cross_entropy(y, p), abs=1e-9
    )


def test_cce_logsumexp_stability():
    z = np.array([[1000.0, 0.0, -1000.0]])
    assert losses.categorical_cross_entropy([0], z, from_logits=True) == pytest.approx(
        0.0, abs=1e-12
    )
    assert losses.categorical_cross_entropy([1], z, from_logits=True) == pytest.approx(1000.0)


def test_cce_gradients():
    z = RNG.normal(size=(5, 3))
    y = np.eye(3)[[0, 2, 1, 1, 0]]
    g = losses.categorical_cross_entropy_gradient(y, z, from_logits=True)
    num = numerical_gradient(lambda v: losses.categorical_cross_entropy(y, v, from_logits=True), z)
    np.testing.assert_allclose(g, num, rtol=1e-5, atol=1e-9)
    # with probabilities the loss re-normalises each row (as Keras): the gradient includes it
    p = np.array([[0.2, 0.5, 0.3]])
    np.testing.assert_allclose(
        losses.categorical_cross_entropy_gradient([[0, 1, 0]], p), [[1.0, -1.0, 1.0]]
    )
    probs = RNG.uniform(0.05, 1.0, size=(4, 3))  # rows that do not sum to 1
    labels = np.eye(3)[[2, 0, 1, 1]]
    g = losses.categorical_cross_entropy_gradient(labels, probs)
    num = numerical_gradient(lambda v: losses.categorical_cross_entropy(labels, v), probs)
    np.testing.assert_allclose(g, num, rtol=1e-5, atol=1e-9)
    p_var = tf.Variable(probs.astype(np.float32))
    with tf.GradientTape() as tape:
        loss = keras.losses.CategoricalCrossentropy()(labels.astype(np.float32), p_var)
    np.testing.assert_allclose(g, tape.gradient(loss, p_var).numpy(), rtol=1e-4, atol=1e-6)


def test_cce_bad_labels():
    with pytest.raises(ValueError, match="integer labels"):
        losses.categorical_cross_entropy([3], [[0.2, 0.8]])
    with pytest.raises(ValueError, match="one-hot"):
        losses.categorical_cross_entropy([[1, 0, 0]], [[0.2, 0.8]])


# --------------------------------------------------------------------------- focal


@pytest.mark.parametrize("alpha", [None, 0.25, 0.8])
@pytest.mark.parametrize("gamma", [0.0, 1.0, 2.0, 3.5])
def test_focal_matches_keras(gamma, alpha):
    kl = keras.losses.BinaryFocalCrossentropy(
        gamma=gamma, alpha=0.25 if alpha is None else alpha, apply_class_balancing=alpha is not None
    )
    ours = losses.focal_loss(Y, P, gamma=gamma, alpha=alpha)
    assert ours == pytest.approx(keras_mean(kl, Y, P), abs=1e-6)
    kl_logits = keras.losses.BinaryFocalCrossentropy(
        gamma=gamma,
        alpha=0.25 if alpha is None else alpha,
        apply_class_balancing=alpha is not None,
        from_logits=True,
    )
    ours_z = losses.focal_loss(Y, Z, gamma=gamma, alpha=alpha, from_logits=True)
    assert ours_z == pytest.approx(keras_mean(kl_logits, Y, Z), abs=1e-5)


def test_focal_with_gamma_zero_is_bce_and_down_weights_easy_examples():
    assert losses.focal_loss(Y, P, gamma=0) == pytest.approx(losses.binary_cross_entropy(Y, P))
    easy = losses.focal_loss([1], [0.95], gamma=2) / losses.binary_cross_entropy([1], [0.95])
    hard = losses.focal_loss([1], [0.3], gamma=2) / losses.binary_cross_entropy([1], [0.3])
    assert easy == pytest.approx(0.05**2) and hard == pytest.approx(0.7**2)


@pytest.mark.parametrize("from_logits", [False, True])
def test_focal_gradient_matches_finite_differences(from_logits):
    x = (Z if from_logits else P).astype(np.float64)
    g = losses.focal_loss_gradient(Y, x, gamma=2.0, alpha=0.25, from_logits=from_logits)
    num = numerical_gradient(
        lambda v: losses.focal_loss(Y, v, gamma=2.0, alpha=0.25, from_logits=from_logits), x
    )
    np.testing.assert_allclose(g, num, rtol=1e-4, atol=1e-9)


def test_focal_bad_parameters():
    with pytest.raises(ValueError, match="gamma"):
        losses.focal_loss([1], [0.5], gamma=-1)
    with pytest.raises(ValueError, match="alpha"):
        losses.focal_loss([1], [0.5], alpha=1.5)


# --------------------------------------------------------------------------- Dice


def test_dice_loss_hand_worked():
    y = np.array([[1, 1, 0, 0]])
    p = np.array([[1.0, 0.5, 0.5, 0.0]])
    # 2·1.5 / (2 + 2) = 0.75 → loss 0.25 (smooth=0)
    assert losses.dice_loss(y, p, smooth=0) == pytest.approx(0.25)
    assert losses.dice_loss(np.zeros((1, 4)), np.zeros((1, 4))) == 0.0  # empty vs empty: perfect


def test_dice_loss_matches_keras_dice():
    y = (RNG.random((3, 8, 8, 1)) > 0.5).astype(np.float32)
    p = RNG.random((3, 8, 8, 1)).astype(np.float32)
    per_sample = keras.losses.dice(y, p, axis=(1, 2, 3)).numpy()
    np.testing.assert_allclose(
        losses.dice_loss(y, p, smooth=0, reduction="none"), per_sample, atol=1e-6
    )
    whole = float(keras.losses.dice(y, p))
    assert losses.dice_loss(y, p, smooth=0, per_sample=False) == pytest.approx(whole, abs=1e-6)


def test_dice_gradient_matches_finite_differences():
    y = (RNG.random((2, 5, 5)) > 0.5).astype(float)
    p = RNG.random((2, 5, 5))
    g = losses.dice_loss_gradient(y, p, smooth=1.0)
    num = numerical_gradient(lambda v: losses.dice_loss(y, v, smooth=1.0), p)
    np.testing.assert_allclose(g, num, rtol=1e-4, atol=1e-9)


def test_keras_dice_loss_agrees_with_numpy_reference():
    y = (RNG.random((4, 16, 16, 1)) > 0.6).astype(np.float32)
    p = RNG.random((4, 16, 16, 1)).astype(np.float32)
    assert float(losses.DiceLoss(smooth=1.0)(y, p)) == pytest.approx(
        losses.dice_loss(y, p, smooth=1.0), abs=1e-6
    )
    combined = float(losses.BCEDiceLoss()(y, p))
    bce = losses.binary_cross_entropy(y, p)
    assert combined == pytest.approx(bce + losses.dice_loss(y, p), abs=1e-5)


def test_keras_weighted_and_focal_losses_agree_with_numpy_reference():
    w = {0: 0.5, 1: 4.0}
    kw = float(losses.WeightedBinaryCrossentropy(w)(Y.reshape(-1, 1), P.reshape(-1, 1)))
    assert kw == pytest.approx(losses.binary_cross_entropy(Y, P, class_weight=w), abs=1e-6)
    kf = float(losses.FocalLoss(gamma=2.0, alpha=0.3)(Y.reshape(-1, 1), P.reshape(-1, 1)))
    assert kf == pytest.approx(losses.focal_loss(Y, P, gamma=2.0, alpha=0.3), abs=1e-6)
    unbalanced = float(losses.FocalLoss(gamma=2.0)(Y.reshape(-1, 1), P.reshape(-1, 1)))
    assert unbalanced == pytest.approx(losses.focal_loss(Y, P, gamma=2.0), abs=1e-6)


@pytest.mark.parametrize(
    ("make", "reference"),
    [
        (
            lambda: losses.DiceLoss(from_logits=True),
            lambda y, z: losses.dice_loss(y, z, from_logits=True),
        ),
        (
            lambda: losses.BCEDiceLoss(from_logits=True),
            lambda y, z: (
                losses.binary_cross_entropy(y, z, from_logits=True)
                + losses.dice_loss(y, z, from_logits=True)
            ),
        ),
        (
            lambda: losses.WeightedBinaryCrossentropy({0: 0.5, 1: 4.0}, from_logits=True),
            lambda y, z: losses.binary_cross_entropy(
                y, z, from_logits=True, class_weight={0: 0.5, 1: 4.0}
            ),
        ),
        (
            lambda: losses.FocalLoss(gamma=2.0, alpha=0.3, from_logits=True),
            lambda y, z: losses.focal_loss(y, z, gamma=2.0, alpha=0.3, from_logits=True),
        ),
    ],
    ids=["dice", "bce_dice", "weighted_bce", "focal"],
)
def test_every_keras_loss_class_takes_logits_like_its_numpy_function(make, reference):
    y = (RNG.random((4, 6)) > 0.5).astype(np.float32)
    z = RNG.normal(0.0, 3.0, (4, 6)).astype(np.float32)
    assert float(make()(y, z)) == pytest.approx(reference(y, z), abs=1e-5)


def test_keras_loss_classes_survive_a_config_round_trip():
    y = (RNG.random((3, 5)) > 0.5).astype(np.float32)
    p = RNG.random((3, 5)).astype(np.float32)
    for loss in (
        losses.DiceLoss(smooth=0.5, from_logits=False),
        losses.BCEDiceLoss(bce_weight=0.3),
        losses.WeightedBinaryCrossentropy({1: 3.0}),
        losses.FocalLoss(gamma=1.5, alpha=0.4),
    ):
        restored = keras.losses.deserialize(keras.losses.serialize(loss))
        assert type(restored) is type(loss)
        assert float(restored(y, p)) == pytest.approx(float(loss(y, p)), abs=1e-7)


def test_stable_helpers():
    z = np.array([-1000.0, 0.0, 1000.0])
    np.testing.assert_allclose(losses.sigmoid(z), [0.0, 0.5, 1.0])
    np.testing.assert_allclose(losses.log_sigmoid(z), [-1000.0, -np.log(2), 0.0])
    np.testing.assert_allclose(losses.softmax(np.array([[1000.0, 1000.0]])), [[0.5, 0.5]])
