r"""Loss functions, exactly: NumPy references, their gradients, and Keras versions.

The NumPy functions here are what the lessons teach and what the widgets plot. Each
returns the **mean over samples** by default (``reduction="mean"``), which is the
quantity Keras minimises. Binary cross-entropy over :math:`N` predictions is

.. math::

    L = -\frac{1}{N} \sum_{i=1}^{N} \Big[ y_i \log \hat y_i + (1 - y_i) \log (1 - \hat y_i) \Big]

— note the brackets around *both* terms and the :math:`1/N`; the popular
``-Σ y log ŷ + (1-y) log(1-ŷ)`` negates only the first term and sums instead of
averaging.

Numerical stability
-------------------
With probabilities, ``log(0)`` is :math:`-\infty`. Like Keras given a bare probability
array, probabilities are clipped to :math:`[\varepsilon, 1-\varepsilon]` with
:math:`\varepsilon = 10^{-7}` in float32 (so a confidently wrong prediction costs about
16.1 nats, not infinity) and the gradient is zero where clipping is active. With
``from_logits=True`` nothing is clipped: the loss is computed from the logit :math:`z` as
:math:`\max(z, 0) - z y + \log(1 + e^{-|z|})`, exact for any :math:`z`.

Keras 3 on TensorFlow clips only bare probability tensors. The output of a ``sigmoid``
(or ``softmax``) activation carries its input, the logits, as ``_keras_logits``, and
``binary_crossentropy`` (``categorical_crossentropy``) uses them instead, unclipped:
training a model whose last layer is ``Dense(1, activation="sigmoid")`` computes the
``from_logits=True`` loss, in ``fit`` and eagerly alike. Anything that makes a new tensor
between the activation and the loss (a reshape, a slice, a NumPy round trip) drops the
logits, and the clipped loss comes back; ``from_logits=True`` with no sigmoid in the
model does not depend on that private attribute.

Each ``*_gradient`` function returns the derivative of the returned (reduced) loss
with respect to each prediction — the probability, or the logit when
``from_logits=True`` — so the ``1/N`` of the mean is included.

Keras loss classes for training sit beside the functions, as in Keras
(``binary_crossentropy`` and ``BinaryCrossentropy``): :class:`DiceLoss`,
:class:`BCEDiceLoss`, :class:`WeightedBinaryCrossentropy` and :class:`FocalLoss`, each
with ``from_logits``. They are imported, with Keras, the first time one is used, so
``import medlab.losses`` stays free of TensorFlow.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike

if TYPE_CHECKING:  # type checkers see the Keras classes; at run time they load lazily
    from medlab._keras_losses import (
        BCEDiceLoss,
        DiceLoss,
        FocalLoss,
        WeightedBinaryCrossentropy,
    )

__all__ = [
    "EPSILON",
    "BCEDiceLoss",
    "DiceLoss",
    "FocalLoss",
    "WeightedBinaryCrossentropy",
    "binary_cross_entropy",
    "binary_cross_entropy_gradient",
    "categorical_cross_entropy",
    "categorical_cross_entropy_gradient",
    "dice_loss",
    "dice_loss_gradient",
    "focal_loss",
    "focal_loss_gradient",
    "log_sigmoid",
    "sigmoid",
    "softmax",
]

#: Keras' fuzz factor, ``keras.config.epsilon()``.
EPSILON = 1e-7
_REDUCTIONS = ("mean", "sum", "none")


# --------------------------------------------------------------------------- helpers


def sigmoid(z: ArrayLike) -> np.ndarray:
    """Logistic sigmoid :math:`1/(1+e^{-z})`, computed without overflow for any z."""
    z = np.asarray(z, dtype=np.float64)
    out = np.empty_like(z)
    pos = z >= 0
    out[pos] = 1.0 / (1.0 + np.exp(-z[pos]))
    ez = np.exp(z[~pos])
    out[~pos] = ez / (1.0 + ez)
    return out


def log_sigmoid(z: ArrayLike) -> np.ndarray:
    r""":math:`\log \sigma(z) = -\log(1+e^{-z})`, exact for large :math:`|z|`."""
    z = np.asarray(z, dtype=np.float64)
    return np.minimum(z, 0.0) - np.log1p(np.exp(-np.abs(z)))


def softmax(z: ArrayLike, axis: int = -1) -> np.ndarray:
    """Softmax along ``axis`` using the log-sum-exp shift (no overflow)."""
    z = np.asarray(z, dtype=np.float64)
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def _log_softmax(z: np.ndarray, axis: int = -1) -> np.ndarray:
    z = np.asarray(z, dtype=np.float64)
    shifted = z - z.max(axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


def _as_pair(y_true, y_pred, name: str) -> tuple[np.ndarray, np.ndarray]:
    yt = np.asarray(y_true, dtype=np.float64)
    yp = np.asarray(y_pred, dtype=np.float64)
    if yt.shape != yp.shape:
        try:
            yt = np.broadcast_to(yt.reshape(yp.shape), yp.shape)
        except ValueError:
            raise ValueError(
                f"{name}: y_true and y_pred must have the same shape, got {yt.shape} and {yp.shape}"
            ) from None
    if yp.size == 0:
        raise ValueError(f"{name}: y_pred is empty")
    if not np.all(np.isfinite(yp)):
        raise ValueError(f"{name}: y_pred contains NaN or infinite values")
    if np.any((yt < 0) | (yt > 1)):
        raise ValueError(f"{name}: y_true must be in [0, 1] (labels or soft labels)")
    return yt, yp


def _check_probabilities(yp: np.ndarray, name: str) -> None:
    if np.any((yp < 0) | (yp > 1)):
        raise ValueError(
            f"{name}: y_pred must be probabilities in [0, 1]; "
            "pass from_logits=True if these are logits (raw scores)"
        )


def _clip(p: np.ndarray, epsilon: float) -> tuple[np.ndarray, np.ndarray]:
    """Clip like Keras (in float32), return the clipped values and where no clipping happened."""
    # The bounds are Keras' float32 ones (1 - 1e-7 rounds to 0.99999988 in float32), so a
    # clipped loss matches Keras; values inside keep their full float64 precision.
    lo = float(np.float32(epsilon))
    hi = float(np.float32(1.0) - np.float32(epsilon))
    inside = (p >= lo) & (p <= hi)
    return np.clip(p, lo, hi), inside


def _reduce(values: np.ndarray, reduction: str, name: str):
    if reduction == "mean":
        return float(values.mean())
    if reduction == "sum":
        return float(values.sum())
    if reduction == "none":
        return values
    raise ValueError(f"{name}: reduction must be one of {_REDUCTIONS}, got {reduction!r}")


def _reduce_grad(grad: np.ndarray, reduction: str, name: str) -> np.ndarray:
    if reduction == "mean":
        return grad / grad.size
    if reduction in ("sum", "none"):
        return grad
    raise ValueError(f"{name}: reduction must be one of {_REDUCTIONS}, got {reduction!r}")


def _class_weights(yt: np.ndarray, class_weight) -> np.ndarray | float:
    if class_weight is None:
        return 1.0
    if isinstance(class_weight, Mapping):
        unknown = set(class_weight) - {0, 1}
        if unknown:
            raise ValueError(f"class_weight keys must be 0 and 1, got {sorted(class_weight)}")
        w0, w1 = float(class_weight.get(0, 1.0)), float(class_weight.get(1, 1.0))
    else:
        w0, w1 = (float(w) for w in class_weight)
    if w0 < 0 or w1 < 0:
        raise ValueError(f"class weights must be non-negative, got {w0}, {w1}")
    # soft labels interpolate between the two weights; hard labels pick one
    return yt * w1 + (1.0 - yt) * w0


# --------------------------------------------------------------------------- binary CE


def _bce_elementwise(yt, yp, from_logits, epsilon):
    if from_logits:
        # log(1 + e^{-|z|}) + max(z, 0) - z·y  ==  -[y log σ(z) + (1-y) log(1-σ(z))]
        return np.maximum(yp, 0.0) - yp * yt + np.log1p(np.exp(-np.abs(yp)))
    p, _ = _clip(yp, epsilon)
    return -(yt * np.log(p) + (1.0 - yt) * np.log(1.0 - p))


def binary_cross_entropy(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    *,
    from_logits: bool = False,
    class_weight: Mapping[int, float] | tuple[float, float] | None = None,
    reduction: str = "mean",
    epsilon: float = EPSILON,
) -> float | np.ndarray:
    r"""Binary cross-entropy, the negative log-likelihood of Bernoulli labels.

    .. math::

        L = -\frac{1}{N}\sum_i w_{y_i}\,\big[y_i \log \hat y_i + (1-y_i)\log(1-\hat y_i)\big]

    Parameters
    ----------
    y_true : array_like
        Labels in {0, 1} (or soft labels in [0, 1]), any shape.
    y_pred : array_like
        Predicted probabilities of class 1, or logits if ``from_logits=True``;
        same shape as ``y_true``.
    from_logits : bool
        Treat ``y_pred`` as logits :math:`z` with :math:`\hat y = \sigma(z)`; exact for
        any :math:`z` (no clipping).
    class_weight : dict or tuple, optional
        ``{0: w0, 1: w1}``: multiply each sample's loss by the weight of its class
        (as ``class_weight`` in ``keras.Model.fit``; the mean still divides by N).
    reduction : {"mean", "sum", "none"}
        Mean over all elements (default, as Keras), their sum, or the per-element losses.
    epsilon : float
        Probabilities are clipped to ``[epsilon, 1 - epsilon]`` (in float32, as Keras
        clips a bare probability tensor).

    Returns
    -------
    float or numpy.ndarray
        The loss in nats.

    Raises
    ------
    ValueError
        Shapes differ, labels outside [0, 1], probabilities outside [0, 1] (without
        ``from_logits``), NaN/inf predictions, or an empty input.

    Examples
    --------
    >>> round(binary_cross_entropy([1, 0], [0.9, 0.2]), 6)  # -(log .9 + log .8) / 2
    0.164252
    """
    yt, yp = _as_pair(y_true, y_pred, "binary_cross_entropy")
    if not from_logits:
        _check_probabilities(yp, "binary_cross_entropy")
    values = _class_weights(yt, class_weight) * _bce_elementwise(yt, yp, from_logits, epsilon)
    return _reduce(values, reduction, "binary_cross_entropy")


def binary_cross_entropy_gradient(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    *,
    from_logits: bool = False,
    class_weight: Mapping[int, float] | tuple[float, float] | None = None,
    reduction: str = "mean",
    epsilon: float = EPSILON,
) -> np.ndarray:
    r"""Gradient of :func:`binary_cross_entropy` with respect to each prediction.

    For one sample, :math:`\partial \ell / \partial \hat y = (\hat y - y) / (\hat y (1 - \hat y))`;
    with logits the chain rule through :math:`\sigma` cancels the denominator and leaves
    the famous :math:`\partial \ell / \partial z = \sigma(z) - y`. With
    ``reduction="mean"`` each entry is divided by N. Where a probability was clipped
    the gradient is 0 (as automatic differentiation through the clip gives).

    Returns
    -------
    numpy.ndarray
        float64 array shaped like ``y_pred``.
    """
    yt, yp = _as_pair(y_true, y_pred, "binary_cross_entropy_gradient")
    w = _class_weights(yt, class_weight)
    if from_logits:
        grad = sigmoid(yp) - yt
    else:
        _check_probabilities(yp, "binary_cross_entropy_gradient")
        p, inside = _clip(yp, epsilon)
        grad = np.where(inside, (p - yt) / (p * (1.0 - p)), 0.0)
    return _reduce_grad(w * grad, reduction, "binary_cross_entropy_gradient")


# --------------------------------------------------------------------------- categorical CE


def _as_categorical(y_true, y_pred, name: str):
    yp = np.asarray(y_pred, dtype=np.float64)
    if yp.ndim < 1 or yp.shape[-1] < 2:
        raise ValueError(f"{name}: y_pred must have a class axis last, got shape {yp.shape}")
    yt = np.asarray(y_true)
    if yt.shape == yp.shape[:-1] and np.issubdtype(yt.dtype, np.integer):
        k = yp.shape[-1]
        if yt.size and (yt.min() < 0 or yt.max() >= k):
            raise ValueError(f"{name}: integer labels must be in [0, {k - 1}]")
        yt = np.eye(k)[yt]
    yt = np.asarray(yt, dtype=np.float64)
    if yt.shape != yp.shape:
        raise ValueError(
            f"{name}: y_true must be one-hot with shape {yp.shape} or integer labels with shape "
            f"{yp.shape[:-1]}, got {np.asarray(y_true).shape}"
        )
    if not np.all(np.isfinite(yp)):
        raise ValueError(f"{name}: y_pred contains NaN or infinite values")
    return yt, yp


def categorical_cross_entropy(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    *,
    from_logits: bool = False,
    reduction: str = "mean",
    epsilon: float = EPSILON,
) -> float | np.ndarray:
    r"""Categorical cross-entropy for K classes.

    .. math::

        L = -\frac{1}{N}\sum_i \sum_k y_{ik} \log \hat y_{ik}

    Parameters
    ----------
    y_true : array_like
        One-hot labels of shape (N, K) (or soft labels), or integer labels of shape (N,).
    y_pred : array_like
        Probabilities of shape (N, K) (each row is re-normalised to sum to 1, then clipped,
        as Keras does), or logits with ``from_logits=True`` (log-softmax with the
        log-sum-exp shift: exact for any logits).
    from_logits : bool
        ``y_pred`` holds logits.
    reduction : {"mean", "sum", "none"}
        Mean over samples, sum, or per-sample losses of shape (N,).
    epsilon : float
        Clipping of probabilities.

    Returns
    -------
    float or numpy.ndarray
    """
    yt, yp = _as_categorical(y_true, y_pred, "categorical_cross_entropy")
    if from_logits:
        log_p = _log_softmax(yp)
    else:
        if np.any(yp < 0):
            raise ValueError(
                "categorical_cross_entropy: probabilities must be >= 0; pass from_logits=True "
                "for logits"
            )
        p, _ = _clip(yp / yp.sum(axis=-1, keepdims=True), epsilon)
        log_p = np.log(p)
    values = -(yt * log_p).sum(axis=-1)
    return _reduce(values, reduction, "categorical_cross_entropy")


def categorical_cross_entropy_gradient(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    *,
    from_logits: bool = False,
    reduction: str = "mean",
    epsilon: float = EPSILON,
) -> np.ndarray:
    r"""Gradient of :func:`categorical_cross_entropy` w.r.t. each probability or logit.

    With logits, :math:`\partial \ell/\partial z_k = \mathrm{softmax}(z)_k - y_k`.
    With probabilities, the loss first re-normalises each row, :math:`q_k = \hat y_k / S`
    with :math:`S = \sum_j \hat y_j`, so
    :math:`\partial \ell/\partial \hat y_k = -y_k / \hat y_k + (\sum_j y_j) / S`;
    on a row that already sums to 1 with one-hot labels that is :math:`-y_k/\hat y_k + 1`.
    Entries whose normalised probability was clipped get 0. With ``reduction="mean"``
    each entry is divided by the number of samples N.
    """
    yt, yp = _as_categorical(y_true, y_pred, "categorical_cross_entropy_gradient")
    if from_logits:
        grad = softmax(yp) - yt
    else:
        total = yp.sum(axis=-1, keepdims=True)
        q, inside = _clip(yp / total, epsilon)
        # d/dŷ_k of -Σ_j y_j log(ŷ_j / S): the direct term and the normaliser's term
        direct = np.where(inside, -yt / (q * total), 0.0)
        through_sum = (yt * inside).sum(axis=-1, keepdims=True) / total
        grad = direct + through_sum
    if reduction == "mean":
        return grad / int(np.prod(yp.shape[:-1]))
    return _reduce_grad(grad, reduction, "categorical_cross_entropy_gradient")


# --------------------------------------------------------------------------- focal loss


def _focal_parts(yt, yp, gamma, alpha, from_logits, epsilon):
    p = sigmoid(yp) if from_logits else yp
    bce = _bce_elementwise(yt, yp, from_logits, epsilon)
    p_t = yt * p + (1.0 - yt) * (1.0 - p)
    weight = 1.0 if alpha is None else yt * alpha + (1.0 - yt) * (1.0 - alpha)
    return p, bce, p_t, weight


def focal_loss(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    *,
    gamma: float = 2.0,
    alpha: float | None = None,
    from_logits: bool = False,
    reduction: str = "mean",
    epsilon: float = EPSILON,
) -> float | np.ndarray:
    r"""Binary focal loss (Lin et al., 2017): cross-entropy that down-weights easy examples.

    .. math::

        L = \frac{1}{N}\sum_i \alpha_{t,i}(1 - p_{t,i})^{\gamma}\,\ell_{\mathrm{BCE}},
        \qquad p_t = y\hat y + (1-y)(1-\hat y)

    Parameters
    ----------
    y_true, y_pred : array_like
        As :func:`binary_cross_entropy`.
    gamma : float
        Focusing parameter, :math:`\gamma \ge 0`; 0 gives plain (weighted) BCE.
    alpha : float, optional
        Class balancing: weight ``alpha`` for positives and ``1 - alpha`` for negatives
        (Keras' ``apply_class_balancing=True, alpha=alpha``); ``None`` for no balancing.
    from_logits : bool
        ``y_pred`` holds logits. The BCE factor is then computed exactly from the logits
        (as Keras' ``BinaryFocalCrossentropy(from_logits=True)`` does on TensorFlow: its
        sigmoid keeps the logits for the cross-entropy).
    reduction : {"mean", "sum", "none"}
    epsilon : float

    Returns
    -------
    float or numpy.ndarray

    References
    ----------
    .. [1] T.-Y. Lin, P. Goyal, R. Girshick, K. He, P. Dollár, "Focal Loss for Dense Object
       Detection", ICCV 2017, arXiv:1708.02002.
    """
    if gamma < 0:
        raise ValueError(f"focal_loss: gamma must be >= 0, got {gamma}")
    if alpha is not None and not 0 <= alpha <= 1:
        raise ValueError(f"focal_loss: alpha must be in [0, 1], got {alpha}")
    yt, yp = _as_pair(y_true, y_pred, "focal_loss")
    if not from_logits:
        _check_probabilities(yp, "focal_loss")
    _, bce, p_t, weight = _focal_parts(yt, yp, gamma, alpha, from_logits, epsilon)
    values = weight * np.power(1.0 - p_t, gamma) * bce
    return _reduce(values, reduction, "focal_loss")


def focal_loss_gradient(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    *,
    gamma: float = 2.0,
    alpha: float | None = None,
    from_logits: bool = False,
    reduction: str = "mean",
    epsilon: float = EPSILON,
) -> np.ndarray:
    r"""Gradient of :func:`focal_loss` w.r.t. each probability (or logit).

    By the product rule, with :math:`\partial p_t/\partial \hat y = 2y - 1`:

    .. math::

        \frac{\partial \ell}{\partial \hat y} = \alpha_t\Big[-\gamma(1-p_t)^{\gamma-1}(2y-1)\,
        \ell_{\mathrm{BCE}} + (1-p_t)^{\gamma}\,\frac{\hat y - y}{\hat y(1-\hat y)}\Big]

    and :math:`\partial \ell/\partial z = \partial \ell/\partial \hat y \cdot \hat y(1-\hat y)`.
    """
    yt, yp = _as_pair(y_true, y_pred, "focal_loss_gradient")
    if not from_logits:
        _check_probabilities(yp, "focal_loss_gradient")
    p, bce, p_t, weight = _focal_parts(yt, yp, gamma, alpha, from_logits, epsilon)
    one_minus = 1.0 - p_t
    with np.errstate(divide="ignore", invalid="ignore"):
        d_factor = np.where(
            one_minus > 0, gamma * np.power(one_minus, gamma - 1.0), 0.0 if gamma > 1 else gamma
        )
    d_pt = 2.0 * yt - 1.0
    if from_logits:
        # d bce/dz = p - y; d p/dz = p(1-p)
        grad = -d_factor * d_pt * p * (1.0 - p) * bce + np.power(one_minus, gamma) * (p - yt)
    else:
        pc, inside = _clip(yp, epsilon)
        d_bce = np.where(inside, (pc - yt) / (pc * (1.0 - pc)), 0.0)
        grad = -d_factor * d_pt * bce + np.power(one_minus, gamma) * d_bce
    return _reduce_grad(weight * grad, reduction, "focal_loss_gradient")


# --------------------------------------------------------------------------- Dice loss


def _dice_inputs(y_true, y_pred, from_logits, name):
    yt, yp = _as_pair(y_true, y_pred, name)
    p = sigmoid(yp) if from_logits else yp
    if not from_logits:
        _check_probabilities(p, name)
    if p.ndim < 2:
        p, yt = p[None], yt[None]
    n = p.shape[0]
    return yt.reshape(n, -1), p.reshape(n, -1)


def dice_loss(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    *,
    smooth: float = 1.0,
    per_sample: bool = True,
    from_logits: bool = False,
    reduction: str = "mean",
) -> float | np.ndarray:
    r"""Soft Dice loss for binary segmentation.

    .. math::

        \ell = 1 - \frac{2\sum_j y_j \hat y_j + s}{\sum_j y_j + \sum_j \hat y_j + s}

    computed per sample (over all pixels of that sample) and averaged over samples.

    Parameters
    ----------
    y_true : array_like
        Masks in {0, 1}, shape (N, ...) — the first axis is the sample axis. A single
        mask without a sample axis is treated as N = 1 only if it is 1D.
    y_pred : array_like
        Predicted foreground probabilities (or logits with ``from_logits=True``).
    smooth : float
        Smoothing :math:`s` added to numerator and denominator: an empty prediction of an
        empty mask then scores a perfect 0 loss, and gradients stay finite.
    per_sample : bool
        ``True``: one Dice per sample, then the mean (each image counts equally).
        ``False``: one Dice over the whole batch (as ``keras.losses.dice`` with
        ``axis=None``).
    from_logits : bool
    reduction : {"mean", "sum", "none"}
        Over samples (ignored when ``per_sample=False``).

    Returns
    -------
    float or numpy.ndarray
    """
    if smooth < 0:
        raise ValueError(f"dice_loss: smooth must be >= 0, got {smooth}")
    yt, p = _dice_inputs(y_true, y_pred, from_logits, "dice_loss")
    if not per_sample:
        yt, p = yt.reshape(1, -1), p.reshape(1, -1)
    inter = (yt * p).sum(axis=1)
    denom = yt.sum(axis=1) + p.sum(axis=1) + smooth
    with np.errstate(divide="ignore", invalid="ignore"):
        dice = np.where(denom > 0, (2.0 * inter + smooth) / denom, 1.0)
    values = 1.0 - dice
    if not per_sample:
        return float(values[0])
    return _reduce(values, reduction, "dice_loss")


def dice_loss_gradient(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    *,
    smooth: float = 1.0,
    from_logits: bool = False,
    reduction: str = "mean",
) -> np.ndarray:
    r"""Gradient of the per-sample :func:`dice_loss` w.r.t. each prediction.

    With :math:`I = \sum y\hat y` and :math:`D = \sum y + \sum \hat y + s`,
    :math:`\partial \ell / \partial \hat y_j = -\big(2y_j D - (2I + s)\big)/D^2`.
    """
    shape = np.shape(y_pred)
    yt, p = _dice_inputs(y_true, y_pred, from_logits, "dice_loss_gradient")
    inter = (yt * p).sum(axis=1, keepdims=True)
    denom = yt.sum(axis=1, keepdims=True) + p.sum(axis=1, keepdims=True) + smooth
    grad = -(2.0 * yt * denom - (2.0 * inter + smooth)) / denom**2
    if from_logits:
        grad = grad * p * (1.0 - p)
    if reduction == "mean":
        grad = grad / p.shape[0]
    elif reduction not in ("sum", "none"):
        raise ValueError(f"dice_loss_gradient: reduction must be one of {_REDUCTIONS}")
    return grad.reshape(shape)


# --------------------------------------------------------------------------- Keras versions

#: Keras loss classes, defined in :mod:`medlab._keras_losses` and imported (with Keras)
#: the first time one of these names is looked up on this module.
_KERAS_CLASSES = ("BCEDiceLoss", "DiceLoss", "FocalLoss", "WeightedBinaryCrossentropy")


def __getattr__(name: str) -> Any:
    if name in _KERAS_CLASSES:
        from medlab import _keras_losses

        value = getattr(_keras_losses, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'medlab.losses' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_KERAS_CLASSES))
