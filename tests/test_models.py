"""medlab.models: the classic CNN exactly as specified, a configurable CNN, a fast U-Net."""

from __future__ import annotations

import time

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from medlab import models  # noqa: E402


def test_seed_cnn_is_exactly_the_classic_architecture():
    model = models.seed_cnn((150, 150, 3))
    kinds = [layer.__class__.__name__ for layer in model.layers]
    assert kinds == [
        "Conv2D", "MaxPooling2D", "Conv2D", "MaxPooling2D", "Conv2D", "MaxPooling2D",
        "Flatten", "Dense", "Dense",
    ]  # fmt: skip
    assert [layer.name for layer in model.layers] == [
        "conv1", "pool1", "conv2", "pool2", "conv3", "pool3", "flatten", "dense", "output",
    ]  # fmt: skip
    convs = [layer for layer in model.layers if kinds[model.layers.index(layer)] == "Conv2D"]
    assert [c.filters for c in convs] == [32, 64, 128]
    assert all(c.kernel_size == (3, 3) and c.activation.__name__ == "relu" for c in convs)
    pools = [layer for layer in model.layers if isinstance(layer, keras.layers.MaxPooling2D)]
    assert all(p.pool_size == (2, 2) for p in pools)
    dense512, out = model.layers[-2], model.layers[-1]
    assert dense512.units == 512 and dense512.activation.__name__ == "relu"
    assert out.units == 1 and out.activation.__name__ == "sigmoid"
    # parameters counted by hand: convs + 17·17·128·512 + 512 + 513
    convs_params = (3 * 9 * 32 + 32) + (32 * 9 * 64 + 64) + (64 * 9 * 128 + 128)
    assert model.count_params() == convs_params + (17 * 17 * 128 * 512 + 512) + 513 == 19_034_177
    assert isinstance(model.optimizer, keras.optimizers.Adam)
    assert model.loss == "binary_crossentropy"


def test_seed_cnn_predicts_probabilities():
    model = models.seed_cnn((64, 64, 1))
    out = model.predict(np.random.default_rng(0).random((3, 64, 64, 1)), verbose=0)
    assert out.shape == (3, 1) and np.all((out >= 0) & (out <= 1))


def test_cnn_configurations():
    m = models.cnn((32, 32, 1), filters=(8, 16), dense=None, global_pool=True)
    assert m.output_shape == (None, 1)
    multi = models.cnn((32, 32, 3), filters=(8,), n_classes=4, logits=True, batch_norm=True)
    assert multi.output_shape == (None, 4)
    assert multi.get_layer("output").activation.__name__ == "linear"
    assert any(isinstance(layer, keras.layers.BatchNormalization) for layer in multi.layers)


def test_cnn_learns_a_trivial_task():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 256)
    x = rng.normal(0, 0.1, (256, 16, 16, 1)).astype(np.float32)
    x[y == 1, 4:12, 4:12] += 1.0  # a bright square means positive
    models.keras().utils.set_random_seed(0)
    m = models.cnn((16, 16, 1), filters=(8,), dense=16, learning_rate=1e-2)
    m.fit(x, y, epochs=5, batch_size=32, verbose=0)
    assert m.evaluate(x, y, verbose=0, return_dict=True)["accuracy"] > 0.95


def test_unet_shapes_skips_and_build_time():
    start = time.perf_counter()
    model = models.unet((128, 128, 1), depth=3, base_filters=16)
    assert time.perf_counter() - start < 3.0  # "well under a second" measured in the benchmark
    assert model.output_shape == (None, 128, 128, 1)
    assert model.get_layer("skip1").output.shape[-1] == 32  # 16 up + 16 skipped
    assert model.get_layer("bottleneck_conv2").output.shape[1:] == (16, 16, 128)
    multi = models.unet((64, 64, 3), depth=2, n_classes=3, compile=False)
    assert multi.output_shape == (None, 64, 64, 3)


def test_unet_3d():
    model = models.unet((16, 32, 32, 1), depth=2, base_filters=4)
    assert model.output_shape == (None, 16, 32, 32, 1)


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: models.unet((100, 100, 1), depth=3), "divisible"),
        (lambda: models.unet((64, 64), depth=2), "input_shape"),
        (lambda: models.unet((64, 64, 1), depth=0), "depth"),
        (lambda: models.seed_cnn((150, 150)), "input_shape"),
        (lambda: models.cnn((32, 32, 1), filters=()), "filters"),
        (lambda: models.cnn((32, 32, 1), n_classes=0), "n_classes"),
    ],
)
def test_bad_model_arguments(call, match):
    with pytest.raises(ValueError, match=match):
        call()
