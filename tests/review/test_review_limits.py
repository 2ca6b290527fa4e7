"""Request bodies are counted as they arrive: too big is 413 before any parsing.

A body sent chunked has no Content-Length to check up front, so the limit
holds on the stream itself. Routes that take no upload (log in above all,
which anyone can reach) have a much smaller limit than the closing form's
after-photo.
"""

from __future__ import annotations

import io
import socket
import time

import pytest
from fastapi.testclient import TestClient

from tests.review.live import serve
from tests.review.review_helpers import CSRF, act, candidate_codes, csrf_of, issue_version, log_in

KIB = 1024


def chunks(total: int, size: int = 16 * KIB):
    """``total`` bytes of a form-looking body, as a generator (httpx sends it chunked)."""
    yield b"username=rev&password="
    sent = 0
    while sent < total:
        yield b"a" * size
        sent += size


def _login_token(client) -> str:
    return CSRF.search(client.get("/login").text).group(1)  # type: ignore[union-attr]


def test_a_chunked_login_body_above_the_form_limit_is_413(client_for) -> None:
    client = client_for(None)
    _login_token(client)
    response = client.post(
        "/login",
        content=chunks(200 * KIB),
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 413, response.text
    assert "hehu_session" not in client.cookies


def test_a_declared_length_above_the_limit_is_413_unread(client_for) -> None:
    client = client_for(None)
    body = b"username=rev&password=" + b"a" * (200 * KIB)
    response = client.post(
        "/login", content=body, headers={"content-type": "application/x-www-form-urlencoded"}
    )
    assert response.status_code == 413


def test_the_form_limit_is_a_setting(make_app) -> None:
    client = TestClient(make_app(form_max_bytes=4 * KIB))
    body = {"username": "rev", "password": "x" * (8 * KIB), "csrf_token": _login_token(client)}
    assert client.post("/login", data=body).status_code == 413
    body["password"] = "x" * KIB
    assert client.post("/login", data=body).status_code == 401


def test_logged_in_actions_have_the_form_limit_too(client_for, db_url) -> None:
    rev = client_for("rev")
    code = candidate_codes(db_url)[0]
    version = issue_version(db_url, code)
    response = rev.post(
        f"/api/issues/{code}/edit",
        content=b'{"version": %d, "description": "' % version + b"x" * (200 * KIB) + b'"}',
        headers={"x-csrf-token": rev.csrf, "content-type": "application/json"},
    )
    assert response.status_code == 413
    assert issue_version(db_url, code) == version


def _noise_jpeg(min_bytes: int) -> bytes:
    import cv2
    import numpy as np

    rng = np.random.default_rng(7)
    image = rng.integers(0, 255, (600, 800, 3), dtype=np.uint8)
    ok, buf = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 95])
    assert ok and len(buf) > min_bytes
    return buf.tobytes()


def _to_rectified(rev, db_url, code) -> None:
    for step, extra in (("confirm", {}), ("assign", {"responsible_unit": "u",
                        "deadline": "2026-12-31"}), ("start", {}), ("rectified",
                        {"progress": "done"})):  # fmt: skip
        assert act(rev, db_url, code, step, **extra).status_code == 303


def test_the_closing_form_takes_a_photo_above_the_form_limit(client_for, db_url) -> None:
    rev = client_for("rev")
    code = candidate_codes(db_url)[0]
    _to_rectified(rev, db_url, code)
    photo = _noise_jpeg(300 * KIB)
    files = {"after_photo": ("after.jpg", io.BytesIO(photo), "image/jpeg")}
    assert act(rev, db_url, code, "close", files=files).status_code == 303


def test_the_closing_form_has_the_upload_limit(make_app, db_url) -> None:
    client = TestClient(make_app(upload_max_bytes=100 * KIB), headers={"accept": "text/html"})
    assert log_in(client, "rev").status_code == 303
    client.csrf = csrf_of(client)
    code = candidate_codes(db_url)[0]
    _to_rectified(client, db_url, code)
    files = {"after_photo": ("after.jpg", io.BytesIO(b"a" * 2 * 1024 * KIB), "image/jpeg")}
    response = act(client, db_url, code, "close", files=files)
    assert response.status_code == 413
    assert issue_version(db_url, code) == 5


def _http_status(sock: socket.socket) -> int:
    head = b""
    while b"\r\n" not in head:
        part = sock.recv(4096)
        if not part:
            break
        head += part
    return int(head.split(b" ", 2)[1])


#: The start of a multipart body whose file part then goes on and on.
PHOTO_PART = (
    b'--b\r\nContent-Disposition: form-data; name="after_photo"; filename="a.jpg"\r\n'
    b"Content-Type: image/jpeg\r\n\r\n"
)


def _send_chunked(port: int, path: str, headers: dict[str, str], total: int) -> tuple[int, int]:
    """POST ``total`` bytes chunked until the server answers: ``(status, bytes sent)``.

    The bytes sent include what the kernel buffers on loopback (a few MiB).
    """
    chunk = 64 * KIB
    sock = socket.create_connection(("127.0.0.1", port), timeout=20)
    lines = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    sock.sendall(
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n{lines}"
        "Transfer-Encoding: chunked\r\n\r\n".encode()
    )
    multipart = headers.get("Content-Type", "").startswith("multipart/")
    if multipart:
        sock.sendall(f"{len(PHOTO_PART):x}\r\n".encode() + PHOTO_PART + b"\r\n")
    payload = f"{chunk:x}\r\n".encode() + b"a" * chunk + b"\r\n"
    sent = 0
    try:
        while sent < total:
            sock.setblocking(False)
            try:
                if sock.recv(1, socket.MSG_PEEK):
                    break  # the server has answered
            except BlockingIOError:
                pass
            sock.settimeout(20)
            sock.sendall(payload)
            sent += chunk
        else:
            sock.sendall(b"0\r\n\r\n")  # the whole body went in: end it, hear the answer
    except (BrokenPipeError, ConnectionResetError):
        pass
    sock.settimeout(20)
    try:
        return _http_status(sock), sent
    finally:
        sock.close()


URLENCODED = "application/x-www-form-urlencoded"
MULTIPART = "multipart/form-data; boundary=b"


@pytest.mark.parametrize(
    ("who", "path", "content_type", "expected", "limit_kib"),
    [
        (None, "/login", URLENCODED, 413, 128),  # read for its CSRF token: the form limit
        (None, "/login", MULTIPART, 413, 128),
        (None, "/issues/{code}/close", MULTIPART, 401, 0),  # no session: refused unread
        ("rev", "/issues/{code}/edit", URLENCODED, 413, 128),
        ("rev", "/issues/{code}/close", MULTIPART, 413, 2 * 1024),  # 1 MiB upload + 1 MiB
    ],
)
def test_a_live_server_answers_before_a_huge_chunked_body_ends(
    make_app, db_url, who, path, content_type, expected, limit_kib
) -> None:
    """Over a real socket, a 64 MiB chunked body is answered after little more than the limit.

    Without the limit on the stream, the server read all 64 MiB (into /tmp for
    a multipart form) before the CSRF check answered.
    """
    app = make_app(upload_max_bytes=1024 * KIB)
    headers = {"Content-Type": content_type}
    if who is not None:
        client = TestClient(app, headers={"accept": "text/html"})
        assert log_in(client, who).status_code == 303
        headers["Cookie"] = f"hehu_session={client.cookies['hehu_session']}"
        headers["X-CSRF-Token"] = csrf_of(client)
    url = path.format(code=candidate_codes(db_url)[0])
    started = time.monotonic()
    with serve(app) as base:
        status, sent = _send_chunked(int(base.rsplit(":", 1)[1]), url, headers, 64 * 1024 * KIB)
    assert status == expected
    assert sent <= (limit_kib + 8 * 1024) * KIB, f"{sent} bytes went in before the answer"
    assert time.monotonic() - started < 20
