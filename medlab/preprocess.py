"""Pre-processing: from physical units to the inputs a network sees.

Window/level (:func:`window`, :data:`WINDOWS`), intensity normalisation
(:func:`normalize`), contrast enhancement (:func:`equalize`, global or CLAHE),
convolution by hand (:func:`convolve2d`, :data:`KERNELS`), filters
(:func:`gaussian`, :func:`median`, :func:`denoise`, :func:`edges`), resampling to a
new voxel spacing (:func:`resample`) and augmentation (:func:`augment` in NumPy,
:func:`augmentation_layers` as Keras layers for ``model`` or ``tf.data`` pipelines).

scikit-image and SciPy do the heavy lifting; the one function written by hand,
:func:`convolve2d`, is the lesson and is tested against :func:`scipy.ndimage.convolve`.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

__all__ = [
    "KERNELS",
    "WINDOWS",
    "Window",
    "augment",
    "augmentation_layers",
    "convolve2d",
    "denoise",
    "edges",
    "equalize",
    "gaussian",
    "median",
    "normalize",
    "resample",
    "window",
]


class Window(NamedTuple):
    """A display window: the centre (level) and width, in HU."""

    center: float
    width: float

    @property
    def low(self) -> float:
        """The HU value shown black."""
        return self.center - self.width / 2

    @property
    def high(self) -> float:
        """The HU value shown white."""
        return self.center + self.width / 2


#: Textbook CT window presets (centre, width) in HU.
WINDOWS: dict[str, Window] = {
    "lung": Window(-600.0, 1500.0),
    "mediastinum": Window(50.0, 350.0),
    "soft_tissue": Window(40.0, 400.0),
    "abdomen": Window(60.0, 400.0),
    "liver": Window(60.0, 160.0),
    "bone": Window(400.0, 1800.0),
    "brain": Window(40.0, 80.0),
    "subdural": Window(75.0, 215.0),
    "stroke": Window(40.0, 40.0),
}


def window(hu: np.ndarray, center: float, width: float) -> np.ndarray:
    """Map Hounsfield units to display intensities with a window/level.

    Values at or below ``center - width/2`` become 0, values at or above
    ``center + width/2`` become 1, and values in between are scaled linearly.

    Parameters
    ----------
    hu : array_like
        Image in Hounsfield units (any shape).
    center : float
        Window centre (level), HU.
    width : float
        Window width, HU; must be positive.

    Returns
    -------
    numpy.ndarray
        float32 array in [0, 1], same shape as ``hu``.

    Raises
    ------
    ValueError
        If ``width`` is not positive and finite.

    Examples
    --------
    >>> window(np.array([-1000.0, 40.0, 1000.0]), *WINDOWS["soft_tissue"])
    array([0. , 0.5, 1. ], dtype=float32)
    """
    width = float(width)
    if not np.isfinite(width) or width <= 0:
        raise ValueError(f"window width must be a positive number of HU, got {width!r}")
    low = float(center) - width / 2
    out = (np.asarray(hu, dtype=np.float32) - np.float32(low)) / np.float32(width)
    return np.clip(out, 0.0, 1.0, out=out)


def normalize(
    image: np.ndarray,
    method: str = "minmax",
    *,
    mask: np.ndarray | None = None,
    percentiles: tuple[float, float] = (1.0, 99.0),
) -> np.ndarray:
    """Normalise intensities.

    Parameters
    ----------
    image : array_like
        Any shape.
    method : {"minmax", "zscore", "percentile"}
        ``minmax`` scales to [0, 1]; ``zscore`` to zero mean and unit standard deviation
        (the usual choice for MRI, whose intensities have no fixed unit); ``percentile``
        clips to the given percentiles then scales to [0, 1] (robust to outliers).
    mask : array_like of bool, optional
        Compute the statistics inside this mask only (e.g. the brain).
    percentiles : tuple of float
        Low and high percentiles for ``method="percentile"``.

    Returns
    -------
    numpy.ndarray
        float32, same shape as ``image``. A constant image maps to zeros.
    """
    x = np.asarray(image, dtype=np.float32)
    ref = x[np.asarray(mask, dtype=bool)] if mask is not None else x
    if ref.size == 0:
        raise ValueError("normalize: the mask selects no pixels")
    if method == "minmax":
        lo, hi = float(ref.min()), float(ref.max())
    elif method == "percentile":
        lo, hi = (float(v) for v in np.percentile(ref, percentiles))
    elif method == "zscore":
        mean, std = float(ref.mean()), float(ref.std())
        return ((x - mean) / std).astype(np.float32) if std > 0 else np.zeros_like(x)
    else:
        raise ValueError(
            f"normalize: unknown method {method!r}; use 'minmax', 'zscore' or 'percentile'"
        )
    if hi <= lo:
        return np.zeros_like(x)
    return np.clip((x - lo) / (hi - lo), 0.0, 1.0).astype(np.float32)


def equalize(
    image: np.ndarray,
    method: str = "global",
    *,
    clip_limit: float = 0.01,
    kernel_size: int | None = None,
    nbins: int = 256,
) -> np.ndarray:
    """Histogram equalisation, global or adaptive (CLAHE).

    Parameters
    ----------
    image : array_like
        2D (or 3D for CLAHE) image; any range (it is scaled to [0, 1] first).
    method : {"global", "clahe"}
        ``global`` flattens the whole histogram (:func:`skimage.exposure.equalize_hist`);
        ``clahe`` equalises tiles with a clip limit so noise is not amplified
        (:func:`skimage.exposure.equalize_adapthist`).
    clip_limit : float
        CLAHE clip limit in [0, 1]; higher gives more contrast.
    kernel_size : int, optional
        CLAHE tile size in pixels (default: 1/8 of the image).
    nbins : int
        Histogram bins.

    Returns
    -------
    numpy.ndarray
        float32 in [0, 1], same shape as ``image``.
    """
    from skimage import exposure

    x = normalize(image, "minmax")
    if method == "global":
        out = exposure.equalize_hist(x, nbins=nbins)
    elif method == "clahe":
        out = exposure.equalize_adapthist(
            x, clip_limit=clip_limit, kernel_size=kernel_size, nbins=nbins
        )
    else:
        raise ValueError(f"equalize: unknown method {method!r}; use 'global' or 'clahe'")
    return np.asarray(out, dtype=np.float32)


def _kernels() -> dict[str, np.ndarray]:
    g3 = np.outer([1, 2, 1], [1, 2, 1]) / 16.0
    g5 = np.outer([1, 4, 6, 4, 1], [1, 4, 6, 4, 1]) / 256.0
    k = {
        "identity": np.array([[0, 0, 0], [0, 1, 0], [0, 0, 0]], float),
        "blur": np.full((3, 3), 1 / 9),
        "gaussian": g3,
        "sharpen": np.array([[0, -1, 0], [-1, 5, -1], [0, -1, 0]], float),
        "edges": np.array([[-1, -1, -1], [-1, 8, -1], [-1, -1, -1]], float),
        "sobel_x": np.array([[1, 0, -1], [2, 0, -2], [1, 0, -1]], float),
        "sobel_y": np.array([[1, 2, 1], [0, 0, 0], [-1, -2, -1]], float),
        "emboss": np.array([[-2, -1, 0], [-1, 1, 1], [0, 1, 2]], float),
        "blur5": np.full((5, 5), 1 / 25),
        "gaussian5": g5,
    }
    for arr in k.values():
        arr.setflags(write=False)
    return k


#: Classic convolution kernels (read-only float arrays), 3×3 unless the name ends in 5.
KERNELS: dict[str, np.ndarray] = _kernels()


def convolve2d(image: np.ndarray, kernel: np.ndarray, *, mode: str = "reflect") -> np.ndarray:
    """Convolve a 2D image with a kernel, written out by hand.

    The output has the image's size: the image is padded by half the kernel on each
    side, the kernel is flipped (true convolution, as in the textbooks, not the
    cross-correlation that ``Conv2D`` computes), and every output pixel is the sum of
    the products of the kernel with the patch under it. The loop runs over the kernel's
    few entries rather than the image's many pixels, so it is also fast.

    Parameters
    ----------
    image : array_like
        2D image (rows, columns).
    kernel : array_like
        2D kernel with odd sides (3×3, 5×5 ...).
    mode : {"reflect", "constant", "nearest"}
        How the border is padded: ``reflect`` (mirror, the edge pixel repeated, as
        :func:`scipy.ndimage.convolve`'s default), ``constant`` (zeros) or ``nearest``.

    Returns
    -------
    numpy.ndarray
        float32 array of the image's shape. Equal to
        ``scipy.ndimage.convolve(image, kernel, mode=mode)`` up to rounding.

    Raises
    ------
    ValueError
        If the image is not 2D or the kernel is not 2D with odd sides.
    """
    x = np.asarray(image, dtype=np.float64)
    k = np.asarray(kernel, dtype=np.float64)
    if x.ndim != 2:
        raise ValueError(f"convolve2d: expected a 2D image, got shape {x.shape}")
    if k.ndim != 2 or k.shape[0] % 2 == 0 or k.shape[1] % 2 == 0:
        raise ValueError(f"convolve2d: expected a 2D kernel with odd sides, got shape {k.shape}")
    pad_modes = {"reflect": "symmetric", "constant": "constant", "nearest": "edge"}
    if mode not in pad_modes:
        raise ValueError(f"convolve2d: unknown mode {mode!r}; use one of {sorted(pad_modes)}")
    kh, kw = k.shape
    ph, pw = kh // 2, kw // 2
    padded = np.pad(x, ((ph, ph), (pw, pw)), mode=pad_modes[mode])
    flipped = k[::-1, ::-1]  # convolution flips the kernel; correlation would not
    rows, cols = x.shape
    out = np.zeros_like(x)
    for i in range(kh):
        for j in range(kw):
            if flipped[i, j] != 0:
                out += flipped[i, j] * padded[i : i + rows, j : j + cols]
    return out.astype(np.float32)


def gaussian(image: np.ndarray, sigma: float = 1.0) -> np.ndarray:
    """Gaussian blur (:func:`skimage.filters.gaussian`), float32, same range as the input."""
    from skimage.filters import gaussian as _gaussian

    return np.asarray(
        _gaussian(np.asarray(image, dtype=np.float32), sigma=sigma, preserve_range=True),
        dtype=np.float32,
    )


def median(image: np.ndarray, size: int = 3) -> np.ndarray:
    """Median filter with a ``size``×``size`` window: removes salt-and-pepper noise, keeps edges."""
    from scipy import ndimage

    return ndimage.median_filter(np.asarray(image, dtype=np.float32), size=size)


def denoise(image: np.ndarray, method: str = "bilateral", *, strength: float = 0.1) -> np.ndarray:
    """Edge-preserving denoising of an image scaled to [0, 1].

    Parameters
    ----------
    image : array_like
        2D image; it is scaled to [0, 1] first.
    method : {"bilateral", "tv", "nl_means", "gaussian", "median"}
        scikit-image's bilateral, total-variation (Chambolle) or non-local means
        filters, or the plain Gaussian / median filters for comparison.
    strength : float
        Filter strength: ``sigma_color`` for bilateral, ``weight`` for TV, ``h`` for
        non-local means, ``sigma`` in pixels × 10 for Gaussian.

    Returns
    -------
    numpy.ndarray
        float32 in [0, 1].
    """
    from skimage import restoration

    x = normalize(image, "minmax")
    if method == "bilateral":
        out = restoration.denoise_bilateral(x, sigma_color=strength, sigma_spatial=2)
    elif method == "tv":
        out = restoration.denoise_tv_chambolle(x, weight=strength)
    elif method == "nl_means":
        out = restoration.denoise_nl_means(x, h=strength, patch_size=5, patch_distance=6)
    elif method == "gaussian":
        out = gaussian(x, sigma=max(strength * 10, 0.1))
    elif method == "median":
        out = median(x, size=3)
    else:
        raise ValueError(
            f"denoise: unknown method {method!r}; use 'bilateral', 'tv', 'nl_means', "
            "'gaussian' or 'median'"
        )
    return np.asarray(out, dtype=np.float32)


def edges(image: np.ndarray, method: str = "sobel", *, sigma: float = 1.0) -> np.ndarray:
    """Edge map: Sobel gradient magnitude or Canny edges (boolean).

    Parameters
    ----------
    image : array_like
        2D image.
    method : {"sobel", "canny"}
        ``sobel`` returns the float32 gradient magnitude; ``canny`` a boolean edge map.
    sigma : float
        Canny's Gaussian smoothing.
    """
    from skimage import feature, filters

    x = np.asarray(image, dtype=np.float32)
    if method == "sobel":
        return np.asarray(filters.sobel(x), dtype=np.float32)
    if method == "canny":
        return feature.canny(normalize(x), sigma=sigma)
    raise ValueError(f"edges: unknown method {method!r}; use 'sobel' or 'canny'")


def resample(
    image: np.ndarray,
    spacing: tuple[float, ...],
    new_spacing: tuple[float, ...] | float,
    *,
    order: int = 1,
) -> np.ndarray:
    """Resample an image or volume to a new pixel/voxel spacing.

    Parameters
    ----------
    image : array_like
        2D or 3D array.
    spacing : tuple of float
        Current spacing in mm per axis (``MedicalImage.spacing``).
    new_spacing : tuple of float or float
        Target spacing in mm per axis (a single number means isotropic).
    order : int
        Spline order: 0 nearest neighbour (use it for label masks), 1 linear, 3 cubic.

    Returns
    -------
    numpy.ndarray
        The resampled array; its shape is ``round(shape × spacing / new_spacing)``.
        float32 unless ``order=0`` (then the input dtype, so labels stay labels).

    Examples
    --------
    >>> resample(np.zeros((10, 20)), spacing=(2.0, 1.0), new_spacing=1.0).shape
    (20, 20)
    """
    from scipy import ndimage

    x = np.asarray(image)
    spacing = tuple(float(s) for s in spacing)
    if len(spacing) != x.ndim:
        raise ValueError(
            f"resample: spacing has {len(spacing)} values but the image has {x.ndim} axes"
        )
    if np.isscalar(new_spacing):
        new_spacing = (float(new_spacing),) * x.ndim
    new_spacing = tuple(float(s) for s in new_spacing)
    if len(new_spacing) != x.ndim or min(new_spacing) <= 0 or min(spacing) <= 0:
        raise ValueError(f"resample: invalid spacing {spacing} → {new_spacing}")
    new_shape = tuple(
        max(1, round(n * s / t)) for n, s, t in zip(x.shape, spacing, new_spacing, strict=True)
    )
    zoom = [n / o for n, o in zip(new_shape, x.shape, strict=True)]
    src = x if order == 0 else x.astype(np.float32)
    out = ndimage.zoom(src, zoom, order=order, mode="nearest", grid_mode=True)
    return out if order == 0 else out.astype(np.float32)


def augment(
    image: np.ndarray,
    rng: np.random.Generator | int | None = None,
    *,
    flip: bool = True,
    max_rotation: float = 10.0,
    max_shift: float = 0.05,
    max_zoom: float = 0.1,
    brightness: float = 0.1,
    contrast: float = 0.1,
    mask: np.ndarray | None = None,
    fill: str = "nearest",
) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
    """Randomly transform one 2D image (and its mask) the way a scanner or patient might vary.

    Parameters
    ----------
    image : array_like
        (H, W) or (H, W, C), intensities in [0, 1].
    rng : numpy.random.Generator or int, optional
        Random source or seed, for reproducibility.
    flip : bool
        Random left-right flip. (Careful with chest images: the heart is on the left.)
    max_rotation : float
        Largest rotation in degrees.
    max_shift : float
        Largest translation as a fraction of the image size.
    max_zoom : float
        Largest zoom in or out as a fraction.
    brightness, contrast : float
        Largest additive brightness change and multiplicative contrast change.
    mask : array_like, optional
        A label mask transformed with the same geometry (nearest neighbour), no intensity changes.
    fill : {"nearest", "constant", "reflect"}
        What fills the parts the rotation and shift bring in from outside the image:
        the nearest edge pixel repeated (the default; streaks along the borders), zeros
        (black before the brightness and contrast change; the mask's background) or the
        image mirrored at its border.

    Returns
    -------
    numpy.ndarray or tuple of numpy.ndarray
        The augmented float32 image in [0, 1], or ``(image, mask)`` when a mask is given.

    Raises
    ------
    ValueError
        If ``fill`` is not one of the three.
    """
    from scipy import ndimage

    if fill not in ("nearest", "constant", "reflect"):
        raise ValueError(f"augment: unknown fill {fill!r}; use 'nearest', 'constant' or 'reflect'")
    rng = np.random.default_rng(rng)
    x = np.asarray(image, dtype=np.float32)
    h, w = x.shape[:2]
    angle = np.deg2rad(rng.uniform(-max_rotation, max_rotation))
    scale = 1.0 + rng.uniform(-max_zoom, max_zoom)
    shift = rng.uniform(-max_shift, max_shift, size=2) * (h, w)
    do_flip = flip and rng.random() < 0.5
    # output→input mapping: rotate/scale about the centre, then shift
    c, s = np.cos(angle) / scale, np.sin(angle) / scale
    matrix = np.array([[c, -s], [s, c]])
    centre = np.array([(h - 1) / 2, (w - 1) / 2])
    offset = centre - matrix @ centre - shift

    def warp(a: np.ndarray, order: int) -> np.ndarray:
        if do_flip:
            a = a[:, ::-1]
        if a.ndim == 2:
            return ndimage.affine_transform(a, matrix, offset, order=order, mode=fill)
        return np.stack(
            [
                ndimage.affine_transform(a[..., i], matrix, offset, order=order, mode=fill)
                for i in range(a.shape[-1])
            ],
            axis=-1,
        )

    out = warp(x, 1)
    out = (out - 0.5) * (1 + rng.uniform(-contrast, contrast)) + 0.5
    out = np.clip(out + rng.uniform(-brightness, brightness), 0, 1).astype(np.float32)
    if mask is None:
        return out
    return out, warp(np.asarray(mask), 0)


def augmentation_layers(
    *,
    flip: bool = True,
    rotation: float = 0.03,
    zoom: float = 0.1,
    translation: float = 0.05,
    contrast: float = 0.1,
    seed: int | None = None,
) -> Any:
    """Keras preprocessing layers that augment images during training only.

    Put the returned ``keras.Sequential`` at the start of a model, or map it over a
    ``tf.data.Dataset`` (``ds.map(lambda x, y: (aug(x, training=True), y))``). The
    layers are inactive at inference time.

    Parameters
    ----------
    flip : bool
        Random horizontal flip.
    rotation : float
        Largest rotation as a fraction of a full turn (0.03 ≈ 11°).
    zoom, translation : float
        Largest zoom and shift as fractions of the image size.
    contrast : float
        Largest contrast change factor.
    seed : int, optional
        Seed for the layers' random generators.

    Returns
    -------
    keras.Sequential
    """
    from medlab._keras import import_keras

    keras = import_keras()

    layers = []
    if flip:
        layers.append(keras.layers.RandomFlip("horizontal", seed=seed))
    if rotation:
        layers.append(keras.layers.RandomRotation(rotation, fill_mode="nearest", seed=seed))
    if zoom:
        layers.append(keras.layers.RandomZoom(zoom, fill_mode="nearest", seed=seed))
    if translation:
        layers.append(
            keras.layers.RandomTranslation(translation, translation, fill_mode="nearest", seed=seed)
        )
    if contrast:
        layers.append(keras.layers.RandomContrast(contrast, seed=seed))
    return keras.Sequential(layers, name="augmentation")
