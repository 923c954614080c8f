"""Evaluation metrics for classification and segmentation.

Classification (binary labels 0/1): :func:`confusion_matrix`, :func:`accuracy`,
:func:`sensitivity` (recall, true-positive rate), :func:`specificity` (true-negative
rate), :func:`ppv` (precision), :func:`npv`, :func:`roc_curve`, :func:`roc_auc`,
:func:`classification_report`; confidence intervals :func:`wilson_interval` (for
sensitivity, specificity and other proportions) and :func:`roc_auc_interval` (bootstrap).

Segmentation (boolean masks of any shape): :func:`dice`, :func:`iou`, and
:func:`hausdorff_distance_mm`.

Calibration (binary probabilities): :func:`calibration_bins` (the reliability diagram's
table, with the count in each bin), :func:`expected_calibration_error`, and temperature
scaling, :func:`fit_temperature` on a validation set then :func:`temperature_scale`, and
Platt scaling (temperature and bias), :func:`fit_platt_scaling`.

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
    "calibration_bins",
    "classification_report",
    "confusion_matrix",
    "dice",
    "expected_calibration_error",
    "fit_platt_scaling",
    "fit_temperature",
    "hausdorff_distance_mm",
    "iou",
    "npv",
    "ppv",
    "roc_auc",
    "roc_auc_interval",
    "roc_curve",
    "sensitivity",
    "specificity",
    "temperature_scale",
    "wilson_interval",
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


# --------------------------------------------------------------------------- confidence intervals


def wilson_interval(successes: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval for a proportion such as sensitivity = TP / (TP + FN).

    Parameters
    ----------
    successes : int
        The count in the numerator (TP for sensitivity, TN for specificity).
    n : int
        The count in the denominator (TP + FN, TN + FP); at least 1.
    confidence : float
        Between 0 and 1 (default 0.95).

    Returns
    -------
    (lower, upper) : tuple of float
        Within [0, 1]. Unlike the textbook ``p ± z·sqrt(p(1 − p)/n)``, it is not empty
        at 0/n or n/n: 75 of 75 specificity is [0.951, 1].

    Notes
    -----
    The interval is the set of proportions p for which |p̂ − p| ≤ z·sqrt(p(1 − p)/n),
    a quadratic in p. Its coverage stays near the nominal level for the small counts of
    a test set, where the textbook (Wald) interval does not (Brown, Cai and DasGupta,
    *Interval estimation for a binomial proportion*, Statistical Science 16, 2001).
    It equals SciPy's ``binomtest(successes, n).proportion_ci(method="wilson")``.

    Examples
    --------
    >>> [round(v, 3) for v in wilson_interval(45, 50)]
    [0.786, 0.957]
    """
    from statistics import NormalDist

    k, total = _count(successes, "successes"), _count(n, "n")
    if total < 1 or k > total:
        raise ValueError(f"need 0 <= successes <= n and n >= 1, got successes={k}, n={total}")
    z = NormalDist().inv_cdf(0.5 + _confidence(confidence) / 2)
    p = k / total
    denominator = 1 + z**2 / total
    centre = (p + z**2 / (2 * total)) / denominator
    half = z * np.sqrt(p * (1 - p) / total + z**2 / (4 * total**2)) / denominator
    # the interval holds p; at 0/n and n/n rounding could leave p a hair outside it
    return min(max(0.0, float(centre - half)), p), max(min(1.0, float(centre + half)), p)


def _count(value, name: str) -> int:
    if isinstance(value, bool) or int(value) != value or value < 0:
        raise ValueError(f"{name} must be a count (an integer >= 0), got {value!r}")
    return int(value)


def _confidence(confidence: float) -> float:
    c = float(confidence)
    if not 0 < c < 1:
        raise ValueError(f"confidence must be between 0 and 1, got {confidence!r}")
    return c


def roc_auc_interval(
    y_true: ArrayLike,
    scores: ArrayLike,
    confidence: float = 0.95,
    *,
    n_boot: int = 2000,
    seed: int = 0,
) -> tuple[float, float]:
    """Bootstrap confidence interval for the ROC AUC.

    Positives and negatives are resampled separately, with replacement (a stratified
    bootstrap, so every resample has both classes and the test set's prevalence); the
    interval is the percentiles of the resampled AUCs (the percentile method).

    Parameters
    ----------
    y_true : array_like
        Binary labels, both classes present.
    scores : array_like
        Higher means more likely positive.
    confidence : float
        Between 0 and 1 (default 0.95).
    n_boot : int
        Number of resamples (default 2000).
    seed : int
        Seed of the resampling, so the interval is reproducible.

    Returns
    -------
    (lower, upper) : tuple of float

    Notes
    -----
    Each resampled AUC is the Mann-Whitney statistic, P(score of a positive > score of
    a negative) + ½ P(equal), from ranks. With a few dozen cases per class the interval
    is wide and slightly too narrow at the nominal level (a known property of the
    percentile bootstrap); DeLong's method is the usual alternative.
    """
    from scipy.stats import rankdata

    t, s = _scores(y_true, scores)
    if isinstance(n_boot, bool) or int(n_boot) != n_boot or n_boot < 100:
        raise ValueError(f"n_boot must be an integer >= 100, got {n_boot!r}")
    alpha = 1 - _confidence(confidence)
    rng = np.random.default_rng(seed)
    pos, neg = s[t == 1], s[t == 0]
    n_pos, n_neg = pos.size, neg.size
    resampled = np.concatenate(
        [rng.choice(pos, (int(n_boot), n_pos)), rng.choice(neg, (int(n_boot), n_neg))], axis=1
    )
    ranks = rankdata(resampled, axis=1)  # ties share their average rank
    aucs = (ranks[:, :n_pos].sum(axis=1) - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg)
    lower, upper = np.quantile(aucs, [alpha / 2, 1 - alpha / 2])
    return float(lower), float(upper)


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


# --------------------------------------------------------------------------- calibration


def _probabilities(y_true, prob, name: str = "prob") -> tuple[np.ndarray, np.ndarray]:
    t = _binary_labels(y_true, "y_true")
    p = np.asarray(prob, dtype=np.float64).ravel()
    if p.shape != t.shape:
        raise ValueError(f"y_true and {name} differ in length: {t.size} and {p.size}")
    if t.size == 0:
        raise ValueError(f"y_true and {name} are empty: nothing to calibrate")
    if not np.all(np.isfinite(p)) or p.min() < 0 or p.max() > 1:
        raise ValueError(
            f"{name} must be probabilities in [0, 1], found values from {np.nanmin(p):.4g} "
            f"to {np.nanmax(p):.4g}"
        )
    return t, p


def calibration_bins(y_true: ArrayLike, prob: ArrayLike, n_bins: int = 10) -> dict[str, np.ndarray]:
    """The table behind a reliability diagram: equal-width bins of predicted probability.

    Parameters
    ----------
    y_true : array_like
        Binary labels.
    prob : array_like
        Predicted probabilities of the positive class, in [0, 1].
    n_bins : int
        Bins [0, 1/n), [1/n, 2/n) ... [1 − 1/n, 1] (a probability of exactly 1 is in the last).

    Returns
    -------
    dict of numpy.ndarray, one entry per bin (empty bins included)
        ``lower``, ``upper`` (the bin's edges), ``count`` (predictions in it, int64),
        ``mean_predicted`` and ``fraction_positive`` (NaN in an empty bin).
    """
    t, p = _probabilities(y_true, prob)
    if int(n_bins) != n_bins or n_bins < 1:
        raise ValueError(f"n_bins must be a positive integer, got {n_bins!r}")
    n_bins = int(n_bins)
    which = np.minimum((p * n_bins).astype(np.int64), n_bins - 1)
    count = np.bincount(which, minlength=n_bins)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_predicted = np.bincount(which, weights=p, minlength=n_bins) / count
        fraction_positive = np.bincount(which, weights=t, minlength=n_bins) / count
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    return {
        "lower": edges[:-1],
        "upper": edges[1:],
        "count": count.astype(np.int64),
        "mean_predicted": mean_predicted,
        "fraction_positive": fraction_positive,
    }


def expected_calibration_error(y_true: ArrayLike, prob: ArrayLike, n_bins: int = 10) -> float:
    """Expected calibration error: Σ over bins of (share of predictions) × |observed − predicted|.

    With the equal-width bins of :func:`calibration_bins`; it equals the gaps of
    scikit-learn's ``calibration_curve(strategy="uniform")`` weighted by the bin counts.
    It measures calibration only: a model that predicts the prevalence for everyone has
    an ECE near 0 and an AUC of 0.5.

    Examples
    --------
    >>> expected_calibration_error([1, 1, 0, 0], [0.8, 0.8, 0.8, 0.8])
    0.30000000000000004
    """
    bins = calibration_bins(y_true, prob, n_bins)
    used = bins["count"] > 0
    share = bins["count"][used] / bins["count"].sum()
    gap = np.abs(bins["fraction_positive"][used] - bins["mean_predicted"][used])
    return float(np.sum(share * gap))


_CLIP = 1e-7  # as Keras' epsilon: a float32 sigmoid output of exactly 0 or 1 has no finite logit


def _logits(prob: np.ndarray) -> np.ndarray:
    p = np.clip(prob, _CLIP, 1 - _CLIP)
    return np.log(p) - np.log1p(-p)


def temperature_scale(
    scores: ArrayLike, temperature: float, *, bias: float = 0.0, from_logits: bool = False
) -> np.ndarray:
    """Probabilities sigmoid(logit / T + b): T > 1 softens over-confident predictions.

    Parameters
    ----------
    scores : array_like
        Probabilities in [0, 1], or logits with ``from_logits=True`` (probabilities are
        clipped to [1e-7, 1 − 1e-7] before taking their logit).
    temperature : float
        Positive; 1 leaves the probabilities unchanged. Dividing every logit by the same
        T keeps their order, so the ROC curve and the AUC do not change.
    bias : float
        Added to every scaled logit (0 for temperature scaling; Platt scaling fits it,
        :func:`fit_platt_scaling`). It moves all predictions up or down, order kept.

    Returns
    -------
    numpy.ndarray
        float64 probabilities, the shape of ``scores``.
    """
    t = float(temperature)
    if not np.isfinite(t) or t <= 0:
        raise ValueError(f"temperature must be a positive number, got {temperature!r}")
    if not np.isfinite(float(bias)):
        raise ValueError(f"bias must be a finite number, got {bias!r}")
    s = np.asarray(scores, dtype=np.float64)
    z = s if from_logits else _logits(s)
    return 1.0 / (1.0 + np.exp(-(z / t + float(bias))))


def _validation_logits(y_true, scores, from_logits: bool) -> tuple[np.ndarray, np.ndarray]:
    t = _binary_labels(y_true, "y_true")
    s = np.asarray(scores, dtype=np.float64).ravel()
    if s.shape != t.shape:
        raise ValueError(f"y_true and scores differ in length: {t.size} and {s.size}")
    if not from_logits:
        _probabilities(t, s, "scores")
    z = s if from_logits else _logits(s)
    if not np.all(np.isfinite(z)):
        raise ValueError("scores contain NaN or infinite values")
    return t, z


def fit_temperature(y_true: ArrayLike, scores: ArrayLike, *, from_logits: bool = False) -> float:
    """The temperature T that minimises the log-loss of sigmoid(logit / T) (Guo et al., 2017).

    Fit it on a validation set, never on the test set, then apply
    :func:`temperature_scale` to the test predictions: one parameter, so it can fix
    over- or under-confidence but neither a shift of all predictions (bias) nor
    discrimination.

    Parameters
    ----------
    y_true : array_like
        Binary labels of the validation set.
    scores : array_like
        The model's probabilities on it (or logits with ``from_logits=True``).

    Returns
    -------
    float
        T in [0.01, 100] (the bounds of the search): where the derivative of the
        log-loss with respect to 1/T is zero, found by Brent's method.

    References
    ----------
    C. Guo, G. Pleiss, Y. Sun, K. Q. Weinberger, On calibration of modern neural networks,
    ICML 2017.
    """
    from scipy.optimize import brentq

    t, z = _validation_logits(y_true, scores, from_logits)

    def slope(k: float) -> float:
        """d/dk of the mean log-loss of sigmoid(k · z): increasing in k (the loss is convex)."""
        return float(np.mean((0.5 * (1.0 + np.tanh(0.5 * k * z)) - t) * z))

    low, high = 1.0 / 100.0, 1.0 / 0.01  # k = 1 / T
    if slope(low) >= 0:
        return 100.0
    if slope(high) <= 0:
        return 0.01
    return float(1.0 / brentq(slope, low, high, xtol=1e-14, rtol=1e-14, maxiter=200))


def fit_platt_scaling(
    y_true: ArrayLike, scores: ArrayLike, *, from_logits: bool = False
) -> tuple[float, float]:
    """Temperature and bias of Platt scaling, sigmoid(logit / T + b), by maximum likelihood.

    Temperature scaling (:func:`fit_temperature`) can only spread predictions out or pull
    them in around probability 0.5; when a model's predictions are all too high or too low
    (its logit 0 is not where the odds are even), the bias b moves them back. Fit on a
    validation set, apply with ``temperature_scale(scores, T, bias=b)``. It is a logistic
    regression of the labels on the logits (Platt, 1999), solved by Newton's method.

    Returns
    -------
    (float, float)
        T (positive) and b.

    Raises
    ------
    ValueError
        If the scores rank the validation set backwards (no positive T fits), or separate
        its classes perfectly (the likelihood has no finite maximum).

    References
    ----------
    J. Platt, Probabilistic outputs for support vector machines and comparisons to
    regularized likelihood methods, in Advances in Large Margin Classifiers (1999).
    """
    t, z = _validation_logits(y_true, scores, from_logits)
    if t.min(initial=1) == t.max(initial=0):
        raise ValueError("Platt scaling needs both classes in y_true; found only one")
    if z[t == 0].max() < z[t == 1].min():
        raise ValueError(
            "the scores separate the two classes perfectly: Platt scaling has no "
            "finite fit (use fit_temperature, which is bounded)"
        )
    features = np.column_stack([z, np.ones_like(z)])
    sign = 2.0 * t - 1.0

    def loss(w: np.ndarray) -> float:
        return float(np.mean(np.logaddexp(0.0, -sign * (features @ w))))

    w = np.array([1.0, 0.0])  # slope 1/T and bias: start from the model as it is
    for _ in range(100):
        p = 0.5 * (1.0 + np.tanh(0.5 * (features @ w)))
        gradient = features.T @ (p - t) / t.size
        hessian = (features * (p * (1 - p))[:, None]).T @ features / t.size
        step = np.linalg.lstsq(hessian, gradient, rcond=None)[0]
        while loss(w - step) > loss(w) + 1e-15 and np.abs(step).max() > 1e-12:
            step /= 2  # backtracking keeps every Newton step downhill
        w = w - step
        if np.abs(step).max() < 1e-11:
            break
    else:
        raise ValueError("Newton's method did not converge in 100 steps")  # pragma: no cover
    if w[0] <= 0:
        raise ValueError(
            "the scores rank the validation set backwards (fitted slope "
            f"{w[0]:.3g} <= 0): recalibration cannot fix that"
        )
    return float(1.0 / w[0]), float(w[1])
