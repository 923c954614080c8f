"""Exercise checkers of lessons 08, 09 and 10: the reference passes (and agrees with an
independent library), typical mistakes fail with specific feedback, never the solution."""

from __future__ import annotations

import numpy as np
import pytest
from exercise_feedback import failed_with
from scipy import ndimage

from medlab import measure
from medlab.course import evaluate, solution


def _reference(exercise_id: str, name: str):
    import datetime
    import hashlib
    import hmac
    import uuid

    namespace = {
        "np": np,
        "ndimage": ndimage,
        "datetime": datetime,
        "hashlib": hashlib,
        "hmac": hmac,
        "uuid": uuid,
    }
    exec(solution(exercise_id).code, namespace)
    return namespace[name]


# --------------------------------------------------------------------------- lesson 08


def _blob():
    m = np.zeros((10, 20, 20), bool)
    m[3:7, 5:12, 6:15] = True
    m[5, 12:16, 10] = True
    return m


def test_volume_reference_agrees_with_measure_and_mistakes():
    fn = _reference("08.volume", "nodule_volume_mm3")
    assert fn(_blob(), (2.5, 1.5, 1.5)) == pytest.approx(
        measure.volume_mm3(_blob(), (2.5, 1.5, 1.5))
    )
    assert fn(np.ones((4, 10, 10), bool), (2.5, 1.0, 1.0)) == pytest.approx(1000.0)  # by hand
    assert evaluate("08.volume", fn).passed
    failed_with("08.volume", lambda m, sp: float(m.sum()), "number of voxels")
    failed_with("08.volume", lambda m, sp: m.sum() * np.prod(sp) / 1000, "mL")
    failed_with("08.volume", lambda m, sp: m.sum() * sp[1] * sp[2], "all three axes")
    failed_with("08.volume", lambda m, sp: "1 mL", "one number")
    failed_with("08.volume", 2.5, "should be a function")
    assert evaluate("08.volume", None).status == "not attempted"


def _disc(radius_px: float, size: int = 31) -> np.ndarray:
    yy, xx = np.mgrid[:size, :size] - size // 2
    return yy**2 + xx**2 <= radius_px**2


def test_diameter_reference_agrees_with_measure_and_by_hand():
    fn = _reference("08.diameter", "mean_axial_diameter")
    # a 3 x 5 rectangle of 2 mm pixels: edge to edge, long = the diagonal of 6 x 10 mm,
    # short = its extent across the diagonal (the rectangle's width seen along it)
    rect = np.zeros((7, 9), bool)
    rect[2:5, 2:7] = True
    long_mm = np.hypot(6.0, 10.0)
    short_mm = 2 * 6.0 * 10.0 / long_mm  # both other corners, each at area/diagonal from it
    assert fn(rect, (2.0, 2.0)) == pytest.approx((long_mm + short_mm) / 2)
    # a pixelated disc: both axes are about its diameter, edge to edge
    assert fn(_disc(10.0), (0.5, 0.5)) == pytest.approx(10.5, abs=0.3)
    # the library's guideline measurement on a real-like slice, and the axial slice of a 3D mask
    blob = _blob()
    expected = measure.axial_diameters_mm(blob, (5.0, 0.7, 0.7))
    assert fn(blob[expected["slice"]], (0.7, 0.7)) == pytest.approx(expected["mean_mm"])
    assert evaluate("08.diameter", fn).passed


def test_diameter_mistakes_get_specific_feedback():
    from scipy.spatial.distance import pdist

    from medlab.course.exercises.lesson08 import _axes, _corners

    fn = _reference("08.diameter", "mean_axial_diameter")
    failed_with("08.diameter", lambda m, sp: fn(m, (1.0, 1.0)), "in pixels")
    failed_with("08.diameter", lambda m, sp: _axes(_corners(m, sp))[0], "long axis alone")
    failed_with("08.diameter", lambda m, sp: 2 * fn(m, sp), "sum")
    failed_with(
        "08.diameter",
        lambda m, sp: sum(_axes(np.argwhere(m) * np.asarray(sp))) / 2,
        "pixel centres",
    )
    failed_with(
        "08.diameter",
        lambda m, sp: (
            (
                _axes(_corners(m, sp))[0]
                + ((np.ptp(np.argwhere(m), axis=0) + 1) * np.asarray(sp)).min()
            )
            / 2
        ),
        "perpendicular",
    )
    # the 3D habit: the longest distance of all, not the mean of two axes
    failed_with(
        "08.diameter", lambda m, sp: pdist(np.argwhere(m) * np.asarray(sp)).max(), "not the mean"
    )
    failed_with("08.diameter", lambda m, sp: 1 / 0, "ZeroDivisionError")


def test_wall_distance_reference_agrees_with_measure_and_mistakes():
    from scipy.spatial.distance import cdist

    fn = _reference("08.wall_distance", "distance_to_wall")
    a = _blob()
    wall = np.zeros_like(a)
    wall[:, :, 18:] = True
    sp = (2.5, 1.5, 0.7)
    want = cdist(np.argwhere(a) * sp, np.argwhere(wall) * sp).min()
    assert fn(a, wall, sp) == pytest.approx(want)
    assert fn(a, wall, sp) == pytest.approx(measure.distance_to_mask_mm(a, wall, sp))
    assert evaluate("08.wall_distance", fn).passed
    failed_with(
        "08.wall_distance",
        lambda m, w, sp: ndimage.distance_transform_edt(~w)[m].min(),
        "in voxels",
    )
    failed_with(
        "08.wall_distance",
        lambda m, w, sp: cdist(
            np.argwhere(m).mean(axis=0, keepdims=True) * sp, np.argwhere(w) * sp
        ).min(),
        "centre",
    )
    failed_with("08.wall_distance", lambda m, w, sp: -1.0 * fn(m, w, sp), "not the shortest")


# --------------------------------------------------------------------------- lesson 09


def test_glcm_contrast_reference_agrees_with_skimage_and_mistakes():
    from skimage.feature import graycomatrix, graycoprops

    fn = _reference("09.glcm_contrast", "glcm_contrast")
    q = np.random.default_rng(0).integers(0, 16, (20, 25)).astype(np.uint8)
    glcm = graycomatrix(q, [1], [0], levels=16, symmetric=True, normed=True)
    assert fn(q) == pytest.approx(graycoprops(glcm, "contrast")[0, 0])
    assert evaluate("09.glcm_contrast", fn).passed
    failed_with(
        "09.glcm_contrast", lambda q: np.mean(np.abs(q[:, :-1].astype(float) - q[:, 1:])), "squared"
    )
    failed_with(
        "09.glcm_contrast", lambda q: np.mean((q[:-1].astype(float) - q[1:]) ** 2), "vertical"
    )
    failed_with(
        "09.glcm_contrast", lambda q: np.sum((q[:, :-1].astype(float) - q[:, 1:]) ** 2), "normalise"
    )
    failed_with("09.glcm_contrast", lambda q: np.mean(q - q), "not the contrast")
    assert evaluate("09.glcm_contrast", None).status == "not attempted"


def test_pca_variance_reference_agrees_with_sklearn_and_mistakes():
    from sklearn.decomposition import PCA

    fn = _reference("09.pca_variance", "explained_variance_ratio")
    x = np.random.default_rng(1).normal(size=(50, 5)) @ np.diag([4, 2, 1, 0.5, 0.1]) + 3
    np.testing.assert_allclose(fn(x), PCA().fit(x).explained_variance_ratio_, atol=1e-10)
    assert evaluate("09.pca_variance", fn).passed
    failed_with("09.pca_variance", lambda x: fn(x)[::-1], "sorted")
    failed_with(
        "09.pca_variance", lambda x: np.linalg.eigvalsh(np.cov(x, rowvar=False))[::-1], "sum to"
    )
    failed_with("09.pca_variance", lambda x: fn(x)[:2], "ratios")
    failed_with(
        "09.pca_variance",
        lambda x: np.linalg.eigvalsh(x.T @ x)[::-1] / np.linalg.eigvalsh(x.T @ x).sum(),
        "centre",
    )


def test_cohens_d_reference_agrees_with_t_statistic_and_mistakes():
    from scipy import stats

    fn = _reference("09.cohens_d", "cohens_d")
    rng = np.random.default_rng(2)
    a, b = rng.normal(0, 1, 30), rng.normal(1, 1.5, 45)
    t = stats.ttest_ind(b, a).statistic  # Student's t, pooled variance
    assert fn(a, b) == pytest.approx(t / np.sqrt(len(a) * len(b) / (len(a) + len(b))))
    assert fn(np.array([1.0, 3.0]), np.array([3.0, 5.0])) == pytest.approx(np.sqrt(2))  # by hand
    assert evaluate("09.cohens_d", fn).passed
    failed_with("09.cohens_d", lambda a, b: fn(b, a), "sign")
    failed_with("09.cohens_d", lambda a, b: np.mean(b) - np.mean(a), "pooled")
    failed_with(
        "09.cohens_d",
        lambda a, b: (
            (np.mean(b) - np.mean(a)) / np.sqrt((np.var(a, ddof=1) + np.var(b, ddof=1)) / 2)
        ),
        "degrees of freedom",
    )


# --------------------------------------------------------------------------- lesson 10


def test_uid_remap_reference_is_valid_for_pydicom_and_mistakes():
    import hashlib
    import hmac
    import uuid

    import pydicom

    from medlab.deidentify import remap_uid

    fn = _reference("10.uid_remap", "new_uid")
    uid = "1.3.6.1.4.1.5962.1.2.1.20040119072730.12322"
    assert pydicom.uid.UID(fn(uid, "s3cret-salt")).is_valid
    assert fn(uid, "s3cret-salt") == fn(uid, "s3cret-salt") != fn(uid, "other-salt")
    assert fn(uid, "s3cret-salt") == remap_uid(uid, "s3cret-salt")  # the library's mapping
    new = uuid.UUID(int=int(fn(uid, "s3cret-salt")[5:]))
    assert new.version == 8 and new.variant == uuid.RFC_4122  # a real UUID under 2.25
    assert evaluate("10.uid_remap", fn).passed
    failed_with("10.uid_remap", lambda uid, salt: "1.2.3." + uid, "contains")
    failed_with("10.uid_remap", lambda uid, salt: "2.25.1", "different UIDs")

    def version_8(first_16_bytes):  # RFC 9562's octets 6 and 8: version 8, variant 10
        octets = bytearray(first_16_bytes)
        octets[6] = (octets[6] & 0x0F) | 0x80
        octets[8] = (octets[8] & 0x3F) | 0x80
        return uuid.UUID(bytes=bytes(octets))

    def unsalted(uid, salt):
        return "2.25." + str(version_8(hashlib.sha256(uid.encode()).digest()[:16]).int)

    failed_with("10.uid_remap", unsalted, "salt")

    def labelled_random(uid, key):  # the right bits, stamped version 4 (random): a false label
        digest = hmac.new(key.encode(), uid.encode(), hashlib.sha256).digest()[:16]
        return "2.25." + str(uuid.UUID(bytes=digest, version=4).int)

    failed_with("10.uid_remap", labelled_random, "version 8")
    failed_with(
        "10.uid_remap",
        lambda uid, salt: "2.25.0" + str(abs(hash((uid, salt))))[:20] + "7",
        "not a valid UID",
    )

    def truncated_hash(uid, salt):  # 128 bits of a salted hash are no UUID
        digest = hmac.new(salt.encode(), uid.encode(), hashlib.sha256).digest()[:16]
        return "2.25." + str(int.from_bytes(digest, "big"))

    failed_with("10.uid_remap", truncated_hash, "UUID")
    # under a root of one's own (2.999 is the arc for examples) any number is fine
    assert evaluate(
        "10.uid_remap",
        lambda uid, salt: (
            "2.999."
            + str(
                int.from_bytes(
                    hmac.new(salt.encode(), uid.encode(), hashlib.sha256).digest()[:12], "big"
                )
            )
        ),
    ).passed
    counter = iter(range(100))
    failed_with("10.uid_remap", lambda uid, salt: f"2.25.{next(counter) + 1}", "same UID")
    failed_with("10.uid_remap", lambda uid, salt: 25, "string")


def test_date_shift_reference_agrees_with_medlab_deidentify_and_mistakes():
    from medlab.deidentify import shift_date

    fn = _reference("10.date_shift", "shift_da")
    for value, days in [("20200228", 1), ("20040119", -400), ("19991231", 1)]:
        assert fn(value, days) == shift_date(value, days)
    assert evaluate("10.date_shift", fn).passed
    failed_with("10.date_shift", lambda v, d: str(int(v) + d), "calendar arithmetic")
    failed_with("10.date_shift", lambda v, d: fn(v, d)[:4] + "-" + fn(v, d)[4:6], "8 digits")
    failed_with("10.date_shift", lambda v, d: v, "should not give")
    failed_with("10.date_shift", lambda v, d: 20200101, "string")


def test_ece_reference_agrees_with_sklearn_calibration_curve_and_mistakes():
    from sklearn.calibration import calibration_curve

    fn = _reference("10.ece", "expected_calibration_error")
    rng = np.random.default_rng(3)
    p = rng.random(1000)
    y = (rng.random(1000) < p**2).astype(int)
    frac_pos, mean_pred = calibration_curve(y, p, n_bins=10, strategy="uniform")
    counts = np.histogram(p, bins=np.linspace(0, 1, 11))[0]
    weights = counts[counts > 0] / len(p)
    assert fn(y, p, 10) == pytest.approx(np.sum(weights * np.abs(frac_pos - mean_pred)))
    assert fn(np.array([1, 0, 1, 0]), np.array([0.5, 0.5, 0.5, 0.5]), 10) == 0.0  # by hand
    assert fn(np.array([1, 1]), np.array([0.8, 0.8]), 10) == pytest.approx(0.2)
    assert evaluate("10.ece", fn).passed
    failed_with("10.ece", lambda y, p, n_bins=10: abs(np.mean(y) - np.mean(p)), "overall gap")
    failed_with("10.ece", lambda y, p, n_bins=10: fn(y, p, 10), "n_bins")

    def unweighted(y, p, n_bins=10):
        bins = np.minimum((p * n_bins).astype(int), n_bins - 1)
        return np.mean(
            [
                abs(y[bins == b].mean() - p[bins == b].mean())
                for b in range(n_bins)
                if np.any(bins == b)
            ]
        )

    failed_with("10.ece", unweighted, "fraction of samples")
