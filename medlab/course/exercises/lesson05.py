"""Exercises of lesson 05 (training a classifier)."""

from __future__ import annotations

from typing import Any

import numpy as np

from medlab.course.exercises import ExerciseDef
from medlab.course.exercises._declarative import (
    Converted,
    FunctionCheck,
    Mistake,
    Number,
    Numbers,
)

__all__ = ["EXERCISES"]


# --------------------------------------------------------------------------- 05.sens_spec


def _label_cases() -> list[tuple[np.ndarray, np.ndarray]]:
    rng = np.random.default_rng(5)
    cases = []
    for n, prevalence in [(40, 0.5), (200, 0.1), (31, 0.7)]:
        y = (rng.random(n) < prevalence).astype(int)
        y[:2] = [0, 1]  # both classes present
        pred = np.where(rng.random(n) < 0.8, y, 1 - y)
        cases.append((y, pred))
    return cases


def _recalls(y: np.ndarray, pred: np.ndarray) -> np.ndarray:
    """(sensitivity, specificity) as scikit-learn's recall of each class."""
    from sklearn.metrics import recall_score

    return np.array([recall_score(y, pred), recall_score(y, pred, pos_label=0)])


def _wrong_sensitivity(got: np.ndarray, want: np.ndarray, y: np.ndarray, pred: np.ndarray) -> str:
    ppv = pred[y == 1].sum() / max(pred.sum(), 1)
    extra = (
        " — that is the PPV (precision): divide by the actual positives instead"
        if np.isclose(got[0], ppv)
        else ""
    )
    return (
        f"sensitivity {got[0]:.3f} is not TP / (TP + FN) on a test case with "
        f"{int(y.sum())} positives{extra}"
    )


# sensitivity_specificity(y_true, y_pred) against scikit-learn's recall
check_sens_spec = FunctionCheck(
    "sensitivity_specificity",
    cases=_label_cases,
    reference=_recalls,
    returns=Numbers(2, "two numbers (sensitivity, specificity)"),
    mistakes=(
        Mistake(
            "the two values are swapped: sensitivity is about the positives (sick), "
            "specificity about the negatives",
            like=lambda y, pred: _recalls(y, pred)[::-1],
        ),
        Mistake(_wrong_sensitivity, when=lambda got, want, *_: not np.isclose(got[0], want[0])),
        Mistake(
            lambda got, want, y, pred: (
                f"specificity {got[1]:.3f} is not TN / (TN + FP) on "
                f"a test case with {int((y == 0).sum())} negatives"
            ),
            when=lambda got, want, *_: not np.isclose(got[1], want[1]),
        ),
    ),
    passed="sensitivity and specificity match scikit-learn on balanced and imbalanced label sets",
)


# --------------------------------------------------------------------------- 05.threshold


def _score_cases() -> list[tuple[np.ndarray, np.ndarray, float]]:
    rng = np.random.default_rng(11)
    cases = []
    for n, target in [(100, 0.9), (300, 0.95), (57, 0.8)]:
        y = (rng.random(n) < 0.4).astype(int)
        y[:2] = [0, 1]
        scores = np.round(np.clip(rng.normal(0.35 + 0.3 * y, 0.2), 0, 1), 3)
        cases.append((y, scores, target))
    return cases


def _reference_threshold(y: np.ndarray, scores: np.ndarray, target: float) -> float:
    candidates = np.unique(scores)[::-1]  # from strict to lenient
    for t in candidates:
        if ((scores >= t) & (y == 1)).sum() / (y == 1).sum() >= target:
            return float(t)
    return float(candidates[-1])


def _sensitivity(y: np.ndarray, scores: np.ndarray, threshold: float) -> float:
    return ((scores >= threshold) & (y == 1)).sum() / (y == 1).sum()


def _specificity(y: np.ndarray, scores: np.ndarray, threshold: float) -> float:
    return ((scores < threshold) & (y == 0)).sum() / (y == 0).sum()


# threshold_for_sensitivity(y_true, scores, target): the highest threshold reaching the target.
# Any higher threshold flags fewer positives and misses the target, so the right answers are
# exactly the reference and the numbers just below it.
check_threshold = FunctionCheck(
    "threshold_for_sensitivity",
    cases=_score_cases,
    reference=_reference_threshold,
    returns=Number("a threshold"),
    close=lambda got, want: want - 1e-12 <= got <= want,
    mistakes=(
        Mistake(
            lambda got, want, y, scores, target: (
                f"at your threshold {got:.3f} the "
                f"sensitivity is {_sensitivity(y, scores, got):.3f}, below the target {target}"
            ),
            when=lambda got, want, y, scores, target: _sensitivity(y, scores, got) < target - 1e-12,
        ),
        Mistake(
            lambda got, want, y, scores, target: (
                "your threshold reaches the target "
                "sensitivity, but a higher one does too and keeps specificity "
                f"{_specificity(y, scores, want):.3f} instead of "
                f"{_specificity(y, scores, got):.3f}: pick the highest"
            ),
            when=lambda got, want, *_: got < want - 1e-12,
        ),
    ),
    passed="the highest threshold that reaches the target sensitivity, on three score sets",
)


# --------------------------------------------------------------------------- 05.class_weight


def _two_weights(got: Any) -> np.ndarray | None:
    """``{0: w0, 1: w1}`` as the array ``[w0, w1]``; ``None`` for anything else."""
    if not isinstance(got, dict) or set(got) != {0, 1}:
        return None
    return np.array([float(got[0]), float(got[1])])


def _balanced(y: np.ndarray) -> np.ndarray:
    from sklearn.utils.class_weight import compute_class_weight

    return compute_class_weight("balanced", classes=np.array([0, 1]), y=y)


def _counts(y: np.ndarray) -> np.ndarray:
    return np.bincount(y, minlength=2)


# balanced_class_weight(y) against scikit-learn's compute_class_weight('balanced')
check_class_weight = FunctionCheck(
    "balanced_class_weight",
    cases=[
        (np.array([0] * 90 + [1] * 10),),
        (np.array([0] * 30 + [1] * 70),),
        (np.array([0, 1] * 8),),
    ],
    reference=_balanced,
    returns=Converted(_two_weights, "a dict {0: weight_of_negatives, 1: weight_of_positives}"),
    mistakes=(
        Mistake(
            "the ratio is right but the scale is not: with balanced weights the weighted "
            "number of samples equals the number of samples",
            when=lambda got, want, y: np.isclose(got[1] / got[0], want[1] / want[0]),
        ),
        Mistake(
            "the rarer class must get the larger weight, not the smaller",
            like=(lambda y: _counts(y) / _counts(y).sum(), _counts),
        ),
    ),
    otherwise=lambda got, want, y: (
        f"for {_counts(y)[0]} negatives and {_counts(y)[1]} positives the weights are off"
    ),
    passed="matches scikit-learn's 'balanced' class weights",
)


EXERCISES = (
    ExerciseDef(
        id="05.sens_spec",
        title="Sensitivity and specificity",
        checker=check_sens_spec,
        hints=(
            "Sensitivity: of the patients who are sick, how many did we flag? Specificity: of the "
            "healthy ones, how many did we clear?",
            "Count TP = (y_true == 1) & (y_pred == 1), and FN, TN, FP alike.",
            "sensitivity = TP / (TP + FN), specificity = TN / (TN + FP).",
        ),
        solution=(
            "def sensitivity_specificity(y_true, y_pred):\n"
            "    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)\n"
            "    tp = np.sum((y_true == 1) & (y_pred == 1))\n"
            "    fn = np.sum((y_true == 1) & (y_pred == 0))\n"
            "    tn = np.sum((y_true == 0) & (y_pred == 0))\n"
            "    fp = np.sum((y_true == 0) & (y_pred == 1))\n"
            "    return tp / (tp + fn), tn / (tn + fp)\n"
        ),
    ),
    ExerciseDef(
        id="05.threshold",
        title="A threshold for a target sensitivity",
        checker=check_threshold,
        hints=(
            "Lowering the threshold flags more images: sensitivity rises, specificity falls.",
            "Try the distinct scores as thresholds, from the highest down, and stop at the first "
            "that reaches the target.",
            "An image is flagged when score >= threshold; sensitivity is flagged positives / "
            "positives.",
        ),
        solution=(
            "def threshold_for_sensitivity(y_true, scores, target):\n"
            "    y_true, scores = np.asarray(y_true), np.asarray(scores)\n"
            "    for t in np.unique(scores)[::-1]:\n"
            "        if np.mean(scores[y_true == 1] >= t) >= target:\n"
            "            return float(t)\n"
            "    return float(scores.min())\n"
        ),
    ),
    ExerciseDef(
        id="05.class_weight",
        title="Balanced class weights",
        checker=check_class_weight,
        hints=(
            "Give each class a weight inversely proportional to how often it appears.",
            "With balanced weights, each class contributes the same total weight, and all weights "
            "together add up to the number of samples.",
            "weight of class c = n_samples / (2 × n_samples_of_class_c).",
        ),
        solution=(
            "def balanced_class_weight(y):\n"
            "    y = np.asarray(y)\n"
            "    n = len(y)\n"
            "    return {c: n / (2 * np.sum(y == c)) for c in (0, 1)}\n"
        ),
    ),
)
