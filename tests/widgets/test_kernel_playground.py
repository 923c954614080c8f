"""KernelPlayground: the result shown is the convolution with the kernel in the editor."""

import numpy as np
import pytest
from scipy import ndimage

from medlab.preprocess import KERNELS
from medlab.render import decode_png
from medlab.widgets import KernelPlayground


@pytest.fixture
def image():
    return np.random.default_rng(5).uniform(0, 1, (24, 32)).astype(np.float32)


def shown_result(pg):
    return decode_png(pg.image_widget.value).astype(int)


def expected_png(ref):
    ref = ref.astype(np.float64)
    return np.round((ref - ref.min()) / (ref.max() - ref.min()) * 255).astype(int)


@pytest.mark.parametrize("name", ["blur", "sharpen", "edges", "sobel_x", "sobel_y", "gaussian5"])
def test_presets_load_the_kernel_and_show_its_convolution(image, name):
    pg = KernelPlayground(image, kernel=name)
    assert np.array_equal(pg.kernel, KERNELS[name]) and pg.preset.value == name
    ref = ndimage.convolve(image.astype(np.float64), KERNELS[name], mode="reflect")
    assert np.allclose(pg.result, ref, atol=1e-5)
    assert np.abs(shown_result(pg) - expected_png(ref)).max() <= 1
    counts, _ = np.histogram(ref, bins=64)
    assert np.array_equal(pg.hist_counts, counts)


def test_editing_one_weight_recomputes_and_marks_custom(image):
    pg = KernelPlayground(image, kernel="identity")
    assert np.allclose(pg.result, image)
    pg.cells[2 * 5 + 3].value = 1.0  # centre row, right neighbour of the centre (5×5 grid)
    k = np.array([[0, 0, 0], [0, 1, 1], [0, 0, 0]], float)
    assert np.array_equal(pg.kernel, k) and pg.preset.value == "custom"
    assert np.allclose(
        pg.result, ndimage.convolve(image.astype(float), k, mode="reflect"), atol=1e-5
    )
    assert "kernel sum 2" in pg.readout.value
    pg.normalize.click()
    assert np.allclose(pg.kernel, k / 2)


def test_switching_to_5x5_and_back_keeps_a_consistent_kernel(image):
    pg = KernelPlayground(image, kernel="blur5")
    assert pg.kernel.shape == (5, 5) and len(pg.grid.children) == 25
    pg.size.value = "3×3"
    assert pg.kernel.shape == (3, 3) and len(pg.grid.children) == 9
    assert np.allclose(pg.kernel, 1 / 25)  # the inner 3×3 of the box blur, outer ring cleared
    assert np.allclose(
        pg.result, ndimage.convolve(image.astype(float), pg.kernel, mode="reflect"), atol=1e-5
    )


def test_bad_inputs_raise(image):
    with pytest.raises(ValueError, match="2D"):
        KernelPlayground(np.zeros((3, 4, 5)))
    with pytest.raises(ValueError, match="preset"):
        KernelPlayground(image, kernel="unsharp")
    with pytest.raises(ValueError, match="3×3 or 5×5"):
        KernelPlayground(image, kernel=np.ones((4, 4)))
