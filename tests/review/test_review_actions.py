"""Review actions through the app: confirm, reject, retype, assign, rectify, close; conflicts."""

from __future__ import annotations

import hashlib
import io
import re

import pytest

from tests.review.review_helpers import (
    SAMPLE_FRAMES,
    act,
    candidate_codes,
    history,
    issue,
    issue_version,
    merged_issue,
)


def test_confirm_goes_on_to_the_next_candidate_and_is_audited(client_for, db_url) -> None:
    rev = client_for("rev")
    first, second, *_ = candidate_codes(db_url)
    response = act(rev, db_url, first, "confirm", sort="code")
    assert response.status_code == 303
    assert response.headers["location"].startswith(f"/issues/{second}?")
    assert f"from={first}" in response.headers["location"]
    assert rev.get(response.headers["location"]).text.count(f"已确认 {first}") == 1
    entry = history(db_url, first)[-1]
    assert (entry.field, entry.old_value, entry.new_value, entry.actor) == (
        "status", "candidate", "confirmed", "rev",
    )  # fmt: skip


def test_confirm_with_a_corrected_type(client_for, db_url) -> None:
    rev = client_for("rev")
    code = candidate_codes(db_url)[0]
    response = act(rev, db_url, code, "confirm", subtype="luanjian.building", severity="major")
    assert response.status_code == 303
    row = issue(db_url, code)
    assert (row.status, row.type, row.subtype, row.severity) == (
        "confirmed", "luanjian", "luanjian.building", "major",
    )  # fmt: skip
    fields = {e.field for e in history(db_url, code)}
    assert {"subtype", "type", "severity", "status"} <= fields


def test_unknown_subtype_is_refused(client_for, db_url) -> None:
    code = candidate_codes(db_url)[0]
    response = act(client_for("rev"), db_url, code, "confirm", subtype="luandui.nonsense")
    assert response.status_code == 400 and "luandui.nonsense" in response.text
    assert issue(db_url, code).status == "candidate"


def test_reject_needs_a_reason(client_for, db_url) -> None:
    rev = client_for("rev")
    code = candidate_codes(db_url)[0]
    response = act(rev, db_url, code, "reject")
    assert response.status_code == 400 and "needs a reason" in response.text
    assert issue(db_url, code).status == "candidate"
    response = act(rev, db_url, code, "reject", reason="permitted", reason_text="许可证 2024-17")
    assert response.status_code == 303
    entry = history(db_url, code)[-1]
    assert entry.new_value == "false_positive"
    assert entry.note == "误报原因：合法审批项目；许可证 2024-17"


def test_json_actions_for_the_queue(client_for, db_url) -> None:
    rev = client_for("rev")
    a, b, *_ = candidate_codes(db_url)
    headers = {"x-csrf-token": rev.csrf}
    ok = rev.post(f"/api/issues/{a}/confirm", json={"version": 1}, headers=headers)
    assert ok.status_code == 200 and ok.json()["issue"]["status"] == "confirmed"
    assert ok.json()["issue"]["version"] == 2
    bad = rev.post(f"/api/issues/{b}/reject", json={"version": 1}, headers=headers)
    assert bad.status_code == 400 and "reason" in bad.json()["detail"]
    assert bad.json()["message"] == "标记误报需要原因：请选择一项或填写说明"
    ok = rev.post(
        f"/api/issues/{b}/reject", json={"version": 1, "reason": "not_object"}, headers=headers
    )
    assert ok.json()["issue"]["status"] == "false_positive"
    wrong_type = rev.post(f"/api/issues/{b}/confirm", data={"version": 2}, headers=headers)
    assert wrong_type.status_code == 415


def test_second_reviewer_gets_a_conflict_and_sees_the_current_state(client_for, db_url) -> None:
    rev, rev2 = client_for("rev"), client_for("rev2")
    code = candidate_codes(db_url)[0]
    page = rev.get(f"/issues/{code}").text
    version = int(re.search(r'name="version" value="(\d+)"', page).group(1))
    loaded_at = re.search(r'name="loaded_at" value="([^"]+)"', page).group(1)
    assert act(rev2, db_url, code, "confirm").status_code == 303  # rev2 is faster
    response = act(
        rev, db_url, code, "reject", version=version, loaded_at=loaded_at, reason="not_object"
    )
    assert response.status_code == 409
    assert 'id="conflict"' in response.text
    assert "rev2" in response.text and "没有保存" in response.text
    assert 'data-status="confirmed"' in response.text  # the current state is shown
    assert f'name="version" value="{version + 1}"' not in response.text or "form-assign" in (
        response.text
    )
    assert 'class="new"' in response.text  # rev2's change is highlighted in the history
    row = issue(db_url, code)
    assert (row.status, row.version) == ("confirmed", version + 1)
    assert [e.actor for e in history(db_url, code) if e.actor.startswith("rev")] == ["rev2"]


def test_json_conflict_returns_the_current_issue(client_for, db_url) -> None:
    rev, rev2 = client_for("rev"), client_for("rev2")
    code = candidate_codes(db_url)[0]
    assert act(rev2, db_url, code, "confirm").status_code == 303
    response = rev.post(
        f"/api/issues/{code}/reject",
        json={"version": 1, "reason": "not_object"},
        headers={"x-csrf-token": rev.csrf},
    )
    assert response.status_code == 409
    body = response.json()
    assert body["error"] == "conflict" and "nothing was written" in body["detail"]
    assert "未保存" in body["message"]
    assert body["issue"]["status"] == "confirmed" and body["issue"]["version"] == 2


def test_illegal_transition_is_explained(client_for, db_url) -> None:
    rev = client_for("rev")
    code = candidate_codes(db_url)[0]
    act(rev, db_url, code, "confirm")
    response = act(rev, db_url, code, "confirm")
    assert response.status_code == 400 and "confirm is allowed only from candidate" in response.text
    assert act(rev, db_url, code, "frobnicate").status_code == 404


def _jpeg_bytes() -> bytes:
    import cv2
    import numpy as np

    image = np.full((64, 96, 3), (40, 160, 40), np.uint8)
    ok, buf = cv2.imencode(".jpg", image)
    assert ok
    return buf.tobytes()


def test_full_lifecycle_to_closure_with_an_after_photo(client_for, db_url, app) -> None:
    rev = client_for("rev")
    code = candidate_codes(db_url)[0]
    assert act(rev, db_url, code, "confirm").status_code == 303
    missing = act(rev, db_url, code, "assign", deadline="2026-12-31")
    assert missing.status_code == 400 and "交办需要填写责任单位" in missing.text
    assigned = act(
        rev, db_url, code, "assign", responsible_unit="示例镇水利站",
        responsible_person="张三", deadline="2026-12-31", rectification_measures="清理",
    )  # fmt: skip
    assert assigned.status_code == 303
    assert act(rev, db_url, code, "start", progress="已进场").status_code == 303
    assert act(rev, db_url, code, "progress", progress="清理一半").status_code == 303
    assert act(rev, db_url, code, "rectified", progress="清理完毕").status_code == 303
    no_evidence = act(rev, db_url, code, "close")
    assert no_evidence.status_code == 400 and "needs evidence" in no_evidence.text
    photo = _jpeg_bytes()
    files = {"after_photo": ("../../etc/整改后.jpg", io.BytesIO(photo), "image/jpeg")}
    closed = act(rev, db_url, code, "close", files=files, note="现场复核")
    assert closed.status_code == 303, closed.text
    row = issue(db_url, code)
    assert row.status == "closed" and row.closed_on is not None
    assert row.responsible_unit == "示例镇水利站" and row.progress == "清理完毕"
    sha = hashlib.sha256(photo).hexdigest()
    uploads = app.state.review.uploads_dir
    stored = uploads / sha[:2] / f"{sha}.jpg"
    assert stored.read_bytes() == photo
    assert [p.name for p in uploads.rglob("*") if p.is_file()] == [f"{sha}.jpg"]
    page = rev.get(f"/issues/{code}").text
    attachment = re.search(r"/media/attachment/(\d+)", page).group(1)
    assert rev.get(f"/media/attachment/{attachment}").content == photo
    assert "整改后.jpg" in page  # shown as text only
    fields = [e.field for e in history(db_url, code)]
    assert fields[-2:] == ["closed_on", "after_photo"] or "after_photo" in fields


def test_upload_must_be_a_photo(client_for, db_url) -> None:
    rev = client_for("rev")
    code = candidate_codes(db_url)[0]
    for step, extra in (("confirm", {}), ("assign", {"responsible_unit": "u",
                        "deadline": "2026-12-31"}), ("start", {}), ("rectified",
                        {"progress": "done"})):  # fmt: skip
        assert act(rev, db_url, code, step, **extra).status_code == 303
    files = {"after_photo": ("photo.jpg", io.BytesIO(b"#!/bin/sh\nrm -rf /\n"), "image/jpeg")}
    response = act(rev, db_url, code, "close", files=files)
    assert response.status_code == 400 and "JPEG or PNG" in response.text
    assert issue(db_url, code).status == "rectified"


@pytest.fixture
def later_flight(db_url, tmp_path):
    """A second flight one day later whose frame covers the first candidate (a re-encoded copy)."""
    import cv2

    from pipeline.ledger.db import make_engine, make_session_factory
    from pipeline.ledger.flight_rows import FlightRef
    from pipeline.ledger.push import push_flight
    from pipeline.records import FrameMeta, GpsFix

    code = candidate_codes(db_url)[0]
    row = issue(db_url, code)
    image = cv2.imread(str(sorted(SAMPLE_FRAMES.glob("*.JPG"))[0]))
    path = tmp_path / "later" / "DJI_0100.JPG"
    path.parent.mkdir()
    cv2.imwrite(str(path), image)
    data = path.read_bytes()
    d = 0.0004
    ring = [(row.lat_deg - d, row.lon_deg - d), (row.lat_deg - d, row.lon_deg + d),
            (row.lat_deg + d, row.lon_deg + d), (row.lat_deg + d, row.lon_deg - d)]  # fmt: skip
    meta = FrameMeta(
        path=str(path), sha256=hashlib.sha256(data).hexdigest(), size_bytes=len(data),
        media_type="image/jpeg", width_px=image.shape[1], height_px=image.shape[0],
        captured_at="2030-01-01T10:00:00", gps=GpsFix(row.lat_deg, row.lon_deg, 40.0),
    )  # fmt: skip
    engine = make_engine(db_url)
    push_flight(
        session_factory=make_session_factory(engine),
        flight=FlightRef(key="later-flight", name="later"),
        frames=[meta], detections=[], footprints={meta.sha256: (*ring, ring[0])},
    )  # fmt: skip
    engine.dispose()
    return code, meta


def test_close_with_a_later_flights_frame(client_for, db_url, later_flight) -> None:
    code, meta = later_flight
    rev = client_for("rev")
    for step, extra in (("confirm", {}), ("assign", {"responsible_unit": "u",
                        "deadline": "2026-12-31"}), ("start", {}), ("rectified",
                        {"progress": "done"})):  # fmt: skip
        assert act(rev, db_url, code, step, **extra).status_code == 303
    page = rev.get(f"/issues/{code}").text
    frame_id = re.search(r'<option value="(\d+)">later · 2030-01-01', page).group(1)
    assert act(rev, db_url, code, "close", later_frame="999999").status_code == 400
    assert act(rev, db_url, code, "close", later_frame=frame_id).status_code == 303
    assert issue(db_url, code).status == "closed"
    entry = next(e for e in history(db_url, code) if e.field == "later_frame")
    assert entry.new_value == meta.sha256 and entry.actor == "rev"


def test_failed_check_and_reopen(client_for, db_url) -> None:
    rev = client_for("rev")
    a, b, *_ = candidate_codes(db_url)
    for step, extra in (("confirm", {}), ("assign", {"responsible_unit": "u",
                        "deadline": "2026-12-31"}), ("start", {}), ("rectified",
                        {"progress": "done"})):  # fmt: skip
        assert act(rev, db_url, a, step, **extra).status_code == 303
    assert act(rev, db_url, a, "fail_check").status_code == 400  # needs a note
    assert act(rev, db_url, a, "fail_check", note="垃圾未清完").status_code == 303
    assert issue(db_url, a).status == "rectifying"
    assert act(rev, db_url, b, "reject", reason="duplicate").status_code == 303
    assert act(rev, db_url, b, "reopen", note="重新核查").status_code == 303
    assert issue(db_url, b).status == "candidate"


def test_edit_details_without_a_status_change(client_for, db_url) -> None:
    rev = client_for("rev")
    code = candidate_codes(db_url)[0]
    response = act(rev, db_url, code, "edit", subtype="luanzhan.fence", description="围网")
    assert response.status_code == 303
    row = issue(db_url, code)
    assert (row.status, row.type, row.description) == ("candidate", "luanzhan", "围网")


def _force_status(db_url, code, status):
    """Put an issue straight into ``status`` (the way there is tested elsewhere)."""
    from sqlalchemy import update

    from pipeline.ledger.models import Issue
    from pipeline.review.store import open_db

    db = open_db(db_url)
    try:
        with db.write() as session:
            session.execute(update(Issue).where(Issue.code == code).values(status=status))
    finally:
        db.dispose()


@pytest.mark.parametrize("status", ["closed", "false_positive"])
@pytest.mark.parametrize("action", ["edit", "progress"])
def test_settled_issues_refuse_edits_over_http(client_for, db_url, status, action) -> None:
    rev = client_for("rev")
    code = candidate_codes(db_url)[0]
    _force_status(db_url, code, status)
    version = issue_version(db_url, code)
    fields = {"severity": "major", "description": "改", "progress": "改"}
    api = rev.post(f"/api/issues/{code}/{action}", json={"version": version, **fields},
                   headers={"x-csrf-token": rev.csrf})  # fmt: skip
    assert api.status_code == 400, api.text
    assert f"is {status}" in api.json()["detail"] and action in api.json()["detail"]
    assert "请刷新页面" in api.json()["message"]
    form = act(rev, db_url, code, action, **fields)
    assert form.status_code == 400 and f"is {status}" in form.text
    row = issue(db_url, code)
    assert (row.version, row.severity, row.progress) == (version, "general", None)


def _all_action_fields(detection_id: int) -> dict[str, str]:
    """Form fields that satisfy every action, so only the starting status can refuse one."""
    return {
        "severity": "serious", "description": "d", "note": "n", "reason": "duplicate",
        "responsible_unit": "u", "deadline": "2030-01-01", "progress": "p",
        "later_frame": "1", "detection_id": str(detection_id), "next_check_on": "2030-01-01",
    }  # fmt: skip


@pytest.mark.parametrize("status", ["candidate", "confirmed", "false_positive", "assigned",
                                    "rectifying", "rectified", "closed", "historical",
                                    "carried_over"])  # fmt: skip
def test_every_action_starts_only_from_its_declared_statuses(db_url, status) -> None:
    from pipeline.ledger.errors import IllegalTransitionError
    from pipeline.review.actions import ACTIONS, ActionContext, apply_action
    from pipeline.review.store import open_db

    code, detections = merged_issue(db_url)
    _force_status(db_url, code, status)
    form = _all_action_fields(detections[0])
    db = open_db(db_url)
    try:
        for action, (_, starts) in ACTIONS.items():
            if status in starts:
                continue
            ctx = ActionContext(code, 1, "rev", form)
            refused = pytest.raises(IllegalTransitionError, match=f"{action} is allowed only from")
            with refused, db.write() as session:
                apply_action(session, action, ctx)
    finally:
        db.dispose()
    assert issue(db_url, code).version == 1


def test_dispatch_without_a_person_goes_to_the_grids_patroller(client_for, db_url) -> None:
    from pipeline.config import resolve
    from pipeline.ledger.grids import find_grid, load_grids

    rev = client_for("rev")
    code = candidate_codes(db_url)[0]
    row = issue(db_url, code)
    grid = find_grid(load_grids(resolve("configs/grids")), row.lat_deg, row.lon_deg)
    assert grid is not None and grid.props.patroller
    assert act(rev, db_url, code, "confirm").status_code == 303
    assert f'placeholder="{grid.props.patroller}"' in rev.get(f"/issues/{code}").text
    assigned = act(rev, db_url, code, "assign", responsible_unit="u", deadline="2026-12-31")
    assert assigned.status_code == 303
    assert issue(db_url, code).responsible_person == grid.props.patroller
