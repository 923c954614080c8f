"""ScatterExplorer: the selected point, its image, its nearest neighbour and bad input."""

import numpy as np
import pytest

from medlab.render import decode_png
from medlab.widgets.scatter_explorer import ScatterExplorer


@pytest.fixture
def cohort():
    rng = np.random.default_rng(3)
    images = rng.random((30, 16, 16)).astype(np.float32)
    images[7] = 0.0  # an all-black image, easy to recognise on screen
    images[7, 0, 0] = 1.0
    pca = rng.normal(size=(30, 2))
    tsne = rng.normal(size=(30, 2)) * 10
    labels = np.arange(30) % 2
    return images, {"PCA": pca, "t-SNE": tsne}, labels


def test_selected_point_shows_its_image_and_readout(cohort):
    images, views, labels = cohort
    ex = ScatterExplorer(views, images[..., None], labels, label_names=["normal", "opacity"])
    ex.point_slider.value = 7
    shown = decode_png(ex.image_widget.value)
    assert shown.shape[:2] == (16, 16)
    assert shown[..., 0].mean() < 2  # the black image, not another
    assert "point 7" in ex.readout.value and "opacity" in ex.readout.value
    assert f"{views['PCA'][7, 0]:.3g}" in ex.readout.value
    before = ex.plot.value
    ex.view.value = "t-SNE"
    assert f"{views['t-SNE'][7, 0]:.3g}" in ex.readout.value
    assert ex.plot.value != before
    assert "ScatterExplorer(n=30" in repr(ex)


def test_nearest_neighbour_is_the_closest_point_in_the_current_view(cohort):
    from scipy.spatial.distance import cdist

    images, views, labels = cohort
    ex = ScatterExplorer(views, images, labels, index=4)
    for name in ("PCA", "t-SNE"):
        ex.view.value = name
        d = cdist(views[name][4:5], views[name])[0]
        d[4] = np.inf
        assert ex.nearest(1)[0] == int(np.argmin(d))
    ex.select_nearest()
    assert ex.index == int(np.argmin(d))


def test_marker_moves_with_the_point(cohort):
    images, views, labels = cohort
    ex = ScatterExplorer(views["PCA"], images, labels)
    first = ex.plot.value
    ex.point_slider.value = 20
    assert ex.plot.value != first


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"embeddings": np.zeros((29, 2))}, "shape (30, 2)"),
        ({"embeddings": {}}, "at least one"),
        ({"images": np.zeros((30, 4))}, "(n, H, W)"),
        ({"labels": np.zeros(5)}, "labels must have shape"),
        ({"index": 30}, "index must be"),
    ],
)
def test_bad_input(cohort, kwargs, fragment):
    images, views, labels = cohort
    args = {"embeddings": views, "images": images, "labels": labels, **kwargs}
    with pytest.raises(ValueError, match=fragment.replace("(", r"\(").replace(")", r"\)")):
        ScatterExplorer(args.pop("embeddings"), args.pop("images"), **args)
