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


def away_from_cursor(shape, r, c):
    keep = np.ones(shape, bool)
    keep[r, :] = False
    keep[:, c] = False
    return keep


def test_planes_show_the_slices_through_the_linked_cursor(volume):
    v = VolumeViewer(volume, window=(50, 100), mode="planes")
    v.set_cursor(3, 5, 7)
    planes = {
        "axial": (volume[3], (5, 7)),
        "coronal": (volume[:, 5, :], (3, 7)),
        "sagittal": (volume[:, :, 7], (3, 5)),
    }
    for name, (expected, (r, c)) in planes.items():
        rgb = decode_png(v.images[name].value).astype(int)
        keep = away_from_cursor(expected.shape, r, c)
        assert np.abs(rgb[..., 0][keep] - ref_gray(expected, 50, 100)[keep]).max() <= 1, name
        assert rgb[r, 0].tolist() == [255, 215, 0]  # the crosshair
    assert f"{volume[3, 5, 7]:.1f}" in v.readout.value
    before = v.images["sagittal"].value
    v.x_slider.value = 2
    assert v.cursor == (3, 5, 2) and v.images["sagittal"].value != before
    assert np.array_equal(v.plane("sagittal"), volume[:, :, 2])


def test_labels_are_coloured_and_read_out(volume):
    labels = np.zeros(volume.shape, np.int16)
    labels[4, 2:6, 2:6] = 1
    labels[4, 10:14, 6:10] = 2
    v = VolumeViewer(volume, labels, window=(50, 100), mode="planes", opacity=1.0)
    v.set_cursor(4, 3, 3)
    rgb = decode_png(v.images["axial"].value)
    assert rgb[2, 5].tolist() == [230, 25, 75]  # label 1: first palette colour
    assert rgb[12, 8].tolist() == [60, 180, 75]  # label 2: second
    assert "label 1" in v.readout.value
    v.opacity_slider.value = 0.0
    rgb = decode_png(v.images["axial"].value).astype(int)
    assert rgb[2, 5, 0] == ref_gray(volume[4, 2, 5], 50, 100)


def test_plane_aspect_ratios_follow_the_spacing(volume):
    v = VolumeViewer(volume, spacing=(3.0, 1.0, 1.0), mode="planes", max_px=300)
    # coronal: 10 slices × 3 mm = 30 mm tall, 12 columns × 1 mm = 12 mm wide
    assert (v.images["coronal"].layout.width, v.images["coronal"].layout.height) == (
        "120px", "300px")
    assert v.images["axial"].layout.height == "300px"  # 16 mm tall, 12 mm wide


def test_each_mode_prints_one_line_saying_what_is_used(volume, capsys):
    v = VolumeViewer(volume, mode="planes")
    out = capsys.readouterr().out
    assert out.count("\n") == 1 and "three-plane view (mode='planes')" in out
    assert v.mode == "planes" and "mode='planes'" in repr(v)
    VolumeViewer(volume)
    out = capsys.readouterr().out
    assert out.count("\n") == 1 and "mode='auto'" in out


def test_auto_mode_waits_for_a_browser_and_stays_offline_without_importing_itk(
    volume, monkeypatch
):
    monkeypatch.setattr(vv, "itkwidgets_available", lambda: True)
    monkeypatch.setattr(vv, "_viewer_host_reachable", lambda: False)
    sys.modules.pop("itkwidgets", None)
    v = VolumeViewer(volume, mode="auto")
    assert v.itk_state == "waiting for a browser" and v.mode == "planes"
    assert v.widget._view_count == 0  # the browser probe is armed
    v.widget._view_count = 1  # what the front end sends once it has rendered the widget
    assert v.itk_state == "offline" and v.mode == "planes"
    assert "internet" in v.status.value
    assert "itkwidgets" not in sys.modules


def test_auto_mode_without_itkwidgets_says_how_to_get_3d(volume, monkeypatch):
    monkeypatch.setattr(vv, "itkwidgets_available", lambda: False)
    v = VolumeViewer(volume)
    assert v.itk_state == "not installed" and "medlab[3d]" in v.status.value


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
        nb, kernel_name="python3",
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
            "print(v.mode, '|', v.itk_state, '|', 'itkwidgets' in sys.modules)",
        ],
        timeout=120,
    )
    assert "mode='auto'" in stream_text(nb.cells[0])
    state = "not installed" if not HAS_ITK else "waiting for a browser"
    assert stream_text(nb.cells[1]).strip() == f"planes | {state} | False"


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
            ["import numpy as np, itkwidgets\nviewer = itkwidgets.view(np.zeros((6, 6, 6)))",
             "x = 1 + 1"],
            timeout=15,
        )
