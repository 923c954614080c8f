"""Exercise checkers of lessons 01, 02 and 04: the reference passes, typical mistakes fail
with specific feedback that never contains the solution."""

from __future__ import annotations

import json

import numpy as np
import pytest
from exercise_feedback import failed_with

from medlab._resources import lessons_dir
from medlab.course import evaluate, solution
from medlab.course.exercises import get
from medlab.course.learner import solution_regions

LESSONS = {"01": "01_images_as_data", "02": "02_image_processing", "04": "04_cross_entropy"}


def _reference(exercise_id: str, **namespace):
    """Run the reference solution text in ``namespace`` (with NumPy) and return it."""
    namespace.setdefault("np", np)
    exec(solution(exercise_id).code, namespace)
    return namespace


# --------------------------------------------------------------------------- lesson 01


@pytest.fixture(scope="module")
def ct():
    from pydicom.data import get_testdata_file

    from medlab.io import read_dicom

    return read_dicom(get_testdata_file("CT_small.dcm"))


@pytest.fixture(scope="module")
def mri():
    from medlab.datasets import bundled_path
    from medlab.io import read_nifti

    return read_nifti(
        bundled_path("nilearn", "datasets/data/mni_icbm152_t1_tal_nlin_sym_09a_converted.nii.gz")
    )


def test_fov_reference_passes_and_equals_hand_worked_value(ct):
    fov = _reference("01.fov", ct=ct)["fov_mm"]
    assert np.allclose(fov, [128 * 0.661468] * 2)
    assert evaluate("01.fov", fov).passed
    assert evaluate("01.fov", (84.668, 84.668)).passed  # a tuple is fine


@pytest.mark.parametrize(
    ("answer", "fragment"),
    [
        ((128, 128), "pixel counts, not millimetres"),
        ((128 / 0.661468, 128 / 0.661468), "multiply, do not divide"),
        ((640.0, 640.0), "SliceThickness"),
        ((0.661468, 0.661468), "size of one pixel"),
        ((84.7, 84.7, 5.0), "should hold 2 numbers"),
        ("big", "should be 2 numbers"),
    ],
)
def test_fov_mistakes_get_specific_feedback(answer, fragment):
    failed_with("01.fov", answer, fragment)


def test_fov_placeholder_is_not_attempted():
    assert evaluate("01.fov", None).status == "not attempted"


def test_window_reference_matches_medlab_window():
    from medlab.preprocess import window

    my_window = _reference("01.window")["my_window"]
    hu = np.array([-2000.0, -1350.0, -600.0, 0.0, 150.0, 2000.0])
    assert np.allclose(my_window(hu, -600, 1500), window(hu, -600, 1500))
    assert evaluate("01.window", my_window).passed


@pytest.mark.parametrize(
    ("wrong", "fragment"),
    [
        (lambda hu, c, w: (hu - (c - w / 2)) / w, "should stay in [0, 1]"),
        (lambda hu, c, w: np.clip((hu - c) / w, 0, 1), "starts at center − width/2"),
        (lambda hu, c, w: np.clip((hu - (c - w / 2)) / (w / 2), 0, 1), "whole width"),
        (lambda hu, c, w: np.clip((hu + (c - w / 2)) / w, 0, 1), "should map to 0"),
        (lambda hu, c, w: np.clip(hu, 0, 1)[:1], "input's shape"),
        (lambda hu, c: hu, "raised TypeError"),
        (42, "should be a function"),
    ],
)
def test_window_mistakes_get_specific_feedback(wrong, fragment):
    failed_with("01.window", wrong, fragment)


def test_voxel_index_reference_passes_and_maps_back_to_origin(mri):
    index = _reference("01.voxel_index", mri=mri)["origin_index"]
    assert np.allclose(index, [98, 134, 72])  # nilearn's template: origin at (98, 134, 72)
    assert np.allclose((mri.affine @ np.append(index, 1))[:3], 0)
    assert evaluate("01.voxel_index", index).passed


@pytest.mark.parametrize(
    ("answer", "fragment"),
    [
        ((-98, -134, -72), "world position of voxel (0, 0, 0)"),
        ((98, 134, 72, 1), "drop the homogeneous coordinate"),
        ((0, 0, 0), "should map to (0, 0, 0) mm"),
        ((np.nan, 0, 0), "NaN"),
    ],
)
def test_voxel_index_mistakes_get_specific_feedback(answer, fragment):
    failed_with("01.voxel_index", answer, fragment)


# --------------------------------------------------------------------------- lesson 02


def test_convolve_reference_matches_scipy_and_medlab():
    from scipy import ndimage

    from medlab.preprocess import KERNELS, convolve2d

    convolve = _reference("02.convolve")["convolve"]
    image = np.random.default_rng(0).random((7, 10))
    for kernel in (KERNELS["sobel_y"], KERNELS["gaussian5"]):
        assert np.allclose(convolve(image, kernel), ndimage.convolve(image, kernel))
        assert np.allclose(convolve(image, kernel), convolve2d(image, kernel), atol=1e-6)
    assert evaluate("02.convolve", convolve).passed


def _correlate(image, kernel):
    from scipy import ndimage

    return ndimage.correlate(image, kernel, mode="reflect")


def _zero_padded(image, kernel):
    from scipy import ndimage

    return ndimage.convolve(image, kernel, mode="constant")


def _valid(image, kernel):
    from scipy import signal

    return signal.convolve2d(image, kernel, mode="valid")


def _correlate_zero(image, kernel):
    from scipy import ndimage

    return ndimage.correlate(image, kernel, mode="constant")


@pytest.mark.parametrize(
    ("wrong", "fragment"),
    [
        (_correlate, "this is correlation"),
        (_zero_padded, "border is not"),
        (_correlate_zero, "not flipped"),
        (_valid, "same size as the input"),
        (lambda image, kernel: image, "differ from scipy.ndimage.convolve"),
        (lambda image: image, "raised TypeError"),
    ],
)
def test_convolve_mistakes_get_specific_feedback(wrong, fragment):
    failed_with("02.convolve", wrong, fragment)


def test_psnr_reference_matches_skimage():
    from skimage.metrics import peak_signal_noise_ratio

    psnr = _reference("02.psnr")["psnr"]
    a = np.linspace(0, 1, 50).reshape(5, 10)
    b = a + 0.01 * np.cos(np.arange(50)).reshape(5, 10)
    assert psnr(a, b, 1.0) == pytest.approx(peak_signal_noise_ratio(a, b, data_range=1.0))
    assert evaluate("02.psnr", psnr).passed


@pytest.mark.parametrize(
    ("wrong", "fragment"),
    [
        (lambda r, t, d: 20 * np.log10(d / np.mean((r - t) ** 2)), "root of the MSE"),
        (lambda r, t, d: 10 * np.log10(d / np.mean((r - t) ** 2)), "squared too"),
        (lambda r, t, d: 10 * np.log(d**2 / np.mean((r - t) ** 2)), "log10"),
        (lambda r, t, d: 10 * np.log10(d**2 / np.sqrt(np.mean((r - t) ** 2))), "not its root"),
        (lambda r, t, d: 10 * np.log10(np.mean((r - t) ** 2) / d**2), "upside down"),
        (lambda r, t, d: 10 * np.log10(1 / np.mean((r - t) ** 2)), "data_range 255"),
        (lambda r, t, d: np.zeros(3), "one number"),
    ],
)
def test_psnr_mistakes_get_specific_feedback(wrong, fragment):
    failed_with("02.psnr", wrong, fragment)


def test_zscore_reference_matches_medlab_normalize():
    from medlab.preprocess import normalize

    zscore = _reference("02.zscore")["zscore"]
    image = np.arange(40.0).reshape(5, 8) ** 1.5
    mask = image > 30
    assert np.allclose(zscore(image, mask), normalize(image, "zscore", mask=mask), atol=1e-5)
    assert evaluate("02.zscore", zscore).passed


@pytest.mark.parametrize(
    ("wrong", "fragment"),
    [
        (lambda im, m: (im - im.mean()) / im.std(), "inside the mask only"),
        (lambda im, m: (im - im[m].mean()) / im[m].var(), "not the variance"),
        (lambda im, m: (im - im[m].mean()) / im[m].std(ddof=1), "ddof=0"),
        (lambda im, m: (im - np.mean(im[m])) / np.std(im[m], ddof=1), "sample standard deviation"),
        (lambda im, m: im - im[m].mean(), "not divided by the standard deviation"),
        (lambda im, m: (im - im.min()) / (im.max() - im.min()), "min-max"),
        (lambda im, m: (im[m] - im[m].mean()) / im[m].std(), "not only the pixels inside"),
        (lambda im, m: im * 0 + 5, "mean 0 and standard deviation 1"),
    ],
)
def test_zscore_mistakes_get_specific_feedback(wrong, fragment):
    failed_with("02.zscore", wrong, fragment)


# --------------------------------------------------------------------------- all three lessons


@pytest.mark.parametrize("number", sorted(LESSONS))
def test_lesson_metadata_lists_exactly_the_exercises_in_its_regions(number):
    path = lessons_dir() / f"{LESSONS[number]}.ipynb"
    if not path.exists():
        pytest.skip(f"{path.name} not written yet")
    nb = json.loads(path.read_text(encoding="utf-8"))
    listed = [e["id"] for e in nb["metadata"]["medlab"]["exercises"]]
    regions = [exercise_id for exercise_id, _ in solution_regions(nb, path.name)]
    assert listed == regions
    for exercise_id in listed:
        exercise = get(exercise_id)
        assert exercise.title in [e["title"] for e in nb["metadata"]["medlab"]["exercises"]]
        assert len(exercise.hints) >= 2


# --------------------------------------------------------------------------- lesson 04


def _sigmoid(z):
    return 1 / (1 + np.exp(-z))


def test_bce_reference_passes_and_matches_keras():
    keras = pytest.importorskip("keras")
    bce = _reference("04.bce")["bce"]
    y = np.array([1, 0, 1, 0], dtype="float32")
    p = np.array([0.9, 0.2, 0.4, 0.7], dtype="float32")
    assert (
        abs(bce(y.astype(float), p.astype(float)) - float(keras.losses.BinaryCrossentropy()(y, p)))
        < 1e-6
    )
    assert evaluate("04.bce", bce).passed


@pytest.mark.parametrize(
    ("wrong", "fragment"),
    [
        (lambda y, p: np.sum(-y * np.log(p) + (1 - y) * np.log(1 - p)), "both terms inside"),
        (lambda y, p: -np.sum(y * np.log(p) + (1 - y) * np.log(1 - p)), "divide by N"),
        (lambda y, p: np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)), "sign is wrong"),
        (lambda y, p: -np.mean(y * np.log10(p) + (1 - y) * np.log10(1 - p)), "natural logarithm"),
        (lambda y, p: -np.mean(y * np.log(p)), "term for the negatives is missing"),
        (lambda y, p: -(y * np.log(p) + (1 - y) * np.log(1 - p)), "one number"),
        (lambda y: 0.0, "raised TypeError"),
        ("bce", "should be a function"),
    ],
)
def test_bce_mistakes_get_specific_feedback(wrong, fragment):
    failed_with("04.bce", wrong, fragment)


def test_cce_reference_passes_matches_keras_and_reduces_to_bce():
    keras = pytest.importorskip("keras")
    cce = _reference("04.cce")["cce"]
    y = np.eye(3)[[0, 1, 2, 2]]
    p = np.array([[0.6, 0.3, 0.1], [0.2, 0.5, 0.3], [0.1, 0.1, 0.8], [0.3, 0.4, 0.3]])
    expected = float(
        keras.losses.CategoricalCrossentropy()(y.astype("float32"), p.astype("float32"))
    )
    assert abs(cce(y, p) - expected) < 1e-6
    assert evaluate("04.cce", cce).passed


@pytest.mark.parametrize(
    ("wrong", "fragment"),
    [
        (lambda y, p: -np.mean(y * np.log(p)), "every entry (N × K)"),
        (lambda y, p: -np.sum(y * np.log(p)), "divide by N"),
        (lambda y, p: np.mean(np.sum(y * np.log(p), axis=1)), "sign is wrong"),
        (lambda y, p: -np.mean(np.sum(np.log(p), axis=1)), "multiply by the one-hot labels"),
        (
            lambda y, p: (
                -np.mean(np.sum(y[:, :3] * np.log(p[:, :3]), axis=1)) if p.shape[1] == 3 else 0.0
            ),
            "do not hard-code K",
        ),
    ],
)
def test_cce_mistakes_get_specific_feedback(wrong, fragment):
    failed_with("04.cce", wrong, fragment)


def test_grad_logits_reference_matches_tensorflow():
    tf = pytest.importorskip("tensorflow")
    keras = pytest.importorskip("keras")
    grad = _reference("04.grad_logits")["bce_grad_logits"]
    y, z = np.array([1.0, 0.0, 1.0]), np.array([0.3, -2.0, 4.0])
    z_var = tf.Variable(z)
    with tf.GradientTape() as tape:
        loss = keras.losses.BinaryCrossentropy(from_logits=True)(y, z_var)
    assert np.allclose(grad(y, z), tape.gradient(loss, z_var).numpy(), atol=1e-6)
    assert evaluate("04.grad_logits", grad).passed


@pytest.mark.parametrize(
    ("wrong", "fragment"),
    [
        (lambda y, z: _sigmoid(z) - y, "divide by N"),
        (lambda y, z: (y - _sigmoid(z)) / len(z), "sign is flipped"),
        (
            lambda y, z: (_sigmoid(z) - y) / (_sigmoid(z) * (1 - _sigmoid(z))) / len(z),
            "with respect to the probability",
        ),
        (lambda y, z: float(np.mean(_sigmoid(z) - y)), "one entry per logit"),
        (lambda y, z: _sigmoid(z) / len(z), "values differ"),
    ],
)
def test_grad_logits_mistakes_get_specific_feedback(wrong, fragment):
    failed_with("04.grad_logits", wrong, fragment)


def test_stable_bce_reference_is_exact_for_huge_logits():
    stable = _reference("04.stable_bce")["bce_from_logits"]
    assert stable(np.array([1.0, 0.0]), np.array([-1000.0, 1000.0])) == pytest.approx(1000.0)
    assert evaluate("04.stable_bce", stable).passed


def _naive(y, z):
    p = 1 / (1 + np.exp(-z))
    return -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))


def _clipped(y, z):
    p = np.clip(1 / (1 + np.exp(-z)), 1e-7, 1 - 1e-7)
    return -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))


@pytest.mark.parametrize(
    ("wrong", "fragment"),
    [
        (_naive, "inf or NaN"),
        (_clipped, "capped"),
        (lambda y, z: np.mean(np.maximum(z, 0) - z * y), "moderate logits"),
        (lambda y, z: np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z))), "one number"),
    ],
)
def test_stable_bce_mistakes_get_specific_feedback(wrong, fragment):
    with np.errstate(all="ignore"):
        failed_with("04.stable_bce", wrong, fragment)
