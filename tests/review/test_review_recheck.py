"""Recheck (复查) verdicts on the candidate page: the before/after pair, 销号 on "gone",
back to 整改中 on "still present"."""

from __future__ import annotations

import hashlib
import re

import pytest

from tests.review.review_helpers import act, candidate_codes, history, issue

STEPS = (("confirm", {}), ("assign", {"responsible_unit": "u", "deadline": "2026-12-31"}),
         ("start", {}), ("rectified", {"progress": "done"}))  # fmt: skip


def _picture(tmp_path, colour: tuple[int, int, int]) -> tuple[str, str, bytes]:
    import cv2
    import numpy as np

    image = np.full((48, 120, 3), colour, np.uint8)
    data = cv2.imencode(".jpg", image)[1].tobytes()
    path = tmp_path / f"pair-{colour[0]}.jpg"
    path.write_bytes(data)
    return str(path), hashlib.sha256(data).hexdigest(), data


def record(db_url: str, code: str, verdict: str, picture: tuple[str, str, bytes], key: str):
    """A later flight ``key`` pushed (no frames) and its verdict on ``code`` recorded."""
    from pipeline.ledger.db import make_engine, make_session_factory
    from pipeline.ledger.flight_rows import FlightRef
    from pipeline.ledger.push import push_flight
    from pipeline.ledger.rechecks import VerdictRecord, record_rechecks

    engine = make_engine(db_url)
    factory = make_session_factory(engine)
    push_flight(session_factory=factory, flight=FlightRef(key=key, name=f"flight {key}"),
                frames=[], detections=[])  # fmt: skip
    out = record_rechecks(session_factory=factory, flight_key=key, verdicts=[
        VerdictRecord(code, verdict, "appearance", residual_px=0.93, residual_m=0.021,
                      meets_rule=True, evidence_path=picture[0], evidence_sha256=picture[1])
    ])  # fmt: skip
    engine.dispose()
    return out


@pytest.fixture
def rectified(client_for, db_url) -> tuple[object, str]:
    rev = client_for("rev")
    code = candidate_codes(db_url)[0]
    for step, extra in STEPS:
        assert act(rev, db_url, code, step, **extra).status_code == 303
    return rev, code


def test_gone_shows_the_pair_and_closes(rectified, db_url, tmp_path) -> None:
    rev, code = rectified
    picture = _picture(tmp_path, (20, 200, 20))
    record(db_url, code, "gone", picture, "later-1")
    page = rev.get(f"/issues/{code}").text
    assert 'id="rechecks"' in page and "已消失" in page and "配准残差 0.93 像素" in page
    src = re.search(r'src="(/media/recheck/\d+\.jpg)"', page).group(1)
    assert rev.get(src).content == picture[2]
    assert 'id="form-close-recheck"' in page and 'id="form-reopen-recheck"' not in page
    closed = act(rev, db_url, code, "close_recheck", note="现场无堆放")
    assert closed.status_code == 303, closed.text
    assert issue(db_url, code).status == "closed"
    last = [e for e in history(db_url, code) if e.field == "status"][-1]
    assert last.new_value == "closed" and picture[1] in last.note and "现场无堆放" in last.note
    assert "flight later-1" in last.note
    rows = rev.get(f"/issues/{code}").text  # the history in Chinese
    assert "复查销号：航次 flight later-1 的复查，前后对比图 sha256 " + picture[1] in rows
    assert "复查 航次 flight later-1；外观比对；配准残差 0.93 像素" in rows


def test_still_present_sends_it_back_and_cannot_close(rectified, db_url, tmp_path) -> None:
    rev, code = rectified
    picture = _picture(tmp_path, (20, 20, 200))
    record(db_url, code, "still present", picture, "later-2")
    page = rev.get(f"/issues/{code}").text
    assert "仍存在" in page and 'id="form-reopen-recheck"' in page
    assert 'id="form-close-recheck"' not in page
    refused = act(rev, db_url, code, "close_recheck")
    assert refused.status_code == 400 and "复查销号需要最近一次复查的结论与之相符" in refused.text
    assert issue(db_url, code).status == "rectified"
    back = act(rev, db_url, code, "reopen_recheck")
    assert back.status_code == 303 and issue(db_url, code).status == "rectifying"


def test_a_changed_picture_is_not_shown(rectified, db_url, tmp_path) -> None:
    rev, code = rectified
    picture = _picture(tmp_path, (200, 20, 20))
    record(db_url, code, "gone", picture, "later-3")
    (tmp_path / "pair-200.jpg").write_bytes(picture[2] + b"x")
    page = rev.get(f"/issues/{code}").text
    src = re.search(r'src="(/media/recheck/\d+\.jpg)"', page).group(1)
    assert rev.get(src).headers["x-hehu-placeholder"] == "recheck-picture-changed"


def test_a_closed_issue_still_present_is_a_rebound_on_the_page(rectified, db_url, tmp_path) -> None:
    rev, code = rectified
    closed = act(rev, db_url, code, "close_recheck")
    assert closed.status_code == 400  # no recheck yet
    record(db_url, code, "gone", _picture(tmp_path, (20, 200, 20)), "later-4")
    assert act(rev, db_url, code, "close_recheck").status_code == 303
    out = record(db_url, code, "still present", _picture(tmp_path, (20, 20, 200)), "later-5")
    assert out.rebounded == (code,)
    row = issue(db_url, code)
    assert (row.status, row.rebound, row.rebound_count) == ("candidate", True, 1)
    page = rev.get(f"/issues/{code}").text
    assert "反弹 ×1" in page and page.count('data-verdict="') == 2
