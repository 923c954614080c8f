"""Evaluation metrics for classification and segmentation.

Classification (binary labels 0/1): :func:`confusion_matrix`, :func:`accuracy`,
:func:`sensitivity` (recall, true-positive rate), :func:`specificity` (true-negative
rate), :func:`ppv` (precision), :func:`npv`, :func:`roc_curve`, :func:`roc_auc`,
:func:`classification_report`.

Segmentation (boolean masks of any shape): :func:`dice`, :func:`iou`, and
:func:`hausdorff_distance_mm`.

Every metric has a defined answer when its denominator is zero: two empty masks
agree perfectly (Dice = IoU = 1 by default, set by ``empty=``); a rate with no
cases to count (sensitivity with no positives) is NaN, with a warning, because there
is nothing to measure. ``roc_curve`` and ``roc_auc`` agree with scikit-learn.
"""

from __future__ import annotations

import warnings

import numpy as np
from numpy.typing import ArrayLike

__all__ = [
    "accuracy",
    "classification_report",
    "confusion_matrix",
    "dice",
    "hausdorff_distance_mm",
    "iou",
    "npv",
    "ppv",
    "roc_auc",
    "roc_curve",
    "sensitivity",
    "specificity",
]


# --------------------------------------------------------------------------- classification


def _binary_labels(y, name: str) -> np.ndarray:
    a = np.asarray(y)
    if a.dtype == bool:
        return a.astype(np.int64).ravel()
    if a.size and not np.all(np.isin(a, (0, 1))):
        raise ValueError(
            f"{name} must hold binary labels 0/1 (threshold scores first, e.g. scores >= 0.5); "
            f"found values {np.unique(a)[:5]}"
        )
    return a.astype(np.int64).ravel()


def _pair(y_true, y_pred):
    t = _binary_labels(y_true, "y_true")
    p = _binary_labels(y_pred, "y_pred")
    if t.shape != p.shape:
        raise ValueError(f"y_true and y_pred differ in length: {t.size} and {p.size}")
    return t, p


def confusion_matrix(y_true: ArrayLike, y_pred: ArrayLike) -> np.ndarray:
    """Binary confusion matrix in scikit-learn's order.

    Parameters
    ----------
    y_true, y_pred : array_like
        Binary labels (0 negative, 1 positive), same length.

    Returns
    -------
    numpy.ndarray
        ``[[TN, FP], [FN, TP]]`` (rows: truth, columns: prediction), int64.
    """
    t, p = _pair(y_true, y_pred)
    tp = int(np.sum((t == 1) & (p == 1)))
    tn = int(np.sum((t == 0) & (p == 0)))
    fp = int(np.sum((t == 0) & (p == 1)))
    fn = int(np.sum((t == 1) & (p == 0)))
    return np.array([[tn, fp], [fn, tp]], dtype=np.int64)


def _rate(num: int, den: int, name: str) -> float:
    if den == 0:
        warnings.warn(
            f"{name} is undefined (no cases in its denominator); returning NaN",
            RuntimeWarning,
            stacklevel=3,
        )
        return float("nan")
    return num / den


def accuracy(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    """Fraction of correct predictions."""
    t, p = _pair(y_true, y_pred)
    return _rate(int(np.sum(t == p)), t.size, "accuracy")


def sensitivity(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    """Sensitivity (recall, true-positive rate) = TP / (TP + FN): the sick patients found."""
    (_tn, _fp), (fn, tp) = confusion_matrix(y_true, y_pred)
    return _rate(tp, tp + fn, "sensitivity")


def specificity(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    """Specificity (true-negative rate) = TN / (TN + FP): how many healthy patients are cleared."""
    (tn, fp), _ = confusion_matrix(y_true, y_pred)
    return _rate(tn, tn + fp, "specificity")


def ppv(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    """Positive predictive value (precision) = TP / (TP + FP)."""
    (_tn, fp), (_fn, tp) = confusion_matrix(y_true, y_pred)
    return _rate(tp, tp + fp, "PPV")


def npv(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    """Negative predictive value = TN / (TN + FN)."""
    (tn, _fp), (fn, _tp) = confusion_matrix(y_true, y_pred)
    return _rate(tn, tn + fn, "NPV")


def _scores(y_true, scores):
    t = _binary_labels(y_true, "y_true")
    s = np.asarray(scores, dtype=np.float64).ravel()
    if s.shape != t.shape:
        raise ValueError(f"y_true and scores differ in length: {t.size} and {s.size}")
    if not np.all(np.isfinite(s)):
        raise ValueError("scores contain NaN or infinite values")
    if t.min(initial=1) == t.max(initial=0):
        raise ValueError("ROC needs both classes in y_true; found only one")
    return t, s


def roc_curve(
    y_true: ArrayLike, scores: ArrayLike, *, drop_intermediate: bool = True
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Receiver operating characteristic curve.

    Each distinct score is a threshold: predict positive when ``score >= threshold``.

    Parameters
    ----------
    y_true : array_like
        Binary labels.
    scores : array_like
        Higher means more likely positive (probabilities or logits).
    drop_intermediate : bool
        Drop thresholds that lie on straight segments of the curve (as scikit-learn).

    Returns
    -------
    fpr, tpr, thresholds : numpy.ndarray
        False- and true-positive rates for decreasing thresholds; the first threshold is
        ``inf`` (nothing predicted positive), as in scikit-learn ≥ 1.3.
    """
    t, s = _scores(y_true, scores)
    order = np.argsort(-s, kind="mergesort")
    s, t = s[order], t[order]
    distinct = np.where(np.diff(s))[0]
    ends = np.r_[distinct, t.size - 1]
    tps = np.cumsum(t)[ends]
    fps = (ends + 1) - tps
    thresholds = s[ends]
    if drop_intermediate and tps.size > 2:
        keep = np.where(np.r_[True, np.logical_or(np.diff(fps, 2), np.diff(tps, 2)), True])[0]
        tps, fps, thresholds = tps[keep], fps[keep], thresholds[keep]
    tps = np.r_[0, tps]
    fps = np.r_[0, fps]
    thresholds = np.r_[np.inf, thresholds]
    return fps / fps[-1], tps / tps[-1], thresholds


def roc_auc(y_true: ArrayLike, scores: ArrayLike) -> float:
    """Area under the ROC curve (trapezoidal rule), equal to scikit-learn's ``roc_auc_score``.

    It is also the probability that a random positive scores higher than a random
    negative (ties count one half).
    """
    fpr, tpr, _ = roc_curve(y_true, scores, drop_intermediate=False)
    return float(np.trapezoid(tpr, fpr))


def classification_report(
    y_true: ArrayLike, scores: ArrayLike, threshold: float = 0.5
) -> dict[str, float]:
    """All binary metrics at one threshold, plus the AUC.

    Returns
    -------
    dict
        ``accuracy, sensitivity, specificity, ppv, npv, auc, threshold, tn, fp, fn, tp``.
    """
    s = np.asarray(scores, dtype=np.float64).ravel()
    pred = (s >= threshold).astype(int)
    (tn, fp), (fn, tp) = confusion_matrix(y_true, pred)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return {
            "accuracy": accuracy(y_true, pred),
            "sensitivity": sensitivity(y_true, pred),
            "specificity": specificity(y_true, pred),
            "ppv": ppv(y_true, pred),
            "npv": npv(y_true, pred),
            "auc": roc_auc(y_true, s),
            "threshold": float(threshold),
            "tn": int(tn),
            "fp": int(fp),
            "fn": int(fn),
            "tp": int(tp),
        }


# --------------------------------------------------------------------------- segmentation


def _masks(y_true, y_pred):
    a = np.asarray(y_true)
    b = np.asarray(y_pred)
    if a.shape != b.shape:
        raise ValueError(f"masks differ in shape: {a.shape} and {b.shape}")
    for name, m in (("y_true", a), ("y_pred", b)):
        if m.dtype != bool and m.size and not np.all(np.isin(m, (0, 1))):
            raise ValueError(
                f"{name} must be a binary mask (bool or 0/1); threshold probabilities first "
                "(e.g. y_pred >= 0.5)"
            )
    return a.astype(bool), b.astype(bool)


def dice(y_true: ArrayLike, y_pred: ArrayLike, *, empty: float = 1.0) -> float:
    """Dice similarity coefficient, 2|A∩B| / (|A| + |B|).

    Parameters
    ----------
    y_true, y_pred : array_like
        Binary masks of the same shape (bool or 0/1): the reference and the prediction.
    empty : float
        The value when both masks are empty (default 1: they agree perfectly).

    Returns
    -------
    float
        In [0, 1].
    """
    a, b = _masks(y_true, y_pred)
    total = int(a.sum()) + int(b.sum())
    if total == 0:
        return float(empty)
    return 2.0 * int(np.logical_and(a, b).sum()) / total


def iou(y_true: ArrayLike, y_pred: ArrayLike, *, empty: float = 1.0) -> float:
    """Intersection over union (Jaccard index), |A∩B| / |A∪B|; ``empty`` when both are empty.

    Related to Dice by IoU = Dice / (2 − Dice).
    """
    a, b = _masks(y_true, y_pred)
    union = int(np.logical_or(a, b).sum())
    if union == 0:
        return float(empty)
    return int(np.logical_and(a, b).sum()) / union


def hausdorff_distance_mm(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    spacing: tuple[float, ...] | None = None,
    *,
    percentile: float = 100.0,
) -> float:
    """Symmetric Hausdorff distance between the two masks' surfaces, in mm.

    Parameters
    ----------
    y_true, y_pred : array_like
        Binary masks: the reference and the prediction.
    spacing : tuple of float, optional
        Pixel/voxel size in mm per axis (default 1).
    percentile : float
        100 for the classical (maximum) distance, 95 for the robust HD95.

    Returns
    -------
    float
        0 when both are empty, ``inf`` when exactly one is empty.
    """
    from scipy import ndimage

    a, b = _masks(y_true, y_pred)
    if not a.any() and not b.any():
        return 0.0
    if not a.any() or not b.any():
        return float("inf")
    spacing = (1.0,) * a.ndim if spacing is None else tuple(float(s) for s in spacing)

    def surface(m):
        return m & ~ndimage.binary_erosion(m)

    sa, sb = surface(a), surface(b)
    da = ndimage.distance_transform_edt(~sb, sampling=spacing)[sa]
    db = ndimage.distance_transform_edt(~sa, sampling=spacing)[sb]
    return float(np.percentile(np.r_[da, db], percentile))
