"""The /medlab/api endpoints: catalog, progress, open, reset, auth and path confinement."""

from __future__ import annotations

import json

import pytest
from tornado.httpclient import AsyncHTTPClient, HTTPClientError

from medlab.course import ProgressStore


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
    assert first["exercises"] == [{"id": "00.hounsfield", "title": "00.hounsfield",
                                   "passed": True}]
    assert (second["passed"], second["total"], second["exists"]) == (0, 2, False)
    assert data["next"] == "01_images"


def test_progress_endpoint_reflects_the_store(jp_fetch, jp_asyncio_loop, tmp_path):
    assert _json(_run(jp_asyncio_loop, jp_fetch("medlab", "api", "progress"))) == {"passed": {}}
    ProgressStore(tmp_path / "progress").record_pass("01.window")
    passed = _json(_run(jp_asyncio_loop, jp_fetch("medlab", "api", "progress")))["passed"]
    assert list(passed) == ["01.window"]


def test_open_creates_a_fresh_copy_once(jp_fetch, jp_asyncio_loop, jp_root_dir):
    reply = _json(_run(jp_asyncio_loop, jp_fetch(
        "medlab", "api", "lessons", "00_welcome", "open", method="POST", body="")))
    assert reply == {"path": "00_welcome.ipynb", "created": True}
    copy = jp_root_dir / "00_welcome.ipynb"
    assert json.loads(copy.read_text())["metadata"]["medlab"]["variant"] == "learner"
    copy.write_text("edited")
    reply = _json(_run(jp_asyncio_loop, jp_fetch(
        "medlab", "api", "lessons", "00_welcome", "open", method="POST", body="")))
    assert reply["created"] is False and copy.read_text() == "edited"


def test_reset_backs_up_then_restores(jp_fetch, jp_asyncio_loop, jp_root_dir):
    _run(jp_asyncio_loop, jp_fetch("medlab", "api", "lessons", "01_images", "open",
                                   method="POST", body=""))
    fresh = (jp_root_dir / "01_images.ipynb").read_text()
    (jp_root_dir / "01_images.ipynb").write_text("learner work")
    reply = _json(_run(jp_asyncio_loop, jp_fetch(
        "medlab", "api", "lessons", "01_images", "reset", method="POST", body="")))
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
        _run(jp_asyncio_loop, jp_fetch("medlab", "api", "lessons", "07_missing", "open",
                                       method="POST", body=""))
    assert "'07_missing' is not in the catalog" in json.loads(info.value.response.body)["message"]


def test_symlink_escape_is_refused(jp_fetch, jp_asyncio_loop, jp_root_dir, tmp_path):
    outside = tmp_path / "outside.ipynb"
    outside.write_text("keep me")
    (jp_root_dir / "00_welcome.ipynb").symlink_to(outside)
    for action in ("reset", "open"):
        with pytest.raises(HTTPClientError) as info:
            _run(jp_asyncio_loop, jp_fetch("medlab", "api", "lessons", "00_welcome", action,
                                           method="POST", body=""))
        assert info.value.code == 403
    assert outside.read_text() == "keep me"
    assert not (jp_root_dir / "backups").exists()


@pytest.mark.parametrize(("method", "path"), [
    ("GET", "catalog"), ("GET", "progress"), ("POST", "lessons/00_welcome/reset")])
def test_unauthenticated_requests_are_refused(jp_fetch, jp_asyncio_loop, jp_root_dir,
                                              method, path):
    kwargs = {"body": ""} if method == "POST" else {}
    with pytest.raises(HTTPClientError) as info:
        _run(jp_asyncio_loop, jp_fetch("medlab", "api", *path.split("/"), method=method,
                                       headers={"Authorization": ""}, **kwargs))
    assert info.value.code == 403
    assert not (jp_root_dir / "00_welcome.ipynb").exists()



def _login_cookie(jp_fetch, jp_asyncio_loop, jp_serverapp) -> str:
    """Log in the way a browser does (token in the URL once) and return the login cookie."""
    token = jp_serverapp.identity_provider.token
    response = _run(jp_asyncio_loop, jp_fetch("api", "status", params={"token": token},
                                              headers={"Authorization": ""}))
    cookies = [c.split(";", 1)[0] for c in response.headers.get_list("Set-Cookie")]
    login = [c for c in cookies if c.startswith("username-")]
    assert login, f"no login cookie set: {cookies}"
    return login[0]


def test_cookie_authenticated_post_without_xsrf_token_is_refused(
    jp_fetch, jp_asyncio_loop, jp_serverapp, jp_root_dir
):
    cookie = _login_cookie(jp_fetch, jp_asyncio_loop, jp_serverapp)
    # the cookie alone authenticates a GET ...
    catalog = _json(_run(jp_asyncio_loop, jp_fetch("medlab", "api", "catalog",
                                                   headers={"Authorization": "", "Cookie": cookie})))
    assert catalog["lessons"]
    # ... but a state-changing POST from a cookie-authenticated page needs the XSRF token
    with pytest.raises(HTTPClientError) as info:
        _run(jp_asyncio_loop, jp_fetch("medlab", "api", "lessons", "00_welcome", "open",
                                       method="POST", body="",
                                       headers={"Authorization": "", "Cookie": cookie}))
    assert info.value.code == 403
    assert not (jp_root_dir / "00_welcome.ipynb").exists()
    # with the double-submitted token (cookie and header agree) the same request works
    reply = _run(jp_asyncio_loop, jp_fetch(
        "medlab", "api", "lessons", "00_welcome", "open", method="POST", body="",
        headers={"Authorization": "", "Cookie": f"{cookie}; _xsrf=medlabtest",
                 "X-XSRFToken": "medlabtest"}))
    assert reply.code == 200
    assert (jp_root_dir / "00_welcome.ipynb").exists()


def test_broken_lesson_metadata_is_a_500_that_names_the_file(jp_fetch, jp_asyncio_loop,
                                                             medlab_lessons):
    (medlab_lessons / "02_broken.ipynb").write_text("{}", encoding="utf-8")
    with pytest.raises(HTTPClientError) as info:
        _run(jp_asyncio_loop, jp_fetch("medlab", "api", "catalog"))
    assert info.value.code == 500
    reply = json.loads(info.value.response.body)
    assert reply["message"].startswith("The lesson catalog cannot be built: ")
    assert "02_broken.ipynb" in reply["message"]


def test_missing_lessons_folder_is_a_500_with_a_message(jp_fetch, jp_asyncio_loop, tmp_path,
                                                        monkeypatch):
    monkeypatch.setenv("MEDLAB_LESSONS_DIR", str(tmp_path / "nowhere"))
    for parts, method in ((("catalog",), "GET"), (("lessons", "00_welcome", "open"), "POST")):
        kwargs = {"body": ""} if method == "POST" else {}
        with pytest.raises(HTTPClientError) as info:
            _run(jp_asyncio_loop, jp_fetch("medlab", "api", *parts, method=method, **kwargs))
        assert info.value.code == 500
        assert "nowhere" in json.loads(info.value.response.body)["message"]


@pytest.mark.parametrize(("method", "path"), [
    ("POST", "catalog"), ("POST", "progress"), ("GET", "lessons/00_welcome/open"),
    ("GET", "lessons/00_welcome/reset")])
def test_each_route_answers_only_its_own_verb(jp_fetch, jp_asyncio_loop, method, path):
    kwargs = {"body": ""} if method == "POST" else {}
    with pytest.raises(HTTPClientError) as info:
        _run(jp_asyncio_loop, jp_fetch("medlab", "api", *path.split("/"), method=method,
                                       **kwargs))
    assert info.value.code == 405


class TestUnderAJupyterHubStyleBaseUrl:
    @pytest.fixture
    def jp_base_url(self):
        return "/user/learner/"

    def test_routes_are_served_under_the_base_url_only(self, jp_fetch, jp_asyncio_loop,
                                                       jp_http_port, jp_auth_header):
        catalog = _json(_run(jp_asyncio_loop, jp_fetch("medlab", "api", "catalog")))
        assert catalog["next"] == "00_welcome"
        reply = _json(_run(jp_asyncio_loop, jp_fetch(
            "medlab", "api", "lessons", "00_welcome", "open", method="POST", body="")))
        assert reply["created"] is True
        outside = f"http://localhost:{jp_http_port}/medlab/api/catalog"
        with pytest.raises(HTTPClientError) as info:
            _run(jp_asyncio_loop, AsyncHTTPClient().fetch(outside, headers=jp_auth_header))
        assert info.value.code == 404
