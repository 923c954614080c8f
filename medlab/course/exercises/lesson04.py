"""Exercises of lesson 04 (cross-entropy, derived).

Every answer is a function; the checkers call it on their own inputs and compare with
independent references written here with NumPy (natural logarithms, means over samples).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from medlab.course.exercises import ExerciseDef, Item
from medlab.course.exercises._functions import call_safely, require_function

__all__ = ["EXERCISES"]

_RTOL = 1e-6


def _scalar(value: Any, name: str) -> tuple[float | None, Item | None]:
    arr = np.asarray(value, dtype=np.float64) if value is not None else None
    if arr is None or arr.size != 1:
        shape = None if arr is None else arr.shape
        return None, Item(False, f"`{name}` should return one number (the mean over samples), "
                                 f"found {'None' if shape is None else f'shape {shape}'}")
    return float(arr.reshape(())), None


def _close(a: float, b: float) -> bool:
    return bool(np.isclose(a, b, rtol=_RTOL, atol=1e-9))


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * z))  # overflow-free


# --------------------------------------------------------------------------- 04.bce

_BCE_CASES = (
    (np.array([1, 0, 1, 1, 0], float), np.array([0.9, 0.2, 0.6, 0.99, 0.45])),
    (np.array([0, 0, 1, 0, 1, 0, 0, 1], float),
     np.array([0.05, 0.7, 0.3, 0.5, 0.95, 0.1, 0.35, 0.8])),
)


def _bce_terms(y: np.ndarray, p: np.ndarray) -> np.ndarray:
    return -(y * np.log(p) + (1 - y) * np.log(1 - p))


def check_bce(answer: Any) -> list[Item]:
    """``bce(y_true, y_pred)``: mean binary cross-entropy with natural logs."""
    items = require_function(answer, "bce")
    if not items[0].ok:
        return items
    for y, p in _BCE_CASES:
        value, error = call_safely(answer, "bce", y, p)
        if error is None:
            loss, error = _scalar(value, "bce")
        if error is not None:
            return [*items, error]
        n = y.size
        expected = float(_bce_terms(y, p).mean())
        if _close(loss, expected):
            continue
        misbracketed = np.sum(-y * np.log(p) + (1 - y) * np.log(1 - p))
        if _close(loss, misbracketed) or _close(loss, misbracketed / n):
            message = ("only the first term is negated: put both terms inside the brackets, "
                       "−[y·log ŷ + (1 − y)·log(1 − ŷ)]")
        elif _close(loss, expected * n):
            message = "this is the sum over samples; the loss is the mean (divide by N)"
        elif _close(loss, -expected) or _close(loss, -expected * n):
            message = "the sign is wrong: the loss is the *negative* log-likelihood"
        elif _close(loss, expected / np.log(10)) or _close(loss, expected / np.log(2)):
            message = "use the natural logarithm (np.log), as Keras does"
        elif _close(loss, float(np.mean(-y * np.log(p)))):
            message = "the (1 − y)·log(1 − ŷ) term for the negatives is missing"
        else:
            message = "the value differs from the mean binary cross-entropy"
        return [*items, Item(False, f"{message} (for {n} samples you returned {loss:.6g})")]
    items.append(Item(True, "equals the mean binary cross-entropy on two test batches"))
    return items


# --------------------------------------------------------------------------- 04.cce

_CCE_CASE = (
    np.eye(3)[[0, 2, 1, 2]],
    np.array([[0.7, 0.2, 0.1], [0.1, 0.3, 0.6], [0.25, 0.5, 0.25], [0.05, 0.05, 0.9]]),
)


def check_cce(answer: Any) -> list[Item]:
    """``cce(y_onehot, probs)``: mean categorical cross-entropy over samples."""
    items = require_function(answer, "cce")
    if not items[0].ok:
        return items
    y, p = _CCE_CASE
    value, error = call_safely(answer, "cce", y, p)
    if error is None:
        loss, error = _scalar(value, "cce")
    if error is not None:
        return [*items, error]
    n, k = p.shape
    per_sample = -(y * np.log(p)).sum(axis=1)
    expected = float(per_sample.mean())
    if _close(loss, expected):
        # K = 2 must reduce to binary cross-entropy
        y2, p2 = _BCE_CASES[0]
        two = np.stack([1 - y2, y2], axis=1), np.stack([1 - p2, p2], axis=1)
        value2, error = call_safely(answer, "cce", *two)
        if error is None:
            loss2, error = _scalar(value2, "cce")
        if error is not None:
            return [*items, error]
        if not _close(loss2, float(_bce_terms(y2, p2).mean())):
            return [*items, Item(False, "right for 3 classes but not for 2: do not hard-code K")]
        items.append(Item(True, f"equals the mean categorical cross-entropy ({n} samples, "
                                f"{k} classes), and BCE when K = 2"))
        return items
    if _close(loss, expected / k):
        message = "you averaged over every entry (N × K); average over the N samples only"
    elif _close(loss, expected * n):
        message = "this is the sum over samples; the loss is the mean (divide by N)"
    elif _close(loss, -expected):
        message = "the sign is wrong: the loss is the *negative* log-likelihood"
    elif _close(loss, expected / np.log(10)) or _close(loss, expected / np.log(2)):
        message = "use the natural logarithm (np.log)"
    elif _close(loss, float(-np.log(p).sum(axis=1).mean())):
        message = "only the true class's probability counts: multiply by the one-hot labels"
    else:
        message = "the value differs from the mean categorical cross-entropy"
    return [*items, Item(False, f"{message} (you returned {loss:.6g})")]


# --------------------------------------------------------------------------- 04.grad_logits

_GRAD_CASE = (np.array([1, 0, 1, 0, 1, 0], float), np.array([2.0, -1.0, 0.5, 3.0, -4.0, 0.0]))


def check_grad_logits(answer: Any) -> list[Item]:
    """``bce_grad_logits(y, z)``: gradient of the mean BCE w.r.t. each logit."""
    items = require_function(answer, "bce_grad_logits")
    if not items[0].ok:
        return items
    y, z = _GRAD_CASE
    value, error = call_safely(answer, "bce_grad_logits", y, z)
    if error is not None:
        return [*items, error]
    grad = np.asarray(value, dtype=np.float64) if value is not None else np.array(None)
    if grad.shape != z.shape:
        return [*items, Item(False, f"the gradient has one entry per logit: shape {z.shape}, "
                                    f"found {grad.shape}")]
    n = z.size
    s = _sigmoid(z)
    expected = (s - y) / n
    if np.allclose(grad, expected, rtol=_RTOL, atol=1e-12):
        items.append(Item(True, "matches the derivative of the mean loss for every logit"))
        return items
    if np.allclose(grad, expected * n, rtol=_RTOL):
        message = "right shape of the curve, but the loss is a mean: divide by N"
    elif np.allclose(grad, -expected, rtol=_RTOL) or np.allclose(grad, -expected * n, rtol=_RTOL):
        message = "the sign is flipped: the gradient points towards higher loss"
    elif np.allclose(grad * n, (s - y) / (s * (1 - s)), rtol=_RTOL) or np.allclose(
        grad, (s - y) / (s * (1 - s)), rtol=_RTOL
    ):
        message = ("this is the derivative with respect to the probability ŷ; chain it "
                   "through the sigmoid to get the logit's")
    else:
        message = "the values differ from the derivative of the mean BCE with respect to z"
    return [*items, Item(False, message)]


# --------------------------------------------------------------------------- 04.stable_bce

_STABLE_CASE = (
    np.array([1, 0, 1, 0, 1, 1, 0], float),
    np.array([-1000.0, -30.0, -2.0, 0.0, 3.0, 40.0, 1000.0]),
)


def check_stable_bce(answer: Any) -> list[Item]:
    """``bce_from_logits(y, z)``: exact mean BCE from logits, finite for any z."""
    items = require_function(answer, "bce_from_logits")
    if not items[0].ok:
        return items
    y, z = _STABLE_CASE
    mild = slice(1, 5)  # |z| <= 30: a careful probability-based version is also right here
    exact = np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z)))
    expected_mild = float(exact[mild].mean())
    with np.errstate(all="ignore"):
        value, error = call_safely(answer, "bce_from_logits", y[mild], z[mild])
        if error is None:
            loss, error = _scalar(value, "bce_from_logits")
        if error is not None:
            return [*items, error]
        if not _close(loss, expected_mild):
            return [*items, Item(False, f"for moderate logits (|z| ≤ 30) the mean loss should "
                                        f"equal BCE of σ(z); you returned {loss:.6g}")]
        items.append(Item(True, "right for moderate logits"))
        value, error = call_safely(answer, "bce_from_logits", y, z)
        if error is None:
            loss, error = _scalar(value, "bce_from_logits")
    if error is not None:
        return [*items, error]
    expected = float(exact.mean())  # y=1, z=-1000 costs exactly 1000, as does y=0, z=1000
    if not np.isfinite(loss):
        return [*items, Item(False, "the loss is inf or NaN for logits like ±1000: exp(1000) "
                                    "overflows and log(0) is −inf; rewrite the loss so that "
                                    "you only ever take exp of a negative number")]
    if _close(loss, expected):
        items.append(Item(True, "exact and finite for logits of ±1000 (no clipping)"))
        return items
    clipped = np.clip(_sigmoid(z), 1e-7, 1 - 1e-7)
    if abs(loss - float(_bce_terms(y, clipped).mean())) < 0.05:
        message = ("finite, but capped: clipping probabilities limits each loss to about 16; "
                   "computed from the logit, a confidently wrong z = −1000 costs 1000")
    else:
        message = f"for logits of ±1000 the mean loss should be exact; you returned {loss:.6g}"
    return [*items, Item(False, message)]


EXERCISES = (
    ExerciseDef(
        id="04.bce",
        title="Binary cross-entropy by hand",
        checker=check_bce,
        hints=(
            "Each sample contributes the negative log of the probability the model gave to "
            "its true label: −log ŷ for a positive, −log(1 − ŷ) for a negative.",
            "Write both cases in one expression with y and 1 − y as switches, inside one pair "
            "of brackets, then take the mean over samples.",
            "−mean( y·log(ŷ) + (1 − y)·log(1 − ŷ) ), with np.log and np.mean.",
        ),
        solution=(
            "def bce(y_true, y_pred):\n"
            "    terms = y_true * np.log(y_pred) + (1 - y_true) * np.log(1 - y_pred)\n"
            "    return -np.mean(terms)  # the minus and the mean apply to both terms"
        ),
    ),
    ExerciseDef(
        id="04.cce",
        title="Categorical cross-entropy by hand",
        checker=check_cce,
        hints=(
            "For one sample only the probability of the true class matters: its loss is "
            "−log ŷ[true class].",
            "With one-hot labels, y * log(ŷ) keeps exactly that term; sum over the class "
            "axis (axis=1), then average over samples.",
            "−mean over samples of sum over classes of y·log(ŷ).",
        ),
        solution=(
            "def cce(y_onehot, probs):\n"
            "    per_sample = -(y_onehot * np.log(probs)).sum(axis=1)  # sum over classes\n"
            "    return per_sample.mean()  # mean over samples"
        ),
    ),
    ExerciseDef(
        id="04.grad_logits",
        title="The gradient with respect to the logits",
        checker=check_grad_logits,
        hints=(
            "You derived ∂ℓ/∂z = σ(z) − y for one sample. The lesson's loss is a mean over N "
            "samples.",
            "Compute σ(z) = 1 / (1 + exp(−z)) element-wise, subtract the labels, and account "
            "for the 1/N of the mean.",
            "(σ(z) − y) / N, one entry per logit.",
        ),
        solution=(
            "def bce_grad_logits(y, z):\n"
            "    return (1 / (1 + np.exp(-z)) - y) / len(z)  # (σ(z) − y) / N"
        ),
    ),
    ExerciseDef(
        id="04.stable_bce",
        title="A loss that never overflows",
        checker=check_stable_bce,
        hints=(
            "Write the loss directly in terms of z: −log σ(z) = log(1 + e^(−z)) and "
            "−log(1 − σ(z)) = log(1 + e^(z)).",
            "log(1 + e^a) overflows for large a; use log(1 + e^a) = max(a, 0) + log(1 + e^(−|a|)) "
            "and np.log1p.",
            "mean( max(z, 0) − z·y + log1p(exp(−|z|)) ).",
        ),
        solution=(
            "def bce_from_logits(y, z):\n"
            "    terms = np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z)))\n"
            "    return np.mean(terms)"
        ),
    ),
)
