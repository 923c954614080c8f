"""Exercises of lesson 09 (research with images): a texture feature, PCA, an effect size."""

from __future__ import annotations

import numpy as np

from medlab.course.exercises import ExerciseDef
from medlab.course.exercises._declarative import Array, FunctionCheck, Mistake, Number

__all__ = ["EXERCISES"]


# --------------------------------------------------------------------------- 09.glcm_contrast


def _glcm_images() -> list[tuple[np.ndarray]]:
    rng = np.random.default_rng(9)
    smooth = np.add.outer(np.arange(12), np.arange(15)) // 3
    return [
        (rng.integers(0, 8, (10, 12)).astype(np.uint8),),
        (smooth.astype(np.uint8),),
        (np.tile(np.array([0, 7], np.uint8), (9, 8)),),
    ]


def _contrast(q: np.ndarray) -> float:
    from skimage.feature import graycomatrix, graycoprops

    glcm = graycomatrix(q, [1], [0], levels=int(q.max()) + 1, symmetric=True, normed=True)
    return float(graycoprops(glcm, "contrast")[0, 0])


def _steps(q: np.ndarray, axis: int) -> np.ndarray:
    """Grey-level differences between neighbours along ``axis`` (1: horizontal)."""
    return np.diff(q.astype(float), axis=axis)


# glcm_contrast(q): contrast of the horizontal, symmetric, normalised GLCM
check_glcm_contrast = FunctionCheck(
    "glcm_contrast",
    cases=_glcm_images,
    reference=_contrast,
    returns=Number("the contrast"),
    mistakes=(
        Mistake(
            "contrast weights each pair by the squared grey-level difference, not its size",
            like=lambda q: np.mean(np.abs(_steps(q, 1))),
        ),
        Mistake(
            "those are vertical neighbours; the exercise asks for horizontal ones (angle 0)",
            like=lambda q: np.mean(_steps(q, 0) ** 2),
        ),
        Mistake(
            "normalise: the GLCM is a table of probabilities that sums to 1",
            like=lambda q: np.sum(_steps(q, 1) ** 2),
        ),
    ),
    otherwise=lambda got, want, q: f"{got:.4g} is not the contrast of a {q.shape} test image",
    passed="matches scikit-image's graycoprops contrast on three images",
)


# --------------------------------------------------------------------------- 09.pca_variance


def _pca_data() -> list[tuple[np.ndarray]]:
    rng = np.random.default_rng(4)
    a = rng.normal(size=(60, 4)) @ np.diag([3.0, 1.5, 1.0, 0.2]) + 5.0
    b = rng.normal(size=(40, 3)) @ rng.normal(size=(3, 3)) - 2.0
    c = np.column_stack([np.arange(30.0), 2 * np.arange(30.0) + rng.normal(0, 1, 30)])
    return [(a,), (b,), (c,)]


def _pca_ratios(x: np.ndarray) -> np.ndarray:
    from sklearn.decomposition import PCA

    return PCA().fit(x).explained_variance_ratio_


def _uncentred_ratios(x: np.ndarray) -> np.ndarray:
    raw = np.linalg.eigvalsh(x.T @ x)[::-1]
    return raw / raw.sum()


def _within_1e8(a: np.ndarray, b: np.ndarray) -> bool:
    return bool(np.allclose(a, b, atol=1e-8))


# explained_variance_ratio(X): eigenvalues of the covariance, sorted, normalised
check_pca_variance = FunctionCheck(
    "explained_variance_ratio",
    cases=_pca_data,
    reference=_pca_ratios,
    returns=Array(
        wrong_shape=lambda got, want, x: (
            f"for {x.shape[1]} features return {x.shape[1]} ratios, got {got.size}"
        )
    ),
    close=_within_1e8,
    mistakes=(
        Mistake(
            "the ratios are right but not sorted from the largest component down",
            when=lambda got, want, x: _within_1e8(np.sort(got)[::-1], want),
        ),
        Mistake(
            lambda got, *_: (
                f"the ratios sum to {got.sum():.4g}: divide each variance by their total"
            ),
            when=lambda got, *_: not np.isclose(got.sum(), 1.0),
        ),
        Mistake("centre the features first (subtract each column's mean)", like=_uncentred_ratios),
    ),
    otherwise=lambda got, want, x: f"the ratios differ from PCA's on a {x.shape} test matrix",
    passed="matches scikit-learn's explained_variance_ratio_ on three matrices",
)


# --------------------------------------------------------------------------- 09.cohens_d


def _group_cases() -> list[tuple[np.ndarray, np.ndarray]]:
    rng = np.random.default_rng(12)
    return [
        (rng.normal(0, 1, 40), rng.normal(0.8, 1, 40)),
        (rng.normal(10, 2, 25), rng.normal(9, 3, 60)),
        (np.array([1.0, 2, 3, 4]), np.array([3.0, 4, 5, 6, 7, 8])),
    ]


def _cohens_d(a: np.ndarray, b: np.ndarray) -> float:
    na, nb = len(a), len(b)
    pooled = np.sqrt(((na - 1) * a.var(ddof=1) + (nb - 1) * b.var(ddof=1)) / (na + nb - 2))
    return float((b.mean() - a.mean()) / pooled)


def _unpooled_d(a: np.ndarray, b: np.ndarray) -> float:
    """The difference over the plain average of the two variances (right when na == nb)."""
    return float(abs(b.mean() - a.mean()) / np.sqrt((a.var(ddof=1) + b.var(ddof=1)) / 2))


# cohens_d(a, b): (mean(b) − mean(a)) / pooled standard deviation (ddof=1)
check_cohens_d = FunctionCheck(
    "cohens_d",
    cases=_group_cases,
    reference=_cohens_d,
    returns=Number("the effect size"),
    mistakes=(
        Mistake(
            "the sign is reversed: the difference is mean(b) − mean(a)",
            like=lambda a, b: -_cohens_d(a, b),
        ),
        Mistake(
            "that is the raw difference of the means; divide by the pooled standard deviation",
            when=lambda got, want, a, b: np.isclose(abs(got), abs(b.mean() - a.mean())),
        ),
        Mistake(
            "with groups of different sizes, weight each variance by its degrees of freedom "
            "(n − 1)",
            when=lambda got, want, a, b: (
                np.isclose(abs(got), _unpooled_d(a, b)) and len(a) != len(b)
            ),
        ),
    ),
    otherwise=lambda got, want, a, b: (
        f"{got:.4g} is not the standardised difference for groups of {len(a)} and {len(b)}"
    ),
    passed="Cohen's d is right on equal and unequal groups",
)


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
