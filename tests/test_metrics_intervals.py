"""Confidence intervals of medlab.metrics: the Wilson interval against SciPy's and its exact
coverage under a known binomial; the bootstrap AUC interval's coverage under a known AUC."""

from statistics import NormalDist

import numpy as np
import pytest
from scipy.stats import binom, binomtest

from medlab import metrics


@pytest.mark.parametrize("n", [1, 8, 16, 75, 624])
@pytest.mark.parametrize("confidence", [0.9, 0.95, 0.99])
def test_wilson_interval_equals_scipy_binomtest_wilson(n, confidence):
    for k in sorted({0, 1, n // 3, n // 2, n - 1, n}):
        got = metrics.wilson_interval(k, n, confidence)
        ci = binomtest(k, n).proportion_ci(confidence_level=confidence, method="wilson")
        np.testing.assert_allclose(got, (ci.low, ci.high), atol=1e-12, err_msg=f"{k}/{n}")


def test_wilson_interval_covers_a_known_binomial_proportion_as_promised():
    # exact coverage: the probability, over k ~ Binomial(n, p), that the interval holds p
    for n in (16, 75):
        intervals = np.array([metrics.wilson_interval(k, n) for k in range(n + 1)])
        coverage = []
        for p in np.linspace(0.1, 0.9, 81):
            holds = (intervals[:, 0] <= p) & (p <= intervals[:, 1])
            coverage.append(binom.pmf(np.arange(n + 1), n, p)[holds].sum())
        assert 0.945 < np.mean(coverage) < 0.96, f"n={n}: mean coverage {np.mean(coverage):.3f}"
        assert min(coverage) > 0.92, f"n={n}: lowest coverage {min(coverage):.3f}"


def test_wilson_interval_holds_the_observed_proportion_exactly_at_every_count():
    for n in range(1, 401):
        for k in range(n + 1):
            lower, upper = metrics.wilson_interval(k, n)
            assert 0.0 <= lower <= k / n <= upper <= 1.0, f"{k}/{n}"
        assert metrics.wilson_interval(0, n)[0] == 0.0 and metrics.wilson_interval(n, n)[1] == 1.0


def test_wilson_interval_is_not_empty_at_zero_or_all_and_refuses_bad_counts():
    assert metrics.wilson_interval(0, 16)[0] == 0.0 and metrics.wilson_interval(0, 16)[1] > 0.15
    assert metrics.wilson_interval(75, 75)[1] == 1.0
    assert round(metrics.wilson_interval(75, 75)[0], 3) == 0.951
    for bad in [(5, 4), (1, 0), (-1, 4), (1.5, 4), (True, 4)]:
        with pytest.raises(ValueError, match="successes|count"):
            metrics.wilson_interval(*bad)
    with pytest.raises(ValueError, match="confidence"):
        metrics.wilson_interval(3, 4, confidence=95)


def test_roc_auc_interval_holds_the_point_estimate_and_is_reproducible():
    rng = np.random.default_rng(1)
    y = np.r_[np.zeros(40, int), np.ones(30, int)]
    scores = np.r_[rng.normal(0, 1, 40), rng.normal(1, 1, 30)].round(1)  # with ties
    lower, upper = metrics.roc_auc_interval(y, scores)
    assert lower < metrics.roc_auc(y, scores) < upper
    assert metrics.roc_auc_interval(y, scores) == (lower, upper)
    narrower = metrics.roc_auc_interval(y, scores, confidence=0.8)
    assert lower < narrower[0] < narrower[1] < upper
    with pytest.raises(ValueError, match="both classes"):
        metrics.roc_auc_interval(np.ones(5, int), np.arange(5.0))
    with pytest.raises(ValueError, match="n_boot"):
        metrics.roc_auc_interval(y, scores, n_boot=10)


def test_roc_auc_interval_covers_a_known_auc():
    # normal scores N(0, 1) for negatives and N(d, 1) for positives have AUC = Phi(d / sqrt 2)
    d = 1.0
    true_auc = NormalDist().cdf(d / np.sqrt(2))
    rng = np.random.default_rng(7)
    y = np.r_[np.zeros(50, int), np.ones(50, int)]
    hits = []
    for repeat in range(200):
        scores = np.r_[rng.normal(0, 1, 50), rng.normal(d, 1, 50)]
        lower, upper = metrics.roc_auc_interval(y, scores, n_boot=400, seed=repeat)
        hits.append(lower <= true_auc <= upper)
    # 95 % nominal; the percentile bootstrap runs a little narrow at 50 + 50 cases, and
    # 200 repeats carry a standard error of about 1.5 points
    assert 0.88 <= np.mean(hits) <= 0.99, f"coverage {np.mean(hits):.3f}"
