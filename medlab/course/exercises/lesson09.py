"""Exercises of lesson 09 (research with images): a texture feature, PCA, an effect size."""

from __future__ import annotations

from typing import Any

import numpy as np

from medlab.course.exercises import ExerciseDef, Item
from medlab.course.exercises._functions import as_number, call_safely, require_function

__all__ = ["EXERCISES"]


def _glcm_images() -> list[np.ndarray]:
    rng = np.random.default_rng(9)
    smooth = np.add.outer(np.arange(12), np.arange(15)) // 3
    return [
        rng.integers(0, 8, (10, 12)).astype(np.uint8),
        smooth.astype(np.uint8),
        np.tile(np.array([0, 7], np.uint8), (9, 8)),
    ]


def check_glcm_contrast(answer: Any) -> list[Item]:
    """``glcm_contrast(q)``: contrast of the horizontal, symmetric, normalised GLCM."""
    from skimage.feature import graycomatrix, graycoprops

    items = require_function(answer, "glcm_contrast")
    if not items[0].ok:
        return items
    for q in _glcm_images():
        got, error = call_safely(answer, "glcm_contrast", q)
        if error:
            return [*items, error]
        value, bad = as_number(got, "the contrast")
        if bad:
            return [*items, bad]
        glcm = graycomatrix(q, [1], [0], levels=int(q.max()) + 1, symmetric=True, normed=True)
        want = float(graycoprops(glcm, "contrast")[0, 0])
        if np.isclose(value, want):
            continue
        a, b = q[:, :-1].astype(float), q[:, 1:].astype(float)
        vertical = float(np.mean((q[:-1, :].astype(float) - q[1:, :]) ** 2))
        if np.isclose(value, float(np.mean(np.abs(a - b)))):
            msg = "contrast weights each pair by the squared grey-level difference, not its size"
        elif np.isclose(value, vertical) and not np.isclose(vertical, want):
            msg = "those are vertical neighbours; the exercise asks for horizontal ones (angle 0)"
        elif np.isclose(value, float(np.sum((a - b) ** 2))):
            msg = "normalise: the GLCM is a table of probabilities that sums to 1"
        else:
            msg = f"{value:.4g} is not the contrast of a {q.shape} test image"
        return [*items, Item(False, msg)]
    items.append(Item(True, "matches scikit-image's graycoprops contrast on three images"))
    return items


def _pca_data() -> list[np.ndarray]:
    rng = np.random.default_rng(4)
    a = rng.normal(size=(60, 4)) @ np.diag([3.0, 1.5, 1.0, 0.2]) + 5.0
    b = rng.normal(size=(40, 3)) @ rng.normal(size=(3, 3)) - 2.0
    c = np.column_stack([np.arange(30.0), 2 * np.arange(30.0) + rng.normal(0, 1, 30)])
    return [a, b, c]


def check_pca_variance(answer: Any) -> list[Item]:
    """``explained_variance_ratio(X)``: eigenvalues of the covariance, sorted, normalised."""
    from sklearn.decomposition import PCA

    items = require_function(answer, "explained_variance_ratio")
    if not items[0].ok:
        return items
    for x in _pca_data():
        got, error = call_safely(answer, "explained_variance_ratio", x)
        if error:
            return [*items, error]
        try:
            ratio = np.asarray(got, dtype=float).ravel()
        except (TypeError, ValueError):
            return [*items, Item(False, f"return an array of ratios, got {type(got).__name__}")]
        want = PCA().fit(x).explained_variance_ratio_
        if ratio.shape != want.shape:
            return [
                *items,
                Item(False, f"for {x.shape[1]} features return {x.shape[1]} ratios, "
                            f"got {ratio.size}"),
            ]
        if np.allclose(ratio, want, atol=1e-8):
            continue
        if np.allclose(np.sort(ratio)[::-1], want, atol=1e-8):
            msg = "the ratios are right but not sorted from the largest component down"
        elif not np.isclose(ratio.sum(), 1.0):
            msg = f"the ratios sum to {ratio.sum():.4g}: divide each variance by their total"
        else:
            raw = np.linalg.eigvalsh(x.T @ x)[::-1]
            if np.allclose(ratio, raw / raw.sum(), atol=1e-8):
                msg = "centre the features first (subtract each column's mean)"
            else:
                msg = f"the ratios differ from PCA's on a {x.shape} test matrix"
        return [*items, Item(False, msg)]
    items.append(Item(True, "matches scikit-learn's explained_variance_ratio_ on three matrices"))
    return items


def check_cohens_d(answer: Any) -> list[Item]:
    """``cohens_d(a, b)``: (mean(b) − mean(a)) / pooled standard deviation (ddof=1)."""
    items = require_function(answer, "cohens_d")
    if not items[0].ok:
        return items
    rng = np.random.default_rng(12)
    cases = [
        (rng.normal(0, 1, 40), rng.normal(0.8, 1, 40)),
        (rng.normal(10, 2, 25), rng.normal(9, 3, 60)),
        (np.array([1.0, 2, 3, 4]), np.array([3.0, 4, 5, 6, 7, 8])),
    ]
    for a, b in cases:
        got, error = call_safely(answer, "cohens_d", a, b)
        if error:
            return [*items, error]
        value, bad = as_number(got, "the effect size")
        if bad:
            return [*items, bad]
        na, nb = len(a), len(b)
        pooled = np.sqrt(((na - 1) * a.var(ddof=1) + (nb - 1) * b.var(ddof=1)) / (na + nb - 2))
        want = (b.mean() - a.mean()) / pooled
        if np.isclose(value, want):
            continue
        if np.isclose(value, -want):
            msg = "the sign is reversed: the difference is mean(b) − mean(a)"
        elif np.isclose(abs(value), abs(b.mean() - a.mean())):
            msg = "that is the raw difference of the means; divide by the pooled standard deviation"
        elif np.isclose(
            abs(value), abs(b.mean() - a.mean()) / np.sqrt((a.var(ddof=1) + b.var(ddof=1)) / 2)
        ) and na != nb:
            msg = (
                "with groups of different sizes, weight each variance by its degrees of "
                "freedom (n − 1)"
            )
        else:
            msg = f"{value:.4g} is not the standardised difference for groups of {na} and {nb}"
        return [*items, Item(False, msg)]
    items.append(Item(True, "Cohen's d is right on equal and unequal groups"))
    return items


EXERCISES = (
    ExerciseDef(
        id="09.glcm_contrast",
        title="A texture feature by hand",
        checker=check_glcm_contrast,
        hints=(
            "The grey-level co-occurrence matrix counts pairs of neighbouring grey levels; "
            "contrast averages (i − j)² over those pairs.",
            "Horizontal neighbours are q[:, :-1] and q[:, 1:]. Symmetric counting adds each "
            "pair both ways, which does not change (i − j)².",
            "So the normalised, symmetric contrast is the mean of the squared differences of "
            "horizontal neighbours.",
        ),
        solution=(
            "def glcm_contrast(q):\n"
            "    left = q[:, :-1].astype(float)\n"
            "    right = q[:, 1:].astype(float)\n"
            "    return np.mean((left - right) ** 2)\n"
        ),
    ),
    ExerciseDef(
        id="09.pca_variance",
        title="PCA's explained variance by hand",
        checker=check_pca_variance,
        hints=(
            "PCA's components are the eigenvectors of the features' covariance matrix; their "
            "variances are its eigenvalues.",
            "Centre X (subtract column means), then np.cov(Xc, rowvar=False) or "
            "Xc.T @ Xc / (n − 1); np.linalg.eigvalsh gives the eigenvalues in ascending order.",
            "Sort them from largest to smallest and divide by their sum.",
        ),
        solution=(
            "def explained_variance_ratio(X):\n"
            "    Xc = X - X.mean(axis=0)\n"
            "    eigenvalues = np.linalg.eigvalsh(np.cov(Xc, rowvar=False))[::-1]\n"
            "    return eigenvalues / eigenvalues.sum()\n"
        ),
    ),
    ExerciseDef(
        id="09.cohens_d",
        title="An effect size: Cohen's d",
        checker=check_cohens_d,
        hints=(
            "An effect size says how big a difference is, in units of the spread, independent "
            "of the sample size.",
            "Cohen's d = (mean(b) − mean(a)) / s, with s the pooled standard deviation.",
            "s² = ((na − 1)·var(a) + (nb − 1)·var(b)) / (na + nb − 2), variances with ddof=1.",
        ),
        solution=(
            "def cohens_d(a, b):\n"
            "    na, nb = len(a), len(b)\n"
            "    pooled_var = ((na - 1) * np.var(a, ddof=1) + (nb - 1) * np.var(b, ddof=1)) / (\n"
            "        na + nb - 2\n"
            "    )\n"
            "    return (np.mean(b) - np.mean(a)) / np.sqrt(pooled_var)\n"
        ),
    ),
)
