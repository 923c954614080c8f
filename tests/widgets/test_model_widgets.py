"""Widgets that look at Keras models: TrainingMonitor, FeatureMapExplorer, GradCAMViewer.

References are independent: SciPy correlations for feature maps, and a model whose
Grad-CAM is known in closed form.
"""

import numpy as np
import pytest
from scipy import ndimage

keras = pytest.importorskip("keras")

from medlab import explain  # noqa: E402
from medlab.render import decode_png  # noqa: E402
from medlab.widgets import FeatureMapExplorer, GradCAMViewer, TrainingMonitor  # noqa: E402
from medlab.widgets import training_monitor as tm  # noqa: E402

SOBEL = np.array([[1, 0, -1], [2, 0, -2], [1, 0, -1]], np.float32)
BOX = np.full((3, 3), 1 / 9, np.float32)


@pytest.fixture(scope="module")
def cnn():
    """Conv(2 known 3×3 filters, same padding, linear) → maxpool → conv → GAP → sigmoid."""
    keras.utils.set_random_seed(0)
    inp = keras.Input((12, 12, 1))
    x = keras.layers.Conv2D(2, 3, padding="same", use_bias=False, name="conv1")(inp)
    x = keras.layers.MaxPooling2D(2, name="pool1")(x)
    x = keras.layers.Conv2D(3, 3, padding="same", activation="relu", name="conv2")(x)
    x = keras.layers.GlobalAveragePooling2D(name="gap")(x)
    out = keras.layers.Dense(1, activation="sigmoid", name="out")(x)
    model = keras.Model(inp, out)
    model.get_layer("conv1").set_weights([np.stack([SOBEL, BOX], -1)[:, :, None, :]])
    return model


@pytest.fixture(scope="module")
def image():
    return np.random.default_rng(0).uniform(0, 1, (12, 12)).astype(np.float32)


def test_feature_maps_equal_scipy_correlations(cnn, image):
    maps = explain.feature_maps(cnn, image, "conv1")  # Conv2D computes a cross-correlation
    for k, kernel in enumerate((SOBEL, BOX)):
        ref = ndimage.correlate(image.astype(np.float64), kernel, mode="constant")
        assert np.allclose(maps[..., k], ref, atol=1e-5)
    pooled = explain.feature_maps(cnn, image, "pool1")
    assert np.allclose(pooled, maps.reshape(6, 2, 6, 2, 2).max(axis=(1, 3)), atol=1e-6)
    assert explain.spatial_layers(cnn) == ["conv1", "pool1", "conv2"]
    assert explain.first_layer_filters(cnn).shape == (3, 3, 1, 2)


def test_feature_map_explorer_switches_layers_and_shows_first_layer_filters(cnn, image):
    fx = FeatureMapExplorer(cnn, image)
    assert fx.layer == "conv1" and fx.maps.shape == (12, 12, 2)
    assert fx.filters is not None and fx.filters_box.layout.display is None
    tiles = decode_png(fx.image_widget.value)
    assert tiles.shape == (12, 12 * 2 + 2)  # two maps side by side, 2-pixel gap
    m0 = fx.maps[..., 0]
    assert (
        np.abs(
            tiles[:, :12].astype(int) - np.round((m0 - m0.min()) / (m0.max() - m0.min()) * 255)
        ).max()
        <= 1
    )
    fx.layer_choice.value = "conv2"
    assert fx.maps.shape == (6, 6, 3) and fx.filters is None
    assert fx.filters_box.layout.display == "none"
    assert "conv2: 3 maps of 6×6" in fx.info.value


def test_feature_map_explorer_pages_through_many_maps(image):
    inp = keras.Input((12, 12, 1))
    out = keras.layers.Conv2D(10, 3, name="wide")(inp)
    fx = FeatureMapExplorer(keras.Model(inp, out), image, max_maps=4)
    assert fx.shown.tolist() == [0, 1, 2, 3] and fx.page.layout.display is None
    fx.page.value = 8
    assert fx.shown.tolist() == [8, 9]


def test_grad_cam_matches_the_closed_form_for_a_linear_model(image):
    # conv 1×1 (weight 1) → global average → dense (weight 1): every map location gets
    # the same gradient 1/(H·W), so Grad-CAM = ReLU(image) / max.
    inp = keras.Input((12, 12, 1))
    x = keras.layers.Conv2D(1, 1, use_bias=False, name="c")(inp)
    x = keras.layers.GlobalAveragePooling2D()(x)
    out = keras.layers.Dense(1, use_bias=False)(x)
    model = keras.Model(inp, out)
    model.get_layer("c").set_weights([np.ones((1, 1, 1, 1), np.float32)])
    model.layers[-1].set_weights([np.ones((1, 1), np.float32)])
    signed = image - 0.5
    cam = explain.grad_cam(model, signed, "c")
    assert np.allclose(cam, np.maximum(signed, 0) / signed.max(), atol=1e-5)


def test_grad_cam_viewer_follows_layer_class_and_opacity(cnn, image):
    gv = GradCAMViewer(cnn, image)
    assert gv.layer_choice.value == "conv2" and gv.heatmap.shape == (12, 12)
    assert 0 <= gv.heatmap.min() and gv.heatmap.max() <= 1
    assert np.allclose(gv.heatmap, explain.grad_cam(cnn, image, "conv2", 1))
    png = gv.image_widget.value
    gv.opacity_slider.value = 0.0
    grey = decode_png(gv.image_widget.value)
    assert np.all(grey[..., 0] == grey[..., 1])  # no colour left at opacity 0
    gv.opacity_slider.value = 0.4
    assert gv.image_widget.value == png
    gv.class_choice.value = 0
    assert np.allclose(gv.heatmap, explain.grad_cam(cnn, image, "conv2", 0))
    with pytest.raises(ValueError, match="has no 2D maps"):
        GradCAMViewer(cnn, image, layer="out")


def test_model_inputs_are_checked(cnn):
    with pytest.raises(ValueError, match="expects 12×12"):
        explain.feature_maps(cnn, np.zeros((10, 10)), "conv1")
    with pytest.raises(ValueError, match="no layer"):
        explain.feature_maps(cnn, np.zeros((12, 12)), "conv9")


def test_jet_endpoints_and_overlay_blend():
    assert explain.jet(np.array([0.0, 0.5, 1.0])).tolist() == [
        [0, 0, 128],
        [128, 255, 128],
        [128, 0, 0],
    ]
    img = np.array([[0.0, 1.0]])
    out = explain.overlay_heatmap(img, np.array([[1.0, 0.0]]), alpha=0.5)
    assert out.tolist() == [[[64, 0, 0], [128, 128, 192]]]


def test_training_monitor_records_logs_and_redraws_one_display(monkeypatch):
    shown = []
    monkeypatch.setattr("IPython.display.display", lambda obj: shown.append(obj))
    keras.utils.set_random_seed(1)
    rng = np.random.default_rng(1)
    x = rng.normal(size=(64, 4)).astype(np.float32)
    y = (x[:, 0] > 0).astype(np.float32)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1, activation="sigmoid")])
    model.compile("adam", "binary_crossentropy", metrics=["accuracy"])
    monitor = TrainingMonitor()
    history = model.fit(
        x, y, epochs=3, batch_size=16, validation_split=0.25, verbose=0, callbacks=[monitor]
    )
    assert len(shown) == 1 and shown[0] is monitor  # displayed once, then updated in place
    assert monitor.epochs == [1, 2, 3] and monitor.redraws == 3
    for key in ("loss", "val_loss", "accuracy", "val_accuracy"):
        assert np.allclose(monitor.history[key], history.history[key])
    assert monitor.plotted_metrics() == ["loss", "accuracy"]
    assert "epoch 3/3" in monitor.status.value
    assert monitor._repr_mimebundle_()["text/plain"] == "TrainingMonitor(live training curves)"


def test_training_monitor_update_by_hand_and_missing_keys():
    monitor = TrainingMonitor(display=False)
    monitor.update(0, {"loss": 1.0})
    png = monitor.plot.value
    monitor.update(1, {"loss": 0.5, "val_loss": 0.7})
    assert monitor.history["loss"] == [1.0, 0.5]
    assert np.isnan(monitor.history["val_loss"][0]) and monitor.history["val_loss"][1] == 0.7
    assert monitor.plot.value != png and tm.TrainingMonitor is TrainingMonitor


def test_training_monitor_title_is_drawn_and_leads_the_caption():
    monitor = TrainingMonitor(display=False, title="SYNTHETIC images, fast mode")
    assert monitor.alt_text() == (
        "SYNTHETIC images, fast mode. Training curves: no epoch finished yet."
    )
    monitor.update(0, {"loss": 0.9, "val_loss": 1.1})
    assert monitor._fig._suptitle.get_text() == "SYNTHETIC images, fast mode"
    assert monitor.plot.alt.startswith("SYNTHETIC images, fast mode. Training curves of loss")
    untitled = TrainingMonitor(display=False)
    untitled.update(0, {"loss": 0.9, "val_loss": 1.1})
    assert untitled._fig._suptitle is None  # no title: the figure is drawn as before
    assert untitled.plot.alt.startswith("Training curves of loss")
    assert decode_png(monitor.plot.value).shape == decode_png(untitled.plot.value).shape


def test_default_cam_layer_is_the_output_of_the_last_conv_block():
    import medlab

    model = medlab.models.cnn((16, 16, 1), filters=(4, 8), dense=None, compile=False)
    assert explain.default_cam_layer(model) == "relu2"  # conv2 → relu2, not pool2
    assert GradCAMViewer(model, np.zeros((16, 16))).layer_choice.value == "relu2"


def test_model_widgets_leave_pictures_with_text_alternatives(cnn, image):
    import base64

    monitor = TrainingMonitor(display=False)
    assert monitor.static_image().shape == (8, 240, 4)  # before the first epoch: the caption
    monitor.update(0, {"loss": 0.9, "val_loss": 1.1, "accuracy": 0.6})
    monitor.update(1, {"loss": 0.5, "val_loss": 0.8, "accuracy": 0.7})
    data, metadata = monitor.static_bundle()
    assert decode_png(base64.b64decode(data["image/png"])).ndim >= 2
    alt = metadata["image/png"]["alt"]
    assert alt.startswith("Training curves of loss, accuracy over 2 epochs")
    assert "val_loss 0.8" in alt and metadata["image/png"]["needs_background"] == "light"
    assert decode_png(monitor.plot.value)[0, 0, 3] == 0  # transparent: follows the theme

    gv = GradCAMViewer(cnn, image)
    assert gv.colormap_choice.value == "viridis"  # colour-blind-safe by default
    heat = np.asarray(gv.heatmap)
    r, c = np.unravel_index(int(np.argmax(heat)), heat.shape)
    assert f"hottest at row {r}, column {c}" in gv.image_widget.alt
    assert "yellow = raises the score most" in gv.image_widget.alt
    gv.colormap_choice.value = "jet"
    assert "red = raises" in gv.image_widget.alt and "red = raises" in gv.info.value
    fx = FeatureMapExplorer(cnn, image)
    assert fx.image_widget.alt.startswith("Feature maps 0 to 1 of the 2 maps of layer conv1")
    assert "filters of conv1" in fx.filters_widget.alt
    assert set(fx.static_bundle()[0]) == {
        "application/vnd.jupyter.widget-view+json",
        "image/png",
        "text/plain",
    }


def test_model_widget_titles_head_the_widget_and_lead_the_caption(cnn, image):
    title = "SYNTHETIC <chest> radiograph"
    for make in (GradCAMViewer, FeatureMapExplorer):
        titled, untitled = make(cnn, image, title=title), make(cnn, image)
        assert titled.widget.children[0].value == "<b>SYNTHETIC &lt;chest&gt; radiograph</b>"
        assert len(titled.widget.children) == len(untitled.widget.children) + 1
        assert titled.alt_text() == f"{title}. {untitled.alt_text()}"
        assert titled.static_bundle()[1]["image/png"]["alt"].startswith(title)
