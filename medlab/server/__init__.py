"""MedLab's Jupyter server extension: REST endpoints for the course side panel.

Routes (under the server's ``base_url``), all behind Jupyter's authentication, its
authorization (resource ``"medlab"``; open and reset also need ``write`` on
``"contents"``) and, for POST, its XSRF check:

``GET  /medlab/api/catalog``               lessons with per-lesson progress and the next lesson
``GET  /medlab/api/progress``              ``{"passed": {exercise_id: first pass time}}``
``POST /medlab/api/lessons/<id>/open``     make sure the learner's copy exists; its path
``POST /medlab/api/lessons/<id>/reset``    back up the learner's copy, write a fresh one

Errors reply ``{"message": ...}`` (Jupyter's ``APIHandler`` format) with 400 for a
lesson id that is not ``NN_topic``, 403 for a path leading outside the workspace or a
user not authorized, 404 for a lesson not in the catalog, 409 when something is in the
way (a folder or a link where the notebook goes, an unusable lock file), 503 when
another process holds the workspace lock too long and 500 when the lessons cannot be
read. The catalog reply carries ``"progress_problem"`` when the progress file cannot
be used as it is. File work runs off the event loop (see :mod:`medlab.server.handlers`).

The workspace is the server's ``root_dir``; the source lessons come from
``medlab.config.lessons_dir`` (``MEDLAB_LESSONS_DIR``, default the bundled lessons),
progress from ``medlab.config.progress_dir``. Enabled by
``jupyter-config/jupyter_server_config.d/medlab.json``, installed with the wheel.
"""

from __future__ import annotations

from typing import Any

__all__ = ["_jupyter_server_extension_points", "_load_jupyter_server_extension"]


def _jupyter_server_extension_points() -> list[dict[str, Any]]:
    return [{"module": "medlab.server"}]


def _load_jupyter_server_extension(server_app: Any) -> None:
    """Register MedLab's handlers with the running Jupyter server."""
    from medlab.server.handlers import remove_stale_temporaries, setup_handlers

    setup_handlers(server_app)
    remove_stale_temporaries(server_app)
    server_app.log.info("MedLab server extension loaded (workspace %s)", server_app.root_dir)
