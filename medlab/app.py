"""The JupyterLab launcher behind ``medlab lab``.

It fills the learner's workspace with the learner versions of the lessons (never
overwriting the learner's edits), then starts JupyterLab there with MedLab's server
extension. :func:`develop_labextension` (``medlab dev link-extension``) makes the side
panel visible from a source checkout.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from medlab.config import config
from medlab.course.workspace import Workspace

__all__ = ["develop_labextension", "lab_command", "labextension_installed", "run_lab"]

LABEXTENSION = "@medlab/labextension"


def labextension_installed() -> bool:
    """Whether JupyterLab will find the MedLab labextension (any ``labextensions`` path)."""
    from jupyter_core.paths import jupyter_path

    return any(
        (Path(folder) / LABEXTENSION / "package.json").is_file()
        for folder in jupyter_path("labextensions")
    )


def develop_labextension(prefix: str | Path | None = None) -> Path:
    """Link the labextension built in a source checkout into ``prefix`` (default: this env).

    The equivalent of ``jupyter labextension develop``: an editable install
    (``pip install -e .``) does not install the shared data, so JupyterLab would not
    find the side panel. Build it first (``cd extension && jlpm build:prod``).

    Returns
    -------
    Path
        The link, ``<prefix>/share/jupyter/labextensions/@medlab/labextension``.

    Raises
    ------
    FileNotFoundError
        If the labextension has not been built (``medlab/labextension/package.json``).
    """
    built = Path(__file__).resolve().parent / "labextension"
    if not (built / "package.json").is_file():
        raise FileNotFoundError(
            f"The MedLab labextension is not built: {str(built)!r} has no package.json; "
            "run `cd extension && jlpm install && jlpm build:prod` first"
        )
    link = Path(prefix or sys.prefix) / "share" / "jupyter" / "labextensions" / LABEXTENSION
    link.parent.mkdir(parents=True, exist_ok=True)
    if link.is_symlink() or link.is_file():
        link.unlink()
    elif link.is_dir():
        import shutil

        shutil.rmtree(link)
    link.symlink_to(built, target_is_directory=True)
    return link


def lab_command(workspace: Path, open_browser: bool, lab_args: list[str]) -> list[str]:
    """The ``jupyter lab`` command line for ``workspace``.

    Adds ``--allow-root`` when run as root; ``lab_args`` come last, so JupyterLab's own
    options given there (``--port=8911``) win over MedLab's.
    """
    cmd = [sys.executable, "-m", "jupyterlab", f"--ServerApp.root_dir={workspace}"]
    if not open_browser:
        cmd.append("--no-browser")
    if hasattr(os, "geteuid") and os.geteuid() == 0 and "--allow-root" not in lab_args:
        cmd.append("--allow-root")
    # The server extension is enabled by the installed jupyter_server_config.d entry;
    # naming it here too keeps a source checkout (no data files installed) working.
    cmd.append("--ServerApp.jpserver_extensions={'medlab.server': True}")
    return cmd + list(lab_args)


def run_lab(workspace: Path | None, open_browser: bool, lab_args: list[str]) -> int:
    """Copy the learner lessons into ``workspace`` and run JupyterLab on it.

    Parameters
    ----------
    workspace : Path or None
        The folder; default ``medlab.config.workspace`` (``MEDLAB_WORKSPACE`` or
        ``~/medlab``).
    open_browser : bool
        Whether JupyterLab opens a browser tab.
    lab_args : list of str
        JupyterLab's own options, passed to ``jupyter lab`` unchanged.

    Returns
    -------
    int
        JupyterLab's exit status.
    """
    root = Path(workspace).expanduser() if workspace else config.workspace
    report = Workspace(root).sync()
    print(f"MedLab workspace: {root}")
    for key, label in (("created", "new"), ("updated", "updated"), ("kept", "kept (yours)")):
        if report[key]:
            print(f"  {label}: {', '.join(report[key])}")
    if not labextension_installed():
        print(
            "Warning: the MedLab side panel (JupyterLab extension) is not installed in this "
            "environment. Install the medlab wheel (`pip install .`), or in a source checkout "
            "run `medlab dev link-extension`.",
            file=sys.stderr,
        )
    env = dict(os.environ)
    try:
        return subprocess.call(lab_command(root, open_browser, lab_args), cwd=root, env=env)
    except KeyboardInterrupt:
        return 130
