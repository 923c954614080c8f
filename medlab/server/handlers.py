"""Tornado handlers of the MedLab server extension (one small class per route)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import tornado.web
from jupyter_server.base.handlers import APIHandler
from jupyter_server.utils import url_path_join

from medlab.course.catalog import LESSON_ID, LessonMetadataError
from medlab.course.progress import default_store
from medlab.course.workspace import PathOutsideWorkspaceError, UnknownLessonError, Workspace

__all__ = ["setup_handlers"]

_SETTINGS_KEY = "medlab_workspace_root"


class _MedlabHandler(APIHandler):
    """Shared helpers: the workspace, JSON replies, error mapping."""

    def workspace(self) -> Workspace:
        root = self.settings[_SETTINGS_KEY]
        return Workspace(root, os.environ.get("MEDLAB_LESSONS_DIR") or None)

    def reply(self, payload: Any, status: int = 200) -> None:
        self.set_status(status)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(payload))

    def fail(self, status: int, message: str) -> None:
        self.log.warning("MedLab %s %s: %s", self.request.method, self.request.path, message)
        self.reply({"message": message}, status)

    def lesson_id_ok(self, lesson_id: str) -> bool:
        if not LESSON_ID.match(lesson_id):
            self.fail(400, f"Lesson id {lesson_id!r} is not valid: expected 'NN_topic'")
            return False
        return True


def _catalog_payload(workspace: Workspace) -> dict:
    passed = default_store().passed()
    lessons = []
    next_id = None
    for lesson in workspace.catalog():
        entry = lesson.to_dict()
        for exercise in entry["exercises"]:
            exercise["passed"] = exercise["id"] in passed
        entry["passed"] = sum(e["passed"] for e in entry["exercises"])
        entry["total"] = len(entry["exercises"])
        entry["exists"] = workspace.exists(lesson)
        if next_id is None and entry["passed"] < entry["total"]:
            next_id = lesson.id
        lessons.append(entry)
    if next_id is None and lessons:
        next_id = lessons[-1]["id"]
    return {"lessons": lessons, "next": next_id}


class CatalogHandler(_MedlabHandler):
    """``GET /medlab/api/catalog``."""

    @tornado.web.authenticated
    def get(self) -> None:
        try:
            self.reply(_catalog_payload(self.workspace()))
        except (LessonMetadataError, FileNotFoundError) as exc:
            self.fail(500, f"The lesson catalog cannot be built: {exc}")


class ProgressHandler(_MedlabHandler):
    """``GET /medlab/api/progress``."""

    @tornado.web.authenticated
    def get(self) -> None:
        self.reply({"passed": default_store().passed()})


class LessonActionHandler(_MedlabHandler):
    """``POST /medlab/api/lessons/<id>/(open|reset)``."""

    @tornado.web.authenticated
    def post(self, lesson_id: str, action: str) -> None:
        if not self.lesson_id_ok(lesson_id):
            return
        workspace = self.workspace()
        try:
            if action == "open":
                path, created = workspace.ensure(lesson_id)
                self.reply({"path": path, "created": created})
            else:
                path, backup = workspace.reset(lesson_id)
                self.reply({"path": path, "backup": backup})
        except UnknownLessonError as exc:
            self.fail(404, str(exc))
        except PathOutsideWorkspaceError as exc:
            self.fail(403, str(exc))
        except LessonMetadataError as exc:
            self.fail(500, str(exc))


def setup_handlers(server_app: Any) -> None:
    """Add MedLab's routes to ``server_app``'s web application, under its base_url."""
    web_app = server_app.web_app
    web_app.settings[_SETTINGS_KEY] = str(Path(server_app.root_dir).expanduser())
    base = url_path_join(web_app.settings["base_url"], "medlab", "api")
    web_app.add_handlers(
        ".*$",
        [
            (url_path_join(base, "catalog"), CatalogHandler),
            (url_path_join(base, "progress"), ProgressHandler),
            (url_path_join(base, "lessons", r"([^/]+)", r"(open|reset)"), LessonActionHandler),
        ],
    )


