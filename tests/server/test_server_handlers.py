"""The /medlab/api endpoints: catalog, progress, open, reset, auth and path confinement."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time

import pytest
from jupyter_server.auth.authorizer import Authorizer
from tornado.httpclient import AsyncHTTPClient, HTTPClientError

from medlab.course import ProgressStore
from medlab.server import handlers


def _run(loop, coro):
    return loop.run_until_complete(coro)


def _json(response):
    return json.loads(response.body.decode())


def test_catalog_lists_lessons_with_progress_and_next(jp_fetch, jp_asyncio_loop, tmp_path):
    ProgressStore(tmp_path / "progress").record_pass("00.hounsfield")
    data = _json(_run(jp_asyncio_loop, jp_fetch("medlab", "api", "catalog")))
    assert [lesson["id"] for lesson in data["lessons"]] == ["00_welcome", "01_images"]
    first, second = data["lessons"]
    assert (first["passed"], first["total"], first["minutes"]) == (1, 1, 5)
    assert first["exercises"] == [{"id": "00.hounsfield", "title": "00.hounsfield", "passed": True}]
    assert (second["passed"], second["total"], second["exists"]) == (0, 2, False)
    assert data["next"] == "01_images"


def test_progress_endpoint_reflects_the_store(jp_fetch, jp_asyncio_loop, tmp_path):
    assert _json(_run(jp_asyncio_loop, jp_fetch("medlab", "api", "progress"))) == {"passed": {}}
    ProgressStore(tmp_path / "progress").record_pass("01.window")
    passed = _json(_run(jp_asyncio_loop, jp_fetch("medlab", "api", "progress")))["passed"]
    assert list(passed) == ["01.window"]


def test_open_creates_a_fresh_copy_once(jp_fetch, jp_asyncio_loop, jp_root_dir):
    reply = _json(
        _run(
            jp_asyncio_loop,
            jp_fetch("medlab", "api", "lessons", "00_welcome", "open", method="POST", body=""),
        )
    )
    assert reply == {"path": "00_welcome.ipynb", "created": True}
    copy = jp_root_dir / "00_welcome.ipynb"
    assert json.loads(copy.read_text())["metadata"]["medlab"]["variant"] == "learner"
    copy.write_text("edited")
    reply = _json(
        _run(
            jp_asyncio_loop,
            jp_fetch("medlab", "api", "lessons", "00_welcome", "open", method="POST", body=""),
        )
    )
    assert reply["created"] is False and copy.read_text() == "edited"


def test_reset_backs_up_then_restores(jp_fetch, jp_asyncio_loop, jp_root_dir):
    _run(
        jp_asyncio_loop,
        jp_fetch("medlab", "api", "lessons", "01_images", "open", method="POST", body=""),
    )
    fresh = (jp_root_dir / "01_images.ipynb").read_text()
    (jp_root_dir / "01_images.ipynb").write_text("learner work")
    reply = _json(
        _run(
            jp_asyncio_loop,
            jp_fetch("medlab", "api", "lessons", "01_images", "reset", method="POST", body=""),
        )
    )
    assert reply["path"] == "01_images.ipynb"
    assert (jp_root_dir / reply["backup"]).read_text() == "learner work"
    assert (jp_root_dir / "01_images.ipynb").read_text() == fresh


@pytest.mark.parametrize(
    ("parts", "code"),
    [
        (("lessons", "..%2F..%2Fetc", "reset"), 400),
        (("lessons", "%2Fetc%2Fpasswd", "open"), 400),
        (("lessons", "..", "open"), 400),
        (("lessons", "07_missing", "open"), 404),
        (("lessons", "00_welcome", "delete"), 404),
    ],
)
def test_bad_lesson_requests_get_4xx(jp_fetch, jp_asyncio_loop, parts, code):
    with pytest.raises(HTTPClientError) as info:
        _run(jp_asyncio_loop, jp_fetch("medlab", "api", *parts, method="POST", body=""))
    assert info.value.code == code


def test_error_replies_carry_a_message(jp_fetch, jp_asyncio_loop):
    with pytest.raises(HTTPClientError) as info:
        _run(
            jp_asyncio_loop,
            jp_fetch("medlab", "api", "lessons", "07_missing", "open", method="POST", body=""),
        )
    assert "'07_missing' is not in the catalog" in json.loads(info.value.response.body)["message"]


def test_symlink_escape_is_refused(jp_fetch, jp_asyncio_loop, jp_root_dir, tmp_path):
    outside = tmp_path / "outside.ipynb"
    outside.write_text("keep me")
    (jp_root_dir / "00_welcome.ipynb").symlink_to(outside)
    for action in ("reset", "open"):
        with pytest.raises(HTTPClientError) as info:
            _run(
                jp_asyncio_loop,
                jp_fetch("medlab", "api", "lessons", "00_welcome", action, method="POST", body=""),
            )
        assert info.value.code == 403
    assert outside.read_text() == "keep me"
    assert not (jp_root_dir / "backups").exists()


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "catalog"), ("GET", "progress"), ("POST", "lessons/00_welcome/reset")],
)
def test_unauthenticated_requests_are_refused(jp_fetch, jp_asyncio_loop, jp_root_dir, method, path):
    kwargs = {"body": ""} if method == "POST" else {}
    with pytest.raises(HTTPClientError) as info:
        _run(
            jp_asyncio_loop,
            jp_fetch(
                "medlab",
                "api",
                *path.split("/"),
                method=method,
                headers={"Authorization": ""},
                **kwargs,
            ),
        )
    assert info.value.code == 403
    assert not (jp_root_dir / "00_welcome.ipynb").exists()


def _login_cookie(jp_fetch, jp_asyncio_loop, jp_serverapp) -> str:
    """Log in the way a browser does (token in the URL once) and return the login cookie."""
    token = jp_serverapp.identity_provider.token
    response = _run(
        jp_asyncio_loop,
        jp_fetch("api", "status", params={"token": token}, headers={"Authorization": ""}),
    )
    cookies = [c.split(";", 1)[0] for c in response.headers.get_list("Set-Cookie")]
    login = [c for c in cookies if c.startswith("username-")]
    assert login, f"no login cookie set: {cookies}"
    return login[0]


def test_cookie_authenticated_post_without_xsrf_token_is_refused(
    jp_fetch, jp_asyncio_loop, jp_serverapp, jp_root_dir
):
    cookie = _login_cookie(jp_fetch, jp_asyncio_loop, jp_serverapp)
    # the cookie alone authenticates a GET ...
    catalog = _json(
        _run(
            jp_asyncio_loop,
            jp_fetch("medlab", "api", "catalog", headers={"Authorization": "", "Cookie": cookie}),
        )
    )
    assert catalog["lessons"]
    # ... but a state-changing POST from a cookie-authenticated page needs the XSRF token
    with pytest.raises(HTTPClientError) as info:
        _run(
            jp_asyncio_loop,
            jp_fetch(
                "medlab",
                "api",
                "lessons",
                "00_welcome",
                "open",
                method="POST",
                body="",
                headers={"Authorization": "", "Cookie": cookie},
            ),
        )
    assert info.value.code == 403
    assert not (jp_root_dir / "00_welcome.ipynb").exists()
    # with the double-submitted token (cookie and header agree) the same request works
    reply = _run(
        jp_asyncio_loop,
        jp_fetch(
            "medlab",
            "api",
            "lessons",
            "00_welcome",
            "open",
            method="POST",
            body="",
            headers={
                "Authorization": "",
                "Cookie": f"{cookie}; _xsrf=medlabtest",
                "X-XSRFToken": "medlabtest",
            },
        ),
    )
    assert reply.code == 200
    assert (jp_root_dir / "00_welcome.ipynb").exists()


def test_broken_lesson_metadata_is_a_500_that_names_the_file(
    jp_fetch, jp_asyncio_loop, medlab_lessons
):
    (medlab_lessons / "02_broken.ipynb").write_text("{}", encoding="utf-8")
    with pytest.raises(HTTPClientError) as info:
        _run(jp_asyncio_loop, jp_fetch("medlab", "api", "catalog"))
    assert info.value.code == 500
    reply = json.loads(info.value.response.body)
    assert reply["message"].startswith("The lesson catalog cannot be built: ")
    assert "02_broken.ipynb" in reply["message"]


def test_missing_lessons_folder_is_a_500_with_a_message(
    jp_fetch, jp_asyncio_loop, tmp_path, monkeypatch
):
    monkeypatch.setenv("MEDLAB_LESSONS_DIR", str(tmp_path / "nowhere"))
    for parts, method in ((("catalog",), "GET"), (("lessons", "00_welcome", "open"), "POST")):
        kwargs = {"body": ""} if method == "POST" else {}
        with pytest.raises(HTTPClientError) as info:
            _run(jp_asyncio_loop, jp_fetch("medlab", "api", *parts, method=method, **kwargs))
        assert info.value.code == 500
        assert "nowhere" in json.loads(info.value.response.body)["message"]


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "catalog"),
        ("POST", "progress"),
        ("GET", "lessons/00_welcome/open"),
        ("GET", "lessons/00_welcome/reset"),
    ],
)
def test_each_route_answers_only_its_own_verb(jp_fetch, jp_asyncio_loop, method, path):
    kwargs = {"body": ""} if method == "POST" else {}
    with pytest.raises(HTTPClientError) as info:
        _run(jp_asyncio_loop, jp_fetch("medlab", "api", *path.split("/"), method=method, **kwargs))
    assert info.value.code == 405


class TestUnderAJupyterHubStyleBaseUrl:
    @pytest.fixture
    def jp_base_url(self):
        return "/user/learner/"

    def test_routes_are_served_under_the_base_url_only(
        self, jp_fetch, jp_asyncio_loop, jp_http_port, jp_auth_header
    ):
        catalog = _json(_run(jp_asyncio_loop, jp_fetch("medlab", "api", "catalog")))
        assert catalog["next"] == "00_welcome"
        reply = _json(
            _run(
                jp_asyncio_loop,
                jp_fetch("medlab", "api", "lessons", "00_welcome", "open", method="POST", body=""),
            )
        )
        assert reply["created"] is True
        outside = f"http://localhost:{jp_http_port}/medlab/api/catalog"
        with pytest.raises(HTTPClientError) as info:
            _run(jp_asyncio_loop, AsyncHTTPClient().fetch(outside, headers=jp_auth_header))
        assert info.value.code == 404


# -- issue 13: hardening ----------------------------------------------------------------

HOLD_LOCKS = (
    "import fcntl, sys, time\n"
    "handles = [open(p, 'a+b') for p in sys.argv[1:]]\n"
    "for h in handles:\n"
    "    fcntl.flock(h.fileno(), fcntl.LOCK_EX)\n"
    "print('locked', flush=True)\n"
    "time.sleep(60)\n"
)


@pytest.fixture
def hold_locks():
    """Hold exclusive locks on files from another process until the test ends."""
    holders = []

    def hold(*paths):
        for path in paths:
            path.parent.mkdir(parents=True, exist_ok=True)
        proc = subprocess.Popen(
            [sys.executable, "-c", HOLD_LOCKS, *map(str, paths)], stdout=subprocess.PIPE, text=True
        )
        holders.append(proc)
        assert proc.stdout.readline().strip() == "locked"

    yield hold
    for proc in holders:
        proc.kill()
        proc.wait(10)


def test_locks_held_by_another_process_never_stall_the_server(
    jp_fetch, jp_asyncio_loop, jp_root_dir, tmp_path, hold_locks, monkeypatch
):
    monkeypatch.setattr(handlers, "LOCK_TIMEOUT_S", 1.0)
    ProgressStore(tmp_path / "progress").record_pass("00.hounsfield")
    _run(
        jp_asyncio_loop,
        jp_fetch("medlab", "api", "lessons", "00_welcome", "open", method="POST", body=""),
    )
    hold_locks(tmp_path / "progress" / "progress.lock", jp_root_dir / ".medlab" / "workspace.lock")

    async def scenario():
        reset = asyncio.ensure_future(
            jp_fetch(
                "medlab",
                "api",
                "lessons",
                "00_welcome",
                "reset",
                method="POST",
                body="",
                raise_error=False,
            )
        )
        started = time.perf_counter()
        catalog = await jp_fetch("medlab", "api", "catalog")
        progress = await jp_fetch("medlab", "api", "progress")
        reads = time.perf_counter() - started
        await asyncio.sleep(0.1)  # the reset is now waiting for the workspace lock
        started = time.perf_counter()
        status = await jp_fetch("api", "status")
        status_s = time.perf_counter() - started
        return catalog, progress, reads, status, status_s, await reset

    catalog, progress, reads, status, status_s, reset = _run(jp_asyncio_loop, scenario())
    assert status.code == 200 and status_s < 0.1
    assert reads < 0.5  # reading progress takes no lock
    assert _json(catalog)["lessons"][0]["passed"] == 1
    assert list(_json(progress)["passed"]) == ["00.hounsfield"]
    assert reset.code == 503
    message = _json(reset)["message"]
    assert message.startswith("Lesson '00_welcome' cannot be reset: ")
    assert "workspace.lock" in message and "held by another process" in message
    assert not (jp_root_dir / "backups").exists()


class _ReadOnly(Authorizer):
    def is_authorized(self, handler, user, action, resource):
        return action == "read"


class _NoContentsWrite(Authorizer):
    def is_authorized(self, handler, user, action, resource):
        return not (resource == "contents" and action == "write")


class _NoMedlab(Authorizer):
    def is_authorized(self, handler, user, action, resource):
        return resource != "medlab"


class _WithAuthorizer:
    authorizer: type[Authorizer]

    @pytest.fixture
    def jp_server_config(self, medlab_lessons):
        return {
            "ServerApp": {
                "jpserver_extensions": {"medlab.server": True},
                "authorizer_class": self.authorizer,
            }
        }


class TestUnderAReadOnlyAuthorizer(_WithAuthorizer):
    authorizer = _ReadOnly

    def test_reading_is_allowed_and_writing_is_refused(
        self, jp_fetch, jp_asyncio_loop, jp_root_dir
    ):
        assert _json(_run(jp_asyncio_loop, jp_fetch("medlab", "api", "catalog")))["lessons"]
        assert _run(jp_asyncio_loop, jp_fetch("medlab", "api", "progress")).code == 200
        (jp_root_dir / "00_welcome.ipynb").write_text("shared work")
        for action in ("reset", "open"):
            with pytest.raises(HTTPClientError) as info:
                _run(
                    jp_asyncio_loop,
                    jp_fetch(
                        "medlab", "api", "lessons", "00_welcome", action, method="POST", body=""
                    ),
                )
            assert info.value.code == 403
        assert (jp_root_dir / "00_welcome.ipynb").read_text() == "shared work"
        assert not (jp_root_dir / "backups").exists()


class TestWhenContentsMayNotBeWritten(_WithAuthorizer):
    authorizer = _NoContentsWrite

    def test_open_and_reset_are_refused(self, jp_fetch, jp_asyncio_loop, jp_root_dir):
        for action in ("open", "reset"):
            with pytest.raises(HTTPClientError) as info:
                _run(
                    jp_asyncio_loop,
                    jp_fetch(
                        "medlab", "api", "lessons", "01_images", action, method="POST", body=""
                    ),
                )
            assert info.value.code == 403
            assert "contents" in json.loads(info.value.response.body)["message"]
        assert not (jp_root_dir / "01_images.ipynb").exists()


class TestWhenMedlabIsNotAuthorized(_WithAuthorizer):
    authorizer = _NoMedlab

    @pytest.mark.parametrize(
        ("method", "path"),
        [
            ("GET", "catalog"),
            ("GET", "progress"),
            ("POST", "lessons/00_welcome/open"),
            ("POST", "lessons/00_welcome/reset"),
        ],
    )
    def test_every_route_asks_the_authorizer(
        self, jp_fetch, jp_asyncio_loop, jp_root_dir, method, path
    ):
        kwargs = {"body": ""} if method == "POST" else {}
        with pytest.raises(HTTPClientError) as info:
            _run(
                jp_asyncio_loop,
                jp_fetch("medlab", "api", *path.split("/"), method=method, **kwargs),
            )
        assert info.value.code == 403
        assert "resource: medlab" in json.loads(info.value.response.body)["message"]
        assert not (jp_root_dir / "00_welcome.ipynb").exists()


def test_a_medlab_folder_link_leading_outside_is_refused(
    jp_fetch, jp_asyncio_loop, jp_root_dir, tmp_path
):
    outside = tmp_path / "outside"
    outside.mkdir()
    (jp_root_dir / ".medlab").symlink_to(outside, target_is_directory=True)
    for action in ("open", "reset"):
        with pytest.raises(HTTPClientError) as info:
            _run(
                jp_asyncio_loop,
                jp_fetch("medlab", "api", "lessons", "00_welcome", action, method="POST", body=""),
            )
        assert info.value.code == 403
        assert ".medlab" in json.loads(info.value.response.body)["message"]
    assert list(outside.iterdir()) == []
    assert not (jp_root_dir / "00_welcome.ipynb").exists()


def test_reset_through_a_link_to_another_lesson_is_a_409(jp_fetch, jp_asyncio_loop, jp_root_dir):
    (jp_root_dir / "01_images.ipynb").write_text("my lesson 01")
    (jp_root_dir / "00_welcome.ipynb").symlink_to("01_images.ipynb")
    with pytest.raises(HTTPClientError) as info:
        _run(
            jp_asyncio_loop,
            jp_fetch("medlab", "api", "lessons", "00_welcome", "reset", method="POST", body=""),
        )
    assert info.value.code == 409
    message = json.loads(info.value.response.body)["message"]
    assert message.startswith("Lesson '00_welcome' cannot be reset: '00_welcome.ipynb'")
    assert "symbolic link" in message
    assert (jp_root_dir / "01_images.ipynb").read_text() == "my lesson 01"
    assert not (jp_root_dir / "backups").exists()


def test_a_folder_at_a_lesson_path_is_a_409_and_leaves_no_backup(
    jp_fetch, jp_asyncio_loop, jp_root_dir
):
    (jp_root_dir / "00_welcome.ipynb").mkdir()
    for action in ("reset", "open"):
        with pytest.raises(HTTPClientError) as info:
            _run(
                jp_asyncio_loop,
                jp_fetch("medlab", "api", "lessons", "00_welcome", action, method="POST", body=""),
            )
        assert info.value.code == 409
        assert "is a folder" in json.loads(info.value.response.body)["message"]
    assert not (jp_root_dir / "backups").exists()
    assert list((jp_root_dir / "00_welcome.ipynb").iterdir()) == []


def test_an_unusable_progress_lock_does_not_break_reading(jp_fetch, jp_asyncio_loop, tmp_path):
    (tmp_path / "progress" / "progress.lock").mkdir(parents=True)
    assert _json(_run(jp_asyncio_loop, jp_fetch("medlab", "api", "catalog")))["lessons"]
    assert _json(_run(jp_asyncio_loop, jp_fetch("medlab", "api", "progress"))) == {"passed": {}}


def test_an_unusable_workspace_lock_is_a_409(jp_fetch, jp_asyncio_loop, jp_root_dir):
    (jp_root_dir / ".medlab" / "workspace.lock").mkdir(parents=True)
    with pytest.raises(HTTPClientError) as info:
        _run(
            jp_asyncio_loop,
            jp_fetch("medlab", "api", "lessons", "00_welcome", "open", method="POST", body=""),
        )
    assert info.value.code == 409
    assert "workspace.lock' cannot be used" in json.loads(info.value.response.body)["message"]
    assert not (jp_root_dir / "00_welcome.ipynb").exists()


def test_a_damaged_progress_file_is_reported_in_the_catalog_not_a_500(
    jp_fetch, jp_asyncio_loop, tmp_path
):
    progress = tmp_path / "progress"
    progress.mkdir()
    (progress / "progress.json").write_text("[" * 100_000)
    catalog = _json(_run(jp_asyncio_loop, jp_fetch("medlab", "api", "catalog")))
    assert [lesson["passed"] for lesson in catalog["lessons"]] == [0, 0]
    assert "nested too deeply" in catalog["progress_problem"]
    assert "progress.damaged-" in catalog["progress_problem"]
    assert _json(_run(jp_asyncio_loop, jp_fetch("medlab", "api", "progress"))) == {"passed": {}}
    ProgressStore(progress).record_pass("00.hounsfield")  # the next pass keeps a copy
    catalog = _json(_run(jp_asyncio_loop, jp_fetch("medlab", "api", "catalog")))
    assert "progress_problem" not in catalog and catalog["lessons"][0]["passed"] == 1


@pytest.mark.parametrize("lesson_id", ["\u0660\u0660_welcome", "00_welcome\n", "0" * 10_000])
def test_lesson_ids_are_ascii_without_newline_and_long_ones_are_not_echoed(
    jp_fetch, jp_asyncio_loop, jp_root_dir, lesson_id
):
    with pytest.raises(HTTPClientError) as info:
        _run(
            jp_asyncio_loop,
            jp_fetch("medlab", "api", "lessons", lesson_id, "open", method="POST", body=""),
        )
    assert info.value.code == 400
    assert len(json.loads(info.value.response.body)["message"]) < 200
    assert list(jp_root_dir.iterdir()) == []


def test_a_long_unknown_lesson_id_is_not_echoed_in_full(jp_fetch, jp_asyncio_loop):
    with pytest.raises(HTTPClientError) as info:
        _run(
            jp_asyncio_loop,
            jp_fetch(
                "medlab", "api", "lessons", "00_" + "x" * 10_000, "open", method="POST", body=""
            ),
        )
    assert info.value.code == 404
    assert len(json.loads(info.value.response.body)["message"]) < 200


class TestAtServerStart:
    @pytest.fixture
    def jp_server_config(self, medlab_lessons, jp_root_dir, tmp_path):
        (jp_root_dir / ".medlab").mkdir()
        (jp_root_dir / "backups").mkdir()
        (tmp_path / "progress").mkdir()
        self.stale = [
            jp_root_dir / ".00_welcome.ipynb.k1.tmp",
            jp_root_dir / ".medlab" / ".manifest.json.k2.tmp",
            jp_root_dir / "backups" / ".00_welcome-20261130T000000Z.ipynb.k3.tmp",
            tmp_path / "progress" / ".progress.json.k4.tmp",
        ]
        self.learners = [jp_root_dir / ".my_model.keras.tmp"]
        for path in self.stale + self.learners:
            path.write_text("half written by a killed process")
        return {"ServerApp": {"jpserver_extensions": {"medlab.server": True}}}

    def test_temporaries_left_by_a_killed_writer_are_removed(self, jp_fetch, jp_asyncio_loop):
        assert _run(jp_asyncio_loop, jp_fetch("medlab", "api", "progress")).code == 200
        assert [path.exists() for path in self.stale] == [False] * 4
        assert all(path.exists() for path in self.learners)


def test_any_other_file_error_is_a_500_that_says_what_happened(
    jp_fetch, jp_asyncio_loop, jp_root_dir, monkeypatch
):
    from medlab.course import workspace

    def disk_full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(workspace, "atomic_write", disk_full)
    with pytest.raises(HTTPClientError) as info:
        _run(
            jp_asyncio_loop,
            jp_fetch("medlab", "api", "lessons", "00_welcome", "open", method="POST", body=""),
        )
    assert info.value.code == 500
    message = json.loads(info.value.response.body)["message"]
    assert message == "Lesson '00_welcome' cannot be opened: [Errno 28] No space left on device"
    assert not (jp_root_dir / "00_welcome.ipynb").exists()
