"""``medlab lab``: fill the workspace with learner copies, then start JupyterLab there."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from medlab.course.workspace import Workspace, default_workspace

__all__ = ["lab_command", "run_lab"]


def lab_command(workspace: Path, open_browser: bool, lab_args: list[str]) -> list[str]:
    """The ``jupyter lab`` command line for ``workspace`` (adds ``--allow-root`` as root)."""
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
        The folder; default ``MEDLAB_WORKSPACE`` or ``~/medlab``.
    open_browser : bool
        Whether JupyterLab opens a browser tab.
    lab_args : list of str
        Extra arguments passed to ``jupyter lab``.

    Returns
    -------
    int
        JupyterLab's exit status.
    """
    root = Path(workspace).expanduser() if workspace else default_workspace()
    report = Workspace(root).sync()
    print(f"MedLab workspace: {root}")
    for key, label in (("created", "new"), ("updated", "updated"), ("kept", "kept (yours)")):
        if report[key]:
            print(f"  {label}: {', '.join(report[key])}")
    env = dict(os.environ)
    try:
        return subprocess.call(lab_command(root, open_browser, lab_args), cwd=root, env=env)
    except KeyboardInterrupt:
        return 130
