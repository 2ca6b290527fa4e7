"""Evidence a reviewer can judge (issue 15 item 8): the full-frame viewer's picture and data,
undo of the last decision within the window, bulk decisions for operators."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from sqlalchemy import select

from tests.review.review_helpers import candidate_codes, issue_version


def _history(db_url: str, code: str):
    from pipeline.ledger.audit import history
    from pipeline.review.store import open_db

    db = open_db(db_url)
    with db.read() as session:
        entries = history(session=session, entity="issue", entity_key=code)
    db.dispose()
    return entries


def _status(db_url: str, code: str) -> str:
    from pipeline.ledger.workflow import get_issue
    from pipeline.review.store import open_db

    db = open_db(db_url)
    with db.read() as session:
        status = get_issue(session=session, code=code).status
    db.dispose()
    return status


def _api(client, db_url, code, action, **body):
    body.setdefault("version", issue_version(db_url, code))
    return client.post(f"/api/issues/{code}/{action}", json=body,
                       headers={"X-CSRF-Token": client.csrf})  # fmt: skip


# --- the full-frame viewer ----------------------------------------------------------------


def test_viewer_data_is_each_sighting_in_the_originals_pixels(client_for, db_url) -> None:
    from pipeline.ledger.models import Detection, Evidence, Frame, Issue
    from pipeline.review.store import open_db

    code = candidate_codes(db_url)[0]
    html = client_for("view").get(f"/issues/{code}").text
    items = json.loads(re.search(r'id="sightings">(.*?)</script>', html, re.S).group(1))
    db = open_db(db_url)
    with db.read() as session:
        rows = session.execute(
            select(Detection, Frame)
            .join(Evidence, Evidence.detection_id == Detection.id)
            .join(Issue, Issue.id == Evidence.issue_id)
            .join(Frame, Frame.id == Detection.frame_id)
            .where(Issue.code == code)
            .order_by(Detection.conf.desc(), Detection.id)
        ).all()
    db.dispose()
    assert len(items) == len(rows)
    for item, (det, frame) in zip(items, rows, strict=True):
        assert item["src"] == f"/media/frame/{frame.id}/large.jpg"
        assert item["box"] == [det.x0_px, det.y0_px, det.x1_px, det.y1_px]
        assert item["size"] == [frame.width_px, frame.height_px]
        assert frame.file_name in item["caption"]


def test_large_frame_is_the_whole_picture_without_boxes(make_app, db_url) -> None:
    import cv2
    import numpy as np
    from fastapi.testclient import TestClient

    from pipeline.ledger.models import Detection, Frame
    from pipeline.review.store import open_db
    from tests.review.review_helpers import log_in, password_of

    db = open_db(db_url)
    with db.read() as session:
        det, frame = session.execute(
            select(Detection, Frame).join(Frame).order_by(Detection.id)
        ).first()
        frame_id, path = frame.id, frame.open_path
        box = (det.x0_px, det.y0_px, det.x1_px, det.y1_px)
    db.dispose()
    original = cv2.imread(path)
    client = TestClient(make_app(viewer_max_side=800))
    log_in(client, "view", password_of("view"))
    response = client.get(f"/media/frame/{frame_id}/large.jpg")
    assert response.status_code == 200 and response.headers["content-type"] == "image/jpeg"
    image = cv2.imdecode(np.frombuffer(response.content, np.uint8), cv2.IMREAD_COLOR)
    scale = 800 / max(original.shape[:2])
    assert image.shape[:2] == (int(original.shape[0] * scale), int(original.shape[1] * scale))
    plain = cv2.resize(original, image.shape[1::-1], interpolation=cv2.INTER_AREA).astype(int)
    x0, y0, x1, y1 = (round(v * scale) for v in box)
    edge = np.concatenate([image[y0, x0:x1], image[y1, x0:x1], image[y0:y1, x0], image[y0:y1, x1]])
    plain_edge = np.concatenate(
        [plain[y0, x0:x1], plain[y1, x0:x1], plain[y0:y1, x0], plain[y0:y1, x1]]
    )
    assert np.abs(edge.astype(int) - plain_edge).mean() < 12  # no box drawn along its outline
    boxed = client.get(f"/media/frame/{frame_id}.jpg")  # the page's scaled copy has boxes
    assert boxed.status_code == 200
    assert client.get("/media/frame/999999/large.jpg").status_code == 404


# --- undo ------------------------------------------------------------------------------------


def test_undo_takes_a_confirmation_back_and_is_audited(client_for, db_url) -> None:
    rev = client_for("rev")
    code = candidate_codes(db_url)[0]
    assert _api(rev, db_url, code, "confirm").status_code == 200
    answer = _api(rev, db_url, code, "undo")
    assert answer.status_code == 200 and answer.json()["issue"]["status"] == "candidate"
    last = _history(db_url, code)[-1]
    assert (last.field, last.old_value, last.new_value, last.actor) == (
        "status", "confirmed", "candidate", "rev",
    )  # fmt: skip
    assert last.note.startswith("撤销确认")


def test_undo_of_a_rejection_from_the_next_page(client_for, db_url) -> None:
    rev = client_for("rev")
    first = candidate_codes(db_url)[0]
    data = {"csrf_token": rev.csrf, "version": issue_version(db_url, first), "reason": "permitted",
            "sort": "code"}  # fmt: skip
    moved = rev.post(f"/issues/{first}/reject", data=data, follow_redirects=False)
    page = rev.get(moved.headers["location"]).text
    form = re.search(r'<form method="post" action="/issues/([^/]+)/undo".*?</form>', page, re.S)
    assert form and form.group(1) == first and 'id="do-undo"' in form.group(0)
    version = re.search(r'name="version" value="(\d+)"', form.group(0)).group(1)
    done = rev.post(f"/issues/{first}/undo", data={"csrf_token": rev.csrf, "version": version},
                    follow_redirects=False)  # fmt: skip
    assert done.status_code == 303 and "done=undo" in done.headers["location"]
    assert _status(db_url, first) == "candidate"
    assert "已撤销对" in rev.get(done.headers["location"]).text
    assert _history(db_url, first)[-1].note.startswith("撤销误报")


def test_only_the_decider_may_undo(client_for, db_url) -> None:
    code = candidate_codes(db_url)[0]
    assert _api(client_for("rev"), db_url, code, "confirm").status_code == 200
    other = _api(client_for("rev2"), db_url, code, "undo")
    assert other.status_code == 400 and "只能撤销自己的决定" in other.json()["message"]
    assert _status(db_url, code) == "confirmed"
    assert _api(client_for("view"), db_url, code, "undo").status_code == 403


def test_undo_window_closes(client_for, db_url, monkeypatch) -> None:
    from pipeline.ledger.models import utc_now

    rev = client_for("rev")
    code = candidate_codes(db_url)[0]
    assert _api(rev, db_url, code, "confirm").status_code == 200
    later = utc_now() + dt.timedelta(seconds=31)  # the default window is 30 s
    monkeypatch.setattr("pipeline.review.undo.utc_now", lambda: later)
    late = _api(rev, db_url, code, "undo")
    assert late.status_code == 400 and "撤销时限" in late.json()["message"]
    assert _status(db_url, code) == "confirmed"
    monkeypatch.setattr("pipeline.review.undo.utc_now", lambda: later - dt.timedelta(seconds=2))
    assert _api(rev, db_url, code, "undo").status_code == 200


def test_nothing_to_undo_once_the_issue_moved_on(client_for, db_url) -> None:
    rev = client_for("rev")
    code = candidate_codes(db_url)[0]
    assert _api(rev, db_url, code, "undo").status_code == 400  # still a candidate
    assert _api(rev, db_url, code, "confirm").status_code == 200
    assign = {"responsible_unit": "区河长办", "deadline": "2030-01-01"}
    assert _api(rev, db_url, code, "assign", **assign).status_code == 200
    assert _api(rev, db_url, code, "undo").status_code == 400
    assert _status(db_url, code) == "assigned"


# --- bulk --------------------------------------------------------------------------------------


def _bulk(client, action: str, expected: int, **fields):
    data = {"csrf_token": client.csrf, "action": action, "expected": str(expected), **fields}
    return client.post("/queue/bulk", data=data, follow_redirects=False)


def test_bulk_confirm_is_for_operators_and_audited_per_issue(client_for, db_url) -> None:
    codes = candidate_codes(db_url)
    assert _bulk(client_for("rev"), "confirm", len(codes)).status_code == 403
    assert 'id="bulk"' not in client_for("rev").get("/queue").text
    op = client_for("op")
    assert 'id="bulk"' in op.get("/queue").text
    done = _bulk(op, "confirm", len(codes))
    assert (
        done.status_code == 303
        and f"done=bulk_confirm&from={len(codes)}" in done.headers["location"]
    )
    assert candidate_codes(db_url) == []
    for code in codes:
        last = _history(db_url, code)[-1]
        assert (last.new_value, last.actor, last.note) == ("confirmed", "op", "批量操作")
    assert f"已批量确认 {len(codes)} 条" in op.get(done.headers["location"]).text


def test_bulk_reject_on_a_filter_needs_a_reason(client_for, db_url) -> None:
    from pipeline.ledger.workflow import get_issue
    from pipeline.review.store import open_db

    op = client_for("op")
    codes = candidate_codes(db_url)
    db = open_db(db_url)
    with db.read() as session:
        kind = get_issue(session=session, code=codes[0]).type
        chosen = [c for c in codes if get_issue(session=session, code=c).type == kind]
    db.dispose()
    assert _bulk(op, "reject", len(chosen), type=kind).status_code == 400  # no reason
    assert candidate_codes(db_url) == codes
    done = _bulk(op, "reject", len(chosen), type=kind, reason="permitted")
    assert done.status_code == 303
    assert sorted(set(codes) - set(candidate_codes(db_url))) == sorted(chosen)
    note = _history(db_url, chosen[0])[-1].note
    assert note == "误报原因：合法审批项目；批量操作"


def test_bulk_refuses_a_selection_that_changed(client_for, db_url) -> None:
    op = client_for("op")
    codes = candidate_codes(db_url)
    refused = _bulk(op, "confirm", len(codes) + 1)
    assert refused.status_code == 400 and "筛选结果已变化" in refused.text
    assert candidate_codes(db_url) == codes
    assert _bulk(op, "close", len(codes)).status_code == 400


@pytest.mark.parametrize("limit", [1])
def test_bulk_has_a_limit(make_app, db_url, limit) -> None:
    from fastapi.testclient import TestClient

    from tests.review.review_helpers import csrf_of, log_in, password_of

    client = TestClient(make_app(bulk_max=limit), headers={"accept": "text/html"})
    log_in(client, "op", password_of("op"))
    client.csrf = csrf_of(client)
    codes = candidate_codes(db_url)
    assert len(codes) > limit
    refused = _bulk(client, "confirm", len(codes))
    assert refused.status_code == 400 and "一次最多批量处理 1 条" in refused.text
