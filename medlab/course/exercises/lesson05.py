"""Exercises of lesson 05 (training a classifier)."""

from __future__ import annotations

from typing import Any

import numpy as np

from medlab.course.exercises import ExerciseDef, Item
from medlab.course.exercises._functions import call_safely, require_function

__all__ = ["EXERCISES"]


def _label_cases() -> list[tuple[np.ndarray, np.ndarray]]:
    rng = np.random.default_rng(5)
    cases = []
    for n, prevalence in [(40, 0.5), (200, 0.1), (31, 0.7)]:
        y = (rng.random(n) < prevalence).astype(int)
        y[:2] = [0, 1]  # both classes present
        pred = np.where(rng.random(n) < 0.8, y, 1 - y)
        cases.append((y, pred))
    return cases


def check_sens_spec(answer: Any) -> list[Item]:
    """``sensitivity_specificity(y_true, y_pred)`` against scikit-learn's recall."""
    from sklearn.metrics import recall_score

    items = require_function(answer, "sensitivity_specificity")
    if not items[0].ok:
        return items
    for y, pred in _label_cases():
        got, error = call_safely(answer, "sensitivity_specificity", y, pred)
        if error:
            return [*items, error]
        try:
            sens, spec = (float(v) for v in got)
        except (TypeError, ValueError):
            return [
                *items,
                Item(False, f"return two numbers (sensitivity, specificity), got {got!r}"),
            ]
        want_sens = recall_score(y, pred)
        want_spec = recall_score(y, pred, pos_label=0)
        if np.isclose(sens, want_spec) and np.isclose(spec, want_sens) and want_sens != want_spec:
            return [
                *items,
                Item(
                    False,
                    "the two values are swapped: sensitivity is about the "
                    "positives (sick), specificity about the negatives",
                ),
            ]
        if not np.isclose(sens, want_sens):
            ppv = pred[y == 1].sum() / max(pred.sum(), 1)
            extra = (
                " — that is the PPV (precision): divide by the actual positives instead"
                if np.isclose(sens, ppv)
                else ""
            )
            return [
                *items,
                Item(
                    False,
                    f"sensitivity {sens:.3f} is not TP / (TP + FN) on a test "
                    f"case with {int(y.sum())} positives{extra}",
                ),
            ]
        if not np.isclose(spec, want_spec):
            return [
                *items,
                Item(
                    False,
                    f"specificity {spec:.3f} is not TN / (TN + FP) on a test "
                    f"case with {int((y == 0).sum())} negatives",
                ),
            ]
    items.append(
        Item(
            True,
            "sensitivity and specificity match scikit-learn on balanced and imbalanced label sets",
        )
    )
    return items


def _reference_threshold(y: np.ndarray, scores: np.ndarray, target: float) -> float:
    candidates = np.unique(scores)[::-1]  # from strict to lenient
    for t in candidates:
        if ((scores >= t) & (y == 1)).sum() / (y == 1).sum() >= target:
            return float(t)
    return float(candidates[-1])


def check_threshold(answer: Any) -> list[Item]:
    """``threshold_for_sensitivity(y_true, scores, target)``: the highest such threshold."""
    items = require_function(answer, "threshold_for_sensitivity")
    if not items[0].ok:
        return items
    rng = np.random.default_rng(11)
    for n, target in [(100, 0.9), (300, 0.95), (57, 0.8)]:
        y = (rng.random(n) < 0.4).astype(int)
        y[:2] = [0, 1]
        scores = np.round(np.clip(rng.normal(0.35 + 0.3 * y, 0.2), 0, 1), 3)
        got, error = call_safely(answer, "threshold_for_sensitivity", y, scores, target)
        if error:
            return [*items, error]
        try:
            got = float(got)
        except (TypeError, ValueError):
            return [*items, Item(False, f"return one threshold (a number), got {got!r}")]
        want = _reference_threshold(y, scores, target)
        sens = ((scores >= got) & (y == 1)).sum() / (y == 1).sum()
        if sens < target - 1e-12:
            return [
                *items,
                Item(
                    False,
                    f"at your threshold {got:.3f} the sensitivity is {sens:.3f}, "
                    f"below the target {target}",
                ),
            ]
        if got < want - 1e-12:
            spec_got = ((scores < got) & (y == 0)).sum() / (y == 0).sum()
            spec_want = ((scores < want) & (y == 0)).sum() / (y == 0).sum()
            return [
                *items,
                Item(
                    False,
                    f"your threshold reaches the target sensitivity, but a higher "
                    f"one does too and keeps specificity {spec_want:.3f} "
                    f"instead of {spec_got:.3f}: pick the highest",
                ),
            ]
    items.append(
        Item(True, "the highest threshold that reaches the target sensitivity, on three score sets")
    )
    return items


def check_class_weight(answer: Any) -> list[Item]:
    """``balanced_class_weight(y)`` against scikit-learn's ``compute_class_weight('balanced')``."""
    from sklearn.utils.class_weight import compute_class_weight

    items = require_function(answer, "balanced_class_weight")
    if not items[0].ok:
        return items
    for y in (np.array([0] * 90 + [1] * 10), np.array([0] * 30 + [1] * 70), np.array([0, 1] * 8)):
        got, error = call_safely(answer, "balanced_class_weight", y)
        if error:
            return [*items, error]
        if not isinstance(got, dict) or set(got) != {0, 1}:
            return [
                *items,
                Item(
                    False,
                    "return a dict {0: weight_of_negatives, 1: weight_of_positives}"
                    f", got {got!r}",
                ),
            ]
        want = compute_class_weight("balanced", classes=np.array([0, 1]), y=y)
        w0, w1 = float(got[0]), float(got[1])
        if np.allclose([w0, w1], want):
            continue
        counts = np.bincount(y, minlength=2)
        if np.isclose(w1 / w0, want[1] / want[0]):
            msg = (
                "the ratio is right but the scale is not: with balanced weights the weighted "
                "number of samples equals the number of samples"
            )
        elif np.allclose([w0, w1], counts / counts.sum()) or np.allclose([w0, w1], counts):
            msg = "the rarer class must get the larger weight, not the smaller"
        else:
            msg = f"for {counts[0]} negatives and {counts[1]} positives the weights are off"
        return [*items, Item(False, msg)]
    items.append(Item(True, "matches scikit-learn's 'balanced' class weights"))
    return items


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
