"""Interactive widgets for the lessons (ipywidgets 8, JupyterLab 4).

Each widget is one call with sensible defaults and displays itself when it is the
last expression of a cell::

    from medlab.widgets import SliceViewer
    SliceViewer(ct, window="lung")

==========================  ================================================================
``SliceViewer``             slices, window/level presets, HU readout, aspect ratio, overlays
``VolumeViewer``            three head-up linked planes (click to move), labels, offline 3D
``KernelPlayground``        edit a 3×3/5×5 kernel, see the convolution and its histogram
``FeatureMapExplorer``      a CNN layer's feature maps (and first-layer filters) for an image
``GradCAMViewer``           Grad-CAM heat map over the image, per layer and class
``LossExplorer``            BCE, weighted BCE, focal loss and gradients for dragged predictions
``SegmentationOverlay``     truth vs prediction overlays with live Dice/IoU and a threshold
``TrainingMonitor``         Keras callback: live training/validation curves in one display
``ThresholdExplorer``       ROC curve with a movable operating point and confusion matrix
``ScatterExplorer``         2D embeddings (PCA/t-SNE) of a cohort, linked to its images
``open_scan``               any DICOM file/folder, NIfTI or NRRD file in the right viewer
``LesionMarker``            click a lesion in three planes, correct the marking, measure it
``ClickableImage``          a PNG image reporting clicks and arrow keys + Enter (anywidget)
==========================  ================================================================

Widgets render images in NumPy and send PNG bytes (no matplotlib per update), so a
control change costs milliseconds. Submodules are imported on first use: importing
``medlab.widgets`` does not import Keras, TensorFlow, matplotlib, ipyniivue or itkwidgets.

Every widget can be used without a mouse and without sight: its sliders follow the W3C
ARIA slider pattern (a label, arrow keys, Page Up/Down, Home/End), every image carries a
text alternative saying what it shows (plane, slice, window, overlays, Dice ...), and
overlays use colour-blind-safe colours with outlines. Every widget also leaves a picture
of its view in the notebook's stored output, so a saved or exported notebook still shows
the curves, ROC and overlays; charts follow JupyterLab's dark theme.
"""

from __future__ import annotations

import importlib

__all__ = [
    "ClickableImage",
    "FeatureMapExplorer",
    "GradCAMViewer",
    "KernelPlayground",
    "LesionMarker",
    "LossExplorer",
    "ScatterExplorer",
    "SegmentationOverlay",
    "SliceViewer",
    "ThresholdExplorer",
    "TrainingMonitor",
    "VolumeViewer",
    "open_scan",
]

_WHERE = {
    "SliceViewer": "slice_viewer",
    "VolumeViewer": "volume_viewer",
    "KernelPlayground": "kernel_playground",
    "FeatureMapExplorer": "feature_maps",
    "GradCAMViewer": "gradcam_viewer",
    "LossExplorer": "loss_explorer",
    "SegmentationOverlay": "segmentation",
    "TrainingMonitor": "training_monitor",
    "ThresholdExplorer": "threshold_explorer",
    "ScatterExplorer": "scatter_explorer",
    "open_scan": "scan_viewer",
    "LesionMarker": "lesion_marker",
    "ClickableImage": "_clickable",
}


def __getattr__(name: str):
    if name in _WHERE:
        value = getattr(importlib.import_module(f"medlab.widgets.{_WHERE[name]}"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'medlab.widgets' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
