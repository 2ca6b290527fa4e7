"""New change (新增变化) candidates in the review app: 新增变化 in the queue, the before/after
pair and its area on the candidate page, confirmed as a 四乱 subtype or rejected (误报)."""

from __future__ import annotations

import hashlib
import re

from tests.review.review_helpers import act, history, issue


def file_change(db_url: str, tmp_path, east_m: float = 90.0) -> tuple[str, bytes]:
    """A later flight of one frame pushed, and one 150 m² change in it filed; its code and
    the before/after picture's bytes."""
    import cv2
    import numpy as np

    from pipeline.ledger.changes import ChangeRecord, file_changes
    from pipeline.ledger.config import LedgerConfig
    from pipeline.ledger.db import make_engine, make_session_factory
    from pipeline.ledger.flight_rows import FlightRef
    from pipeline.ledger.push import push_flight
    from pipeline.ledger.zones import load_zones
    from tests.ledger.ledger_helpers import ZONES_DIR, frame, offset

    data = cv2.imencode(".jpg", np.full((48, 120, 3), (200, 60, 20), np.uint8))[1].tobytes()
    path = tmp_path / f"change-{east_m:g}.jpg"
    path.write_bytes(data)
    meta = frame(f"later_{east_m:g}", east_m)
    engine = make_engine(db_url)
    factory = make_session_factory(engine)
    push_flight(session_factory=factory, flight=FlightRef(key="later", name="later"),
                frames=[meta], detections=[])  # fmt: skip
    lat, lon = offset(east_m, 0.0)
    change = ChangeRecord(meta.sha256, "e" * 64, (100.0, 200.0, 300.0, 380.0), 150.0, lat, lon,
                          0.5, str(path), hashlib.sha256(data).hexdigest())  # fmt: skip
    filed = file_changes(session_factory=factory, flight_key="later", changes=[change],
                         zones=load_zones(ZONES_DIR), cfg=LedgerConfig())  # fmt: skip
    engine.dispose()
    (code,) = filed.filed
    return code, data


def test_the_queue_and_the_page_show_a_change(client_for, db_url, tmp_path) -> None:
    rev = client_for("rev")
    code, picture = file_change(db_url, tmp_path)
    queue = rev.get("/queue?type=change").text
    assert code in queue and queue.count("新增变化") >= 2  # the row's type, beside the filter
    assert rev.get("/queue?type=luandui").text.count(code) == 0
    assert code not in rev.get("/queue?min_conf=0.1").text  # no detector vouches for it
    page = rev.get(f"/issues/{code}").text
    assert 'id="change"' in page and "变化面积约 150 平方米" in page
    src = re.search(r'src="(/media/change/\d+\.jpg)"', page).group(1)
    assert rev.get(src).content == picture
    assert "新增变化 航次 later；新照片" in page and "面积约 150 平方米" in page  # the history
    assert rev.get("/media/change/999999.jpg").status_code == 404


def test_a_change_is_confirmed_as_a_subtype(client_for, db_url, tmp_path) -> None:
    rev = client_for("rev")
    code, _ = file_change(db_url, tmp_path)
    refused = act(rev, db_url, code, "confirm")
    assert refused.status_code == 400 and "新增变化须确认为一个四乱子类" in refused.text
    assert issue(db_url, code).status == "candidate"
    done = act(rev, db_url, code, "confirm", subtype="luandui.garbage")
    assert done.status_code == 303, done.text
    row = issue(db_url, code)
    assert (row.status, row.type, row.subtype) == ("confirmed", "luandui", "luandui.garbage")
    fields = [(e.field, e.old_value, e.new_value) for e in history(db_url, code)]
    assert ("type", "change", "luandui") in fields
    assert 'id="change"' in rev.get(f"/issues/{code}").text  # the pair stays its evidence


def test_a_change_is_rejected_as_false(client_for, db_url, tmp_path) -> None:
    rev = client_for("rev")
    code, _ = file_change(db_url, tmp_path)
    done = act(rev, db_url, code, "reject", reason="not_object")
    assert done.status_code == 303, done.text
    row = issue(db_url, code)
    assert (row.status, row.type) == ("false_positive", "change")
    assert code in rev.get("/queue?status=false_positive&type=change").text
