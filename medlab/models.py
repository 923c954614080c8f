"""Keras models used in the course.

- :func:`seed_cnn` — the classic pneumonia classifier of countless tutorials:
  Conv2D 32/64/128 (3×3, ReLU), each followed by 2×2 max-pooling, then Flatten,
  Dense 512 (ReLU) and Dense 1 (sigmoid), compiled with Adam and binary cross-entropy.
- :func:`cnn` — the same family, configurable (filters, dense size, dropout, batch norm,
  global pooling, logits).
- :func:`unet` — a 2D (or 3D) U-Net with skip connections for segmentation.

TensorFlow/Keras is imported when one of these is first called, not when
``medlab`` is imported.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from medlab._keras import import_keras

if TYPE_CHECKING:  # annotations only: TensorFlow is imported on first use
    import keras as keras_module

__all__ = ["cnn", "keras", "seed_cnn", "unet"]


def keras() -> Any:
    """Import and return Keras (TensorFlow backend), quietly, honouring ``medlab.seed``.

    The lessons' way to get Keras (``keras = medlab.models.keras()``); the same as
    :func:`medlab._keras.import_keras`, which every MedLab module uses.

    Returns
    -------
    module
        The ``keras`` module.
    """
    return import_keras()


def _check_shape(input_shape: Sequence[int], ndim: int, name: str) -> tuple[int, ...]:
    shape = tuple(int(s) for s in input_shape)
    if len(shape) != ndim or min(shape) < 1:
        raise ValueError(
            f"{name}: input_shape must have {ndim} positive entries "
            f"({'(height, width, channels)' if ndim == 3 else '(depth, height, width, channels)'}),"
            f" got {tuple(input_shape)}"
        )
    return shape


def seed_cnn(
    input_shape: Sequence[int] = (150, 150, 3), *, learning_rate: float = 1e-3
) -> keras_module.Model:
    """The classic Conv32/64/128 → Dense512 → sigmoid pneumonia classifier.

    Parameters
    ----------
    input_shape : tuple of int
        (height, width, channels); the images should be scaled to [0, 1].
    learning_rate : float
        Adam's learning rate.

    Returns
    -------
    keras.Model
        A ``Sequential`` model (layers named ``conv1``, ``pool1`` … ``conv3``, ``pool3``,
        ``flatten``, ``dense``, ``output``) compiled with Adam, binary cross-entropy and the
        accuracy and AUC metrics. At 150×150×3 it has 19,034,177 parameters, 99.5% of
        them in the Dense 512 layer (the flattened 17×17×128 = 36,992 features feed 512
        units).

    Examples
    --------
    >>> model = seed_cnn((150, 150, 3))
    >>> [layer.__class__.__name__ for layer in model.layers]  # doctest: +NORMALIZE_WHITESPACE
    ['Conv2D', 'MaxPooling2D', 'Conv2D', 'MaxPooling2D', 'Conv2D', 'MaxPooling2D',
     'Flatten', 'Dense', 'Dense']
    """
    k = keras()
    layers = k.layers
    shape = _check_shape(input_shape, 3, "seed_cnn")
    model = k.Sequential(
        [
            k.Input(shape=shape),
            layers.Conv2D(32, (3, 3), activation="relu", name="conv1"),
            layers.MaxPooling2D((2, 2), name="pool1"),
            layers.Conv2D(64, (3, 3), activation="relu", name="conv2"),
            layers.MaxPooling2D((2, 2), name="pool2"),
            layers.Conv2D(128, (3, 3), activation="relu", name="conv3"),
            layers.MaxPooling2D((2, 2), name="pool3"),
            layers.Flatten(name="flatten"),
            layers.Dense(512, activation="relu", name="dense"),
            layers.Dense(1, activation="sigmoid", name="output"),
        ],
        name="seed_cnn",
    )
    model.compile(
        optimizer=k.optimizers.Adam(learning_rate),
        loss="binary_crossentropy",
        metrics=["accuracy", k.metrics.AUC(name="auc")],
    )
    return model


def cnn(
    input_shape: Sequence[int] = (64, 64, 1),
    *,
    filters: Sequence[int] = (32, 64, 128),
    dense: int | None = 128,
    n_classes: int = 1,
    dropout: float = 0.0,
    batch_norm: bool = False,
    global_pool: bool = False,
    augmentation: Any = None,
    logits: bool = False,
    learning_rate: float = 1e-3,
    compile: bool = True,
    name: str = "cnn",
) -> keras_module.Model:
    """A small configurable convolutional classifier.

    Each entry of ``filters`` adds a block: Conv2D 3×3 (ReLU, optional batch norm) and
    2×2 max-pooling. Then Flatten (or global average pooling), an optional Dense layer,
    dropout, and the output layer.

    Parameters
    ----------
    input_shape : tuple of int
        (height, width, channels).
    filters : sequence of int
        Filters per convolutional block.
    dense : int or None
        Units of the hidden Dense layer (``None`` for none).
    n_classes : int
        1 for binary (sigmoid output, binary cross-entropy), K ≥ 2 for softmax over K
        classes (sparse categorical cross-entropy: integer labels).
    dropout : float
        Dropout rate before the output layer.
    batch_norm : bool
        Batch normalisation after each convolution (momentum 0.9, so that its running
        statistics settle within the few hundred steps of a small dataset).
    global_pool : bool
        Global average pooling instead of Flatten (far fewer parameters).
    augmentation : keras layer, optional
        Placed right after the input (e.g. :func:`medlab.preprocess.augmentation_layers`).
    logits : bool
        Output raw logits (no sigmoid/softmax) and compile the loss with ``from_logits=True``.
    learning_rate : float
        Adam's learning rate.
    compile : bool
        Compile the model (Adam, the matching cross-entropy, accuracy and — for binary — AUC).
    name : str
        Model name.

    Returns
    -------
    keras.Model
    """
    k = keras()
    L = k.layers
    shape = _check_shape(input_shape, 3, "cnn")
    if n_classes < 1:
        raise ValueError(f"cnn: n_classes must be >= 1, got {n_classes}")
    if not filters:
        raise ValueError("cnn: filters must list at least one convolutional block")
    inputs = k.Input(shape=shape, name="image")
    x = augmentation(inputs) if augmentation is not None else inputs
    for i, f in enumerate(filters, start=1):
        x = L.Conv2D(f, 3, padding="same", use_bias=not batch_norm, name=f"conv{i}")(x)
        if batch_norm:
            x = L.BatchNormalization(momentum=0.9, name=f"bn{i}")(x)
        x = L.Activation("relu", name=f"relu{i}")(x)
        x = L.MaxPooling2D(2, name=f"pool{i}")(x)
    x = L.GlobalAveragePooling2D(name="gap")(x) if global_pool else L.Flatten(name="flatten")(x)
    if dense:
        x = L.Dense(dense, activation="relu", name="dense")(x)
    if dropout:
        x = L.Dropout(dropout, name="dropout")(x)
    if n_classes == 1:
        activation = None if logits else "sigmoid"
    else:
        activation = None if logits else "softmax"
    outputs = L.Dense(n_classes, activation=activation, name="output")(x)
    model = k.Model(inputs, outputs, name=name)
    if compile:
        if n_classes == 1:
            loss = k.losses.BinaryCrossentropy(from_logits=logits)
            metrics = [
                k.metrics.BinaryAccuracy(name="accuracy", threshold=0.0 if logits else 0.5),
                k.metrics.AUC(name="auc", from_logits=logits),
            ]
        else:
            loss = k.losses.SparseCategoricalCrossentropy(from_logits=logits)
            metrics = ["accuracy"]
        model.compile(optimizer=k.optimizers.Adam(learning_rate), loss=loss, metrics=metrics)
    return model


def unet(
    input_shape: Sequence[int] = (128, 128, 1),
    depth: int = 3,
    base_filters: int = 16,
    n_classes: int = 1,
    *,
    dims: int | None = None,
    batch_norm: bool = True,
    dropout: float = 0.0,
    loss: Any = None,
    learning_rate: float = 1e-3,
    compile: bool = True,
    name: str = "unet",
) -> keras_module.Model:
    """A U-Net (Ronneberger et al., 2015) for 2D or 3D segmentation.

    The encoder has ``depth`` blocks of two 3×3 convolutions followed by 2× max-pooling,
    doubling the filters each time; a bottleneck block; then the decoder upsamples with
    transposed convolutions and concatenates the encoder's feature map of the same size
    (the *skip connection*) before two more convolutions. Layers are named
    ``enc{i}``, ``bottleneck``, ``up{i}``, ``skip{i}``, ``dec{i}`` so lessons can show
    their shapes.

    Parameters
    ----------
    input_shape : tuple of int
        (height, width, channels) for 2D or (depth, height, width, channels) for 3D.
        Spatial sizes must be divisible by ``2**depth``.
    depth : int
        Number of down-sampling steps (≥ 1).
    base_filters : int
        Filters in the first block.
    n_classes : int
        1 for binary segmentation (sigmoid), K ≥ 2 for K classes (softmax, integer masks).
    dims : int, optional
        2 or 3; inferred from ``input_shape`` by default.
    batch_norm : bool
        Batch normalisation after each convolution (momentum 0.9: with Keras' default
        0.99 the running statistics are still wrong after the ~100 steps of a small
        dataset, and the model fails at inference while training looks fine).
    dropout : float
        Dropout in the bottleneck.
    loss : str or keras loss, optional
        Default: binary cross-entropy (binary) or sparse categorical cross-entropy.
    learning_rate : float
        Adam's learning rate.
    compile : bool
        Compile with Adam, the loss, and accuracy.
    name : str
        Model name.

    Returns
    -------
    keras.Model

    References
    ----------
    .. [1] O. Ronneberger, P. Fischer, T. Brox, "U-Net: Convolutional Networks for
       Biomedical Image Segmentation", MICCAI 2015, arXiv:1505.04597.
    """
    dims = dims or len(input_shape) - 1
    if dims not in (2, 3):
        raise ValueError(
            f"unet: dims must be 2 or 3 (input_shape (H, W, C) or (D, H, W, C)), got {dims} "
            f"from input_shape {tuple(input_shape)}"
        )
    shape = _check_shape(input_shape, dims + 1, "unet")
    if depth < 1:
        raise ValueError(f"unet: depth must be >= 1, got {depth}")
    factor = 2**depth
    bad = [s for s in shape[:-1] if s % factor]
    if bad:
        raise ValueError(
            f"unet: spatial sizes {shape[:-1]} must be divisible by 2**depth = {factor}; "
            "pad or crop the images"
        )
    if n_classes < 1:
        raise ValueError(f"unet: n_classes must be >= 1, got {n_classes}")
    k = keras()
    L = k.layers
    Conv = L.Conv2D if dims == 2 else L.Conv3D
    Pool = L.MaxPooling2D if dims == 2 else L.MaxPooling3D
    UpConv = L.Conv2DTranspose if dims == 2 else L.Conv3DTranspose

    def block(x, filters, prefix):
        for j in (1, 2):
            x = Conv(filters, 3, padding="same", use_bias=not batch_norm, name=f"{prefix}_conv{j}")(
                x
            )
            if batch_norm:
                x = L.BatchNormalization(momentum=0.9, name=f"{prefix}_bn{j}")(x)
            x = L.Activation("relu", name=f"{prefix}_relu{j}")(x)
        return x

    inputs = k.Input(shape=shape, name="image")
    x = inputs
    skips = []
    for i in range(1, depth + 1):
        x = block(x, base_filters * 2 ** (i - 1), f"enc{i}")
        skips.append(x)
        x = Pool(2, name=f"pool{i}")(x)
    x = block(x, base_filters * 2**depth, "bottleneck")
    if dropout:
        x = L.Dropout(dropout, name="bottleneck_dropout")(x)
    for i in range(depth, 0, -1):
        f = base_filters * 2 ** (i - 1)
        x = UpConv(f, 2, strides=2, padding="same", name=f"up{i}")(x)
        x = L.Concatenate(name=f"skip{i}")([x, skips[i - 1]])
        x = block(x, f, f"dec{i}")
    activation = "sigmoid" if n_classes == 1 else "softmax"
    outputs = Conv(n_classes, 1, activation=activation, name="mask")(x)
    model = k.Model(inputs, outputs, name=name)
    if compile:
        if loss is None:
            loss = "binary_crossentropy" if n_classes == 1 else "sparse_categorical_crossentropy"
        model.compile(optimizer=k.optimizers.Adam(learning_rate), loss=loss, metrics=["accuracy"])
    return model
