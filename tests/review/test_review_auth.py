"""Accounts, sessions, CSRF and login rate limiting, through the app (TestClient)."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from sqlalchemy import select

from tests.review.review_helpers import CSRF, csrf_of, log_in, password_of


def _rows(db_url, model):
    from pipeline.review.store import open_db

    db = open_db(db_url)
    try:
        with db.read() as session:
            return list(session.scalars(select(model)))
    finally:
        db.dispose()


def test_login_sets_a_server_side_session_cookie(client_for, db_url) -> None:
    from pipeline.review.models import User, WebSession

    client = client_for(None)
    response = log_in(client, "rev")
    assert response.status_code == 303 and response.headers["location"] == "/queue"
    cookie = next(h for h in response.headers.get_list("set-cookie") if "hehu_session=" in h)
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/" in cookie
    token = cookie.split("hehu_session=", 1)[1].split(";", 1)[0]
    assert len(token) >= 43
    (session,) = _rows(db_url, WebSession)
    from pipeline.review.security import token_digest

    assert session.token_sha256 == token_digest(token) != token  # only the hash is stored
    users = {u.username: u for u in _rows(db_url, User)}
    assert users["rev"].password_hash.startswith("$argon2id$")
    assert password_of("rev") not in users["rev"].password_hash
    assert client.get("/queue").status_code == 200


def test_wrong_password_and_unknown_user_look_the_same(client_for) -> None:
    client = client_for(None)
    wrong = log_in(client, "rev", "not-the-password")
    unknown = log_in(client, "nobody", "not-the-password")
    assert wrong.status_code == unknown.status_code == 401
    assert "用户名或密码错误" in wrong.text and "用户名或密码错误" in unknown.text
    assert "hehu_session" not in client.cookies


def test_anonymous_pages_redirect_to_login_and_api_says_401(client_for) -> None:
    client = client_for(None)
    page = client.get("/queue?status=all", follow_redirects=False)
    assert page.status_code == 303
    assert page.headers["location"] == "/login?next=/queue%3Fstatus%3Dall"
    api = client.get("/api/issues.geojson", headers={"accept": "application/json"})
    assert api.status_code == 401


def test_tampered_or_forged_cookie_is_not_a_session(client_for) -> None:
    good = client_for("rev")
    token = good.cookies["hehu_session"]
    for forged in (token[:-1] + ("A" if token[-1] != "A" else "B"), "x" * 43, "", token + "x"):
        client = client_for(None)
        client.cookies.set("hehu_session", forged)
        assert client.get("/queue", follow_redirects=False).status_code == 303
        assert client.get("/api/issues.geojson", headers={"accept": "*/*"}).status_code == 401


def test_logout_revokes_the_session_server_side(client_for) -> None:
    client = client_for("rev")
    token = client.cookies["hehu_session"]
    response = client.post("/logout", data={"csrf_token": client.csrf}, follow_redirects=False)
    assert response.status_code == 303
    replay = client_for(None)
    replay.cookies.set("hehu_session", token)  # a copy of the cookie taken before logout
    assert replay.get("/queue", follow_redirects=False).status_code == 303


def test_logout_needs_the_csrf_token(client_for) -> None:
    client = client_for("rev")
    assert client.post("/logout", data={}).status_code == 403
    assert client.get("/queue", follow_redirects=False).status_code == 200  # still logged in


def test_expired_session_is_refused(client_for, db_url) -> None:
    from sqlalchemy import update

    from pipeline.review.models import WebSession
    from pipeline.review.store import open_db

    client = client_for("rev")
    db = open_db(db_url)
    with db.write() as session:
        past = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
        session.execute(update(WebSession).values(expires_at_utc=past))
    db.dispose()
    assert client.get("/queue", follow_redirects=False).status_code == 303


@pytest.mark.parametrize(
    ("header", "field", "expected"),
    [
        (None, None, 403),  # missing
        ("forged-token", None, 403),  # forged header
        (None, "forged-token", 403),  # forged form field
        ("session", None, 200),  # the session's own token
        (None, "session", 200),
    ],
)
def test_csrf_token_is_required_on_state_changes(
    client_for, db_url, header, field, expected
) -> None:
    from tests.review.review_helpers import candidate_codes, issue_version

    client = client_for("rev")
    code = candidate_codes(db_url)[0]
    body = {"version": issue_version(db_url, code)}
    token = client.csrf
    headers = {"accept": "application/json"}
    if header:
        headers["x-csrf-token"] = token if header == "session" else header
    if field:  # an HTML form posts the token as a field
        response = client.post(
            f"/issues/{code}/confirm",
            data={**body, "csrf_token": token if field == "session" else field},
            headers=headers,
            follow_redirects=False,
        )
        if expected == 200:
            assert response.status_code == 303, response.text
            assert issue_version(db_url, code) == body["version"] + 1
            return
    else:
        response = client.post(f"/api/issues/{code}/confirm", json=body, headers=headers)
    assert response.status_code == expected, response.text
    after = issue_version(db_url, code)
    assert (after == body["version"]) == (expected != 200)


def test_another_sessions_csrf_token_is_refused(client_for, db_url) -> None:
    from tests.review.review_helpers import candidate_codes, issue_version

    mine, other = client_for("rev"), client_for("rev2")
    code = candidate_codes(db_url)[0]
    response = mine.post(
        f"/api/issues/{code}/confirm",
        json={"version": issue_version(db_url, code)},
        headers={"x-csrf-token": other.csrf},
    )
    assert response.status_code == 403


def test_cross_origin_post_is_refused_even_with_the_token(client_for, db_url) -> None:
    from tests.review.review_helpers import candidate_codes, issue_version

    client = client_for("rev")
    code = candidate_codes(db_url)[0]
    response = client.post(
        f"/api/issues/{code}/confirm",
        json={"version": issue_version(db_url, code)},
        headers={"x-csrf-token": client.csrf, "origin": "http://evil.example"},
    )
    assert response.status_code == 403


def test_login_form_has_its_own_csrf_check(client_for) -> None:
    client = client_for(None)
    client.get("/login")
    response = client.post(
        "/login", data={"username": "rev", "password": password_of("rev")}, follow_redirects=False
    )
    assert response.status_code == 403
    assert "hehu_session" not in client.cookies


def _timed_log_in(client, username, password=None) -> tuple[int, float, float]:
    """``(status, seconds it took, when it started)``."""
    token = CSRF.search(client.get("/login").text).group(1)
    started = time.monotonic()
    response = client.post(
        "/login",
        data={"username": username, "password": password or password_of(username),
              "csrf_token": token},
        follow_redirects=False,
    )  # fmt: skip
    return response.status_code, time.monotonic() - started, started


def test_wrong_passwords_slow_an_account_down_but_never_lock_its_owner_out(make_app) -> None:
    from fastapi.testclient import TestClient

    app = make_app(login_delay_base_s=0.3, login_delay_max_s=5)
    client = TestClient(app)
    for _ in range(5):  # free tries: answered at once
        status, took, fifth = _timed_log_in(client, "rev", "wrong-password")
        assert status == 401 and took < 0.3
    status, took, sixth = _timed_log_in(client, "rev", "wrong-password")
    assert status == 401 and sixth + took - fifth >= 0.3  # checked 0.3 s after the 5th
    status, took, owner = _timed_log_in(client, "rev")  # the owner, after the attacker's six
    assert status == 303 and owner + took - sixth >= 0.6  # the delay doubled; the owner is in
    other, took, _ = _timed_log_in(TestClient(app), "rev2")
    assert other == 303 and took < 0.3  # other accounts unaffected


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_a_flood_on_one_account_is_checked_at_its_pace(request, backend, tmp_path) -> None:
    """30 concurrent wrong passwords: 5 checked at once, then one a second; the rest refused."""
    from concurrent.futures import ThreadPoolExecutor

    from fastapi.testclient import TestClient

    from pipeline.review.app import create_app
    from pipeline.review.config import ReviewConfig
    from pipeline.review.security import make_hasher
    from pipeline.review.store import open_db

    checks: list[float] = []

    class Recording:
        inner = make_hasher("test")

        def hash(self, password):
            return self.inner.hash(password)

        def verify(self, stored, password):
            checks.append(time.monotonic())
            return self.inner.verify(stored, password)

        def check_needs_rehash(self, stored):
            return self.inner.check_needs_rehash(stored)

    db = open_db(request.getfixturevalue("pg_url" if backend == "postgresql" else "db_url"))
    config = ReviewConfig(state_dir=tmp_path / "s", login_delay_base_s=1.0, login_delay_max_s=1.0,
                          login_max_failures_ip=1000)  # fmt: skip
    app = create_app(config, db, hasher=Recording())
    clients = [TestClient(app) for _ in range(30)]
    tokens = [CSRF.search(c.get("/login").text).group(1) for c in clients]
    started = time.monotonic()

    def attempt(i: int) -> int:
        data = {"username": "rev", "password": "wrong-password", "csrf_token": tokens[i]}
        return clients[i].post("/login", data=data).status_code

    try:
        with ThreadPoolExecutor(30) as pool:
            statuses = list(pool.map(attempt, range(30)))
    finally:
        db.dispose()
    assert set(statuses) <= {401, 429}
    early = [t for t in checks if t - started < 0.9]
    assert len(early) <= 5, f"{len(early)} passwords checked in the first 0.9 s"
    assert statuses.count(401) == len(checks) <= 5 + 2  # at most one queued a second after


def test_login_is_rate_limited_per_address(make_app) -> None:
    from fastapi.testclient import TestClient

    app = make_app(login_max_failures_ip=3, login_max_failures_user=100)
    client = TestClient(app)
    for name in ("a1", "a2", "a3"):  # different names, one address
        assert log_in(client, name, "wrong-password").status_code == 401
    assert log_in(client, "rev").status_code == 429


def test_throttle_window_ends(make_app, db_url) -> None:
    from fastapi.testclient import TestClient
    from sqlalchemy import update

    from pipeline.review.models import LoginAttempt
    from pipeline.review.store import open_db

    client = TestClient(make_app(login_max_failures_ip=3))
    for _ in range(3):
        log_in(client, "rev", "wrong-password")
    blocked = log_in(client, "rev")
    assert blocked.status_code == 429 and int(blocked.headers["retry-after"]) > 0
    assert "登录失败次数过多" in blocked.text
    db = open_db(db_url)
    with db.write() as session:  # the failures age out of the 5-minute window
        old = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=6)
        session.execute(update(LoginAttempt).values(at_utc=old))
    db.dispose()
    assert log_in(client, "rev").status_code == 303


def test_success_restarts_the_account_count(client_for) -> None:
    client = client_for(None)
    for _ in range(4):
        log_in(client, "rev", "wrong-password")
    assert log_in(client, "rev").status_code == 303
    for _ in range(4):
        assert log_in(client_for(None), "rev", "wrong-password").status_code == 401


def test_disabling_an_account_ends_its_sessions(client_for) -> None:
    reviewer = client_for("rev")
    admin = client_for("admin")
    response = admin.post(
        "/users/rev/disable", data={"csrf_token": admin.csrf}, follow_redirects=False
    )
    assert response.status_code == 303
    assert reviewer.get("/queue", follow_redirects=False).status_code == 303
    assert log_in(client_for(None), "rev").status_code == 401


def test_the_last_admin_cannot_be_demoted(client_for) -> None:
    admin = client_for("admin")
    response = admin.post("/users/admin/role", data={"csrf_token": admin.csrf, "role": "viewer"})
    assert response.status_code == 400 and "last active admin" in response.text


def test_csrf_token_differs_per_session(client_for) -> None:
    assert client_for("rev").csrf != client_for("rev").csrf


def test_language_switch_sets_a_cookie(client_for) -> None:
    client = client_for("rev")
    assert "审核队列" in client.get("/queue").text
    response = client.post(
        "/lang", data={"lang": "en", "next": "/queue", "csrf_token": csrf_of(client)}
    )
    assert (
        response.status_code == 200 and "Queue" in response.text and "审核队列" not in response.text
    )
    assert client.post("/lang", data={"lang": "en", "next": "/queue"}).status_code == 403


def test_redirect_after_login_stays_on_this_site(client_for) -> None:
    client = client_for(None)
    page = client.get("/login?next=//evil.example/x")
    token = page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    response = client.post(
        "/login",
        data={"username": "rev", "password": password_of("rev"), "csrf_token": token,
              "next": "https://evil.example/"},
        follow_redirects=False,
    )  # fmt: skip
    assert response.headers["location"] == "/queue"


def _serve_options(monkeypatch, config) -> dict:
    """The uvicorn options ``hehu review`` (``server.serve``) runs the app with."""
    import uvicorn

    from pipeline.review import server

    seen: dict = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: seen.update(kw))
    server.serve(config, "sqlite://", host="127.0.0.1", port=1, app=object())
    return {k: v for k, v in seen.items() if k not in ("host", "port", "log_level")}


def _login_from(base: str, forwarded_for: str) -> int:
    import httpx

    with httpx.Client(base_url=base) as client:
        token = CSRF.search(client.get("/login").text).group(1)
        response = client.post(
            "/login",
            data={"username": "rev", "password": "wrong-password", "csrf_token": token},
            headers={"x-forwarded-for": forwarded_for},
        )
        return response.status_code


@pytest.mark.parametrize(("trusted", "expected"), [((), 429), (("127.0.0.1",), 401)])
def test_forwarded_for_counts_only_from_named_proxies(
    make_app, monkeypatch, trusted, expected
) -> None:
    """From loopback, a rotated X-Forwarded-For is ignored unless loopback is a named proxy."""
    from tests.review.live import serve

    app = make_app(login_max_failures_ip=2, trusted_proxies=trusted)
    options = _serve_options(monkeypatch, app.state.review.config)
    with serve(app, **options) as base:
        statuses = [_login_from(base, f"203.0.113.{i}") for i in range(1, 4)]
    assert statuses[:2] == [401, 401] and statuses[2] == expected


@pytest.mark.parametrize("bad", ["localhost", "10.0.0.0/33", "*"])
def test_trusted_proxies_must_be_addresses(bad) -> None:
    from pipeline.errors import ConfigError
    from pipeline.review.config import load_review_config

    with pytest.raises(ConfigError, match="trusted_proxies"):
        load_review_config(None, trusted_proxies=[bad])


@pytest.mark.parametrize("again_as", ["rev", "rev2"])
def test_logging_in_from_a_live_session_ends_it(client_for, again_as) -> None:
    client = client_for("rev")
    old = client.cookies["hehu_session"]
    assert log_in(client, again_as).status_code == 303
    assert client.cookies["hehu_session"] != old  # a new session, a new token
    replay = client_for(None)
    replay.cookies.set("hehu_session", old)  # whoever held the old cookie is out
    assert replay.get("/queue", follow_redirects=False).status_code == 303
    assert client.get("/queue", follow_redirects=False).status_code == 200


def test_a_planted_pre_login_cookie_and_token_are_refused(client_for) -> None:
    """Login CSRF: a cookie an attacker sets, and a form token equal to it, log nobody in."""
    client = client_for(None)
    client.cookies.set("hehu_pre", "attacker-chosen-value")
    response = client.post(
        "/login",
        data={"username": "rev", "password": password_of("rev"),
              "csrf_token": "attacker-chosen-value"},
        follow_redirects=False,
    )  # fmt: skip
    assert response.status_code == 403
    assert "hehu_session" not in client.cookies


def test_the_login_token_is_the_servers_answer_to_the_cookie(client_for) -> None:
    client = client_for(None)
    token = CSRF.search(client.get("/login").text).group(1)
    assert token != client.cookies["hehu_pre"]  # not a copy of the cookie
    other = client_for(None)
    other.get("/login")
    response = other.post(  # another browser's token does not fit this browser's cookie
        "/login",
        data={"username": "rev", "password": password_of("rev"), "csrf_token": token},
        follow_redirects=False,
    )
    assert response.status_code == 403
    assert log_in(client, "rev").status_code == 303


def test_login_tokens_hold_across_workers_sharing_a_state_folder(make_app) -> None:
    from fastapi.testclient import TestClient

    first, second = TestClient(make_app()), TestClient(make_app())  # same state_dir
    token = CSRF.search(first.get("/login").text).group(1)
    second.cookies.set("hehu_pre", first.cookies["hehu_pre"])
    response = second.post(
        "/login",
        data={"username": "rev", "password": password_of("rev"), "csrf_token": token},
        follow_redirects=False,
    )
    assert response.status_code == 303
