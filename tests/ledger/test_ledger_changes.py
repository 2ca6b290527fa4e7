"""New changes (新增变化) filed as ``change`` candidates: idempotent, atomic, audited, and
never on top of an open issue (pipeline.ledger.changes); migration 0010 on both backends."""

from __future__ import annotations

import pytest
from sqlalchemy import func, inspect, select

from pipeline.errors import BadInputError
from pipeline.ledger.audit import history
from pipeline.ledger.changes import CHANGE_MODEL_SHA256, ChangeRecord, file_changes
from pipeline.ledger.config import LedgerConfig
from pipeline.ledger.db import current_revision, downgrade, head_revision, upgrade
from pipeline.ledger.flight_rows import FlightRef
from pipeline.ledger.models import Detection, Evidence, EvidenceFile, Issue
from pipeline.ledger.push import push_flight
from tests.ledger.ledger_helpers import flight_inputs, frame, offset, sha

BOX = (100.0, 200.0, 300.0, 380.0)


def change(name: str, east_m: float, north_m: float = 0.0, area: float = 150.0,
           box: tuple[float, float, float, float] = BOX) -> ChangeRecord:  # fmt: skip
    lat, lon = offset(east_m, north_m)
    return ChangeRecord(sha(name), sha("earlier"), box, area, lat, lon, 0.8,
                        f"/pictures/{name}.jpg", sha(f"picture {name}"))  # fmt: skip


def push_new_flight(session_factory, zones) -> None:
    frames = [frame("N_0001", 90.0), frame("N_0002", 110.0)]
    push_flight(session_factory=session_factory, flight=FlightRef("flight-N", "N"),
                frames=frames, detections=[], zones=zones)  # fmt: skip


def file(session_factory, zones, changes):
    return file_changes(session_factory=session_factory, flight_key="flight-N",
                        changes=changes, zones=zones, cfg=LedgerConfig())  # fmt: skip


def test_changes_are_filed_once_as_candidates_with_their_picture(session_factory, zones) -> None:
    push_new_flight(session_factory, zones)
    changes = [change("N_0001", 90.0), change("N_0002", 110.0, area=420.0)]
    first = file(session_factory, zones, changes)
    assert len(first.filed) == 2 and first.already == 0 and first.overlapping == ()
    again = file(session_factory, zones, changes)
    assert again.filed == () and again.already == 2
    with session_factory() as session:
        issues = session.scalars(select(Issue).order_by(Issue.area_m2)).all()
        assert [(i.type, i.subtype, i.status, i.area_m2) for i in issues] == [
            ("change", None, "candidate", 150.0), ("change", None, "candidate", 420.0)]  # fmt: skip
        assert issues[0].zone_id and issues[0].in_zone
        files = session.scalars(select(EvidenceFile).order_by(EvidenceFile.id)).all()
        assert [(f.kind, f.sha256, f.source_sha256) for f in files] == [
            ("change", c.picture_sha256, c.new_frame_sha256)
            for c in sorted(changes, key=lambda c: c.new_frame_sha256)]  # fmt: skip
        dets = session.scalars(select(Detection)).all()
        assert {(d.model_sha256, d.type, d.conf, d.x0_px, d.y1_px) for d in dets} == {
            (CHANGE_MODEL_SHA256, None, 0.0, 100.0, 380.0)}  # fmt: skip
        log = history(session=session, entity="issue", entity_key=issues[1].code)
        assert [(e.field, e.new_value) for e in log] == [("status", "candidate")]
        assert "area 420 m²" in log[0].note and changes[1].picture_sha256 in log[0].note


def test_a_change_on_an_open_issue_is_that_issues_business(session_factory, zones) -> None:
    flight, frames, dets = flight_inputs("A")  # garbage piles at 0 m and 40 m east
    push_flight(session_factory=session_factory, flight=flight, frames=frames, detections=dets,
                zones=zones)  # fmt: skip
    push_new_flight(session_factory, zones)
    on_pile = change("N_0001", 3.0, area=100.0)  # radius 5.6 m: the pile's position inside
    beside = change("N_0002", 20.0, area=100.0, box=(0, 0, 50, 50))  # 20 m from both
    out = file(session_factory, zones, [on_pile, beside])
    with session_factory() as session:
        near = set(session.scalars(select(Issue.code).where(Issue.type != "change")))
        assert len(out.overlapping) == 1 and set(out.overlapping) <= near and len(out.filed) == 1
        count = session.scalar(select(func.count()).where(Issue.type == "change"))
    assert count == 1


def test_filing_is_atomic(session_factory, zones) -> None:
    push_new_flight(session_factory, zones)
    unknown = change("not pushed", 100.0)
    with pytest.raises(BadInputError, match="push the flight's frames"):
        file(session_factory, zones, [change("N_0001", 90.0), unknown])
    with session_factory() as session:
        assert session.scalar(select(func.count()).select_from(Issue)) == 0
        assert session.scalar(select(func.count()).select_from(Evidence)) == 0
    with pytest.raises(BadInputError, match="push it first"):
        file_changes(session_factory=session_factory, flight_key="nope", changes=[],
                     zones=zones, cfg=LedgerConfig())  # fmt: skip


def test_0010_downgrades_only_without_change_issues(engine, session_factory, zones) -> None:
    flight, frames, dets = flight_inputs("A")
    push_flight(session_factory=session_factory, flight=flight, frames=frames, detections=dets,
                zones=zones)  # fmt: skip
    downgrade(engine, "0009")
    assert current_revision(engine) == "0009"
    upgrade(engine)
    assert current_revision(engine) == head_revision()
    with engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall() == []
    assert "issue" in inspect(engine).get_table_names()
    push_new_flight(session_factory, zones)
    file(session_factory, zones, [change("N_0001", 90.0)])
    with pytest.raises(RuntimeError, match="新增变化"):
        downgrade(engine, "0009")
    assert current_revision(engine) == head_revision()
