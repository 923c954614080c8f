"""Keras loss classes beside MedLab's NumPy losses (imported on first use, with Keras).

Reached as ``medlab.losses.DiceLoss`` and so on: :mod:`medlab.losses` imports this
module only when one of these names is first used, so ``import medlab.losses`` stays
free of TensorFlow. Each class computes the same value as its NumPy function (the
tests put them side by side), as Keras pairs ``binary_crossentropy`` with
``BinaryCrossentropy``:

=============================  =====================================================
class (Keras, for training)    NumPy reference (what the lessons derive)
=============================  =====================================================
``DiceLoss``                   :func:`medlab.losses.dice_loss`
``BCEDiceLoss``                ``binary_cross_entropy`` (per sample) + ``dice_loss``
``WeightedBinaryCrossentropy``  :func:`medlab.losses.binary_cross_entropy` with
                               ``class_weight``
``FocalLoss``                  :func:`medlab.losses.focal_loss`
=============================  =====================================================

Every class takes ``from_logits``: with ``True`` the model's last layer has no
sigmoid and the loss applies it (more stable); with ``False`` it expects probabilities.
"""

from __future__ import annotations

from collections.abc import Mapping

from medlab._keras import import_keras

keras = import_keras()
ops = keras.ops

__all__ = ["BCEDiceLoss", "DiceLoss", "FocalLoss", "WeightedBinaryCrossentropy"]


def _flatten_per_sample(y_true, y_pred):
    y_pred = ops.convert_to_tensor(y_pred)
    y_true = ops.cast(y_true, y_pred.dtype)
    n = ops.shape(y_pred)[0]
    return ops.reshape(y_true, (n, -1)), ops.reshape(y_pred, (n, -1))


@keras.saving.register_keras_serializable(package="medlab")
class DiceLoss(keras.losses.Loss):
    """Per-sample soft Dice loss, ``1 - (2Σyŷ + s) / (Σy + Σŷ + s)``, averaged over the batch.

    Parameters
    ----------
    smooth : float
        The smoothing term ``s`` (default 1), which keeps empty masks finite.
    from_logits : bool
        ``True`` if ``y_pred`` are logits (a sigmoid is applied first).
    name : str
        Loss name shown in training logs.

    See Also
    --------
    medlab.losses.dice_loss : the NumPy reference (same value).
    """

    def __init__(self, smooth=1.0, from_logits=False, name="dice_loss", **kwargs):
        super().__init__(name=name, **kwargs)
        self.smooth = float(smooth)
        self.from_logits = bool(from_logits)

    def call(self, y_true, y_pred):
        if self.from_logits:
            y_pred = ops.sigmoid(y_pred)
        yt, yp = _flatten_per_sample(y_true, y_pred)
        inter = ops.sum(yt * yp, axis=1)
        denom = ops.sum(yt, axis=1) + ops.sum(yp, axis=1) + self.smooth
        return 1.0 - (2.0 * inter + self.smooth) / denom

    def get_config(self):
        return {**super().get_config(), "smooth": self.smooth, "from_logits": self.from_logits}


@keras.saving.register_keras_serializable(package="medlab")
class BCEDiceLoss(keras.losses.Loss):
    """``bce_weight × BCE + dice_weight × Dice`` per sample, a common segmentation loss.

    The BCE term is the mean binary cross-entropy over the sample's pixels; the Dice
    term is :class:`DiceLoss`.

    Parameters
    ----------
    smooth : float
        Dice smoothing term (default 1).
    bce_weight, dice_weight : float
        Weights of the two terms (default 1 and 1).
    from_logits : bool
        ``True`` if ``y_pred`` are logits.
    name : str
        Loss name shown in training logs.
    """

    def __init__(
        self,
        smooth=1.0,
        bce_weight=1.0,
        dice_weight=1.0,
        from_logits=False,
        name="bce_dice_loss",
        **kwargs,
    ):
        super().__init__(name=name, **kwargs)
        self.smooth = float(smooth)
        self.bce_weight, self.dice_weight = float(bce_weight), float(dice_weight)
        self.from_logits = bool(from_logits)
        self._dice = DiceLoss(smooth=smooth, from_logits=from_logits)

    def call(self, y_true, y_pred):
        # Cross-entropy on y_pred as it came, reshaped only afterwards: on TensorFlow a
        # sigmoid output carries its logits, which Keras then uses instead of clipping the
        # probabilities (a reshaped tensor would lose them, and with them the gradient of a
        # saturated, confidently wrong pixel).
        y_pred = ops.convert_to_tensor(y_pred)
        elementwise = ops.binary_crossentropy(
            ops.cast(y_true, y_pred.dtype), y_pred, from_logits=self.from_logits
        )
        bce = ops.mean(ops.reshape(elementwise, (ops.shape(elementwise)[0], -1)), axis=1)
        return self.bce_weight * bce + self.dice_weight * self._dice.call(y_true, y_pred)

    def get_config(self):
        return {
            **super().get_config(),
            "smooth": self.smooth,
            "bce_weight": self.bce_weight,
            "dice_weight": self.dice_weight,
            "from_logits": self.from_logits,
        }


@keras.saving.register_keras_serializable(package="medlab")
class WeightedBinaryCrossentropy(keras.losses.Loss):
    """Binary cross-entropy with a weight per class: ``w1`` on positives, ``w0`` on negatives.

    The same as passing ``class_weight`` to ``fit``, but part of the model, so it also
    applies in ``evaluate``.

    Parameters
    ----------
    class_weight : mapping of {0, 1} to float, optional
        ``{0: w0, 1: w1}``; a missing class has weight 1.
    from_logits : bool
        ``True`` if ``y_pred`` are logits.
    name : str
        Loss name shown in training logs.
    w0, w1 : float, optional
        The weights given directly (used when the loss is restored from its config).

    See Also
    --------
    medlab.losses.binary_cross_entropy : the NumPy reference, with ``class_weight``.
    """

    def __init__(
        self,
        class_weight: Mapping[int, float] | None = None,
        from_logits=False,
        name="weighted_binary_crossentropy",
        w0=None,
        w1=None,
        **kwargs,
    ):
        super().__init__(name=name, **kwargs)
        class_weight = dict(class_weight or {})
        self.w0 = float(w0 if w0 is not None else class_weight.get(0, 1.0))
        self.w1 = float(w1 if w1 is not None else class_weight.get(1, 1.0))
        self.from_logits = bool(from_logits)

    def call(self, y_true, y_pred):
        y_pred = ops.convert_to_tensor(y_pred)
        y_true = ops.cast(y_true, y_pred.dtype)
        bce = ops.binary_crossentropy(y_true, y_pred, from_logits=self.from_logits)
        weight = y_true * self.w1 + (1.0 - y_true) * self.w0
        return ops.mean(weight * bce, axis=-1)

    def get_config(self):
        return {
            **super().get_config(),
            "w0": self.w0,
            "w1": self.w1,
            "from_logits": self.from_logits,
        }


@keras.saving.register_keras_serializable(package="medlab")
class FocalLoss(keras.losses.BinaryFocalCrossentropy):
    """Binary focal loss configured like :func:`medlab.losses.focal_loss`.

    ``keras.losses.BinaryFocalCrossentropy`` with class balancing switched on exactly
    when ``alpha`` is given (MedLab's convention: ``alpha=None`` means no balancing).

    Parameters
    ----------
    gamma : float
        Focusing parameter (default 2; 0 gives plain cross-entropy).
    alpha : float, optional
        Weight of the positive class in (0, 1); ``None`` (default) for none.
    from_logits : bool
        ``True`` if ``y_pred`` are logits.
    name : str
        Loss name shown in training logs.
    """

    def __init__(self, gamma=2.0, alpha=None, from_logits=False, name="focal_loss", **kwargs):
        kwargs.pop("apply_class_balancing", None)
        super().__init__(
            apply_class_balancing=alpha is not None,
            alpha=0.25 if alpha is None else float(alpha),
            gamma=float(gamma),
            from_logits=from_logits,
            name=name,
            **kwargs,
        )
        self.focal_alpha = None if alpha is None else float(alpha)

    def get_config(self):
        config = super().get_config()
        config["alpha"] = self.focal_alpha
        config.pop("apply_class_balancing", None)
        return config
