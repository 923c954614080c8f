"""Keras implementations of MedLab's losses (imported only when a Keras loss is requested)."""

from __future__ import annotations

import keras
from keras import ops


def _flatten_per_sample(y_true, y_pred):
    y_pred = ops.convert_to_tensor(y_pred)
    y_true = ops.cast(y_true, y_pred.dtype)
    n = ops.shape(y_pred)[0]
    return ops.reshape(y_true, (n, -1)), ops.reshape(y_pred, (n, -1))


@keras.saving.register_keras_serializable(package="medlab")
class DiceLoss(keras.losses.Loss):
    """Per-sample soft Dice loss: ``1 - (2Σyŷ + s) / (Σy + Σŷ + s)``."""

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
    """Weighted sum of per-sample binary cross-entropy (mean over pixels) and soft Dice."""

    def __init__(self, smooth=1.0, bce_weight=1.0, dice_weight=1.0, name="bce_dice_loss", **kw):
        super().__init__(name=name, **kw)
        self.smooth, self.bce_weight, self.dice_weight = float(smooth), bce_weight, dice_weight
        self._dice = DiceLoss(smooth=smooth)

    def call(self, y_true, y_pred):
        yt, yp = _flatten_per_sample(y_true, y_pred)
        bce = ops.mean(ops.binary_crossentropy(yt, yp), axis=1)
        return self.bce_weight * bce + self.dice_weight * self._dice.call(y_true, y_pred)

    def get_config(self):
        return {
            **super().get_config(),
            "smooth": self.smooth,
            "bce_weight": self.bce_weight,
            "dice_weight": self.dice_weight,
        }


@keras.saving.register_keras_serializable(package="medlab")
class WeightedBCE(keras.losses.Loss):
    """Binary cross-entropy with per-class weights w0 (negatives) and w1 (positives)."""

    def __init__(self, w0=1.0, w1=1.0, from_logits=False, name="weighted_bce", **kwargs):
        super().__init__(name=name, **kwargs)
        self.w0, self.w1, self.from_logits = float(w0), float(w1), bool(from_logits)

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
