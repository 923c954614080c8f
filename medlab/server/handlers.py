"""Tornado handlers of the MedLab server extension: one small ``APIHandler`` per route.

Errors are raised as :class:`tornado.web.HTTPError` with the message as ``log_message``;
Jupyter's ``APIHandler.write_error`` turns them into the JSON reply
``{"message": ..., "reason": ...}`` whose ``message`` the side panel shows.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import tornado.web
from jupyter_server.base.handlers import APIHandler
from jupyter_server.utils import url_path_join

from medlab.course.catalog import LESSON_ID, LessonMetadataError
from medlab.course.progress import default_store
from medlab.course.status import course_status
from medlab.course.workspace import PathOutsideWorkspaceError, UnknownLessonError, Workspace

__all__ = [
    "CatalogHandler",
    "OpenLessonHandler",
    "ProgressHandler",
    "ResetLessonHandler",
    "setup_handlers",
]

_SETTINGS_KEY = "medlab_workspace_root"


@contextlib.contextmanager
def _http_errors(failure: str) -> Iterator[None]:
    """Turn the course runtime's typed errors into HTTP errors that keep their message.

    An unknown lesson is 404, a path leading outside the workspace 403, broken or
    missing lessons 500 (the message then starts with ``failure``).
    """
    try:
        yield
    except UnknownLessonError as exc:
        raise tornado.web.HTTPError(404, str(exc)) from exc
    except PathOutsideWorkspaceError as exc:
        raise tornado.web.HTTPError(403, str(exc)) from exc
    except (LessonMetadataError, FileNotFoundError) as exc:
        raise tornado.web.HTTPError(500, f"{failure}: {exc}") from exc


class _MedlabHandler(APIHandler):
    """The learner's workspace (the server's ``root_dir``) and lesson id validation."""

    def workspace(self) -> Workspace:
        """The workspace; its source lessons come from ``medlab.config.lessons_dir``."""
        return Workspace(self.settings[_SETTINGS_KEY])

    @staticmethod
    def valid_lesson_id(lesson_id: str) -> str:
        """``lesson_id`` if it looks like ``NN_topic``; else a 400 error."""
        if not LESSON_ID.match(lesson_id):
            raise tornado.web.HTTPError(
                400, f"Lesson id {lesson_id!r} is not valid: expected 'NN_topic'"
            )
        return lesson_id


class CatalogHandler(_MedlabHandler):
    """``GET /medlab/api/catalog``: the lessons with progress and the next lesson."""

    @tornado.web.authenticated
    def get(self) -> None:
        with _http_errors("The lesson catalog cannot be built"):
            status = course_status(self.workspace(), default_store())
        self.finish(json.dumps(status))


class ProgressHandler(_MedlabHandler):
    """``GET /medlab/api/progress``: ``{"passed": {exercise id: first pass time}}``."""

    @tornado.web.authenticated
    def get(self) -> None:
        self.finish(json.dumps({"passed": default_store().passed()}))


class OpenLessonHandler(_MedlabHandler):
    """``POST /medlab/api/lessons/<id>/open``: make sure the learner's copy exists."""

    @tornado.web.authenticated
    def post(self, lesson_id: str) -> None:
        lesson_id = self.valid_lesson_id(lesson_id)
        with _http_errors(f"Lesson {lesson_id!r} cannot be opened"):
            path, created = self.workspace().ensure(lesson_id)
        self.finish(json.dumps({"path": path, "created": created}))


class ResetLessonHandler(_MedlabHandler):
    """``POST /medlab/api/lessons/<id>/reset``: back up the learner's copy, write a fresh one."""

    @tornado.web.authenticated
    def post(self, lesson_id: str) -> None:
        lesson_id = self.valid_lesson_id(lesson_id)
        with _http_errors(f"Lesson {lesson_id!r} cannot be reset"):
            path, backup = self.workspace().reset(lesson_id)
        self.finish(json.dumps({"path": path, "backup": backup}))


def setup_handlers(server_app: Any) -> None:
    """Add MedLab's routes to ``server_app``'s web application, under its ``base_url``."""
    web_app = server_app.web_app
    web_app.settings[_SETTINGS_KEY] = str(Path(server_app.root_dir).expanduser())
    api = url_path_join(web_app.settings["base_url"], "medlab", "api")
    lesson = url_path_join(api, "lessons", r"([^/]+)")
    web_app.add_handlers(
        ".*$",
        [
            (url_path_join(api, "catalog"), CatalogHandler),
            (url_path_join(api, "progress"), ProgressHandler),
            (url_path_join(lesson, "open"), OpenLessonHandler),
            (url_path_join(lesson, "reset"), ResetLessonHandler),
        ],
    )
