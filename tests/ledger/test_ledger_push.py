"""push_flight: one candidate per object, recurrence, rebound, zones, codes, idempotence."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from pipeline.ledger.assign import allocate_code
from pipeline.ledger.audit import history
from pipeline.ledger.config import LedgerConfig
from pipeline.ledger.flight_rows import FlightRef
from pipeline.ledger.models import Detection, Evidence, Frame, Issue
from pipeline.ledger.push import push_flight
from pipeline.ledger.queries import count_rows, list_issues
from pipeline.ledger.workflow import transition
from tests.ledger.ledger_helpers import (
    OUTSIDE_LAT,
    OUTSIDE_LON,
    det,
    flight_inputs,
    frame,
    issue_groups,
    raw_snapshot,
)


def push(session_factory, zones, spec_or_inputs, **kw):
    flight, frames, dets = (
        flight_inputs(spec_or_inputs) if isinstance(spec_or_inputs, str) else spec_or_inputs
    )
    return push_flight(
        session_factory=session_factory,
        flight=flight,
        frames=frames,
        detections=dets,
        zones=zones,
        **kw,
    )


def by_subtype(session_factory):
    with session_factory() as session:
        return {(v.subtype, v.frames): v for v in list_issues(session=session)}


def test_one_candidate_per_object_within_a_flight(session_factory, zones) -> None:
    result = push(session_factory, zones, "A")
    assert len(result.created) == 3
    assert (result.detections, result.context_only, result.not_georeferenced) == (8, 1, 1)
    issues = by_subtype(session_factory)
    assert set(issues) == {
        ("luandui.garbage_pile", 3),
        ("luandui.garbage_pile", 2),
        ("luancai.excavator", 1),
    }
    pile = issues["luandui.garbage_pile", 3]
    assert (pile.type, pile.status, pile.flights, pile.discovery_method) == (
        "luandui",
        "candidate",
        1,
        "无人机飞检",
    )
    assert pile.discovered_at == dt.datetime(2024, 5, 1, 10, 0)
    assert pile.photos == ("/flights/A_0001.JPG", "/flights/A_0002.JPG", "/flights/A_0003.JPG")
    with session_factory() as session:
        rows = count_rows(session=session)
        assert (rows["detection"], rows["evidence"], rows["frame"]) == (
            8,
            6,
            4,
        )  # car + ungeoreferenced kept
        (audit,) = [
            h
            for h in history(session=session, entity="issue", entity_key=pile.code)
            if h.field == "status"
        ]
        assert (audit.old_value, audit.new_value, audit.actor) == (None, "candidate", "hehu")


def test_pushing_twice_changes_nothing(engine, session_factory, zones) -> None:
    push(session_factory, zones, "A")
    before = raw_snapshot(engine)
    again = push(session_factory, zones, "A")
    assert again.created == again.recurred == again.rebounded == ()
    assert raw_snapshot(engine) == before


def test_a_detection_differing_below_the_box_quantum_is_the_same_row(
    session_factory, zones
) -> None:
    one = det("F1", box=(100.2, 100.0, 160.0, 150.0))
    nudged = det("F1", box=(100.4, 99.9, 160.1, 150.0))
    push(session_factory, zones, (FlightRef("k", "k"), [frame("F1")], [one]))
    push(session_factory, zones, (FlightRef("k", "k"), [frame("F1")], [nudged]))
    with session_factory() as session:
        assert session.scalar(select(Detection.x0_px)) == pytest.approx(100.2)  # first one kept
        assert count_rows(session=session)["detection"] == 1


def test_a_later_flight_adds_evidence_to_an_open_issue(session_factory, zones) -> None:
    first = push(session_factory, zones, "R1")
    second = push(session_factory, zones, "R2")
    assert len(first.created) == 3
    assert second.created == () and second.rebounded == ()
    assert second.recurred == first.created
    with session_factory() as session:
        views = list_issues(session=session)
        assert [(v.frames, v.flights) for v in views] == [(4, 2)] * 3
        kinds = session.scalars(select(Evidence.kind).order_by(Evidence.id)).all()
        assert kinds.count("first") == 6 and kinds.count("recurrence") == 6
        entries = [
            h
            for h in history(session=session, entity="issue", entity_key=views[0].code)
            if h.field == "evidence"
        ]
        assert [(h.old_value, h.new_value) for h in entries] == [(None, "2"), ("2", "4")]
    assert views[0].last_seen_at == dt.datetime(2024, 5, 2, 10, 0)


def _close(session_factory, code: str, on: dt.date) -> None:
    steps = [
        ("confirmed", {}),
        ("assigned", {"responsible_unit": "示例镇", "deadline": dt.date(2024, 5, 30)}),
        ("rectifying", {}),
        ("rectified", {}),
        ("closed", {}),
    ]
    for version, (to, changes) in enumerate(steps, start=1):
        with session_factory.begin() as session:
            transition(
                session=session,
                code=code,
                to=to,
                expected_version=version,
                actor="reviewer",
                changes=changes,
                on=on,
            )


def test_a_sighting_after_closure_reopens_the_issue_as_a_rebound(session_factory, zones) -> None:
    first = push(session_factory, zones, "R1")
    code = first.created[0]
    _close(session_factory, code, on=dt.date(2024, 5, 2))
    seen_on_closing_day = push(
        session_factory, zones, "R2"
    )  # captured 2024-05-02: before/at closure
    assert code not in seen_on_closing_day.rebounded
    seen_after = push(session_factory, zones, "R3")  # captured 2024-05-03
    assert seen_after.rebounded == (code,) and seen_after.created == ()
    with session_factory() as session:
        issue = session.scalars(select(Issue).where(Issue.code == code)).one()
        assert (issue.status, issue.rebound, issue.rebound_count, issue.closed_on) == (
            "candidate",
            True,
            1,
            None,
        )
        kinds = session.scalars(select(Evidence.kind).where(Evidence.issue_id == issue.id)).all()
        assert sorted(kinds) == ["first", "first", "history", "history", "rebound", "rebound"]
        log = [
            (h.field, h.old_value, h.new_value)
            for h in history(session=session, entity="issue", entity_key=code)
        ]
    assert ("status", "closed", "candidate") in log
    assert ("rebound", "false", "true") in log
    assert ("closed_on", "2024-05-02", None) in log


def test_a_sighting_near_a_false_positive_stays_with_it(session_factory, zones) -> None:
    first = push(session_factory, zones, "R1")
    code = first.created[0]
    with session_factory.begin() as session:
        transition(
            session=session, code=code, to="false_positive", expected_version=1, actor="reviewer"
        )
    second = push(session_factory, zones, "R2")
    assert second.created == () and second.rebounded == ()
    with session_factory() as session:
        issue = session.scalars(select(Issue).where(Issue.code == code)).one()
    assert issue.status == "false_positive"


def test_different_types_at_one_place_are_different_issues(session_factory, zones) -> None:
    dets = [det("F1"), det("F2", 1, 1, subtype="luanjian.shed", cls="shed")]
    result = push(session_factory, zones, (FlightRef("k", "k"), [], dets))
    assert len(result.created) == 2


def test_zone_tagging_and_responsibility(session_factory, zones) -> None:
    dets = [det("F1"), det("F2", at=(OUTSIDE_LAT, OUTSIDE_LON))]
    result = push(session_factory, zones, (FlightRef("k", "k"), [], dets))
    assert sorted(result.created) == ["000000-2024-0001", "990101-2024-0001"]
    with session_factory() as session:
        inside, outside = (list_issues(session=session)[i] for i in (1, 0))
    assert (inside.in_zone, inside.zone_id, inside.division_code) == (
        True,
        "example-brighton-beach",
        "990101",
    )
    assert inside.river_code == "HX9901010001" and inside.river_chief == "示例湖长"
    assert inside.responsible_unit == "示例县河长制办公室"
    assert (outside.in_zone, outside.zone_id, outside.river_name, outside.responsible_unit) == (
        False,
        None,
        None,
        None,
    )


def test_outside_zone_detections_can_be_dropped(session_factory, zones) -> None:
    dets = [det("F1"), det("F2", at=(OUTSIDE_LAT, OUTSIDE_LON))]
    cfg = LedgerConfig(outside_zone="drop", default_division_code="420106")
    result = push(session_factory, zones, (FlightRef("k", "k"), [], dets), config=cfg)
    assert result.created == ("990101-2024-0001",) and result.dropped_outside_zone == 1
    with session_factory() as session:
        assert count_rows(session=session)["detection"] == 2  # kept, just not a candidate


def test_codes_count_per_division_and_year(session_factory, zones) -> None:
    dets = [
        det("F1", 0, 0),
        det("F2", 70, 70),
        det("F3", 140, 140, when="2025-01-02T08:00:00"),
    ]  # along the shore
    result = push(session_factory, zones, (FlightRef("k", "k"), [], dets))
    assert sorted(result.created) == ["990101-2024-0001", "990101-2024-0002", "990101-2025-0001"]
    with session_factory.begin() as session:
        assert (
            allocate_code(session=session, division_code="990101", year=2024) == "990101-2024-0003"
        )


def test_issue_codes_are_unique_in_the_database(session_factory, zones) -> None:
    result = push(session_factory, zones, "R1")
    with session_factory() as session:
        template = session.scalars(select(Issue).where(Issue.code == result.created[0])).one()
        clone = Issue(
            **{c.key: getattr(template, c.key) for c in Issue.__table__.columns if c.key != "id"}
        )
        session.add(clone)
        with pytest.raises(IntegrityError, match=r"(?i)unique|duplicate"):
            session.flush()


def test_more_frames_of_a_flight_pushed_later_join_its_issues(session_factory, zones) -> None:
    flight, frames, dets = flight_inputs("A")
    push(session_factory, zones, (flight, frames[:2], dets[:2]))
    more = push(session_factory, zones, (flight, frames, dets))
    assert more.recurred == ()  # same flight: not a recurrence
    assert set(by_subtype(session_factory)) == {
        ("luandui.garbage_pile", 3),
        ("luandui.garbage_pile", 2),
        ("luancai.excavator", 1),
    }
    assert len(issue_groups_for(session_factory)) == 3


def issue_groups_for(session_factory):
    return issue_groups(session_factory.kw["bind"])


def test_evidence_files_are_recorded_once(session_factory, zones) -> None:
    from pipeline.ledger.evidence import add_evidence_file, evidence_files

    push(session_factory, zones, "R1")
    with session_factory.begin() as session:
        det_id, frame_sha = session.execute(
            select(Detection.id, Frame.sha256).join(Frame, Detection.frame_id == Frame.id)
        ).first()
        for _ in range(2):
            add_evidence_file(
                session=session,
                detection_id=det_id,
                kind="crop",
                path="crops/1.jpg",
                sha256="c" * 64,
                source_sha256=frame_sha,
                watermark="2024-05-01 10:00 46.842680N 91.994010W",
            )
    with session_factory() as session:
        (record,) = evidence_files(session=session, detection_ids=[det_id])
    assert (record.kind, record.source_sha256) == ("crop", frame_sha)


def test_a_flight_without_detections_is_recorded(session_factory, zones) -> None:
    flight, frames, _ = flight_inputs("A")
    result = push(session_factory, zones, (flight, frames, []))
    assert (result.detections, result.created) == (0, ())
    with session_factory() as session:
        rows = count_rows(session=session)
    assert (rows["flight"], rows["frame"], rows["issue"]) == (1, 4, 0)


def test_importing_the_ledger_package_is_cheap() -> None:
    import subprocess
    import sys

    code = "import sys, pipeline.ledger; print('sqlalchemy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_nan_positions_count_as_not_georeferenced(session_factory, zones) -> None:
    bad = det("F1", at=(float("nan"), float("nan")), area_m2=float("nan"))
    result = push(session_factory, zones, (FlightRef("k", "k"), [], [bad]))
    assert (result.created, result.not_georeferenced) == ((), 1)
    with session_factory() as session:
        assert session.execute(select(Detection.lat_deg, Detection.area_m2)).one() == (None, None)


def test_issues_can_be_listed_by_code(session_factory, zones) -> None:
    created = push(session_factory, zones, "R1").created
    with session_factory() as session:
        everything = list_issues(session=session)
        some = list_issues(session=session, codes=[created[2], created[0], "000000-2000-9999"])
        assert list_issues(session=session, codes=[]) == []
    assert some == [v for v in everything if v.code in {created[0], created[2]}]


def test_a_pile_on_the_antimeridian_is_one_issue_across_flights(session_factory) -> None:
    from pipeline.geo.coords import haversine_m as distance_m
    from tests.ledger.ledger_helpers import dateline

    def flight(name: str, sides: list[float], when: str) -> tuple:
        dets = [det(f"{name}_{i}", at=dateline(e), when=when) for i, e in enumerate(sides)]
        return FlightRef(name, name), [], dets

    first = push(session_factory, (), flight("D1", [-2.0, 2.0, -1.0], "2024-05-01T10:00:00"))
    assert len(first.created) == 1
    second = push(session_factory, (), flight("D2", [3.0, 1.0], "2024-05-08T10:00:00"))
    assert (second.created, second.recurred) == ((), first.created)
    with session_factory() as session:
        (issue,) = list_issues(session=session)
    assert (issue.frames, issue.flights) == (5, 2)
    assert distance_m(issue.lat, issue.lon, *dateline(0.6)) < 1.0


def test_later_frames_across_the_antimeridian_show_the_place(session_factory) -> None:
    from dataclasses import replace

    from pipeline.records import GpsFix
    from pipeline.review.later_frames import later_frames
    from tests.ledger.ledger_helpers import dateline

    dets = [det(f"E_{i}", at=dateline(e)) for i, e in enumerate([-2.0, 2.0, -1.0])]
    (code,) = push(session_factory, (), (FlightRef("E1", "E1"), [], dets)).created
    after = []
    for name, east in [("F_0", 3.0), ("F_1", -3.0)]:  # either side of 180°, both over the pile
        lat, lon = dateline(east)
        after.append(replace(frame(name, when="2024-06-01T10:00:00"), gps=GpsFix(lat, lon, 40.0)))
    rings = {
        f.sha256: [dateline(e + east, n) for e, n in [(-30, -30), (30, -30), (30, 30), (-30, 30)]]
        for f, east in zip(after, (3.0, -3.0), strict=True)
    }
    push(session_factory, (), (FlightRef("F", "F"), after, []), footprints=rings)
    with session_factory() as session:
        seen = later_frames(session=session, code=code)
    assert sorted(f.sha256 for f in seen) == sorted(f.sha256 for f in after)
    assert all(f.covers and f.distance_m < 5.0 for f in seen)


def test_a_ledger_that_does_not_answer_is_retried_and_a_bug_is_not() -> None:
    import sqlite3

    from sqlalchemy.exc import OperationalError, ProgrammingError

    from pipeline.errors import TransientError, is_transient
    from pipeline.ledger.db import ledger_may_be_away

    locked = OperationalError("INSERT …", {}, sqlite3.OperationalError("database is locked"))
    with pytest.raises(TransientError, match="database is locked") as info, ledger_may_be_away():
        raise locked
    assert is_transient(info.value) and info.value.__cause__ is locked
    with pytest.raises(ProgrammingError), ledger_may_be_away():
        raise ProgrammingError("SELECT nope", {}, sqlite3.ProgrammingError("no such column"))
