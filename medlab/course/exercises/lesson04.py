"""Exercises of lesson 04 (cross-entropy, derived).

Every answer is a function; the checkers call it on their own inputs and compare with
independent references written here with NumPy (natural logarithms, means over samples).
"""

from __future__ import annotations

import numpy as np

from medlab.course.exercises import ExerciseDef
from medlab.course.exercises._declarative import Array, FunctionCheck, Mistake, Number

__all__ = ["EXERCISES"]

_RTOL = 1e-6
_MEAN = "the mean over samples"


def _close(a: float, b: float) -> bool:
    return bool(np.isclose(a, b, rtol=_RTOL, atol=1e-9))


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * z))  # overflow-free


# --------------------------------------------------------------------------- 04.bce

_BCE_CASES = (
    (np.array([1, 0, 1, 1, 0], float), np.array([0.9, 0.2, 0.6, 0.99, 0.45])),
    (
        np.array([0, 0, 1, 0, 1, 0, 0, 1], float),
        np.array([0.05, 0.7, 0.3, 0.5, 0.95, 0.1, 0.35, 0.8]),
    ),
)


def _bce_terms(y: np.ndarray, p: np.ndarray) -> np.ndarray:
    return -(y * np.log(p) + (1 - y) * np.log(1 - p))


def _bce(y: np.ndarray, p: np.ndarray) -> float:
    return float(_bce_terms(y, p).mean())


def _misbracketed(y: np.ndarray, p: np.ndarray) -> float:
    return float(np.sum(-y * np.log(p) + (1 - y) * np.log(1 - p)))


# bce(y_true, y_pred): mean binary cross-entropy with natural logs
check_bce = FunctionCheck(
    "bce",
    cases=_BCE_CASES,
    reference=_bce,
    returns=Number(_MEAN),
    close=_close,
    mistakes=(
        Mistake(
            "only the first term is negated: put both terms inside the brackets, "
            "−[y·log ŷ + (1 − y)·log(1 − ŷ)]",
            like=(_misbracketed, lambda y, p: _misbracketed(y, p) / y.size),
        ),
        Mistake(
            "this is the sum over samples; the loss is the mean (divide by N)",
            like=lambda y, p: _bce(y, p) * y.size,
        ),
        Mistake(
            "the sign is wrong: the loss is the *negative* log-likelihood",
            like=(lambda y, p: -_bce(y, p), lambda y, p: -_bce(y, p) * y.size),
        ),
        Mistake(
            "use the natural logarithm (np.log), as Keras does",
            like=(lambda y, p: _bce(y, p) / np.log(10), lambda y, p: _bce(y, p) / np.log(2)),
        ),
        Mistake(
            "the (1 − y)·log(1 − ŷ) term for the negatives is missing",
            like=lambda y, p: float(np.mean(-y * np.log(p))),
        ),
    ),
    otherwise="the value differs from the mean binary cross-entropy",
    detail=lambda got, want, y, p: f" (for {y.size} samples you returned {got:.6g})",
    passed="equals the mean binary cross-entropy on two test batches",
)


# --------------------------------------------------------------------------- 04.cce

_CCE_CASE = (
    np.eye(3)[[0, 2, 1, 2]],
    np.array([[0.7, 0.2, 0.1], [0.1, 0.3, 0.6], [0.25, 0.5, 0.25], [0.05, 0.05, 0.9]]),
)
# the first BCE batch as two classes: K = 2 must reduce to binary cross-entropy
_TWO_CLASSES = tuple(np.stack([1 - a, a], axis=1) for a in _BCE_CASES[0])


def _cce(y: np.ndarray, p: np.ndarray) -> float:
    return float(-(y * np.log(p)).sum(axis=1).mean())


# cce(y_onehot, probs): mean categorical cross-entropy over samples
check_cce = FunctionCheck(
    "cce",
    cases=[_CCE_CASE],
    reference=_cce,
    returns=Number(_MEAN),
    close=_close,
    mistakes=(
        Mistake(
            "you averaged over every entry (N × K); average over the N samples only",
            like=lambda y, p: _cce(y, p) / p.shape[1],
        ),
        Mistake(
            "this is the sum over samples; the loss is the mean (divide by N)",
            like=lambda y, p: _cce(y, p) * len(p),
        ),
        Mistake(
            "the sign is wrong: the loss is the *negative* log-likelihood",
            like=lambda y, p: -_cce(y, p),
        ),
        Mistake(
            "use the natural logarithm (np.log)",
            like=(lambda y, p: _cce(y, p) / np.log(10), lambda y, p: _cce(y, p) / np.log(2)),
        ),
        Mistake(
            "only the true class's probability counts: multiply by the one-hot labels",
            like=lambda y, p: float(-np.log(p).sum(axis=1).mean()),
        ),
    ),
    otherwise="the value differs from the mean categorical cross-entropy",
    detail=lambda got, *_: f" (you returned {got:.6g})",
    then=FunctionCheck(
        "cce",
        cases=[_TWO_CLASSES],
        reference=lambda y, p: _bce(y[:, 1], p[:, 1]),
        returns=Number(_MEAN),
        close=_close,
        otherwise="right for 3 classes but not for 2: do not hard-code K",
        passed="equals the mean categorical cross-entropy (4 samples, 3 classes), and BCE "
        "when K = 2",
    ),
)


# --------------------------------------------------------------------------- 04.grad_logits

_GRAD_CASE = (np.array([1, 0, 1, 0, 1, 0], float), np.array([2.0, -1.0, 0.5, 3.0, -4.0, 0.0]))


def _grad(y: np.ndarray, z: np.ndarray) -> np.ndarray:
    return (_sigmoid(z) - y) / z.size


def _grad_wrt_probability(y: np.ndarray, z: np.ndarray) -> np.ndarray:
    s = _sigmoid(z)
    return (s - y) / (s * (1 - s))


# bce_grad_logits(y, z): gradient of the mean BCE w.r.t. each logit
check_grad_logits = FunctionCheck(
    "bce_grad_logits",
    cases=[_GRAD_CASE],
    reference=_grad,
    returns=Array(
        wrong_shape=lambda got, want, *_: (
            f"the gradient has one entry per logit: shape {want.shape}, found {got.shape}"
        )
    ),
    close=lambda got, want: bool(np.allclose(got, want, rtol=_RTOL, atol=1e-12)),
    mistakes=(
        Mistake(
            "right shape of the curve, but the loss is a mean: divide by N",
            like=lambda y, z: _grad(y, z) * z.size,
        ),
        Mistake(
            "the sign is flipped: the gradient points towards higher loss",
            like=(lambda y, z: -_grad(y, z), lambda y, z: -_grad(y, z) * z.size),
        ),
        Mistake(
            "this is the derivative with respect to the probability ŷ; chain it through "
            "the sigmoid to get the logit's",
            like=(lambda y, z: _grad_wrt_probability(y, z) / z.size, _grad_wrt_probability),
        ),
    ),
    otherwise="the values differ from the derivative of the mean BCE with respect to z",
    passed="matches the derivative of the mean loss for every logit",
)


# --------------------------------------------------------------------------- 04.stable_bce

_STABLE_CASE = (
    np.array([1, 0, 1, 0, 1, 1, 0], float),
    np.array([-1000.0, -30.0, -2.0, 0.0, 3.0, 40.0, 1000.0]),
)
_MILD = slice(1, 5)  # |z| <= 30: a careful probability-based version is also right here


def _stable_bce(y: np.ndarray, z: np.ndarray) -> float:
    """Exact: y=1, z=-1000 costs exactly 1000, as does y=0, z=1000."""
    return float(np.mean(np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z)))))


def _clipped_bce(y: np.ndarray, z: np.ndarray) -> float:
    return _bce(y, np.clip(_sigmoid(z), 1e-7, 1 - 1e-7))


# bce_from_logits(y, z): exact mean BCE from logits, finite for any z; moderate logits first
check_stable_bce = FunctionCheck(
    "bce_from_logits",
    cases=[(_STABLE_CASE[0][_MILD], _STABLE_CASE[1][_MILD])],
    reference=_stable_bce,
    returns=Number(_MEAN, finite=False),
    close=_close,
    otherwise=lambda got, *_: (
        f"for moderate logits (|z| ≤ 30) the mean loss should equal BCE "
        f"of σ(z); you returned {got:.6g}"
    ),
    passed="right for moderate logits",
    numpy_warnings=False,
    then=FunctionCheck(
        "bce_from_logits",
        cases=[_STABLE_CASE],
        reference=_stable_bce,
        returns=Number(_MEAN, finite=False),
        close=_close,
        mistakes=(
            Mistake(
                "the loss is inf or NaN for logits like ±1000: exp(1000) overflows and "
                "log(0) is −inf; rewrite the loss so that you only ever take exp of a "
                "negative number",
                when=lambda got, *_: not np.isfinite(got),
            ),
            Mistake(
                "finite, but capped: clipping probabilities limits each loss to about 16; "
                "computed from the logit, a confidently wrong z = −1000 costs 1000",
                like=_clipped_bce,
                close=lambda got, clipped: abs(got - clipped) < 0.05,
            ),
        ),
        otherwise=lambda got, *_: (
            f"for logits of ±1000 the mean loss should be exact; you returned {got:.6g}"
        ),
        passed="exact and finite for logits of ±1000 (no clipping)",
        numpy_warnings=False,
    ),
)


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
