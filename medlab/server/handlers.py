"""Tornado handlers of the MedLab server extension: one small ``APIHandler`` per route.

Every verb is behind Jupyter's authentication (``@tornado.web.authenticated``) and its
authorization (``@authorized``) on the resource ``"medlab"``; the routes that write
lesson notebooks into the workspace (open, reset) also need ``write`` on
``"contents"``, as saving a notebook does. A read-only authorizer (JupyterHub's read
access to a shared server) can thus look but not reset.

The file work runs in a small thread pool, never on the event loop, so a lock held by
another process (a kernel on a slow network home) delays only the MedLab request that
needs it, never the rest of the Jupyter server; reading progress takes no lock at all.

Errors are raised as :class:`tornado.web.HTTPError` with the message as ``log_message``;
Jupyter's ``APIHandler.write_error`` turns them into the JSON reply
``{"message": ..., "reason": ...}`` whose ``message`` the side panel shows.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import tornado.web
from jupyter_server.auth.decorator import authorized
from jupyter_server.base.handlers import APIHandler
from jupyter_server.utils import url_path_join

from medlab._files import LockFileError, LockTimeoutError
from medlab.course.catalog import LESSON_ID, LessonMetadataError, quoted
from medlab.course.progress import ProgressStore, progress_dir
from medlab.course.status import course_status
from medlab.course.workspace import (
    PathOutsideWorkspaceError,
    UnknownLessonError,
    Workspace,
    WorkspaceConflictError,
)

__all__ = [
    "AUTH_RESOURCE",
    "CatalogHandler",
    "OpenLessonHandler",
    "ProgressHandler",
    "ResetLessonHandler",
    "setup_handlers",
]

#: The resource Jupyter's authorizer is asked about for every MedLab route.
AUTH_RESOURCE = "medlab"
#: Seconds a request waits for a lock held by another process before answering 503.
LOCK_TIMEOUT_S = 5.0

_SETTINGS_KEY = "medlab_workspace_root"
# MedLab's own threads: requests waiting for a lock never take the server's threads.
_EXECUTOR = ThreadPoolExecutor(max_workers=4, thread_name_prefix="medlab-api")
T = TypeVar("T")


@contextlib.contextmanager
def _http_errors(failure: str) -> Iterator[None]:
    """Turn the course runtime's typed errors into HTTP errors that keep their message.

    An unknown lesson is 404, a path leading outside the workspace 403, something in
    the way of a write (a folder or a link where a notebook goes, an unusable lock
    file) 409, a lock still held by another process 503, broken or missing lessons and
    any other file error 500 (the message then starts with ``failure``).
    """
    try:
        yield
    except UnknownLessonError as exc:
        raise tornado.web.HTTPError(404, str(exc)) from exc
    except PathOutsideWorkspaceError as exc:
        raise tornado.web.HTTPError(403, str(exc)) from exc
    except (WorkspaceConflictError, LockFileError) as exc:
        raise tornado.web.HTTPError(409, f"{failure}: {exc}") from exc
    except LockTimeoutError as exc:
        raise tornado.web.HTTPError(503, f"{failure}: {exc}") from exc
    except (LessonMetadataError, OSError) as exc:  # missing lessons, a read-only disk ...
        raise tornado.web.HTTPError(500, f"{failure}: {exc}") from exc


class _MedlabHandler(APIHandler):
    """The learner's workspace (the server's ``root_dir``) and lesson id validation."""

    auth_resource = AUTH_RESOURCE

    def workspace(self) -> Workspace:
        """The workspace; its source lessons come from ``medlab.config.lessons_dir``."""
        return Workspace(self.settings[_SETTINGS_KEY], lock_timeout_s=LOCK_TIMEOUT_S)

    @staticmethod
    def store() -> ProgressStore:
        """The learner's progress (``medlab.config.progress_dir``, read on every call)."""
        return ProgressStore(progress_dir(), lock_timeout_s=LOCK_TIMEOUT_S)

    @staticmethod
    async def off_loop(function: Callable[..., T], *args: Any) -> T:
        """``function(*args)`` in MedLab's thread pool, not on the event loop."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(_EXECUTOR, functools.partial(function, *args))

    @staticmethod
    def valid_lesson_id(lesson_id: str) -> str:
        """``lesson_id`` if it looks like ``NN_topic``; else a 400 error."""
        if not LESSON_ID.match(lesson_id):
            raise tornado.web.HTTPError(
                400, f"Lesson id {quoted(lesson_id)} is not valid: expected 'NN_topic'"
            )
        return lesson_id


def _catalog(workspace: Workspace, store: ProgressStore) -> dict[str, Any]:
    state = store.read()
    status = course_status(workspace, store)
    problem = store.problem_message(state)
    if problem:
        status["progress_problem"] = problem
    return status


class CatalogHandler(_MedlabHandler):
    """``GET /medlab/api/catalog``: the lessons with progress and the next lesson.

    When the progress file cannot be used as it is, the reply also has
    ``"progress_problem"``: a sentence the panel shows.
    """

    @tornado.web.authenticated
    @authorized
    async def get(self) -> None:
        """Reply with :func:`~medlab.course.status.course_status` as JSON.

        Raises
        ------
        tornado.web.HTTPError
            With the course runtime's message: 500 if a lesson is missing or its metadata
            is broken, or the files cannot be read.
        """
        with _http_errors("The lesson catalog cannot be built"):
            status = await self.off_loop(_catalog, self.workspace(), self.store())
        self.finish(json.dumps(status))


class ProgressHandler(_MedlabHandler):
    """``GET /medlab/api/progress``: ``{"passed": {exercise id: first pass time}}``."""

    @tornado.web.authenticated
    @authorized
    async def get(self) -> None:
        """Reply with the exercises passed and when each first passed (UTC, ISO 8601)."""
        passed = await self.off_loop(self.store().passed)
        self.finish(json.dumps({"passed": passed}))


class OpenLessonHandler(_MedlabHandler):
    """``POST /medlab/api/lessons/<id>/open``: make sure the learner's copy exists."""

    @tornado.web.authenticated
    @authorized(resource="contents")
    @authorized
    async def post(self, lesson_id: str) -> None:
        """Copy the lesson into the workspace unless the learner's copy is there.

        Parameters
        ----------
        lesson_id : str
            The lesson, ``NN_topic`` (from the URL).

        Raises
        ------
        tornado.web.HTTPError
            400 for an id that is not ``NN_topic``, 404 for an unknown lesson, 403 for a
            link leading outside the workspace, 409 when something is in the way of the
            copy, 503 when another process holds the workspace lock, 500 for a broken
            lesson or a file error.

        Notes
        -----
        The reply is ``{"path": workspace-relative path, "created": bool}``.
        """
        lesson_id = self.valid_lesson_id(lesson_id)
        with _http_errors(f"Lesson {lesson_id!r} cannot be opened"):
            path, created = await self.off_loop(self.workspace().ensure, lesson_id)
        self.finish(json.dumps({"path": path, "created": created}))


class ResetLessonHandler(_MedlabHandler):
    """``POST /medlab/api/lessons/<id>/reset``: back up the learner's copy, write a fresh one."""

    @tornado.web.authenticated
    @authorized(resource="contents")
    @authorized
    async def post(self, lesson_id: str) -> None:
        """Back up the learner's copy of the lesson and write a fresh one in its place.

        Parameters
        ----------
        lesson_id : str
            The lesson, ``NN_topic`` (from the URL).

        Raises
        ------
        tornado.web.HTTPError
            As :meth:`OpenLessonHandler.post`.

        Notes
        -----
        The reply is ``{"path": ..., "backup": ...}``, workspace-relative paths;
        ``backup`` is null when there was no copy.
        """
        lesson_id = self.valid_lesson_id(lesson_id)
        with _http_errors(f"Lesson {lesson_id!r} cannot be reset"):
            path, backup = await self.off_loop(self.workspace().reset, lesson_id)
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


def remove_stale_temporaries(server_app: Any) -> None:
    """At server start: remove temporary files a killed MedLab writer left behind.

    In the workspace (the server's ``root_dir``) and the progress folder; each only if
    its lock is free right now. Never fails the server start.
    """
    removed = []
    for owner in (Workspace(Path(server_app.root_dir).expanduser()), ProgressStore(progress_dir())):
        try:
            removed += owner.remove_stale_temporaries()
        except Exception as exc:  # cleaning up must never stop the server
            server_app.log.warning("MedLab: could not clean temporary files: %s", exc)
    if removed:
        server_app.log.info(
            "MedLab removed %d temporary files left by a stopped writer: %s",
            len(removed),
            ", ".join(str(p) for p in removed),
        )
