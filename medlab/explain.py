"""Looking inside a CNN: feature maps, first-layer filters and Grad-CAM.

These are the functions lesson 06 teaches and that
:class:`~medlab.widgets.FeatureMapExplorer` and :class:`~medlab.widgets.GradCAMViewer`
draw with. Keras/TensorFlow are imported when a function is called.

References
----------
R. R. Selvaraju et al., "Grad-CAM: Visual Explanations from Deep Networks via
Gradient-based Localization", ICCV 2017, https://arxiv.org/abs/1610.02391
"""

from __future__ import annotations

import contextlib
import weakref
from collections.abc import Iterator
from typing import Any

import numpy as np

from medlab._keras import import_keras
from medlab.render import jet, overlay_heatmap  # drawn in render; names kept here for lesson 06

__all__ = [
    "conv_layers",
    "default_cam_layer",
    "feature_maps",
    "first_layer_filters",
    "grad_cam",
    "jet",
    "overlay_heatmap",
    "prepare_input",
    "spatial_layers",
]


def _output_rank(layer: Any) -> int | None:
    try:
        return len(layer.output.shape)
    except (AttributeError, ValueError):
        return None


def spatial_layers(model: Any) -> list[str]:
    """Names of the layers whose output is a stack of 2D maps (batch, H, W, C)."""
    return [
        layer.name
        for layer in model.layers
        if layer.__class__.__name__ != "InputLayer" and _output_rank(layer) == 4
    ]


def conv_layers(model: Any) -> list[str]:
    """Names of the ``Conv2D`` layers, in order."""
    return [layer.name for layer in model.layers if layer.__class__.__name__ == "Conv2D"]


def default_cam_layer(model: Any) -> str:
    """The layer Grad-CAM explains by default: the output of the last convolution block.

    That is the last ``Conv2D``, or the activation/normalisation layers that directly
    follow it (so a ``Conv2D`` → ``Activation("relu")`` pair gives the ReLU output, as
    a ``Conv2D(activation="relu")`` would), never a pooling layer.
    """
    layers = [lyr for lyr in model.layers if lyr.__class__.__name__ != "InputLayer"]
    convs = [i for i, lyr in enumerate(layers) if lyr.__class__.__name__ == "Conv2D"]
    if not convs:
        spatial = spatial_layers(model)
        if not spatial:
            raise ValueError("grad_cam needs a model with a convolutional layer")
        return spatial[-1]
    i = convs[-1]
    followers = {"Activation", "ReLU", "LeakyReLU", "BatchNormalization", "ELU"}
    while i + 1 < len(layers) and layers[i + 1].__class__.__name__ in followers:
        i += 1
    return layers[i].name


def prepare_input(model: Any, image: Any) -> np.ndarray:
    """Return ``image`` as a float32 (H, W, C) array that ``model`` accepts.

    A 2D image gets a channel axis; one channel is repeated when the model expects
    three (and three are averaged when it expects one).

    Raises
    ------
    ValueError
        If the spatial size differs from the model's input size.
    """
    x = np.asarray(image, dtype=np.float32)
    if x.ndim == 2:
        x = x[:, :, None]
    if x.ndim != 3:
        raise ValueError(f"expected an image (H, W) or (H, W, C), got shape {x.shape}")
    want = tuple(model.inputs[0].shape[1:])
    if len(want) != 3:
        raise ValueError(f"expected a model with (H, W, C) inputs, its input shape is {want}")
    h, w, c = want
    if (h is not None and h != x.shape[0]) or (w is not None and w != x.shape[1]):
        raise ValueError(
            f"image is {x.shape[0]}×{x.shape[1]} but the model expects {h}×{w}; resize it first"
        )
    if c is not None and c != x.shape[2]:
        if x.shape[2] == 1:
            x = np.repeat(x, c, axis=2)
        elif c == 1:
            x = x.mean(axis=2, keepdims=True)
        else:
            raise ValueError(f"image has {x.shape[2]} channels, the model expects {c}")
    return x


# model → {key: sub-model}; weak keys so that a deleted model's sub-models go with it
_SUBMODELS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _single_input(model: Any) -> Any:
    """The model's one input tensor (a bare tensor, so calls with one array don't warn)."""
    inputs = model.inputs
    if len(inputs) != 1:
        raise ValueError(f"expected a model with one input, this one has {len(inputs)}")
    return inputs[0]


def _submodel(model: Any, layer: str) -> Any:
    keras = import_keras()

    cache = _SUBMODELS.setdefault(model, {})
    if layer not in cache:
        try:
            target = model.get_layer(layer)
        except ValueError as err:
            names = [lyr.name for lyr in model.layers]
            raise ValueError(f"model has no layer {layer!r}; its layers are {names}") from err
        cache[layer] = keras.Model(_single_input(model), target.output)
    return cache[layer]


def feature_maps(model: Any, image: Any, layer: str) -> np.ndarray:
    """The activations of ``layer`` for one image.

    Parameters
    ----------
    model : keras.Model
        A built functional or ``Sequential`` model with an ``Input``.
    image : array_like
        (H, W) or (H, W, C), scaled as the model was trained.
    layer : str
        Layer name (see :func:`spatial_layers`).

    Returns
    -------
    numpy.ndarray
        float32 array (H', W', C') for a spatial layer, or (units,) for a dense one.
    """
    x = prepare_input(model, image)
    out = _submodel(model, layer)(x[None], training=False)
    return np.asarray(out)[0].astype(np.float32)


def first_layer_filters(model: Any) -> np.ndarray:
    """Kernel weights of the first ``Conv2D`` layer, shape (kh, kw, in_channels, filters)."""
    names = conv_layers(model)
    if not names:
        raise ValueError("model has no Conv2D layer, so it has no first-layer filters")
    return np.asarray(model.get_layer(names[0]).get_weights()[0], dtype=np.float32)


def _output_layer(model: Any) -> Any:
    """The layer that produces the model's one output."""
    outputs = model.outputs
    if len(outputs) != 1:
        raise ValueError(f"grad_cam expects a model with one output, this one has {len(outputs)}")
    history = getattr(outputs[0], "_keras_history", None)
    return history[0] if history is not None else model.layers[-1]


def _activation_name(layer: Any) -> str:
    return getattr(getattr(layer, "activation", None), "__name__", "linear")


_SQUASHING = ("sigmoid", "softmax")  # output activations that Grad-CAM looks behind


@contextlib.contextmanager
def _without_squashing(layer: Any) -> Iterator[Any]:
    """``layer`` with its sigmoid/softmax activation replaced by the identity, for a while."""
    if _activation_name(layer) not in _SQUASHING:
        yield layer
        return
    saved = layer.activation
    layer.activation = import_keras().activations.linear
    try:
        yield layer
    finally:
        layer.activation = saved


def _class_score(logits: Any, class_index: int | None) -> Any:
    """The score Grad-CAM differentiates: one pre-activation logit.

    For class 0 of a single sigmoid unit that is −z, the negative class's log-odds.
    """
    units = int(logits.shape[-1])
    if units == 1:
        if class_index not in (None, 0, 1):
            raise ValueError(f"class_index must be 0 or 1 for a one-unit output, got {class_index}")
        return logits[:, 0] if class_index in (None, 1) else -logits[:, 0]
    idx = int(np.argmax(np.asarray(logits[0]))) if class_index is None else int(class_index)
    if not 0 <= idx < units:
        raise ValueError(f"class_index must be in 0..{units - 1}, got {class_index}")
    return logits[:, idx]


def grad_cam(
    model: Any, image: Any, layer: str | None = None, class_index: int | None = None
) -> np.ndarray:
    """Grad-CAM heat map: where in the image the evidence for a class lies.

    The class score is the output *before* the final sigmoid or softmax (the logit), as
    in Selvaraju et al. Its gradients with respect to the maps of ``layer`` are averaged
    over each map (one weight per channel); the weighted sum of the maps, passed through
    ReLU, is the class activation map. It is scaled to [0, 1] and resized (bilinear) to
    the image size.

    Parameters
    ----------
    model : keras.Model
        One input, one output. When the output layer applies a sigmoid or softmax
        (``Dense(..., activation="sigmoid")`` or an ``Activation`` layer), the logit is
        recomputed without it; an output without either is used as the score as it is.
    image : array_like
        One image (H, W) or (H, W, C).
    layer : str, optional
        A layer with spatial output; default :func:`default_cam_layer` (the output of
        the last convolution block).
    class_index : int, optional
        Output unit to explain. Default: class 1 for a single sigmoid output (its logit
        z, whatever the prediction), the arg-max unit for a softmax output. For a single
        sigmoid output, 0 explains the negative class, whose logit is −z.

    Returns
    -------
    numpy.ndarray
        float32 (H, W) in [0, 1] (all zeros when no location raises the score). Each map
        is scaled to its own maximum: it shows *where* the evidence lies, not how much
        (a map of p = 0.3 can look as hot as one of p = 0.99).

    Raises
    ------
    ValueError
        If ``class_index`` is not an output unit, or the model has several outputs.

    Notes
    -----
    Why the logit: a probability saturates. The gradient of p = σ(z) is σ'(z) times the
    gradient of z; in float32 σ'(z) is exactly 0 once z ≳ 17 (σ(z) rounds to 1), and the
    map of a confident positive prediction vanishes. (For negative z it stays above 0
    until σ(z) itself underflows, near z ≈ −87.) Through a softmax, the gradient of p_c also carries
    the other classes' logits, so the map no longer explains class c alone.
    """
    keras = import_keras()
    import tensorflow as tf
    from skimage.transform import resize

    if layer is None:
        layer = default_cam_layer(model)
    x = prepare_input(model, image)
    head = _output_layer(model)
    cache = _SUBMODELS.setdefault(model, {})
    key = f"gradcam-logit:{layer}"
    if key not in cache:  # the maps and what enters the output layer, in one pass
        outputs = [model.get_layer(layer).output, head.input]
        cache[key] = keras.Model(_single_input(model), outputs)
    grad_model = cache[key]
    with tf.GradientTape() as tape, _without_squashing(head):
        maps, before_head = grad_model(tf.convert_to_tensor(x[None]), training=False)
        score = _class_score(head(before_head, training=False), class_index)
    grads = tape.gradient(score, maps)
    weights = tf.reduce_mean(grads, axis=(0, 1, 2))
    cam = tf.nn.relu(tf.reduce_sum(maps[0] * weights, axis=-1)).numpy().astype(np.float32)
    peak = float(cam.max())
    cam = cam / peak if peak > 0 else np.zeros_like(cam)
    if cam.shape != x.shape[:2]:
        cam = resize(cam, x.shape[:2], order=1, mode="edge", anti_aliasing=False)
    return np.clip(cam, 0.0, 1.0).astype(np.float32)
