"""medlab.preprocess: window/level, convolution by hand vs SciPy, filters, resampling, augmentation."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage
from skimage import data, exposure

from medlab import preprocess as pp

RNG = np.random.default_rng(3)


def test_window_hand_worked_and_range():
    hu = np.array([-1000, -160, 40, 240, 3000], dtype=np.float32)
    out = pp.window(hu, 40, 400)  # soft tissue: -160 .. 240
    np.testing.assert_allclose(out, [0, 0, 0.5, 1, 1])
    assert out.dtype == np.float32
    img = RNG.normal(0, 500, (64, 64))
    w = pp.window(img, *pp.WINDOWS["lung"])
    assert w.min() >= 0 and w.max() <= 1


def test_window_presets_are_the_textbook_values():
    assert pp.WINDOWS["lung"] == (-600, 1500)
    assert pp.WINDOWS["soft_tissue"] == (40, 400)
    assert pp.WINDOWS["bone"] == (400, 1800)
    assert pp.WINDOWS["brain"] == (40, 80)
    assert pp.WINDOWS["lung"].low == -1350 and pp.WINDOWS["lung"].high == 150


@pytest.mark.parametrize("width", [0, -10, np.nan])
def test_window_rejects_bad_width(width):
    with pytest.raises(ValueError, match="width"):
        pp.window(np.zeros(3), 40, width)


@pytest.mark.parametrize("name", sorted(pp.KERNELS))
@pytest.mark.parametrize("mode", ["reflect", "constant", "nearest"])
def test_convolve2d_matches_scipy(name, mode):
    img = RNG.random((33, 41))
    k = pp.KERNELS[name]
    np.testing.assert_allclose(
        pp.convolve2d(img, k, mode=mode), ndimage.convolve(img, k, mode=mode), atol=1e-5
    )


def test_convolve2d_flips_the_kernel_unlike_correlation():
    img = np.zeros((5, 5))
    img[2, 2] = 1.0
    k = np.arange(9, dtype=float).reshape(3, 3)
    # convolving an impulse reproduces the kernel itself (correlation would flip it)
    np.testing.assert_allclose(pp.convolve2d(img, k)[1:4, 1:4], k)


def test_convolve2d_bad_input():
    with pytest.raises(ValueError, match="2D image"):
        pp.convolve2d(np.zeros((3, 3, 3)), pp.KERNELS["blur"])
    with pytest.raises(ValueError, match="odd"):
        pp.convolve2d(np.zeros((5, 5)), np.ones((2, 2)))
    with pytest.raises(ValueError, match="mode"):
        pp.convolve2d(np.zeros((5, 5)), pp.KERNELS["blur"], mode="wrap")
    with pytest.raises(ValueError):
        pp.KERNELS["blur"][0, 0] = 5  # presets are read-only


def test_normalize_methods():
    x = np.array([2.0, 4.0, 6.0])
    np.testing.assert_allclose(pp.normalize(x), [0, 0.5, 1])
    z = pp.normalize(x, "zscore")
    assert z.mean() == pytest.approx(0) and z.std() == pytest.approx(1)
    assert np.all(pp.normalize(np.ones(4)) == 0)
    masked = pp.normalize(np.array([0.0, 10.0, 20.0]), mask=np.array([False, True, True]))
    np.testing.assert_allclose(masked, [0, 0, 1])
    with pytest.raises(ValueError, match="unknown method"):
        pp.normalize(x, "max")


def test_equalize_matches_skimage():
    img = data.camera().astype(np.float32) / 255
    np.testing.assert_allclose(pp.equalize(img), exposure.equalize_hist(img), atol=1e-6)
    clahe = pp.equalize(img, "clahe", clip_limit=0.02)
    np.testing.assert_allclose(clahe, exposure.equalize_adapthist(img, clip_limit=0.02), atol=1e-6)
    with pytest.raises(ValueError):
        pp.equalize(img, "magic")


def test_filters_reduce_noise_and_keep_shape():
    clean = np.zeros((64, 64), np.float32)
    clean[16:48, 16:48] = 1
    noisy = clean + RNG.normal(0, 0.2, clean.shape).astype(np.float32)
    for out in (pp.gaussian(noisy, 1.5), pp.median(noisy, 3)):
        assert out.shape == clean.shape
        assert np.abs(out - clean).mean() < np.abs(noisy - clean).mean()
    # denoise works on the image scaled to [0, 1]: compare in that scale
    scaled_noisy = pp.normalize(noisy)
    scaled_clean = (clean - noisy.min()) / (noisy.max() - noisy.min())
    for method in ("tv", "bilateral", "nl_means", "gaussian", "median"):
        out = pp.denoise(noisy, method, strength=0.15)
        assert out.shape == clean.shape and 0 <= out.min() and out.max() <= 1
        assert np.abs(out - scaled_clean).mean() < np.abs(scaled_noisy - scaled_clean).mean(), (
            method
        )
    with pytest.raises(ValueError):
        pp.denoise(noisy, "fft")


def test_edges_sobel_and_canny():
    img = np.zeros((32, 32))
    img[:, 16:] = 1
    sob = pp.edges(img)
    assert sob[:, 15:17].mean() > 10 * sob[:, :8].mean()
    canny = pp.edges(img, "canny")
    assert canny.dtype == bool and canny[:, 14:18].any() and not canny[:, :8].any()


def test_resample_shape_spacing_and_labels():
    vol = RNG.random((10, 20, 20)).astype(np.float32)
    out = pp.resample(vol, (5.0, 1.0, 1.0), (2.5, 2.0, 2.0))
    assert out.shape == (20, 10, 10)
    labels = (RNG.random((8, 8)) > 0.5).astype(np.uint8)
    up = pp.resample(labels, (2.0, 2.0), 1.0, order=0)
    assert up.shape == (16, 16) and set(np.unique(up)) <= {0, 1} and up.dtype == np.uint8
    with pytest.raises(ValueError, match="axes"):
        pp.resample(vol, (1.0, 1.0), 1.0)


def test_augment_is_reproducible_and_keeps_mask_aligned():
    img = np.zeros((40, 40), np.float32)
    img[10:20, 10:20] = 1
    mask = (img > 0.5).astype(np.uint8)
    a1, m1 = pp.augment(img, 5, mask=mask, brightness=0, contrast=0)
    a2, _ = pp.augment(img, 5, mask=mask, brightness=0, contrast=0)
    np.testing.assert_array_equal(a1, a2)
    assert set(np.unique(m1)) <= {0, 1}
    # the mask moved with the image
    assert ((a1 > 0.5) == (m1 == 1)).mean() > 0.97
    assert a1.min() >= 0 and a1.max() <= 1


def test_augment_fill_chooses_what_comes_in_from_outside_the_image():
    ones = np.ones((40, 40), np.float32)
    mask = np.ones((40, 40), np.uint8)
    moves = {
        "max_rotation": 20.0,
        "max_shift": 0.2,
        "max_zoom": 0.0,
        "brightness": 0,
        "contrast": 0,
    }
    black, black_mask = pp.augment(ones, 3, mask=mask, fill="constant", **moves)
    # zeros come in where the image moved away, and the mask moves with it
    assert 0.02 < (black < 0.5).mean() < 0.5
    np.testing.assert_array_equal(black_mask == 0, black < 0.5)
    for fill in ("nearest", "reflect"):  # edge pixels or a mirror image: a flat image stays flat
        np.testing.assert_allclose(pp.augment(ones, 3, fill=fill, **moves), 1.0, atol=1e-6)
    img = np.random.default_rng(0).random((24, 30)).astype(np.float32)
    np.testing.assert_array_equal(pp.augment(img, 7), pp.augment(img, 7, fill="nearest"))
    with pytest.raises(ValueError, match="unknown fill 'wrap'"):
        pp.augment(img, 7, fill="wrap")


def test_augmentation_layers_are_keras_and_inactive_at_inference():
    pytest.importorskip("keras")
    aug = pp.augmentation_layers(seed=1)
    x = RNG.random((2, 32, 32, 1)).astype(np.float32)
    np.testing.assert_allclose(np.asarray(aug(x, training=False)), x, atol=1e-6)
    assert not np.allclose(np.asarray(aug(x, training=True)), x)
