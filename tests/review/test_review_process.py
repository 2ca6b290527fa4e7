"""Operators start processing through ``flows.deployment.start_flight`` (a seam; faked here)."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient


def _client(app, username="op"):
    from tests.review.review_helpers import csrf_of, log_in

    client = TestClient(app, headers={"accept": "text/html"})
    assert log_in(client, username).status_code == 303
    client.csrf = csrf_of(client)
    return client


def test_without_the_hook_the_page_says_so(client_for) -> None:
    op = client_for("op")
    page = op.get("/process")
    assert page.status_code == 200 and 'id="not-configured"' in page.text
    response = op.post("/process", data={"csrf_token": op.csrf, "folder": "/tmp"})
    assert response.status_code == 503


def test_the_hook_gets_the_chosen_folder_under_the_root(make_app, tmp_path) -> None:
    calls = []
    root = tmp_path / "flights"
    (root / "2024-05-01_reach3").mkdir(parents=True)
    (root / ".hidden").mkdir()
    app = make_app(start_flight=lambda path: calls.append(path) or "run 42 queued",
                   flights_root=root)  # fmt: skip
    op = _client(app)
    page = op.get("/process").text
    assert re.findall(r"<option>([^<]+)</option>", page) == ["2024-05-01_reach3"]
    ok = op.post("/process", data={"csrf_token": op.csrf, "folder": "2024-05-01_reach3"})
    assert ok.status_code == 200 and "run 42 queued" in ok.text
    assert calls == [(root / "2024-05-01_reach3").resolve()]
    for bad in ("../flights", "/etc", ".hidden", "2024-05-01_reach3/.."):
        refused = op.post("/process", data={"csrf_token": op.csrf, "folder": bad})
        assert refused.status_code == 400
    assert len(calls) == 1


def test_without_a_root_an_absolute_folder_is_needed(make_app, tmp_path) -> None:
    calls = []
    app = make_app(start_flight=calls.append)
    op = _client(app)
    assert (
        op.post("/process", data={"csrf_token": op.csrf, "folder": "relative/x"}).status_code == 400
    )
    assert (
        op.post("/process", data={"csrf_token": op.csrf, "folder": str(tmp_path)}).status_code
        == 200
    )
    assert calls == [tmp_path.resolve()]


def test_a_failing_hook_is_reported(make_app, tmp_path) -> None:
    def boom(path):
        raise RuntimeError("prefect is down")

    op = _client(make_app(start_flight=boom))
    response = op.post("/process", data={"csrf_token": op.csrf, "folder": str(tmp_path)})
    assert response.status_code == 500 and "prefect is down" in response.text


def test_reviewer_cannot_start_processing(make_app, tmp_path) -> None:
    calls = []
    rev = _client(make_app(start_flight=calls.append), "rev")
    assert rev.get("/process").status_code == 403
    assert (
        rev.post("/process", data={"csrf_token": rev.csrf, "folder": str(tmp_path)}).status_code
        == 403
    )
    assert calls == []


def test_a_folder_whose_name_is_not_utf8_is_listed_escaped_and_chosen(make_app, tmp_path) -> None:
    import os

    calls = []
    root = tmp_path / "flights"
    gbk = root / os.fsdecode(b"\xba\xd3\xb5\xc0")  # "河道" in GBK
    gbk.mkdir(parents=True)
    app = make_app(start_flight=lambda path: calls.append(path) or "queued", flights_root=root)
    op = _client(app)
    page = op.get("/process")
    shown = "\\xba\u04f5\\xc0"  # GBK's middle bytes happen to be valid UTF-8 ("ӵ")
    assert page.status_code == 200
    assert re.findall(r"<option>([^<]+)</option>", page.text) == [shown]
    ok = op.post("/process", data={"csrf_token": op.csrf, "folder": shown})
    assert ok.status_code == 200 and calls == [gbk.resolve()]


def test_start_flight_refuses_a_folder_whose_path_is_not_utf8_before_prefect(tmp_path) -> None:
    import os

    import pytest

    from flows.deployment import start_flight
    from pipeline.errors import BadInputError

    folder = tmp_path / os.fsdecode(b"\xba\xd3\xb5\xc0")
    folder.mkdir()
    with pytest.raises(BadInputError, match=r"\\xba.*not valid UTF-8.*hehu run --no-prefect"):
        start_flight(folder)
