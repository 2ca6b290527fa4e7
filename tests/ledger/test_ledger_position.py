"""An issue's position is the uncertainty-weighted mean of its sightings, refined by later flights;
a ledger made before uncertainties existed upgrades and keeps working."""

from __future__ import annotations

import dataclasses

import pytest
from sqlalchemy import select, text

from pipeline.geo.coords import haversine_m as distance_m
from pipeline.ledger.audit import history
from pipeline.ledger.db import make_engine, make_session_factory, upgrade
from pipeline.ledger.flight_rows import FlightRef
from pipeline.ledger.models import Detection, Issue
from pipeline.ledger.push import push_flight
from tests.ledger.ledger_helpers import det, frame, offset


def sighting(name: str, east: float, sigma: float, rel: float, when: str):
    d = det(name, east, 0.0, when=when, area_m2=4.0)
    return dataclasses.replace(d, sigma_m=sigma, sigma_rel_m=rel, sigma_bias_m=0.0)


def test_a_better_later_sighting_moves_the_issue(session_factory, zones) -> None:
    first = sighting("P_1", 0.0, 4.0, 1.0, "2024-05-01T10:00:00")  # oblique, poor GPS
    better = sighting("P_2", 2.0, 1.0, 0.5, "2024-06-01T10:00:00")  # nadir, RTK
    for key, d in (("p1", first), ("p2", better)):
        push_flight(session_factory=session_factory, flight=FlightRef(key, key),
                    frames=[frame(d.frame_path.rsplit("/", 1)[1][:-4])], detections=[d],
                    zones=zones)  # fmt: skip
    with session_factory() as session:
        (issue,) = session.scalars(select(Issue)).all()
        # flights weigh 1/4² and 1/1²: 2 m · 1 / (1 + 1/16) = 1.88 m east of the first
        assert distance_m(issue.lat_deg, issue.lon_deg, *offset(1.882, 0.0)) < 0.01
        assert issue.sigma_m == pytest.approx((1 / 16 + 1) ** -0.5, abs=1e-3)
        moved = [h for h in history(session=session, entity="issue", entity_key=issue.code)
                 if h.field == "position"]  # fmt: skip
        assert len(moved) == 1 and "flight p2: moved 1.9 m" in moved[0].note


def test_sightings_of_one_flight_cannot_beat_its_shared_error(session_factory, zones) -> None:
    dets = [sighting(f"Q_{i}", 0.1 * i, 3.0, 1.0, "2024-05-01T10:00:00") for i in range(8)]
    frames = [frame(f"Q_{i}") for i in range(8)]
    push_flight(session_factory=session_factory, flight=FlightRef("q", "q"), frames=frames,
                detections=dets, zones=zones)  # fmt: skip
    with session_factory() as session:
        (issue,) = session.scalars(select(Issue)).all()
        assert issue.sigma_m == pytest.approx((3.0**2 - 1.0**2) ** 0.5, abs=1e-3)  # not 3/√8


def test_a_ledger_from_before_upgrades_and_takes_new_flights(empty_db_url: str, zones) -> None:
    engine = make_engine(empty_db_url)
    try:
        upgrade(engine, "0002")
        with engine.begin() as conn:  # a flight and its issue as revision 0002 stored them
            conn.execute(text("INSERT INTO flight (key, name, created_at_utc) "
                              "VALUES ('old', 'old', '2024-01-01 00:00:00')"))  # fmt: skip
        upgrade(engine)
        factory = make_session_factory(engine)
        d = det("U_1", 0.0, 0.0)
        push_flight(session_factory=factory, flight=FlightRef("u", "u"), frames=[frame("U_1")],
                    detections=[d], zones=zones)  # fmt: skip
        with factory() as session:
            row = session.scalars(select(Detection)).one()
            assert row.sigma_m is None and row.hold_reason is None  # none given: none invented
            assert session.scalars(select(Issue.sigma_m)).one() == pytest.approx(3.5)
    finally:
        engine.dispose()
