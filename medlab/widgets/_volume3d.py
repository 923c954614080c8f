"""The offline 3D view of :class:`~medlab.widgets.VolumeViewer`: NiiVue through ipyniivue.

ipyniivue's widget carries NiiVue's WebGL2 viewer inside its wheel, so it renders with
no network. Data cross the widget connection as bytes: the volume as a gzip NIfTI file
and each label as a surface mesh (binary PLY), all made here in memory.

Axes. Course volumes are indexed (z, y, x) with z feet → head, y anterior → posterior
and x patient right → left. NIfTI stores (i, j, k) = (x, y, z) and an affine to RAS+
millimetres (+x toward the patient's Right, +y Anterior, +z Superior), so the course's
x and y run against RAS: the affine is ``diag(-sx, -sy, +sz)`` (centred on the volume),
and NiiVue shows the patient the right way round. Meshes are written in the same
millimetres.

Size. A 512 × 512 × 61 CT is shrunk for 3D (block means of ``factor × factor`` pixels in
plane, labels by block majority) to at most :data:`MAX_VOXELS_3D` voxels: about 2 MB of
gzip NIfTI, drawn in a few seconds by a software (SwiftShader) WebGL.
"""

from __future__ import annotations

import gzip
import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from medlab.render import color_name

__all__ = [
    "MAX_VOXELS_3D",
    "View3D",
    "course_affine",
    "mesh_ply",
    "nifti_gz",
    "shrink_for_3d",
]

#: Voxels sent to the 3D view at most (the volume is shrunk in plane beyond this).
MAX_VOXELS_3D = 2_500_000
_CURSOR_RGBA = (1.0, 0.843, 0.0, 1.0)  # the planes' cursor yellow


def course_affine(shape: Sequence[int], spacing: Sequence[float]) -> np.ndarray:
    """The NIfTI affine of a course volume stored as (x, y, z), centred on the origin.

    Parameters
    ----------
    shape : (nz, ny, nx)
        The course volume's shape.
    spacing : (sz, sy, sx)
        Voxel size in mm.

    Returns
    -------
    numpy.ndarray
        4 × 4: voxel (i, j, k) = (x, y, z) → RAS+ mm; x and y point to the patient's
        left and back, so their columns are negative.

    Examples
    --------
    >>> course_affine((3, 4, 5), (2.0, 1.0, 1.0))[:3].tolist()
    [[-1.0, 0.0, 0.0, 2.0], [0.0, -1.0, 0.0, 1.5], [0.0, 0.0, 2.0, -2.0]]
    """
    nz, ny, nx = (int(n) for n in shape)
    sz, sy, sx = (float(s) for s in spacing)
    return np.array(
        [
            [-sx, 0.0, 0.0, sx * (nx - 1) / 2],
            [0.0, -sy, 0.0, sy * (ny - 1) / 2],
            [0.0, 0.0, sz, -sz * (nz - 1) / 2],
            [0.0, 0.0, 0.0, 1.0],
        ]
    )


def nifti_gz(volume: np.ndarray, spacing: Sequence[float], dtype: Any = np.float32) -> bytes:
    """A course (z, y, x) volume as the bytes of a ``.nii.gz`` file (course affine).

    Parameters
    ----------
    volume : numpy.ndarray
        (z, y, x).
    spacing : (sz, sy, sx)
        Voxel size in mm.
    dtype : numpy dtype
        Stored type (``int16`` for HU, ``uint8`` for labels).

    Returns
    -------
    bytes
        gzip (level 1) of a NIfTI-1 file with the data as (x, y, z).
    """
    import nibabel as nib

    data = np.ascontiguousarray(np.asarray(volume).transpose(2, 1, 0)).astype(dtype)
    image = nib.Nifti1Image(data, course_affine(volume.shape, spacing))
    image.header.set_xyzt_units("mm")
    return gzip.compress(image.to_bytes(), compresslevel=1)


def _block_mean(volume: np.ndarray, f: int) -> np.ndarray:
    nz, ny, nx = volume.shape
    ny2, nx2 = ny // f * f, nx // f * f
    v = volume[:, :ny2, :nx2].astype(np.float32)
    return v.reshape(nz, ny2 // f, f, nx2 // f, f).mean(axis=(2, 4))


def shrink_for_3d(
    volume: np.ndarray,
    labels: np.ndarray | None,
    spacing: Sequence[float],
    max_voxels: int = MAX_VOXELS_3D,
) -> tuple[np.ndarray, np.ndarray | None, tuple[float, float, float], int]:
    """Shrink a volume in plane by an integer factor until it has at most ``max_voxels``.

    Returns
    -------
    volume : numpy.ndarray
        Block means (float32).
    labels : numpy.ndarray or None
        Each block's most common label (0 where the label covers less than half).
    spacing : (sz, sy, sx)
        The new voxel size.
    factor : int
        The in-plane factor (1: unchanged).
    """
    f = max(1, math.ceil(math.sqrt(volume.size / max_voxels)))
    if f == 1:
        return volume.astype(np.float32, copy=False), labels, tuple(spacing), 1  # type: ignore[return-value]
    small = _block_mean(volume, f)
    small_labels = None
    if labels is not None:
        small_labels = np.zeros(small.shape, np.int32)
        for value in np.unique(labels):
            if value != 0:
                share = _block_mean(labels == value, f)
                small_labels[share >= 0.5] = int(value)
    sz, sy, sx = spacing
    return small, small_labels, (float(sz), float(sy) * f, float(sx) * f), f


def mesh_ply(
    mask: np.ndarray, spacing: Sequence[float], shape: Sequence[int] | None = None
) -> bytes | None:
    """The surface of a (z, y, x) mask as a binary PLY mesh in the course affine's mm.

    Parameters
    ----------
    mask : numpy.ndarray of bool
        (z, y, x).
    spacing : (sz, sy, sx)
        Voxel size in mm.
    shape : (nz, ny, nx), optional
        The volume the affine is centred on (default: the mask's own shape).

    Returns
    -------
    bytes or None
        A PLY file (little-endian float32 vertices, int32 triangles), None for an empty
        mask. Large masks are meshed every second voxel (``step_size=2``).
    """
    from skimage.measure import marching_cubes

    m = np.asarray(mask, bool)
    if not m.any():
        return None
    step = 2 if m.sum() > 200_000 else 1
    verts, faces, _, _ = marching_cubes(
        np.pad(m, 1).astype(np.float32), 0.5, step_size=step, allow_degenerate=False
    )
    verts -= 1.0
    nz, ny, nx = shape if shape is not None else m.shape
    affine = course_affine((nz, ny, nx), spacing)
    ijk = np.stack([verts[:, 2], verts[:, 1], verts[:, 0], np.ones(len(verts))])
    xyz = (affine @ ijk)[:3].T.astype("<f4")
    header = (
        "ply\nformat binary_little_endian 1.0\n"
        f"element vertex {len(xyz)}\nproperty float x\nproperty float y\nproperty float z\n"
        f"element face {len(faces)}\nproperty list uchar int vertex_indices\nend_header\n"
    ).encode("ascii")
    tris = np.zeros(len(faces), dtype=[("n", "u1"), ("v", "<i4", (3,))])
    tris["n"] = 3
    tris["v"] = faces[:, ::-1]  # x and y flipped by the affine: keep the faces outward
    return header + xyz.tobytes() + tris.tobytes()


class View3D:
    """A NiiVue 3D rendering of a course volume with its label surfaces and a cursor.

    Parameters
    ----------
    volume : numpy.ndarray
        (z, y, x), full resolution.
    labels : numpy.ndarray or None
        Integer labels of the same shape.
    spacing : (sz, sy, sx)
        mm.
    colors : dict of int to (r, g, b)
        Each label's colour.
    names : dict of int to str
        Each label's name.
    threshold : (low, high)
        Values shown by the volume rendering (below ``low``: transparent).
    opacity : float
        Of the label surfaces (the lesion-like smaller labels are drawn opaque).
    height : int
        Of the view, in pixels.

    Attributes
    ----------
    nv : ipyniivue.NiiVue
        The widget.
    factor : int
        In-plane shrink factor of the volume sent.
    bytes_sent : int
        Size of the volume and meshes sent to the browser.
    """

    def __init__(
        self,
        volume: np.ndarray,
        labels: np.ndarray | None,
        spacing: Sequence[float],
        *,
        colors: dict[int, tuple[int, int, int]],
        names: dict[int, str],
        threshold: tuple[float, float],
        opacity: float = 0.35,
        height: int = 380,
    ) -> None:
        from ipyniivue import Mesh, NiiVue, SliceType, Volume

        self.full_shape = volume.shape
        # the volume is shrunk; label surfaces are meshed at full resolution (in mm)
        small, _, small_spacing, self.factor = shrink_for_3d(volume, None, spacing)
        self.shape = small.shape
        self.names = names
        self.colors = colors
        self.threshold = (float(threshold[0]), float(threshold[1]))
        dtype = np.int16 if np.all(np.abs(small) < 32000) else np.float32
        data = nifti_gz(np.round(small) if dtype is np.int16 else small, small_spacing, dtype)
        self.nv = NiiVue(
            height=int(height),
            slice_type=SliceType.RENDER,
            show_3d_crosshair=True,
            is_colorbar=False,
            crosshair_color=_CURSOR_RGBA,
            back_color=(0.0, 0.0, 0.0, 1.0),
            is_orient_cube=True,
            is_radiological_convention=True,
            show_legend=False,
        )
        self.volume = Volume(
            data=data,
            name="volume.nii.gz",
            colormap="gray",
            cal_min=self.threshold[0],
            cal_max=self.threshold[1],
        )
        self.nv.load_volumes([self.volume])
        self.meshes: dict[int, Any] = {}
        sizes = {}
        if labels is not None:
            for value in np.unique(labels):
                if value == 0:
                    continue
                ply = mesh_ply(labels == value, spacing, labels.shape)
                if ply is None:
                    continue
                sizes[int(value)] = len(ply)
                self.meshes[int(value)] = Mesh(
                    data=ply,
                    name=f"label{int(value)}.ply",
                    rgba255=[*colors[int(value)], 255],
                    opacity=1.0,
                )
            self.nv.load_meshes(list(self.meshes.values()))
        self.bytes_sent = len(data) + sum(sizes.values())
        self.set_opacity(opacity)
        self.set_view(180.0, 10.0)

    # ------------------------------------------------------------ settings
    def set_opacity(self, opacity: float) -> None:
        """Surface opacity: the largest label (an organ) translucent, smaller ones opaque."""
        if not self.meshes:
            return
        largest = max(self.meshes, key=lambda k: len(self.meshes[k].data))
        for value, mesh in self.meshes.items():
            shown = float(opacity) if value == largest and len(self.meshes) > 1 else 1.0
            mesh.visible = opacity > 0
            mesh.opacity = shown if opacity > 0 else 0.0
        self.opacity = float(opacity)

    def set_threshold(self, low: float, high: float) -> None:
        """Values shown by the volume rendering: ``low`` is transparent, ``high`` opaque."""
        self.threshold = (float(low), float(high))
        self.volume.cal_min, self.volume.cal_max = self.threshold

    def set_view(self, azimuth: float, elevation: float) -> None:
        """Rotate the rendering (degrees; azimuth 180 faces the patient's front)."""
        self.azimuth, self.elevation = float(azimuth), float(elevation)
        self.nv.set_render_azimuth_elevation(self.azimuth, self.elevation)

    def set_cursor(self, z: int, y: int, x: int) -> None:
        """Put the 3D crosshair on voxel (z, y, x) of the full-resolution volume."""
        nz, ny, nx = self.shape
        f = self.factor
        i, j, k = min(nx - 1, x // f), min(ny - 1, y // f), min(nz - 1, z)
        # NiiVue's fractions are in RAS order: the course's x and y run against R and A
        frac = [(nx - 1 - i + 0.5) / nx, (ny - 1 - j + 0.5) / ny, (k + 0.5) / nz]
        self.nv.scene.crosshair_pos = frac

    def voxel_of(self, vox: Sequence[float]) -> tuple[int, int, int]:
        """The full-resolution (z, y, x) of a NiiVue location's voxel (i, j, k)."""
        i, j, k = (round(float(v)) for v in vox[:3])
        nz, ny, nx = self.full_shape
        f = self.factor
        return (
            min(nz - 1, max(0, k)),
            min(ny - 1, max(0, j * f + f // 2)),
            min(nx - 1, max(0, i * f + f // 2)),
        )

    def description(self, cursor: tuple[int, int, int]) -> str:
        """The view in words (its text alternative)."""
        low, high = self.threshold
        parts = [f"3D rendering of values above {low:.4g} (opaque from {high:.4g})"]
        if self.meshes:
            surfaces = ", ".join(
                f"{self.names[v]} ({color_name(self.colors[v])}"
                + (f", {round(100 * m.opacity)} % opaque" if m.opacity < 1 else "")
                + ")"
                for v, m in self.meshes.items()
            )
            parts.append(f"surfaces: {surfaces}")
        seen = {180: "from the front", 0: "from the back"}.get(
            round(self.azimuth) % 360, f"at azimuth {self.azimuth:g}° (180° is the front)"
        )
        parts.append(f"seen {seen}, elevation {self.elevation:g}°")
        z, y, x = cursor
        parts.append(f"yellow crosshair at the cursor (z={z}, y={y}, x={x})")
        return "; ".join(parts) + "."
