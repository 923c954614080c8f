"""Image registration for computer-assisted surgery.

The patient on the table is not where the planning scan was.

Between the planning CT and the intervention the patient lies differently (a rigid
rotation and shift) and breathes (a smooth deformation, largest near the diaphragm). To
bring a plan made on the planning CT — a marked tumour, a needle path — to the patient, the
planning CT is *registered* to an image taken on the table, and the plan follows the
transform. This module provides both sides of that exercise:

- :class:`PatientMotion` — a known motion (rotation, translation, breathing) that turns a
  real planning CT into a simulated "table" CT, so that the registration can be checked
  against the truth;
- :func:`register` — rigid then deformable (demons) registration with SimpleITK (ITK's
  registration framework, the field's standard library, physical units throughout);
- :func:`target_registration_error_mm` — how far registered points land from where they
  truly are. Against a simulated motion of the same CT this is a best case; the accuracy
  of a navigation system is a TRE measured on independently located targets, with their
  localisation error, on real table images (another modality, another breathing phase).

Coordinates are millimetres in the array's ``(z, y, x)`` order, from the centre of voxel
``(0, 0, 0)``; transforms map *table* points to *planning* points (the direction used to
resample the planning CT onto the table grid).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["PatientMotion", "Registration", "register", "target_registration_error_mm"]


def _rotation_matrix(angles_deg: Sequence[float]) -> np.ndarray:
    """Rotation about the z, y and x axes (in that order), for (z, y, x) coordinates."""
    az, ay, ax = np.deg2rad(np.asarray(angles_deg, dtype=np.float64))
    cz, sz, cy, sy, cx, sx = np.cos(az), np.sin(az), np.cos(ay), np.sin(ay), np.cos(ax), np.sin(ax)
    # rotation about z turns the (y, x) plane, about y the (z, x) plane, about x the (z, y)
    about_z = np.array([[1, 0, 0], [0, cz, -sz], [0, sz, cz]])
    about_y = np.array([[cy, 0, sy], [0, 1, 0], [-sy, 0, cy]])
    about_x = np.array([[cx, -sx, 0], [sx, cx, 0], [0, 0, 1]])
    return about_z @ about_y @ about_x


@dataclass(frozen=True)
class PatientMotion:
    """A known motion of the patient between the planning CT and the table.

    The table image at point ``q`` shows what the planning CT shows at
    ``table_to_planning(q)``: first a rigid motion (rotation about the volume centre, then
    a translation), then breathing — a smooth craniocaudal displacement that is largest
    at the bottom of the volume and fades toward its top, with a smaller anteroposterior
    part. The displacement is the same across each slice (spine and chest wall move with
    the lungs) and smooth: nothing slides, unlike a real lung along the chest wall.

    Parameters
    ----------
    shape : tuple of 3 ints
        The planning CT's shape (z, y, x).
    spacing : tuple of 3 floats
        Its voxel size in mm (z, y, x).
    rotation_deg : tuple of 3 floats
        Rotation about the z (head–feet), y (front–back) and x (left–right) axes, in
        degrees (default (4, 0, 1.5): 4° in the axial plane, a 1.5° nod).
    translation_mm : tuple of 3 floats
        Shift (z, y, x) in mm (default (6, -8, 5)).
    breathing_mm : float
        Craniocaudal breathing amplitude at the bottom slice of the volume, in mm
        (default 8).
    """

    shape: tuple[int, int, int]
    spacing: tuple[float, float, float]
    rotation_deg: tuple[float, float, float] = (4.0, 0.0, 1.5)
    translation_mm: tuple[float, float, float] = (6.0, -8.0, 5.0)
    breathing_mm: float = 8.0

    @property
    def centre_mm(self) -> np.ndarray:
        """The volume's centre, (z, y, x) mm."""
        return (np.asarray(self.shape) - 1) * np.asarray(self.spacing) / 2.0

    def table_to_planning(self, points_mm: Any) -> np.ndarray:
        """Where the planning CT shows what the table image shows at ``points_mm``.

        Parameters
        ----------
        points_mm : array_like, shape (n, 3) or (3,)
            Points (z, y, x) in mm on the table image.

        Returns
        -------
        numpy.ndarray
            The same points in the planning CT, shape like ``points_mm``.
        """
        q = np.atleast_2d(np.asarray(points_mm, dtype=np.float64))
        c = self.centre_mm
        rigid = (q - c) @ _rotation_matrix(self.rotation_deg).T + c + self.translation_mm
        height = self.shape[0] * self.spacing[0]
        # breathing: 1 at the bottom slice, fading smoothly to 0 at the top
        level = np.clip(1.0 - rigid[:, 0] / max(height, 1e-9), 0.0, 1.0)
        weight = level**2 * (3 - 2 * level)  # smoothstep
        depth = self.shape[1] * self.spacing[1]
        ap = np.clip(rigid[:, 1] / max(depth, 1e-9), 0.0, 1.0)
        shift = np.stack(
            [
                self.breathing_mm * weight,  # the diaphragm moves toward the feet
                -0.3 * self.breathing_mm * weight * (1.0 - ap),  # the front wall rises
                np.zeros_like(weight),
            ],
            axis=1,
        )
        out = rigid + shift
        return out.reshape(np.shape(points_mm)) if np.ndim(points_mm) == 1 else out

    def apply(self, volume: Any, *, order: int = 1, fill: float = -1024.0) -> np.ndarray:
        """The table image: ``volume`` (the planning CT) resampled through this motion.

        Parameters
        ----------
        volume : array_like
            The planning CT (or a mask, with ``order=0``), shape :attr:`shape`.
        order : int
            Interpolation order (1 linear for images, 0 nearest for masks).
        fill : float
            Value outside the planning CT (air, −1024 HU; use 0 for masks).

        Returns
        -------
        numpy.ndarray
            float32 for images, bool for boolean masks, shape :attr:`shape`.
        """
        from scipy import ndimage

        v = np.asarray(volume)
        if v.shape != tuple(self.shape):
            raise ValueError(f"volume has shape {v.shape}, the motion was made for {self.shape}")
        sp = np.asarray(self.spacing)
        grid = np.indices(v.shape, dtype=np.float32).reshape(3, -1).T * sp
        source = self.table_to_planning(grid) / sp
        data = v.astype(np.float32) if v.dtype == bool else v
        out = ndimage.map_coordinates(
            data, source.T, order=order, mode="constant", cval=float(fill)
        ).reshape(v.shape)
        return out > 0.5 if v.dtype == bool else out.astype(np.float32)


@dataclass
class Registration:
    """The result of :func:`register`: a transform from table points to planning points.

    Attributes
    ----------
    transform : SimpleITK.Transform
        Maps physical points of the fixed (table) image to the moving (planning) image.
    spacing : tuple of float
        Voxel size (z, y, x) of both images, mm.
    shape : tuple of int
        Shape of the fixed image.
    seconds : dict
        Time spent in each stage (``"rigid"``, ``"deformable"``).
    metric : dict
        Final metric value of each stage (lower is better for mean squares).
    """

    transform: Any
    spacing: tuple[float, float, float]
    shape: tuple[int, int, int]
    seconds: dict[str, float] = field(default_factory=dict)
    metric: dict[str, float] = field(default_factory=dict)

    def table_to_planning(self, points_mm: Any) -> np.ndarray:
        """Map (z, y, x) mm points of the table image into the planning CT."""
        q = np.atleast_2d(np.asarray(points_mm, dtype=np.float64))
        out = np.array([self.transform.TransformPoint(tuple(p[::-1]))[::-1] for p in q])
        return out.reshape(np.shape(points_mm)) if np.ndim(points_mm) == 1 else out

    def apply(self, volume: Any, *, mask: bool = False, fill: float = -1024.0) -> np.ndarray:
        """Resample the planning ``volume`` (or a mask) onto the table grid.

        Parameters
        ----------
        volume : array_like
            An image or mask on the planning CT's grid.
        mask : bool
            Nearest-neighbour interpolation and a bool result (for a marked tumour).
        fill : float
            Value outside the planning volume (default −1024 HU; 0 for masks).

        Returns
        -------
        numpy.ndarray
            On the table grid, shape :attr:`shape`.
        """
        import SimpleITK as sitk

        moving = _to_sitk(np.asarray(volume, dtype=np.float32), self.spacing)
        reference = _to_sitk(np.zeros(self.shape, np.float32), self.spacing)
        interpolator = sitk.sitkNearestNeighbor if mask else sitk.sitkLinear
        out = sitk.Resample(
            moving, reference, self.transform, interpolator, 0.0 if mask else float(fill)
        )
        array = sitk.GetArrayFromImage(out)
        return array > 0.5 if mask else array.astype(np.float32)


def _to_sitk(array: np.ndarray, spacing: Sequence[float]) -> Any:
    import SimpleITK as sitk

    image = sitk.GetImageFromArray(np.ascontiguousarray(array, dtype=np.float32))
    image.SetSpacing(tuple(float(s) for s in spacing[::-1]))  # SimpleITK is (x, y, z)
    return image


def register(
    fixed: Any,
    moving: Any,
    spacing: Sequence[float],
    *,
    deformable: bool = True,
    shrink: Sequence[int] = (2,),
    iterations: int = 60,
    demons_iterations: int = 30,
    demons_sigma: float = 1.5,
    demons_shrink: int = 2,
    seed: int = 0,
) -> Registration:
    """Register the planning CT (``moving``) to the table image (``fixed``).

    1. **Rigid** — a rotation and translation (``Euler3DTransform``, started with the
       centres aligned), optimised by regular-step gradient descent on the mean squared HU
       difference (both images are CT of one patient: same intensities), multi-resolution
       (images shrunk by ``shrink``, then at full size).
    2. **Deformable** — on the rigidly aligned images, Thirion's *demons* (symmetric
       forces): every voxel is pushed along the intensity gradient until the images match,
       and the displacement field is smoothed with a Gaussian of ``demons_sigma`` voxels
       after each step, which keeps it smooth like the breathing it must absorb. It runs
       on images shrunk ``demons_shrink`` times in-plane and clamped to −1024…400 HU (lung,
       soft tissue and vessels drive it, not bone); the field is then interpolated back.

    Parameters
    ----------
    fixed, moving : array_like
        Table image and planning CT in HU, (z, y, x), same shape and spacing.
    spacing : sequence of 3 floats
        Voxel size (z, y, x) in mm.
    deformable : bool
        Add the demons stage (default True).
    shrink : sequence of ints
        Shrink factors of the rigid stage's coarser levels (default (2,)).
    iterations : int
        Rigid iterations per level (default 60).
    demons_iterations, demons_sigma, demons_shrink : int, float, int
        Demons iterations, field smoothing in voxels, in-plane shrink (30, 1.5, 2).
    seed : int
        Seed of the rigid metric's random sampling.

    Returns
    -------
    Registration
        The composite transform (table → planning) and the time and final metric per
        stage.

    Raises
    ------
    ValueError
        If ``fixed`` and ``moving`` are not 3D volumes of one shape, or ``spacing`` is
        not three voxel sizes.

    Notes
    -----
    SimpleITK (about 260 MB installed) rather than scikit-image: scikit-image registers
    translations and dense optical flow, but has no rigid 3D rotation model and no
    multi-resolution optimiser in physical units; ITK is what surgical navigation research
    uses. Demons rather than ITK's B-spline registration for the deformable stage:
    demons suits two images of one modality whose intensities match (CT to CT) and runs in
    seconds here; a B-spline transform optimised on mutual information is the usual choice
    between modalities (CT to MR or cone-beam CT), at a much higher cost per iteration.
    """
    import SimpleITK as sitk

    fixed_a, moving_a = np.asarray(fixed), np.asarray(moving)
    if fixed_a.shape != moving_a.shape or fixed_a.ndim != 3:
        raise ValueError(
            f"fixed and moving must be 3D volumes of one shape, got {fixed_a.shape} and "
            f"{moving_a.shape}"
        )
    sp = tuple(float(s) for s in spacing)
    if len(sp) != 3:
        raise ValueError(f"spacing must be 3 voxel sizes (z, y, x) in mm, got {spacing!r}")
    f_img, m_img = _to_sitk(fixed_a, sp), _to_sitk(moving_a, sp)
    seconds, metric = {}, {}

    start = time.perf_counter()
    method = sitk.ImageRegistrationMethod()
    method.SetMetricAsMeanSquares()
    method.SetMetricSamplingStrategy(method.RANDOM)
    method.SetMetricSamplingPercentage(0.05, seed)
    method.SetInterpolator(sitk.sitkLinear)
    method.SetShrinkFactorsPerLevel([int(s) for s in shrink] + [1])
    method.SetSmoothingSigmasPerLevel([float(s) / 2 for s in shrink] + [0.0])  # voxels
    method.SmoothingSigmasAreSpecifiedInPhysicalUnitsOff()
    method.SetOptimizerAsRegularStepGradientDescent(
        learningRate=2.0,
        minStep=1e-3,
        numberOfIterations=iterations,
        gradientMagnitudeTolerance=1e-6,
    )
    method.SetOptimizerScalesFromPhysicalShift()
    method.SetInitialTransform(
        sitk.CenteredTransformInitializer(
            f_img, m_img, sitk.Euler3DTransform(), sitk.CenteredTransformInitializerFilter.GEOMETRY
        ),
        inPlace=False,
    )
    rigid = method.Execute(f_img, m_img)
    seconds["rigid"] = time.perf_counter() - start
    metric["rigid"] = float(method.GetMetricValue())
    transform = sitk.CompositeTransform(rigid)
    if deformable:
        start = time.perf_counter()
        aligned = sitk.Resample(m_img, f_img, rigid, sitk.sitkLinear, -1024.0)
        f_c = sitk.Clamp(f_img, lowerBound=-1024.0, upperBound=400.0)
        m_c = sitk.Clamp(aligned, lowerBound=-1024.0, upperBound=400.0)
        factor = [int(demons_shrink), int(demons_shrink), 1]
        demons = sitk.FastSymmetricForcesDemonsRegistrationFilter()
        demons.SetNumberOfIterations(int(demons_iterations))
        demons.SetStandardDeviations(float(demons_sigma))
        field = demons.Execute(sitk.Shrink(f_c, factor), sitk.Shrink(m_c, factor))
        field = sitk.Resample(  # back to the full grid (linear, per component)
            field, f_c, sitk.Transform(), sitk.sitkLinear, 0.0, field.GetPixelID()
        )
        displacement = sitk.DisplacementFieldTransform(sitk.Cast(field, sitk.sitkVectorFloat64))
        seconds["deformable"] = time.perf_counter() - start
        metric["deformable"] = float(demons.GetMetric())
        transform = sitk.CompositeTransform([rigid, displacement])
    return Registration(
        transform=transform,
        spacing=sp,
        shape=tuple(fixed_a.shape),
        seconds=seconds,
        metric=metric,
    )


def target_registration_error_mm(
    estimated: Callable[[np.ndarray], np.ndarray],
    truth: Callable[[np.ndarray], np.ndarray],
    points_mm: Any,
) -> np.ndarray:
    """Target registration error: the distance between estimated and true positions, in mm.

    Parameters
    ----------
    estimated, truth : callable
        Each maps (n, 3) table points (z, y, x, mm) to planning points, e.g.
        ``Registration.table_to_planning`` and ``PatientMotion.table_to_planning``.
    points_mm : array_like, shape (n, 3)
        Targets on the table image (the tumour's centre, points in the lungs).

    Returns
    -------
    numpy.ndarray
        (n,) distances in mm.
    """
    q = np.atleast_2d(np.asarray(points_mm, dtype=np.float64))
    return np.linalg.norm(np.asarray(estimated(q)) - np.asarray(truth(q)), axis=1)
