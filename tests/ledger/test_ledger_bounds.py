"""Strings from files are bounded to the ledger's columns: a push never fails on their length."""

from __future__ import annotations

from dataclasses import replace

import pytest
from ledger_helpers import det, frame, raw_snapshot
from sqlalchemy import select

from pipeline.ledger.bounds import MARK, fit
from pipeline.ledger.models import Detection, Flight, Frame, Issue
from pipeline.ledger.push import push_flight
from pipeline.ledger.store import FlightRef

LONG_MODEL = "FC6310 " + "R" * 200  # an EXIF Model far over the frame table's 64 characters


def hostile_flight() -> tuple[FlightRef, list, list]:
    frames = [
        replace(frame("L_0001"), model=LONG_MODEL, make="DJI" * 100),
        replace(frame("L_0002", 3.0), model="FC6310\x00junk"),
    ]
    long_class = "垃" * 150
    dets = [
        replace(
            det("L_0001", subtype="luandui." + "x" * 300, cls=long_class + "a"),
            model="river-debris-" + "v" * 300,
        ),
        replace(det("L_0001", cls=long_class + "b"), model="river-debris-" + "v" * 300),
        det("L_0002", 3.0),
    ]
    flight = FlightRef(key="sha256:" + "f" * 200, name="航次" * 200, source_dir="/d/" + "x" * 900)
    return flight, frames, dets


def test_a_flight_with_overlong_strings_pushes(session_factory, zones, engine) -> None:
    flight, frames, dets = hostile_flight()
    push = dict(session_factory=session_factory, flight=flight, frames=frames, detections=dets)
    result = push_flight(**push, zones=zones, model_frames={dets[0].model: [frames[0].sha256]})
    assert result.detections == 3 and result.created
    before = raw_snapshot(engine)
    push_flight(**push, zones=zones)  # the same flight again: bounded keys still match
    assert raw_snapshot(engine) == before
    with session_factory() as session:
        models = session.scalars(select(Frame.camera_model).order_by(Frame.path)).all()
        classes = session.scalars(select(Detection.class_name)).all()
        names = session.scalars(select(Detection.model)).all()
        flights = session.execute(select(Flight.key, Flight.name, Flight.source_dir)).all()
        subtypes = session.scalars(select(Issue.subtype)).all()
    assert len(models[0]) == 64 and models[0].startswith("FC6310 RRR") and MARK in models[0]
    assert models[1] == "FC6310junk"  # PostgreSQL refuses NUL characters in text
    assert len(set(classes)) == 3 and all(len(c) <= 128 for c in classes)  # still distinct
    assert all(len(n) <= 128 for n in names) and all(len(s or "") <= 128 for s in subtypes)
    key, name, source_dir = flights[0]
    assert (len(key), len(name), source_dir) == (128, 255, flight.source_dir)  # Text: whole


@pytest.mark.parametrize(
    ("value", "limit", "expected"),
    [
        (None, 8, None),
        ("FC6310", 8, "FC6310"),
        ("FC6310\x00", 8, "FC6310"),
        ("12345678", 8, "12345678"),
    ],
)
def test_fit_keeps_what_fits(value, limit, expected) -> None:
    assert fit(value, limit) == expected


def test_fit_cuts_with_a_marker_and_keeps_distinct_values_distinct() -> None:
    a, b = fit("x" * 100 + "a", 32), fit("x" * 100 + "b", 32)
    assert len(a) == len(b) == 32 and a != b
    assert a.startswith("x" * 16) and MARK in a
    assert fit("x" * 100 + "a", 32) == a  # the same value always gives the same cut
