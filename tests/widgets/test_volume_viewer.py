"""VolumeViewer: linked planes, labels, and never freezing a kernel (itkwidgets guard)."""

import importlib.util
import sys
import time
import types

import nbformat
import numpy as np
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellTimeoutError

from medlab.render import decode_png
from medlab.widgets import VolumeViewer
from medlab.widgets import volume_viewer as vv

HAS_ITK = importlib.util.find_spec("itkwidgets") is not None


def ref_gray(x, center, width):
    return np.round(np.clip((x - (center - width / 2)) / width, 0, 1) * 255).astype(int)


@pytest.fixture
def volume():
    rng = np.random.default_rng(2)
    return rng.uniform(0, 100, (10, 16, 12)).astype(np.float32)


# With 1 mm voxels and max_px=240 every plane is drawn in square blocks of whole pixels:
# axial 16 x 12 voxels → 15 px each, coronal 10 x 12 → 20 px, sagittal 10 x 16 → 15 px.
BLOCK = {"axial": 15, "coronal": 20, "sagittal": 15}


def block_centre(plane, row, col):
    s = BLOCK[plane]
    return row * s + s // 2, col * s + s // 2


def shown(viewer, plane):
    return decode_png(viewer.images[plane].value).astype(int)


def test_planes_are_drawn_head_up_through_the_linked_cursor(volume):
    v = VolumeViewer(volume, window=(50, 100), mode="planes", max_px=240)
    v.set_cursor(3, 5, 7)
    nz = volume.shape[0]
    # what each plane shows at (row, col), written out: the head (last z) at the top,
    # anterior (y = 0) at the top of the axial plane and on the left of the sagittal one,
    # the patient's right (x = 0) on the left
    expected = {
        "axial": lambda r, c: volume[3, r, c],
        "coronal": lambda r, c: volume[nz - 1 - r, 5, c],
        "sagittal": lambda r, c: volume[nz - 1 - r, c, 7],
    }
    cursor_block = {"axial": (5, 7), "coronal": (nz - 1 - 3, 7), "sagittal": (nz - 1 - 3, 5)}
    for plane, value_at in expected.items():
        rgb = shown(v, plane)
        rows, cols = v.grids[plane].shape
        assert rgb.shape[:2] == (rows * BLOCK[plane], cols * BLOCK[plane])
        checked = 0
        for r in range(1, rows - 1):
            for c in range(1, cols - 1):
                if r == cursor_block[plane][0] or c == cursor_block[plane][1]:
                    continue  # the crosshair runs through these blocks
                y, x = block_centre(plane, r, c)
                if min(y, x) < 40 or y > rgb.shape[0] - 40 or x > rgb.shape[1] - 40:
                    continue  # the orientation letters sit along the edges
                assert rgb[y, x, 0] == pytest.approx(ref_gray(value_at(r, c), 50, 100), abs=1)
                checked += 1
        assert checked >= 4, plane
        # the crosshair, yellow, crosses the cursor's block
        y, x = block_centre(plane, *cursor_block[plane])
        assert rgb[y, 0].tolist() == [255, 215, 0] and rgb[0, x].tolist() == [255, 215, 0]
    assert f"{volume[3, 5, 7]:.1f}" in v.readout.value
    before = v.images["sagittal"].value
    v.x_slider.value = 2
    assert v.cursor == (3, 5, 2) and v.images["sagittal"].value != before
    assert np.array_equal(v.plane("sagittal"), volume[:, :, 2])  # array order
    assert np.array_equal(v.head_up("sagittal"), volume[::-1, :, 2])  # as shown


def test_each_plane_is_labelled_with_its_orientation_letters(volume):
    v = VolumeViewer(volume, window=(50, 100), mode="planes", max_px=240)
    for plane in ("axial", "coronal", "sagittal"):
        white = np.all(shown(v, plane) == 255, axis=2)
        h, w = white.shape
        sides = {
            "top": white[:20, w // 2 - 10 : w // 2 + 10],
            "bottom": white[-20:, w // 2 - 10 : w // 2 + 10],
            "left": white[h // 2 - 10 : h // 2 + 10, :20],
            "right": white[h // 2 - 10 : h // 2 + 10, -20:],
        }
        for side, patch in sides.items():
            assert patch.sum() >= 30, (plane, side)  # a 10 x 14 px letter (values < 100 are grey)
    # the letters themselves are render.ORIENTATION's, checked glyph by glyph in test_render
    assert "head up, patient's right on the left" in v.images["coronal"].alt
    assert (
        "anterior up" in v.images["axial"].alt
        and "anterior on the left" in v.images["sagittal"].alt
    )


def test_a_click_in_a_plane_moves_the_cursor_there(volume):
    v = VolumeViewer(volume, window=(50, 100), mode="planes", max_px=240)
    v.set_cursor(3, 5, 7)
    nz = volume.shape[0]
    v.images["coronal"].click_at(*block_centre("coronal", 2, 9))  # plane row 2 = z 7
    assert v.cursor == (nz - 1 - 2, 5, 9)
    v.images["sagittal"].click_at(*block_centre("sagittal", 8, 1))  # row 8 = z 1, col = y
    assert v.cursor == (1, 1, 9)
    v.images["axial"].click_at(*block_centre("axial", 14, 0))
    assert v.cursor == (1, 14, 0)
    assert f"{volume[1, 14, 0]:.1f}" in v.readout.value
    # the keyboard marker starts from the cursor, one voxel per arrow key
    assert v.images["axial"].cursor == block_centre("axial", 14, 0)
    assert v.images["axial"].step == (15, 15) and v.images["coronal"].step == (20, 20)


def test_labels_are_filled_outlined_in_safe_colours_and_read_out(volume):
    labels = np.zeros(volume.shape, np.int16)
    labels[4, 2:6, 2:6] = 1
    labels[4, 10:14, 6:10] = 2
    v = VolumeViewer(
        volume,
        labels,
        window=(50, 100),
        mode="planes",
        opacity=1.0,
        max_px=240,
        label_names={1: "lung", 2: "nodule"},
    )
    v.set_cursor(4, 3, 3)
    rgb = shown(v, "axial")
    assert rgb[block_centre("axial", 2, 5)].tolist() == [86, 180, 233]  # label 1: sky blue
    assert rgb[block_centre("axial", 12, 8)].tolist() == [230, 159, 0]  # label 2: orange
    assert "label 1 (lung)" in v.readout.value
    assert "labels lung (sky blue), nodule (orange)" in v.images["axial"].alt
    assert "nodule (orange)" in v.legend.value
    v.opacity_slider.value = 0.4
    rgb = shown(v, "axial")
    inside = rgb[block_centre("axial", 12, 8)]
    grey = ref_gray(volume[4, 12, 8], 50, 100)
    assert inside.tolist() == [round(0.6 * grey + 0.4 * c) for c in (230, 159, 0)]
    edge_y = 10 * 15  # the first screen row of label 2: its outline, at full opacity
    assert rgb[edge_y, block_centre("axial", 12, 8)[1]].tolist() == [230, 159, 0]
    v.opacity_slider.value = 0.0
    rgb = shown(v, "axial")
    assert rgb[block_centre("axial", 2, 5)][0] == ref_gray(volume[4, 2, 5], 50, 100)


def test_plane_aspect_ratios_follow_the_spacing(volume):
    v = VolumeViewer(volume, spacing=(3.0, 1.0, 1.0), mode="planes", max_px=300)
    # coronal: 10 slices × 3 mm = 30 mm tall, 12 columns × 1 mm = 12 mm wide
    assert (v.images["coronal"].width, v.images["coronal"].height) == (120, 300)
    assert v.images["axial"].height == 300  # 16 mm tall, 12 mm wide
    # drawn at screen size: thick slices are not squashed, the letters not stretched
    assert decode_png(v.images["coronal"].value).shape[:2] == (300, 120)


def test_each_mode_prints_one_line_saying_what_is_used(volume, capsys):
    v = VolumeViewer(volume, mode="planes")
    out = capsys.readouterr().out
    assert out.count("\n") == 1 and "three-plane view (mode='planes')" in out
    assert v.mode == "planes" and "mode='planes'" in repr(v)
    VolumeViewer(volume)
    out = capsys.readouterr().out
    assert out.count("\n") == 1 and "mode='auto'" in out and "offline 3D" in out
    VolumeViewer(volume, mode="3d")
    out = capsys.readouterr().out
    assert out.count("\n") == 1 and "offline 3D rendering (mode='3d')" in out


def test_auto_mode_builds_the_offline_3d_view_once_a_browser_shows_it_never_itk(
    volume, monkeypatch
):
    monkeypatch.setattr(vv, "itkwidgets_available", lambda: True)
    monkeypatch.setattr(vv, "_viewer_host_reachable", lambda: True)  # even online
    sys.modules.pop("itkwidgets", None)
    v = VolumeViewer(volume, mode="auto")
    assert v.view3d is None and v.mode == "planes" and v.box3d.layout.display == "none"
    assert v.widget._view_count == 0  # the browser probe is armed
    v.widget._view_count = 1  # what the front end sends once it has rendered the widget
    assert v.mode == "3d" and v.view3d is not None and v.box3d.layout.display is None
    assert v.view3d.nv in v.box3d.children
    assert "offline 3D" in v.status.value and v.itk_state == "off"
    assert "itkwidgets" not in sys.modules


def test_auto_mode_without_ipyniivue_says_how_to_get_3d(volume, monkeypatch):
    monkeypatch.setattr(vv, "niivue_available", lambda: False)
    v = VolumeViewer(volume)
    assert v.view3d is None and "pip install ipyniivue" in v.status.value


# --------------------------------------------------------------------------- 3D (NiiVue)


@pytest.fixture
def ct_case():
    """A small CT-like volume (HU) with a lung-like label 1 and a lesion label 2."""
    rng = np.random.default_rng(5)
    ct = np.full((12, 40, 36), -800.0, np.float32) + rng.normal(0, 20, (12, 40, 36))
    ct[:, 30:34, 16:20] = 700.0  # a spine-like bone column, posterior, in the middle
    labels = np.zeros(ct.shape, np.int16)
    labels[2:10, 8:28, 4:14] = 1  # the "right lung": columns 4..13 are the patient's right
    labels[5:7, 15:19, 8:11] = 2  # a lesion inside it
    return ct, labels, (2.5, 0.8, 0.8)


def test_3d_view_sends_the_volume_as_nifti_with_the_patient_the_right_way_round(ct_case):
    import gzip
    import io

    import nibabel as nib

    ct, labels, spacing = ct_case
    v = VolumeViewer(ct, labels, spacing=spacing, units="HU", mode="3d")
    (sent,) = v.view3d.nv.volumes
    image = nib.Nifti1Image.from_stream(io.BytesIO(gzip.decompress(sent.data)))
    assert nib.aff2axcodes(image.affine) == ("L", "P", "S")  # nibabel's own reading
    assert image.header.get_zooms() == pytest.approx((0.8, 0.8, 2.5))
    stored = np.asarray(image.dataobj)
    assert stored.shape == (36, 40, 12)  # (x, y, z)
    assert np.array_equal(stored, np.round(ct).astype(np.int16).transpose(2, 1, 0))
    # the bone column: posterior (RAS y < 0) and central; the lesion in the patient's right
    xyz = nib.affines.apply_affine(image.affine, [[17, 31, 6]])[0]
    assert xyz[1] < 0 and abs(xyz[0]) < 2
    assert (sent.cal_min, sent.cal_max) == (150.0, 1200.0)  # CT default: bone and up
    assert v.view3d.factor == 1 and v.view3d.bytes_sent > len(sent.data)


def test_3d_label_surfaces_lie_where_the_labels_are_in_millimetres(ct_case):
    ct, labels, spacing = ct_case
    v = VolumeViewer(
        ct, labels, spacing=spacing, units="HU", mode="3d", label_names=["right lung", "lesion"]
    )
    meshes = v.view3d.meshes
    assert sorted(meshes) == [1, 2]
    affine = _course_affine_by_hand(ct.shape, spacing)
    for value, mesh in meshes.items():
        assert mesh.rgba255[:3] == list(v.label_colors[value])
        verts = _ply_vertices(mesh.data)
        zz, yy, xx = np.nonzero(labels == value)
        corners = np.array(
            [
                [x, y, z, 1.0]
                for x in (xx.min() - 0.5, xx.max() + 0.5)
                for y in (yy.min() - 0.5, yy.max() + 0.5)
                for z in (zz.min() - 0.5, zz.max() + 0.5)
            ]
        )
        box = corners @ affine.T
        lo, hi = box[:, :3].min(axis=0), box[:, :3].max(axis=0)
        assert np.all(verts >= lo - 1e-3) and np.all(verts <= hi + 1e-3)
        assert np.all(verts.max(axis=0) - verts.min(axis=0) > 0.5 * (hi - lo))
    assert np.all(_ply_vertices(meshes[2].data)[:, 0] > 0)  # the patient's right: RAS x > 0
    # the organ translucent, the lesion opaque; the opacity slider sets them
    assert meshes[1].opacity == pytest.approx(0.4) and meshes[2].opacity == 1.0
    v.opacity_slider.value = 0.0
    assert not meshes[1].visible and not meshes[2].visible
    assert "right lung (sky blue" in v.description3d.value


def _course_affine_by_hand(shape, spacing):
    nz, ny, nx = shape
    sz, sy, sx = spacing
    return np.array(
        [
            [-sx, 0, 0, sx * (nx - 1) / 2],
            [0, -sy, 0, sy * (ny - 1) / 2],
            [0, 0, sz, -sz * (nz - 1) / 2],
            [0, 0, 0, 1.0],
        ]
    )


def _ply_vertices(data):
    head, body = data.split(b"end_header\n", 1)
    n = int(
        next(
            line.split()[2]
            for line in head.decode().splitlines()
            if line.startswith("element vertex")
        )
    )
    return np.frombuffer(body[: 12 * n], "<f4").reshape(n, 3).astype(float)


def test_3d_crosshair_rotation_and_threshold_follow_the_controls(ct_case):
    ct, labels, spacing = ct_case
    v = VolumeViewer(ct, labels, spacing=spacing, units="HU", mode="3d")
    v.set_cursor(6, 10, 30)
    nz, ny, nx = ct.shape
    # NiiVue's crosshair in fractions of the RAS-ordered volume: x and y run against R, A
    assert v.view3d.nv.scene.crosshair_pos == pytest.approx(
        [(nx - 1 - 30 + 0.5) / nx, (ny - 1 - 10 + 0.5) / ny, (6 + 0.5) / nz]
    )
    v.azimuth_slider.value = 90
    v.elevation_slider.value = 30
    assert (v.view3d.nv.scene.render_azimuth, v.view3d.nv.scene.render_elevation) == (90, 30)
    assert "elevation 30°" in v.description3d.value
    v.threshold_slider.value = 300.0
    (sent,) = v.view3d.nv.volumes
    assert (sent.cal_min, sent.cal_max) == (300.0, 1350.0)
    # the browser reports a drag-rotation and a click: the sliders and cursor follow
    v._rotated_in_browser({"azimuth": 200.0, "elevation": 12.4})
    assert (v.azimuth_slider.value, v.elevation_slider.value) == (-160, 12)
    v._located_in_browser({"vox": [5, 20, 3], "mm": [0, 0, 0]})
    assert v.cursor == (3, 20, 5)


def test_a_large_volume_is_shrunk_in_plane_for_3d_with_the_cursor_mapped():
    from medlab.widgets._volume3d import MAX_VOXELS_3D, shrink_for_3d

    vol = np.arange(4 * 20 * 20, dtype=np.float32).reshape(4, 20, 20)
    labels = np.zeros(vol.shape, int)
    labels[:, 4:8, 4:8] = 1
    small, small_labels, sp, f = shrink_for_3d(vol, labels, (2.0, 0.5, 0.5), max_voxels=400)
    assert f == 2 and small.shape == (4, 10, 10) and sp == (2.0, 1.0, 1.0)
    assert small[1, 3, 4] == pytest.approx(vol[1, 6:8, 8:10].mean())
    assert small_labels[:, 2:4, 2:4].all() and small_labels.sum() == 4 * 4
    assert MAX_VOXELS_3D >= 2_000_000  # a 256 x 256 x 30 CT goes unshrunk


class FakeWatcher:
    """Stands in for itkwidgets' CellWatcher: records what the guard tells it."""

    def __init__(self, ready):
        self.ready = ready
        self.calls = []

    def viewer_ready(self, name):
        return self.ready

    def update_viewer_status(self, name, status):
        self.calls.append((name, status))


@pytest.mark.parametrize("ready", [False, True])
def test_timeout_releases_the_cell_queue_only_when_the_viewer_did_not_load(
    volume, monkeypatch, ready
):
    v = VolumeViewer(volume, mode="planes")
    watcher = FakeWatcher(ready)
    monkeypatch.setattr(v, "_itk_watcher", lambda: watcher)
    v.itk_viewer = type("FakeViewer", (), {"name": "viewer-1"})()
    v.mode, v.itk_state = "itk", "loading"
    v._release()
    if ready:
        assert watcher.calls == [] and v.itk_state == "ready" and v.mode == "itk"
    else:
        assert watcher.calls == [("viewer-1", True)]  # the queued cells run again
        assert v.itk_state == "timed out" and v.mode == "planes"
        assert "did not load" in v.status.value and v.itk_box.layout.display == "none"


def test_an_itkwidgets_error_is_shown_in_the_box_and_the_planes_stay(volume, monkeypatch):
    def broken_view(**kwargs):
        raise TypeError("MemoryStore is not a valid store")  # as with ngff-zarr 0.50

    fake = types.ModuleType("itkwidgets")
    fake.view = broken_view
    monkeypatch.setitem(sys.modules, "itkwidgets", fake)
    monkeypatch.setattr(vv, "itkwidgets_available", lambda: True)
    v = VolumeViewer(volume, mode="itk")
    (error,) = v.itk_box.outputs
    assert (error["output_type"], error["ename"]) == ("error", "TypeError")
    assert "MemoryStore" in error["evalue"] and "broken_view" in "".join(error["traceback"])
    assert v.itk_viewer is None and v.itk_state == "loading"
    assert decode_png(v.images["axial"].value).shape[2] == 3  # the planes are drawn
    v._release()  # the timer's call: no viewer to mark ready, back to the planes
    assert (v.itk_state, v.mode) == ("timed out", "planes")


@pytest.mark.parametrize(
    ("args", "kwargs", "message"),
    [
        ((np.zeros((4, 4)),), {}, "3D"),
        ((np.zeros((4, 4, 4)), np.zeros((4, 4, 3))), {}, "labels have shape"),
        ((np.zeros((4, 4, 4)), np.full((4, 4, 4), 0.5)), {}, "integers"),
        ((np.zeros((4, 4, 4)),), {"mode": "vr"}, "mode must be one of"),
    ],
)
def test_bad_inputs_raise(args, kwargs, message):
    with pytest.raises(ValueError, match=message):
        VolumeViewer(*args, **kwargs)


# ------------------------------------------------------------ headless kernels (nbclient)


def run_notebook(cells, timeout):
    """Execute cells in a fresh headless kernel; ``timeout`` applies to every cell but the
    first, which imports the libraries and gets 300 s (a loaded CI machine is slow).

    Returns the executed notebook, the seconds it took and the types of the messages
    the client sent on the shell channel.
    """
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    client = NotebookClient(
        nb,
        kernel_name="python3",
        timeout_func=lambda cell: 300 if cell is nb.cells[0] else timeout,
    )
    sent = []

    def record_shell_sends(notebook):
        channel = client.kc.shell_channel
        send = channel.send

        def recording_send(msg):
            sent.append(msg["header"]["msg_type"])
            send(msg)

        channel.send = recording_send

    client.on_notebook_start = record_shell_sends
    start = time.monotonic()
    client.execute()
    return nb, time.monotonic() - start, sent


def stream_text(cell):
    return "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")


def test_auto_mode_in_a_headless_kernel_runs_on_with_outputs_intact():
    nb, _, _ = run_notebook(
        [
            "import sys, numpy as np\nfrom medlab.widgets import VolumeViewer\n"
            "v = VolumeViewer(np.zeros((6, 6, 6), np.float32))",
            "print(v.mode, '|', v.itk_state, '|', 'itkwidgets' in sys.modules, '|', "
            "'ipyniivue' in sys.modules, '|', v.view3d)",
        ],
        timeout=120,
    )
    assert "mode='auto'" in stream_text(nb.cells[0])
    # no browser: neither 3D viewer is built, imported or sent
    assert stream_text(nb.cells[1]).strip() == "planes | off | False | False | None"


@pytest.fixture(scope="module")
def itk_headless_run(tmp_path_factory):
    """One headless kernel run of ``mode='itk'``, shared by the tests below."""
    marker = tmp_path_factory.mktemp("itk") / "state.txt"
    nb, elapsed, sent = run_notebook(
        [
            "import numpy as np\nfrom medlab.widgets import VolumeViewer\n"
            "v = VolumeViewer(np.zeros((6, 6, 6), np.float32), mode='itk', itk_timeout=3)",
            f"open({str(marker)!r}, 'w').write(v.itk_state + '|' + v.mode + '|' + v.status.value)",
            "x = 1 + 1",
        ],
        timeout=60,  # without the guard the second cell would never finish
    )
    return nb, elapsed, sent, marker


@pytest.mark.skipif(not HAS_ITK, reason="itkwidgets (medlab[3d]) is not installed")
def test_explicit_itk_mode_in_a_headless_kernel_is_released_after_the_timeout(itk_headless_run):
    # itkwidgets' CellWatcher queues every later cell until the viewer reports ready,
    # which never happens without a browser; the guard must release the queue.
    nb, elapsed, _, marker = itk_headless_run
    assert "mode='itk'" in stream_text(nb.cells[0])
    state, mode, status = marker.read_text().split("|", 2)
    assert (state, mode) == ("timed out", "planes")
    assert "did not load within 3 s" in status
    assert elapsed < 400


@pytest.mark.skipif(not HAS_ITK, reason="itkwidgets (medlab[3d]) is not installed")
def test_itk_mode_makes_a_headless_client_send_nothing_while_it_awaits_a_reply(
    itk_headless_run,
):
    # Regression: the viewer used to be displayed inside ``with itk_box:``. nbclient mimics
    # that capture by sending a comm_msg on the shell channel per captured output, with a
    # blocking send on the socket where it awaits the cell's execute_reply; a reply that had
    # already arrived then lost its wake-up and the run hung until the cell timeout (300 s
    # for the first cell). Deterministic check: after its start-up kernel_info_request
    # the client sends nothing but the cells' execute requests.
    nb, _, sent, _ = itk_headless_run
    assert [t for t in sent if t != "kernel_info_request"] == ["execute_request"] * len(nb.cells)
    # ... and the viewer's displays still land in the widget's box (saved widget state)
    models = nb.metadata.widgets["application/vnd.jupyter.widget-state+json"]["state"].values()
    (box,) = [m["state"] for m in models if m["model_name"] == "OutputModel"]
    kinds = {mime for out in box["outputs"] for mime in out["data"]}
    assert {"text/html", "application/javascript"} <= kinds


@pytest.mark.slow
@pytest.mark.skipif(not HAS_ITK, reason="itkwidgets (medlab[3d]) is not installed")
def test_unguarded_itkwidgets_view_freezes_a_headless_kernel():
    """The control experiment: what the guard prevents (the next cell never finishes)."""
    with pytest.raises(CellTimeoutError):
        run_notebook(
            [
                "import numpy as np, itkwidgets\nviewer = itkwidgets.view(np.zeros((6, 6, 6)))",
                "x = 1 + 1",
            ],
            timeout=15,
        )


def test_the_3d_threshold_shows_bone_for_ct_and_the_bright_quarter_otherwise(ct_case):
    ct, _labels, spacing = ct_case
    ct = ct.copy()
    ct[:, :3] = -1000.0  # air in front of the body
    as_array = VolumeViewer(ct, spacing=spacing, mode="planes")  # no units: CT by its values
    assert as_array.units == "" and as_array.threshold_3d == (150.0, 1200.0)
    mr = np.random.default_rng(0).uniform(0, 1, (8, 20, 20)).astype(np.float32)
    low, high = VolumeViewer(mr, mode="planes").threshold_3d
    assert low == pytest.approx(np.percentile(mr, 75), abs=0.02) and high > 0.99
    with pytest.raises(ValueError, match="threshold_3d"):
        VolumeViewer(mr, mode="planes", threshold_3d=(5, 1))
